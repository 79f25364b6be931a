//! Building a provider for a linked account, with one rate budget per account per process.

use std::sync::Arc;

use deskbridge_model::ModelKind;
use deskbridge_provider::{IntegrationInfo, ProviderError, TicketingProvider};
use uuid::Uuid;

/// What can build providers; the server wires the real one, tests may point it at a simulator.
pub trait ProviderFactory: Send + Sync {
    /// The integrations offered.
    fn integrations(&self) -> Vec<IntegrationInfo>;

    /// Fetches a file from a provider's signed URL (no credentials are sent), only from the
    /// provider's file hosts (see [`crate::download`]): `HostNotAllowed` otherwise.
    fn download(
        &self,
        url: &str,
    ) -> futures::future::BoxFuture<'static, Result<reqwest::Response, ProviderError>>;

    /// The models an integration can fill (the others are `DISABLED`).
    fn supported_models(&self, integration: &str) -> Vec<ModelKind>;

    /// Builds the adapter of `integration` for a linked account (which may not be stored yet)
    /// from its credentials JSON. Fails with `HostNotAllowed` for a domain outside the rules.
    fn build(
        &self,
        integration: &str,
        linked_account_id: Uuid,
        credentials_json: &str,
    ) -> Result<Arc<dyn TicketingProvider>, ProviderError>;
}

/// The longest a file download may take (files can be large).
const FILE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// Builds Freshdesk adapters; one rate budget per linked account in this process.
pub struct FreshdeskFactory {
    allowed_hosts: Vec<String>,
    reserve_share: f64,
    request_timeout: std::time::Duration,
    rate_window: std::time::Duration,
    http: reqwest::Client,
    files: reqwest::Client,
    budgets:
        std::sync::Mutex<std::collections::HashMap<Uuid, Arc<deskbridge_freshdesk::RateBudget>>>,
}

impl FreshdeskFactory {
    /// A factory allowing `allowed_hosts` besides Freshdesk's own, keeping `reserve_share` of
    /// each account's rate limit free.
    pub fn new(allowed_hosts: Vec<String>, reserve_share: f64) -> Self {
        let files = crate::download::file_client(&allowed_hosts, FILE_TIMEOUT);
        FreshdeskFactory {
            allowed_hosts,
            reserve_share,
            request_timeout: std::time::Duration::from_secs(30),
            rate_window: std::time::Duration::from_secs(60),
            http: deskbridge_freshdesk::http_client(),
            files,
            budgets: std::sync::Mutex::new(std::collections::HashMap::new()),
        }
    }

    /// Sets the timeout of one provider request (default 30 s).
    pub fn with_request_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Sets the length of the provider's rate-limit window (Freshdesk: one minute; shorter
    /// for a time-scaled simulator).
    pub fn with_rate_window(mut self, window: std::time::Duration) -> Self {
        self.rate_window = window;
        self
    }

    /// The budget of a linked account (shared by its syncs and passthrough calls).
    pub fn budget(&self, linked_account_id: Uuid) -> Arc<deskbridge_freshdesk::RateBudget> {
        let mut map = match self.budgets.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        map.entry(linked_account_id)
            .or_insert_with(|| {
                Arc::new(deskbridge_freshdesk::RateBudget::with_window(
                    self.rate_window,
                ))
            })
            .clone()
    }
}

#[derive(serde::Deserialize)]
struct Creds {
    domain: String,
    api_key: String,
}

impl ProviderFactory for FreshdeskFactory {
    fn download(
        &self,
        url: &str,
    ) -> futures::future::BoxFuture<'static, Result<reqwest::Response, ProviderError>> {
        let allowed = url::Url::parse(url)
            .ok()
            .filter(|u| crate::download::file_url_allowed(u, &self.allowed_hosts));
        let Some(u) = allowed else {
            let refused = ProviderError::HostNotAllowed("the file's address".into());
            return Box::pin(async move { Err(refused) });
        };
        let req = self.files.get(u).timeout(self.request_timeout);
        Box::pin(async move {
            req.send()
                .await
                .map_err(|e| ProviderError::Unreachable(e.without_url().to_string()))
        })
    }

    fn integrations(&self) -> Vec<IntegrationInfo> {
        vec![IntegrationInfo {
            slug: "freshdesk",
            name: "Freshdesk",
        }]
    }

    fn supported_models(&self, integration: &str) -> Vec<ModelKind> {
        if integration != "freshdesk" {
            return Vec::new();
        }
        // Asking an adapter for a placeholder account: no network is involved.
        let cfg = deskbridge_freshdesk::FreshdeskConfig::new(
            Uuid::nil(),
            "example",
            secrecy::SecretString::from(""),
        );
        deskbridge_freshdesk::FreshdeskProvider::new(cfg)
            .map(|p| p.supported_models())
            .unwrap_or_default()
    }

    fn build(
        &self,
        integration: &str,
        linked_account_id: Uuid,
        credentials_json: &str,
    ) -> Result<Arc<dyn TicketingProvider>, ProviderError> {
        if integration != "freshdesk" {
            return Err(ProviderError::Unsupported("unknown integration"));
        }
        let creds: Creds = serde_json::from_str(credentials_json)
            .map_err(|_| ProviderError::Protocol("stored credentials are not valid".into()))?;
        let budget = if linked_account_id.is_nil() {
            Arc::new(deskbridge_freshdesk::RateBudget::with_window(
                self.rate_window,
            ))
        } else {
            self.budget(linked_account_id)
        };
        let mut cfg = deskbridge_freshdesk::FreshdeskConfig::new(
            linked_account_id,
            creds.domain,
            secrecy::SecretString::from(creds.api_key),
        );
        cfg.allowed_hosts = self.allowed_hosts.clone();
        cfg.budget = budget;
        cfg.http = self.http.clone();
        cfg.reserve_share = self.reserve_share;
        cfg.request_timeout = self.request_timeout;
        let provider = deskbridge_freshdesk::FreshdeskProvider::new(cfg)?;
        Ok(Arc::new(provider))
    }
}
