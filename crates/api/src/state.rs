//! Shared state of the HTTP API.

use std::sync::Arc;
use std::time::Duration;

use crate::error::ApiError;
use deskbridge_provider::{ProviderError, Registry};
use deskbridge_store::Store;
use deskbridge_sync::Downloader;

use crate::failures::FailureLimiter;
use crate::limiter::Limiter;

/// Settings of the HTTP API.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// Requests per linked account per minute (0: off).
    pub rate_limit_per_minute: u32,
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
    /// Longest a request may take.
    pub request_timeout: Duration,
    /// How often accounts are synced (for `next_sync_start`).
    pub sync_interval: Duration,
    /// The public base URL of this server, for magic links (e.g. `https://link.example.com`);
    /// `None`: no magic links (a Host header is chosen by the client, so a link built from it
    /// could send end users, with their link token, to an attacker's host).
    pub public_url: Option<String>,
    /// Where the Link page sends the end user (with `?public_token=…`) after linking when it
    /// has no opener window or parent frame to hand the public token to.
    pub link_redirect_url: Option<String>,
    /// Failed Link-page attempts allowed per client (IPv6: per /64) and failed token
    /// exchanges per organization, per minute, before answering 429 (0: no limit).
    pub link_failure_limit: u32,
    /// Reverse proxies (`DESKBRIDGE_TRUSTED_PROXIES`): only a connection from one of these
    /// networks may name the client in `Forwarded` or `X-Forwarded-For`; anyone else could
    /// forge those headers to dodge the failure limit or falsify the audit trail.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Origins (`https://app.example.com`) that may frame the Link page and receive its
    /// `postMessage` (`DESKBRIDGE_LINK_EMBED_ORIGINS`); empty: none, so no other site can
    /// frame the page (clickjacking) or read the public token it hands over.
    pub link_embed_origins: Vec<String>,
    /// Hosts (`host` or `host:port`) webhook receivers may use although they are private or
    /// loopback addresses (`DESKBRIDGE_ALLOW_WEBHOOK_HOSTS`).
    pub webhook_allowed_hosts: Vec<String>,
    /// The bearer token `GET /metrics` requires (`DESKBRIDGE_METRICS_TOKEN`); `None`: the
    /// endpoint is off (404), since its labels name linked accounts of every organization.
    pub metrics_token: Option<String>,
    /// Whether linking installs the push in the helpdesk when it can (`DESKBRIDGE_PUSH_ON_LINK`,
    /// see `docs/PUSH.md`). Off in this default so that embedding the API (tests, the demo)
    /// makes no helpdesk calls beyond the credential check; `deskbridge serve` turns it on.
    pub push_on_link: bool,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            rate_limit_per_minute: 600,
            body_limit: 2 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            sync_interval: Duration::from_secs(300),
            public_url: None,
            link_redirect_url: None,
            link_failure_limit: 20,
            trusted_proxies: Vec::new(),
            link_embed_origins: Vec::new(),
            webhook_allowed_hosts: Vec::new(),
            metrics_token: None,
            push_on_link: false,
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The store.
    pub store: Store,
    /// The integrations offered; builds providers for linked accounts.
    pub providers: Arc<Registry>,
    /// Fetches attachment files, each integration only from its own file hosts.
    pub downloads: Arc<Downloader>,
    /// Settings.
    pub config: Arc<ApiConfig>,
    /// Caller rate limits.
    pub limiter: Arc<Limiter>,
    /// Failed Link-page and token-exchange attempts per client (or organization).
    pub failures: Arc<FailureLimiter>,
    /// Refused credential checks of `POST /linked-accounts` per organization.
    pub check_throttle: Arc<crate::check_throttle::CheckThrottle>,
}

impl AppState {
    /// Builds the state.
    pub fn new(store: Store, providers: Arc<Registry>, config: ApiConfig) -> Self {
        let downloads = Arc::new(Downloader::new(&providers));
        let limiter = Arc::new(Limiter::new(config.rate_limit_per_minute));
        let failures = Arc::new(FailureLimiter::new(config.link_failure_limit));
        AppState {
            store,
            providers,
            downloads,
            config: Arc::new(config),
            limiter,
            failures,
            check_throttle: Arc::default(),
        }
    }

    /// A provider error as the client is told it, in the words of `integration` (its
    /// [`deskbridge_provider::Refusals`]) when it is one of ours.
    pub fn provider_error(&self, integration: &str, e: ProviderError) -> ApiError {
        let e = match self.providers.get(integration) {
            Some(i) => i.refusals().explain(e),
            None => e,
        };
        ApiError::from(e)
    }

    /// The stored metadata of a linked account that its integration's reads and writes need
    /// ([`deskbridge_provider::Integration::metadata_keys`]), by key.
    pub async fn account_metadata(
        &self,
        org: uuid::Uuid,
        linked_account: uuid::Uuid,
        integration: &str,
    ) -> Result<serde_json::Map<String, serde_json::Value>, ApiError> {
        let mut out = serde_json::Map::new();
        let keys = self
            .providers
            .get(integration)
            .map(|i| i.metadata_keys())
            .unwrap_or_default();
        for key in keys {
            if let Some(v) = self.store.metadata(org, linked_account, key).await? {
                out.insert((*key).to_string(), v);
            }
        }
        Ok(out)
    }
}
