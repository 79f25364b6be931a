//! The client's address: from the connection, or, when the connection comes from a trusted
//! reverse proxy (`DESKBRIDGE_TRUSTED_PROXIES`), from the `Forwarded` or `X-Forwarded-For`
//! header that proxy set.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use ipnet::IpNet;

use crate::state::AppState;

/// Parses the trusted proxies: CIDRs (`10.0.0.0/8`, `fd00::/8`) or single addresses.
pub fn parse_proxies(items: &[String]) -> Result<Vec<IpNet>, String> {
    items
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("`{s}` is not a network such as 10.0.0.0/8 or an address"))
        })
        .collect()
}

/// The client's address as handlers, the failure limits and the audit trail see it: the
/// connection's peer, or, when that peer is a trusted proxy, the client the proxies named
/// (unspecified when the app is served without connect info, as in unit tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip())
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        Ok(ClientIp(resolve(
            peer,
            &parts.headers,
            &state.config.trusted_proxies,
        )))
    }
}

/// The client behind `peer`. Only a trusted peer's forwarding headers count. Each proxy
/// appends the address it saw, so the hops are read from the right: the first one that is not
/// a trusted proxy is the client (whatever the client itself wrote further left is ignored).
/// `Forwarded` (RFC 7239) is read when present, else `X-Forwarded-For`.
pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut client = peer.to_canonical();
    if !is_trusted(&client) {
        return client;
    }
    let forwarded = hops(headers, "forwarded", forwarded_for);
    let hops = if forwarded.is_empty() {
        hops(headers, "x-forwarded-for", plain_address)
    } else {
        forwarded
    };
    for hop in hops.iter().rev() {
        // A hop a trusted proxy wrote but that names no address ("unknown"): the client is
        // the last address known.
        let Some(ip) = hop else {
            return client;
        };
        client = ip.to_canonical();
        if !is_trusted(&client) {
            return client;
        }
    }
    client
}

/// Every hop of every `name` header, in order (`None`: a hop without an address).
fn hops(
    headers: &HeaderMap,
    name: &str,
    parse: fn(&str) -> Option<Option<IpAddr>>,
) -> Vec<Option<IpAddr>> {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(parse)
        .collect()
}

/// The `for=` of one `Forwarded` element (`for=192.0.2.1`, `for="[2001:db8::1]:4711"`);
/// `None` when the element has no `for=`.
fn forwarded_for(element: &str) -> Option<Option<IpAddr>> {
    let value = element.split(';').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        k.trim().eq_ignore_ascii_case("for").then(|| v.trim())
    })?;
    Some(address(value.trim_matches('"')))
}

/// One `X-Forwarded-For` hop; empty entries are skipped.
fn plain_address(hop: &str) -> Option<Option<IpAddr>> {
    let hop = hop.trim();
    (!hop.is_empty()).then(|| address(hop))
}

/// An address, with or without a port (`192.0.2.1:80`, `[2001:db8::1]:80`, `2001:db8::1`).
fn address(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(sa) = text.parse::<SocketAddr>() {
        return Some(sa.ip());
    }
    text.strip_prefix('[')
        .and_then(|t| t.split_once(']'))
        .and_then(|(ip, _)| ip.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn only_trusted_peers_name_the_client_read_from_the_right() {
        let trusted = parse_proxies(&["10.0.0.0/8".into(), "::1".into()]).expect("proxies");
        let xff = headers(&[("x-forwarded-for", "6.6.6.6, 203.0.113.7, 10.1.1.1")]);
        assert_eq!(resolve(ip("10.0.0.2"), &xff, &trusted), ip("203.0.113.7"));
        assert_eq!(resolve(ip("192.0.2.1"), &xff, &trusted), ip("192.0.2.1"));
        assert_eq!(
            resolve(ip("::ffff:10.0.0.2"), &xff, &trusted),
            ip("203.0.113.7")
        );
        let fwd = headers(&[
            ("forwarded", "for=6.6.6.6"),
            (
                "forwarded",
                "for=\"[2001:db8::7]:4711\";proto=https, for=10.2.2.2",
            ),
            ("x-forwarded-for", "198.51.100.1"),
        ]);
        assert_eq!(resolve(ip("::1"), &fwd, &trusted), ip("2001:db8::7"));
        let unknown = headers(&[("forwarded", "for=unknown")]);
        assert_eq!(resolve(ip("10.0.0.2"), &unknown, &trusted), ip("10.0.0.2"));
        assert_eq!(
            resolve(ip("10.0.0.2"), &HeaderMap::new(), &trusted),
            ip("10.0.0.2")
        );
        assert!(parse_proxies(&["nonsense".into()]).is_err());
    }
}
