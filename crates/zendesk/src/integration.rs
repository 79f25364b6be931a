//! Zendesk as an [`Integration`]: what the API, the Link page and the sync engine know of
//! it, and the factory of its providers, with one rate budget per linked account per process
//! (Zendesk's limit is per account, so every sync and passthrough call must share it).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use deskbridge_model::ModelKind;
use deskbridge_provider::{
    CredentialField, Credentials, Integration, IntegrationInfo, Look, ProviderError, Refusals,
    RemoteFieldClassDef, TicketingProvider,
};
use serde_json::{Map, Value};
use url::Url;
use uuid::Uuid;

use crate::domain::{ZendeskAuth, ZendeskCredentials, is_allowed};
use crate::{RateBudget, ZendeskConfig, ZendeskProvider, http_client, provider::stream};

/// What goes in `email` to give an OAuth access token in `api_token` instead of an API
/// token: the Link page renders one form from one field list, so OAuth reuses the fields
/// rather than adding a second, optional set that the common field check cannot express.
pub const OAUTH_EMAIL: &str = "oauth";

/// The credential fields: the subdomain, the email of an admin and an API token.
const FIELDS: &[CredentialField] = &[
    CredentialField {
        name: "subdomain",
        label: "Zendesk subdomain",
        help: "The address you open Zendesk at, such as acme.zendesk.com (or just acme).",
        steps: &[],
        example: "acme.zendesk.com",
        secret: false,
        max_len: 253,
        missing: "Enter your Zendesk subdomain, such as acme.zendesk.com.",
    },
    CredentialField {
        name: "email",
        label: "Admin email",
        help: "The email an administrator signs in to Zendesk with (the token acts as this \
               person; Zendesk's exports are for admins only). To use an OAuth access token \
               instead, type oauth here and paste the access token below.",
        steps: &[],
        example: "admin@acme.com",
        secret: false,
        max_len: 254,
        missing: "Enter the email of a Zendesk administrator.",
    },
    CredentialField {
        name: "api_token",
        label: "API token",
        help: "A Zendesk API token; \"Token access\" must be enabled in Zendesk for it to work.",
        steps: &[
            "Sign in to Zendesk as an administrator and open Admin Center.",
            "Go to Apps and integrations → APIs → Zendesk API.",
            "Make sure \"Token access\" is enabled (Settings tab).",
            "Click Add API token, name it Deskbridge, and copy the token (it is shown once).",
        ],
        example: "gTmQ2vYxExampleToken0123456789abcdef",
        secret: true,
        max_len: 512,
        missing: "Enter a Zendesk API token.",
    },
];

/// Merge ticketing paths the Zendesk integration does not offer (`docs/providers/zendesk.md`).
const UNSUPPORTED: &[&str] = &[
    "tickets/live-search",
    "attachments/meta/post",
    "async-passthrough",
    "available-actions",
    "field-mappings",
    "remote-fields",
    "target-fields",
    "default-scopes",
    "linked-account-scopes",
    "selective-sync",
    "issues",
    "webhook-receivers",
];

/// The Zendesk integration: builds adapters sharing one HTTP client (which follows no
/// redirect) and one rate budget per linked account.
pub struct ZendeskIntegration {
    allowed_hosts: Vec<String>,
    reserve_share: f64,
    request_timeout: Duration,
    rate_window: Duration,
    http: reqwest::Client,
    budgets: Mutex<HashMap<Uuid, Arc<RateBudget>>>,
}

impl ZendeskIntegration {
    /// An integration allowing `allowed_hosts` (exact origins, e.g. a simulator) besides
    /// `*.zendesk.com`, keeping `reserve_share` of each account's rate limit free.
    pub fn new(allowed_hosts: Vec<String>, reserve_share: f64) -> Self {
        ZendeskIntegration {
            allowed_hosts,
            reserve_share,
            request_timeout: Duration::from_secs(30),
            rate_window: crate::budget::DEFAULT_WINDOW,
            http: http_client(),
            budgets: Mutex::new(HashMap::new()),
        }
    }

