//! Push hooks (Deskbridge's extension): the URL a helpdesk calls when a ticket changes
//! (`POST /api/deskbridge/v1/inbound/{provider}/{hook_id}`), and the linked account's hook
//! (`/api/deskbridge/v1/push-hook`: create or rotate with the secret shown once, read its
//! health, delete). A push is only a hint: the ticket it names is read back from the
//! helpdesk by the targeted-sync worker. See `docs/PUSH.md`.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Utc};
use deskbridge_model::common::ErrorDetail;
use deskbridge_provider::push::PUSH_WINDOW_SECS;
use deskbridge_provider::{PushRefusal, PushRequest};
use serde::{Deserialize, Serialize};
use tracing::{info, warn};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::extract::AccountAuth;
use crate::limiter::Limiter;
use crate::push::{Installation, PushSetupSteps, forget, hook_url, install, remove_installed};
use crate::state::AppState;

/// The largest push body accepted: a hint needs a few hundred bytes.
pub const MAX_PUSH_BODY: usize = 64 * 1024;
/// Pushes accepted per hook and minute; more are refused with 429 (the helpdesk retries).
pub const PUSHES_PER_MINUTE: u32 = 600;
/// A dirty ticket is fetched once no push of it came for this long (a burst is one fetch)...
const SETTLE: std::time::Duration = std::time::Duration::from_millis(2000);
/// ...but at most this long after its first push (a ticket edited without pause is still read).
const MAX_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// One limiter per process: a hook's pushes reach the API processes behind one URL.
fn limiter() -> &'static Limiter {
    static LIMITER: OnceLock<Limiter> = OnceLock::new();
    LIMITER.get_or_init(|| Limiter::new(PUSHES_PER_MINUTE))
}

/// The answer to an accepted push.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PushAccepted {
    /// True when the ticket was queued for a targeted sync (false: the account is not
    /// active, e.g. it needs relinking; nothing was queued).
    pub queued: bool,
}

/// A linked account's push hook and its health.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PushHookStatus {
    /// The hook id (the URL's last segment).
    pub id: Uuid,
    /// The URL the helpdesk calls.
    pub url: String,
    /// True when Deskbridge installed the push in the helpdesk itself.
    pub installed: bool,
    /// Why installing failed (then set it up by hand).
    pub install_error: Option<String>,
    /// When the hook was created or last rotated.
    pub created_at: DateTime<Utc>,
    /// When the last accepted push arrived.
    pub last_push_at: Option<DateTime<Utc>>,
    /// Pushes accepted in the last hour.
    pub pushes_last_hour: i64,
    /// Tickets waiting for their targeted sync.
    pub queued_tickets: i64,
    /// How to set the push up by hand, when Deskbridge did not install it (the header's
    /// value is the secret only in the answer that created the hook).
    pub setup: Option<PushSetupSteps>,
}

/// A created (or rotated) hook: its secret and set-up, shown this once.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PushHookCreated {
    /// The hook.
    #[serde(flatten)]
    pub hook: PushHookStatus,
    /// The secret the helpdesk presents (`dbpush_…`); stored only as a hash.
    pub secret: String,
}

fn refused(status: StatusCode, why: &str, hook: &str) -> ApiError {
    // Logged once per refused request, without the body or any header value.
    warn!(hook, status = status.as_u16(), why, "push refused");
    match status {
        StatusCode::NOT_FOUND => ApiError::NotFound(why.to_string()),
        StatusCode::BAD_REQUEST => ApiError::bad(why),
        StatusCode::CONFLICT => ApiError::Conflict(why.to_string()),
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge(why.to_string()),
        _ => ApiError::Unauthorized(why.to_string()),
    }
}

