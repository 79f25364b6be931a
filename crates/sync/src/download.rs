//! The client that fetches attachment files from the signed URLs a helpdesk hands out.
//!
//! Those URLs come from the helpdesk's answers, so they are not trusted to name a safe place:
//! a file is fetched only from the provider's file hosts — over https from Freshdesk's own
//! domains or the Amazon S3 storage Freshdesk keeps attachments in, or from an allowed
//! provider host (`DESKBRIDGE_ALLOW_PROVIDER_HOSTS`, e.g. a simulator) — and a redirect is
//! followed only to such a host. Names resolving to private, loopback or reserved addresses
//! are refused (unless allowed), and no proxy is used, so that a download can never reach an
//! internal service.

use std::sync::Arc;
use std::time::Duration;

use url::{Host, Url};

use crate::webhooks::SafeResolver;

/// Domains (and their subdomains) that serve Freshdesk's attachment files.
const FILE_DOMAINS: &[&str] = &["freshdesk.com", "freshworks.com", "amazonaws.com"];

/// Redirects followed at most.
const MAX_REDIRECTS: usize = 3;

/// Whether a file may be fetched from `url` (see the module docs).
pub fn file_url_allowed(url: &Url, allowed_hosts: &[String]) -> bool {
    if !url.username().is_empty() || url.password().is_some() {
        return false;
    }
    if deskbridge_freshdesk::origin_allowed(url, allowed_hosts) {
        return true;
    }
    if url.scheme() != "https" {
        return false;
    }
    match url.host() {
        Some(Host::Domain(d)) => {
            let d = d.to_ascii_lowercase();
            FILE_DOMAINS
                .iter()
                .any(|f| d == *f || d.ends_with(&format!(".{f}")))
        }
        _ => false,
    }
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
pub fn file_client(allowed_hosts: &[String], timeout: Duration) -> reqwest::Client {
    deskbridge_freshdesk::install_crypto_provider();
    let allowed = allowed_hosts.to_vec();
    let policy = reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() > MAX_REDIRECTS || !file_url_allowed(attempt.url(), &allowed) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(url: &str, allowed: &[&str]) -> bool {
        let allowed: Vec<String> = allowed.iter().map(|s| s.to_string()).collect();
        file_url_allowed(&Url::parse(url).expect("url"), &allowed)
    }

    #[test]
    fn only_provider_file_hosts_over_https_or_allowed_hosts() {
        assert!(ok("https://acme.freshdesk.com/a/1", &[]));
        assert!(ok("https://s3.amazonaws.com/cdn.freshdesk.com/x", &[]));
        assert!(!ok("http://acme.freshdesk.com/a/1", &[]));
        assert!(!ok("https://freshdesk.com.evil.example/x", &[]));
        assert!(!ok("https://127.0.0.1/x", &[]));
        assert!(!ok("https://user:pw@acme.freshdesk.com/x", &[]));
        assert!(ok(
            "http://127.0.0.1:9000/_attachments/1",
            &["http://127.0.0.1:9000"]
        ));
        assert!(!ok(
            "http://127.0.0.1:9000/_attachments/1",
            &["127.0.0.1:9000"]
        ));
        assert!(!ok("http://127.0.0.1:9001/x", &["http://127.0.0.1:9000"]));
        assert!(!ok("http://127.0.0.1:9000/x", &["https://127.0.0.1:9000"]));
    }
}
