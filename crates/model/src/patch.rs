//! PATCH `/tickets/{id}`: fields that tell "absent" (leave as is) from `null` (clear).
//!
//! Every field of [`PatchedTicketRequest`] is a [`Patch`]. A list sent replaces the whole list;
//! `[]` or `null` clears it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::enums::{PriorityEnum, TicketAccessLevelEnum, TicketStatusEnum};
use crate::request::{ModelRequest, RemoteFieldRequest};

/// One field of a PATCH body: absent, `null`, or a value.
///
/// Use it with `#[serde(default, skip_serializing_if = "Patch::is_absent")]` and, for the
/// schema, `#[schema(value_type = Option<T>)]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Patch<T> {
    /// The field was not sent: leave it unchanged.
    #[default]
    Absent,
    /// The field was `null`: clear it.
    Null,
    /// The field was set to this value.
    Value(T),
}

impl<T> Patch<T> {
    /// Whether the field was not sent.
    pub fn is_absent(&self) -> bool {
        matches!(self, Patch::Absent)
    }

    /// `None` if absent, else `Some(new value)` where `Some(None)` clears the field.
    pub fn as_update(&self) -> Option<Option<&T>> {
        match self {
            Patch::Absent => None,
            Patch::Null => Some(None),
            Patch::Value(v) => Some(Some(v)),
        }
    }

    /// Owned form of [`Patch::as_update`].
    pub fn into_update(self) -> Option<Option<T>> {
        match self {
            Patch::Absent => None,
            Patch::Null => Some(None),
            Patch::Value(v) => Some(Some(v)),
        }
    }
}

impl<T> From<Option<T>> for Patch<T> {
    /// `None` becomes [`Patch::Null`] (a field that was sent as `null`).
    fn from(value: Option<T>) -> Self {
        value.map_or(Patch::Null, Patch::Value)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    /// Only called for a field that is present (absent fields take `Default`).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Option::<T>::deserialize(deserializer).map(Patch::from)
    }
}

impl<T: Serialize> Serialize for Patch<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Patch::Absent | Patch::Null => serializer.serialize_none(),
            Patch::Value(v) => v.serialize(serializer),
        }
    }
}

