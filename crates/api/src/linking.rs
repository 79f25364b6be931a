//! The linking use-case, shared by `POST /linked-accounts`, the Link page's submission and the
//! demo: the body checked, the credentials checked by their integration's fields and then with
//! the helpdesk (throttled per organization when asked), the account stored or relinked, its
//! sync queued. It lives outside `routes/` so that route modules stay leaves.

use deskbridge_model::deskbridge_ext::LinkAccountRequest;
use deskbridge_provider::{ProviderError, check_fields};
use deskbridge_store::accounts::NewLink;
use serde_json::Value;

use crate::check_throttle::CheckThrottle;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The longest accepted end-user field (they are stored, listed and shown on the Link page).
pub(crate) const MAX_FIELD: usize = 512;

/// An end-user field, trimmed: not empty, at most [`MAX_FIELD`] characters.
pub(crate) fn end_user_field<'a>(name: &str, v: &'a str) -> ApiResult<&'a str> {
    let v = v.trim();
    if v.is_empty() {
        return Err(ApiError::bad(format!("`{name}` must not be empty.")));
    }
    if v.chars().count() > MAX_FIELD {
        return Err(ApiError::bad(format!(
            "`{name}` must be at most {MAX_FIELD} characters."
        )));
    }
    Ok(v)
}

/// Whether the helpdesk refused the credentials or the domain (what trying keys produces), as
/// opposed to being busy or unreachable.
fn refused(e: &ProviderError) -> bool {
    if let ProviderError::Refused { cause, .. } = e {
        return refused(cause);
    }
    matches!(
        e,
        ProviderError::Unauthorized
            | ProviderError::Forbidden(_)
            | ProviderError::Suspended
            | ProviderError::NoApiAccess
            | ProviderError::UnknownAccount
            | ProviderError::HostNotAllowed(_)
    )
}

fn required(name: &str, v: &str) -> ApiResult<()> {
    if v.trim().is_empty() {
        return Err(ApiError::bad(format!("`{name}` must not be empty.")));
    }
    Ok(())
}

/// Checks credentials with the helpdesk and stores (or relinks) the account.
/// With `throttle`, refused checks count toward the organization's limit and a spent limit
/// is a 429 before any call to the helpdesk (see [`crate::check_throttle`]).
pub async fn link(
    state: &AppState,
    org: uuid::Uuid,
    body: &LinkAccountRequest,
    throttle: Option<&CheckThrottle>,
) -> ApiResult<deskbridge_store::accounts::Linked> {
    required("integration", &body.integration)?;
    end_user_field("end_user_origin_id", &body.end_user_origin_id)?;
    end_user_field(
        "end_user_organization_name",
        &body.end_user_organization_name,
    )?;
    end_user_field("end_user_email_address", &body.end_user_email_address)?;
    let slug = body.integration.trim().to_ascii_lowercase();
    let Some(integration) = state.providers.get(&slug) else {
        let known: Vec<&str> = state
            .providers
            .integrations()
            .iter()
            .map(|i| i.slug)
            .collect();
        return Err(ApiError::bad(format!(
            "Unknown integration `{}`; supported integrations: {}.",
            body.integration,
            known.join(", ")
        )));
    };
    let creds = check_fields(integration.credential_fields(), &body.credentials.0)
        .map_err(|p| ApiError::bad(p.message))?;
    let creds = integration.normalise(creds);
    let explain = |e| ApiError::from(integration.refusals().explain(e));
    let provider = integration
        .build(uuid::Uuid::nil(), &creds)
        .map_err(explain)?;
    if let Some(t) = throttle {
        t.check(org)?;
    }
    if let Err(e) = provider.check_credentials().await {
        if let Some(t) = throttle
            && refused(&e)
        {
            t.refused(org);
        }
        return Err(explain(e));
    }
    let linked = state
        .store
        .link_account(
            org,
            &NewLink {
                integration: slug,
                end_user_origin_id: body.end_user_origin_id.clone(),
                end_user_organization_name: body.end_user_organization_name.clone(),
                end_user_email_address: body.end_user_email_address.clone(),
                subdomain: integration.subdomain(&creds),
                credentials_json: Value::Object(creds).to_string(),
                base_url: provider.instance_url(),
                queue_sync: true,
            },
        )
        .await?;
    crate::push::on_link(state, &linked.account).await;
    Ok(linked)
}
