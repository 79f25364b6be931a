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
use crate::render::{self, Ctx};
use crate::req::Req;
use crate::sim::{AccountCell, write};
use crate::store::{AccountData, Comment, Ticket, User};
use crate::time::{fmt, now_secs, parse};
use crate::triggers::{self, Event};

use super::ticket_apply::{
    apply_fields, check_required_on_solve, default_trigger_events, invalid, opt_id,
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
                super::user_insert::insert_user(&mut d, &body)?.id
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
    events.extend(default_trigger_events(&mut d, &t));
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
    let ev = Event {
        create: true,
        comment_public: t.comments.last().map(|c| c.public),
        changes: &[],
        actor: me.id,
    };
    triggers::fire(&mut d, &ctx.site, &acct.subdomain, &t, &ev);
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
    let mut comment_public = None;
    if let Some(Value::Object(c)) = o.get("comment")
        && let Some(ev) = add_comment(&mut d, &mut t, c, me.id, audit_id, ctx)?
    {
        comment_public = t.comments.last().map(|c| c.public);
        events.push(ev);
    }
    for (name, old, new) in &changes {
        let eid = event_id(&mut d);
        events.push(json!({"id": eid, "type": "Change", "value": new, "field_name": name, "previous_value": old}));
    }
    let now = now_secs();
    t.updated_at = now;
    t.generated_ts = t.generated_ts.max(now);
    let v = render::ticket_in(ctx, &d, &t, false);
    let ev = Event {
        create: false,
        comment_public,
        changes: &changes,
        actor: me.id,
    };
    triggers::fire(&mut d, &ctx.site, &acct.subdomain, &t, &ev);
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
