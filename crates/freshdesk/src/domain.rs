//! Turning the domain a customer typed into the base URL of its helpdesk.

use deskbridge_provider::ProviderError;
use url::Url;

const FRESHDESK_SUFFIX: &str = ".freshdesk.com";

/// Resolves the domain of a linked account to the base URL every API path is joined to.
///
/// * `acme`, `acme.freshdesk.com`, `https://acme.freshdesk.com` → `https://acme.freshdesk.com/`.
///   The subdomain must be one valid DNS label.
/// * Any other full URL (e.g. `http://127.0.0.1:9000/d/sim1`) is accepted only when its host,
///   or its `host:port`, is listed in `allowed_hosts` (case-insensitive); its path prefix is
///   kept, so `/d/sim1` + `/api/v2/...`.
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

    let with_port = url
        .port_or_known_default()
        .map(|p| format!("{host}:{p}"))
        .unwrap_or_else(|| host.clone());
    let explicit_port = url.port().map(|p| format!("{host}:{p}"));
    let allowed = allowed_hosts.iter().any(|a| {
        let a = a.trim().to_ascii_lowercase();
        !a.is_empty()
            && (a == host || a == with_port || explicit_port.as_deref() == Some(a.as_str()))
    });
    if !allowed {
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
    fn userinfo_is_not_echoed() {
        let e = resolve_base_url("https://secretkey:X@evil.example", &[]).expect_err("refused");
        assert!(!e.to_string().contains("secretkey"));
    }
}