/// Receives a push from a helpdesk (a webhook or an automation rule). The request must come
/// as the hook was set up: Zendesk's signature (`X-Zendesk-Webhook-Signature` over the
/// timestamp and body, timestamps within 5 minutes, each signature once) or the hook's
/// secret in the header the rule sets. Only the ticket id is read from the body; the ticket
/// is fetched from the helpdesk shortly after (pushes of one ticket less than two seconds apart
/// are one fetch).
#[utoipa::path(
    post,
    path = "/api/deskbridge/v1/inbound/{provider}/{hook_id}",
    tag = "push",
    params(
        ("provider" = String, Path, description = "The integration's slug"),
        ("hook_id" = String, Path, description = "The hook id"),
    ),
    request_body(content = serde_json::Value, description = "The helpdesk's JSON body with the ticket id", content_type = "application/json"),
    responses(
        (status = 202, description = "Accepted", body = PushAccepted),
        (status = 400, description = "The body is not JSON or names no ticket", body = ErrorDetail),
        (status = 404, description = "No such hook", body = ErrorDetail),
        (status = 409, description = "A replayed delivery", body = ErrorDetail),
        (status = 413, description = "Body too large", body = ErrorDetail),
        (status = 429, description = "Too many pushes for this hook", body = ErrorDetail),
    )
)]
pub async fn inbound_push(
    State(state): State<AppState>,
    Path((provider, hook_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, Json<PushAccepted>)> {
    let short: String = hook_id.chars().take(8).collect();
    let unknown = "No push hook matches this URL.";
    // A body over the server's own limit is refused by the extractor: answered in JSON too.
    let body = body.map_err(|e| {
        let status = match e.status() {
            StatusCode::PAYLOAD_TOO_LARGE => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        };
        refused(status, "The push body is too large or unreadable.", &short)
    })?;
    if body.len() > MAX_PUSH_BODY {
        return Err(refused(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The push body is too large.",
            &short,
        ));
    }
    let Ok(id) = hook_id.parse::<Uuid>() else {
        return Err(refused(StatusCode::NOT_FOUND, unknown, &short));
    };
    let target = match state.store.push_target(id).await? {
        Some(t) if t.integration == provider => t,
        _ => return Err(refused(StatusCode::NOT_FOUND, unknown, &short)),
    };
    let Some(integration) = state.providers.get(&provider) else {
        return Err(refused(StatusCode::NOT_FOUND, unknown, &short));
    };
    if let Some(rate) = limiter().count(target.hook.linked_account_id)?
        && !rate.allowed
    {
        warn!(hook = short, "push refused: over the hook's rate");
        return Err(ApiError::TooManyRequests {
            detail: "Too many pushes for this hook; retry later.".into(),
            retry_after: rate.reset_secs,
        });
    }
    let lowered: BTreeMap<String, String> = headers
        .iter()
        .filter_map(|(k, v)| {
            Some((
                k.as_str().to_ascii_lowercase(),
                v.to_str().ok()?.to_string(),
            ))
        })
        .collect();
    let now = Utc::now();
    let request = PushRequest {
        headers: &lowered,
        body: &body,
        now,
    };
    let verified = integration
        .verify_push(&request, target.signing_secret.as_deref())
        .map_err(|e| {
            let status = match e {
                PushRefusal::Malformed(_) => StatusCode::BAD_REQUEST,
                PushRefusal::Unsupported => StatusCode::NOT_FOUND,
                _ => StatusCode::UNAUTHORIZED,
            };
            refused(status, &e.to_string(), &short)
        })?;
    let secret_ok = match &verified.presented_secret {
        Some(p) => state.store.push_secret_matches(&target, p).await?,
        None => verified.signed,
    };
    if !secret_ok {
        return Err(refused(
            StatusCode::UNAUTHORIZED,
            "The push's secret or signature does not match this hook.",
            &short,
        ));
    }
    if let Some(key) = &verified.replay_key {
        let until = now + chrono::Duration::seconds(2 * PUSH_WINDOW_SECS);
        if !state.store.claim_push_replay_key(id, key, until).await? {
            return Err(refused(
                StatusCode::CONFLICT,
                "This delivery was received already.",
                &short,
            ));
        }
    }
    if target.account_status != "COMPLETE" {
        info!(
            hook = short,
            "push for an account that is not active; ignored"
        );
        return Ok((StatusCode::ACCEPTED, Json(PushAccepted { queued: false })));
    }
    state
        .store
        .record_push(
            id,
            target.hook.linked_account_id,
            &verified.hint.ticket_remote_id,
            SETTLE,
            MAX_WAIT,
        )
        .await?;
    Ok((StatusCode::ACCEPTED, Json(PushAccepted { queued: true })))
}

/// What stands in for the secret once it was shown.
const SECRET_SHOWN_ONCE: &str = "<the secret shown when the hook was created>";

async fn status_of(
    state: &AppState,
    auth: &AccountAuth,
    hook: &deskbridge_store::push::PushHook,
    url: String,
    secret: &str,
) -> ApiResult<PushHookStatus> {
    let health = state
        .store
        .push_health(auth.org.id, auth.account.id)
        .await?;
    let setup = match hook.installed {
        Some(_) => None,
        None => PushSetupSteps::of(state, &auth.account.integration, &url, secret),
    };
    Ok(PushHookStatus {
        id: hook.id,
        url,
        installed: hook.installed.is_some(),
        install_error: hook.install_error.clone(),
        created_at: hook.created_at,
        last_push_at: health.last_push_at,
        pushes_last_hour: health.pushes_last_hour,
        queued_tickets: health.queued,
        setup,
    })
}

fn no_public_url() -> ApiError {
    ApiError::Conflict(
        "Push hooks need the server's public URL (DESKBRIDGE_PUBLIC_URL) for the helpdesk to call."
            .into(),
    )
}

/// Creates the linked account's push hook, or rotates it (new URL and secret; the old ones
/// stop working at once). Where the integration and the credential allow it (a Zendesk
/// admin), the push is installed in the helpdesk (what an earlier hook installed is removed);
/// otherwise `setup` says how to set it up by hand. The secret is shown this once.
#[utoipa::path(
    post,
    path = "/api/deskbridge/v1/push-hook",
    tag = "push",
    responses(
        (status = 201, description = "Created (or rotated)", body = PushHookCreated),
        (status = 404, description = "The integration takes no pushes", body = ErrorDetail),
        (status = 409, description = "The server has no public URL", body = ErrorDetail),
    ),
    security(("bearerAuth" = [], "accountToken" = []))
)]
pub async fn push_hook_create(
    State(state): State<AppState>,
    auth: AccountAuth,
) -> ApiResult<(StatusCode, Json<PushHookCreated>)> {
    let account = &auth.account;
    let Some(integration) = state.providers.get(&account.integration) else {
        return Err(ApiError::NotFound(
            "This integration takes no pushes.".into(),
        ));
    };
    // Checked before anything is stored: the placeholder names no real hook.
    if integration.push_setup("", "").is_none() {
        return Err(ApiError::NotFound(
            "This integration takes no pushes.".into(),
        ));
    }
    if hook_url(&state, &account.integration, Uuid::nil()).is_none() {
        return Err(no_public_url());
    }
    let created = state
        .store
        .create_push_hook(auth.org.id, account.id)
        .await?;
    if let Some(old) = &created.replaced_installed {
        remove_installed(&state, account, old).await;
    }
    let url = hook_url(&state, &account.integration, created.hook.id).ok_or_else(no_public_url)?;
    let outcome = install(&state, account, created.hook.id, &url, &created.secret).await?;
    if let Installation::Failed(why) = &outcome {
        info!(why, "the push hook needs a manual set-up");
    }
    let hook = state
        .store
        .push_hook(auth.org.id, account.id)
        .await?
        .ok_or_else(|| ApiError::NotFound("The push hook was deleted meanwhile.".into()))?;
    let status = status_of(&state, &auth, &hook, url, &created.secret).await?;
    Ok((
        StatusCode::CREATED,
        Json(PushHookCreated {
            hook: status,
            secret: created.secret,
        }),
    ))
}

