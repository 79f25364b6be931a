//! `Idempotency-Key` on POST writes, scoped to the linked account and kept 24 hours.
//!
//! The first request with a key runs and its answer (a success, or a Merge-style 400) is
//! stored; the same key with the same request answers that again without writing anything
//! (header `Idempotent-Replayed: true`); the same key with another request is a 409, and so
//! is a key whose first request is still running. A request that ends without writing
//! anything (stopped before the helpdesk call, or refused by it with a 4xx, a 429 or a refused
//! connection) frees its key. Once the helpdesk call may have been sent the key is never
//! freed: a 5xx, a timeout, a reset or a local failure after it leaves the outcome unknown,
//! and a retry is a 409 saying so (with the helpdesk's id when it answered one), because the
//! helpdesk may have carried the write out.
//!
//! Every write runs in its own task, detached from the request: the request timeout or a
//! client that goes away cancels only the waiting, never a write half done (a helpdesk call
//! sent whose result is then neither stored nor recorded).

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use deskbridge_store::idempotency::{Claim, request_fingerprint};
use deskbridge_store::{LinkedAccountId, Store};
use serde_json::Value;
use tracing::warn;
use uuid::Uuid;

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

/// How far a write got, shared by the write (which moves it on) and [`run`] (which decides
/// from it whether the key may be freed).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    /// Nothing was sent to the helpdesk, or the helpdesk refused it: nothing was written.
    NotSent,
    /// The helpdesk call may have been sent.
    Sent,
    /// The helpdesk wrote the record with this id.
    Remote(String),
}

/// A claimed key: whose, which, and the claim's id (only that claim may move it on).
#[derive(Clone)]
struct Held {
    store: Store,
    la: LinkedAccountId,
    key: String,
    claim: Uuid,
}

/// The idempotency record of one write: the write reports its phases here. Without an
/// `Idempotency-Key` only the phase in memory is kept (for the answer of a local failure).
#[derive(Clone)]
pub struct Ledger {
    key: Option<Held>,
    phase: Arc<Mutex<Phase>>,
}

impl Ledger {
    fn new(key: Option<Held>) -> Self {
        Ledger {
            key,
            phase: Arc::new(Mutex::new(Phase::NotSent)),
        }
    }

