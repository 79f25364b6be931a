//! The client that fetches attachment files from the signed URLs a helpdesk hands out.
//!
//! Those URLs come from the helpdesk's answers, so they are not trusted to name a safe place:
//! a file is fetched only from hosts the integration allows
//! ([`Integration::file_url_allowed`]), and a redirect is followed only to such a host. Names
//! resolving to private, loopback or reserved addresses are refused (unless the integration
//! allows the host, e.g. a simulator), and no proxy is used, so that a download can never
//! reach an internal service.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use deskbridge_provider::{Integration, ProviderError, Registry};
use url::Url;

use crate::webhooks::SafeResolver;

/// The longest a file download may take (files can be large).
const FILE_TIMEOUT: Duration = Duration::from_secs(120);

/// Redirects followed at most.
const MAX_REDIRECTS: usize = 3;

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

/// The hosts of the allowed entries, for the resolver (which sees names only).
fn resolver_hosts(allowed_hosts: &[String]) -> Vec<String> {
    allowed_hosts
        .iter()
        .map(|e| {
            let e = e.trim().to_ascii_lowercase();
            let rest = e.split_once("://").map_or(e.as_str(), |(_, r)| r);
            rest.trim_end_matches('/').to_string()
        })
        .collect()
}

/// The download client: no proxy, checked DNS answers, redirects only to file hosts.
fn file_client(integration: Arc<dyn Integration>, timeout: Duration) -> reqwest::Client {
    crate::install_crypto_provider();
    let allowed_hosts = integration.allowed_hosts();
    let policy = reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() > MAX_REDIRECTS || !allowed(integration.as_ref(), attempt.url())
        {
            attempt.stop()
        } else {
            attempt.follow()
        }
    });
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(timeout)
        .redirect(policy)
        .no_proxy()
        .referer(false)
        .user_agent(concat!("deskbridge/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(Arc::new(SafeResolver {
            allowed_hosts: resolver_hosts(&allowed_hosts),
        }))
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}
