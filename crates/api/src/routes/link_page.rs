//! The hosted Link page (`/link/{link_token}`), end-user side of the Link flow.
//!
//! Server-rendered HTML from the templates in `assets/link/` (embedded; nothing is loaded from
//! elsewhere). Step 1 picks the helpdesk (skipped when the link token names one), step 2 takes
//! the Freshdesk domain and API key, checks them with Freshdesk and explains a refusal in plain
//! words; on success the account is linked (or relinked), its first sync queued, and a
//! single-use public token handed to the opener window, the parent frame or the configured
//! redirect URL. The form works without JavaScript; with it, it submits as JSON in place.

use std::collections::BTreeMap;
use std::net::IpAddr;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use deskbridge_model::audit::EventTypeEnum;
use deskbridge_model::common::ErrorDetail;
use deskbridge_model::deskbridge_ext::{IntegrationCredentials, LinkAccountRequest};
use deskbridge_store::StoreError;
use deskbridge_store::audit::Actor;
use deskbridge_store::link_tokens::LinkSession;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use crate::audit::record;
use crate::client_ip::ClientIp;
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::failures::FailureKey;
use crate::link_html::{
    choose_page, esc, fill, form_page, integration_name, page, push_installed_html, push_setup_html,
};
use crate::state::AppState;

mod submit;
use submit::{complete, parse_body};

const DONE: &str = include_str!("../../assets/link/done.html");
const PROBLEM: &str = include_str!("../../assets/link/problem.html");
const CSS: &str = include_str!("../../assets/link/link.css");
const JS: &str = include_str!("../../assets/link/link.js");

/// How long a public token can be exchanged after linking.
pub const PUBLIC_TOKEN_TTL_MINUTES: i64 = 10;

/// Query of the Link page.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LinkPageParams {
    /// The helpdesk picked in step 1 (ignored when the link token names one).
    pub integration: Option<String>,
}

/// What the end user submits (as a form or as JSON): the integration and its credential
/// fields (e.g. `domain` and `api_key`, see the integration's fields in `LinkAccountRequest`).
#[derive(Clone, Default, Deserialize, ToSchema)]
pub struct LinkCredentials {
    /// The integration's slug (e.g. `freshdesk`); optional when the link token names one.
    #[serde(default)]
    pub integration: Option<String>,
    /// The credential fields, by name; fields the integration does not take are ignored.
    #[serde(flatten)]
    #[schema(value_type = std::collections::HashMap<String, String>)]
    pub fields: BTreeMap<String, String>,
}

impl std::fmt::Debug for LinkCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkCredentials")
            .field("integration", &self.integration)
            .field("fields", &self.fields.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// The JSON answer of a successful submission.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LinkCompleted {
    /// Single use, valid 10 minutes: exchange it at `/account-token/{public_token}`.
    pub public_token: String,
    /// The integration's slug.
    pub integration: String,
    /// The integration's name.
    pub integration_name: String,
    /// Where to send the end user now (the configured redirect URL with the public token).
    pub redirect_url: Option<String>,
    /// How to send ticket changes to Deskbridge within seconds, when the helpdesk needs a
    /// rule or webhook set up by hand (see docs/PUSH.md); contains the hook's secret.
    pub push_setup: Option<crate::push::PushSetupSteps>,
    /// True when Deskbridge set the push up in the helpdesk itself at link time (the
    /// credential is an admin's): nothing to paste.
    pub push_installed: bool,
}

/// A failure, answered as HTML (page or form error) or as `{"detail"}` JSON.
struct Failure {
    status: StatusCode,
    detail: String,
    retry_after: Option<HeaderValue>,
}

impl Failure {
    fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Failure {
            status,
            detail: detail.into(),
            retry_after: None,
        }
    }

    fn json(self) -> Response {
        let mut res = (self.status, Json(json!({ "detail": self.detail }))).into_response();
        if let Some(v) = self.retry_after {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        res
    }
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        let detail = match &e {
            ApiError::Internal(_) | ApiError::Unavailable => {
                "Something went wrong on our side; please try again in a moment.".to_string()
            }
            other => other.to_string(),
        };
        let res = e.into_response();
        Failure {
            status: res.status(),
            detail,
            retry_after: res.headers().get(header::RETRY_AFTER).cloned(),
        }
    }
}

