//! Pieces shared by every model: remote data, field mappings, expandable relations, the
//! pagination envelope and the error body.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Ref, Schema, SchemaType, Type};
use utoipa::{PartialSchema, ToSchema};
use uuid::Uuid;

/// A model with a Merge id.
pub trait HasId {
    /// The record's Merge id.
    fn id(&self) -> Uuid;
}

/// One raw third-party response a record was built from (`include_remote_data=true`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"path": "/api/v2/tickets/42", "data": {"id": 42, "subject": "Printer on fire"}}))]
pub struct RemoteData {
    /// The third-party API path the data came from.
    pub path: String,
    /// The raw data (any JSON value).
    #[serde(default)]
    pub data: Value,
}

/// Field-mapping targets of a record: custom fields the customer mapped onto it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"organization_defined_targets": {}, "linked_account_defined_targets": {}}))]
pub struct FieldMappings {
    /// Targets defined for the whole organization.
    #[serde(default)]
    pub organization_defined_targets: Map<String, Value>,
    /// Targets defined for this linked account.
    #[serde(default)]
    pub linked_account_defined_targets: Map<String, Value>,
}

/// A relation: the related record's id, or the record itself when the relation is expanded.
///
/// On the wire this is a UUID string or an object (`#[serde(untagged)]`). Its schema is
/// `oneOf: [string/uuid, T]`; use [`crate::schema::relation`] /
/// [`crate::schema::relation_list`] with `#[schema(schema_with = ...)]` on fields of this type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Expandable<T> {
    /// The related record's id.
    Id(Uuid),
    /// The related record, expanded.
    Expanded(Box<T>),
}

impl<T: HasId> Expandable<T> {
    /// The related record's id, expanded or not.
    pub fn id(&self) -> Uuid {
        match self {
            Expandable::Id(id) => *id,
            Expandable::Expanded(model) => model.id(),
        }
    }
}

impl<T> Expandable<T> {
    /// The expanded record, if it is expanded.
    pub fn expanded(&self) -> Option<&T> {
        match self {
            Expandable::Id(_) => None,
            Expandable::Expanded(model) => Some(model),
        }
    }
}

impl<T> From<Uuid> for Expandable<T> {
    fn from(id: Uuid) -> Self {
        Expandable::Id(id)
    }
}

/// An example cursor: base64 of a Django REST Framework cursor position.
pub const EXAMPLE_CURSOR: &str = "cD0yMDIxLTAxLTA2KzAzJTNBMjQlM0E1My40MzQzMjYlMkIwMCUzQTAw";

/// A page of a list: `{next, previous, results}`; `next`/`previous` are opaque cursors.
///
/// Its schema is named `Paginated{T}List` (e.g. `PaginatedTicketList`). Refer to it in utoipa
/// attributes through the aliases (`body = PaginatedTicketList`), never as `Paginated<Ticket>`
/// (the derive would append the generic argument to the name).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Paginated<T> {
    /// The cursor of the next page, or null on the last page.
    pub next: Option<String>,
    /// The cursor of the previous page, or null on the first page.
    pub previous: Option<String>,
    /// The records of this page.
    pub results: Vec<T>,
}

impl<T> Default for Paginated<T> {
    fn default() -> Self {
        Paginated {
            next: None,
            previous: None,
            results: Vec::new(),
        }
    }
}

/// The example of `T`'s schema, if it has one.
fn schema_example<T: PartialSchema>() -> Option<Value> {
    match T::schema() {
        RefOr::T(Schema::Object(object)) => object.examples.first().cloned().or(object.example),
        _ => None,
    }
}

fn cursor_schema(description: &str, example: Value) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .description(Some(description))
        .examples([example])
}

impl<T: ToSchema> PartialSchema for Paginated<T> {
    fn schema() -> RefOr<Schema> {
        let mut object = ObjectBuilder::new()
            .schema_type(Type::Object)
            .property(
                "next",
                cursor_schema(
                    "The cursor of the next page, or null.",
                    json!(EXAMPLE_CURSOR),
                ),
            )
            .property(
                "previous",
                cursor_schema("The cursor of the previous page, or null.", Value::Null),
            )
            .property(
                "results",
                ArrayBuilder::new().items(Ref::from_schema_name(T::name())),
            )
            .required("results")
            .description(Some(format!("A page of {} records.", T::name())));
        if let Some(example) = schema_example::<T>() {
            object = object.examples([json!({
                "next": EXAMPLE_CURSOR,
                "previous": null,
                "results": [example],
            })]);
        }
        object.into()
    }
}

impl<T: ToSchema> ToSchema for Paginated<T> {
    fn name() -> Cow<'static, str> {
        Cow::Owned(format!("Paginated{}List", T::name()))
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        let name = T::name().into_owned();
        if !schemas.iter().any(|(n, _)| *n == name) {
            schemas.push((name, T::schema()));
            T::schemas(schemas);
        }
    }
}

/// Merge's (Django REST Framework's) error body: `{"detail": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"detail": "Account Token must be passed in as an X-Account-Token header."}))]
pub struct ErrorDetail {
    /// What went wrong.
    pub detail: String,
}

impl ErrorDetail {
    /// An error body with this message.
    pub fn new(detail: impl Into<String>) -> Self {
        ErrorDetail {
            detail: detail.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Thing {
        id: Uuid,
        name: Option<String>,
    }

    #[test]
    fn expandable_is_an_id_or_an_object() {
        let id = Uuid::from_u128(7);
        let as_id: Expandable<Thing> =
            serde_json::from_value(json!(id.to_string())).expect("id form");
        assert_eq!(as_id, Expandable::Id(id));
        assert_eq!(
            serde_json::to_value(&as_id).expect("ser"),
            json!(id.to_string())
        );

        let object = json!({"id": id.to_string(), "name": "x"});
        let expanded: Expandable<Thing> =
            serde_json::from_value(object.clone()).expect("object form");
        assert_eq!(
            expanded,
            Expandable::Expanded(Box::new(Thing {
                id,
                name: Some("x".into())
            }))
        );
        assert_eq!(serde_json::to_value(&expanded).expect("ser"), object);

        assert!(serde_json::from_value::<Expandable<Thing>>(json!("not-a-uuid")).is_err());
    }
}