/// Changes to a ticket (no `attachments`, unlike [`crate::TicketRequest`]). Relations are ids.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"status": "CLOSED", "assignees": [], "due_date": null}))]
pub struct PatchedTicketRequest {
    /// The ticket's subject.
    #[serde(default, skip_serializing_if = "Patch::is_absent")]
    #[schema(value_type = Option<String>)]
    pub name: Patch<String>,
    /// Ids of the users to assign (replaces the list).
    #[serde(default, skip_serializing_if = "Patch::is_absent")]
    #[schema(value_type = Option<Vec<Uuid>>)]
    pub assignees: Patch<Vec<Uuid>>,
    /// Ids of the teams to assign (replaces the list).
    #[serde(default, skip_serializing_if = "Patch::is_absent")]
    #[schema(value_type = Option<Vec<Uuid>>)]
    pub assigned_teams: Patch<Vec<Uuid>>,
    /// Id of the creating user.
    #[serde(default, skip_serializing_if = "Patch::is_absent")]
    #[schema(value_type = Option<Uuid>)]
    pub creator: Patch<Uuid>,
    /// When the ticket is due.
    #[serde(default, skip_serializing_if = "Patch::is_absent")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub due_date: Patch<DateTime<Utc>>,
    /// The ticket's status.
    #[serde(default, skip_serializing_if = "Patch::is_absent")]
    #[schema(value_type = Option<TicketStatusEnum>)]
    pub status: Patch<TicketStatusEnum>,
    /// The ticket's description.
    #[serde(default, skip_serializing_if = "Patch::is_absent")]
    #[schema(value_type = Option<String>)]
    pub description: Patch<String>,
    /// Ids of the collections (replaces the list).
    #[serde(default, skip_serializing_if = "Patch::is_absent")]
    #[schema(value_type = Option<Vec<Uuid>>)]
    pub collections: Patch<Vec<Uuid>>,
    /// The third party's ticket type.
    #[serde(default, skip_serializing_if = "Patch::is_absent")]
    #[schema(value_type = Option<String>)]
    pub ticket_type: Patch<String>,
    /// Id of the account.
    #[serde(default, skip_serializing_if = "Patch::is_absent")]
    #[schema(value_type = Option<Uuid>)]
    pub account: Patch<Uuid>,
    /// Id of the contact.
    #[serde(default, skip_serializing_if = "Patch::is_absent")]
    #[schema(value_type = Option<Uuid>)]
    pub contact: Patch<Uuid>,
    /// Id of the parent ticket.
    #[serde(default, skip_serializing_if = "Patch::is_absent")]
    #[schema(value_type = Option<Uuid>)]
    pub parent_ticket: Patch<Uuid>,
    /// Who can see the ticket.
    #[serde(default, skip_serializing_if = "Patch::is_absent")]
    #[schema(value_type = Option<TicketAccessLevelEnum>)]
    pub access_level: Patch<TicketAccessLevelEnum>,
    /// Tag names (replaces the list).
    #[serde(default, skip_serializing_if = "Patch::is_absent")]
    #[schema(value_type = Option<Vec<String>>)]
    pub tags: Patch<Vec<String>>,
    /// Role names (replaces the list).
    #[serde(default, skip_serializing_if = "Patch::is_absent")]
    #[schema(value_type = Option<Vec<String>>)]
    pub roles: Patch<Vec<String>>,
    /// When the ticket was completed.
    #[serde(default, skip_serializing_if = "Patch::is_absent")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub completed_at: Patch<DateTime<Utc>>,
    /// The ticket's URL.
    #[serde(default, skip_serializing_if = "Patch::is_absent")]
    #[schema(value_type = Option<String>)]
    pub ticket_url: Patch<String>,
    /// The ticket's priority.
    #[serde(default, skip_serializing_if = "Patch::is_absent")]
    #[schema(value_type = Option<PriorityEnum>)]
    pub priority: Patch<PriorityEnum>,
    /// Integration-specific parameters.
    #[serde(default, skip_serializing_if = "Patch::is_absent")]
    #[schema(value_type = Option<Object>)]
    pub integration_params: Patch<Map<String, Value>>,
    /// Linked-account-specific parameters.
    #[serde(default, skip_serializing_if = "Patch::is_absent")]
    #[schema(value_type = Option<Object>)]
    pub linked_account_params: Patch<Map<String, Value>>,
    /// Custom field values to set.
    #[serde(default, skip_serializing_if = "Patch::is_absent")]
    #[schema(value_type = Option<Vec<RemoteFieldRequest>>)]
    pub remote_fields: Patch<Vec<RemoteFieldRequest>>,
}

impl ModelRequest for PatchedTicketRequest {
    const FIELDS: &'static [&'static str] = &[
        "name",
        "assignees",
        "assigned_teams",
        "creator",
        "due_date",
        "status",
        "description",
        "collections",
        "ticket_type",
        "account",
        "contact",
        "parent_ticket",
        "access_level",
        "tags",
        "roles",
        "completed_at",
        "ticket_url",
        "priority",
        "integration_params",
        "linked_account_params",
        "remote_fields",
    ];
}

/// Body of PATCH `/tickets/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PatchedTicketEndpointRequest {
    /// The changes.
    pub model: PatchedTicketRequest,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn absent_null_and_value_are_distinct() {
        let id = Uuid::from_u128(3);
        let patch: PatchedTicketRequest = serde_json::from_value(json!({
            "name": "New name",
            "due_date": null,
            "assignees": [],
            "creator": id.to_string(),
            "surprise": 1
        }))
        .expect("valid patch");
        assert_eq!(patch.name, Patch::Value("New name".to_owned()));
        assert_eq!(patch.due_date, Patch::Null);
        assert_eq!(patch.assignees, Patch::Value(vec![]));
        assert_eq!(patch.creator.as_update(), Some(Some(&id)));
        assert_eq!(patch.status, Patch::Absent);
        assert_eq!(patch.status.as_update(), None);
        assert_eq!(
            serde_json::to_value(&patch).expect("ser"),
            json!({"name": "New name", "assignees": [], "creator": id.to_string(), "due_date": null})
        );
    }
}
