//! The steps every write endpoint takes in the same order (parse, resolve, send, store),
//! kept here so that `comment_writes`, `contact_writes` and `ticket_writes` cannot drift
//! apart in how a failure at each step is answered.

use std::future::Future;

use axum::http::StatusCode;
use deskbridge_model::{ModelKind, ModelRequest, ValidationProblem};
use deskbridge_provider::{ProviderError, WriteOutcome};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::ApiResult;
use crate::idempotency::WriteReply;
use crate::writes::{Refs, Resolved, Writer, errors_reply, parse_model, unknown_field_warnings};

/// Parses `{"model": …}` into `T` and turns the keys `T` does not know into warnings: a bad
/// body is answered before anything else (no adapter is built for it).
pub fn parse_request<T: DeserializeOwned + ModelRequest>(
    raw: &Value,
) -> ApiResult<(T, Vec<ValidationProblem>)> {
    let (req, model) = parse_model::<T>(raw)?;
    Ok((req, unknown_field_warnings::<T>(&model)))
}

/// `linked_account_params` that no adapter reads: a non-empty map is named as unsupported so
/// the adapter warns about it instead of dropping it silently.
pub fn unsupported_linked_params(params: &Option<Map<String, Value>>) -> Vec<String> {
    if params.as_ref().is_some_and(|m| !m.is_empty()) {
        vec!["linked_account_params".to_string()]
    } else {
        Vec::new()
    }
}

impl Writer<'_> {
    /// Resolves `refs`; an unknown id is a Merge 400 that carries the warnings so far.
    pub async fn resolve_or_reply(
        &self,
        refs: &Refs,
        warnings: &[ValidationProblem],
    ) -> ApiResult<Resolved> {
        let (resolved, problems) = self.resolve(refs).await?;
        if !problems.is_empty() {
            return Err(errors_reply(problems, warnings.to_vec()));
        }
        Ok(resolved)
    }

    /// Marks the write as sent, then makes the helpdesk call and answers its outcome:
    /// stored and answered with `status`, or the failure as [`Writer::failure`] maps it.
    /// The call is a closure so that nothing reaches the helpdesk before `sending`.
    pub async fn send<F, Fut>(
        &self,
        kind: ModelKind,
        status: StatusCode,
        warnings: Vec<ValidationProblem>,
        call: F,
    ) -> ApiResult<WriteReply>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<WriteOutcome, ProviderError>>,
    {
        self.sending().await?;
        match call().await {
            Ok(o) => self.finish(kind, o, warnings, status).await,
            Err(e) => self.failure(e, warnings),
        }
    }
}
