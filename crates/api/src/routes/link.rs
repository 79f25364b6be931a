//! Merge's Link flow, backend side: `POST /link-token` opens the hosted Link page for one end
//! user, and `GET /account-token/{public_token}` exchanges the public token that page hands to
//! your frontend for the linked account's token.

use axum::Json;
use axum::extract::{Path, State};
use chrono::Utc;
use deskbridge_model::audit::EventTypeEnum;
use deskbridge_model::common::ErrorDetail;
use deskbridge_model::linking::{AccountIntegration, AccountToken, LinkToken, LinkTokenRequest};
use deskbridge_model::{CategoriesEnum, WireEnum};
use deskbridge_store::link_tokens::NewLinkToken;

use crate::audit::record_by_key;
use crate::client_ip::ClientIp;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, OrgAuth};
use crate::failures::FailureKey;
use crate::linking::end_user_field;
use crate::state::AppState;

/// The link expiry when none is asked for, in minutes (a magic link: 7 days).
const DEFAULT_EXPIRY_MINS: i32 = 30;
const MAGIC_LINK_EXPIRY_MINS: i32 = 10_080;

/// The integration of `slug` as Merge describes it to API clients.
pub fn account_integration(state: &AppState, slug: &str) -> AccountIntegration {
    let name = state
        .providers
        .integrations()
        .into_iter()
        .find(|i| i.slug == slug)
        .map(|i| i.name.to_string())
        .unwrap_or_else(|| slug.to_string());
    AccountIntegration {
        name,
        abbreviated_name: None,
        categories: Some(vec![CategoriesEnum::Ticketing]),
        image: None,
        square_image: None,
        color: Some("#25C16F".into()),
        slug: Some(slug.to_string()),
        api_endpoints_to_documentation_urls: None,
        webhook_setup_guide_url: None,
        category_beta_status: None,
    }
}

/// The base URL of magic links: `DESKBRIDGE_PUBLIC_URL`, never the Host header (the client
/// chooses that, and a link built from it could send the end user, link token in hand, to
/// another host). Without the setting, no magic link: a clear 400.
fn public_base(state: &AppState) -> ApiResult<String> {
    state
        .config
        .public_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(|u| u.trim_end_matches('/').to_string())
        .ok_or_else(|| {
            ApiError::bad(
                "Magic links are off on this server: it does not know its public URL. The \
                 operator sets it with DESKBRIDGE_PUBLIC_URL (e.g. https://link.example.com); \
                 until then, open the Link page with the link token in a popup or an iframe.",
            )
        })
}

