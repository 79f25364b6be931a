//! Completing a Link page submission: reading the submitted credentials, then claiming the
//! link token, checking the credentials, linking and issuing the public token.

use std::net::IpAddr;

use super::*;

pub(super) fn parse_body(
    headers: &HeaderMap,
    body: &[u8],
    json_mode: bool,
) -> Result<LinkCredentials, Failure> {
    if json_mode {
        return serde_json::from_slice(body).map_err(|e| {
            Failure::new(
                StatusCode::BAD_REQUEST,
                format!("Invalid request body: {e}"),
            )
        });
    }
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            "Send the form, or JSON with `Content-Type: application/json`.",
        ));
    }
    let mut c = LinkCredentials::default();
    for (k, v) in url::form_urlencoded::parse(body) {
        match k.as_ref() {
            "integration" => c.integration = Some(v.into_owned()),
            k => {
                c.fields.insert(k.to_string(), v.into_owned());
            }
        }
    }
    Ok(c)
}

/// Checks the credentials, links (or relinks) the account, queues its sync and issues the
/// public token.
pub(super) async fn complete(
    state: &AppState,
    ip: IpAddr,
    s: &LinkSession,
    c: &LinkCredentials,
) -> Result<LinkCompleted, Failure> {
    let slug = s
        .integration
        .clone()
        .or_else(|| c.integration.clone())
        .unwrap_or_default();
    let Some(integration) = state.providers.get(&slug) else {
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            "Choose a helpdesk first.",
        ));
    };
    let name = integration.info().name;
    // Only the integration's own fields are taken; each must be filled in.
    let mut credentials = serde_json::Map::new();
    for f in integration.credential_fields() {
        let v = c.fields.get(f.name).map(String::as_str).unwrap_or_default();
        if v.trim().is_empty() {
            return Err(Failure::new(StatusCode::BAD_REQUEST, f.missing));
        }
        credentials.insert(f.name.to_string(), v.into());
    }
    let request = LinkAccountRequest {
        integration: slug.clone(),
        end_user_origin_id: s.end_user_origin_id.clone(),
        end_user_organization_name: s.end_user_organization_name.clone(),
        end_user_email_address: s.end_user_email_address.clone(),
        credentials: IntegrationCredentials(credentials),
    };
    // The token is claimed (row-locked) before the check and the relink: a concurrent
    // submission waits, then finds it used.
    let used = || {
        Failure::new(
            StatusCode::GONE,
            "This link was already used; ask for a new one.",
        )
    };
    let used_or = |e: StoreError| match e {
        StoreError::Conflict(_) => used(),
        e => ApiError::from(e).into(),
    };
    let claim = state
        .store
        .claim_link_token(s.organization_id, s.id)
        .await
        .map_err(used_or)?;
    let linked = crate::linking::link(state, s.organization_id, &request, None).await?;
    let ttl = chrono::Duration::minutes(PUBLIC_TOKEN_TTL_MINUTES);
    let public_token = claim
        .complete(&state.store, linked.account.id, ttl)
        .await
        .map_err(used_or)?;
    let verb = if linked.created { "linked" } else { "relinked" };
    let description = format!(
        "Linked account {} ({name}, end user `{}`) was {verb} through the Link page.",
        linked.account.id, s.end_user_origin_id
    );
    let actor = Actor::EndUser {
        email: s.end_user_email_address.clone(),
    };
    record(
        state,
        s.organization_id,
        actor,
        ip,
        EventTypeEnum::EnabledIntegration,
        description,
    )
    .await;
    let redirect_url = state.config.link_redirect_url.as_deref().map(|base| {
        let sep = if base.contains('?') { '&' } else { '?' };
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("public_token", &public_token)
            .append_pair("integration", &slug)
            .append_pair("end_user_origin_id", &s.end_user_origin_id)
            .finish();
        format!("{base}{sep}{query}")
    });
    let push_setup = crate::push::link_page_setup(state, &linked.account).await;
    Ok(LinkCompleted {
        public_token,
        integration: slug,
        integration_name: name.to_string(),
        redirect_url,
        push_setup,
    })
}
