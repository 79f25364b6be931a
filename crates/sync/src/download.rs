//! Attachment downloads for every integration of a registry. The URLs come from the
//! helpdesk's answers, so they are not trusted to name a safe place: each integration says
//! which URLs are its file hosts ([`Integration::file_url_allowed`]), and the fetching itself
//! (no proxy, checked DNS answers, redirects only to those hosts) is the SSRF-safe client of
//! `deskbridge_webhooks::download`, shared with webhook delivery.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use deskbridge_provider::{Integration, ProviderError, Registry};
use url::Url;

/// The longest a file download may take (files can be large).
const FILE_TIMEOUT: Duration = Duration::from_secs(120);

/// Downloads attachment files for every integration of a registry, each through a client
/// that follows only that integration's file hosts.
#[derive(Clone, Default)]
pub struct Downloader {
    clients: HashMap<&'static str, (Arc<dyn Integration>, reqwest::Client)>,
}

impl Downloader {
    /// One download client per integration of `registry`.
    pub fn new(registry: &Registry) -> Self {
        let clients = registry
            .all()
            .iter()
            .map(|i| {
                (
                    i.info().slug,
                    (i.clone(), file_client(i.clone(), FILE_TIMEOUT)),
                )
            })
            .collect();
        Downloader { clients }
    }

    /// Fetches a file of an account of `integration` from the provider's signed URL (no
    /// credentials are sent): `HostNotAllowed` outside the integration's file hosts.
    pub async fn download(
        &self,
        integration: &str,
        url: &str,
    ) -> Result<reqwest::Response, ProviderError> {
        let Some((i, client)) = self.clients.get(integration) else {
            return Err(ProviderError::Unsupported("unknown integration"));
        };
        let allowed = Url::parse(url).ok().filter(|u| allowed(i.as_ref(), u));
        let Some(u) = allowed else {
            return Err(ProviderError::HostNotAllowed("the file's address".into()));
        };
        client
            .get(u)
            .timeout(i.request_timeout())
            .send()
            .await
            .map_err(|e| ProviderError::Unreachable(e.without_url().to_string()))
    }
}

/// No credentials in a file URL, whatever the integration says.
fn allowed(i: &dyn Integration, url: &Url) -> bool {
    url.username().is_empty() && url.password().is_none() && i.file_url_allowed(url)
}

/// The SSRF-safe client of one integration, following redirects only to its file hosts.
fn file_client(integration: Arc<dyn Integration>, timeout: Duration) -> reqwest::Client {
    let allowed_hosts = integration.allowed_hosts();
    let rule: deskbridge_webhooks::download::FileUrlRule =
        Arc::new(move |url: &Url| allowed(integration.as_ref(), url));
    deskbridge_webhooks::download::file_client(&allowed_hosts, timeout, rule)
}
