//! Refused credential checks of `POST /linked-accounts`, counted per organization: a holder
//! of an API key must not be able to use Deskbridge to try helpdesk keys (or domains) at
//! volume. Past [`REFUSALS_PER_MINUTE`] refusals in an organization's one-minute window, its
//! further links are answered 429 without any call to the helpdesk, until the window ends.
//! Successful links are not counted, so linking many customers at once is not slowed down.
//! The hosted Link page has its own limit per client address instead, so that one end user
//! cannot block an organization's other links.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use deskbridge_store::OrgId;

use crate::error::{ApiError, ApiResult};

/// Refused credential checks allowed per organization per minute.
pub const REFUSALS_PER_MINUTE: u32 = 10;

const WINDOW: Duration = Duration::from_secs(60);

/// Refused checks per organization in fixed one-minute windows.
#[derive(Debug, Default)]
pub struct CheckThrottle {
    windows: Mutex<HashMap<OrgId, (Instant, u32)>>,
}

impl CheckThrottle {
    /// A 429 with `Retry-After` when the organization's refusals already reached the limit.
    pub fn check(&self, org: OrgId) -> ApiResult<()> {
        let map = self
            .windows
            .lock()
            .map_err(|_| ApiError::Internal("check throttle poisoned".into()))?;
        match map.get(&org) {
            Some((start, n)) if *n >= REFUSALS_PER_MINUTE && start.elapsed() < WINDOW => {
                let left = WINDOW.saturating_sub(start.elapsed()).as_secs().max(1);
                Err(ApiError::TooManyRequests {
                    detail: format!(
                        "Too many refused credential checks for this organization \
                         ({REFUSALS_PER_MINUTE} a minute); try again in {left} s."
                    ),
                    retry_after: left,
                })
            }
            _ => Ok(()),
        }
    }

    /// Counts one refused check of the organization.
    pub fn refused(&self, org: OrgId) {
        let Ok(mut map) = self.windows.lock() else {
            return;
        };
        let now = Instant::now();
        if map.len() > 100_000 {
            map.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let entry = map.entry(org).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        entry.1 += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_counted_per_organization() {
        let t = CheckThrottle::default();
        let (a, b) = (OrgId::new_v4(), OrgId::new_v4());
        for _ in 0..REFUSALS_PER_MINUTE {
            assert!(t.check(a).is_ok());
            t.refused(a);
        }
        assert!(t.check(a).is_err());
        assert!(t.check(b).is_ok());
    }
}
