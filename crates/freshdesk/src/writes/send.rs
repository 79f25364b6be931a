//! Sending writes once, and the answers mapped back with the read mapping.

use super::*;

/// One write call: waits out a spent budget or a 429 (nothing was done) for at most
/// [`MAX_BUDGET_WAIT`], then sends once. A 2xx answer is parsed as JSON; a 4xx is classified
/// ([`classify_status`]); a 5xx is `Transient`.
pub(crate) async fn call(
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

pub(crate) fn located(e: ProviderError, built: &Built) -> ProviderError {
    match e {
        ProviderError::Validation(problems) => ProviderError::Validation(built.locate(problems)),
        other => other,
    }
}

pub(crate) fn numeric(id: &str) -> Result<&str, ProviderError> {
    if id.is_empty() || id.len() > 20 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ProviderError::NotFound);
    }
    Ok(id)
}

/// Maps a ticket answer; for a resolved or closed ticket, views it with `stats` first
/// (1 + 1 credits) so that `completed_at` is right.
pub(crate) async fn ticket_outcome(
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
