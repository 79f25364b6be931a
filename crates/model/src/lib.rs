//! Deskbridge's common ticketing model, in Merge's Ticketing API wire format.
//!
//! Pure types: serde for the wire, utoipa for the OpenAPI schemas. No I/O.

pub mod kind;

pub use kind::{ModelKind, record_id};
