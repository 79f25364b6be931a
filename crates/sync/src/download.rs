//! Which attachment URLs Freshdesk's answers may point to. The fetching itself — no proxy,
//! checked DNS answers, redirects only to allowed file hosts — is the SSRF-safe client of
//! `deskbridge_webhooks::download`, shared with webhook delivery.

use std::sync::Arc;
use std::time::Duration;

use url::{Host, Url};

/// Domains (and their subdomains) that serve Freshdesk's attachment files.
const FILE_DOMAINS: &[&str] = &["freshdesk.com", "freshworks.com", "amazonaws.com"];

/// Whether a file may be fetched from `url` (Freshdesk's file hosts over https, or an allowed provider origin).
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

/// The download client: the SSRF-safe file client, following redirects only to file hosts.
pub fn file_client(allowed_hosts: &[String], timeout: Duration) -> reqwest::Client {
    let allowed = allowed_hosts.to_vec();
    deskbridge_webhooks::download::file_client(
        allowed_hosts,
        timeout,
        Arc::new(move |url: &Url| file_url_allowed(url, &allowed)),
    )
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
