//! Extractors: the caller's API key, the linked account's token, and JSON bodies and query
//! strings whose rejections are answered in Merge's `{"detail"}` form.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::HeaderValue;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use deskbridge_store::ApiKeyId;
use deskbridge_store::accounts::LinkedAccount;
use deskbridge_store::orgs::Organization;
use serde::de::DeserializeOwned;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::ApiError;
use crate::limiter::RateStatus;
use crate::params::FromQuery;
use crate::state::AppState;

/// An authenticated organization (from `Authorization: Bearer <API key>`).
#[derive(Debug, Clone)]
pub struct OrgAuth {
    /// The organization.
    pub org: Organization,
    /// The key used.
    pub key_id: ApiKeyId,
}

/// An authenticated organization plus the linked account of `X-Account-Token`.
#[derive(Debug, Clone)]
pub struct AccountAuth {
    /// The organization.
    pub org: Organization,
    /// The linked account, which belongs to `org`.
    pub account: LinkedAccount,
}

fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    let value = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or_else(|| {
            ApiError::Unauthorized("Authentication credentials were not provided.".into())
        })?;
    let text = value
        .to_str()
        .map_err(|_| ApiError::Unauthorized("Invalid Authorization header.".into()))?;
    let (scheme, key) = text
        .split_once(' ')
        .ok_or_else(|| ApiError::Unauthorized("Use `Authorization: Bearer <API key>`.".into()))?;
    if !scheme.eq_ignore_ascii_case("bearer") || key.trim().is_empty() {
        return Err(ApiError::Unauthorized(
            "Use `Authorization: Bearer <API key>`.".into(),
        ));
    }
    Ok(key.trim())
}

impl FromRequestParts<AppState> for OrgAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(auth) = parts.extensions.get::<OrgAuth>() {
            return Ok(auth.clone());
        }
        let key = bearer(parts)?;
        let (org, key_id) = state
            .store
            .authenticate_api_key(key)
            .await?
            .ok_or_else(|| ApiError::Unauthorized("Invalid API key.".into()))?;
        let auth = OrgAuth { org, key_id };
        parts.extensions.insert(auth.clone());
        Ok(auth)
    }
}

impl FromRequestParts<AppState> for AccountAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get("x-account-token")
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        let (org, account) = match (parts.extensions.get::<OrgAuth>(), token) {
            // The usual case: key and token checked in one statement.
            (None, Some(token)) => {
                let key = bearer(parts)?;
                let (org, key_id, account) =
                    state
                        .store
                        .authenticate_account(key, &token)
                        .await?
                        .ok_or_else(|| ApiError::Unauthorized("Invalid API key.".into()))?;
                parts.extensions.insert(OrgAuth {
                    org: org.clone(),
                    key_id,
                });
                (org, account)
            }
            (_, token) => {
                // An invalid key is reported before a missing token.
                let OrgAuth { org, .. } = OrgAuth::from_request_parts(parts, state).await?;
                let token = token.ok_or_else(|| {
                    ApiError::Unauthorized(
                        "Account Token must be passed in as an X-Account-Token header.".into(),
                    )
                })?;
                let account = state.store.account_by_token(org.id, &token).await?;
                (org, account)
            }
        };
        let account =
            account.ok_or_else(|| ApiError::Unauthorized("Invalid account token.".into()))?;
        if let Some(status) = state.limiter.count(account.id)? {
            if let Some(slot) = parts.extensions.get::<RateSlot>() {
                slot.set(status);
            }
            if !status.allowed {
                return Err(status.error());
            }
        }
        Ok(AccountAuth { org, account })
    }
}

/// Where [`AccountAuth`] leaves the account's rate window for [`rate_limit_headers`].
#[derive(Debug, Clone, Default)]
pub struct RateSlot(Arc<Mutex<Option<RateStatus>>>);

impl RateSlot {
    fn set(&self, status: RateStatus) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(status);
        }
    }

    fn get(&self) -> Option<RateStatus> {
        self.0.lock().ok().and_then(|slot| *slot)
    }
}

/// Middleware adding `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`
/// (epoch seconds) to the answers of linked-account endpoints, 429s included.
pub async fn rate_limit_headers(mut req: Request, next: Next) -> Response {
    let slot = RateSlot::default();
    req.extensions_mut().insert(slot.clone());
    let mut res = next.run(req).await;
    if let Some(status) = slot.get() {
        let reset = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() + status.reset_secs)
            .unwrap_or_default();
        let headers = res.headers_mut();
        for (name, value) in [
            ("x-ratelimit-limit", u64::from(status.limit)),
            ("x-ratelimit-remaining", u64::from(status.remaining)),
            ("x-ratelimit-reset", reset),
        ] {
            headers.insert(name, HeaderValue::from(value));
        }
    }
    res
}

/// Documents the rate-limit headers on the 2xx and 429 answers of every operation that takes
/// an account token (the operations [`rate_limit_headers`] adds them to).
pub fn document_rate_limit_headers(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::header::Header;
    use utoipa::openapi::{Object, RefOr, Type};
    let headers = [
        (
            "X-RateLimit-Limit",
            "Requests allowed per minute for this linked account",
        ),
        (
            "X-RateLimit-Remaining",
            "Requests left in the current minute",
        ),
        (
            "X-RateLimit-Reset",
            "When the current minute ends (Unix epoch seconds)",
        ),
    ];
    for item in doc.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            let account_scoped = serde_json::to_value(&op.security)
                .is_ok_and(|v| v.to_string().contains("\"accountToken\""));
            if !account_scoped {
                continue;
            }
            for (status, response) in op.responses.responses.iter_mut() {
                if let (true, RefOr::T(response)) =
                    (status.starts_with('2') || status == "429", response)
                {
                    for (name, description) in headers {
                        let mut header = Header::new(Object::with_type(Type::Integer));
                        header.description = Some(description.to_string());
                        response.headers.insert(name.to_string(), RefOr::T(header));
                    }
                }
            }
        }
    }
}

/// `axum::Json` with rejections as `{"detail"}` 400s.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(JsonRejection::JsonDataError(e)) => Err(ApiError::bad(format!(
                "Invalid request body: {}",
                e.body_text()
            ))),
            Err(JsonRejection::JsonSyntaxError(e)) => {
                Err(ApiError::bad(format!("Malformed JSON: {}", e.body_text())))
            }
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::bad(
                "Send the body as JSON with `Content-Type: application/json`.",
            )),
            Err(JsonRejection::BytesRejection(e)) => {
                if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    Err(ApiError::PayloadTooLarge(
                        "The request body is too large.".into(),
                    ))
                } else {
                    Err(ApiError::bad(format!(
                        "Cannot read the request body: {}",
                        e.body_text()
                    )))
                }
            }
            Err(e) => Err(ApiError::bad(e.body_text())),
        }
    }
}

/// A query parsed into `T` before the handler runs: deserialised as [`ApiQuery`] does, then
/// checked by [`FromQuery::parse`], with the same 400s.
#[derive(Debug, Clone, Copy, Default)]
pub struct Parsed<T>(pub T);

impl<T: FromQuery + Send, S: Send + Sync> FromRequestParts<S> for Parsed<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let ApiQuery(raw) = ApiQuery::<T::Raw>::from_request_parts(parts, state).await?;
        T::parse(raw).map(Parsed)
    }
}

/// `axum::extract::Query` with rejections as `{"detail"}` 400s.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => Err(ApiError::bad(format!(
                "Invalid query string: {}",
                e.body_text()
            ))),
            Err(e) => Err(ApiError::bad(e.body_text())),
        }
    }
}
