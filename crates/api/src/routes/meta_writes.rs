//! Write schemas per linked account (`/…/meta/post`, `/tickets/meta/patch/{id}`): what a
//! form for this customer's helpdesk must ask, built from the account's stored
//! `ticket_fields` (required fields, status, priority and type choices, custom fields).

use axum::Json;
use axum::extract::{Path, State};
use deskbridge_model::common::ErrorDetail;
use deskbridge_model::{LinkedAccountStatus, MetaResponse, ModelKind};
use deskbridge_provider::ProviderError;
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::IntoParams;

use crate::error::{ApiError, ApiResult};
use crate::extract::{AccountAuth, ApiQuery};
use crate::state::AppState;
use crate::writes::{build_provider, write_context};

async fn meta(
    state: &AppState,
    auth: &AccountAuth,
    kind: ModelKind,
    patch: bool,
) -> ApiResult<Json<MetaResponse>> {
    let provider = build_provider(state, auth).await?;
    let ctx = write_context(state, auth).await?;
    let request_schema = provider
        .write_schema(kind, patch, &ctx)
        .map_err(|e| match e {
            ProviderError::Unsupported(what) => {
                ApiError::NotFound(format!("This integration does not support {what}."))
            }
            other => ApiError::Internal(other.to_string()),
        })?;
    let remote_field_classes: Map<String, Value> = if kind == ModelKind::Ticket {
        let la = &auth.account;
        crate::remote_fields::remote_field_classes(state, la.id, &la.integration, &ctx.metadata)
            .into_iter()
            .filter_map(|c| Some((c["id"].as_str()?.to_string(), c)))
            .collect()
    } else {
        Map::new()
    };
    let status = auth.account.status.clone();
    Ok(Json(MetaResponse {
        request_schema,
        remote_field_classes: Some(remote_field_classes),
        status: Some(LinkedAccountStatus {
            can_make_request: status == "COMPLETE",
            linked_account_status: status,
        }),
        has_conditional_params: true,
        has_required_linked_account_params: false,
    }))
}

/// Parameters of `GET /tickets/meta/post`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TicketMetaParams {
    /// Accepted; Freshdesk has no collections, so the schema does not depend on it.
    pub collection_id: Option<String>,
    /// Accepted; Freshdesk's ticket fields do not depend on the type.
    pub ticket_type: Option<String>,
}

/// The schema of `POST /tickets` for this linked account.
#[utoipa::path(
    get,
    path = "/api/ticketing/v1/tickets/meta/post",
    tag = "tickets",
    params(TicketMetaParams),
    responses(
        (status = 200, description = "The request schema", body = MetaResponse),
        (status = 400, description = "A query value is invalid", body = ErrorDetail),
    ),
    security(("bearerAuth" = [], "accountToken" = []))
)]
pub async fn tickets_meta_post_retrieve(
    State(state): State<AppState>,
    auth: AccountAuth,
    ApiQuery(_p): ApiQuery<TicketMetaParams>,
) -> ApiResult<Json<MetaResponse>> {
    meta(&state, &auth, ModelKind::Ticket, false).await
}

/// The schema of `PATCH /tickets/{id}` for this linked account.
#[utoipa::path(
    get,
    path = "/api/ticketing/v1/tickets/meta/patch/{id}",
    tag = "tickets",
    params(("id" = uuid::Uuid, Path, description = "The ticket's id")),
    responses(
        (status = 200, description = "The request schema", body = MetaResponse),
        (status = 404, description = "No such ticket", body = ErrorDetail),
    ),
    security(("bearerAuth" = [], "accountToken" = []))
)]
pub async fn tickets_meta_patch_retrieve(
    State(state): State<AppState>,
    auth: AccountAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<MetaResponse>> {
    let not_found = || ApiError::NotFound("No Ticket matches the given id.".into());
    let id: uuid::Uuid = id.parse().map_err(|_| not_found())?;
    let rows = state
        .store
        .records_by_ids(
            auth.org.id,
            auth.account.id,
            ModelKind::Ticket,
            &[id],
            false,
        )
        .await?;
    if rows.is_empty() {
        return Err(not_found());
    }
    meta(&state, &auth, ModelKind::Ticket, true).await
}

/// The schema of `POST /comments` for this linked account.
#[utoipa::path(
    get,
    path = "/api/ticketing/v1/comments/meta/post",
    tag = "comments",
    responses(
        (status = 200, description = "The request schema", body = MetaResponse),
    ),
    security(("bearerAuth" = [], "accountToken" = []))
)]
pub async fn comments_meta_post_retrieve(
    State(state): State<AppState>,
    auth: AccountAuth,
) -> ApiResult<Json<MetaResponse>> {
    meta(&state, &auth, ModelKind::Comment, false).await
}

/// The schema of `POST /contacts` for this linked account.
#[utoipa::path(
    get,
    path = "/api/ticketing/v1/contacts/meta/post",
    tag = "contacts",
    responses(
        (status = 200, description = "The request schema", body = MetaResponse),
    ),
    security(("bearerAuth" = [], "accountToken" = []))
)]
pub async fn contacts_meta_post_retrieve(
    State(state): State<AppState>,
    auth: AccountAuth,
) -> ApiResult<Json<MetaResponse>> {
    meta(&state, &auth, ModelKind::Contact, false).await
}
