//! `Permission`: who may do what with a ticket or collection.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::common::{FieldMappings, HasId};
use crate::enums::{ActionsEnum, EffectEnum};

/// A permission on a ticket or collection. It has no `remote_data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Permission {
    /// Merge's id of the record.
    pub id: Uuid,
    /// The third party's id.
    #[serde(default)]
    pub remote_id: Option<String>,
    /// When Deskbridge first stored the record.
    pub created_at: DateTime<Utc>,
    /// When Deskbridge last changed the record.
    pub modified_at: DateTime<Utc>,
    /// Whether the permission allows or denies.
    #[serde(default)]
    pub effect: Option<EffectEnum>,
    /// The actions it covers.
    #[serde(default)]
    pub actions: Option<Vec<ActionsEnum>>,
    /// The users it applies to.
    #[serde(default)]
    pub applied_to_users: Option<Vec<String>>,
    /// The roles it applies to.
    #[serde(default)]
    pub applied_to_roles: Option<Vec<String>>,
    /// The teams it applies to.
    #[serde(default)]
    pub applied_to_teams: Option<Vec<String>>,
    /// The collections it applies to.
    #[serde(default)]
    pub applied_to_collections: Option<Vec<String>>,
    /// Whether the third party deleted the record.
    pub remote_was_deleted: bool,
    /// Field-mapping targets.
    #[serde(default)]
    pub field_mappings: Option<FieldMappings>,
}

impl HasId for Permission {
    fn id(&self) -> Uuid {
        self.id
    }
}
