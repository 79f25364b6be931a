//! Failed attempts at guessing tokens (unknown link or public tokens, refused credentials,
//! wrong API keys at the exchange), counted in one-minute windows per client or per
//! organization; past the limit every attempt of that key is a 429 until its window ends.
//!
//! Clients are keyed by address, an IPv6 client by its /64 (one subscriber's network: its
//! /128s are free to rotate). The table is a bounded LRU, so memory stays fixed and no
//! attempt scans it; a flood of new keys evicts the least recently seen ones.

use std::net::IpAddr;
use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use deskbridge_store::OrgId;
use lru::LruCache;

use crate::error::{ApiError, ApiResult};

/// How many keys are remembered.
const CAPACITY: usize = 100_000;
const WINDOW: Duration = Duration::from_secs(60);

/// Whose failures are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureKey {
    /// A client address (IPv6 cut to its /64).
    Client(IpAddr),
    /// An organization (authenticated by its API key): its backend's token exchanges, so that
    /// one organization's failures never lock out another behind the same address.
    Org(OrgId),
}

impl FailureKey {
    /// The key of a client address: IPv4 as is, IPv6 by its /64.
    pub fn client(ip: IpAddr) -> Self {
        FailureKey::Client(match ip.to_canonical() {
            IpAddr::V6(v6) => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(bits.into())
            }
            v4 => v4,
        })
    }
}

/// Counts failures per [`FailureKey`].
#[derive(Debug)]
pub struct FailureLimiter {
    per_minute: u32,
    windows: Mutex<LruCache<FailureKey, (Instant, u32)>>,
}

impl FailureLimiter {
    /// Allows `per_minute` failures per key (0: unlimited).
    pub fn new(per_minute: u32) -> Self {
        Self::with_capacity(per_minute, CAPACITY)
    }

    fn with_capacity(per_minute: u32, capacity: usize) -> Self {
        FailureLimiter {
            per_minute,
            windows: Mutex::new(LruCache::new(
                NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN),
            )),
        }
    }

    /// A 429 with `Retry-After` when this key already failed too often in its window.
    pub fn check(&self, key: FailureKey) -> ApiResult<()> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let map = self
            .windows
            .lock()
            .map_err(|_| ApiError::Internal("failure limiter poisoned".into()))?;
        match map.peek(&key) {
            Some((start, n)) if *n >= self.per_minute && start.elapsed() < WINDOW => {
                let left = WINDOW.saturating_sub(start.elapsed()).as_secs().max(1);
                let whose = match key {
                    FailureKey::Client(_) => "from your address",
                    FailureKey::Org(_) => "for this organization",
                };
                Err(ApiError::TooManyRequests {
                    detail: format!("Too many failed attempts {whose}; try again in {left} s."),
                    retry_after: left,
                })
            }
            _ => Ok(()),
        }
    }

    /// Counts one failure of this key.
    pub fn fail(&self, key: FailureKey) {
        if self.per_minute == 0 {
            return;
        }
        let Ok(mut map) = self.windows.lock() else {
            return;
        };
        let now = Instant::now();
        let entry = map.get_or_insert_mut(key, || (now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.windows.lock().map(|m| m.len()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64() {
        let l = FailureLimiter::new(2);
        l.fail(FailureKey::client(ip("2001:db8:1:2::1")));
        l.fail(FailureKey::client(ip("2001:db8:1:2:ffff:1:2:3")));
        assert!(l.check(FailureKey::client(ip("2001:db8:1:2::99"))).is_err());
        assert!(l.check(FailureKey::client(ip("2001:db8:1:3::1"))).is_ok());
        assert_eq!(
            FailureKey::client(ip("::ffff:192.0.2.1")),
            FailureKey::Client(ip("192.0.2.1"))
        );
    }

    #[test]
    fn the_table_is_bounded_and_keeps_the_recent_keys() {
        let l = FailureLimiter::with_capacity(1, 3);
        let org = FailureKey::Org(OrgId::from_uuid(uuid::Uuid::from_u128(7)));
        l.fail(org);
        for i in 0..10u8 {
            l.fail(FailureKey::client(IpAddr::from([192, 0, 2, i])));
            l.fail(org);
        }
        assert_eq!(l.len(), 3);
        assert!(l.check(org).is_err(), "a recently seen key stays");
        assert!(
            l.check(FailureKey::client(ip("192.0.2.0"))).is_ok(),
            "evicted"
        );
    }
}
