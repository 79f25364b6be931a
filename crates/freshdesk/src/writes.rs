//! Writes to Freshdesk: Merge's write requests mapped to Freshdesk bodies, Freshdesk's
//! validation errors mapped back to pointers into the Merge request, the answers mapped with
//! the read mapping, and the per-account write schemas (`/…/meta/…`).
//!
//! Every write is sent once (no retry after it was sent, so a timeout never creates a
//! ticket twice); only a spent rate budget or a 429 (nothing was done) is waited out, for at
//! most [`MAX_BUDGET_WAIT`]. The full mapping is in `docs/providers/freshdesk.md`.

use std::time::Duration;

use deskbridge_model::{ModelKind, Patch, PriorityEnum, TicketStatusEnum};
use deskbridge_provider::{
    CommentAuthor, CommentWrite, ContactWrite, FieldProblem, PassthroughRequest,
    PassthroughResponse, ProviderCall, ProviderError, TicketWrite, WriteContext, WriteOutcome,
    WriteWarning,
};
use reqwest::Method;
use serde_json::{Map, Value, json};

use crate::http::{classify_status, confine_path};
use crate::mapping::{format_ts, map_comment, map_contact, map_tag, map_ticket, remote_id_of};
use crate::provider::FreshdeskProvider;

/// The longest a write waits for the account's rate budget before answering 429.
pub const MAX_BUDGET_WAIT: Duration = Duration::from_secs(10);

/// Problem type of a Merge field Freshdesk has no place for (a warning).
pub const UNSUPPORTED_FIELD: &str = "UNSUPPORTED_FIELD";
/// Problem type of a value replaced by another (a warning).
pub const VALUE_SUBSTITUTED: &str = "VALUE_SUBSTITUTED";

/// Response headers the passthrough endpoint hands back; everything else (cookies,
/// authentication challenges, anything unknown) is dropped.
pub const SAFE_RESPONSE_HEADERS: &[&str] = &[
    "content-type",
    "content-length",
    "date",
    "etag",
    "last-modified",
    "link",
    "location",
    "retry-after",
    "x-request-id",
    "x-freshdesk-api-version",
    "x-ratelimit-total",
    "x-ratelimit-remaining",
    "x-ratelimit-used-currentrequest",
];

/// A Freshdesk body and, for each Freshdesk field, where it came from in the Merge request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Built {
    /// The Freshdesk request body.
    pub body: Map<String, Value>,
    /// `(Freshdesk field, JSON pointer into the Merge request)`; later entries win.
    pub fields: Vec<(String, String)>,
    /// Warnings about what was not written as asked.
    pub warnings: Vec<WriteWarning>,
}

impl Built {
    fn set(&mut self, fd: &str, value: Value, pointer: &str) {
        self.body.insert(fd.to_string(), value);
        self.point(fd, pointer);
    }

    fn point(&mut self, fd: &str, pointer: &str) {
        self.fields.push((fd.to_string(), pointer.to_string()));
    }

    /// The Merge pointer of a Freshdesk field named in an error (`status`,
    /// `custom_fields.cf_region`, …); `/model` when none is known.
    pub fn pointer_of(&self, fd_field: &str) -> String {
        let found = self
            .fields
            .iter()
            .rev()
            .find(|(f, _)| f == fd_field)
            .map(|(_, p)| p.clone());
        found.unwrap_or_else(|| match fd_field.split_once('.') {
            Some(("custom_fields", _)) => "/model/remote_fields".to_string(),
            _ => "/model".to_string(),
        })
    }

    /// Rewrites Freshdesk's validation problems into problems located in the Merge request.
    pub fn locate(&self, problems: Vec<FieldProblem>) -> Vec<FieldProblem> {
        problems
            .into_iter()
            .map(|p| {
                let pointer = self.pointer_of(&p.field);
                let message = if p.field.is_empty() {
                    format!("Freshdesk: {}", p.message)
                } else {
                    format!("Freshdesk rejected `{}`: {}", p.field, p.message)
                };
                FieldProblem {
                    field: pointer,
                    message,
                    code: p.code,
                }
            })
            .collect()
    }
}

fn warning(pointer: &str, problem_type: &str, title: &str, detail: String) -> WriteWarning {
    WriteWarning {
        pointer: Some(pointer.to_string()),
        problem_type: problem_type.to_string(),
        title: title.to_string(),
        detail,
    }
}

