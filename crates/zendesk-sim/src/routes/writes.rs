//! Ticket writes (reference §5.1, §5.2): create answers 201 + `Location` + `{ticket, audit}`,
//! update 200 + `{ticket, audit}`. Dropped keys are named in `X-Zendesk-API-Warn`;
//! `description` is ignored on update without a warning (as recorded); closed tickets are
//! immutable (the recorded 422); solving with an empty required field answers the recorded
//! 422; `safe_update` with a stale `updated_stamp` answers 409.

use std::sync::Arc;

use axum::http::HeaderValue;
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::Answer;
use crate::errors::{ApiError, blank_description, closed_ticket, json_response};
use crate::http::Req;
use crate::render::{self, Ctx};
use crate::sim::{AccountCell, write};
use crate::store::{AccountData, Comment, Ticket, User};
use crate::time::{fmt, now_secs, parse};

pub use super::people::{
    create_custom_status, create_many, create_user, create_user_route, upload,
};

/// Keys a ticket create or update accepts (reference §5.1).
const ACCEPTED: &[&str] = &[
    "subject",
    "raw_subject",
    "comment",
    "requester_id",
    "requester",
    "submitter_id",
    "assignee_id",
    "assignee_email",
    "group_id",
    "organization_id",
    "priority",
    "type",
    "status",
    "custom_status_id",
    "tags",
    "additional_tags",
    "remove_tags",
    "custom_fields",
    "fields",
    "due_at",
    "external_id",
    "collaborator_ids",
    "collaborators",
    "follower_ids",
    "email_cc_ids",
    "ticket_form_id",
    "brand_id",
    "problem_id",
    "via_followup_source_id",
    "macro_ids",
    "recipient",
    "safe_update",
    "updated_stamp",
    "description",
];

/// The `X-Zendesk-API-Warn` value for dropped keys.
pub fn warn_value(action: &str, keys: &[String]) -> String {
    let list: Vec<String> = keys.iter().map(|k| format!("\"{k}\"")).collect();
    format!(
        "{{:allowed_parameters=>{{:controller=>\"tickets\", :action=>\"{action}\", :unpermitted_keys=>[{}], :invalid_values=>[]}}}}",
        list.join(", ")
    )
}

fn with_warn(mut r: Response, action: &str, keys: &[String]) -> Response {
    if !keys.is_empty()
        && let Ok(v) = HeaderValue::from_str(&warn_value(action, keys))
    {
        r.headers_mut().insert("x-zendesk-api-warn", v);
    }
    r
}

/// Parses `{"<root>": {…}}`.
pub fn envelope(body: &[u8], root: &str) -> Result<Map<String, Value>, ApiError> {
    let v: Value = serde_json::from_slice(body).map_err(|_| {
        ApiError::BadRequest("InvalidJSON", "The request body is not valid JSON".into())
    })?;
    match v.get(root) {
        Some(Value::Object(m)) => Ok(m.clone()),
        _ => Err(ApiError::BadRequest(
            "InvalidParameter",
            format!("Parameter {root} is required"),
        )),
    }
}

fn unpermitted(obj: &Map<String, Value>) -> Vec<String> {
    obj.keys()
        .filter(|k| !ACCEPTED.contains(&k.as_str()))
        .map(|k| format!("ticket.{k}"))
        .collect()
}

fn invalid(field: &str, description: String) -> ApiError {
    ApiError::Invalid(json!({ field: [{"description": description, "error": "InvalidValue"}] }))
}

fn opt_id(v: Option<&Value>) -> Option<Option<i64>> {
    v.map(|v| {
        v.as_i64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
    })
}

fn event_id(d: &mut AccountData) -> i64 {
    d.next_id()
}

/// Adds a comment from a `comment` object; returns its Comment audit event.
fn add_comment(
    d: &mut AccountData,
    t: &mut Ticket,
    c: &Map<String, Value>,
    me: i64,
    audit: i64,
    ctx: &Ctx,
) -> Result<Option<Value>, ApiError> {
    let body = c
        .get("body")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| c.get("html_body").and_then(Value::as_str).map(strip_html))
        .unwrap_or_default();
    let uploads: Vec<String> = match c.get("uploads") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    if body.trim().is_empty() && uploads.is_empty() {
        return Ok(None);
    }
    if t.comments.len() >= 5000 {
        return Err(ApiError::Invalid(
            json!({"base": [{"description": "Comments: ticket has reached the maximum number of comments (5000)", "error": "TooManyComments"}]}),
        ));
    }
    let author = opt_id(c.get("author_id")).flatten().unwrap_or(me);
    if !d.users.contains_key(&author) {
        return Err(invalid(
            "author_id",
            format!("Author: {author} is not a valid user"),
        ));
    }
    let mut attachments = Vec::new();
    for tok in uploads {
        if let Some(u) = d.uploads.remove(&tok) {
            attachments.extend(u.attachments);
        }
    }
    let comment = Comment {
        id: d.next_id(),
        author_id: author,
        body,
        public: c.get("public").and_then(Value::as_bool).unwrap_or(true),
        attachments,
        audit_id: audit,
        channel: "api".into(),
        created_at: now_secs(),
    };
    let mut ev = render::comment(ctx, &comment);
    if let Value::Object(m) = &mut ev {
        m.remove("via");
        m.remove("created_at");
        m.remove("metadata");
    }
    t.comments.push(comment);
    Ok(Some(ev))
}

