//! Write request bodies: `{"model": {...}}` for POST `/tickets`, `/comments`, `/contacts` and
//! `/attachments`. PATCH `/tickets/{id}` is in [`crate::patch`].
//!
//! Unknown fields inside `model` are not rejected (Merge ignores them with a warning): serde
//! drops them, and [`ModelRequest::unknown_fields`] lists them for the warning.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::enums::{PriorityEnum, TicketAccessLevelEnum, TicketStatusEnum};

/// A write body's `model` object, with the names of the fields it understands.
pub trait ModelRequest {
    /// Every field name the request model accepts.
    const FIELDS: &'static [&'static str];

    /// The keys of a raw `model` object that are not fields of this request model.
    fn unknown_fields(model: &Map<String, Value>) -> Vec<String> {
        model
            .keys()
            .filter(|k| !Self::FIELDS.contains(&k.as_str()))
            .cloned()
            .collect()
    }
}

/// A custom field value to write.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RemoteFieldRequest {
    /// The id of the field's [`RemoteFieldClass`](crate::RemoteFieldClass).
    pub remote_field_class: Uuid,
    /// The value (any JSON value).
    #[serde(default)]
    pub value: Value,
}

/// A ticket to create. Relations are ids.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "name": "Please add more integrations",
    "assignees": ["17a54124-287f-494d-965e-3c5b330c9a68"],
    "status": "OPEN",
    "description": "Can you please add more integrations? It'll make syncing data much easier!",
    "contact": "65c345ba-6870-4974-87ba-dd31509c367a",
    "tags": ["enterprise"],
    "priority": "HIGH"
}))]
pub struct TicketRequest {
    /// The ticket's subject.
    #[serde(default)]
    pub name: Option<String>,
    /// Ids of the users to assign.
    #[serde(default)]
    pub assignees: Option<Vec<Uuid>>,
    /// Ids of the teams to assign.
    #[serde(default)]
    pub assigned_teams: Option<Vec<Uuid>>,
    /// Id of the creating user.
    #[serde(default)]
    pub creator: Option<Uuid>,
    /// When the ticket is due.
    #[serde(default)]
    pub due_date: Option<DateTime<Utc>>,
    /// The ticket's status.
    #[serde(default)]
    pub status: Option<TicketStatusEnum>,
    /// The ticket's description.
    #[serde(default)]
    pub description: Option<String>,
    /// Ids of the collections.
    #[serde(default)]
    pub collections: Option<Vec<Uuid>>,
    /// The third party's ticket type.
    #[serde(default)]
    pub ticket_type: Option<String>,
    /// Id of the account.
    #[serde(default)]
    pub account: Option<Uuid>,
    /// Id of the contact raising the ticket.
    #[serde(default)]
    pub contact: Option<Uuid>,
    /// Id of the parent ticket.
    #[serde(default)]
    pub parent_ticket: Option<Uuid>,
    /// Ids of attachments.
    #[serde(default)]
    pub attachments: Option<Vec<Uuid>>,
    /// Who can see the ticket.
    #[serde(default)]
    pub access_level: Option<TicketAccessLevelEnum>,
    /// Tag names.
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    /// Role names.
    #[serde(default)]
    pub roles: Option<Vec<String>>,
    /// When the ticket was completed.
    #[serde(default)]
    pub completed_at: Option<DateTime<Utc>>,
    /// The ticket's URL.
    #[serde(default)]
    pub ticket_url: Option<String>,
    /// The ticket's priority.
    #[serde(default)]
    pub priority: Option<PriorityEnum>,
    /// Integration-specific parameters.
    #[serde(default)]
    pub integration_params: Option<Map<String, Value>>,
    /// Linked-account-specific parameters.
    #[serde(default)]
    pub linked_account_params: Option<Map<String, Value>>,
    /// Custom field values.
    #[serde(default)]
    pub remote_fields: Option<Vec<RemoteFieldRequest>>,
}