fn problem_page(state: &AppState, f: Failure) -> Response {
    let title = match f.status {
        StatusCode::NOT_FOUND => "This link is not valid",
        StatusCode::GONE => "This link can no longer be used",
        StatusCode::TOO_MANY_REQUESTS => "Too many attempts",
        _ => "Something went wrong",
    };
    let body = fill(
        PROBLEM,
        &[("title", &esc(title)), ("message", &esc(&f.detail))],
    );
    let mut res = page(state, f.status, title, &body, "");
    if let Some(v) = f.retry_after {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

/// Finds the usable link token behind `token`; every failure counts toward the client's limit.
async fn session(state: &AppState, ip: IpAddr, token: &str) -> Result<LinkSession, Failure> {
    state.failures.check(FailureKey::client(ip))?;
    let found = state
        .store
        .link_session(token)
        .await
        .map_err(ApiError::from)?;
    let failure = match found {
        None => Failure::new(
            StatusCode::NOT_FOUND,
            "This link does not exist. Check that you copied all of it, or ask for a new one.",
        ),
        Some(s) if s.used_at.is_some() => Failure::new(
            StatusCode::GONE,
            format!(
                "This link was already used to connect a helpdesk. To connect again, ask {} for a new link.",
                s.organization_name
            ),
        ),
        Some(s) if s.expired => Failure::new(
            StatusCode::GONE,
            format!(
                "This link has expired. Ask {} for a new one.",
                s.organization_name
            ),
        ),
        Some(s) => return Ok(s),
    };
    state.failures.fail(FailureKey::client(ip));
    Err(failure)
}

/// The hosted Link page: step 1 picks the helpdesk, step 2 asks for its credentials. Public:
/// the link token in the path is the only credential. Unknown, used or expired tokens count
/// toward the client's limit on failures.
#[utoipa::path(
    get,
    path = "/link/{link_token}",
    tag = "link",
    params(
        ("link_token" = String, Path, description = "The link token from `POST /link-token`"),
        LinkPageParams,
    ),
    responses(
        (status = 200, description = "The Link page", content_type = "text/html", body = String),
        (status = 400, description = "Invalid query", body = ErrorDetail),
        (status = 404, description = "Unknown link token (HTML page)", content_type = "text/html", body = String),
        (status = 410, description = "Used or expired link token (HTML page)", content_type = "text/html", body = String),
        (status = 429, description = "Too many failed attempts from this address (HTML page)", content_type = "text/html", body = String),
    )
)]
pub async fn link_page(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(token): Path<String>,
    ApiQuery(p): ApiQuery<LinkPageParams>,
) -> Response {
    let s = match session(&state, ip, &token).await {
        Ok(s) => s,
        Err(f) => return problem_page(&state, f),
    };
    let picked = s
        .integration
        .clone()
        .or(p.integration)
        .filter(|i| integration_name(&state, i).is_some());
    match picked.as_deref() {
        Some(slug) => form_page(&state, &s, slug, StatusCode::OK, &BTreeMap::new(), None),
        None => choose_page(&state, &s),
    }
}