/// The linked account's push hook and its health (last push, pushes in the last hour,
/// tickets queued for a targeted sync).
#[utoipa::path(
    get,
    path = "/api/deskbridge/v1/push-hook",
    tag = "push",
    responses(
        (status = 200, description = "The hook", body = PushHookStatus),
        (status = 404, description = "The account has no push hook", body = ErrorDetail),
        (status = 409, description = "The server has no public URL", body = ErrorDetail),
    ),
    security(("bearerAuth" = [], "accountToken" = []))
)]
pub async fn push_hook_retrieve(
    State(state): State<AppState>,
    auth: AccountAuth,
) -> ApiResult<Json<PushHookStatus>> {
    let hook = state
        .store
        .push_hook(auth.org.id, auth.account.id)
        .await?
        .ok_or_else(|| ApiError::NotFound("This linked account has no push hook.".into()))?;
    let url = hook_url(&state, &auth.account.integration, hook.id).ok_or_else(no_public_url)?;
    Ok(Json(
        status_of(&state, &auth, &hook, url, SECRET_SHOWN_ONCE).await?,
    ))
}

/// Deletes the linked account's push hook (and what it installed in the helpdesk). The
/// periodic sync goes on.
#[utoipa::path(
    delete,
    path = "/api/deskbridge/v1/push-hook",
    tag = "push",
    responses(
        (status = 204, description = "Deleted (or there was none)"),
    ),
    security(("bearerAuth" = [], "accountToken" = []))
)]
pub async fn push_hook_destroy(
    State(state): State<AppState>,
    auth: AccountAuth,
) -> ApiResult<StatusCode> {
    forget(&state, &auth.account).await?;
    Ok(StatusCode::NO_CONTENT)
}
