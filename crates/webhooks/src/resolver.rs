//! Where webhooks may go: receiver URLs checked (no private, loopback or reserved address
//! unless allowed), DNS answers checked again when sending, and the delivery client.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Once};
use std::time::Duration;

use url::{Host, Url};

use crate::settings::WebhookSettings;

static INSTALL_PROVIDER: Once = Once::new();

/// Installs rustls' ring provider once per process, so that building a client never panics
/// for want of a process-wide crypto provider.
pub(crate) fn install_crypto_provider() {
    INSTALL_PROVIDER.call_once(|| {
        let _already_installed = rustls::crypto::ring::default_provider().install_default();
    });
}

/// True for an address reachable on the public internet (not private, loopback,
/// link-local, shared, documentation, benchmarking, multicast, reserved or unspecified).
pub fn is_public_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let s = v6.segments();
            if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
                // NAT64: the embedded IPv4 address decides.
                let v4 =
                    Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
                return is_public_v4(v4);
            }
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link-local
                || (s[0] & 0xffc0) == 0xfec0 // site-local
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || s[0..6] == [0, 0, 0, 0, 0, 0]) // IPv4-compatible and other reserved
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_unspecified()
        || ip.is_multicast()
        || o[0] == 0
        || (o[0] == 100 && (o[1] & 0xc0) == 64) // shared address space 100.64/10
        || (o[0] == 192 && o[1] == 0 && o[2] == 0)
        || (o[0] == 198 && (o[1] & 0xfe) == 18) // benchmarking 198.18/15
        || o[0] >= 240)
}

fn host_text(url: &Url) -> Option<String> {
    Some(match url.host()? {
        Host::Domain(d) => d.to_ascii_lowercase(),
        Host::Ipv4(ip) => ip.to_string(),
        Host::Ipv6(ip) => ip.to_string(),
    })
}

fn entry_matches(entry: &str, host: &str, port: Option<u16>) -> bool {
    let entry = entry.trim().to_ascii_lowercase();
    if entry.is_empty() {
        return false;
    }
    if entry == host || entry.trim_start_matches('[').trim_end_matches(']') == host {
        return true;
    }
    match (entry.rsplit_once(':'), port) {
        (Some((h, p)), Some(port)) => {
            h.trim_start_matches('[').trim_end_matches(']') == host
                && p.parse::<u16>().ok() == Some(port)
        }
        _ => false,
    }
}

/// Checks a receiver URL: absolute `http(s)`, no user info or fragment, and a host that is
/// not a private or loopback address (or `localhost`) unless it is in `allowed_hosts`
/// (`host` or `host:port`). Names are checked again on every DNS answer when sending.
pub fn check_receiver_url(url: &str, allowed_hosts: &[String]) -> Result<Url, String> {
    let u = Url::parse(url.trim()).map_err(|_| "the URL is not an absolute URL".to_string())?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err("the URL must use http or https".into());
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err("the URL must not carry a user name or password".into());
    }
    if u.fragment().is_some() {
        return Err("the URL must not have a fragment".into());
    }
    let host = host_text(&u).ok_or_else(|| "the URL has no host".to_string())?;
    let port = u.port_or_known_default();
    if allowed_hosts.iter().any(|e| entry_matches(e, &host, port)) {
        return Ok(u);
    }
    let private = match u.host() {
        Some(Host::Ipv4(ip)) => !is_public_ip(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => !is_public_ip(IpAddr::V6(ip)),
        Some(Host::Domain(d)) => {
            let d = d.to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        None => true,
    };
    if private {
        return Err(format!(
            "`{host}` is a private, loopback or reserved address; allow it with \
             DESKBRIDGE_ALLOW_WEBHOOK_HOSTS if it is meant"
        ));
    }
    Ok(u)
}

/// [`check_receiver_url`], and for a name, a DNS lookup (2 s): every address it resolves to
/// must be public. A name that does not resolve now is accepted (it is checked when sending).
pub async fn check_receiver_url_resolved(
    url: &str,
    allowed_hosts: &[String],
) -> Result<Url, String> {
    let u = check_receiver_url(url, allowed_hosts)?;
    if let (Some(Host::Domain(d)), Some(port)) = (u.host(), u.port_or_known_default()) {
        let host = d.to_ascii_lowercase();
        if !allowed_hosts
            .iter()
            .any(|e| entry_matches(e, &host, Some(port)))
        {
            let lookup = tokio::time::timeout(
                Duration::from_secs(2),
                tokio::net::lookup_host((host.as_str(), port)),
            )
            .await;
            if let Ok(Ok(addrs)) = lookup {
                for a in addrs {
                    if !is_public_ip(a.ip()) {
                        return Err(format!(
                            "`{host}` resolves to a private, loopback or reserved address; allow \
                             it with DESKBRIDGE_ALLOW_WEBHOOK_HOSTS if it is meant"
                        ));
                    }
                }
            }
        }
    }
    Ok(u)
}

/// A DNS resolver that refuses names resolving to non-public addresses (except allowed hosts).
pub(crate) struct SafeResolver {
    pub(crate) allowed_hosts: Vec<String>,
}

impl reqwest::dns::Resolve for SafeResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_ascii_lowercase();
        let allowed = self.allowed_hosts.iter().any(|e| {
            let e = e.trim().to_ascii_lowercase();
            e == host
                || e.rsplit_once(':')
                    .is_some_and(|(h, p)| h == host && p.parse::<u16>().is_ok())
        });
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if addrs.is_empty() {
                return Err(format!("`{host}` has no address").into());
            }
            if !allowed && let Some(bad) = addrs.iter().find(|a| !is_public_ip(a.ip())) {
                return Err(
                    format!("`{host}` resolves to a non-public address ({})", bad.ip()).into(),
                );
            }
            let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

/// The HTTP client of webhook delivery: no proxy, no redirects (a 3xx is a failure), DNS
/// answers checked by address.
pub fn webhook_client(settings: &WebhookSettings) -> reqwest::Client {
    install_crypto_provider();
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(settings.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .referer(false)
        .user_agent(concat!("deskbridge-webhooks/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(Arc::new(SafeResolver {
            allowed_hosts: settings.allowed_hosts.clone(),
        }))
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}
