//! Push hooks shared by the routes: the hook's public URL, and installing or removing the
//! push in the helpdesk through the account's adapter. It lives outside `routes/` so that the
//! push routes and the account routes (details, deletion) can both use it.

use deskbridge_provider::ProviderError;
use deskbridge_store::accounts::LinkedAccount;
use serde_json::Value;
use tracing::{info, warn};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The path of a hook under the server's public URL.
pub fn inbound_path(integration: &str, hook_id: Uuid) -> String {
    format!("/api/deskbridge/v1/inbound/{integration}/{hook_id}")
}

/// The hook's URL as the helpdesk must call it; `None` without `DESKBRIDGE_PUBLIC_URL` (a
/// URL built from a client's Host header could point the helpdesk at anyone).
pub fn hook_url(state: &AppState, integration: &str, hook_id: Uuid) -> Option<String> {
    let base = state.config.public_url.as_deref()?;
    Some(format!(
        "{}{}",
        base.trim_end_matches('/'),
        inbound_path(integration, hook_id)
    ))
}

/// The account's push URL for its details (`webhook_listener_url`), if it has a hook.
pub async fn listener_url(state: &AppState, account: &LinkedAccount) -> Option<String> {
    let hook = state
        .store
        .push_hook(account.organization_id, account.id)
        .await
        .ok()??;
    hook_url(state, &account.integration, hook.id)
}

/// The account's adapter, built from its stored credentials.
async fn adapter(
    state: &AppState,
    account: &LinkedAccount,
) -> ApiResult<std::sync::Arc<dyn deskbridge_provider::TicketingProvider>> {
    let creds = state.store.account_credentials(account.id).await?;
    state
        .providers
        .build(&account.integration, account.id, &creds)
        .map_err(|e| state.provider_error(&account.integration, e))
}

/// Removes what a hook had installed in the helpdesk. Failures are logged, not raised: the
/// helpdesk may be unreachable or the credentials revoked, and an orphaned webhook there
/// only calls a URL that no longer answers.
pub async fn remove_installed(state: &AppState, account: &LinkedAccount, installed: &Value) {
    let provider = match adapter(state, account).await {
        Ok(p) => p,
        Err(e) => {
            warn!(error = %e, "cannot build the adapter to remove an installed push");
            return;
        }
    };
    match provider.remove_push(installed).await {
        Ok(()) => info!("installed push removed from the helpdesk"),
        Err(e) => warn!(error = %e, "cannot remove the installed push from the helpdesk"),
    }
}

/// What installing did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Installation {
    /// Installed in the helpdesk.
    Installed,
    /// The integration or the credential cannot install: set up by hand.
    Manual,
    /// Installing failed: set up by hand (the reason is stored with the hook).
    Failed(String),
}

/// Installs the push for `hook_id` (URL `url`, secret `secret`) and records the outcome.
pub async fn install(
    state: &AppState,
    account: &LinkedAccount,
    hook_id: Uuid,
    url: &str,
    secret: &str,
) -> ApiResult<Installation> {
    let provider = adapter(state, account).await?;
    let org = account.organization_id;
    match provider.install_push(url, secret).await {
        Ok(Some(done)) => {
            state
                .store
                .set_push_installed(
                    hook_id,
                    org,
                    Some(&done.remote_ids),
                    done.signing_secret.as_deref(),
                    None,
                )
                .await?;
            Ok(Installation::Installed)
        }
        Ok(None) => Ok(Installation::Manual),
        Err(e) => {
            let why = match &e {
                ProviderError::Forbidden(_) | ProviderError::Unauthorized => {
                    "the credential may not manage webhooks and triggers".to_string()
                }
                other => other.to_string(),
            };
            warn!(error = %e, "cannot install the push in the helpdesk");
            state
                .store
                .set_push_installed(hook_id, org, None, None, Some(&why))
                .await?;
            Ok(Installation::Failed(why))
        }
    }
}

/// Removes the account's hook (and what it installed) before the account goes.
pub async fn forget(state: &AppState, account: &LinkedAccount) -> Result<(), ApiError> {
    if let Some(Some(installed)) = state
        .store
        .delete_push_hook(account.organization_id, account.id)
        .await?
    {
        remove_installed(state, account, &installed).await;
    }
    Ok(())
}
