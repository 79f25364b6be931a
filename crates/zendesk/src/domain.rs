//! Credentials of a linked Zendesk account and the base URL every API path is joined to.
//!
//! Zendesk accounts live at `https://{label}.zendesk.com`; nothing else is contacted unless an
//! operator allowed it. A simulator (or a test server) is named by its full site URL, e.g.
//! `http://127.0.0.1:9000/d/zsim1` (the simulator addresses accounts by the `/d/{subdomain}`
//! path prefix): that URL goes in the `subdomain` field, and its origin must be allowed.

use deskbridge_provider::ProviderError;
use secrecy::SecretString;
use serde::Deserialize;
use url::Url;

const ZENDESK_SUFFIX: &str = ".zendesk.com";

/// How requests authenticate.
#[derive(Clone)]
pub enum ZendeskAuth {
    /// An API token: `Authorization: Basic base64("{email}/token:{api_token}")`.
    ApiToken {
        /// The login email of the user the token acts as.
        email: String,
        /// The account's API token.
        api_token: SecretString,
    },
    /// An OAuth access token: `Authorization: Bearer {token}`.
    OAuth {
        /// The access token.
        access_token: SecretString,
    },
}

impl std::fmt::Debug for ZendeskAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ZendeskAuth::ApiToken { email, .. } => f
                .debug_struct("ApiToken")
                .field("email", email)
                .field("api_token", &"[REDACTED]")
                .finish(),
            ZendeskAuth::OAuth { .. } => f
                .debug_struct("OAuth")
                .field("access_token", &"[REDACTED]")
                .finish(),
        }
    }
}

/// The credentials of a linked account, as stored (JSON).
#[derive(Debug, Clone)]
pub struct ZendeskCredentials {
    /// `acme`, `acme.zendesk.com`, `https://acme.zendesk.com`, or an allowed site URL.
    pub subdomain: String,
    /// How to authenticate.
    pub auth: ZendeskAuth,
}

#[derive(Deserialize)]
struct RawCreds {
    subdomain: Option<String>,
    #[serde(default)]
    domain: Option<String>,
    email: Option<String>,
    api_token: Option<String>,
    access_token: Option<String>,
}

impl ZendeskCredentials {
    /// Parses the stored credentials JSON: `{"subdomain", "email", "api_token"}` or
    /// `{"subdomain", "access_token"}` (`domain` is accepted as an alias of `subdomain`). An
    /// API token wins when both are given. Errors never echo secrets.
    pub fn from_json(json: &str) -> Result<Self, ProviderError> {
        let bad = |why: &str| ProviderError::Protocol(format!("stored credentials: {why}"));
        let raw: RawCreds =
            serde_json::from_str(json).map_err(|_| bad("not a JSON object of strings"))?;
        let subdomain = raw
            .subdomain
            .or(raw.domain)
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| bad("the subdomain is missing"))?;
        let auth = match (raw.email, raw.api_token, raw.access_token) {
            (Some(email), Some(token), _) if !email.trim().is_empty() && !token.is_empty() => {
                ZendeskAuth::ApiToken {
                    email: email.trim().to_string(),
                    api_token: SecretString::from(token),
                }
            }
            (_, _, Some(token)) if !token.is_empty() => ZendeskAuth::OAuth {
                access_token: SecretString::from(token),
            },
            _ => return Err(bad("give email and api_token, or access_token")),
        };
        Ok(ZendeskCredentials { subdomain, auth })
    }
}

/// Resolves what the customer typed to the site URL (ends with `/`; API paths are joined as
/// `api/v2/…`).
///
/// * `acme`, `acme.zendesk.com`, `https://acme.zendesk.com[/]` → `https://acme.zendesk.com/`
///   (one DNS label; `http://` is upgraded, ports and paths are refused).
/// * Any other URL is accepted only when allowed: an `allowed_hosts` entry is either an exact
///   origin `scheme://host:port` (the default port may be left out), or, as for Freshdesk,
///   `host` or `host:port`. Its path prefix is kept (`/d/zsim1` + `/api/v2/…`).
/// * Everything else → [`ProviderError::HostNotAllowed`].
pub fn resolve_base_url(subdomain: &str, allowed_hosts: &[String]) -> Result<Url, ProviderError> {
    let input = subdomain.trim();
    let refuse = || ProviderError::HostNotAllowed(display_safe(input));
    if input.is_empty() || input.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(refuse());
    }
    if !input.contains("://") {
        let lower = input.to_ascii_lowercase();
        let sub = lower.strip_suffix(ZENDESK_SUFFIX).unwrap_or(&lower);
        if is_dns_label(sub) {
            return zendesk_url(sub).ok_or_else(refuse);
        }
        return resolve_full(&format!("https://{input}"), allowed_hosts).ok_or_else(refuse);
    }
    resolve_full(input, allowed_hosts).ok_or_else(refuse)
}

