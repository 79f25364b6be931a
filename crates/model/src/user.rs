//! `User`: an agent of the ticketing platform.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::common::{Expandable, FieldMappings, RemoteData};
use crate::fields::common_model;
use crate::schema::relation_list;
use crate::{Role, Team};

/// A user (agent) of the ticketing platform (`ticketing.User`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "17a54124-287f-494d-965e-3c5b330c9a68",
    "remote_id": "19202938",
    "created_at": "2021-09-15T00:00:00Z",
    "modified_at": "2021-10-16T00:00:00Z",
    "name": "Gil Feig",
    "email_address": "hello@merge.dev",
    "is_active": true,
    "teams": ["28b54125-287f-494d-965e-3c5b330c9a68"],
    "roles": ["23454124-387f-494d-265e-345b330c9123"],
    "avatar": null,
    "remote_was_deleted": false,
    "field_mappings": null,
    "remote_data": null
}))]
pub struct User {
    /// Merge's id of the record.
    pub id: Uuid,
    /// The third party's id.
    #[serde(default)]
    pub remote_id: Option<String>,
    /// When Deskbridge first stored the record.
    pub created_at: DateTime<Utc>,
    /// When Deskbridge last changed the record.
    pub modified_at: DateTime<Utc>,
    /// The user's name.
    #[serde(default)]
    pub name: Option<String>,
    /// The user's email address.
    #[serde(default)]
    pub email_address: Option<String>,
    /// Whether the user is active.
    #[serde(default)]
    pub is_active: Option<bool>,
    /// The user's teams.
    #[serde(default)]
    #[schema(schema_with = relation_list::<Team>)]
    pub teams: Option<Vec<Expandable<Team>>>,
    /// The user's roles.
    #[serde(default)]
    #[schema(schema_with = relation_list::<Role>)]
    pub roles: Option<Vec<Expandable<Role>>>,
    /// The URL of the user's avatar.
    #[serde(default)]
    pub avatar: Option<String>,
    /// Whether the third party deleted the record.
    pub remote_was_deleted: bool,
    /// Field-mapping targets.
    #[serde(default)]
    pub field_mappings: Option<FieldMappings>,
    /// Raw third-party data; null unless `include_remote_data=true`.
    #[serde(default)]
    pub remote_data: Option<Vec<RemoteData>>,
}

common_model!(User, User, PaginatedUserList);
