//! Freshdesk as an [`Integration`]: what the API, the Link page and the sync engine know of
//! it, and the factory of its providers, with one rate budget per linked account per process.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use deskbridge_model::ModelKind;
use deskbridge_provider::{
    CredentialField, Credentials, Integration, IntegrationInfo, Look, ProviderError, Refusals,
    RemoteFieldClassDef, TicketingProvider,
};
use secrecy::SecretString;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::{FreshdeskConfig, FreshdeskProvider, RateBudget, http_client, ticket_fields};

/// The credential fields: the domain and an agent's API key.
const FIELDS: &[CredentialField] = &[
    CredentialField {
        name: "domain",
        label: "Freshdesk domain",
        help: "The address you open Freshdesk at, such as acme.freshdesk.com (or just acme).",
        steps: &[],
        example: "acme.freshdesk.com",
        secret: false,
        max_len: 253,
        missing: "Enter your Freshdesk domain, such as acme.freshdesk.com.",
    },
    CredentialField {
        name: "api_key",
        label: "API key",
        help: "Use the key of an agent who can see every ticket (an administrator is best).",
        steps: &[
            "Sign in to Freshdesk.",
            "Click your profile picture (top right) and choose Profile settings.",
            "Click View API Key on the right, complete the check, and copy the key.",
        ],
        example: "abcdefghij1234567890",
        secret: true,
        max_len: 256,
        missing: "Enter your Freshdesk API key.",
    },
];

/// Merge ticketing paths the Freshdesk integration does not offer (`docs/providers/freshdesk.md`).
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

/// The Freshdesk integration: builds adapters sharing one HTTP client, one rate budget per
/// linked account (shared by its syncs and passthrough calls).
pub struct FreshdeskIntegration {
    allowed_hosts: Vec<String>,
    reserve_share: f64,
    request_timeout: Duration,
    rate_window: Duration,
    http: reqwest::Client,
    budgets: Mutex<HashMap<Uuid, Arc<RateBudget>>>,
}

impl FreshdeskIntegration {
    /// An integration allowing `allowed_hosts` (exact origins, e.g. a simulator) besides
    /// Freshdesk's own, keeping `reserve_share` of each account's rate limit free.
    pub fn new(allowed_hosts: Vec<String>, reserve_share: f64) -> Self {
        FreshdeskIntegration {
            allowed_hosts,
            reserve_share,
            request_timeout: Duration::from_secs(30),
            rate_window: Duration::from_secs(60),
            http: http_client(),
            budgets: Mutex::new(HashMap::new()),
        }
    }

    /// Sets the timeout of one provider request (default 30 s).
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Sets the length of the rate-limit window (Freshdesk: one minute; shorter for a
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

impl Integration for FreshdeskIntegration {
    fn info(&self) -> IntegrationInfo {
        IntegrationInfo {
            slug: "freshdesk",
            name: "Freshdesk",
        }
    }

    fn look(&self) -> Look {
        Look {
            color: "#25C16F",
            logo_svg: include_str!("../assets/logo.svg"),
            scope: "will read your Freshdesk tickets, comments, contacts and agents, and create and update\n\
                    tickets and comments (and add contacts), with an API key of yours.\n\
                    The key is checked with Freshdesk now, then stored encrypted.",
        }
    }

    fn credential_fields(&self) -> &'static [CredentialField] {
        FIELDS
    }

    /// See [`crate::push::verify`] (the rule's secret header; Freshdesk signs nothing).
    fn verify_push(
        &self,
        request: &deskbridge_provider::PushRequest<'_>,
        _signing_secret: Option<&str>,
    ) -> Result<deskbridge_provider::PushVerified, deskbridge_provider::PushRefusal> {
        crate::push::verify(request)
    }

    fn push_setup(&self, url: &str, secret: &str) -> Option<deskbridge_provider::PushSetup> {
        Some(crate::push::setup(url, secret))
    }

    fn refusals(&self) -> Refusals {
        Refusals {
            unauthorized: "Freshdesk rejected the API key. Copy it again from Freshdesk: Profile settings → View API Key.",
            unknown_account: "No Freshdesk account exists at this domain. Check the subdomain (the `acme` in acme.freshdesk.com).",
            suspended: "This Freshdesk account is suspended; reactivate it in Freshdesk first.",
            no_api_access: "This Freshdesk plan does not include API access (the free plan has none); upgrade the plan first.",
            forbidden: "Freshdesk refused access with this API key; use the key of an agent allowed to view tickets.",
            host_not_allowed: "The domain `{domain}` is not allowed: give a Freshdesk subdomain such as `acme` or https://acme.freshdesk.com.",
            rate_limited: "Freshdesk's rate limit is spent for this account; try again shortly.",
            unavailable: "Freshdesk could not be reached or answered with an error; try again shortly.",
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
        &[ticket_fields::KEY]
    }

    fn enum_origin(
        &self,
        field: &str,
        raw: &Value,
        metadata: &Map<String, Value>,
    ) -> Option<String> {
        match field {
            "status" => ticket_fields::status_label(metadata, &raw["status"]),
            "priority" => ticket_fields::priority_label(metadata, &raw["priority"]),
            _ => raw["type"].as_str().map(String::from),
        }
    }

    fn remote_field_values(&self, raw: &Value) -> Vec<(String, Value)> {
        ticket_fields::custom_field_values(raw)
    }

    fn remote_field_classes(&self, metadata: &Map<String, Value>) -> Vec<RemoteFieldClassDef> {
        ticket_fields::remote_field_classes(metadata)
    }

    fn subdomain(&self, credentials: &Credentials) -> String {
        text(credentials, "domain").to_string()
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
        let mut cfg = FreshdeskConfig::new(
            linked_account_id,
            text(credentials, "domain"),
            SecretString::from(text(credentials, "api_key").to_string()),
        );
        cfg.allowed_hosts = self.allowed_hosts.clone();
        cfg.budget = budget;
        cfg.http = self.http.clone();
        cfg.reserve_share = self.reserve_share;
        cfg.request_timeout = self.request_timeout;
        Ok(Arc::new(FreshdeskProvider::new(cfg)?))
    }

    fn file_url_allowed(&self, url: &url::Url) -> bool {
        crate::files::file_url_allowed(url, &self.allowed_hosts)
    }

    fn allowed_hosts(&self) -> Vec<String> {
        self.allowed_hosts.clone()
    }

    fn request_timeout(&self) -> Duration {
        self.request_timeout
    }
}
