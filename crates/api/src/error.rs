//! The API's error type: Merge's `{"detail": "…"}` with the right status. Internal causes
//! are logged, never sent.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use deskbridge_model::ValidationProblem;
use deskbridge_provider::ProviderError;
use deskbridge_store::StoreError;
use serde_json::json;
use tracing::error;

/// An error answered to a client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 with a message for the client.
    #[error("{0}")]
    BadRequest(String),
    /// 401.
    #[error("{0}")]
    Unauthorized(String),
    /// 403.
    #[error("{0}")]
    Forbidden(String),
    /// 404.
    #[error("{0}")]
    NotFound(String),
    /// 409.
    #[error("{0}")]
    Conflict(String),
    /// 413.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 429 with Retry-After seconds.
    #[error("{detail}")]
    TooManyRequests {
        /// Message.
        detail: String,
        /// Seconds to wait.
        retry_after: u64,
    },
    /// 502: the helpdesk failed.
    #[error("{0}")]
    BadGateway(String),
    /// 503: the helpdesk wrote the record but it could not be stored here; the detail names
    /// the helpdesk's id so that the caller does not write it again.
    #[error("{0}")]
    NotStored(String),
    /// 503: the database is away; retry soon.
    #[error("the service is temporarily unavailable")]
    Unavailable,
    /// 500: logged, not shown.
    #[error("internal error")]
    Internal(String),
    /// 400 in Merge's write shape, `{"warnings": [...], "errors": [...]}`: a write the
    /// request's values or the helpdesk rejected (stored under an idempotency key like a reply).
    #[error("the write was rejected")]
    Rejected {
        /// Merge's problems, each with a pointer into the request.
        errors: Vec<ValidationProblem>,
        /// Warnings gathered before the rejection.
        warnings: Vec<ValidationProblem>,
    },
}

impl ApiError {
    /// A 400.
    pub fn bad(msg: impl Into<String>) -> Self {
        ApiError::BadRequest(msg.into())
    }

    /// A 404 for a record of a model.
    pub fn not_found(what: &str) -> Self {
        ApiError::NotFound(format!("{what} not found."))
    }
}

/// What a client is told when a helpdesk refuses or fails: the integration's own words when
/// the error was explained ([`ProviderError::Refused`], see
/// [`crate::state::AppState::provider_error`]), plain generic words otherwise. Refusals are
/// the client's to fix (400), a spent rate budget is a 429 and a failing helpdesk a 502;
/// never a 500, and never a credential.
impl From<ProviderError> for ApiError {
    fn from(e: ProviderError) -> Self {
        let (cause, wording) = match e {
            ProviderError::Refused { cause, wording } => (*cause, Some(wording)),
            e => (e, None),
        };
        match cause {
            ProviderError::RateLimited { retry_after } => ApiError::TooManyRequests {
                detail: wording.unwrap_or_else(|| {
                    "The helpdesk's rate limit is spent for this account; try again shortly.".into()
                }),
                retry_after: retry_after.as_secs().max(1),
            },
            ProviderError::Unreachable(_)
            | ProviderError::Transient(_)
            | ProviderError::Protocol(_) => ApiError::BadGateway(wording.unwrap_or_else(|| {
                "The helpdesk could not be reached or answered with an error; try again shortly."
                    .into()
            })),
            other => ApiError::bad(wording.unwrap_or_else(|| other.to_string())),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::NotFound("Not found.".into()),
            StoreError::Conflict(m) => ApiError::Conflict(m),
            e if e.is_unavailable() => ApiError::Unavailable,
            e => ApiError::Internal(e.to_string()),
        }
    }
}

impl ApiError {
    /// The JSON body of [`ApiError::Rejected`] (`None` for the other variants).
    pub fn rejected_body(&self) -> Option<serde_json::Value> {
        match self {
            ApiError::Rejected { errors, warnings } => {
                Some(json!({"warnings": warnings, "errors": errors}))
            }
            _ => None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Some(body) = self.rejected_body() {
            return (StatusCode::BAD_REQUEST, Json(body)).into_response();
        }
        let status = match &self {
            ApiError::Rejected { .. } => StatusCode::BAD_REQUEST,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::BadGateway(_) => StatusCode::BAD_GATEWAY,
            ApiError::Unavailable | ApiError::NotStored(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let detail = match &self {
            ApiError::Internal(cause) => {
                error!(cause = %cause, "internal error");
                "Internal server error.".to_string()
            }
            other => other.to_string(),
        };
        let mut res = (status, Json(json!({ "detail": detail }))).into_response();
        let retry = match &self {
            ApiError::TooManyRequests { retry_after, .. } => Some(*retry_after),
            ApiError::Unavailable => Some(5),
            _ => None,
        };
        if let Some(secs) = retry
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

/// The result type of handlers.
pub type ApiResult<T> = Result<T, ApiError>;
