//! `POST /tickets` and `PATCH /tickets/{id}`: written to the helpdesk first, then stored.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use deskbridge_model::{
    ModelKind, Patch, PatchedTicketEndpointRequest, PatchedTicketRequest, TicketEndpointRequest,
    TicketRequest, TicketResponse, ValidationProblem,
};
use deskbridge_provider::TicketWrite;
use serde_json::Value;

use crate::error::{ApiError, ApiResult};
use crate::extract::{AccountAuth, ApiJson, Parsed};
use crate::idempotency::{self, Ledger, WriteReply};
use crate::state::AppState;
use crate::write_query::{WriteParams, WriteQuery};
use crate::write_responses::{IdempotentWriteErrors, WriteErrors};
use crate::write_steps::parse_request;
use crate::writes::{Refs, Writer, errors_reply, has_value, present};
use deskbridge_model::common::ErrorDetail;

/// A create body as a patch (absent fields stay absent), plus `attachments` (create only).
fn as_patch(t: TicketRequest) -> (PatchedTicketRequest, bool) {
    let attachments = t.attachments.as_ref().is_some_and(|a| !a.is_empty());
    let p = PatchedTicketRequest {
        name: present(&t.name),
        assignees: present(&t.assignees),
        assigned_teams: present(&t.assigned_teams),
        creator: present(&t.creator),
        due_date: present(&t.due_date),
        status: present(&t.status),
        description: present(&t.description),
        collections: present(&t.collections),
        ticket_type: present(&t.ticket_type),
        account: present(&t.account),
        contact: present(&t.contact),
        parent_ticket: present(&t.parent_ticket),
        access_level: present(&t.access_level),
        tags: present(&t.tags),
        roles: present(&t.roles),
        completed_at: present(&t.completed_at),
        ticket_url: present(&t.ticket_url),
        priority: present(&t.priority),
        integration_params: present(&t.integration_params),
        linked_account_params: present(&t.linked_account_params),
        remote_fields: present(&t.remote_fields),
    };
    (p, attachments)
}

/// Turns the request into the provider's ticket write, resolving relations and custom
/// fields; problems stop the write.
async fn ticket_write(
    w: &Writer<'_>,
    p: &PatchedTicketRequest,
    attachments: bool,
) -> ApiResult<Result<TicketWrite, Vec<ValidationProblem>>> {
    let mut refs = Refs::default();
    let list = |v: &Patch<Vec<uuid::Uuid>>| match v {
        Patch::Value(l) => Some(l.clone()),
        _ => None,
    };
    let one = |v: &Patch<uuid::Uuid>| match v {
        Patch::Value(id) => Some(*id),
        _ => None,
    };
    refs.list(
        ModelKind::User,
        list(&p.assignees).as_ref(),
        "/model/assignees",
    );
    refs.list(
        ModelKind::Team,
        list(&p.assigned_teams).as_ref(),
        "/model/assigned_teams",
    );
    refs.one(
        ModelKind::Contact,
        one(&p.contact).as_ref(),
        "/model/contact",
    );
    refs.one(
        ModelKind::Account,
        one(&p.account).as_ref(),
        "/model/account",
    );
    refs.one(
        ModelKind::Ticket,
        one(&p.parent_ticket).as_ref(),
        "/model/parent_ticket",
    );
    let (resolved, mut problems) = w.resolve(&refs).await?;
    let params = match &p.integration_params {
        Patch::Value(m) => Some(m.clone()),
        _ => None,
    };
    let remote_fields = match &p.remote_fields {
        Patch::Value(l) => l.clone(),
        _ => Vec::new(),
    };
    let custom_fields = w.custom_fields(&remote_fields, params.as_ref(), &mut problems);
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    let mut unsupported = Vec::new();
    let mut flag = |name: &str, sent: bool| {
        if sent {
            unsupported.push(name.to_string());
        }
    };
    flag("creator", has_value(&p.creator, |_| false));
    flag("collections", has_value(&p.collections, Vec::is_empty));
    flag("access_level", has_value(&p.access_level, |_| false));
    flag("roles", has_value(&p.roles, Vec::is_empty));
    flag("completed_at", has_value(&p.completed_at, |_| false));
    flag("ticket_url", has_value(&p.ticket_url, String::is_empty));
    flag("attachments", attachments);
    flag(
        "linked_account_params",
        has_value(&p.linked_account_params, serde_json::Map::is_empty),
    );
    let mut extra = params.unwrap_or_default();
    extra.remove("custom_fields");
    Ok(Ok(TicketWrite {
        name: p.name.clone(),
        description: p.description.clone(),
        status: p.status.clone(),
        priority: p.priority.clone(),
        ticket_type: p.ticket_type.clone(),
        due_date: p.due_date.clone(),
        assignees: resolved.patch_list(ModelKind::User, &p.assignees),
        assigned_teams: resolved.patch_list(ModelKind::Team, &p.assigned_teams),
        contact: resolved.patch(ModelKind::Contact, &p.contact),
        account: resolved.patch(ModelKind::Account, &p.account),
        parent_ticket: resolved.patch(ModelKind::Ticket, &p.parent_ticket),
        tags: p.tags.clone(),
        custom_fields,
        integration_params: extra,
        unsupported,
    }))
}

