//! Writes to Zendesk: tickets (create, update), comments (a ticket update with `comment` and
//! `author_id`, so no "on behalf of" prefix is needed), end-user contacts, and the
//! passthrough. Zendesk's validation errors come back as problems located in the Merge
//! request (JSON pointers); the answers are mapped with the read mapping.
//!
//! Every write is sent once (no retry after it was sent, so a timeout never creates a ticket
//! twice); only a spent budget or a 429 (nothing was done) is waited out, for at most
//! [`MAX_BUDGET_WAIT`]. The request bodies are built in [`crate::bodies`].

use std::time::Duration;

use deskbridge_provider::{
    CommentAuthor, CommentWrite, ContactWrite, FieldProblem, PassthroughRequest,
    PassthroughResponse, ProviderCall, ProviderError, TicketWrite, WriteContext, WriteOutcome,
    WriteWarning,
};
use reqwest::Method;
use serde_json::{Value, json};

use crate::bodies::{Built, comment_body, contact_body, ticket_body};
use crate::errors::{classify_status, confine_path};
use crate::fields::remote_id_of;
use crate::mapping::{Lookups, map_comment, map_contact, map_tag, map_ticket};
use crate::provider::ZendeskProvider;

/// The longest a write waits for the account's rate budget before answering 429.
pub const MAX_BUDGET_WAIT: Duration = Duration::from_secs(10);

/// Problem type of keys Zendesk dropped (its `X-Zendesk-API-Warn` header).
pub const FIELD_IGNORED: &str = "FIELD_IGNORED";

/// Response headers the passthrough hands back; everything else (cookies, authentication
/// challenges, anything unknown) is dropped.
pub const SAFE_RESPONSE_HEADERS: &[&str] = &[
    "content-type",
    "content-length",
    "date",
    "etag",
    "last-modified",
    "location",
    "retry-after",
    "x-request-id",
    "x-zendesk-api-version",
    "x-zendesk-api-warn",
    "x-rate-limit",
    "x-rate-limit-remaining",
    "ratelimit-limit",
    "ratelimit-remaining",
    "ratelimit-reset",
    "rate-limit",
    "rate-limit-remaining",
    "rate-limit-reset",
];

struct Answer {
    body: Value,
    warn: Option<String>,
}