fn unsupported(b: &mut Built, names: &[String]) {
    for name in names {
        b.warnings.push(warning(
            &format!("/model/{name}"),
            UNSUPPORTED_FIELD,
            "Field Not Supported",
            format!("Freshdesk has no place for `{name}`; it was not written."),
        ));
    }
}

/// A remote id as Freshdesk expects it: a number when it is one.
pub fn id_value(remote_id: &str) -> Value {
    remote_id
        .parse::<i64>()
        .map(Value::from)
        .unwrap_or_else(|_| Value::String(remote_id.to_string()))
}

/// The account's status choices from its `ticket_fields` (`{"2": ["Open", …], …}`), by code.
pub fn status_choices(ctx: &WriteContext) -> Vec<(i64, String)> {
    let mut out: Vec<(i64, String)> = field_def(ctx, "status")
        .and_then(|f| f.get("choices"))
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| {
                    let code = k.parse::<i64>().ok()?;
                    let label = match v {
                        Value::Array(a) => a.first().and_then(Value::as_str).unwrap_or_default(),
                        Value::String(s) => s.as_str(),
                        _ => "",
                    };
                    Some((code, label.to_string()))
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn ticket_fields(ctx: &WriteContext) -> &[Value] {
    ctx.metadata
        .get("ticket_fields")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn field_def<'a>(ctx: &'a WriteContext, name: &str) -> Option<&'a Value> {
    ticket_fields(ctx)
        .iter()
        .find(|f| f.get("name").and_then(Value::as_str) == Some(name))
}

/// Freshdesk's status code of a Merge status: OPEN → 2, ON_HOLD → 3, CLOSED → 5,
/// IN_PROGRESS → the account's first custom status (the lowest code ≥ 6 in its
/// `ticket_fields`), else 2 with a warning.
pub fn status_code(status: TicketStatusEnum, ctx: &WriteContext) -> (i64, Option<WriteWarning>) {
    match status {
        TicketStatusEnum::Open => (2, None),
        TicketStatusEnum::OnHold => (3, None),
        TicketStatusEnum::Closed => (5, None),
        TicketStatusEnum::InProgress => match status_choices(ctx).into_iter().find(|(c, _)| *c >= 6)
        {
            Some((code, _)) => (code, None),
            None => (
                2,
                Some(warning(
                    "/model/status",
                    VALUE_SUBSTITUTED,
                    "Status Substituted",
                    "This Freshdesk account has no custom status to stand for IN_PROGRESS; the \
                     ticket was set to Open (2)."
                        .to_string(),
                )),
            ),
        },
    }
}

/// Freshdesk's priority code: LOW → 1, NORMAL → 2, HIGH → 3, URGENT → 4.
pub fn priority_code(priority: PriorityEnum) -> i64 {
    match priority {
        PriorityEnum::Low => 1,
        PriorityEnum::Normal => 2,
        PriorityEnum::High => 3,
        PriorityEnum::Urgent => 4,
    }
}

fn first_of(
    b: &mut Built,
    list: &Patch<Vec<String>>,
    fd: &str,
    pointer: &str,
    what: &str,
    create: bool,
) {
    match list {
        Patch::Absent => {}
        Patch::Null => {
            if !create {
                b.set(fd, Value::Null, pointer);
            }
        }
        Patch::Value(ids) => {
            match ids.first() {
                Some(first) => b.set(fd, id_value(first), &format!("{pointer}/0")),
                None if !create => b.set(fd, Value::Null, pointer),
                None => {}
            }
            for i in 1..ids.len() {
                b.warnings.push(warning(
                    &format!("{pointer}/{i}"),
                    UNSUPPORTED_FIELD,
                    "Field Not Supported",
                    format!("A Freshdesk ticket has one {what}; only the first was written."),
                ));
            }
        }
    }
}

fn relation(b: &mut Built, v: &Patch<String>, fd: &str, pointer: &str, create: bool) {
    match v {
        Patch::Absent => {}
        Patch::Null if create => {}
        Patch::Null => b.set(fd, Value::Null, pointer),
        Patch::Value(id) => b.set(fd, id_value(id), pointer),
    }
}

fn text(b: &mut Built, v: &Patch<String>, fd: &str, pointer: &str) {
    match v {
        Patch::Absent => {}
        Patch::Null => b.set(fd, Value::Null, pointer),
        Patch::Value(s) => b.set(fd, Value::String(s.clone()), pointer),
    }
}

fn extra_params(b: &mut Built, params: &Map<String, Value>) {
    for (k, v) in params {
        b.set(k, v.clone(), &format!("/model/integration_params/{k}"));
    }
}

/// Builds the Freshdesk body of a ticket create (`create`) or update.
pub fn ticket_body(t: &TicketWrite, ctx: &WriteContext, create: bool) -> Built {
    let mut b = Built::default();
    extra_params(&mut b, &t.integration_params);
    b.point("requester_id", "/model/contact");
    text(&mut b, &t.name, "subject", "/model/name");
    text(&mut b, &t.description, "description", "/model/description");
    match &t.status {
        Patch::Absent => {}
        Patch::Null => b.set("status", Value::Null, "/model/status"),
        Patch::Value(s) => {
            let (code, warn) = status_code(*s, ctx);
            b.set("status", code.into(), "/model/status");
            b.warnings.extend(warn);
        }
    }
    match &t.priority {
        Patch::Absent => {}
        Patch::Null => b.set("priority", Value::Null, "/model/priority"),
        Patch::Value(p) => b.set("priority", priority_code(*p).into(), "/model/priority"),
    }
    text(&mut b, &t.ticket_type, "type", "/model/ticket_type");
    match &t.due_date {
        Patch::Absent => {}
        Patch::Null => b.set("due_by", Value::Null, "/model/due_date"),
        Patch::Value(d) => {
            b.set("due_by", format_ts(*d).into(), "/model/due_date");
            if !t.integration_params.contains_key("fr_due_by") {
                b.set("fr_due_by", format_ts(*d).into(), "/model/due_date");
            }
        }
    }
    first_of(
        &mut b,
        &t.assignees,
        "responder_id",
        "/model/assignees",
        "assignee",
        create,
    );
    first_of(
        &mut b,
        &t.assigned_teams,
        "group_id",
        "/model/assigned_teams",
        "group",
        create,
    );
    relation(&mut b, &t.contact, "requester_id", "/model/contact", create);
    relation(&mut b, &t.account, "company_id", "/model/account", create);
    relation(
        &mut b,
        &t.parent_ticket,
        "parent_id",
        "/model/parent_ticket",
        create,
    );
    match &t.tags {
        Patch::Absent => {}
        Patch::Null => b.set("tags", json!([]), "/model/tags"),
        Patch::Value(tags) => b.set("tags", json!(tags), "/model/tags"),
    }
    if !t.custom_fields.is_empty() {
        let mut cf = b
            .body
            .remove("custom_fields")
            .and_then(|v| match v {
                Value::Object(m) => Some(m),
                _ => None,
            })
            .unwrap_or_default();
        for f in &t.custom_fields {
            cf.insert(f.key.clone(), f.value.clone());
            b.point(&format!("custom_fields.{}", f.key), &f.pointer);
        }
        b.body.insert("custom_fields".into(), Value::Object(cf));
    }
    unsupported(&mut b, &t.unsupported);
    b
}

/// Escapes plain text into HTML (Freshdesk bodies are HTML); line breaks become `<br>`.
pub fn text_to_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("<br>"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Which Freshdesk endpoint a comment goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentKind {
    /// `POST /tickets/{id}/reply`.
    Reply,
    /// `POST /tickets/{id}/notes`.
    Note,
}

/// Builds a comment: an agent's public comment is a reply, an agent's private comment a
/// private note, a contact's comment a public note with `incoming: true` and the contact as
/// author.
pub fn comment_body(c: &CommentWrite) -> (CommentKind, Built) {
    let mut b = Built::default();
    extra_params(&mut b, &c.integration_params);
    let (html, pointer) = match (&c.html_body, &c.body) {
        (Some(h), _) => (Some(h.clone()), "/model/html_body"),
        (None, Some(t)) => (Some(text_to_html(t)), "/model/body"),
        (None, None) => (None, "/model/body"),
    };
    match html {
        Some(h) => b.set("body", Value::String(h), pointer),
        None => b.point("body", pointer),
    }
    let private = c.is_private.unwrap_or(false);
    let kind = match &c.author {
        CommentAuthor::Contact(id) => {
            b.set("user_id", id_value(id), "/model/contact");
            b.set("incoming", Value::Bool(true), "/model/contact");
            b.set("private", Value::Bool(false), "/model/is_private");
            if private {
                b.warnings.push(warning(
                    "/model/is_private",
                    VALUE_SUBSTITUTED,
                    "Comment Made Public",
                    "Freshdesk keeps a contact's comment visible to the contact; it was added \
                     as a public note."
                        .to_string(),
                ));
            }
            CommentKind::Note
        }
        CommentAuthor::User(id) => {
            b.set("user_id", id_value(id), "/model/user");
            if private {
                b.set("private", Value::Bool(true), "/model/is_private");
                CommentKind::Note
            } else {
                CommentKind::Reply
            }
        }
        CommentAuthor::Default => {
            if private {
                b.set("private", Value::Bool(true), "/model/is_private");
                CommentKind::Note
            } else {
                CommentKind::Reply
            }
        }
    };
    unsupported(&mut b, &c.unsupported);
    (kind, b)
}

/// Builds a contact: `name`, `email`, `phone`, `description`, `company_id`.
pub fn contact_body(c: &ContactWrite) -> Built {
    let mut b = Built::default();
    extra_params(&mut b, &c.integration_params);
    let pairs = [
        ("name", &c.name, "/model/name"),
        ("email", &c.email_address, "/model/email_address"),
        ("phone", &c.phone_number, "/model/phone_number"),
        ("description", &c.details, "/model/details"),
    ];
    for (fd, v, pointer) in pairs {
        match v {
            Some(s) => b.set(fd, Value::String(s.clone()), pointer),
            None => b.point(fd, pointer),
        }
    }
    if let Some(a) = &c.account {
        b.set("company_id", id_value(a), "/model/account");
    }
    unsupported(&mut b, &c.unsupported);
    b
}

/// One write call: waits out a spent budget or a 429 (nothing was done) for at most
/// [`MAX_BUDGET_WAIT`], then sends once. A 2xx answer is parsed as JSON; a 4xx is classified
/// ([`classify_status`]); a 5xx is `Transient`.
async fn call(
    p: &FreshdeskProvider,
    calls: &mut Vec<ProviderCall>,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> Result<Value, ProviderError> {
    let url = confine_path(p.base_url(), path)?;
    let mut waited = Duration::ZERO;
    let raw = loop {
        match p.send(method.clone(), path, body).await {
            Err(ProviderError::RateLimited { retry_after })
                if waited + retry_after <= MAX_BUDGET_WAIT =>
            {
                waited += retry_after;
                tokio::time::sleep(retry_after).await;
            }
            Err(e @ ProviderError::RateLimited { .. }) => return Err(e),
            Err(e) => {
                calls.push(ProviderCall {
                    method: method.to_string(),
                    url: url.to_string(),
                    status: 0,
                });
                return Err(e);
            }
            Ok(raw) => break raw,
        }
    };
    calls.push(ProviderCall {
        method: method.to_string(),
        url: url.to_string(),
        status: raw.status.as_u16(),
    });
    if raw.status.is_success() {
        return serde_json::from_slice(&raw.body)
            .map_err(|_| ProviderError::Protocol("the answer is not JSON".into()));
    }
    if raw.status.is_server_error() {
        return Err(ProviderError::Transient(format!(
            "HTTP {}",
            raw.status.as_u16()
        )));
    }
    Err(classify_status(raw.status, &raw.body))
}

fn located(e: ProviderError, built: &Built) -> ProviderError {
    match e {
        ProviderError::Validation(problems) => ProviderError::Validation(built.locate(problems)),
        other => other,
    }
}

fn numeric(id: &str) -> Result<&str, ProviderError> {
    if id.is_empty() || id.len() > 20 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ProviderError::NotFound);
    }
    Ok(id)
}

/// Maps a ticket answer; for a resolved or closed ticket, views it with `stats` first
/// (1 + 1 credits) so that `completed_at` is right.
async fn ticket_outcome(
    p: &FreshdeskProvider,
    mut raw: Value,
    warnings: Vec<WriteWarning>,
    mut calls: Vec<ProviderCall>,
) -> Result<WriteOutcome, ProviderError> {
    let status = raw.get("status").and_then(Value::as_i64);
    if matches!(status, Some(4 | 5))
        && let Some(id) = remote_id_of(&raw)
        && let Ok(view) = call(
            p,
            &mut calls,
            Method::GET,
            &format!("tickets/{id}?include=stats"),
            None,
        )
        .await
    {
        raw = view;
    }
    let record = map_ticket(p.linked_account_id(), p.base_url(), &raw)?;
    let related = raw
        .get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|t| map_tag(p.linked_account_id(), t))
        .collect();
    Ok(WriteOutcome {
        record,
        related,
        warnings,
        calls,
    })
}

