//! Pure mapping of Zendesk objects to Merge's common models (reference §7).
//!
//! Every function here is deterministic and does no I/O. Relations are Deskbridge ids
//! (`record_id(linked_account_id, kind, remote_id)`), and every relation also yields a
//! [`deskbridge_provider::RecordRef`] so that shell records can be created. The table of what
//! maps where is `docs/providers/zendesk.md`.

use std::collections::HashMap;

use deskbridge_model::ModelKind;
use deskbridge_provider::{NormalizedRecord, ProviderError, RemoteData};
use serde_json::{Map, Value, json};
use url::Url;
use uuid::Uuid;

use crate::domain::ticket_url;
use crate::fields::{
    Rel, TICKET_VOLATILE_KEYS, canonical_raw, flag, id_string, record, require_id, str_field,
    ts_field,
};
pub use crate::roles::{builtin_roles, map_role, ticket_access};

/// What ticket mapping needs to know beyond the ticket itself.
#[derive(Debug, Clone, Default)]
pub struct Lookups {
    /// User id → `role` (`end-user`, `agent`, `admin`), from side-loaded users.
    pub roles: HashMap<String, String>,
    /// Custom status id → `status_category`, from `GET /custom_statuses`.
    pub status_categories: HashMap<String, String>,
}

impl Lookups {
    /// Adds the users of a side-load (`users: [...]`).
    pub fn add_users(&mut self, users: Option<&Value>) {
        for u in users.and_then(Value::as_array).into_iter().flatten() {
            if let (Some(id), Some(role)) = (
                u.get("id").and_then(id_string),
                u.get("role").and_then(Value::as_str),
            ) {
                self.roles.insert(id, role.to_string());
            }
        }
    }

    /// Whether a user is known to be an agent or admin (`None`: unknown).
    pub fn is_staff(&self, user: Option<&Value>) -> Option<bool> {
        let id = user.and_then(id_string)?;
        self.roles.get(&id).map(|r| r != "end-user")
    }
}

/// Zendesk's ticket status (or custom status category) → Merge's `TicketStatusEnum`: `new`
/// and `open` → OPEN, `pending` and `hold` → ON_HOLD, `solved` and `closed` → CLOSED;
/// `deleted` and anything else → `None`.
pub fn ticket_status(status: &str) -> Option<&'static str> {
    match status {
        "new" | "open" => Some("OPEN"),
        "pending" | "hold" => Some("ON_HOLD"),
        "solved" | "closed" => Some("CLOSED"),
        _ => None,
    }
}

/// Zendesk's priority → Merge's `PriorityEnum` (the same four values).
pub fn ticket_priority(priority: &str) -> Option<&'static str> {
    match priority {
        "low" => Some("LOW"),
        "normal" => Some("NORMAL"),
        "high" => Some("HIGH"),
        "urgent" => Some("URGENT"),
        _ => None,
    }
}

/// The status category of a ticket: its custom status's `status_category` when the account's
/// custom statuses are known (`closed` stays `closed`: it shares the `solved` category), else
/// its `status`.
pub fn status_category<'a>(raw: &'a Value, lookups: &'a Lookups) -> Option<&'a str> {
    let status = raw.get("status").and_then(Value::as_str)?;
    if matches!(status, "closed" | "deleted") {
        return Some(status);
    }
    raw.get("custom_status_id")
        .and_then(id_string)
        .and_then(|id| lookups.status_categories.get(&id))
        .map(String::as_str)
        .or(Some(status))
}

/// The value `show_enum_origins` shows for a ticket's enum field, from the ticket's raw
/// object and the account's stored metadata: `status` → the agent label of its custom status
/// (`custom_statuses` metadata, e.g. "Waiting on vendor"), else Zendesk's `status`;
/// `priority` → Zendesk's `priority`; `ticket_type` → Zendesk's `type`.
pub fn enum_origin(field: &str, raw: &Value, metadata: &Map<String, Value>) -> Option<String> {
    let s = |k: &str| raw.get(k).and_then(Value::as_str).map(str::to_string);
    match field {
        "status" => {
            let label = raw
                .get("custom_status_id")
                .and_then(id_string)
                .and_then(|id| {
                    metadata
                        .get("custom_statuses")?
                        .as_array()?
                        .iter()
                        .find(|c| c.get("id").and_then(id_string).as_deref() == Some(id.as_str()))?
                        .get("agent_label")?
                        .as_str()
                        .map(str::to_string)
                });
            match s("status").as_deref() {
                Some("closed" | "deleted") => s("status"),
                _ => label.or_else(|| s("status")),
            }
        }
        "priority" => s("priority"),
        "ticket_type" => s("type"),
        _ => None,
    }
}

