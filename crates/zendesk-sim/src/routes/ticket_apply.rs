//! Field changes shared by ticket create and update: validation of enumerations, users and
//! groups, tags, custom fields, status and custom status, and the required-on-solve check.

use serde_json::{Map, Value, json};

use crate::errors::ApiError;
use crate::store::{AccountData, Ticket};
use crate::time::{now_secs, parse};

pub fn invalid(field: &str, description: String) -> ApiError {
    ApiError::Invalid(json!({ field: [{"description": description, "error": "InvalidValue"}] }))
}

pub fn opt_id(v: Option<&Value>) -> Option<Option<i64>> {
    v.map(|v| {
        v.as_i64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
    })
}

/// Applies the plain fields of a create or update body; returns `(field, old, new)` changes.
pub fn apply_fields(
    d: &mut AccountData,
    t: &mut Ticket,
    o: &Map<String, Value>,
) -> Result<Vec<(String, Value, Value)>, ApiError> {
    let mut changes = Vec::new();
    let mut set = |name: &str, old: Value, new: Value| {
        if old != new {
            changes.push((name.to_owned(), old, new));
        }
    };
    if let Some(s) = o.get("subject").and_then(Value::as_str) {
        set("subject", json!(t.subject), json!(s));
        t.subject = s.to_owned();
    }
    if let Some(v) = o.get("priority") {
        let p = v.as_str().map(str::to_owned);
        if p.as_deref()
            .is_some_and(|p| !["low", "normal", "high", "urgent"].contains(&p))
        {
            return Err(invalid(
                "priority",
                format!("Priority: {} is not valid", p.unwrap_or_default()),
            ));
        }
        set("priority", json!(t.priority), json!(p));
        t.priority = p;
    }
    if let Some(v) = o.get("type") {
        let k = v.as_str().map(str::to_owned);
        if k.as_deref()
            .is_some_and(|k| !["problem", "incident", "question", "task"].contains(&k))
        {
            return Err(invalid(
                "type",
                format!("Type: {} is not valid", k.unwrap_or_default()),
            ));
        }
        set("type", json!(t.kind), json!(k));
        t.kind = k;
    }
    if let Some(Some(r)) = opt_id(o.get("requester_id")) {
        let u = d
            .users
            .get(&r)
            .ok_or_else(|| invalid("requester", "Requester: is invalid".into()))?;
        if u.suspended {
            return Err(ApiError::Invalid(
                json!({"requester": [{"description": format!("Requester: {} is suspended.", u.name)}]}),
            ));
        }
        set(
            "requester_id",
            json!(t.requester_id.to_string()),
            json!(r.to_string()),
        );
        t.requester_id = r;
        t.organization_id = u.organization_id.or(t.organization_id);
    }
    if let Some(a) = opt_id(o.get("assignee_id")) {
        if let Some(a) = a
            && d.users.get(&a).is_none_or(|u| u.role == "end-user")
        {
            return Err(invalid("assignee", "Assignee: is not an agent".into()));
        }
        set(
            "assignee_id",
            json!(t.assignee_id.map(|x| x.to_string())),
            json!(a.map(|x| x.to_string())),
        );
        t.assignee_id = a;
        if a.is_some() && t.assigned_at.is_none() {
            t.assigned_at = Some(now_secs());
        }
    }
    if let Some(g) = opt_id(o.get("group_id")) {
        if g.is_some_and(|g| d.groups.get(&g).is_none_or(|g| g.deleted)) {
            return Err(invalid("group", "Group: is invalid".into()));
        }
        set(
            "group_id",
            json!(t.group_id.map(|x| x.to_string())),
            json!(g.map(|x| x.to_string())),
        );
        t.group_id = g;
    }
    if let Some(org) = opt_id(o.get("organization_id")) {
        set(
            "organization_id",
            json!(t.organization_id.map(|x| x.to_string())),
            json!(org.map(|x| x.to_string())),
        );
        t.organization_id = org;
    }
    if let Some(v) = o.get("external_id") {
        t.external_id = v.as_str().map(str::to_owned);
    }
    if let Some(v) = o.get("due_at") {
        t.due_at = v.as_str().and_then(parse);
    }
    if let Some(p) = opt_id(o.get("problem_id")) {
        t.problem_id = p;
    }
    let list = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    if let Some(v) = o.get("tags") {
        let new = list(v);
        set("tags", json!(t.tags.join(" ")), json!(new.join(" ")));
        t.tags = new;
    }
    if let Some(v) = o.get("additional_tags") {
        for tag in list(v) {
            if !t.tags.contains(&tag) {
                t.tags.push(tag);
            }
        }
    }
    if let Some(v) = o.get("remove_tags") {
        let rm = list(v);
        t.tags.retain(|x| !rm.contains(x));
    }
    for key in ["collaborator_ids", "follower_ids"] {
        if let Some(Value::Array(a)) = o.get(key) {
            let ids: Vec<i64> = a.iter().filter_map(Value::as_i64).collect();
            if key == "collaborator_ids" {
                t.collaborator_ids = ids
            } else {
                t.follower_ids = ids
            }
        }
    }
    for key in ["custom_fields", "fields"] {
        if let Some(Value::Array(a)) = o.get(key) {
            for f in a {
                let (Some(id), Some(value)) = (f.get("id").and_then(Value::as_i64), f.get("value"))
                else {
                    continue;
                };
                if let Some(slot) = t.custom_fields.iter_mut().find(|(fid, _)| *fid == id) {
                    set(&id.to_string(), slot.1.clone(), value.clone());
                    slot.1 = value.clone();
                }
            }
        }
    }
    let mut status = o.get("status").and_then(Value::as_str).map(str::to_owned);
    if let Some(Some(cs)) = opt_id(o.get("custom_status_id")) {
        let s = d
            .custom_statuses
            .get(&cs)
            .ok_or_else(|| invalid("custom_status_id", "Custom status: is invalid".into()))?;
        status = Some(s.category.clone());
        t.custom_status_id = cs;
    } else if let Some(s) = &status {
        if !["new", "open", "pending", "hold", "solved", "closed"].contains(&s.as_str()) {
            return Err(invalid("status", format!("Status: {s} is not valid")));
        }
        t.custom_status_id = d.default_status(s);
    }
    if status.is_none() && t.status == "new" && t.assignee_id.is_some() {
        status = Some("open".into());
        t.custom_status_id = d.default_status("open");
    }
    if let Some(s) = status {
        if s != t.status {
            set("status", json!(t.status), json!(s));
            t.status_updated_at = now_secs();
            if s == "solved" || s == "closed" {
                t.solved_at = Some(now_secs());
            }
        }
        t.status = s;
    }
    Ok(changes)
}