/// Submits the end user's credentials (as a form, answered with HTML, or as JSON, answered
/// with JSON). Public: the link token in the path is the only credential. Refused credentials
/// are explained in plain words (wrong key, unknown domain, suspended account, plan without
/// API access, helpdesk unreachable) and count toward the client's limit on failures.
#[utoipa::path(
    post,
    path = "/link/{link_token}",
    tag = "link",
    params(("link_token" = String, Path, description = "The link token from `POST /link-token`")),
    request_body(content(
        (LinkCredentials = "application/json"),
        (LinkCredentials = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "Linked: the public token (JSON) or the success page that hands it over (HTML)",
            content((LinkCompleted = "application/json"), (String = "text/html"))),
        (status = 303, description = "Linked (form post): to the configured redirect URL, with `public_token`"),
        (status = 400, description = "Missing or refused credentials, in plain words",
            content((ErrorDetail = "application/json"), (String = "text/html"))),
        (status = 404, description = "Unknown link token", content((ErrorDetail = "application/json"), (String = "text/html"))),
        (status = 410, description = "Used or expired link token", content((ErrorDetail = "application/json"), (String = "text/html"))),
        (status = 413, description = "Body too large", body = ErrorDetail),
        (status = 429, description = "Too many failed attempts, or the helpdesk's rate limit is spent",
            content((ErrorDetail = "application/json"), (String = "text/html"))),
        (status = 502, description = "The helpdesk could not be reached",
            content((ErrorDetail = "application/json"), (String = "text/html"))),
    )
)]
pub async fn link_page_submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let wants_json = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .is_some_and(|v| v.contains("application/json"))
    };
    let json_mode = wants_json(header::CONTENT_TYPE) || wants_json(header::ACCEPT);
    let s = match session(&state, ip, &token).await {
        Ok(s) => s,
        Err(f) if json_mode => return f.json(),
        Err(f) => return problem_page(&state, f),
    };
    let body = match body {
        Ok(b) => b,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return Failure::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "The request body is too large.",
            )
            .json();
        }
        Err(e) => return Failure::new(StatusCode::BAD_REQUEST, e.body_text()).json(),
    };
    let result = match parse_body(&headers, &body, json_mode) {
        Ok(c) => complete(&state, ip, &s, &c).await.map_err(|f| (f, c)),
        Err(f) => Err((f, LinkCredentials::default())),
    };
    match result {
        Ok(done) if json_mode => Json(done).into_response(),
        Ok(done) => match &done.redirect_url {
            Some(url) => Redirect::to(url).into_response(),
            None => {
                let push = match &done.push_setup {
                    Some(setup) => push_setup_html(setup),
                    None if done.push_installed => push_installed_html(&done.integration_name),
                    None => String::new(),
                };
                let body = fill(
                    DONE,
                    &[
                        ("org", &esc(&s.organization_name)),
                        ("integration_name", &esc(&done.integration_name)),
                        ("push", &push),
                    ],
                );
                let attrs = format!(
                    " data-public-token=\"{}\" data-integration=\"{}\"",
                    esc(&done.public_token),
                    esc(&done.integration)
                );
                page(&state, StatusCode::OK, "Connected", &body, &attrs)
            }
        },
        Err((f, c)) => {
            if f.status.is_client_error() && f.status != StatusCode::TOO_MANY_REQUESTS {
                state.failures.fail(FailureKey::client(ip));
            }
            if json_mode {
                f.json()
            } else if f.status == StatusCode::GONE {
                problem_page(&state, f)
            } else {
                let retry = f.retry_after.clone();
                let slug = s.integration.as_deref().or(c.integration.as_deref());
                let slug = slug.unwrap_or_default();
                let mut res = form_page(&state, &s, slug, f.status, &c.fields, Some(&f.detail));
                if let Some(v) = retry {
                    res.headers_mut().insert(header::RETRY_AFTER, v);
                }
                res
            }
        }
    }
}

/// The Link page's stylesheet and script (embedded in the binary).
#[utoipa::path(
    get,
    path = "/link/assets/{file}",
    tag = "link",
    params(("file" = String, Path, description = "`link.css` or `link.js`")),
    responses(
        (status = 200, description = "The asset", content((String = "text/css"), (String = "text/javascript"))),
        (status = 404, description = "No such asset", body = ErrorDetail),
    )
)]
pub async fn link_asset(Path(file): Path<String>) -> Response {
    let (body, kind) = match file.as_str() {
        "link.css" => (CSS, "text/css; charset=utf-8"),
        "link.js" => (JS, "text/javascript; charset=utf-8"),
        _ => return ApiError::NotFound("No such asset.".into()).into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=300"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}
