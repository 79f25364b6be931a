//! The integrations a running Deskbridge offers. `crates/server` fills it, one line per
//! adapter crate; the API and the sync engine only ever look integrations up here by slug.

use std::sync::Arc;

use deskbridge_model::ModelKind;
use uuid::Uuid;

use crate::integration::{Credentials, Integration};
use crate::{IntegrationInfo, ProviderError, TicketingProvider};

/// The registry of integrations, in the order the Link page offers them.
#[derive(Clone, Default)]
pub struct Registry {
    integrations: Vec<Arc<dyn Integration>>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Registry::default()
    }

    /// Adds an integration (the one line of wiring per adapter).
    pub fn with(mut self, integration: impl Integration + 'static) -> Self {
        self.integrations.push(Arc::new(integration));
        self
    }

    /// Adds an integration already shared elsewhere (e.g. a test that also inspects it).
    pub fn with_shared(mut self, integration: Arc<dyn Integration>) -> Self {
        self.integrations.push(integration);
        self
    }

    /// The integrations offered, in order.
    pub fn integrations(&self) -> Vec<IntegrationInfo> {
        self.integrations.iter().map(|i| i.info()).collect()
    }

    /// Every registered integration.
    pub fn all(&self) -> &[Arc<dyn Integration>] {
        &self.integrations
    }

    /// The integration with `slug`, if offered.
    pub fn get(&self, slug: &str) -> Option<&Arc<dyn Integration>> {
        self.integrations.iter().find(|i| i.info().slug == slug)
    }

    /// The models `slug` can fill (none for an unknown slug).
    pub fn supported_models(&self, slug: &str) -> Vec<ModelKind> {
        self.get(slug)
            .map(|i| i.supported_models())
            .unwrap_or_default()
    }

    /// Builds the adapter of `slug` for a linked account from its stored credentials JSON.
    pub fn build(
        &self,
        slug: &str,
        linked_account_id: Uuid,
        credentials_json: &str,
    ) -> Result<Arc<dyn TicketingProvider>, ProviderError> {
        let integration = self
            .get(slug)
            .ok_or(ProviderError::Unsupported("unknown integration"))?;
        let creds: Credentials = serde_json::from_str(credentials_json)
            .map_err(|_| ProviderError::Protocol("stored credentials are not valid".into()))?;
        integration.build(linked_account_id, &creds)
    }
}
