//! The error responses every write operation documents, declared once: each write route lists
//! its success row and its own extras (404 where it has one) and then [`WriteErrors`], plus
//! [`IdempotentWriteErrors`] for the creates that take an `Idempotency-Key`.

use deskbridge_model::common::ErrorDetail;
use utoipa::IntoResponses;

use crate::writes::WriteErrorResponse;

/// The errors of every write (documentation only; the handlers answer `ApiError`s).
#[allow(dead_code)] // Only its `IntoResponses` impl is used, by the routes' `responses(...)`.
#[derive(IntoResponses)]
pub enum WriteErrors {
    /// Merge's problems, or a malformed request.
    #[response(
        status = 400,
        description = "Merge-style errors (nothing was written), or `{detail}` for a malformed body, query value or Idempotency-Key",
        examples(
            ("rejected" = (summary = "Freshdesk rejected a value", value = json!({"warnings": [], "errors": [{"source": {"pointer": "/model/ticket_type"}, "title": "Invalid Value", "detail": "Freshdesk rejected `type`: It should be one of these values: 'Question,Incident,Problem,Feature Request,Refund'", "problem_type": "ERROR"}]}))),
            ("unknown_relation" = (summary = "An id of no record of this account", value = json!({"warnings": [], "errors": [{"source": {"pointer": "/model/assignees/0"}, "title": "Related Record Not Found", "detail": "No User with id 2a4ab2c8-8f3f-4c53-9d2b-1f4c2b7f3e10 exists in this linked account.", "problem_type": "ERROR"}]}))),
            ("malformed_json" = (summary = "A body that is not JSON", value = json!({"detail": "Malformed JSON: EOF while parsing an object at line 1 column 1"}))),
        )
    )]
    Invalid(WriteErrorResponse),
    /// The body is over the limit.
    #[response(status = 413, description = "Body too large")]
    TooLarge(ErrorDetail),
    /// Either rate limit.
    #[response(
        status = 429,
        description = "Caller rate limit, or the helpdesk's rate budget, is spent"
    )]
    RateLimited(ErrorDetail),
    /// The helpdesk's failure.
    #[response(
        status = 502,
        description = "The helpdesk failed or could not be reached"
    )]
    Upstream(ErrorDetail),
}

/// The extra error of a create that takes an `Idempotency-Key`.
#[allow(dead_code)] // Only its `IntoResponses` impl is used.
#[derive(IntoResponses)]
pub enum IdempotentWriteErrors {
    /// The key's conflicts.
    #[response(
        status = 409,
        description = "The Idempotency-Key was used with another request, is in use, or its first request reached the helpdesk with an unknown outcome (the detail says so, with the helpdesk's id when known; it is never written twice)"
    )]
    Conflict(ErrorDetail),
}
