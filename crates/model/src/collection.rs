//! `Collection`: a project, list or other grouping of tickets.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::Permission;
use crate::common::{Expandable, FieldMappings, RemoteData};
use crate::enums::{CollectionAccessLevelEnum, CollectionTypeEnum, EnumOrString};
use crate::fields::common_model;
use crate::schema::{enum_or_string, relation, relation_list};

/// A grouping of tickets (`ticketing.Collection`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "563c5e6f-3b04-4a60-a3d1-7bc9e5c9c74b",
    "remote_id": "19202938",
    "created_at": "2021-09-15T00:00:00Z",
    "modified_at": "2021-10-16T00:00:00Z",
    "name": "Q1 Platform",
    "description": "For tracking all integration work in Q1",
    "access_level": "PRIVATE",
    "collection_type": "PROJECT",
    "parent_collection": null,
    "permissions": [],
    "collection_url": null,
    "remote_created_at": null,
    "remote_updated_at": null,
    "remote_was_deleted": false,
    "field_mappings": null,
    "remote_data": null
}))]
pub struct Collection {
    /// Merge's id of the record.
    pub id: Uuid,
    /// The third party's id.
    #[serde(default)]
    pub remote_id: Option<String>,
    /// When Deskbridge first stored the record.
    pub created_at: DateTime<Utc>,
    /// When Deskbridge last changed the record.
    pub modified_at: DateTime<Utc>,
    /// The collection's name.
    #[serde(default)]
    pub name: Option<String>,
    /// The collection's description.
    #[serde(default)]
    pub description: Option<String>,
    /// Who can see the collection.
    #[serde(default)]
    pub access_level: Option<CollectionAccessLevelEnum>,
    /// The kind of collection; the third party's own label under
    /// `show_enum_origins=collection_type`.
    #[serde(default)]
    #[schema(schema_with = enum_or_string::<CollectionTypeEnum>)]
    pub collection_type: Option<EnumOrString<CollectionTypeEnum>>,
    /// The parent collection.
    #[serde(default)]
    #[schema(schema_with = relation::<Collection>)]
    pub parent_collection: Option<Expandable<Collection>>,
    /// The collection's permissions.
    #[serde(default)]
    #[schema(schema_with = relation_list::<Permission>)]
    pub permissions: Option<Vec<Expandable<Permission>>>,
    /// The collection's URL in the third party's UI.
    #[serde(default)]
    pub collection_url: Option<String>,
    /// When the third party created the collection.
    #[serde(default)]
    pub remote_created_at: Option<DateTime<Utc>>,
    /// When the third party last updated the collection.
    #[serde(default)]
    pub remote_updated_at: Option<DateTime<Utc>>,
    /// Whether the third party deleted the record.
    pub remote_was_deleted: bool,
    /// Field-mapping targets.
    #[serde(default)]
    pub field_mappings: Option<FieldMappings>,
    /// Raw third-party data; null unless `include_remote_data=true`.
    #[serde(default)]
    pub remote_data: Option<Vec<RemoteData>>,
}

common_model!(Collection, Collection, PaginatedCollectionList);
