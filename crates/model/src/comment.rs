//! `Comment`: a reply or note on a ticket.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::common::{Expandable, FieldMappings, RemoteData};
use crate::fields::common_model;
use crate::schema::relation;
use crate::{Contact, Ticket, User};

/// A comment on a ticket (`ticketing.Comment`).
///
/// If the platform cannot set the author, the body starts with
/// "[Posted on behalf of {name}]".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "0958cbc6-6040-430a-848e-aafacbadf4ae",
    "remote_id": "19202938",
    "created_at": "2021-09-15T00:00:00Z",
    "modified_at": "2021-10-16T00:00:00Z",
    "user": "17a54124-287f-494d-965e-3c5b330c9a68",
    "contact": null,
    "body": "When will these integrations be added?",
    "html_body": "<p>When will these integrations be added?</p>",
    "ticket": "75b33d04-30d2-4f3e-be45-27838bc94342",
    "is_private": false,
    "remote_created_at": "1990-11-10T00:00:00Z",
    "remote_was_deleted": false,
    "field_mappings": {"organization_defined_targets": {}, "linked_account_defined_targets": {}},
    "remote_data": null
}))]
pub struct Comment {
    /// Merge's id of the record.
    pub id: Uuid,
    /// The third party's id.
    #[serde(default)]
    pub remote_id: Option<String>,
    /// When Deskbridge first stored the record.
    pub created_at: DateTime<Utc>,
    /// When Deskbridge last changed the record.
    pub modified_at: DateTime<Utc>,
    /// The author, if a user (agent).
    #[serde(default)]
    #[schema(schema_with = relation::<User>)]
    pub user: Option<Expandable<User>>,
    /// The author, if a contact (customer).
    #[serde(default)]
    #[schema(schema_with = relation::<Contact>)]
    pub contact: Option<Expandable<Contact>>,
    /// The plain-text body.
    #[serde(default)]
    pub body: Option<String>,
    /// The HTML body.
    #[serde(default)]
    pub html_body: Option<String>,
    /// The ticket commented on.
    #[serde(default)]
    #[schema(schema_with = relation::<Ticket>)]
    pub ticket: Option<Expandable<Ticket>>,
    /// Whether only agents can see the comment.
    #[serde(default)]
    pub is_private: Option<bool>,
    /// When the third party created the comment.
    #[serde(default)]
    pub remote_created_at: Option<DateTime<Utc>>,
    /// Whether the third party deleted the record.
    pub remote_was_deleted: bool,
    /// Field-mapping targets.
    #[serde(default)]
    pub field_mappings: Option<FieldMappings>,
    /// Raw third-party data; null unless `include_remote_data=true`.
    #[serde(default)]
    pub remote_data: Option<Vec<RemoteData>>,
}

common_model!(Comment, Comment, PaginatedCommentList);
