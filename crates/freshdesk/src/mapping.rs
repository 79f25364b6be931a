//! Pure mapping of Freshdesk objects to Merge's common models.
//!
//! Every function here is deterministic and does no I/O. Relations are Deskbridge ids
//! (`record_id(linked_account_id, kind, remote_id)`) as UUID strings, and every relation
//! also yields a [`RecordRef`] so that shell records can be created.

use std::collections::HashSet;

use chrono::{DateTime, SecondsFormat, Utc};
use deskbridge_model::{ModelKind, record_id};
use deskbridge_provider::{NormalizedRecord, ProviderError, RecordRef, RemoteData};
use serde_json::{Map, Value, json};
use url::Url;
use uuid::Uuid;

use crate::domain::ticket_url;

mod people;
pub use people::*;
pub(crate) mod raw;
mod tickets;
pub use tickets::*;

/// Keys holding signed URLs that change on every fetch.
pub const ATTACHMENT_VOLATILE_KEYS: &[&str] = &["file_url", "attachment_url", "thumb_url"];
/// Tickets and comments embed attachments (with signed URLs) in their raw data.
pub const EMBEDDED_ATTACHMENT_VOLATILE_KEYS: &[&str] = &["attachment_url", "thumb_url"];
/// Avatars are signed URLs too.
pub const USER_VOLATILE_KEYS: &[&str] = &["avatar", "avatar_url"];

/// Freshdesk's ticket status code → Merge's `TicketStatusEnum`.
///
/// 2 Open → OPEN, 3 Pending → ON_HOLD, 4 Resolved and 5 Closed → CLOSED, custom statuses
/// (6 and up) → IN_PROGRESS; anything else → `None`.
pub fn ticket_status(code: i64) -> Option<&'static str> {
    match code {
        2 => Some("OPEN"),
        3 => Some("ON_HOLD"),
        4 | 5 => Some("CLOSED"),
        c if c >= 6 => Some("IN_PROGRESS"),
        _ => None,
    }
}

/// Freshdesk's priority code → Merge's `PriorityEnum`.
pub fn ticket_priority(code: i64) -> Option<&'static str> {
    match code {
        1 => Some("LOW"),
        2 => Some("NORMAL"),
        3 => Some("HIGH"),
        4 => Some("URGENT"),
        _ => None,
    }
}

/// Freshdesk's default labels of the built-in statuses (custom ones come from
/// `GET /ticket_fields`).
pub fn default_status_label(code: i64) -> Option<&'static str> {
    match code {
        2 => Some("Open"),
        3 => Some("Pending"),
        4 => Some("Resolved"),
        5 => Some("Closed"),
        _ => None,
    }
}

/// The raw `custom_fields` of a ticket (keys keep Freshdesk's `cf_` prefix), for the API's
/// `include_remote_fields`. Custom fields are not copied into the common-model fields.
pub fn ticket_custom_fields(raw: &Value) -> Map<String, Value> {
    raw.get("custom_fields")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// The id of an object as a string (Freshdesk ids are integers up to 14 digits).
pub fn remote_id_of(raw: &Value) -> Option<String> {
    id_string(raw.get("id")?)
}

pub(crate) fn id_string(v: &Value) -> Option<String> {
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

/// Parses a Freshdesk timestamp (`2024-12-04T22:00:00Z`, or any RFC 3339).
pub fn parse_ts(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.with_timezone(&Utc))
}

/// Formats a timestamp the way Merge and Freshdesk write them: `2024-12-04T22:00:00Z`.
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

pub(crate) struct Rel<'a> {
    la: Uuid,
    refs: &'a mut Vec<RecordRef>,
}

