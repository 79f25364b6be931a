//! The client that fetches files from URLs a helpdesk hands out (attachment downloads).
//!
//! Those URLs come from the helpdesk's answers, so they are not trusted to name a safe place:
//! the provider says which URLs are its file hosts (a [`FileUrlRule`]), a redirect is followed
//! only to such a URL, names resolving to private, loopback or reserved addresses are refused
//! (unless allowed), and no proxy is used, so that a download can never reach an internal
//! service.

use std::sync::Arc;
use std::time::Duration;

use crate::resolver::{SafeResolver, install_crypto_provider};

/// Whether a file may be fetched from a URL: the provider's rule (its file hosts and the
/// allowed provider origins).
pub type FileUrlRule = Arc<dyn Fn(&url::Url) -> bool + Send + Sync>;

/// Redirects followed at most.
const MAX_REDIRECTS: usize = 3;

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
pub fn file_client(
    allowed_hosts: &[String],
    timeout: Duration,
    file_url_allowed: FileUrlRule,
) -> reqwest::Client {
    install_crypto_provider();
    let policy = reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() > MAX_REDIRECTS || !file_url_allowed(attempt.url()) {
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
            allowed_hosts: resolver_hosts(allowed_hosts),
        }))
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}
