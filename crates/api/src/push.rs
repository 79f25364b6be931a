//! Push hooks shared by the routes: the hook's public URL, and installing or removing the
//! push in the helpdesk through the account's adapter. It lives outside `routes/` so that the
//! push routes and the account routes (details, deletion) can both use it.

use deskbridge_provider::ProviderError;
use deskbridge_store::accounts::LinkedAccount;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tracing::{info, warn};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// How to set the push up by hand in the helpdesk.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PushSetupSteps {
    /// The URL the helpdesk must POST to.
    pub url: String,
    /// The header that carries the hook's secret.
    pub header_name: String,
    /// The header's value (contains the secret: shown only when the hook is created).
    pub header_value: String,
    /// The JSON body to paste, with the helpdesk's placeholders.
    pub body_template: String,
    /// The steps in the helpdesk's admin pages.
    pub steps: Vec<String>,
}

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

/// At link and relink (with `DESKBRIDGE_PUSH_ON_LINK`): a hook Deskbridge installed is
/// removed from the helpdesk and replaced, and an account without a hook gets one when its
/// integration and credential can install it (a Zendesk admin). A hook that cannot be
/// installed is not kept (its secret was never shown): the client asks `POST /push-hook` for
/// the manual steps. A hand-made hook is left alone, since the customer's rule uses its
/// secret. Nothing here fails the link: problems are logged.
pub async fn on_link(state: &AppState, account: &LinkedAccount) {
    if !state.config.push_on_link {
        return;
    }
    let org = account.organization_id;
    let takes_pushes = state
        .providers
        .get(&account.integration)
        .is_some_and(|i| i.push_setup("", "").is_some());
    if !takes_pushes || hook_url(state, &account.integration, Uuid::nil()).is_none() {
        return;
    }
    match state.store.push_hook(org, account.id).await {
        Ok(Some(hook)) if hook.installed.is_none() => return,
        Ok(_) => {}
        Err(e) => {
            warn!(error = %e, "cannot read the push hook at link time");
            return;
        }
    }
    let created = match state.store.create_push_hook(org, account.id).await {
        Ok(c) => c,
        Err(e) => {
            warn!(error = %e, "cannot create the push hook at link time");
            return;
        }
    };
    if let Some(old) = &created.replaced_installed {
        remove_installed(state, account, old).await;
    }
    let Some(url) = hook_url(state, &account.integration, created.hook.id) else {
        return;
    };
    let outcome = install(state, account, created.hook.id, &url, &created.secret).await;
    if !matches!(outcome, Ok(Installation::Installed)) {
        info!("the push was not installed at link time; POST /push-hook gives the manual steps");
        if let Err(e) = state.store.delete_push_hook(org, account.id).await {
            warn!(error = %e, "cannot drop the uninstalled push hook");
        }
    }
}

impl PushSetupSteps {
    /// The integration's manual set-up for a hook at `url` with `secret`.
    pub fn of(state: &AppState, integration: &str, url: &str, secret: &str) -> Option<Self> {
        let s = state.providers.get(integration)?.push_setup(url, secret)?;
        Some(PushSetupSteps {
            url: url.to_string(),
            header_name: s.header_name,
            header_value: s.header_value,
            body_template: s.body_template,
            steps: s.steps,
        })
    }
}

/// The set-up the Link page's success step shows the end user (who administers the
/// helpdesk and can paste it into a rule): for an account without a hook, a new hook's
/// manual steps with its secret. `None` when the integration takes no pushes, the server has
/// no public URL, or the account has a hook already (installed at link time, or set up by
/// hand before: its rule keeps working, and a new secret would break it).
pub async fn link_page_setup(state: &AppState, account: &LinkedAccount) -> Option<PushSetupSteps> {
    let org = account.organization_id;
    hook_url(state, &account.integration, Uuid::nil())?;
    PushSetupSteps::of(state, &account.integration, "", "")?;
    match state.store.push_hook(org, account.id).await {
        Ok(None) => {}
        Ok(Some(_)) => return None,
        Err(e) => {
            warn!(error = %e, "cannot read the push hook for the Link page");
            return None;
        }
    }
    let created = match state.store.create_push_hook(org, account.id).await {
        Ok(c) => c,
        Err(e) => {
            warn!(error = %e, "cannot create the push hook for the Link page");
            return None;
        }
    };
    let url = hook_url(state, &account.integration, created.hook.id)?;
    PushSetupSteps::of(state, &account.integration, &url, &created.secret)
}