impl Rel<'_> {
    /// The Deskbridge id of a related record, recording the reference.
    pub(crate) fn id(&mut self, kind: ModelKind, remote: &Value) -> Value {
        match id_string(remote) {
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

    pub(crate) fn list(&mut self, kind: ModelKind, remote: Option<&Value>) -> Value {
        let ids = match remote {
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| self.id(kind, v))
                .filter(|v| !v.is_null())
                .collect(),
            Some(v) if !v.is_null() => {
                let id = self.id(kind, v);
                if id.is_null() { vec![] } else { vec![id] }
            }
            _ => vec![],
        };
        Value::Array(ids)
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn record(
    kind: ModelKind,
    remote_id: String,
    fields: Map<String, Value>,
    path: String,
    raw: Value,
    volatile_keys: &'static [&'static str],
    refs: Vec<RecordRef>,
    deleted: bool,
) -> NormalizedRecord {
    NormalizedRecord {
        kind,
        remote_id,
        fields,
        remote_data: RemoteData::entry(&path, &raw),
        volatile_keys,
        refs,
        remote_was_deleted: deleted,
    }
}

/// The raw data stored (and hashed) for a ticket, conversation or attachment: the object
/// with its keys sorted and without `drop`. Why: the same record is read through different
/// calls (a list item enriched with the view by the sync, one view with conversations after a
/// push) that emit their keys in different orders; the content hash sees key order, so
/// without one canonical shape every pushed ticket would count as changed again at the next
/// sync (moving `modified_at`, queuing a spurious `Ticket.changed`).
/// Takes the object by value: the sync maps each answer once, so nothing is copied.
pub(crate) fn canonical_raw(raw: Value, drop: &[&str]) -> Value {
    match raw {
        Value::Object(mut m) => {
            m.retain(|k, _| !drop.contains(&k.as_str()));
            m.sort_keys();
            Value::Object(m)
        }
        other => other,
    }
}

/// Keys a stored ticket never keeps: `conversations` are records of their own, and
/// `associated_tickets_count` and `structured_description` appear in list items only, which a
/// targeted fetch (one view) never sees.
pub(crate) const TICKET_NOT_STORED: &[&str] = &[
    "conversations",
    "associated_tickets_count",
    "structured_description",
];

pub(crate) fn flag(raw: &Value, key: &str) -> bool {
    raw.get(key).and_then(Value::as_bool).unwrap_or(false)
}

/// `completed_at` of a ticket: for status 4 (Resolved) `stats.resolved_at`, for status 5
/// (Closed) `stats.closed_at`, each falling back to the other; null for every other status
/// and whenever `stats` was not fetched.
pub fn ticket_completed_at(raw: &Value) -> Value {
    let status = raw.get("status").and_then(Value::as_i64).unwrap_or(0);
    let Some(stats) = raw.get("stats").filter(|s| s.is_object()) else {
        return Value::Null;
    };
    let order: &[&str] = match status {
        4 => &["resolved_at", "closed_at"],
        5 => &["closed_at", "resolved_at"],
        _ => return Value::Null,
    };
    order
        .iter()
        .map(|k| ts_field(stats, k))
        .find(|v| !v.is_null())
        .unwrap_or(Value::Null)
}

/// The parent of a child ticket (`association_type` 2): the first id of
/// `associated_tickets_list`, which only the ticket **view** carries. Null otherwise.
pub fn ticket_parent_id(raw: &Value) -> Option<Value> {
    if raw.get("association_type").and_then(Value::as_i64) != Some(2) {
        return None;
    }
    raw.get("associated_tickets_list")
        .and_then(Value::as_array)
        .and_then(|l| l.first())
        .cloned()
}

/// Who wrote a conversation: a `User` (agent) or a `Contact`.
///
/// With a known set of agent ids, membership decides. Without one (`None` or empty),
/// `incoming: true` means a contact wrote it, otherwise an agent did.
pub fn comment_author_kind(
    user_id: &str,
    incoming: bool,
    known_agents: Option<&HashSet<String>>,
) -> ModelKind {
    match known_agents {
        Some(agents) if !agents.is_empty() => {
            if agents.contains(user_id) {
                ModelKind::User
            } else {
                ModelKind::Contact
            }
        }
        _ => {
            if incoming {
                ModelKind::Contact
            } else {
                ModelKind::User
            }
        }
    }
}

/// Maps a conversation (reply or note) to a Comment. See [`comment_author_kind`]. (The sync
/// maps conversations from the answer's text instead, with the same result: [`raw`].)
pub fn map_comment(
    linked_account_id: Uuid,
    raw: &Value,
    known_agents: Option<&HashSet<String>>,
) -> Result<NormalizedRecord, ProviderError> {
    let p = comment_parts(linked_account_id, raw, known_agents)?;
    Ok(record(
        ModelKind::Comment,
        p.remote_id,
        p.fields,
        p.path,
        canonical_raw(raw.clone(), &[]),
        EMBEDDED_ATTACHMENT_VOLATILE_KEYS,
        p.refs,
        false,
    ))
}

/// What a mapping derives from an object: everything but its raw data, so the sync's path
/// ([`raw`]) and the `Value` path share it.
pub(crate) struct Parts {
    pub(crate) remote_id: String,
    pub(crate) fields: Map<String, Value>,
    pub(crate) path: String,
    pub(crate) refs: Vec<RecordRef>,
}

/// The members of a conversation that [`comment_parts`] reads.
pub(crate) const COMMENT_READS: &[&str] = &[
    "body",
    "body_text",
    "created_at",
    "id",
    "incoming",
    "private",
    "ticket_id",
    "user_id",
];

pub(crate) fn comment_parts(
    linked_account_id: Uuid,
    raw: &Value,
    known_agents: Option<&HashSet<String>>,
) -> Result<Parts, ProviderError> {
    let rid = require_id(raw, "conversation")?;
    let mut refs = Vec::new();
    let mut rel = Rel {
        la: linked_account_id,
        refs: &mut refs,
    };
    let mut f = Map::new();
    let (mut user, mut contact) = (Value::Null, Value::Null);
    if let Some(uid) = raw.get("user_id").and_then(id_string) {
        let uid_v = Value::String(uid.clone());
        match comment_author_kind(&uid, flag(raw, "incoming"), known_agents) {
            ModelKind::User => user = rel.id(ModelKind::User, &uid_v),
            _ => contact = rel.id(ModelKind::Contact, &uid_v),
        }
    }
    f.insert("user".into(), user);
    f.insert("contact".into(), contact);
    f.insert("body".into(), str_field(raw, "body_text"));
    f.insert("html_body".into(), str_field(raw, "body"));
    let ticket_rid = raw.get("ticket_id").and_then(id_string);
    let ticket = raw
        .get("ticket_id")
        .map_or(Value::Null, |v| rel.id(ModelKind::Ticket, v));
    f.insert("ticket".into(), ticket);
    f.insert("is_private".into(), Value::Bool(flag(raw, "private")));
    f.insert("remote_created_at".into(), ts_field(raw, "created_at"));
    let path = match ticket_rid {
        Some(t) => format!("/tickets/{t}/conversations"),
        None => "/conversations".into(),
    };
    Ok(Parts {
        remote_id: rid,
        fields: f,
        path,
        refs,
    })
}

/// Maps an attachment of a ticket or of one of its conversations. `path` is where it was
/// read (e.g. `/tickets/7` or `/tickets/7/conversations`).
pub fn map_attachment(
    linked_account_id: Uuid,
    ticket_remote_id: &str,
    raw: &Value,
    path: &str,
) -> Result<NormalizedRecord, ProviderError> {
    let p = attachment_parts(linked_account_id, ticket_remote_id, raw)?;
    Ok(record(
        ModelKind::Attachment,
        p.remote_id,
        p.fields,
        path.to_string(),
        canonical_raw(raw.clone(), &[]),
        ATTACHMENT_VOLATILE_KEYS,
        p.refs,
        false,
    ))
}

/// The members of an attachment that [`attachment_parts`] reads.
pub(crate) const ATTACHMENT_READS: &[&str] =
    &["attachment_url", "content_type", "created_at", "id", "name"];

/// An attachment's [`Parts`] (its `path` is the caller's).
pub(crate) fn attachment_parts(
    linked_account_id: Uuid,
    ticket_remote_id: &str,
    raw: &Value,
) -> Result<Parts, ProviderError> {
    let rid = require_id(raw, "attachment")?;
    let mut refs = Vec::new();
    let mut rel = Rel {
        la: linked_account_id,
        refs: &mut refs,
    };
    let mut f = Map::new();
    f.insert("file_name".into(), str_field(raw, "name"));
    let ticket = rel.id(
        ModelKind::Ticket,
        &Value::String(ticket_remote_id.to_string()),
    );
    f.insert("ticket".into(), ticket);
    f.insert("file_url".into(), str_field(raw, "attachment_url"));
    f.insert("content_type".into(), str_field(raw, "content_type"));
    f.insert("uploaded_by".into(), Value::Null);
    f.insert("remote_created_at".into(), ts_field(raw, "created_at"));
    Ok(Parts {
        remote_id: rid,
        fields: f,
        path: String::new(),
        refs,
    })
}

pub use crate::ticket_fields::status_labels as status_labels_from_fields;
