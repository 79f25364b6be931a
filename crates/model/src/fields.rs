//! Field catalogues of the common models, and the trait that ties a model struct to its
//! [`ModelKind`].

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::common::{FieldMappings, HasId, RemoteData};
use crate::kind::ModelKind;

/// A common model's response struct (one per [`ModelKind`]).
pub trait CommonModel:
    Serialize + DeserializeOwned + ToSchema + HasId + Clone + std::fmt::Debug + Send + Sync + 'static
{
    /// Which model this is.
    const KIND: ModelKind;

    /// Builds the response object from a stored record: its [`RecordMeta`] plus the JSON object
    /// of its model-specific fields (keys from [`model_fields`], relations as UUID strings).
    /// Missing fields become null; `meta` wins over same-named keys in `fields`.
    fn from_parts(
        meta: &RecordMeta,
        fields: &Map<String, Value>,
    ) -> Result<Self, serde_json::Error> {
        let mut object = fields.clone();
        let Value::Object(base) = serde_json::to_value(meta)? else {
            return Err(serde::de::Error::custom("record meta is not an object"));
        };
        object.extend(base);
        serde_json::from_value(Value::Object(object))
    }
}

/// The fields every common model has besides its own (Merge's BASE fields).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordMeta {
    /// Merge's id of the record.
    pub id: Uuid,
    /// The third party's id.
    pub remote_id: Option<String>,
    /// When Deskbridge first stored the record.
    pub created_at: DateTime<Utc>,
    /// When Deskbridge last changed the record.
    pub modified_at: DateTime<Utc>,
    /// Whether the third party deleted the record.
    pub remote_was_deleted: bool,
    /// Field-mapping targets, if any.
    pub field_mappings: Option<FieldMappings>,
    /// Raw third-party data; null unless `include_remote_data=true`.
    pub remote_data: Option<Vec<RemoteData>>,
}

/// Names of the BASE fields, as they appear in every common model's JSON.
pub const BASE_FIELDS: &[&str] = &[
    "id",
    "remote_id",
    "created_at",
    "modified_at",
    "remote_was_deleted",
    "field_mappings",
    "remote_data",
];

/// Each model's own fields (everything except [`BASE_FIELDS`]), in Merge's order.
///
/// `Ticket.remote_fields` is not listed: like `remote_data` it is only sent on request
/// (`include_remote_fields=true`) and is omitted from the JSON when absent.
pub fn model_fields(kind: ModelKind) -> &'static [&'static str] {
    match kind {
        ModelKind::Ticket => &[
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
            "permissions",
            "tags",
            "roles",
            "ticket_url",
            "priority",
            "remote_created_at",
            "remote_updated_at",
            "completed_at",
        ],
        ModelKind::Comment => &[
            "user",
            "contact",
            "body",
            "html_body",
            "ticket",
            "is_private",
            "remote_created_at",
        ],
        ModelKind::User => &[
            "name",
            "email_address",
            "is_active",
            "teams",
            "roles",
            "avatar",
        ],
        ModelKind::Contact => &[
            "name",
            "email_address",
            "phone_number",
            "details",
            "account",
        ],
        ModelKind::Account => &["name", "domains"],
        ModelKind::Team => &["name", "description"],
        ModelKind::Tag => &["name"],
        ModelKind::Role => &["name", "ticket_actions", "ticket_access"],
        ModelKind::Attachment => &[
            "file_name",
            "ticket",
            "file_url",
            "content_type",
            "uploaded_by",
            "remote_created_at",
        ],
        ModelKind::Collection => &[
            "name",
            "description",
            "access_level",
            "collection_type",
            "parent_collection",
            "permissions",
            "collection_url",
            "remote_created_at",
            "remote_updated_at",
        ],
        ModelKind::Project => &["name", "description"],
    }
}

/// Each model's relations to other common models: `(field, related kind, is_list)`.
///
/// Relation values are UUID strings in storage, and objects when named in `expand`.
/// `permissions` (Ticket, Collection) are not listed: [`crate::Permission`] is no [`ModelKind`].
pub fn relation_fields(kind: ModelKind) -> &'static [(&'static str, ModelKind, bool)] {
    use ModelKind as K;
    match kind {
        K::Ticket => &[
            ("assignees", K::User, true),
            ("assigned_teams", K::Team, true),
            ("creator", K::User, false),
            ("collections", K::Collection, true),
            ("account", K::Account, false),
            ("contact", K::Contact, false),
            ("parent_ticket", K::Ticket, false),
            ("attachments", K::Attachment, true),
        ],
        K::Comment => &[
            ("user", K::User, false),
            ("contact", K::Contact, false),
            ("ticket", K::Ticket, false),
        ],
        K::User => &[("teams", K::Team, true), ("roles", K::Role, true)],
        K::Contact => &[("account", K::Account, false)],
        K::Attachment => &[("ticket", K::Ticket, false)],
        K::Collection => &[("parent_collection", K::Collection, false)],
        K::Account | K::Team | K::Tag | K::Role | K::Project => &[],
    }
}

/// The fields of [`crate::Viewer`] (not a [`ModelKind`]) besides `id`, `remote_id`,
/// `created_at` and `modified_at`.
pub const VIEWER_FIELDS: &[&str] = &["team", "user"];

/// The relations of [`crate::Viewer`]: `(field, related kind, is_list)`.
pub const VIEWER_RELATIONS: &[(&str, ModelKind, bool)] = &[
    ("team", ModelKind::Team, false),
    ("user", ModelKind::User, false),
];

/// Implements [`HasId`] and [`CommonModel`] for a model struct and declares its page alias.
macro_rules! common_model {
    ($ty:ident, $kind:ident, $list:ident) => {
        impl $crate::common::HasId for $ty {
            fn id(&self) -> uuid::Uuid {
                self.id
            }
        }

        impl $crate::fields::CommonModel for $ty {
            const KIND: $crate::kind::ModelKind = $crate::kind::ModelKind::$kind;
        }

        #[doc = concat!("A page of `", stringify!($ty), "` records; schema `", stringify!($list), "`.")]
        pub type $list = $crate::common::Paginated<$ty>;
    };
}
pub(crate) use common_model;
