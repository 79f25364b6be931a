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
use crate::extract::{AccountAuth, ApiJson, Parsed};
use crate::idempotency::{self, Ledger, WriteReply};
use crate::state::AppState;
use crate::write_query::{WriteParams, WriteQuery};
use crate::write_responses::{IdempotentWriteErrors, WriteErrors};
use crate::write_steps::{parse_request, unsupported_linked_params};
use crate::writes::{Refs, Writer};

async fn create(
    state: &AppState,
    auth: &AccountAuth,
    q: &WriteQuery,
    raw: &Value,
    ledger: Ledger,
) -> ApiResult<WriteReply> {
    let (req, mut warnings) = parse_request::<CommentRequest>(raw)?;
    let w = Writer::new(state, auth, q, ledger).await?;
    let mut refs = Refs::default();
    refs.one(ModelKind::Ticket, req.ticket.as_ref(), "/model/ticket");
    refs.one(ModelKind::User, req.user.as_ref(), "/model/user");
    refs.one(ModelKind::Contact, req.contact.as_ref(), "/model/contact");
    let resolved = w.resolve_or_reply(&refs, &warnings).await?;
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
    let unsupported = unsupported_linked_params(&req.linked_account_params);
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
    w.send(ModelKind::Comment, StatusCode::CREATED, warnings, || {
        w.provider.create_comment(&cw, &w.ctx)
    })
    .await
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
    Parsed(q): Parsed<WriteQuery>,
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