/// The recorded 422 when solving with an empty required field.
pub fn check_required_on_solve(d: &AccountData, t: &Ticket) -> Result<(), ApiError> {
    if t.status != "solved" && t.status != "closed" {
        return Ok(());
    }
    let missing: Vec<Value> = d
        .ticket_fields
        .values()
        .filter(|f| f.required && f.is_custom())
        .filter(|f| t.custom_fields.iter().any(|(id, v)| *id == f.id && (v.is_null() || v == "")))
        .map(|f| json!({"ticket_field_type": "FieldTagger", "ticket_field_id": f.id,
            "description": format!("{}: is required when solving a ticket", f.title), "error": null}))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Invalid(json!({ "base": missing })))
    }
}

/// The `Notification` audit events of Zendesk's default triggers on ticket creation, as
/// recorded. This is where a later issue hooks user-defined triggers (and their
/// `notification_webhook` actions, reference §6).
pub fn default_trigger_events(d: &mut AccountData, t: &Ticket) -> Vec<Value> {
    let submitter_is_staff = d
        .users
        .get(&t.submitter_id)
        .is_some_and(|u| u.role != "end-user");
    let agents: Vec<i64> = d
        .users
        .values()
        .filter(|u| u.role != "end-user" && u.active)
        .map(|u| u.id)
        .collect();
    let mut rules: Vec<(i64, &str, &str, String, Vec<i64>)> = Vec::new();
    if submitter_is_staff && t.requester_id != t.submitter_id {
        rules.push((1, "Notify requester of new proactive ticket", "{{ticket.title}}",
            "This ticket was created on your behalf.\n\nTo add additional comments, reply to this email.\n\n{{ticket.latest_public_comment_html}}".into(),
            vec![t.requester_id]));
    } else {
        rules.push((2, "Notify requester and CCs of received request", "[Request received]",
            "Your request ({{ticket.id}}) has been received and is being reviewed by our support staff.\n\nTo add additional comments, reply to this email.\n\n{{ticket.latest_public_comment_html}}".into(),
            vec![t.requester_id]));
    }
    if t.assignee_id.is_none() {
        rules.push((3, "Notify all agents of received request", "[{{ticket.account}}] {{ticket.title}}",
            "A ticket (#{{ticket.id}}) by {{ticket.requester.name}} has been received. It is unassigned.\n\n{{ticket.latest_comment_html}}".into(),
            agents));
    }
    rules
        .into_iter()
        .map(|(k, title, subject, body, recipients)| {
            let id = d.next_id();
            json!({"id": id, "type": "Notification",
                "via": {"channel": "rule", "source": {"from": {"deleted": false, "title": title,
                    "id": d.brand_id + 1000 * k, "revision_id": 3}, "rel": "trigger"}},
                "subject": subject, "body": body, "recipients": recipients})
        })
        .collect()
}