impl ModelRequest for TicketRequest {
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
        "attachments",
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

/// A comment to create. Relations are ids.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "user": "17a54124-287f-494d-965e-3c5b330c9a68",
    "body": "When will these integrations be added?",
    "ticket": "75b33d04-30d2-4f3e-be45-27838bc94342",
    "is_private": false
}))]
pub struct CommentRequest {
    /// Id of the authoring user.
    #[serde(default)]
    pub user: Option<Uuid>,
    /// Id of the authoring contact.
    #[serde(default)]
    pub contact: Option<Uuid>,
    /// The plain-text body.
    #[serde(default)]
    pub body: Option<String>,
    /// The HTML body.
    #[serde(default)]
    pub html_body: Option<String>,
    /// Id of the ticket.
    #[serde(default)]
    pub ticket: Option<Uuid>,
    /// Whether only agents can see the comment.
    #[serde(default)]
    pub is_private: Option<bool>,
    /// Integration-specific parameters.
    #[serde(default)]
    pub integration_params: Option<Map<String, Value>>,
    /// Linked-account-specific parameters.
    #[serde(default)]
    pub linked_account_params: Option<Map<String, Value>>,
}

impl ModelRequest for CommentRequest {
    const FIELDS: &'static [&'static str] = &[
        "user",
        "contact",
        "body",
        "html_body",
        "ticket",
        "is_private",
        "integration_params",
        "linked_account_params",
    ];
}

/// A contact to create. Relations are ids.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"name": "Jane Doe", "email_address": "jane@example.com"}))]
pub struct ContactRequest {
    /// The contact's name.
    #[serde(default)]
    pub name: Option<String>,
    /// The contact's email address.
    #[serde(default)]
    pub email_address: Option<String>,
    /// The contact's phone number.
    #[serde(default)]
    pub phone_number: Option<String>,
    /// Notes about the contact.
    #[serde(default)]
    pub details: Option<String>,
    /// Id of the account.
    #[serde(default)]
    pub account: Option<Uuid>,
    /// Integration-specific parameters.
    #[serde(default)]
    pub integration_params: Option<Map<String, Value>>,
    /// Linked-account-specific parameters.
    #[serde(default)]
    pub linked_account_params: Option<Map<String, Value>>,
}

impl ModelRequest for ContactRequest {
    const FIELDS: &'static [&'static str] = &[
        "name",
        "email_address",
        "phone_number",
        "details",
        "account",
        "integration_params",
        "linked_account_params",
    ];
}

/// An attachment to create. Relations are ids.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AttachmentRequest {
    /// The file's name, with its extension.
    #[serde(default)]
    pub file_name: Option<String>,
    /// Id of the ticket.
    #[serde(default)]
    pub ticket: Option<Uuid>,
    /// Where the file can be downloaded.
    #[serde(default)]
    pub file_url: Option<String>,
    /// The file's MIME type.
    #[serde(default)]
    pub content_type: Option<String>,
    /// Who uploaded the file.
    #[serde(default)]
    pub uploaded_by: Option<String>,
    /// Integration-specific parameters.
    #[serde(default)]
    pub integration_params: Option<Map<String, Value>>,
    /// Linked-account-specific parameters.
    #[serde(default)]
    pub linked_account_params: Option<Map<String, Value>>,
}

impl ModelRequest for AttachmentRequest {
    const FIELDS: &'static [&'static str] = &[
        "file_name",
        "ticket",
        "file_url",
        "content_type",
        "uploaded_by",
        "integration_params",
        "linked_account_params",
    ];
}

/// Body of POST `/tickets`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TicketEndpointRequest {
    /// The ticket to create.
    pub model: TicketRequest,
}

/// Body of POST `/comments`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CommentEndpointRequest {
    /// The comment to create.
    pub model: CommentRequest,
}

/// Body of POST `/contacts`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TicketingContactEndpointRequest {
    /// The contact to create.
    pub model: ContactRequest,
}

/// Body of POST `/attachments`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TicketingAttachmentEndpointRequest {
    /// The attachment to create.
    pub model: AttachmentRequest,
}
