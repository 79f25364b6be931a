//! Errors an adapter reports, classified so that callers know what to do with them.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// One field-level problem reported by the provider (a validation failure).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldProblem {
    /// The provider's field name, e.g. `status` or `custom_fields.cf_region`.
    pub field: String,
    /// The provider's message.
    pub message: String,
    /// The provider's code, e.g. `invalid_value`.
    pub code: String,
}

/// What went wrong when talking to a provider.
///
/// Messages never contain credentials.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The API key was refused (401).
    #[error("the helpdesk refused the API key")]
    Unauthorized,
    /// The key is valid but lacks a permission (403 access_denied).
    #[error("the helpdesk denied access: {0}")]
    Forbidden(String),
    /// The helpdesk account is suspended.
    #[error("the helpdesk account is suspended")]
    Suspended,
    /// The account's plan has no API access.
    #[error("the helpdesk plan does not include API access")]
    NoApiAccess,
    /// No helpdesk account answers at this domain.
    #[error("no helpdesk account exists at this domain")]
    UnknownAccount,
    /// The helpdesk could not be reached (DNS, connection refused, TLS).
    #[error("the helpdesk could not be reached: {0}")]
    Unreachable(String),
    /// The configured domain is not allowed.
    #[error("the domain is not allowed: {0}")]
    HostNotAllowed(String),
    /// The rate budget is spent; try again after the given time.
    #[error("rate limited; retry after {retry_after:?}")]
    RateLimited {
        /// How long to wait.
        retry_after: Duration,
    },
    /// The provider rejected a write.
    #[error("the helpdesk rejected the request")]
    Validation(Vec<FieldProblem>),
    /// A record does not exist at the provider.
    #[error("not found at the helpdesk")]
    NotFound,
    /// A transient failure that survived the adapter's retries (5xx, timeouts, resets).
    #[error("transient helpdesk failure: {0}")]
    Transient(String),
    /// The provider answered something we could not understand.
    #[error("unexpected helpdesk response: {0}")]
    Protocol(String),
    /// The operation is not offered by this provider.
    #[error("not supported by this integration: {0}")]
    Unsupported(&'static str),
    /// A refusal worded by the integration for the end user (see
    /// [`crate::Refusals::explain`]); `cause` keeps its kind for status codes and throttles.
    #[error("{wording}")]
    Refused {
        /// The classified error.
        cause: Box<ProviderError>,
        /// The integration's plain words for it.
        wording: String,
    },
}

impl ProviderError {
    /// True when the account's credentials no longer work and it must be relinked.
    pub fn needs_relink(&self) -> bool {
        if let ProviderError::Refused { cause, .. } = self {
            return cause.needs_relink();
        }
        matches!(
            self,
            ProviderError::Unauthorized
                | ProviderError::Forbidden(_)
                | ProviderError::Suspended
                | ProviderError::NoApiAccess
        )
    }

    /// True when trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        if let ProviderError::Refused { cause, .. } = self {
            return cause.is_retryable();
        }
        matches!(
            self,
            ProviderError::RateLimited { .. }
                | ProviderError::Transient(_)
                | ProviderError::Unreachable(_)
                | ProviderError::Protocol(_)
        )
    }
}