/// `POST /tickets` (1 credit), plus a view with stats for a resolved or closed ticket.
pub(crate) async fn create_ticket(
    p: &FreshdeskProvider,
    t: &TicketWrite,
    ctx: &WriteContext,
) -> Result<WriteOutcome, ProviderError> {
    let built = ticket_body(t, ctx, true);
    let mut calls = Vec::new();
    let body = Value::Object(built.body.clone());
    let raw = call(p, &mut calls, Method::POST, "tickets", Some(&body))
        .await
        .map_err(|e| located(e, &built))?;
    ticket_outcome(p, raw, built.warnings, calls).await
}

/// `PUT /tickets/{id}` (1 credit); a change Freshdesk cannot carry at all is only a view.
pub(crate) async fn update_ticket(
    p: &FreshdeskProvider,
    remote_id: &str,
    t: &TicketWrite,
    ctx: &WriteContext,
) -> Result<WriteOutcome, ProviderError> {
    let id = numeric(remote_id)?;
    let built = ticket_body(t, ctx, false);
    let mut calls = Vec::new();
    let raw = if built.body.is_empty() {
        call(p, &mut calls, Method::GET, &format!("tickets/{id}"), None).await?
    } else {
        let body = Value::Object(built.body.clone());
        call(
            p,
            &mut calls,
            Method::PUT,
            &format!("tickets/{id}"),
            Some(&body),
        )
        .await
        .map_err(|e| located(e, &built))?
    };
    ticket_outcome(p, raw, built.warnings, calls).await
}

