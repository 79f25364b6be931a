//! The client's address: from the connection, or, when the connection comes from a trusted
//! reverse proxy (`DESKBRIDGE_TRUSTED_PROXIES`), from the `Forwarded` or `X-Forwarded-For`
//! header that proxy set.

use std::net::IpAddr;

use ipnet::IpNet;

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
