//! Remote fields: a third party's custom fields (`include_remote_fields=true`) and their
//! classes (`/tickets/remote-field-classes`).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::common::{Expandable, HasId, Paginated};
use crate::enums::{FieldFormatEnum, FieldTypeEnum};
use crate::schema::expandable;

/// One custom field value of a record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "remote_field_class": "1b2c3d4e-5f60-4718-8a9b-0c1d2e3f4a5b",
    "value": "Gold"
}))]
pub struct RemoteField {
    /// The field's class: its id, or the object when expanded.
    #[schema(schema_with = expandable::<RemoteFieldClass>)]
    pub remote_field_class: Expandable<RemoteFieldClass>,
    /// The value (any JSON value).
    #[serde(default)]
    pub value: Value,
}

/// The definition of a custom (or common-model) field of the third party.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "1b2c3d4e-5f60-4718-8a9b-0c1d2e3f4a5b",
    "display_name": "Plan",
    "remote_key_name": "cf_plan",
    "description": "The customer's plan",
    "is_custom": true,
    "is_common_model_field": false,
    "is_required": false,
    "field_type": "string",
    "field_format": "string",
    "field_choices": [{"value": "Gold", "display_name": "Gold"}],
    "item_schema": null
}))]
pub struct RemoteFieldClass {
    /// Merge's id of the field class.
    pub id: Uuid,
    /// The field's label.
    #[serde(default)]
    pub display_name: Option<String>,
    /// The field's key in the third party's API.
    #[serde(default)]
    pub remote_key_name: Option<String>,
    /// The field's description.
    #[serde(default)]
    pub description: Option<String>,
    /// Whether the field is a custom field.
    #[serde(default)]
    pub is_custom: Option<bool>,
    /// Whether the field maps to a common-model field.
    #[serde(default)]
    pub is_common_model_field: Option<bool>,
    /// Whether the field is required.
    #[serde(default)]
    pub is_required: Option<bool>,
    /// The field's type.
    #[serde(default)]
    pub field_type: Option<FieldTypeEnum>,
    /// The field's format.
    #[serde(default)]
    pub field_format: Option<FieldFormatEnum>,
    /// The values the field may take.
    #[serde(default)]
    pub field_choices: Option<Vec<FieldChoice>>,
    /// For list fields: the schema of the items.
    #[serde(default)]
    pub item_schema: Option<ItemSchema>,
}

impl HasId for RemoteFieldClass {
    fn id(&self) -> Uuid {
        self.id
    }
}

/// One allowed value of a remote field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FieldChoice {
    /// The value (any JSON value).
    #[serde(default)]
    pub value: Value,
    /// The value's label.
    #[serde(default)]
    pub display_name: Option<String>,
}

/// The schema of a list field's items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ItemSchema {
    /// The items' type.
    #[serde(default)]
    pub item_type: Option<FieldTypeEnum>,
    /// The items' format.
    #[serde(default)]
    pub item_format: Option<FieldFormatEnum>,
    /// The values the items may take.
    #[serde(default)]
    pub item_choices: Option<Vec<String>>,
}

/// A page of remote field classes; schema `PaginatedRemoteFieldClassList`.
pub type PaginatedRemoteFieldClassList = Paginated<RemoteFieldClass>;