/// One write call: waits out a spent budget or a 429 for at most [`MAX_BUDGET_WAIT`], then
/// sends once. 2xx → JSON; 4xx → classified; 5xx → `Transient`.
async fn call(
    p: &ZendeskProvider,
    calls: &mut Vec<ProviderCall>,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> Result<Answer, ProviderError> {
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
            Err(e) => {
                if !matches!(e, ProviderError::RateLimited { .. }) {
                    calls.push(ProviderCall {
                        method: method.to_string(),
                        url: url.to_string(),
                        status: 0,
                    });
                }
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
        let body = serde_json::from_slice(&raw.body)
            .map_err(|_| ProviderError::Protocol("the answer is not JSON".into()))?;
        let warn = raw
            .headers
            .get("x-zendesk-api-warn")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        return Ok(Answer { body, warn });
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

fn ignored_warning(warn: Option<String>) -> Option<WriteWarning> {
    warn.map(|w| WriteWarning {
        pointer: None,
        problem_type: FIELD_IGNORED.to_string(),
        title: "Fields Ignored".to_string(),
        detail: format!(
            "Zendesk ignored some keys: {}",
            w.chars().take(500).collect::<String>()
        ),
    })
}

fn lookups(ctx: &WriteContext) -> Lookups {
    let status_categories = ctx
        .metadata
        .get("custom_statuses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| {
            Some((
                remote_id_of(s)?,
                s.get("status_category")?.as_str()?.to_string(),
            ))
        })
        .collect();
    Lookups {
        status_categories,
        ..Lookups::default()
    }
}

fn ticket_outcome(
    p: &ZendeskProvider,
    answer: Answer,
    ctx: &WriteContext,
    mut warnings: Vec<WriteWarning>,
    calls: Vec<ProviderCall>,
) -> Result<WriteOutcome, ProviderError> {
    let raw = answer.body.get("ticket").cloned().unwrap_or(Value::Null);
    let record = map_ticket(p.la, p.base_url(), &raw, &lookups(ctx))?;
    let related = raw
        .get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(map_tag)
        .collect();
    warnings.extend(ignored_warning(answer.warn));
    Ok(WriteOutcome {
        record,
        related,
        warnings,
        calls,
    })
}

/// `POST /tickets` with `{"ticket": {…, "comment": {…}}}` (the description is the first
/// comment).
pub(crate) async fn create_ticket(
    p: &ZendeskProvider,
    t: &TicketWrite,
    ctx: &WriteContext,
) -> Result<WriteOutcome, ProviderError> {
    let built = ticket_body(t, ctx, true);
    let mut calls = Vec::new();
    let body = json!({ "ticket": built.body });
    let answer = call(p, &mut calls, Method::POST, "tickets.json", Some(&body))
        .await
        .map_err(|e| located(e, &built))?;
    ticket_outcome(p, answer, ctx, built.warnings, calls)
}

/// `PUT /tickets/{id}`; a change Zendesk cannot carry at all is only a read.
pub(crate) async fn update_ticket(
    p: &ZendeskProvider,
    remote_id: &str,
    t: &TicketWrite,
    ctx: &WriteContext,
) -> Result<WriteOutcome, ProviderError> {
    let id = numeric(remote_id)?;
    let built = ticket_body(t, ctx, false);
    let mut calls = Vec::new();
    let path = format!("tickets/{id}.json");
    let answer = if built.body.is_empty() {
        call(p, &mut calls, Method::GET, &path, None).await?
    } else {
        let body = json!({ "ticket": built.body });
        call(p, &mut calls, Method::PUT, &path, Some(&body))
            .await
            .map_err(|e| located(e, &built))?
    };
    ticket_outcome(p, answer, ctx, built.warnings, calls)
}

/// `PUT /tickets/{id}` with `{"ticket": {"comment": {body|html_body, public, author_id}}}`;
/// the comment is read back from the audit's `Comment` event.
pub(crate) async fn create_comment(
    p: &ZendeskProvider,
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
    let built = comment_body(c)?;
    let mut calls = Vec::new();
    let body = json!({ "ticket": built.body });
    let answer = call(
        p,
        &mut calls,
        Method::PUT,
        &format!("tickets/{id}.json"),
        Some(&body),
    )
    .await
    .map_err(|e| located(e, &built))?;
    let audit = answer.body.get("audit").cloned().unwrap_or(Value::Null);
    let mut event = audit
        .get("events")
        .and_then(Value::as_array)
        .and_then(|evs| {
            evs.iter()
                .find(|e| e.get("type").and_then(Value::as_str) == Some("Comment"))
        })
        .cloned()
        .ok_or_else(|| ProviderError::Protocol("Zendesk recorded no comment".into()))?;
    if let Some(obj) = event.as_object_mut()
        && !obj.contains_key("created_at")
    {
        obj.insert(
            "created_at".into(),
            audit.get("created_at").cloned().unwrap_or(Value::Null),
        );
    }
    let staff = !matches!(c.author, CommentAuthor::Contact(_));
    let record = map_comment(p.la, id, &event, Some(staff))?;
    let mut warnings = built.warnings;
    warnings.extend(ignored_warning(answer.warn));
    Ok(WriteOutcome {
        record,
        related: Vec::new(),
        warnings,
        calls,
    })
}

/// `POST /users` with `role: "end-user"`.
pub(crate) async fn create_contact(
    p: &ZendeskProvider,
    c: &ContactWrite,
) -> Result<WriteOutcome, ProviderError> {
    let built = contact_body(c);
    let mut calls = Vec::new();
    let body = json!({ "user": built.body });
    let answer = call(p, &mut calls, Method::POST, "users.json", Some(&body))
        .await
        .map_err(|e| located(e, &built))?;
    let raw = answer.body.get("user").cloned().unwrap_or(Value::Null);
    let record = map_contact(p.la, &raw)?;
    let mut warnings = built.warnings;
    warnings.extend(ignored_warning(answer.warn));
    Ok(WriteOutcome {
        record,
        related: Vec::new(),
        warnings,
        calls,
    })
}

/// A passthrough request: confined to `/api/v2/`, fails fast on the budget, keeps only
/// [`SAFE_RESPONSE_HEADERS`] and the `zendesk-ratelimit-*` bucket headers.
pub(crate) async fn passthrough(
    p: &ZendeskProvider,
    req: &PassthroughRequest,
) -> Result<PassthroughResponse, ProviderError> {
    let method = Method::from_bytes(req.method.to_ascii_uppercase().as_bytes())
        .map_err(|_| ProviderError::Protocol("unknown HTTP method".into()))?;
    let url = confine_path(p.base_url(), &req.path)?;
    let raw = p.send(method, &req.path, req.body.as_ref()).await?;
    let headers = raw
        .headers
        .iter()
        .filter(|(name, _)| {
            let n = name.as_str();
            SAFE_RESPONSE_HEADERS.contains(&n)
                || n.starts_with("zendesk-ratelimit-")
                || n.starts_with("zendesk-rate-limit-")
        })
        .filter_map(|(name, v)| Some((name.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect();
    Ok(PassthroughResponse {
        url: url.to_string(),
        status: raw.status.as_u16(),
        headers,
        body: raw.body,
    })
}