/// `POST /tickets/{id}/reply` or `POST /tickets/{id}/notes` (1 credit).
pub(crate) async fn create_comment(
    p: &FreshdeskProvider,
    c: &CommentWrite,
) -> Result<WriteOutcome, ProviderError> {
    let Some(ticket) = c.ticket.as_deref() else {
        return Err(ProviderError::Validation(vec![FieldProblem {
            field: "/model/ticket".into(),
            message: "A comment needs the ticket it belongs to.".into(),
            code: "missing_field".into(),
        }]));
    };
    let id = numeric(ticket)?;
    let (kind, built) = comment_body(c);
    let path = match kind {
        CommentKind::Reply => format!("tickets/{id}/reply"),
        CommentKind::Note => format!("tickets/{id}/notes"),
    };
    let mut calls = Vec::new();
    let body = Value::Object(built.body.clone());
    let mut raw = call(p, &mut calls, Method::POST, &path, Some(&body))
        .await
        .map_err(|e| located(e, &built))?;
    if let Some(obj) = raw.as_object_mut() {
        // A reply's answer has no `private`; a note's always has it.
        obj.entry("ticket_id").or_insert_with(|| id_value(id));
        obj.entry("private").or_insert(Value::Bool(false));
    }
    let record = map_comment(p.linked_account_id(), &raw, None)?;
    Ok(WriteOutcome {
        record,
        related: Vec::new(),
        warnings: built.warnings,
        calls,
    })
}

