//! `Idempotency-Key` on POST writes, scoped to the linked account and kept 24 hours.
//!
//! The first request with a key runs and its answer (a success, or a Merge-style 400) is
//! stored; the same key with the same request answers that again without writing anything
//! (header `Idempotent-Replayed: true`); the same key with another request is a 409, and so
//! is a key whose first request is still running. A request that ends in an error worth
//! retrying (429, 5xx, the helpdesk unreachable) frees its key.

use std::future::Future;

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use deskbridge_store::idempotency::{Claim, request_fingerprint};
use serde_json::Value;
use tracing::warn;

use crate::error::{ApiError, ApiResult};
use crate::extract::AccountAuth;
use crate::state::AppState;

/// The request header.
pub const HEADER: &str = "idempotency-key";
/// The header marking a replayed answer.
pub const REPLAYED: &str = "idempotent-replayed";

/// The answer of a write, before it is sent (and stored for its idempotency key).
#[derive(Debug, Clone)]
pub struct WriteReply {
    /// HTTP status.
    pub status: StatusCode,
    /// JSON body.
    pub body: Value,
}

impl IntoResponse for WriteReply {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

/// The `Idempotency-Key` of a request: absent, or 1 to 255 visible ASCII characters.
pub fn key(headers: &HeaderMap) -> ApiResult<Option<String>> {
    let Some(v) = headers.get(HEADER) else {
        return Ok(None);
    };
    let text = v
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            ApiError::bad(
                "`Idempotency-Key` must be 1 to 255 visible ASCII characters, e.g. a UUID.",
            )
        })?;
    Ok(Some(text.to_string()))
}

/// Runs `write` under the request's idempotency key, if it has one (see the module docs).
/// `route` names the endpoint (e.g. `POST /tickets`); `body` is the request body.
pub async fn run<F, Fut>(
    state: &AppState,
    auth: &AccountAuth,
    headers: &HeaderMap,
    route: &str,
    body: &Value,
    write: F,
) -> ApiResult<Response>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = ApiResult<WriteReply>>,
{
    let Some(key) = key(headers)? else {
        return write().await.map(IntoResponse::into_response);
    };
    let la = auth.account.id;
    let hash = request_fingerprint("POST", route, body);
    match state.store.claim_idempotency_key(la, &key, &hash).await? {
        Claim::Claimed => {}
        Claim::Replay { status, body } => {
            let mut res = (
                StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )],
                body,
            )
                .into_response();
            res.headers_mut()
                .insert(REPLAYED, HeaderValue::from_static("true"));
            return Ok(res);
        }
        Claim::Mismatch => {
            return Err(ApiError::Conflict(
                "This Idempotency-Key was already used with a different request; use a new key \
                 for a new request."
                    .into(),
            ));
        }
        Claim::InProgress => {
            return Err(ApiError::Conflict(
                "A request with this Idempotency-Key is still being processed; retry shortly."
                    .into(),
            ));
        }
    }
    match write().await {
        Ok(reply) => {
            let text = reply.body.to_string();
            if let Err(e) = state
                .store
                .finish_idempotency_key(la, &key, reply.status.as_u16(), &text)
                .await
            {
                warn!(error = %e, "cannot store the result of an idempotent request");
            }
            Ok(reply.into_response())
        }
        Err(e) => {
            if let Err(e) = state.store.release_idempotency_key(la, &key).await {
                warn!(error = %e, "cannot release an idempotency key");
            }
            Err(e)
        }
    }
}