    /// Sets the timeout of one provider request (default 30 s).
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Sets the length of the rate-limit window (Zendesk: one minute; shorter for a
    /// time-scaled simulator).
    pub fn with_rate_window(mut self, window: Duration) -> Self {
        self.rate_window = window;
        self
    }

    /// The budget of a linked account (shared by its syncs and passthrough calls).
    pub fn budget(&self, linked_account_id: Uuid) -> Arc<RateBudget> {
        let mut map = match self.budgets.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        map.entry(linked_account_id)
            .or_insert_with(|| Arc::new(RateBudget::with_window(self.rate_window)))
            .clone()
    }
}

fn text<'a>(c: &'a Credentials, key: &str) -> &'a str {
    c.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// The adapter's credentials from the form's fields (`email: oauth` → an OAuth token).
fn credentials_of(c: &Credentials) -> ZendeskCredentials {
    let email = text(c, "email").trim();
    let token = secrecy::SecretString::from(text(c, "api_token").to_string());
    let auth = if email.eq_ignore_ascii_case(OAUTH_EMAIL) {
        ZendeskAuth::OAuth {
            access_token: token,
        }
    } else {
        ZendeskAuth::ApiToken {
            email: email.to_string(),
            api_token: token,
        }
    };
    ZendeskCredentials {
        subdomain: text(c, "subdomain").to_string(),
        auth,
    }
}

/// Whether `url` is one of Zendesk's file hosts: an account site (whose `content_url`
/// answers a redirect) or the signed-URL host it redirects to, over https; or an allowed
/// origin (a simulator). No credentials are ever sent by the download client.
pub fn file_url_allowed(url: &Url, allowed_hosts: &[String]) -> bool {
    if is_allowed(url, allowed_hosts) {
        return true;
    }
    let Some(host) = url.host_str().map(str::to_ascii_lowercase) else {
        return false;
    };
    url.scheme() == "https"
        && url.port().is_none()
        && [".zendesk.com", ".zdusercontent.com"].iter().any(|s| {
            host.strip_suffix(s)
                .is_some_and(crate::domain::is_dns_label)
        })
}

impl Integration for ZendeskIntegration {
    fn info(&self) -> IntegrationInfo {
        IntegrationInfo {
            slug: "zendesk",
            name: "Zendesk",
        }
    }

    fn look(&self) -> Look {
        Look {
            color: "#03363D",
            logo_svg: include_str!("../assets/logo.svg"),
            scope: "will read your Zendesk tickets, comments, users, organizations and groups, and create and\n\
                    update tickets and comments (and add end-users), with an admin's API token.\n\
                    The token is checked with Zendesk now, then stored encrypted.",
        }
    }

