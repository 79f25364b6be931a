//! One stored record in Merge's shape. It lives here, beside the model's field lists, so the
//! API's read path (`GET /{model}/{id}`, lists, `expand`) and the changed-data webhooks
//! (`{Model}.added|changed|removed`, queued by the store) render a record the same way: a
//! webhook's `data` is exactly what the API answers for that record.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::{ModelKind, model_fields};

/// The parts of a stored record that its rendering reads.
#[derive(Debug, Clone, Copy)]
pub struct RecordParts<'a> {
    /// Deskbridge id.
    pub id: Uuid,
    /// Provider id.
    pub remote_id: &'a str,
    /// The model's own fields (a JSON object).
    pub fields: &'a Value,
    /// Known only as a reference: its own fields render as null.
    pub is_shell: bool,
    /// Deleted at the provider.
    pub remote_was_deleted: bool,
    /// When Deskbridge created it.
    pub created_at: DateTime<Utc>,
    /// When Deskbridge last changed it.
    pub modified_at: DateTime<Utc>,
    /// Raw provider data, when it was asked for (`null` otherwise).
    pub remote_data: Option<&'a Value>,
}

/// A timestamp as the API writes it (RFC 3339, microseconds, `Z`).
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// A record in Merge's shape (relations as ids): `id`, `remote_id`, `created_at`,
/// `modified_at`, the model's fields in order, `remote_was_deleted`, `field_mappings`,
/// `remote_data`.
pub fn record_json(kind: ModelKind, r: &RecordParts<'_>) -> Map<String, Value> {
    let mut o = Map::new();
    o.insert("id".into(), Value::String(r.id.to_string()));
    o.insert("remote_id".into(), Value::String(r.remote_id.to_string()));
    o.insert("created_at".into(), Value::String(timestamp(r.created_at)));
    o.insert(
        "modified_at".into(),
        Value::String(timestamp(r.modified_at)),
    );
    for f in model_fields(kind) {
        let v = if r.is_shell {
            Value::Null
        } else {
            r.fields.get(*f).cloned().unwrap_or(Value::Null)
        };
        o.insert((*f).to_string(), v);
    }
    o.insert(
        "remote_was_deleted".into(),
        Value::Bool(r.remote_was_deleted),
    );
    o.insert(
        "field_mappings".into(),
        json!({"organization_defined_targets": {}, "linked_account_defined_targets": {}}),
    );
    o.insert(
        "remote_data".into(),
        r.remote_data.cloned().unwrap_or(Value::Null),
    );
    o
}