/// Creates a single-use link token for one end user. Open the hosted Link page with it
/// (`/link/{link_token}`, in a popup or an iframe, or send `magic_link_url` to the end user);
/// when they have linked their helpdesk, the page hands a public token to your frontend
/// (`postMessage`) or to the configured redirect URL, and your backend exchanges it at
/// `/account-token/{public_token}`. Expiry: `link_expiry_mins`, 30–720 minutes (default 30),
/// or up to 10080 (default) for a magic link.
#[utoipa::path(
    post,
    path = "/api/ticketing/v1/link-token",
    tag = "link-token",
    request_body = LinkTokenRequest,
    responses(
        (status = 200, description = "The link token (single use)", body = LinkToken),
        (status = 400, description = "Invalid body, category, integration or expiry; or a magic link asked of a server without `DESKBRIDGE_PUBLIC_URL`", body = ErrorDetail),
        (status = 413, description = "Body too large", body = ErrorDetail),
    ),
    security(("bearerAuth" = []))
)]
pub async fn link_token_create(
    State(state): State<AppState>,
    auth: OrgAuth,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<LinkTokenRequest>,
) -> ApiResult<Json<LinkToken>> {
    let origin_id = end_user_field("end_user_origin_id", &body.end_user_origin_id)?;
    let org_name = end_user_field(
        "end_user_organization_name",
        &body.end_user_organization_name,
    )?;
    let email = end_user_field("end_user_email_address", &body.end_user_email_address)?;
    if let Some(c) = body
        .categories
        .iter()
        .find(|c| **c != CategoriesEnum::Ticketing)
    {
        return Err(ApiError::bad(format!(
            "Unsupported category `{}`: Deskbridge offers only `ticketing`.",
            c.as_str()
        )));
    }
    let integrations = state.providers.integrations();
    let integration = match body
        .integration
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(slug) => Some(
            integrations
                .iter()
                .find(|i| i.slug.eq_ignore_ascii_case(slug))
                .copied()
                .ok_or_else(|| {
                    let known: Vec<&str> = integrations.iter().map(|i| i.slug).collect();
                    ApiError::bad(format!(
                        "Unknown integration `{slug}`; supported integrations: {}.",
                        known.join(", ")
                    ))
                })?,
        ),
    };
    let magic = body.should_create_magic_link_url.unwrap_or(false);
    let max = if magic { MAGIC_LINK_EXPIRY_MINS } else { 720 };
    let mins = body.link_expiry_mins.unwrap_or(if magic {
        MAGIC_LINK_EXPIRY_MINS
    } else {
        DEFAULT_EXPIRY_MINS
    });
    if !(30..=max).contains(&mins) {
        return Err(ApiError::bad(format!(
            "Invalid `link_expiry_mins`: {mins}; use 30 to 720 minutes, or up to 10080 with \
             `should_create_magic_link_url`."
        )));
    }
    let base = if magic {
        Some(public_base(&state)?)
    } else {
        None
    };
    let new = NewLinkToken {
        integration: integration.map(|i| i.slug.to_string()),
        end_user_origin_id: origin_id.to_string(),
        end_user_organization_name: org_name.to_string(),
        end_user_email_address: email.to_string(),
        expires_at: Utc::now() + chrono::Duration::minutes(i64::from(mins)),
    };
    let token = state.store.create_link_token(auth.org.id, &new).await?;
    let magic_link_url = base.map(|base| format!("{base}/link/{token}"));
    if magic {
        let description =
            format!("Generated a magic link for end user `{origin_id}`, valid {mins} minutes.");
        let event = EventTypeEnum::GeneratedMagicLink;
        record_by_key(&state, &auth, ip, event, description).await;
    }
    Ok(Json(LinkToken {
        link_token: token,
        integration_name: integration.map(|i| i.name.to_string()),
        magic_link_url,
    }))
}

/// Exchanges a public token from the Link page (once, within 10 minutes of linking) for the
/// linked account's token. Linking the same end user again yields the same account token.
/// Failed attempts count toward the organization's limit on failures.
#[utoipa::path(
    get,
    path = "/api/ticketing/v1/account-token/{public_token}",
    tag = "account-token",
    params(("public_token" = String, Path, description = "The public token the Link page handed over")),
    responses(
        (status = 200, description = "The linked account's token", body = AccountToken),
        (status = 404, description = "Unknown, expired or already exchanged public token", body = ErrorDetail),
        (status = 429, description = "Too many failed attempts by this organization (or, with a wrong API key, from this address)", body = ErrorDetail),
    ),
    security(("bearerAuth" = []))
)]
pub async fn account_token_retrieve(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    auth: Result<OrgAuth, ApiError>,
    Path(public_token): Path<String>,
) -> ApiResult<Json<AccountToken>> {
    // Wrong API keys count per client address; an organization's own failures per
    // organization, so that neither the Link page's end users nor another organization's
    // backend behind the same address are locked out by them.
    let auth = match auth {
        Ok(auth) => auth,
        Err(e) => {
            let client = FailureKey::client(ip);
            state.failures.check(client)?;
            if matches!(e, ApiError::Unauthorized(_)) {
                state.failures.fail(client);
            }
            return Err(e);
        }
    };
    let org = FailureKey::Org(auth.org.id);
    state.failures.check(org)?;
    let (account, token) = match state
        .store
        .exchange_public_token(auth.org.id, &public_token)
        .await
    {
        Ok(found) => found,
        Err(deskbridge_store::StoreError::NotFound) => {
            state.failures.fail(org);
            return Err(ApiError::NotFound(
                "Unknown, expired or already exchanged public token; link the account again."
                    .into(),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    Ok(Json(AccountToken {
        account_token: token,
        integration: account_integration(&state, &account.integration),
        id: account.id.as_uuid(),
    }))
}