/// The raw custom field values of a ticket by field id (`custom_fields: [{id, value}]`), for
/// `remote_fields`.
pub fn ticket_custom_fields(raw: &Value) -> Map<String, Value> {
    raw.get("custom_fields")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|f| Some((id_string(f.get("id")?)?, f.get("value")?.clone())))
        .collect()
}

/// Maps a ticket (export item, list item, show, or write answer).
///
/// `status: "deleted"` (the export's deleted and scrubbed tickets) → `remote_was_deleted` and
/// no status. Archived tickets are ordinary closed tickets. `creator` is the submitter when
/// the side-loaded users say it is an agent; `contact` the requester unless it is known to be
/// an agent.
pub fn map_ticket(
    la: Uuid,
    base: &Url,
    raw: &Value,
    lookups: &Lookups,
) -> Result<NormalizedRecord, ProviderError> {
    let rid = require_id(raw, "ticket")?;
    let mut refs = Vec::new();
    let mut rel = Rel {
        la,
        refs: &mut refs,
    };
    let deleted = raw.get("status").and_then(Value::as_str) == Some("deleted");
    let mut f = Map::new();
    f.insert("name".into(), str_field(raw, "subject"));
    f.insert(
        "assignees".into(),
        rel.list(ModelKind::User, raw.get("assignee_id")),
    );
    f.insert(
        "assigned_teams".into(),
        rel.list(ModelKind::Team, raw.get("group_id")),
    );
    let creator = match lookups.is_staff(raw.get("submitter_id")) {
        Some(true) => rel.id(ModelKind::User, raw.get("submitter_id")),
        _ => Value::Null,
    };
    f.insert("creator".into(), creator);
    f.insert("due_date".into(), ts_field(raw, "due_at"));
    let status = status_category(raw, lookups).and_then(ticket_status);
    f.insert(
        "status".into(),
        status.map_or(Value::Null, |s| Value::String(s.into())),
    );
    f.insert("description".into(), str_field(raw, "description"));
    f.insert("collections".into(), json!([]));
    f.insert("ticket_type".into(), str_field(raw, "type"));
    let account = rel.id(ModelKind::Account, raw.get("organization_id"));
    f.insert("account".into(), account);
    let contact = match lookups.is_staff(raw.get("requester_id")) {
        Some(true) => Value::Null,
        _ => rel.id(ModelKind::Contact, raw.get("requester_id")),
    };
    f.insert("contact".into(), contact);
    let parent = rel.id(ModelKind::Ticket, raw.get("problem_id"));
    f.insert("parent_ticket".into(), parent);
    f.insert("attachments".into(), json!([]));
    f.insert("access_level".into(), Value::Null);
    f.insert("permissions".into(), json!([]));
    let tags: Vec<Value> = raw
        .get("tags")
        .and_then(Value::as_array)
        .map(|t| t.iter().filter(|v| v.is_string()).cloned().collect())
        .unwrap_or_default();
    f.insert("tags".into(), Value::Array(tags));
    f.insert("roles".into(), Value::Null);
    f.insert("ticket_url".into(), Value::String(ticket_url(base, &rid)));
    let priority = raw
        .get("priority")
        .and_then(Value::as_str)
        .and_then(ticket_priority);
    f.insert(
        "priority".into(),
        priority.map_or(Value::Null, |p| Value::String(p.into())),
    );
    f.insert("remote_created_at".into(), ts_field(raw, "created_at"));
    f.insert("remote_updated_at".into(), ts_field(raw, "updated_at"));
    let completed = if status == Some("CLOSED") {
        raw.get("dates")
            .map(|d| ts_field(d, "solved_at"))
            .or_else(|| raw.get("metric_set").map(|m| ts_field(m, "solved_at")))
            .unwrap_or(Value::Null)
    } else {
        Value::Null
    };
    f.insert("completed_at".into(), completed);
    let mut r = record(
        ModelKind::Ticket,
        rid,
        f,
        "/incremental/tickets/cursor".into(),
        &canonical_raw(raw),
        refs,
        deleted,
    );
    r.volatile_keys = TICKET_VOLATILE_KEYS;
    Ok(r)
}

