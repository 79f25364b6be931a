//! `Viewer`: a user or team that can see a ticket or collection.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::common::{Expandable, HasId, Paginated};
use crate::schema::relation;
use crate::{Team, User};

/// Who can see a ticket or collection (`/tickets/{id}/viewers`, `/collections/{id}/viewers`).
///
/// Unlike the common models it has no `remote_was_deleted`, `field_mappings` or `remote_data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "8a2d4c1e-5b6f-4e7a-9c8d-0e1f2a3b4c5d",
    "remote_id": "19202938",
    "created_at": "2021-09-15T00:00:00Z",
    "modified_at": "2021-10-16T00:00:00Z",
    "team": null,
    "user": "17a54124-287f-494d-965e-3c5b330c9a68"
}))]
pub struct Viewer {
    /// Merge's id of the record.
    pub id: Uuid,
    /// The third party's id.
    #[serde(default)]
    pub remote_id: Option<String>,
    /// When Deskbridge first stored the record.
    pub created_at: DateTime<Utc>,
    /// When Deskbridge last changed the record.
    pub modified_at: DateTime<Utc>,
    /// The team that can see it.
    #[serde(default)]
    #[schema(schema_with = relation::<Team>)]
    pub team: Option<Expandable<Team>>,
    /// The user that can see it.
    #[serde(default)]
    #[schema(schema_with = relation::<User>)]
    pub user: Option<Expandable<User>>,
}

impl HasId for Viewer {
    fn id(&self) -> Uuid {
        self.id
    }
}

/// A page of viewers; schema `PaginatedViewerList`.
pub type PaginatedViewerList = Paginated<Viewer>;
