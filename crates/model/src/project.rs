//! `Project`: a project of the ticketing platform.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::common::{FieldMappings, RemoteData};
use crate::fields::common_model;

/// A project (`ticketing.Project`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "563c5e6f-3b04-4a60-a3d1-7bc9e5c9c74b",
    "remote_id": "19202938",
    "created_at": "2021-09-15T00:00:00Z",
    "modified_at": "2021-10-16T00:00:00Z",
    "name": "Q1 Platform",
    "description": "For tracking all integration work in Q1",
    "remote_was_deleted": false,
    "field_mappings": null,
    "remote_data": null
}))]
pub struct Project {
    /// Merge's id of the record.
    pub id: Uuid,
    /// The third party's id.
    #[serde(default)]
    pub remote_id: Option<String>,
    /// When Deskbridge first stored the record.
    pub created_at: DateTime<Utc>,
    /// When Deskbridge last changed the record.
    pub modified_at: DateTime<Utc>,
    /// The project's name.
    #[serde(default)]
    pub name: Option<String>,
    /// The project's description.
    #[serde(default)]
    pub description: Option<String>,
    /// Whether the third party deleted the record.
    pub remote_was_deleted: bool,
    /// Field-mapping targets.
    #[serde(default)]
    pub field_mappings: Option<FieldMappings>,
    /// Raw third-party data; null unless `include_remote_data=true`.
    #[serde(default)]
    pub remote_data: Option<Vec<RemoteData>>,
}

common_model!(Project, Project, PaginatedProjectList);