/// Maps a comment of ticket `ticket_id`. The author is a `user` when `author_is_staff`, a
/// `contact` otherwise (unknown authors count as contacts, like end-users).
pub fn map_comment(
    la: Uuid,
    ticket_id: &str,
    raw: &Value,
    author_is_staff: Option<bool>,
) -> Result<NormalizedRecord, ProviderError> {
    let rid = require_id(raw, "comment")?;
    let mut refs = Vec::new();
    let mut rel = Rel {
        la,
        refs: &mut refs,
    };
    let mut f = Map::new();
    let (user, contact) = if author_is_staff == Some(true) {
        (rel.id(ModelKind::User, raw.get("author_id")), Value::Null)
    } else {
        (
            Value::Null,
            rel.id(ModelKind::Contact, raw.get("author_id")),
        )
    };
    f.insert("user".into(), user);
    f.insert("contact".into(), contact);
    let body = match str_field(raw, "plain_body") {
        Value::String(s) => Value::String(s),
        _ => str_field(raw, "body"),
    };
    f.insert("body".into(), body);
    f.insert("html_body".into(), str_field(raw, "html_body"));
    let ticket = rel.id(ModelKind::Ticket, Some(&Value::String(ticket_id.into())));
    f.insert("ticket".into(), ticket);
    let public = raw.get("public").and_then(Value::as_bool).unwrap_or(true);
    f.insert("is_private".into(), Value::Bool(!public));
    f.insert("remote_created_at".into(), ts_field(raw, "created_at"));
    Ok(record(
        ModelKind::Comment,
        rid,
        f,
        format!("/tickets/{ticket_id}/comments"),
        &canonical_raw(raw),
        refs,
        false,
    ))
}

/// Maps an attachment of a comment: `file_url` is Zendesk's `content_url`, which redirects
/// to another host (see `ZendeskProvider::download_attachment`).
pub fn map_attachment(
    la: Uuid,
    ticket_id: &str,
    comment: &Value,
    raw: &Value,
    author_is_staff: Option<bool>,
) -> Result<NormalizedRecord, ProviderError> {
    let rid = require_id(raw, "attachment")?;
    let mut refs = Vec::new();
    let mut rel = Rel {
        la,
        refs: &mut refs,
    };
    let mut f = Map::new();
    f.insert("file_name".into(), str_field(raw, "file_name"));
    let ticket = rel.id(ModelKind::Ticket, Some(&Value::String(ticket_id.into())));
    f.insert("ticket".into(), ticket);
    f.insert("file_url".into(), str_field(raw, "content_url"));
    f.insert("content_type".into(), str_field(raw, "content_type"));
    let uploaded_by = if author_is_staff == Some(true) {
        rel.id(ModelKind::User, comment.get("author_id"))
    } else {
        Value::Null
    };
    f.insert("uploaded_by".into(), uploaded_by);
    f.insert("remote_created_at".into(), ts_field(comment, "created_at"));
    Ok(record(
        ModelKind::Attachment,
        rid,
        f,
        format!("/tickets/{ticket_id}/comments"),
        &canonical_raw(raw),
        refs,
        flag(raw, "deleted"),
    ))
}

/// Whether a Zendesk user is staff (agent or admin) rather than an end-user.
pub fn is_staff(raw: &Value) -> bool {
    matches!(
        raw.get("role").and_then(Value::as_str),
        Some("agent" | "admin")
    )
}

/// The remote id of the Role of a user: its `custom_role_id` when the account has custom
/// roles, else the built-in role named by `role` (`agent`, `admin`).
pub fn role_of(raw: &Value, custom_roles: bool) -> Option<String> {
    if custom_roles && let Some(id) = raw.get("custom_role_id").and_then(id_string) {
        return Some(id);
    }
    raw.get("role")
        .and_then(Value::as_str)
        .filter(|r| matches!(*r, "agent" | "admin"))
        .map(str::to_string)
}