async fn create(
    state: &AppState,
    auth: &AccountAuth,
    q: &WriteQuery,
    raw: &Value,
    ledger: Ledger,
) -> ApiResult<WriteReply> {
    let (req, warnings) = parse_request::<TicketRequest>(raw)?;
    let w = Writer::new(state, auth, q, ledger).await?;
    let (patch, attachments) = as_patch(req);
    let tw = match ticket_write(&w, &patch, attachments).await? {
        Ok(tw) => tw,
        Err(errors) => return Err(errors_reply(errors, warnings)),
    };
    w.send(ModelKind::Ticket, StatusCode::CREATED, warnings, || {
        w.provider.create_ticket(&tw, &w.ctx)
    })
    .await
}

async fn update(
    state: &AppState,
    auth: &AccountAuth,
    id: &str,
    q: &WriteQuery,
    raw: &Value,
    ledger: Ledger,
) -> ApiResult<WriteReply> {
    let not_found = || ApiError::NotFound("No Ticket matches the given id.".into());
    let id: uuid::Uuid = id.parse().map_err(|_| not_found())?;
    let row = state
        .store
        .records_by_ids(
            auth.org.id,
            auth.account.id,
            ModelKind::Ticket,
            &[id],
            false,
        )
        .await?
        .into_iter()
        .next()
        .ok_or_else(not_found)?;
    let (patch, warnings) = parse_request::<PatchedTicketRequest>(raw)?;
    let w = Writer::new(state, auth, q, ledger).await?;
    let tw = match ticket_write(&w, &patch, false).await? {
        Ok(tw) => tw,
        Err(errors) => return Err(errors_reply(errors, warnings)),
    };
    w.send(ModelKind::Ticket, StatusCode::OK, warnings, || {
        w.provider.update_ticket(&row.remote_id, &tw, &w.ctx)
    })
    .await
}

/// Creates a ticket in the linked account's helpdesk, then stores it (reads show it at
/// once). Status OPEN/ON_HOLD/CLOSED → Freshdesk 2/3/5, IN_PROGRESS → the account's first
/// custom status; the first assignee becomes `responder_id`; `remote_fields` and
/// `integration_params.custom_fields` become Freshdesk custom fields; other
/// `integration_params` keys are sent as Freshdesk fields (e.g. `email` for a requester
/// without a contact). Fields Freshdesk cannot carry are warnings. With `Idempotency-Key`
/// (kept 24 hours per linked account), a repeated request answers the first result and
/// creates nothing; the same key with another body is a 409. `run_async` is accepted and
/// the write is always synchronous.
#[utoipa::path(
    post,
    path = "/api/ticketing/v1/tickets",
    tag = "tickets",
    params(
        WriteParams,
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried POST safe: same key and body, same answer, nothing created twice (24 hours)"),
    ),
    request_body = TicketEndpointRequest,
    responses(
        (status = 201, description = "Created in the helpdesk and stored", body = TicketResponse),
        IdempotentWriteErrors,
        (status = 503, description = "Database unavailable; retry. Or the helpdesk wrote the record but it could not be stored: the detail names the helpdesk's id (do not send it again)", body = ErrorDetail),
        WriteErrors,
    ),
    security(("bearerAuth" = [], "accountToken" = []))
)]
pub async fn tickets_create(
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
        "POST /tickets",
        &raw,
        move |ledger| async move { create(&s, &a, &q, &r, ledger).await },
    )
    .await
}

/// Changes a ticket in the helpdesk, then stores it. Merge's PATCH semantics: a field
/// present is set, `null` clears it, a list replaces the whole list (`[]` clears it).
#[utoipa::path(
    patch,
    path = "/api/ticketing/v1/tickets/{id}",
    tag = "tickets",
    params(("id" = uuid::Uuid, Path, description = "The ticket's id"), WriteParams),
    request_body = PatchedTicketEndpointRequest,
    responses(
        (status = 200, description = "Changed in the helpdesk and stored", body = TicketResponse),
        (status = 404, description = "No such ticket", body = ErrorDetail),
        WriteErrors,
    ),
    security(("bearerAuth" = [], "accountToken" = []))
)]
pub async fn tickets_partial_update(
    State(state): State<AppState>,
    auth: AccountAuth,
    Path(id): Path<String>,
    Parsed(q): Parsed<WriteQuery>,
    // The body stays JSON until `parse_model`: keys the model does not know are Merge's
    // warnings, not errors.
    ApiJson(raw): ApiJson<Value>,
) -> ApiResult<Response> {
    idempotency::run_unkeyed(move |ledger| async move {
        update(&state, &auth, &id, &q, &raw, ledger).await
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_bodies_become_patches_without_nulls() {
        let t: TicketRequest = serde_json::from_value(serde_json::json!({
            "name": "x", "attachments": [], "tags": ["a"]
        }))
        .expect("request");
        let (p, attachments) = as_patch(t);
        assert_eq!(p.name, Patch::Value("x".into()));
        assert_eq!(p.tags, Patch::Value(vec!["a".into()]));
        assert_eq!(p.status, Patch::Absent);
        assert!(!attachments);
    }
}
