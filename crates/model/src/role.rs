//! `Role`: a set of permissions given to users.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::common::{FieldMappings, RemoteData};
use crate::enums::{TicketAccessEnum, TicketActionsEnum};
use crate::fields::common_model;

/// A role users can have (`ticketing.Role`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "23454124-387f-494d-265e-345b330c9123",
    "remote_id": "19202938",
    "created_at": "2021-09-15T00:00:00Z",
    "modified_at": "2021-10-16T00:00:00Z",
    "name": "Agent",
    "ticket_actions": ["VIEW", "EDIT"],
    "ticket_access": "ALL",
    "remote_was_deleted": false,
    "field_mappings": null,
    "remote_data": null
}))]
pub struct Role {
    /// Merge's id of the record.
    pub id: Uuid,
    /// The third party's id.
    #[serde(default)]
    pub remote_id: Option<String>,
    /// When Deskbridge first stored the record.
    pub created_at: DateTime<Utc>,
    /// When Deskbridge last changed the record.
    pub modified_at: DateTime<Utc>,
    /// The role's name.
    #[serde(default)]
    pub name: Option<String>,
    /// What users with this role may do with tickets.
    #[serde(default)]
    pub ticket_actions: Option<Vec<TicketActionsEnum>>,
    /// Which tickets users with this role can access.
    #[serde(default)]
    pub ticket_access: Option<TicketAccessEnum>,
    /// Whether the third party deleted the record.
    pub remote_was_deleted: bool,
    /// Field-mapping targets.
    #[serde(default)]
    pub field_mappings: Option<FieldMappings>,
    /// Raw third-party data; null unless `include_remote_data=true`.
    #[serde(default)]
    pub remote_data: Option<Vec<RemoteData>>,
}

common_model!(Role, Role, PaginatedRoleList);