fn strip_html(html: &str) -> String {
    let mut out = String::new();
    let mut tag = false;
    for ch in html.chars() {
        match ch {
            '<' => tag = true,
            '>' => tag = false,
            c if !tag => out.push(c),
            _ => {}
        }
    }
    out
}

fn audit(id: i64, ticket: i64, author: i64, events: Vec<Value>) -> Value {
    json!({"id": id, "ticket_id": ticket, "created_at": fmt(now_secs()), "author_id": author,
        "metadata": render::metadata(), "events": events,
        "via": {"channel": "api", "source": {"from": {}, "to": {}, "rel": null}}})
}

/// Applies the plain fields of a create or update body; returns `(field, old, new)` changes.
fn apply_fields(
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
            && !d.users.get(&a).is_some_and(|u| u.role != "end-user")
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
        if g.is_some_and(|g| !d.groups.get(&g).is_some_and(|g| !g.deleted)) {
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
fn check_required_on_solve(d: &AccountData, t: &Ticket) -> Result<(), ApiError> {
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

/// Creates a ticket from a `ticket` object as `me`; returns `(ticket, audit)` JSON.
pub fn create_ticket(
    acct: &AccountCell,
    ctx: &Ctx,
    o: &Map<String, Value>,
    me: &User,
) -> Result<(Value, Value), ApiError> {
    let mut d = write(&acct.data);
    let comment = match o.get("comment") {
        Some(Value::Object(c)) => c.clone(),
        _ => match o.get("description").and_then(Value::as_str) {
            Some(s) => Map::from_iter([("body".to_owned(), json!(s))]),
            None => Map::new(),
        },
    };
    let has_body = ["body", "html_body"].iter().any(|k| {
        comment
            .get(*k)
            .and_then(Value::as_str)
            .is_some_and(|s| !s.trim().is_empty())
    });
    if !has_body {
        let fid = d
            .ticket_fields
            .values()
            .find(|f| f.kind == "description")
            .map(|f| f.id)
            .unwrap_or(0);
        return Err(blank_description(fid));
    }
    let mut requester = opt_id(o.get("requester_id")).flatten().unwrap_or(me.id);
    if let Some(Value::Object(r)) = o.get("requester") {
        let email = r.get("email").and_then(Value::as_str);
        requester = match email.and_then(|e| d.user_by_email(e)).map(|u| u.id) {
            Some(id) => id,
            None => {
                let name = r
                    .get("name")
                    .and_then(Value::as_str)
                    .or(email)
                    .unwrap_or("Unknown")
                    .to_owned();
                let mut body = Map::from_iter([("name".to_owned(), json!(name))]);
                if let Some(e) = email {
                    body.insert("email".into(), json!(e));
                }
                super::people::insert_user(&mut d, &body)?.id
            }
        };
    }
    let now = now_secs();
    let id = d.next_nice_id();
    let fields: Vec<(i64, Value)> = d
        .ticket_fields
        .values()
        .filter(|f| f.is_custom())
        .map(|f| (f.id, Value::Null))
        .collect();
    let mut t = Ticket {
        id,
        external_id: None,
        channel: "api".into(),
        created_at: now,
        updated_at: now,
        generated_ts: now,
        kind: None,
        subject: String::new(),
        description: String::new(),
        priority: None,
        status: "new".into(),
        requester_id: me.id,
        submitter_id: opt_id(o.get("submitter_id")).flatten().unwrap_or(me.id),
        assignee_id: None,
        organization_id: None,
        group_id: None,
        collaborator_ids: Vec::new(),
        follower_ids: Vec::new(),
        problem_id: None,
        due_at: None,
        tags: Vec::new(),
        custom_fields: fields,
        custom_status_id: d.default_status("new"),
        status_updated_at: now,
        assigned_at: None,
        solved_at: None,
        archived: false,
        deleted: None,
        scrubbed: false,
        comments: Vec::new(),
    };
    let mut o = o.clone();
    o.insert("requester_id".into(), json!(requester));
    if o.get("subject").is_none() {
        let body = comment.get("body").and_then(Value::as_str).unwrap_or("");
        o.insert(
            "subject".into(),
            json!(body.chars().take(50).collect::<String>()),
        );
    }
    t.organization_id = d.users.get(&requester).and_then(|u| u.organization_id);
    apply_fields(&mut d, &mut t, &o)?;
    let audit_id = d.next_id();
    let mut c = comment;
    c.entry("author_id").or_insert(json!(t.submitter_id));
    let submitter = t.submitter_id;
    let ev = add_comment(&mut d, &mut t, &c, submitter, audit_id, ctx)?;
    t.description = t
        .comments
        .first()
        .map(|c| c.body.clone())
        .unwrap_or_default();
    let mut events: Vec<Value> = ev.into_iter().collect();
    let creates = [
        ("subject", json!(t.subject)),
        ("requester_id", json!(t.requester_id.to_string())),
        ("priority", json!(t.priority)),
        ("type", json!(t.kind)),
        ("status", json!(t.status)),
        (
            "organization_id",
            json!(t.organization_id.map(|x| x.to_string())),
        ),
        ("brand_id", json!(d.brand_id.to_string())),
        ("ticket_form_id", json!(d.ticket_form_id.to_string())),
        ("custom_status_id", json!(t.custom_status_id.to_string())),
    ];
    for (name, value) in creates {
        let eid = event_id(&mut d);
        events.push(json!({"id": eid, "type": "Create", "value": value, "field_name": name}));
    }
    let mut v = render::ticket_in(ctx, &d, &t, false);
    if let Value::Object(m) = &mut v {
        // The recorded create answer carries `generated_timestamp: 0` right after `updated_at`.
        let mut out = Map::new();
        for (k, val) in std::mem::take(m) {
            let after = k == "updated_at";
            out.insert(k, val);
            if after {
                out.insert("generated_timestamp".into(), json!(0));
            }
        }
        *m = out;
    }
    let a = audit(audit_id, t.id, me.id, events);
    d.tickets.insert(t.id, t);
    Ok((v, a))
}

/// `POST /tickets`.
pub fn create(acct: &Arc<AccountCell>, req: &Req) -> Answer {
    let o = envelope(&req.body, "ticket")?;
    let dropped = unpermitted(&o);
    let (ticket, audit) = create_ticket(acct, &req.ctx, &o, &req.me)?;
    let mut r = json_response(201, &json!({"ticket": ticket, "audit": audit}));
    let loc = format!("{}/tickets/{}.json", req.ctx.api(), ticket["id"]);
    if let Ok(v) = HeaderValue::from_str(&loc) {
        r.headers_mut().insert("location", v);
    }
    Ok(with_warn(r, "create", &dropped))
}

/// Updates ticket `id` from a `ticket` object as `me`; returns `(ticket, audit)` JSON.
pub fn apply_update(
    acct: &AccountCell,
    ctx: &Ctx,
    id: i64,
    o: &Map<String, Value>,
    me: &User,
) -> Result<(Value, Value), ApiError> {
    let mut d = write(&acct.data);
    let mut t = d
        .tickets
        .get(&id)
        .filter(|t| t.deleted.is_none())
        .cloned()
        .ok_or(ApiError::NotFound)?;
    if t.status == "closed" {
        return Err(closed_ticket());
    }
    if o.get("safe_update").and_then(Value::as_bool) == Some(true) {
        let stamp = o
            .get("updated_stamp")
            .and_then(Value::as_str)
            .and_then(parse);
        if stamp != Some(t.updated_at) {
            return Err(ApiError::Conflict);
        }
    }
    let changes = apply_fields(&mut d, &mut t, o)?;
    check_required_on_solve(&d, &t)?;
    let audit_id = d.next_id();
    let mut events = Vec::new();
    if let Some(Value::Object(c)) = o.get("comment")
        && let Some(ev) = add_comment(&mut d, &mut t, c, me.id, audit_id, ctx)?
    {
        events.push(ev);
    }
    for (name, old, new) in changes {
        let eid = event_id(&mut d);
        events.push(json!({"id": eid, "type": "Change", "value": new, "field_name": name, "previous_value": old}));
    }
    let now = now_secs();
    t.updated_at = now;
    t.generated_ts = t.generated_ts.max(now);
    let v = render::ticket_in(ctx, &d, &t, false);
    d.tickets.insert(id, t);
    Ok((v, audit(audit_id, id, me.id, events)))
}

/// `PUT /tickets/{id}`: the warning header is computed before the lookup, so even a 404
/// carries it (as recorded).
pub fn update(acct: &Arc<AccountCell>, req: &Req, id: &str) -> Answer {
    let o = envelope(&req.body, "ticket")?;
    let mut dropped = unpermitted(&o);
    dropped.retain(|k| k != "ticket.description");
    let res = id
        .parse::<i64>()
        .map_err(|_| ApiError::NotFound)
        .and_then(|id| apply_update(acct, &req.ctx, id, &o, &req.me));
    let r = match res {
        Ok((ticket, audit)) => json_response(200, &json!({"ticket": ticket, "audit": audit})),
        Err(e) => e.into_response(),
    };
    Ok(with_warn(r, "update", &dropped))
}