    fn phase(&self) -> Phase {
        self.phase
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn set(&self, p: Phase) {
        *self.phase.lock().unwrap_or_else(PoisonError::into_inner) = p;
    }

    /// Called just before the helpdesk call: records that it may be sent. When this cannot
    /// be recorded the write stops here, before anything reached the helpdesk.
    pub async fn sending(&self) -> ApiResult<()> {
        if let Some(h) = &self.key {
            h.store.mark_idempotency_sent(h.la, &h.key, h.claim).await?;
        }
        self.set(Phase::Sent);
        Ok(())
    }

    /// Called when the helpdesk wrote the record `remote_id`, before it is stored locally.
    pub async fn written(&self, remote_id: &str) {
        self.set(Phase::Remote(remote_id.to_string()));
        if let Some(h) = &self.key
            && let Err(e) = h
                .store
                .mark_idempotency_remote(h.la, &h.key, h.claim, remote_id)
                .await
        {
            warn!(error = %e, "cannot record the helpdesk's id of an idempotent write");
        }
    }

    /// Called when the helpdesk certainly did not write (it refused the call).
    pub fn refused(&self) {
        self.set(Phase::NotSent);
    }
}

/// The 409 detail of a retry whose first request has no known outcome.
fn unknown_detail(remote_id: Option<&str>) -> String {
    let known = match remote_id {
        Some(id) => format!(
            " The helpdesk did write it, as record {id}; it shows here after the next sync."
        ),
        None => " It may or may not have been written in the helpdesk.".to_string(),
    };
    format!(
        "The outcome of the first request with this Idempotency-Key is unknown: its call to \
         the helpdesk was sent, but the request failed before its result was stored.{known} \
         It is not sent again; check the helpdesk, and use a new key for a new attempt."
    )
}

/// Runs `write` under the request's idempotency key, if it has one (see the module docs),
/// in a task of its own. `route` names the endpoint (e.g. `POST /tickets`); `body` is the
/// request body. `write` gets the [`Ledger`] it reports its phases to.
pub async fn run<F, Fut>(
    state: &AppState,
    auth: &AccountAuth,
    headers: &HeaderMap,
    route: &str,
    body: &Value,
    write: F,
) -> ApiResult<Response>
where
    F: FnOnce(Ledger) -> Fut,
    Fut: Future<Output = ApiResult<WriteReply>> + Send + 'static,
{
    let Some(key) = key(headers)? else {
        return detached(None, Ledger::new(None), write).await;
    };
    let la = auth.account.id;
    let hash = request_fingerprint("POST", route, body);
    let claim = match state.store.claim_idempotency_key(la, &key, &hash).await? {
        Claim::Claimed(claim) => claim,
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
        Claim::Unknown { remote_id } => {
            return Err(ApiError::Conflict(unknown_detail(remote_id.as_deref())));
        }
    };
    let held = Held {
        store: state.store.clone(),
        la,
        key,
        claim,
    };
    let ledger = Ledger::new(Some(held.clone()));
    detached(Some(held), ledger, write).await
}

/// Runs a write that takes no `Idempotency-Key` (a PATCH) detached from the request, like
/// [`run`] does.
pub async fn run_unkeyed<F, Fut>(write: F) -> ApiResult<Response>
where
    F: FnOnce(Ledger) -> Fut,
    Fut: Future<Output = ApiResult<WriteReply>> + Send + 'static,
{
    detached(None, Ledger::new(None), write).await
}

/// Runs the write and its bookkeeping in a task of its own and waits for it.
async fn detached<F, Fut>(key: Option<Held>, ledger: Ledger, write: F) -> ApiResult<Response>
where
    F: FnOnce(Ledger) -> Fut,
    Fut: Future<Output = ApiResult<WriteReply>> + Send + 'static,
{
    let fut = write(ledger.clone());
    let task = tokio::spawn(async move {
        let result = fut.await;
        settle(key, &ledger, result).await
    });
    match task.await {
        Ok(r) => r.map(IntoResponse::into_response),
        Err(e) => Err(ApiError::Internal(format!("a write task failed: {e}"))),
    }
}

/// Stores the result under the key, frees a key whose write certainly wrote nothing, and
/// marks the others unknown. A local failure after the helpdesk wrote becomes a 503 naming
/// the helpdesk's id.
async fn settle(
    key: Option<Held>,
    ledger: &Ledger,
    result: ApiResult<WriteReply>,
) -> ApiResult<WriteReply> {
    let phase = ledger.phase();
    // A rejected write is a final answer: stored and replayed like a reply.
    let result = match result {
        Err(e @ ApiError::Rejected { .. }) => Ok(WriteReply {
            status: StatusCode::BAD_REQUEST,
            body: e.rejected_body().unwrap_or_default(),
        }),
        r => r,
    };
    let result = match (result, &phase) {
        (Err(e), Phase::Remote(id)) => {
            warn!(error = %e, remote_id = %id, "a helpdesk write could not be stored locally");
            Err(ApiError::NotStored(format!(
                "The helpdesk wrote the record (its id: {id}) but Deskbridge could not store it; \
                 it shows here after the next sync. Do not send it again."
            )))
        }
        (r, _) => r,
    };
    let Some(Held {
        store,
        la,
        key,
        claim,
    }) = key
    else {
        return result;
    };
    let outcome = match &result {
        Ok(reply) => {
            let text = reply.body.to_string();
            store
                .finish_idempotency_key(la, &key, claim, reply.status.as_u16(), &text)
                .await
        }
        Err(_) if phase == Phase::NotSent => store.release_idempotency_key(la, &key, claim).await,
        Err(_) => store.mark_idempotency_unknown(la, &key, claim).await,
    };
    if let Err(e) = outcome {
        warn!(error = %e, "cannot record the outcome of an idempotent request");
    }
    result
}
