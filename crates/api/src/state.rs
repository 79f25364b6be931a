//! Shared state of the HTTP API.

use std::sync::Arc;
use std::time::Duration;

use deskbridge_store::Store;
use deskbridge_sync::ProviderFactory;

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
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            rate_limit_per_minute: 600,
            body_limit: 2 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            sync_interval: Duration::from_secs(300),
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The store.
    pub store: Store,
    /// Builds providers for linked accounts.
    pub providers: Arc<dyn ProviderFactory>,
    /// Settings.
    pub config: Arc<ApiConfig>,
    /// Caller rate limits.
    pub limiter: Arc<Limiter>,
}

impl AppState {
    /// Builds the state.
    pub fn new(store: Store, providers: Arc<dyn ProviderFactory>, config: ApiConfig) -> Self {
        let limiter = Arc::new(Limiter::new(config.rate_limit_per_minute));
        AppState { store, providers, config: Arc::new(config), limiter }
    }
}
