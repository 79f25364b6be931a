//! A per-linked-account request rate toward callers (fixed one-minute windows).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::error::ApiError;

/// Limits requests per linked account per minute; 0 turns it off.
#[derive(Debug)]
pub struct Limiter {
    per_minute: u32,
    windows: Mutex<HashMap<Uuid, (Instant, u32)>>,
}

impl Limiter {
    /// A limiter allowing `per_minute` requests per account (0: unlimited).
    pub fn new(per_minute: u32) -> Self {
        Limiter { per_minute, windows: Mutex::new(HashMap::new()) }
    }

    /// Counts one request; a 429 with `Retry-After` when the window is spent.
    pub fn check(&self, key: Uuid) -> Result<(), ApiError> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let now = Instant::now();
        let window = Duration::from_secs(60);
        let mut map = self.windows.lock().map_err(|_| ApiError::Internal("limiter poisoned".into()))?;
        if map.len() > 100_000 {
            map.retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        let entry = map.entry(key).or_insert((now, 0));
        if now.duration_since(entry.0) >= window {
            *entry = (now, 0);
        }
        if entry.1 >= self.per_minute {
            let left = window.saturating_sub(now.duration_since(entry.0)).as_secs().max(1);
            return Err(ApiError::TooManyRequests {
                detail: format!(
                    "Rate limit of {} requests per minute for this linked account reached; retry after {left} s.",
                    self.per_minute
                ),
                retry_after: left,
            });
        }
        entry.1 += 1;
        Ok(())
    }
}