fn resolve_full(input: &str, allowed_hosts: &[String]) -> Option<Url> {
    let url = Url::parse(input).ok()?;
    if !matches!(url.scheme(), "http" | "https")
        || !url.username().is_empty()
        || url.password().is_some()
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return None;
    }
    let host = url.host_str()?.to_ascii_lowercase();
    if let Some(sub) = host.strip_suffix(ZENDESK_SUFFIX)
        && is_dns_label(sub)
        && url.port().is_none()
        && matches!(url.path(), "" | "/")
    {
        return zendesk_url(sub);
    }
    if !is_allowed(&url, allowed_hosts) {
        return None;
    }
    let path = url.path();
    if path.split('/').any(|seg| seg == ".." || seg == ".") || path.contains("//") {
        return None;
    }
    let mut base = url.clone();
    base.set_path(&format!("{}/", path.trim_end_matches('/')));
    Some(base)
}

/// Whether `url`'s origin is allowed (see [`resolve_base_url`]).
pub fn is_allowed(url: &Url, allowed_hosts: &[String]) -> bool {
    let Some(host) = url.host_str().map(str::to_ascii_lowercase) else {
        return false;
    };
    let port = url.port_or_known_default();
    let with_port = port.map(|p| format!("{host}:{p}"));
    allowed_hosts.iter().any(|entry| {
        let e = entry.trim().to_ascii_lowercase();
        if e.is_empty() {
            return false;
        }
        if e.contains("://") {
            return Url::parse(&e).is_ok_and(|a| {
                a.scheme() == url.scheme()
                    && a.host_str() == Some(host.as_str())
                    && a.port_or_known_default() == port
                    && matches!(a.path(), "" | "/")
            });
        }
        e == host || Some(&e) == with_port.as_ref()
    })
}

fn zendesk_url(sub: &str) -> Option<Url> {
    Url::parse(&format!("https://{sub}{ZENDESK_SUFFIX}/")).ok()
}

/// True for one DNS label: 1 to 63 of `[a-z0-9-]`, not starting or ending with `-`.
pub fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// The agent-interface URL of a ticket: `{site}/agent/tickets/{id}` (not the API `url`).
pub fn ticket_url(base: &Url, ticket_id: &str) -> String {
    format!(
        "{}/agent/tickets/{ticket_id}",
        base.as_str().trim_end_matches('/')
    )
}

/// A short, printable form of what was typed, without anything that looks like userinfo.
fn display_safe(s: &str) -> String {
    let cleaned = match (s.find("://"), s.rfind('@')) {
        (Some(i), Some(j)) if j > i => format!("{}{}", &s[..i + 3], &s[j + 1..]),
        (None, Some(j)) => s[j + 1..].to_string(),
        _ => s.to_string(),
    };
    cleaned
        .chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subdomains_and_allowed_sites() {
        for ok in [
            "acme",
            "ACME.zendesk.com",
            "https://acme.zendesk.com",
            "http://acme.zendesk.com/",
        ] {
            assert_eq!(
                resolve_base_url(ok, &[]).expect(ok).as_str(),
                "https://acme.zendesk.com/"
            );
        }
        for bad in [
            "a_b",
            "https://acme.zendesk.com:8443",
            "https://acme.zendesk.com/x",
            "http://127.0.0.1:9/d/zsim1",
            "https://evil.example",
            "ftp://acme.zendesk.com",
        ] {
            assert!(resolve_base_url(bad, &[]).is_err(), "{bad}");
        }
        let allowed = vec!["http://127.0.0.1:9000".to_string()];
        assert_eq!(
            resolve_base_url("http://127.0.0.1:9000/d/zsim1", &allowed)
                .expect("allowed")
                .as_str(),
            "http://127.0.0.1:9000/d/zsim1/"
        );
        assert!(resolve_base_url("https://127.0.0.1:9000/d/zsim1", &allowed).is_err());
        assert!(resolve_base_url("http://127.0.0.1:9001/d/zsim1", &allowed).is_err());
        let hostport = vec!["127.0.0.1:9000".to_string()];
        assert!(resolve_base_url("http://127.0.0.1:9000/d/zsim1", &hostport).is_ok());
    }

    #[test]
    fn credentials_json() {
        let c = ZendeskCredentials::from_json(
            r#"{"subdomain":"acme","email":"a@b.c","api_token":"t0k"}"#,
        )
        .expect("token");
        assert!(matches!(c.auth, ZendeskAuth::ApiToken { .. }));
        let c = ZendeskCredentials::from_json(r#"{"subdomain":"acme","access_token":"x"}"#)
            .expect("oauth");
        assert!(matches!(c.auth, ZendeskAuth::OAuth { .. }));
        let e = ZendeskCredentials::from_json(r#"{"subdomain":"acme","api_token":"secret1"}"#)
            .expect_err("no email");
        assert!(!e.to_string().contains("secret1"));
        assert!(!format!("{c:?}").contains("\"x\""));
        let e = resolve_base_url("https://key:pw@evil.example", &[]).expect_err("refused");
        assert!(!e.to_string().contains("pw"));
    }
}
