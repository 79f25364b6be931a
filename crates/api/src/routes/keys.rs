//! Merge's `/generate-key` and `/regenerate-key`: named API keys of the caller's organization,
//! shown once and stored as hashes.

use axum::Json;
use axum::extract::State;
use deskbridge_model::audit::EventTypeEnum;
use deskbridge_model::common::ErrorDetail;
use deskbridge_model::linking::{
    GenerateRemoteKeyRequest, RemoteKey, RemoteKeyForRegenerationRequest,
};

use crate::audit::record_by_key;
use crate::client_ip::ClientIp;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, OrgAuth};
use crate::state::AppState;

/// The longest key name accepted.
const MAX_NAME: usize = 100;

fn key_name(name: &str) -> ApiResult<&str> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ApiError::bad("`name` must not be empty."));
    }
    if name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(ApiError::bad(format!(
            "`name` must be at most {MAX_NAME} characters, without control characters."
        )));
    }
    Ok(name)
}

/// Creates a new API key for the caller's organization. The key is shown only in this answer.
#[utoipa::path(
    post,
    path = "/api/ticketing/v1/generate-key",
    tag = "generate-key",
    request_body = GenerateRemoteKeyRequest,
    responses(
        (status = 200, description = "The new key (shown once)", body = RemoteKey),
        (status = 400, description = "Invalid body or name", body = ErrorDetail),
    ),
    security(("bearerAuth" = []))
)]
pub async fn generate_key_create(
    State(state): State<AppState>,
    auth: OrgAuth,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<GenerateRemoteKeyRequest>,
) -> ApiResult<Json<RemoteKey>> {
    let name = key_name(&body.name)?;
    let key = state.store.create_api_key(auth.org.id, name).await?;
    let description = format!("Created API key \"{name}\" ({}…).", key.info.prefix);
    let event = EventTypeEnum::CreatedRemoteProductionApiKey;
    record_by_key(&state, &auth, ip, event, description).await;
    Ok(Json(RemoteKey {
        name: key.info.name,
        key: key.key,
    }))
}

/// Revokes every live API key of the caller's organization with this name and returns a new
/// one of the same name (shown only in this answer). The caller's own key may be among those
/// revoked.
#[utoipa::path(
    post,
    path = "/api/ticketing/v1/regenerate-key",
    tag = "regenerate-key",
    request_body = RemoteKeyForRegenerationRequest,
    responses(
        (status = 200, description = "The new key (shown once)", body = RemoteKey),
        (status = 400, description = "Invalid body or name", body = ErrorDetail),
        (status = 404, description = "The organization has no live key of this name", body = ErrorDetail),
    ),
    security(("bearerAuth" = []))
)]
pub async fn regenerate_key_create(
    State(state): State<AppState>,
    auth: OrgAuth,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<RemoteKeyForRegenerationRequest>,
) -> ApiResult<Json<RemoteKey>> {
    let name = key_name(&body.name)?;
    let key = state
        .store
        .regenerate_api_key(auth.org.id, name)
        .await?
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "No live API key is named \"{name}\"; create one with /generate-key."
            ))
        })?;
    let description = format!(
        "Regenerated API key \"{name}\": revoked its live keys and created {}….",
        key.info.prefix
    );
    let event = EventTypeEnum::RegeneratedProductionApiKey;
    record_by_key(&state, &auth, ip, event, description).await;
    Ok(Json(RemoteKey {
        name: key.info.name,
        key: key.key,
    }))
}