    fn credential_fields(&self) -> &'static [CredentialField] {
        FIELDS
    }

    /// See [`crate::push::verify`].
    fn verify_push(
        &self,
        request: &deskbridge_provider::PushRequest<'_>,
        signing_secret: Option<&str>,
    ) -> Result<deskbridge_provider::PushVerified, deskbridge_provider::PushRefusal> {
        crate::push::verify(request, signing_secret)
    }

    fn push_setup(&self, url: &str, secret: &str) -> Option<deskbridge_provider::PushSetup> {
        Some(crate::push::setup(url, secret))
    }

    fn refusals(&self) -> Refusals {
        Refusals {
            unauthorized: "Zendesk rejected the email and API token. Check the email of the admin, copy the token again (Admin Center → Apps and integrations → APIs → Zendesk API), and make sure Token access is enabled.",
            unknown_account: "No Zendesk account exists at this subdomain. Check the subdomain (the `acme` in acme.zendesk.com).",
            suspended: "This Zendesk account is suspended or closed; reactivate it in Zendesk first.",
            no_api_access: "This Zendesk account does not allow API access; enable Token access in Admin Center → Apps and integrations → APIs → Zendesk API.",
            forbidden: "Zendesk refused these credentials: they must belong to an administrator, not to an end-user (a customer) or an agent who is not an admin (an OAuth token also needs the read and write scopes).",
            host_not_allowed: "The subdomain `{domain}` is not allowed: give a Zendesk subdomain such as `acme` or https://acme.zendesk.com.",
            rate_limited: "Zendesk's rate limit is spent for this account; try again shortly.",
            unavailable: "Zendesk could not be reached or answered with an error; try again shortly.",
        }
    }

    fn supported_models(&self) -> Vec<ModelKind> {
        vec![
            ModelKind::Ticket,
            ModelKind::Comment,
            ModelKind::User,
            ModelKind::Contact,
            ModelKind::Account,
            ModelKind::Team,
            ModelKind::Tag,
            ModelKind::Role,
            ModelKind::Attachment,
        ]
    }

    fn unsupported_paths(&self) -> &'static [&'static str] {
        UNSUPPORTED
    }

    fn metadata_keys(&self) -> &'static [&'static str] {
        &[stream::TICKET_FIELDS, stream::CUSTOM_STATUSES]
    }

    fn enum_origin(
        &self,
        field: &str,
        raw: &Value,
        metadata: &Map<String, Value>,
    ) -> Option<String> {
        crate::mapping::enum_origin(field, raw, metadata)
    }

    fn remote_field_values(&self, raw: &Value) -> Vec<(String, Value)> {
        crate::mapping::ticket_custom_fields(raw)
            .into_iter()
            .collect()
    }

    fn remote_field_classes(&self, metadata: &Map<String, Value>) -> Vec<RemoteFieldClassDef> {
        crate::remote_fields::remote_field_classes(metadata)
    }

    fn subdomain(&self, credentials: &Credentials) -> String {
        text(credentials, "subdomain").to_string()
    }

    fn build(
        &self,
        linked_account_id: Uuid,
        credentials: &Credentials,
    ) -> Result<Arc<dyn TicketingProvider>, ProviderError> {
        let budget = if linked_account_id.is_nil() {
            Arc::new(RateBudget::with_window(self.rate_window))
        } else {
            self.budget(linked_account_id)
        };
        let mut cfg = ZendeskConfig::new(linked_account_id, credentials_of(credentials));
        cfg.allowed_hosts = self.allowed_hosts.clone();
        cfg.budget = Some(budget);
        cfg.http = self.http.clone();
        cfg.rate_window = self.rate_window;
        cfg.reserve_share = self.reserve_share;
        cfg.request_timeout = self.request_timeout;
        Ok(Arc::new(ZendeskProvider::new(cfg)?))
    }

    fn file_url_allowed(&self, url: &Url) -> bool {
        file_url_allowed(url, &self.allowed_hosts)
    }

    fn allowed_hosts(&self) -> Vec<String> {
        self.allowed_hosts.clone()
    }

    fn request_timeout(&self) -> Duration {
        self.request_timeout
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn creds(v: Value) -> Credentials {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn file_hosts_are_zendesk_sites_signed_hosts_and_allowed_origins_only() {
        let allowed = vec!["http://127.0.0.1:9100".to_string()];
        let ok = |u: &str| file_url_allowed(&Url::parse(u).expect("url"), &allowed);
        assert!(ok(
            "https://acme.zendesk.com/attachments/token/abc/?name=a.png"
        ));
        assert!(ok(
            "https://acme.zdusercontent.com/attachment/1/a.png?token=x"
        ));
        assert!(ok("http://127.0.0.1:9100/d/zsim1/attachments/token/abc"));
        assert!(!ok("http://acme.zendesk.com/attachments/token/abc"));
        assert!(!ok("https://acme.zendesk.com:8443/x"));
        assert!(!ok("https://evil.com/?acme.zendesk.com"));
        assert!(!ok("https://a.b.zendesk.com/x"));
        assert!(!ok("http://127.0.0.1:9101/x"));
    }

    #[test]
    fn email_oauth_gives_a_bearer_token_and_debug_hides_secrets() {
        let c = credentials_of(&creds(
            json!({"subdomain": "acme", "email": "OAuth", "api_token": "tok-secret"}),
        ));
        assert!(matches!(c.auth, ZendeskAuth::OAuth { .. }));
        let c = credentials_of(&creds(
            json!({"subdomain": "acme", "email": "a@acme.com", "api_token": "tok-secret"}),
        ));
        assert!(matches!(c.auth, ZendeskAuth::ApiToken { .. }));
        assert!(!format!("{c:?}").contains("tok-secret"));
    }

    #[test]
    fn building_refuses_a_host_outside_the_rules_before_any_request() {
        let i = ZendeskIntegration::new(Vec::new(), 0.2);
        let bad =
            creds(json!({"subdomain": "http://10.0.0.1:9000", "email": "a@b.c", "api_token": "t"}));
        assert!(matches!(
            i.build(Uuid::nil(), &bad),
            Err(ProviderError::HostNotAllowed(_))
        ));
        let good = creds(json!({"subdomain": "acme", "email": "a@b.c", "api_token": "t"}));
        assert!(i.build(Uuid::new_v4(), &good).is_ok());
        assert_eq!(i.info().slug, "zendesk");
        assert!(
            i.credential_fields()
                .iter()
                .any(|f| f.name == "api_token" && f.secret)
        );
    }
}
