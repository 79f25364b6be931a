//! Where Freshdesk's attachment files may be fetched from.
//!
//! The signed URLs come from Freshdesk's answers, so they are not trusted to name a safe
//! place: a file is fetched only over https from Freshdesk's own domains or the Amazon S3
//! storage Freshdesk keeps attachments in, or from an allowed provider host
//! (`DESKBRIDGE_ALLOW_PROVIDER_HOSTS`, e.g. a simulator). The SSRF-safe client that asks
//! this (also for every redirect) lives outside the adapter.

use url::{Host, Url};

use crate::domain::origin_allowed;

/// Domains (and their subdomains) that serve Freshdesk's attachment files.
const FILE_DOMAINS: &[&str] = &["freshdesk.com", "freshworks.com", "amazonaws.com"];

/// Whether a file may be fetched from `url` (see the module docs).
pub fn file_url_allowed(url: &Url, allowed_hosts: &[String]) -> bool {
    if !url.username().is_empty() || url.password().is_some() {
        return false;
    }
    if origin_allowed(url, allowed_hosts) {
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
