//! Tickets in the common model.

use super::*;

/// Maps a ticket (list item, view, or a list item enriched with the view's `attachments`
/// and `associated_tickets_list`).
pub fn map_ticket(
    linked_account_id: Uuid,
    base_url: &Url,
    raw: &Value,
) -> Result<NormalizedRecord, ProviderError> {
    map_ticket_owned(linked_account_id, base_url, raw.clone())
}

/// [`map_ticket`] taking the object by value.
pub(crate) fn map_ticket_owned(
    linked_account_id: Uuid,
    base_url: &Url,
    owned: Value,
) -> Result<NormalizedRecord, ProviderError> {
    let (p, deleted) = ticket_parts(linked_account_id, base_url, &owned)?;
    Ok(record(
        ModelKind::Ticket,
        p.remote_id,
        p.fields,
        p.path,
        canonical_raw(owned, TICKET_NOT_STORED),
        EMBEDDED_ATTACHMENT_VOLATILE_KEYS,
        p.refs,
        deleted,
    ))
}

/// The members of a ticket that [`ticket_parts`] and the walk read.
pub(crate) const TICKET_READS: &[&str] = &[
    "associated_tickets_list",
    "association_type",
    "attachments",
    "company_id",
    "created_at",
    "deleted",
    "description",
    "due_by",
    "group_id",
    "id",
    "priority",
    "requester_id",
    "responder_id",
    "spam",
    "stats",
    "status",
    "subject",
    "tags",
    "type",
    "updated_at",
];

/// A ticket's [`Parts`] and whether it is deleted or spam.
pub(crate) fn ticket_parts(
    linked_account_id: Uuid,
    base_url: &Url,
    raw: &Value,
) -> Result<(Parts, bool), ProviderError> {
    let rid = require_id(raw, "ticket")?;
    let mut refs = Vec::new();
    let mut rel = Rel {
        la: linked_account_id,
        refs: &mut refs,
    };
    let mut f = Map::new();
    f.insert("name".into(), str_field(raw, "subject"));
    f.insert(
        "assignees".into(),
        rel.list(ModelKind::User, raw.get("responder_id")),
    );
    f.insert(
        "assigned_teams".into(),
        rel.list(ModelKind::Team, raw.get("group_id")),
    );
    f.insert("creator".into(), Value::Null);
    f.insert("due_date".into(), ts_field(raw, "due_by"));
    let status = raw.get("status").and_then(Value::as_i64);
    f.insert(
        "status".into(),
        status
            .and_then(ticket_status)
            .map_or(Value::Null, |s| Value::String(s.into())),
    );
    f.insert("description".into(), str_field(raw, "description"));
    f.insert("collections".into(), json!([]));
    f.insert("ticket_type".into(), str_field(raw, "type"));
    let account = raw
        .get("company_id")
        .map_or(Value::Null, |v| rel.id(ModelKind::Account, v));
    f.insert("account".into(), account);
    let contact = raw
        .get("requester_id")
        .map_or(Value::Null, |v| rel.id(ModelKind::Contact, v));
    f.insert("contact".into(), contact);
    let parent = ticket_parent_id(raw).map_or(Value::Null, |p| rel.id(ModelKind::Ticket, &p));
    f.insert("parent_ticket".into(), parent);
    let attachment_ids: Vec<Value> = raw
        .get("attachments")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|att| att.get("id")).cloned().collect())
        .unwrap_or_default();
    f.insert(
        "attachments".into(),
        rel.list(ModelKind::Attachment, Some(&Value::Array(attachment_ids))),
    );
    f.insert("access_level".into(), Value::Null);
    f.insert("permissions".into(), json!([]));
    let tags: Vec<Value> = raw
        .get("tags")
        .and_then(Value::as_array)
        .map(|t| t.iter().filter(|v| v.is_string()).cloned().collect())
        .unwrap_or_default();
    f.insert("tags".into(), Value::Array(tags));
    f.insert("roles".into(), Value::Null);
    f.insert(
        "ticket_url".into(),
        Value::String(ticket_url(base_url, &rid)),
    );
    let priority = raw
        .get("priority")
        .and_then(Value::as_i64)
        .and_then(ticket_priority);
    f.insert(
        "priority".into(),
        priority.map_or(Value::Null, |p| Value::String(p.into())),
    );
    f.insert("remote_created_at".into(), ts_field(raw, "created_at"));
    f.insert("remote_updated_at".into(), ts_field(raw, "updated_at"));
    f.insert("completed_at".into(), ticket_completed_at(raw));
    let deleted = flag(raw, "deleted") || flag(raw, "spam");
    Ok((
        Parts {
            remote_id: rid,
            fields: f,
            path: "/tickets".into(),
            refs,
        },
        deleted,
    ))
}
