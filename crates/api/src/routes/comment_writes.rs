//! `POST /comments`: a reply or a note on a ticket, written to the helpdesk first, then stored.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use deskbridge_model::common::ErrorDetail;
use deskbridge_model::{
    CommentEndpointRequest, CommentRequest, CommentResponse, ModelKind, ValidationProblem,
};
use deskbridge_provider::{CommentAuthor, CommentWrite};
use serde_json::Value;

use crate::error::ApiResult;
use crate::extract::{AccountAuth, ApiJson, ApiQuery};
use crate::idempotency::{self, Ledger, WriteReply};
use crate::state::AppState;
use crate::write_responses::{IdempotentWriteErrors, WriteErrors};
use crate::writes::{Refs, WriteParams, Writer, errors_reply, parse_model, unknown_field_warnings};

async fn create(
    state: &AppState,
    auth: &AccountAuth,
    q: &WriteParams,
    raw: &Value,
    ledger: Ledger,
) -> ApiResult<WriteReply> {
    let (req, model) = match parse_model::<CommentRequest>(raw) {
        Ok(x) => x,
        Err(e) => return Err(e),
    };
    let mut warnings = unknown_field_warnings::<CommentRequest>(&model);
    let w = Writer::new(state, auth, q, ledger).await?;
    let mut refs = Refs::default();
    refs.one(ModelKind::Ticket, req.ticket.as_ref(), "/model/ticket");
    refs.one(ModelKind::User, req.user.as_ref(), "/model/user");
    refs.one(ModelKind::Contact, req.contact.as_ref(), "/model/contact");
    let (resolved, problems) = w.resolve(&refs).await?;
    if !problems.is_empty() {
        return Err(errors_reply(problems, warnings));
    }
    let user = req
        .user
        .as_ref()
        .and_then(|id| resolved.get(ModelKind::User, id));
    let contact = req
        .contact
        .as_ref()
        .and_then(|id| resolved.get(ModelKind::Contact, id));
    let author = match (user, contact) {
        (Some(u), c) => {
            if c.is_some() {
                warnings.push(
                    ValidationProblem::new(
                        "UNSUPPORTED_FIELD",
                        "Field Not Supported",
                        "A comment has one author: it was written as the user; `contact` was ignored.",
                    )
                    .at("/model/contact"),
                );
            }
            CommentAuthor::User(u)
        }
        (None, Some(c)) => CommentAuthor::Contact(c),
        (None, None) => CommentAuthor::Default,
    };
    let mut unsupported = Vec::new();
    if req
        .linked_account_params
        .as_ref()
        .is_some_and(|m| !m.is_empty())
    {
        unsupported.push("linked_account_params".to_string());
    }
    let cw = CommentWrite {
        ticket: req
            .ticket
            .as_ref()
            .and_then(|id| resolved.get(ModelKind::Ticket, id)),
        body: req.body.clone(),
        html_body: req.html_body.clone(),
        is_private: req.is_private,
        author,
        integration_params: req.integration_params.clone().unwrap_or_default(),
        unsupported,
    };
    w.sending().await?;
    match w.provider.create_comment(&cw, &w.ctx).await {
        Ok(o) => {
            w.finish(ModelKind::Comment, o, warnings, StatusCode::CREATED)
                .await
        }
        Err(e) => w.failure(e, warnings),
    }
}

/// Adds a comment to a ticket in the helpdesk, then stores it. Freshdesk: a user's comment
/// with `is_private=false` (or unset) is a reply, with `is_private=true` a private note; a
/// contact's comment is a public note with `incoming=true` and the contact as author; without
/// an author, the agent whose API key is linked writes it. `html_body` is preferred; a plain
/// `body` is escaped into HTML. `Idempotency-Key` and `run_async` as for POST /tickets.
#[utoipa::path(
    post,
    path = "/api/ticketing/v1/comments",
    tag = "comments",
    params(
        WriteParams,
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried POST safe: same key and body, same answer, nothing created twice (24 hours)"),
    ),
    request_body = CommentEndpointRequest,
    responses(
        (status = 201, description = "Created in the helpdesk and stored", body = CommentResponse),
        (status = 404, description = "The ticket no longer exists in the helpdesk", body = ErrorDetail),
        IdempotentWriteErrors,
        WriteErrors,
    ),
    security(("bearerAuth" = [], "accountToken" = []))
)]
pub async fn comments_create(
    State(state): State<AppState>,
    auth: AccountAuth,
    ApiQuery(q): ApiQuery<WriteParams>,
    headers: HeaderMap,
    // The body stays JSON until `parse_model`: keys the model does not know are Merge's
    // warnings, not errors, and an idempotency key covers the body as it was sent.
    ApiJson(raw): ApiJson<Value>,
) -> ApiResult<Response> {
    let (s, a, r) = (state.clone(), auth.clone(), raw.clone());
    idempotency::run(
        &state,
        &auth,
        &headers,
        "POST /comments",
        &raw,
        move |ledger| async move { create(&s, &a, &q, &r, ledger).await },
    )
    .await
}
