//! A per-linked-account request rate toward callers (fixed one-minute windows), reported in
//! `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (epoch seconds).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use deskbridge_store::LinkedAccountId;

use crate::error::ApiError;

/// Limits requests per linked account per minute; 0 turns it off.
#[derive(Debug)]
pub struct Limiter {
    per_minute: u32,
    windows: Mutex<HashMap<LinkedAccountId, (Instant, u32)>>,
}

impl Limiter {
    /// A limiter allowing `per_minute` requests per account (0: unlimited).
    pub fn new(per_minute: u32) -> Self {
        Limiter {
            per_minute,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request and tells where the account's window stands (`None`: no limit).
    pub fn count(&self, key: LinkedAccountId) -> Result<Option<RateStatus>, ApiError> {
        if self.per_minute == 0 {
            return Ok(None);
        }
        let now = Instant::now();
        let window = Duration::from_secs(60);
        let mut map = self
            .windows
            .lock()
            .map_err(|_| ApiError::Internal("limiter poisoned".into()))?;
        if map.len() > 100_000 {
            map.retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        let entry = map.entry(key).or_insert((now, 0));
        if now.duration_since(entry.0) >= window {
            *entry = (now, 0);
        }
        let allowed = entry.1 < self.per_minute;
        if allowed {
            entry.1 += 1;
        }
        Ok(Some(RateStatus {
            limit: self.per_minute,
            remaining: self.per_minute.saturating_sub(entry.1),
            reset_secs: window
                .saturating_sub(now.duration_since(entry.0))
                .as_secs()
                .max(1),
            allowed,
        }))
    }
}

/// Where a linked account's rate window stands after a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateStatus {
    /// Requests allowed per minute.
    pub limit: u32,
    /// Requests left in the current window.
    pub remaining: u32,
    /// Seconds until the window resets.
    pub reset_secs: u64,
    /// False when this request was over the limit.
    pub allowed: bool,
}

impl RateStatus {
    /// The 429 answered when the window is spent.
    pub fn error(&self) -> ApiError {
        ApiError::TooManyRequests {
            detail: format!(
                "Rate limit of {} requests per minute for this linked account reached; retry after {} s.",
                self.limit, self.reset_secs
            ),
            retry_after: self.reset_secs,
        }
    }
}
