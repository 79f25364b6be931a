//! The per-account rate budget every call spends from.
//!
//! Freshdesk limits calls per account and minute, shared by every app of the customer. The
//! budget reads the `X-RateLimit-*` headers of each answer, keeps a share of the limit free
//! for the customer's other apps, and waits for the window to reset when only that reserve
//! is left. A 429 blocks every caller of the account until its `Retry-After` has passed.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::header::HeaderMap;
use tokio::time::Instant;

/// The length of Freshdesk's rate window.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(60);
/// The share of the limit left free for the customer's other apps.
pub const DEFAULT_RESERVE_SHARE: f64 = 0.2;

/// Counters of a budget, for metrics and sync status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BudgetStats {
    /// HTTP requests sent.
    pub calls: u64,
    /// Credits spent (from `X-RateLimit-Used-CurrentRequest`, else the estimate).
    pub credits: u64,
    /// 429 answers met.
    pub rate_limited: u64,
    /// Retries after a transient failure (5xx, timeouts, resets, invalid JSON).
    pub retries: u64,
}

#[derive(Debug, Default)]
struct State {
    /// `X-RateLimit-Total` last seen.
    total: Option<u64>,
    /// Credits believed left in the current window (server value minus calls in flight).
    remaining: Option<u64>,
    /// When the current window ends (estimated from the first call of the window).
    window_end: Option<Instant>,
    /// True when the window was assumed reset and no answer has confirmed it yet.
    fresh: bool,
    /// A 429's `Retry-After`: nobody calls before this.
    blocked_until: Option<Instant>,
}

/// The rate budget of one linked account, shared (`Arc`) by every task calling it.
#[derive(Debug)]
pub struct RateBudget {
    window: Duration,
    reserve_share_bits: AtomicU64,
    state: Mutex<State>,
    calls: AtomicU64,
    credits: AtomicU64,
    rate_limited: AtomicU64,
    retries: AtomicU64,
    waiting: AtomicU64,
}

impl Default for RateBudget {
    fn default() -> Self {
        Self::new()
    }
}

impl RateBudget {
    /// A budget with Freshdesk's one-minute window and a 20 % reserve.
    pub fn new() -> Self {
        Self::with_window(DEFAULT_WINDOW)
    }

    /// A budget with another window length (tests use short windows).
    pub fn with_window(window: Duration) -> Self {
        RateBudget {
            window,
            reserve_share_bits: AtomicU64::new(DEFAULT_RESERVE_SHARE.to_bits()),
            state: Mutex::new(State::default()),
            calls: AtomicU64::new(0),
            credits: AtomicU64::new(0),
            rate_limited: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            waiting: AtomicU64::new(0),
        }
    }

    /// Sets the share of `X-RateLimit-Total` kept free (clamped to 0..=0.9).
    pub fn set_reserve_share(&self, share: f64) {
        let share = if share.is_finite() {
            share.clamp(0.0, 0.9)
        } else {
            DEFAULT_RESERVE_SHARE
        };
        self.reserve_share_bits
            .store(share.to_bits(), Ordering::Relaxed);
    }

    /// The share of the limit kept free.
    pub fn reserve_share(&self) -> f64 {
        f64::from_bits(self.reserve_share_bits.load(Ordering::Relaxed))
    }

    /// The window length.
    pub fn window(&self) -> Duration {
        self.window
    }

    /// The last `X-RateLimit-Total` seen, if any.
    pub fn total(&self) -> Option<u64> {
        self.lock().total
    }

    /// The credits believed left in the current window, if known.
    pub fn remaining(&self) -> Option<u64> {
        self.lock().remaining
    }

    /// The counters.
    pub fn stats(&self) -> BudgetStats {
        BudgetStats {
            calls: self.calls(),
            credits: self.credits_spent(),
            rate_limited: self.rate_limited_count(),
            retries: self.retries(),
        }
    }

    /// HTTP requests sent.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// Credits spent.
    pub fn credits_spent(&self) -> u64 {
        self.credits.load(Ordering::Relaxed)
    }

    /// 429 answers met.
    pub fn rate_limited_count(&self) -> u64 {
        self.rate_limited.load(Ordering::Relaxed)
    }

    /// Retries made after transient failures.
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// Takes `credits` now if the budget allows it, else says how long to wait. For callers
    /// that must fail fast (passthrough).
    pub fn try_acquire_now(&self, credits: u32) -> Result<(), Duration> {
        self.check(credits, Instant::now())
    }

    /// Waits until `credits` may be spent, then takes them. For the sync.
    pub async fn acquire(&self, credits: u32) {
        loop {
            match self.check(credits, Instant::now()) {
                Ok(()) => return,
                Err(wait) => self.wait(wait).await,
            }
        }
    }

    /// Sleeps for `d` while counted as waiting on the rate limit (see [`RateBudget::is_waiting`]).
    pub async fn wait(&self, d: Duration) {
        self.waiting.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(d).await;
        self.waiting.fetch_sub(1, Ordering::Relaxed);
    }