/// `POST /contacts` (1 credit).
pub(crate) async fn create_contact(
    p: &FreshdeskProvider,
    c: &ContactWrite,
) -> Result<WriteOutcome, ProviderError> {
    let built = contact_body(c);
    let mut calls = Vec::new();
    let body = Value::Object(built.body.clone());
    let raw = call(p, &mut calls, Method::POST, "contacts", Some(&body))
        .await
        .map_err(|e| located(e, &built))?;
    let record = map_contact(p.linked_account_id(), &raw)?;
    Ok(WriteOutcome {
        record,
        related: Vec::new(),
        warnings: built.warnings,
        calls,
    })
}

/// A passthrough request through [`FreshdeskProvider::send`]: confined to `/api/v2/`, fails
/// fast on the budget, keeps only [`SAFE_RESPONSE_HEADERS`].
pub(crate) async fn passthrough(
    p: &FreshdeskProvider,
    req: &PassthroughRequest,
) -> Result<PassthroughResponse, ProviderError> {
    let method = Method::from_bytes(req.method.to_ascii_uppercase().as_bytes())
        .map_err(|_| ProviderError::Protocol("unknown HTTP method".into()))?;
    let url = confine_path(p.base_url(), &req.path)?;
    let raw = p.send(method, &req.path, req.body.as_ref()).await?;
    let headers = raw
        .headers
        .iter()
        .filter(|(name, _)| SAFE_RESPONSE_HEADERS.contains(&name.as_str()))
        .filter_map(|(name, v)| Some((name.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect();
    Ok(PassthroughResponse {
        url: url.to_string(),
        status: raw.status.as_u16(),
        headers,
        body: raw.body,
    })
}

fn uuid_prop(description: &str) -> Value {
    json!({"type": "string", "format": "uuid", "description": description})
}

fn uuid_list(description: &str, max: Option<u64>) -> Value {
    let mut v = json!({"type": "array", "items": {"type": "string", "format": "uuid"}, "description": description});
    if let Some(m) = max {
        v["maxItems"] = m.into();
    }
    v
}

fn custom_field_schema(f: &Value) -> Value {
    let kind = f.get("type").and_then(Value::as_str).unwrap_or_default();
    let mut s = match kind {
        "custom_checkbox" => json!({"type": "boolean"}),
        "custom_number" => json!({"type": "integer"}),
        "custom_decimal" => json!({"type": "number"}),
        "custom_date" => json!({"type": "string", "format": "date"}),
        _ => json!({"type": "string"}),
    };
    if let Some(choices) = f.get("choices") {
        let values: Vec<Value> = match choices {
            Value::Array(a) => a.clone(),
            Value::Object(m) => m.keys().map(|k| Value::String(k.clone())).collect(),
            _ => Vec::new(),
        };
        if !values.is_empty() {
            s["enum"] = Value::Array(values);
        }
    }
    if let Some(label) = f.get("label") {
        s["title"] = label.clone();
    }
    s
}

fn is_custom(f: &Value) -> bool {
    let kind = f.get("type").and_then(Value::as_str).unwrap_or_default();
    f.get("default") == Some(&Value::Bool(false))
        || kind.starts_with("custom_")
        || kind == "nested_field"
}

fn required_for_agents(f: &Value) -> bool {
    f.get("required_for_agents").and_then(Value::as_bool) == Some(true)
}

fn ticket_schema(ctx: &WriteContext, patch: bool) -> Map<String, Value> {
    let statuses = status_choices(ctx);
    let custom_status = statuses.iter().find(|(c, _)| *c >= 6);
    let mut status_values = vec!["OPEN", "ON_HOLD", "CLOSED"];
    if custom_status.is_some() {
        status_values.push("IN_PROGRESS");
    }
    let label = |code: i64| {
        statuses
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, l)| l.clone())
            .unwrap_or_default()
    };
    let mut remote_status = json!({
        "OPEN": {"code": 2, "label": label(2)},
        "ON_HOLD": {"code": 3, "label": label(3)},
        "CLOSED": {"code": 5, "label": label(5)},
    });
    if let Some((code, l)) = custom_status {
        remote_status["IN_PROGRESS"] = json!({"code": code, "label": l});
    }
    let types: Vec<Value> = field_def(ctx, "ticket_type")
        .and_then(|f| f.get("choices"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut ticket_type = json!({"type": ["string", "null"], "description": "Freshdesk `type`"});
    if !types.is_empty() {
        ticket_type["enum"] = Value::Array(types);
    }
    let mut props = Map::new();
    props.insert(
        "name".into(),
        json!({"type": "string", "maxLength": 255, "description": "Freshdesk `subject`"}),
    );
    props.insert(
        "description".into(),
        json!({"type": "string", "description": "Freshdesk `description` (HTML)"}),
    );
    props.insert(
        "status".into(),
        json!({"type": "string", "enum": status_values, "x-freshdesk-values": remote_status}),
    );
    props.insert(
        "priority".into(),
        json!({"type": "string", "enum": ["LOW", "NORMAL", "HIGH", "URGENT"],
               "x-freshdesk-values": {"LOW": 1, "NORMAL": 2, "HIGH": 3, "URGENT": 4}}),
    );
    props.insert("ticket_type".into(), ticket_type);
    props.insert(
        "due_date".into(),
        json!({"type": "string", "format": "date-time", "description": "Freshdesk `due_by` (and `fr_due_by`)"}),
    );
    props.insert(
        "assignees".into(),
        uuid_list(
            "Users (agents); Freshdesk keeps one: `responder_id`",
            Some(1),
        ),
    );
    props.insert(
        "assigned_teams".into(),
        uuid_list("Teams (groups); Freshdesk keeps one: `group_id`", Some(1)),
    );
    props.insert(
        "contact".into(),
        uuid_prop("The requester (`requester_id`); without it, give `integration_params.email`"),
    );
    props.insert("account".into(), uuid_prop("The company (`company_id`)"));
    if !patch {
        props.insert(
            "parent_ticket".into(),
            uuid_prop("The parent ticket (`parent_id`)"),
        );
    }
    props.insert(
        "tags".into(),
        json!({"type": "array", "items": {"type": "string", "maxLength": 32}}),
    );
    props.insert(
        "remote_fields".into(),
        json!({"type": "array", "description": "Custom fields by remote field class (see remote_field_classes)",
               "items": {"type": "object", "required": ["remote_field_class"],
                         "properties": {"remote_field_class": {"type": "string", "format": "uuid"}, "value": {}}}}),
    );
    let mut cf_props = Map::new();
    let mut cf_required = Vec::new();
    let mut required: Vec<&str> = if patch {
        Vec::new()
    } else {
        vec!["name", "description"]
    };
    for f in ticket_fields(ctx) {
        let Some(name) = f.get("name").and_then(Value::as_str) else {
            continue;
        };
        if is_custom(f) {
            cf_props.insert(name.to_string(), custom_field_schema(f));
            if required_for_agents(f) && !patch {
                cf_required.push(Value::String(name.to_string()));
            }
        } else if required_for_agents(f) && !patch {
            let merge = match name {
                "requester" => Some("contact"),
                "status" => Some("status"),
                "priority" => Some("priority"),
                "ticket_type" => Some("ticket_type"),
                "group" => Some("assigned_teams"),
                "agent" => Some("assignees"),
                "company" => Some("account"),
                _ => None,
            };
            if let Some(m) = merge
                && !required.contains(&m)
            {
                required.push(m);
            }
        }
    }
    let mut custom = json!({"type": "object", "properties": cf_props});
    if !cf_required.is_empty() {
        custom["required"] = Value::Array(cf_required);
        if !required.contains(&"integration_params") {
            required.push("integration_params");
        }
    }
    props.insert(
        "integration_params".into(),
        json!({"type": "object", "description": "Extra Freshdesk ticket fields, sent as given",
               "properties": {
                   "custom_fields": custom,
                   "email": {"type": "string", "format": "email", "description": "Requester email when no contact is given (creates the contact if needed)"},
                   "source": {"type": "integer", "description": "Freshdesk source code"}
               }}),
    );
    let mut s = Map::new();
    s.insert("type".into(), "object".into());
    s.insert("properties".into(), Value::Object(props));
    if !patch {
        s.insert("required".into(), json!(required));
    }
    s
}

/// The `request_schema` of a write for the account: tickets (POST and PATCH) from its
/// `ticket_fields` (required fields, status, priority and type choices, custom fields),
/// comments and contacts (POST).
pub fn write_schema(
    kind: ModelKind,
    patch: bool,
    ctx: &WriteContext,
) -> Result<Map<String, Value>, ProviderError> {
    let v = match (kind, patch) {
        (ModelKind::Ticket, _) => return Ok(ticket_schema(ctx, patch)),
        (ModelKind::Comment, false) => json!({
            "type": "object",
            "properties": {
                "ticket": uuid_prop("The ticket"),
                "body": {"type": "string", "description": "Plain text (escaped into HTML)"},
                "html_body": {"type": "string", "description": "HTML; preferred over body"},
                "is_private": {"type": "boolean", "description": "An agent's private note (true) or a reply (false)"},
                "user": uuid_prop("The agent writing it"),
                "contact": uuid_prop("The contact writing it: a public note with incoming=true"),
            },
            "required": ["ticket"],
            "anyOf": [{"required": ["body"]}, {"required": ["html_body"]}],
        }),
        (ModelKind::Contact, false) => json!({
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "email_address": {"type": "string", "format": "email", "description": "Unique in the account"},
                "phone_number": {"type": "string"},
                "details": {"type": "string", "description": "Freshdesk `description`"},
                "account": uuid_prop("The company (`company_id`)"),
                "integration_params": {"type": "object", "description": "Extra Freshdesk contact fields (e.g. mobile, job_title), sent as given"},
            },
            "required": ["name"],
            "anyOf": [{"required": ["email_address"]}, {"required": ["phone_number"]},
                      {"required": ["integration_params"]}],
        }),
        _ => return Err(ProviderError::Unsupported("writes of this model")),
    };
    match v {
        Value::Object(m) => Ok(m),
        _ => Err(ProviderError::Protocol("schema is not an object".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use deskbridge_provider::CustomFieldWrite;

    fn ctx_with_custom_status() -> WriteContext {
        let mut metadata = Map::new();
        metadata.insert(
            "ticket_fields".into(),
            json!([{"name": "status", "type": "default_status",
                    "choices": {"2": ["Open", "Being Processed"], "3": ["Pending", "x"],
                                "7": ["Waiting on Third Party", "x"], "6": ["Waiting on Customer", "x"]}}]),
        );
        WriteContext { metadata }
    }

    #[test]
    fn statuses_and_priorities() {
        let ctx = ctx_with_custom_status();
        assert_eq!(status_code(TicketStatusEnum::Open, &ctx).0, 2);
        assert_eq!(status_code(TicketStatusEnum::OnHold, &ctx).0, 3);
        assert_eq!(status_code(TicketStatusEnum::Closed, &ctx).0, 5);
        assert_eq!(status_code(TicketStatusEnum::InProgress, &ctx), (6, None));
        let (code, warn) = status_code(TicketStatusEnum::InProgress, &WriteContext::default());
        assert_eq!(code, 2);
        assert!(warn.is_some());
        assert_eq!(priority_code(PriorityEnum::Low), 1);
        assert_eq!(priority_code(PriorityEnum::Urgent), 4);
    }

    #[test]
    fn ticket_bodies_and_pointers() {
        let t = TicketWrite {
            name: Patch::Value("Printer".into()),
            status: Patch::Value(TicketStatusEnum::OnHold),
            assignees: Patch::Value(vec!["11".into(), "12".into()]),
            contact: Patch::Value("42".into()),
            tags: Patch::Null,
            custom_fields: vec![CustomFieldWrite {
                key: "cf_region".into(),
                value: json!("EU"),
                pointer: "/model/remote_fields/0/value".into(),
            }],
            unsupported: vec!["collections".into()],
            ..TicketWrite::default()
        };
        let b = ticket_body(&t, &WriteContext::default(), false);
        assert_eq!(
            Value::Object(b.body.clone()),
            json!({"subject": "Printer", "status": 3, "responder_id": 11, "requester_id": 42,
                   "tags": [], "custom_fields": {"cf_region": "EU"}})
        );
        assert_eq!(b.pointer_of("responder_id"), "/model/assignees/0");
        assert_eq!(
            b.pointer_of("custom_fields.cf_region"),
            "/model/remote_fields/0/value"
        );
        assert_eq!(b.pointer_of("requester_id"), "/model/contact");
        assert_eq!(b.pointer_of("nonsense"), "/model");
        let pointers: Vec<_> = b
            .warnings
            .iter()
            .filter_map(|w| w.pointer.clone())
            .collect();
        assert_eq!(pointers, vec!["/model/assignees/1", "/model/collections"]);
        // On create, empty lists and nulls are simply not sent.
        let t = TicketWrite {
            assignees: Patch::Value(vec![]),
            account: Patch::Null,
            ..TicketWrite::default()
        };
        assert!(
            ticket_body(&t, &WriteContext::default(), true)
                .body
                .is_empty()
        );
    }

    #[test]
    fn comments_by_author() {
        let c = CommentWrite {
            ticket: Some("7".into()),
            body: Some("a < b\nok".into()),
            author: CommentAuthor::User("3".into()),
            ..CommentWrite::default()
        };
        let (k, b) = comment_body(&c);
        assert_eq!(k, CommentKind::Reply);
        assert_eq!(b.body["body"], json!("a &lt; b<br>ok"));
        let c = CommentWrite {
            is_private: Some(true),
            ..c
        };
        let (k, b) = comment_body(&c);
        assert_eq!((k, &b.body["private"]), (CommentKind::Note, &json!(true)));
        let c = CommentWrite {
            author: CommentAuthor::Contact("9".into()),
            is_private: Some(false),
            ..c
        };
        let (k, b) = comment_body(&c);
        assert_eq!(k, CommentKind::Note);
        assert_eq!(
            (
                b.body["incoming"].clone(),
                b.body["private"].clone(),
                b.body["user_id"].clone()
            ),
            (json!(true), json!(false), json!(9))
        );
        assert_eq!(b.pointer_of("user_id"), "/model/contact");
    }

    #[test]
    fn problems_are_located() {
        let b = contact_body(&ContactWrite {
            name: Some("Jane".into()),
            ..ContactWrite::default()
        });
        let located = b.locate(vec![FieldProblem {
            field: "email".into(),
            message: "It should be a unique value".into(),
            code: "duplicate_value".into(),
        }]);
        assert_eq!(located[0].field, "/model/email_address");
        assert!(located[0].message.contains("`email`"));
    }
}
