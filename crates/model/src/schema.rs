//! Hand-built schemas for fields the derive cannot describe, used with
//! `#[schema(schema_with = ...)]`.
//!
//! Relations and [`EnumOrString`](crate::EnumOrString) fields only *reference* other components by
//! name here, so the schemas they point to must be registered: [`crate::ModelSchemas`] registers
//! every schema of this crate.

use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    AnyOfBuilder, ArrayBuilder, KnownFormat, ObjectBuilder, OneOfBuilder, Ref, Schema,
    SchemaFormat, SchemaType, Type,
};

fn null() -> Schema {
    ObjectBuilder::new().schema_type(Type::Null).into()
}

fn uuid_string() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
        .into()
}

fn reference<T: ToSchema>() -> Ref {
    Ref::from_schema_name(T::name())
}

/// `oneOf: [string/uuid, T]`: a relation that is an id, or the object when expanded.
pub fn expandable<T: ToSchema>() -> RefOr<Schema> {
    OneOfBuilder::new()
        .item(uuid_string())
        .item(reference::<T>())
        .into()
}

/// A nullable single relation: `oneOf: [string/uuid, T, null]`.
pub fn relation<T: ToSchema>() -> RefOr<Schema> {
    OneOfBuilder::new()
        .item(uuid_string())
        .item(reference::<T>())
        .item(null())
        .description(Some(format!(
            "The related {}'s id, or the object itself when the field is named in `expand`.",
            T::name()
        )))
        .into()
}

/// A nullable list of relations: `type: [array, null]`, items `oneOf: [string/uuid, T]`.
pub fn relation_list<T: ToSchema>() -> RefOr<Schema> {
    ArrayBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
        .items(expandable::<T>())
        .description(Some(format!(
            "The related {}s' ids, or the objects themselves when the field is named in `expand`.",
            T::name()
        )))
        .into()
}

/// A nullable value of enum `E` or any other string: `anyOf: [E, string, null]`.
pub fn enum_or_string<E: ToSchema>() -> RefOr<Schema> {
    AnyOfBuilder::new()
        .item(reference::<E>())
        .item(ObjectBuilder::new().schema_type(Type::String))
        .item(null())
        .description(Some(format!(
            "One of {}, or the third party's own value when the field is named in \
             `show_enum_origins`.",
            E::name()
        )))
        .into()
}