/// Maps an agent or admin to a User. `teams` are the group ids of its memberships;
/// `active: false` (a deleted user) → `remote_was_deleted`.
pub fn map_user(
    la: Uuid,
    raw: &Value,
    teams: &[String],
    custom_roles: bool,
) -> Result<NormalizedRecord, ProviderError> {
    let rid = require_id(raw, "user")?;
    let mut refs = Vec::new();
    let mut rel = Rel {
        la,
        refs: &mut refs,
    };
    let mut f = Map::new();
    f.insert("name".into(), str_field(raw, "name"));
    f.insert("email_address".into(), str_field(raw, "email"));
    let active = raw.get("active").and_then(Value::as_bool).unwrap_or(true);
    f.insert(
        "is_active".into(),
        Value::Bool(active && !flag(raw, "suspended")),
    );
    let teams: Vec<Value> = teams.iter().map(|t| Value::String(t.clone())).collect();
    f.insert(
        "teams".into(),
        rel.list(ModelKind::Team, Some(&Value::Array(teams))),
    );
    let roles: Vec<Value> = role_of(raw, custom_roles)
        .map(Value::String)
        .into_iter()
        .collect();
    f.insert(
        "roles".into(),
        rel.list(ModelKind::Role, Some(&Value::Array(roles))),
    );
    let avatar = raw
        .get("photo")
        .map(|p| str_field(p, "content_url"))
        .unwrap_or(Value::Null);
    f.insert("avatar".into(), avatar);
    Ok(record(
        ModelKind::User,
        rid,
        f,
        "/incremental/users/cursor".into(),
        raw,
        refs,
        !active,
    ))
}

/// Maps an end-user to a Contact (`details` ← `details`; `notes` stay in `remote_data`);
/// `active: false` → `remote_was_deleted`.
pub fn map_contact(la: Uuid, raw: &Value) -> Result<NormalizedRecord, ProviderError> {
    let rid = require_id(raw, "user")?;
    let mut refs = Vec::new();
    let mut rel = Rel {
        la,
        refs: &mut refs,
    };
    let mut f = Map::new();
    f.insert("name".into(), str_field(raw, "name"));
    f.insert("email_address".into(), str_field(raw, "email"));
    f.insert("phone_number".into(), str_field(raw, "phone"));
    f.insert("details".into(), str_field(raw, "details"));
    let account = rel.id(ModelKind::Account, raw.get("organization_id"));
    f.insert("account".into(), account);
    let active = raw.get("active").and_then(Value::as_bool).unwrap_or(true);
    Ok(record(
        ModelKind::Contact,
        rid,
        f,
        "/incremental/users/cursor".into(),
        raw,
        refs,
        !active,
    ))
}

/// Maps an organization to an Account (`domains` ← `domain_names`).
pub fn map_account(raw: &Value) -> Result<NormalizedRecord, ProviderError> {
    let rid = require_id(raw, "organization")?;
    let mut f = Map::new();
    f.insert("name".into(), str_field(raw, "name"));
    let domains: Vec<Value> = raw
        .get("domain_names")
        .and_then(Value::as_array)
        .map(|d| d.iter().filter(|v| v.is_string()).cloned().collect())
        .unwrap_or_default();
    f.insert("domains".into(), Value::Array(domains));
    Ok(record(
        ModelKind::Account,
        rid,
        f,
        "/incremental/organizations".into(),
        raw,
        vec![],
        false,
    ))
}

/// Maps a group to a Team; `deleted: true` → `remote_was_deleted`.
pub fn map_team(raw: &Value) -> Result<NormalizedRecord, ProviderError> {
    let rid = require_id(raw, "group")?;
    let mut f = Map::new();
    f.insert("name".into(), str_field(raw, "name"));
    f.insert("description".into(), str_field(raw, "description"));
    Ok(record(
        ModelKind::Team,
        rid,
        f,
        "/groups".into(),
        raw,
        vec![],
        flag(raw, "deleted"),
    ))
}

/// Maps a tag name (the name is the remote id). No remote data: the same tag comes from
/// tickets and from `GET /tags`, whose popularity `count` changes all the time.
pub fn map_tag(name: &str) -> NormalizedRecord {
    let mut f = Map::new();
    f.insert("name".into(), Value::String(name.to_string()));
    NormalizedRecord {
        kind: ModelKind::Tag,
        remote_id: name.to_string(),
        fields: f,
        remote_data: RemoteData::empty(),
        volatile_keys: &[],
        refs: vec![],
        remote_was_deleted: false,
    }
}
