//! `Attachment`: a file attached to a ticket.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::Ticket;
use crate::common::{Expandable, FieldMappings, RemoteData};
use crate::fields::common_model;
use crate::schema::relation;

/// A file attached to a ticket (`ticketing.Attachment`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "17a54124-287f-494d-965e-3c5b330c9a68",
    "remote_id": "19202938",
    "created_at": "2021-09-15T00:00:00Z",
    "modified_at": "2021-10-16T00:00:00Z",
    "file_name": "Screenshot.png",
    "ticket": "0958cbc6-6040-430a-848e-aafacbadf4ae",
    "file_url": "https://acme.freshdesk.com/attachments/42/Screenshot.png",
    "content_type": "image/png",
    "uploaded_by": "28b54125-287f-494d-965e-3c5b330c9a68",
    "remote_created_at": "2021-09-15T00:00:00Z",
    "remote_was_deleted": false,
    "field_mappings": null,
    "remote_data": null
}))]
pub struct Attachment {
    /// Merge's id of the record.
    pub id: Uuid,
    /// The third party's id.
    #[serde(default)]
    pub remote_id: Option<String>,
    /// When Deskbridge first stored the record.
    pub created_at: DateTime<Utc>,
    /// When Deskbridge last changed the record.
    pub modified_at: DateTime<Utc>,
    /// The file's name, with its extension.
    #[serde(default)]
    pub file_name: Option<String>,
    /// The ticket the file is attached to.
    #[serde(default)]
    #[schema(schema_with = relation::<Ticket>)]
    pub ticket: Option<Expandable<Ticket>>,
    /// Where the file can be downloaded (may be a signed, expiring URL).
    #[serde(default)]
    pub file_url: Option<String>,
    /// The file's MIME type.
    #[serde(default)]
    pub content_type: Option<String>,
    /// Who uploaded the file (a user's id, as a string).
    #[serde(default)]
    pub uploaded_by: Option<String>,
    /// When the third party stored the file.
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

common_model!(Attachment, Attachment, PaginatedAttachmentList);