    /// True while some caller waits for the rate budget (the sync shows `RATE_LIMITED`).
    pub fn is_waiting(&self) -> bool {
        self.waiting.load(Ordering::Relaxed) > 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A poisoned budget only holds counters: keep using it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn roll(&self, st: &mut State, now: Instant) {
        if st.window_end.is_some_and(|end| now >= end) {
            st.window_end = None;
            st.remaining = st.total;
            st.fresh = true;
        }
    }

    fn check(&self, credits: u32, now: Instant) -> Result<(), Duration> {
        let credits = u64::from(credits.max(1));
        let mut st = self.lock();
        self.roll(&mut st, now);
        if let Some(until) = st.blocked_until {
            if until > now {
                return Err(until - now);
            }
            st.blocked_until = None;
        }
        if st.window_end.is_none() {
            // This call opens a window on the server's side too.
            st.window_end = Some(now + self.window);
        }
        if let (Some(total), Some(rem)) = (st.total, st.remaining) {
            let reserve = (total as f64 * self.reserve_share()).ceil() as u64;
            // Never demand more than the whole limit (a call dearer than total − reserve).
            let reserve = reserve.min(total.saturating_sub(credits));
            if rem < reserve + credits {
                let wait = st
                    .window_end
                    .map(|end| end.saturating_duration_since(now))
                    .unwrap_or(self.window);
                return Err(wait.max(Duration::from_millis(10)));
            }
            st.remaining = Some(rem - credits);
        }
        Ok(())
    }

    /// Counts one HTTP request sent.
    pub(crate) fn note_call(&self) {
        self.calls.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one retry.
    pub(crate) fn note_retry(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }

    /// Reads the rate headers of a non-429 answer. Credits come from
    /// `X-RateLimit-Used-CurrentRequest`; without it they are estimated, except for 5xx
    /// answers (edge errors carry no rate headers and are not known to be charged).
    pub(crate) fn record_response(&self, status: u16, headers: &HeaderMap, estimated_credits: u32) {
        let estimate = if status >= 500 {
            0
        } else {
            u64::from(estimated_credits)
        };
        let used = header_u64(headers, "x-ratelimit-used-currentrequest").unwrap_or(estimate);
        self.credits.fetch_add(used, Ordering::Relaxed);
        let total = header_u64(headers, "x-ratelimit-total");
        let remaining = header_u64(headers, "x-ratelimit-remaining");
        let now = Instant::now();
        let mut st = self.lock();
        self.roll(&mut st, now);
        if let Some(t) = total {
            st.total = Some(t);
        }
        if let Some(r) = remaining {
            st.remaining = Some(match st.remaining {
                Some(local) if !st.fresh => local.min(r),
                _ => r,
            });
            st.fresh = false;
            if st.window_end.is_none() {
                st.window_end = Some(now + self.window);
            }
        }
    }

    /// Records a 429: nobody calls until `retry_after` has passed.
    pub(crate) fn record_429(&self, retry_after: Duration) {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
        let now = Instant::now();
        let mut st = self.lock();
        let until = now + retry_after;
        st.blocked_until = Some(st.blocked_until.map_or(until, |u| u.max(until)));
        st.remaining = Some(0);
        st.fresh = false;
        st.window_end = Some(until);
    }

    /// The wait to use after a 429 without `Retry-After`: the rest of the window.
    pub(crate) fn default_retry_after(&self) -> Duration {
        let now = Instant::now();
        let st = self.lock();
        st.window_end
            .map(|end| end.saturating_duration_since(now))
            .filter(|d| !d.is_zero())
            .unwrap_or(self.window)
    }
}

/// Reads an integer header, case-insensitively (HeaderMap names are lower-case).
pub(crate) fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.trim().parse::<u64>().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderName, HeaderValue};

    fn headers(total: u64, remaining: u64) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            HeaderName::from_static("x-ratelimit-total"),
            HeaderValue::from_str(&total.to_string()).expect("header"),
        );
        h.insert(
            HeaderName::from_static("x-ratelimit-remaining"),
            HeaderValue::from_str(&remaining.to_string()).expect("header"),
        );
        h
    }

    #[tokio::test]
    async fn reserve_blocks_until_window_end() {
        let b = RateBudget::with_window(Duration::from_millis(200));
        assert!(b.try_acquire_now(1).is_ok());
        b.record_response(200, &headers(100, 21), 1);
        assert!(
            b.try_acquire_now(1).is_ok(),
            "21 left, reserve 20: one more call fits"
        );
        let wait = b.try_acquire_now(1).expect_err("only the reserve is left");
        assert!(wait <= Duration::from_millis(200));
        tokio::time::sleep(wait).await;
        assert!(b.try_acquire_now(1).is_ok(), "the window reset");
    }

    #[tokio::test]
    async fn retry_after_blocks_everyone() {
        let b = RateBudget::with_window(Duration::from_secs(60));
        b.record_429(Duration::from_millis(50));
        assert!(b.try_acquire_now(1).is_err());
        assert_eq!(b.rate_limited_count(), 1);
        tokio::time::sleep(Duration::from_millis(60)).await;
        // The window ended with the Retry-After; the limit is assumed restored.
        assert!(b.try_acquire_now(1).is_ok());
    }

    #[test]
    fn a_call_dearer_than_the_limit_is_not_starved() {
        let b = RateBudget::with_window(Duration::from_secs(60));
        b.record_response(200, &headers(5, 5), 1);
        assert!(b.try_acquire_now(5).is_ok());
    }
}
