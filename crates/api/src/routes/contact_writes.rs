//! `POST /contacts`: a contact written to the helpdesk first, then stored.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use deskbridge_model::{
    ContactRequest, ModelKind, TicketingContactEndpointRequest, TicketingContactResponse,
};
use deskbridge_provider::ContactWrite;
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
    let (req, warnings) = parse_request::<ContactRequest>(raw)?;
    let w = Writer::new(state, auth, q, ledger).await?;
    let mut refs = Refs::default();
    refs.one(ModelKind::Account, req.account.as_ref(), "/model/account");
    let resolved = w.resolve_or_reply(&refs, &warnings).await?;
    let unsupported = unsupported_linked_params(&req.linked_account_params);
    let cw = ContactWrite {
        name: req.name.clone(),
        email_address: req.email_address.clone(),
        phone_number: req.phone_number.clone(),
        details: req.details.clone(),
        account: req
            .account
            .as_ref()
            .and_then(|id| resolved.get(ModelKind::Account, id)),
        integration_params: req.integration_params.clone().unwrap_or_default(),
        unsupported,
    };
    w.send(ModelKind::Contact, StatusCode::CREATED, warnings, || {
        w.provider.create_contact(&cw, &w.ctx)
    })
    .await
}

/// Creates a contact in the helpdesk, then stores it. Freshdesk needs a name and one of
/// email, phone (or, in `integration_params`, mobile, twitter_id, unique_external_id); an
/// email already used is `DUPLICATE_MODEL_EXISTS`. Other `integration_params` keys are sent
/// as Freshdesk contact fields. `Idempotency-Key` and `run_async` as for POST /tickets.
#[utoipa::path(
    post,
    path = "/api/ticketing/v1/contacts",
    tag = "contacts",
    params(
        WriteParams,
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried POST safe: same key and body, same answer, nothing created twice (24 hours)"),
    ),
    request_body = TicketingContactEndpointRequest,
    responses(
        (status = 201, description = "Created in the helpdesk and stored", body = TicketingContactResponse),
        IdempotentWriteErrors,
        WriteErrors,
    ),
    security(("bearerAuth" = [], "accountToken" = []))
)]
pub async fn contacts_create(
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
        "POST /contacts",
        &raw,
        move |ledger| async move { create(&s, &a, &q, &r, ledger).await },
    )
    .await
}
