//! Small pure helpers shared by the mappings: ids, timestamps, relations as Deskbridge ids.

use chrono::{DateTime, SecondsFormat, Utc};
use deskbridge_model::{ModelKind, record_id};
use deskbridge_provider::{NormalizedRecord, ProviderError, RecordRef, RemoteData};
use serde_json::{Map, Value};
use uuid::Uuid;

/// The id of an object as a string (Zendesk ids are 64-bit integers).
pub fn remote_id_of(raw: &Value) -> Option<String> {
    id_string(raw.get("id")?)
}

/// An id value (number or non-empty string) as a string.
pub fn id_string(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .map(|i| i.to_string())
            .or_else(|| Some(n.to_string())),
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

pub(crate) fn require_id(raw: &Value, what: &str) -> Result<String, ProviderError> {
    remote_id_of(raw).ok_or_else(|| ProviderError::Protocol(format!("a {what} without an id")))
}

/// Parses a Zendesk timestamp (`2024-02-07T02:09:01Z`, or any RFC 3339).
pub fn parse_ts(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.with_timezone(&Utc))
}

/// Formats a timestamp as Merge and Zendesk write them: `2024-02-07T02:09:01Z`.
pub fn format_ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub(crate) fn ts_field(raw: &Value, key: &str) -> Value {
    raw.get(key)
        .and_then(|v| parse_ts(v).map(|t| Value::String(format_ts(t))))
        .unwrap_or(Value::Null)
}

pub(crate) fn str_field(raw: &Value, key: &str) -> Value {
    match raw.get(key) {
        Some(Value::String(s)) => Value::String(s.clone()),
        _ => Value::Null,
    }
}

pub(crate) fn flag(raw: &Value, key: &str) -> bool {
    raw.get(key).and_then(Value::as_bool).unwrap_or(false)
}

/// Collects relations of one record as Deskbridge ids and [`RecordRef`]s.
pub(crate) struct Rel<'a> {
    pub(crate) la: Uuid,
    pub(crate) refs: &'a mut Vec<RecordRef>,
}

impl Rel<'_> {
    /// The Deskbridge id of a related record (null for a null or missing id).
    pub(crate) fn id(&mut self, kind: ModelKind, remote: Option<&Value>) -> Value {
        match remote.and_then(id_string) {
            Some(rid) => {
                let id = record_id(self.la, kind, &rid).to_string();
                let r = RecordRef {
                    kind,
                    remote_id: rid,
                };
                if !self.refs.contains(&r) {
                    self.refs.push(r);
                }
                Value::String(id)
            }
            None => Value::Null,
        }
    }

    /// A list of Deskbridge ids from an array (or one value) of remote ids.
    pub(crate) fn list(&mut self, kind: ModelKind, remote: Option<&Value>) -> Value {
        let ids: Vec<Value> = match remote {
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| self.id(kind, Some(v)))
                .filter(|v| !v.is_null())
                .collect(),
            Some(v) if !v.is_null() => {
                let id = self.id(kind, Some(v));
                if id.is_null() { vec![] } else { vec![id] }
            }
            _ => vec![],
        };
        Value::Array(ids)
    }
}

/// A normalised record with Merge's `[{path, data}]` remote data.
pub(crate) fn record(
    kind: ModelKind,
    remote_id: String,
    fields: Map<String, Value>,
    path: String,
    raw: &Value,
    refs: Vec<RecordRef>,
    deleted: bool,
) -> NormalizedRecord {
    NormalizedRecord {
        kind,
        remote_id,
        fields,
        remote_data: RemoteData::entry(&path, raw),
        volatile_keys: &[],
        refs,
        remote_was_deleted: deleted,
    }
}

/// The raw data stored (and hashed) for a ticket, comment or attachment: the object with its
/// keys sorted. Why: a ticket is read by the export and, after a push, by `GET /tickets/{id}`;
/// the content hash sees the order of the keys, so both must store one shape, or each pushed
/// ticket could count as changed again at the next sync (moving `modified_at`, queuing a
/// spurious `Ticket.changed`).
pub(crate) fn canonical_raw(raw: &Value) -> Value {
    match raw {
        Value::Object(m) => {
            let mut out = m.clone();
            out.sort_keys();
            Value::Object(out)
        }
        other => other.clone(),
    }
}

/// Keys of a ticket left out of its content hash (kept in `remote_data`): the export's
/// `generated_timestamp`, its cursor, which `GET /tickets/{id}` (the targeted fetch after a
/// push) lacks and which moves without any change a product can see.
pub(crate) const TICKET_VOLATILE_KEYS: &[&str] = &["generated_timestamp"];
