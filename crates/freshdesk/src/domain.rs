//! Turning the domain a customer typed into the base URL of its helpdesk.

use deskbridge_provider::ProviderError;
use url::Url;

const FRESHDESK_SUFFIX: &str = ".freshdesk.com";

/// Resolves the domain of a linked account to the base URL every API path is joined to.
///
/// * `acme`, `acme.freshdesk.com`, `https://acme.freshdesk.com` → `https://acme.freshdesk.com/`.
///   The subdomain must be one valid DNS label.
/// * Any other full URL (e.g. `http://127.0.0.1:9000/d/sim1`) is accepted only when its
///   origin, `scheme://host:port`, is listed in `allowed_hosts` exactly (case-insensitive; see
///   [`provider_origin`]); its path prefix is kept, so `/d/sim1` + `/api/v2/...`.
/// * Everything else → [`ProviderError::HostNotAllowed`].
///
/// The returned URL always ends with `/`, has no credentials, query or fragment.
pub fn resolve_base_url(domain: &str, allowed_hosts: &[String]) -> Result<Url, ProviderError> {
    let input = domain.trim();
    let refuse = || ProviderError::HostNotAllowed(display_safe(input));
    if input.is_empty() || input.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(refuse());
    }

    if !input.contains("://") {
        let lower = input.to_ascii_lowercase();
        let sub = lower.strip_suffix(FRESHDESK_SUFFIX).unwrap_or(&lower);
        if is_dns_label(sub) {
            return freshdesk_url(sub);
        }
        // A bare host (or host:port) that is not a Freshdesk subdomain: treat it as https.
        return resolve_full(&format!("https://{input}"), allowed_hosts).map_err(|_| refuse());
    }
    resolve_full(input, allowed_hosts).map_err(|_| refuse())
}

fn resolve_full(input: &str, allowed_hosts: &[String]) -> Result<Url, ()> {
    let url = Url::parse(input).map_err(|_| ())?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(());
    }
    let host = url.host_str().ok_or(())?.to_ascii_lowercase();

    // A Freshdesk subdomain given as a URL: normalise to https, refuse ports and paths.
    if let Some(sub) = host.strip_suffix(FRESHDESK_SUFFIX)
        && is_dns_label(sub)
        && url.port().is_none()
        && matches!(url.path(), "" | "/")
    {
        return freshdesk_url(sub).map_err(|_| ());
    }

    if !origin_allowed(&url, allowed_hosts) {
        return Err(());
    }
    let path = url.path();
    if path.split('/').any(|seg| seg == ".." || seg == ".") || path.contains("//") {
        return Err(());
    }
    let mut base = url.clone();
    let trimmed = path.trim_end_matches('/');
    base.set_path(&format!("{trimmed}/"));
    Ok(base)
}

/// Whether `url`'s origin (`scheme://host:port`, the port explicit or the scheme's default)
/// is one of `allowed` exactly: an entry names one scheme, one host and one port, so that
/// allowing a simulator never allows another service of the same machine.
pub fn origin_allowed(url: &Url, allowed: &[String]) -> bool {
    let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
        return false;
    };
    let origin = format!("{}://{}:{port}", url.scheme(), host.to_ascii_lowercase());
    allowed
        .iter()
        .filter_map(|a| provider_origin(a).ok().flatten())
        .any(|a| a == origin)
}

/// Normalises an allowed provider host entry to `scheme://host:port` (lower case, the port
/// explicit); `Ok(None)` for an empty entry. An entry without a scheme, with a path, user
/// info or query, or with another scheme than http(s) is refused with the reason.
pub fn provider_origin(entry: &str) -> Result<Option<String>, String> {
    let e = entry.trim();
    if e.is_empty() {
        return Ok(None);
    }
    let bad =
        || format!("`{e}` must be an origin such as http://127.0.0.1:9000 (scheme://host:port)");
    if !e.contains("://") {
        return Err(bad());
    }
    let u = Url::parse(e).map_err(|_| bad())?;
    if !matches!(u.scheme(), "http" | "https")
        || !u.username().is_empty()
        || u.password().is_some()
        || u.query().is_some()
        || u.fragment().is_some()
        || !matches!(u.path(), "" | "/")
    {
        return Err(bad());
    }
    let (Some(host), Some(port)) = (u.host_str(), u.port_or_known_default()) else {
        return Err(bad());
    };
    Ok(Some(format!(
        "{}://{}:{port}",
        u.scheme(),
        host.to_ascii_lowercase()
    )))
}

fn freshdesk_url(sub: &str) -> Result<Url, ProviderError> {
    Url::parse(&format!("https://{sub}{FRESHDESK_SUFFIX}/"))
        .map_err(|_| ProviderError::HostNotAllowed(sub.to_string()))
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

/// The agent-portal URL of a ticket: `{base}/a/tickets/{id}`.
pub fn ticket_url(base: &Url, ticket_id: &str) -> String {
    format!(
        "{}/a/tickets/{ticket_id}",
        base.as_str().trim_end_matches('/')
    )
}

/// A short, printable form of what was typed (errors must not echo arbitrary input at length).
fn display_safe(s: &str) -> String {
    // Strip anything that looks like userinfo so that a key pasted into a URL is never echoed.
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
    fn label_rules() {
        assert!(is_dns_label("acme"));
        assert!(is_dns_label("a-1"));
        assert!(!is_dns_label("-a"));
        assert!(!is_dns_label("a_b"));
        assert!(!is_dns_label(&"a".repeat(64)));
    }

    #[test]
    fn allowed_entries_are_exact_origins() {
        let allowed = vec!["http://127.0.0.1:9000".to_string()];
        assert!(resolve_base_url("http://127.0.0.1:9000/d/a", &allowed).is_ok());
        assert!(resolve_base_url("https://127.0.0.1:9000", &allowed).is_err());
        assert!(resolve_base_url("http://127.0.0.1:9001", &allowed).is_err());
        assert!(resolve_base_url("http://127.0.0.1", &allowed).is_err());
        let bare = vec!["127.0.0.1:9000".to_string()];
        assert!(resolve_base_url("http://127.0.0.1:9000", &bare).is_err());
        assert_eq!(
            provider_origin("HTTPS://Sim.Local").expect("ok"),
            Some("https://sim.local:443".into())
        );
        assert!(provider_origin("sim.local:8080").is_err());
        assert!(provider_origin("http://sim.local:8080/x").is_err());
        assert_eq!(provider_origin(" ").expect("ok"), None);
    }

    #[test]
    fn userinfo_is_not_echoed() {
        let e = resolve_base_url("https://secretkey:X@evil.example", &[]).expect_err("refused");
        assert!(!e.to_string().contains("secretkey"));
    }
}
