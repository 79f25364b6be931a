//! `POST /passthrough`: an authenticated raw request to the linked account's helpdesk API,
//! confined to its API root (Freshdesk: the account's `/api/v2/`), charged to the account's
//! rate budget without waiting (a spent budget answers 429 with `Retry-After` at once).

use axum::Json;
use axum::extract::State;
use deskbridge_model::common::ErrorDetail;
use deskbridge_model::{
    DataPassthroughRequest, RemoteResponse, RequestFormatEnum, ResponseTypeEnum, WireEnum,
};
use deskbridge_provider::{PassthroughRequest, ProviderError};
use serde_json::{Map, Value};

use crate::error::{ApiError, ApiResult};
use crate::extract::{AccountAuth, ApiJson};
use crate::state::AppState;
use crate::writes::build_provider;

/// Checks the request and turns it into the provider's.
fn request(body: &DataPassthroughRequest, name: &str) -> ApiResult<PassthroughRequest> {
    if body
        .base_url_override
        .as_deref()
        .is_some_and(|b| !b.trim().is_empty())
    {
        return Err(ApiError::bad(
            "`base_url_override` is not accepted: passthrough requests go only to the linked account's helpdesk.",
        ));
    }
    if body
        .multipart_form_data
        .as_ref()
        .is_some_and(|m| !m.is_empty())
        || matches!(
            body.request_format,
            Some(RequestFormatEnum::Multipart | RequestFormatEnum::Xml)
        )
    {
        return Err(ApiError::bad(format!(
            "{name}'s API takes JSON: send `data` as JSON text with `request_format` JSON."
        )));
    }
    if body.path.trim().is_empty() {
        return Err(ApiError::bad(
            "`path` must name a path of the helpdesk's API, e.g. /tickets.",
        ));
    }
    let data = match body
        .data
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        None => None,
        Some(text) => Some(
            serde_json::from_str::<Value>(text)
                .map_err(|e| ApiError::bad(format!("`data` is not valid JSON: {e}")))?,
        ),
    };
    Ok(PassthroughRequest {
        method: body.method.as_str().to_string(),
        path: body.path.clone(),
        body: data,
    })
}

/// Sends a request to the linked account's helpdesk with its credentials and returns the
/// helpdesk's status, body and safe headers (never authentication or cookies; our own
/// authentication header is never returned). Freshdesk: `path` is relative to the account's
/// `/api/v2/` (`/tickets`; `/api/v2/tickets` is accepted too) and may not leave it (no
/// absolute URLs, `..`, `//` or host changes); `base_url_override` is refused; `data` is JSON
/// text; `headers` are not forwarded (the adapter sets `Content-Type` and authentication).
/// The call is charged to the same rate budget as the account's syncs, without waiting.
#[utoipa::path(
    post,
    path = "/api/ticketing/v1/passthrough",
    tag = "passthrough",
    request_body = DataPassthroughRequest,
    responses(
        (status = 200, description = "The helpdesk's answer (whatever its status)", body = RemoteResponse),
        (status = 400, description = "A refused path, base_url_override, or a body that is not JSON", body = ErrorDetail),
        (status = 429, description = "The account's helpdesk rate budget (or the caller rate limit) is spent; see Retry-After", body = ErrorDetail),
        (status = 502, description = "The helpdesk could not be reached", body = ErrorDetail),
    ),
    security(("bearerAuth" = [], "accountToken" = []))
)]
pub async fn passthrough_create(
    State(state): State<AppState>,
    auth: AccountAuth,
    ApiJson(body): ApiJson<DataPassthroughRequest>,
) -> ApiResult<Json<RemoteResponse>> {
    let slug = &auth.account.integration;
    let name = state
        .providers
        .get(slug)
        .map_or(slug.as_str(), |i| i.info().name);
    let req = request(&body, name)?;
    let provider = build_provider(&state, &auth).await?;
    let res = provider.passthrough(&req).await.map_err(|e| match e {
        ProviderError::Validation(problems) => ApiError::bad(
            problems
                .into_iter()
                .map(|p| p.message)
                .collect::<Vec<_>>()
                .join("; "),
        ),
        ProviderError::Unsupported(what) => {
            ApiError::bad(format!("This integration does not support {what}."))
        }
        other => state.provider_error(&auth.account.integration, other),
    })?;
    let response = if res.body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice::<Value>(&res.body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&res.body).into_owned()))
    };
    let response_headers: Map<String, Value> = res
        .headers
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    let mut sent = Map::new();
    if req.body.is_some() {
        sent.insert(
            "Content-Type".into(),
            Value::String("application/json".into()),
        );
    }
    Ok(Json(RemoteResponse {
        method: req.method,
        path: body.path,
        status: i32::from(res.status),
        response,
        response_headers: Some(response_headers),
        response_type: Some(ResponseTypeEnum::Json),
        headers: Some(sent),
    }))
}
