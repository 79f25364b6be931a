//! The per-account rate budget every call spends from.
//!
//! Zendesk limits requests per account and minute by plan (200 to 2500), shared by every app
//! of the customer, and puts some endpoints in buckets of their own on top: above all the
//! incremental exports, 10 per minute (30 with High Volume), which announce no header. The
//! budget therefore keeps lanes:
//!
//! * the **account** lane reads `X-Rate-Limit`/`X-Rate-Limit-Remaining` (and the 2023/2024
//!   `rate-limit-*`/`ratelimit-*` spellings, whose `reset` dates the window) and keeps a
//!   share of the limit free for the customer's other apps (20 % by default);
//! * the **incremental** lane counts its own calls against the configured limit per window,
//!   with the same reserve (8 of 10 by default), because Zendesk sends no header for it;
//! * **endpoint** lanes (`Zendesk-RateLimit-{bucket}: total=…; remaining=…; resets=…`, both
//!   spellings, any case) are learnt from the headers and respected with the same reserve.
//!
//! A 429 blocks the lane it came from (the incremental body blocks only the incremental
//! lane) until its `Retry-After` has passed.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::header::HeaderMap;
use tokio::time::Instant;

/// The length of Zendesk's rate windows.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(60);
/// The share of every limit left free for the customer's other apps.
pub const DEFAULT_RESERVE_SHARE: f64 = 0.2;
/// Incremental export requests per minute (reference §2.2; 30 with High Volume).
pub const DEFAULT_INCREMENTAL_LIMIT: u64 = 10;

/// Which limit a call spends from (besides the account limit, which every call spends).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Lane {
    /// Only the account limit.
    Account,
    /// `/api/v2/incremental/*`: the account limit and the incremental limit.
    Incremental,
    /// An endpoint bucket named as in its header (`tickets-update`, …) and the account limit.
    Endpoint(&'static str),
}

/// Counters of a budget, for metrics and sync status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BudgetStats {
    /// HTTP requests sent.
    pub calls: u64,
    /// Incremental export requests sent.
    pub incremental_calls: u64,
    /// 429 answers met.
    pub rate_limited: u64,
    /// Retries after a transient failure.
    pub retries: u64,
}

#[derive(Debug, Default, Clone)]
struct Bucket {
    total: Option<u64>,
    remaining: Option<u64>,
    window_end: Option<Instant>,
    /// When our first call of the current window was sent: Zendesk's window starts when that
    /// call arrives, so `started + window` dates its end more finely than the whole-second
    /// `reset` header (see `observe`).
    started: Option<Instant>,
    /// The window was assumed reset and no answer confirmed it yet.
    fresh: bool,
    blocked_until: Option<Instant>,
}

impl Bucket {
    fn roll(&mut self, now: Instant) {
        if self.window_end.is_some_and(|end| now >= end) {
            self.window_end = None;
            self.started = None;
            self.remaining = self.total;
            self.fresh = true;
        }
    }

    /// How long to wait before `1` more call fits, keeping `reserve_share` free.
    fn wait(&mut self, now: Instant, reserve_share: f64, window: Duration) -> Option<Duration> {
        self.roll(now);
        if let Some(until) = self.blocked_until {
            if until > now {
                return Some(until - now);
            }
            self.blocked_until = None;
        }
        if let (Some(total), Some(rem)) = (self.total, self.remaining) {
            let reserve =
                ((total as f64 * reserve_share).ceil() as u64).min(total.saturating_sub(1));
            if rem < reserve + 1 {
                let wait = self
                    .window_end
                    .map(|end| end.saturating_duration_since(now))
                    .unwrap_or(window);
                return Some(wait.max(Duration::from_millis(10)));
            }
        }
        None
    }

    fn take(&mut self, now: Instant, window: Duration) {
        if self.window_end.is_none() {
            self.window_end = Some(now + window);
            self.started = Some(now);
        }
        if let Some(rem) = self.remaining {
            self.remaining = Some(rem.saturating_sub(1));
        }
    }

    /// Reads one answer's headers. `window` is the bucket's window length when we know it (the
    /// account lane), for dating the window's end finer than `reset` does.
    fn observe(
        &mut self,
        total: Option<u64>,
        remaining: Option<u64>,
        reset: Option<u64>,
        window: Option<Duration>,
    ) {
        let now = Instant::now();
        self.roll(now);
        if let Some(t) = total {
            self.total = Some(t);
        }
        if let Some(r) = remaining {
            self.remaining = Some(match self.remaining {
                Some(local) if !self.fresh => local.min(r),
                _ => r,
            });
            self.fresh = false;
        }
        if let Some(secs) = reset {
            // `reset` is whole seconds rounded up: the window ends within the second before
            // `coarse`. Waiting for `coarse` wastes half a second per exhausted window on
            // average (a scaled window of 2 s loses a quarter of its calls). When our own
            // count dates the end inside that second, trust it, a little late (the first
            // call's trip to Zendesk); when it does not, our window and Zendesk's are out of
            // step and the header wins.
            let coarse = now + Duration::from_secs(secs.max(1));
            let fine = match (self.started, window) {
                (Some(start), Some(w)) => {
                    let end = start + w + (w / 50).min(Duration::from_millis(250));
                    (end <= coarse && end + Duration::from_secs(1) >= coarse).then_some(end)
                }
                _ => None,
            };
            self.window_end = Some(fine.unwrap_or(coarse));
        }
    }

    fn block(&mut self, retry_after: Duration) {
        let until = Instant::now() + retry_after;
        self.blocked_until = Some(self.blocked_until.map_or(until, |u| u.max(until)));
        self.remaining = Some(0);
        self.fresh = false;
        self.window_end = Some(until);
    }
}

#[derive(Debug, Default)]
struct State {
    account: Bucket,
    incremental: Bucket,
    endpoints: HashMap<String, Bucket>,
}

/// The rate budget of one linked account, shared (`Arc`) by every task calling it.
#[derive(Debug)]
pub struct RateBudget {
    window: Duration,
    reserve_share_bits: AtomicU64,
    state: Mutex<State>,
    calls: AtomicU64,
    incremental_calls: AtomicU64,
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
    /// A budget with Zendesk's one-minute window, a 20 % reserve and 10 incremental calls.
    pub fn new() -> Self {
        Self::with_window(DEFAULT_WINDOW)
    }

    /// A budget with another window length (a time-scaled simulator uses short windows).
    pub fn with_window(window: Duration) -> Self {
        let state = State {
            incremental: Bucket {
                total: Some(DEFAULT_INCREMENTAL_LIMIT),
                remaining: Some(DEFAULT_INCREMENTAL_LIMIT),
                ..Bucket::default()
            },
            ..State::default()
        };
        RateBudget {
            window,
            reserve_share_bits: AtomicU64::new(DEFAULT_RESERVE_SHARE.to_bits()),
            state: Mutex::new(state),
            calls: AtomicU64::new(0),
            incremental_calls: AtomicU64::new(0),
            rate_limited: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            waiting: AtomicU64::new(0),
        }
    }

    /// Sets the incremental export limit per window (10; 30 with High Volume). Calls already
    /// counted in the current window stay counted (adapters built again for the same account
    /// share the budget and must not refill it).
    pub fn set_incremental_limit(&self, per_window: u64) {
        let total = per_window.max(1);
        let mut st = self.lock();
        let used = match (st.incremental.total, st.incremental.remaining) {
            (Some(t), Some(r)) if st.incremental.window_end.is_some() => t.saturating_sub(r),
            _ => 0,
        };
        st.incremental.total = Some(total);
        st.incremental.remaining = Some(total.saturating_sub(used));
    }

    /// Sets the share of every limit kept free (clamped to 0..=0.9).
    pub fn set_reserve_share(&self, share: f64) {
        let share = if share.is_finite() {
            share.clamp(0.0, 0.9)
        } else {
            DEFAULT_RESERVE_SHARE
        };
        self.reserve_share_bits
            .store(share.to_bits(), Ordering::Relaxed);
    }

    /// The share of the limits kept free.
    pub fn reserve_share(&self) -> f64 {
        f64::from_bits(self.reserve_share_bits.load(Ordering::Relaxed))
    }

    /// The window length.
    pub fn window(&self) -> Duration {
        self.window
    }

    /// The account limit last seen (`X-Rate-Limit`), if any.
    pub fn total(&self) -> Option<u64> {
        self.lock().account.total
    }

    /// The account calls believed left in the current window, if known.
    pub fn remaining(&self) -> Option<u64> {
        self.lock().account.remaining
    }

    /// `(total, remaining)` of an endpoint bucket learnt from `Zendesk-RateLimit-{name}`.
    pub fn endpoint(&self, name: &str) -> Option<(Option<u64>, Option<u64>)> {
        self.lock()
            .endpoints
            .get(name)
            .map(|b| (b.total, b.remaining))
    }

    /// The counters.
    pub fn stats(&self) -> BudgetStats {
        BudgetStats {
            calls: self.calls.load(Ordering::Relaxed),
            incremental_calls: self.incremental_calls.load(Ordering::Relaxed),
            rate_limited: self.rate_limited.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
        }
    }

    /// True while some caller waits for the rate budget (the sync shows `RATE_LIMITED`).
    pub fn is_waiting(&self) -> bool {
        self.waiting.load(Ordering::Relaxed) > 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A poisoned budget only holds counters: keep using it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes one call of `lane` now if every limit it spends allows it, else says how long
    /// to wait. Nothing is taken when a wait is returned.
    pub fn try_acquire_now(&self, lane: &Lane) -> Result<(), Duration> {
        let now = Instant::now();
        let share = self.reserve_share();
        let window = self.window;
        let mut st = self.lock();
        let mut wait = st.account.wait(now, share, window);
        match lane {
            Lane::Account => {}
            Lane::Incremental => {
                wait = wait.max(st.incremental.wait(now, share, window));
            }
            Lane::Endpoint(name) => {
                if let Some(b) = st.endpoints.get_mut(*name) {
                    wait = wait.max(b.wait(now, share, window));
                }
            }
        }
        if let Some(w) = wait {
            return Err(w);
        }
        st.account.take(now, window);
        match lane {
            Lane::Account => {}
            // Zendesk's window starts when our first call arrives, a little after we count it:
            // our own incremental window is 2 % longer so that it never ends before Zendesk's.
            Lane::Incremental => st.incremental.take(now, window + window / 50),
            Lane::Endpoint(name) => {
                if let Some(b) = st.endpoints.get_mut(*name) {
                    b.take(now, window);
                }
            }
        }
        Ok(())
    }

    /// Waits until a call of `lane` may be made, then takes it. For the sync.
    pub async fn acquire(&self, lane: &Lane) {
        loop {
            match self.try_acquire_now(lane) {
                Ok(()) => return,
                Err(wait) => self.wait(wait).await,
            }
        }
    }

    /// Sleeps for `d` while counted as waiting on the rate limit.
    pub async fn wait(&self, d: Duration) {
        self.waiting.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(d).await;
        self.waiting.fetch_sub(1, Ordering::Relaxed);
    }

    pub(crate) fn note_call(&self, lane: &Lane) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        if *lane == Lane::Incremental {
            self.incremental_calls.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn note_retry(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }

    /// Reads the rate headers of an answer (any status; 5xx edge pages carry none).
    pub fn record_response(&self, headers: &HeaderMap) {
        let total = first_u64(headers, &["x-rate-limit", "ratelimit-limit", "rate-limit"]);
        let remaining = first_u64(
            headers,
            &[
                "x-rate-limit-remaining",
                "ratelimit-remaining",
                "rate-limit-remaining",
            ],
        );
        let reset = first_u64(headers, &["ratelimit-reset", "rate-limit-reset"]);
        let mut st = self.lock();
        if total.is_some() || remaining.is_some() {
            st.account
                .observe(total, remaining, reset, Some(self.window));
        }
        for (name, value) in headers {
            let n = name.as_str();
            let bucket = n
                .strip_prefix("zendesk-ratelimit-")
                .or_else(|| n.strip_prefix("zendesk-rate-limit-"));
            let (Some(bucket), Ok(v)) = (bucket, value.to_str()) else {
                continue;
            };
            let (t, r, s) = parse_bucket(v);
            st.endpoints
                .entry(bucket.to_string())
                .or_default()
                .observe(t, r, s, None);
        }
    }

    /// Records a 429 of `lane`: that lane is blocked until `retry_after` has passed.
    pub(crate) fn record_429(&self, lane: &Lane, retry_after: Duration) {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
        let mut st = self.lock();
        match lane {
            Lane::Incremental => st.incremental.block(retry_after),
            Lane::Endpoint(name) => st
                .endpoints
                .entry((*name).to_string())
                .or_default()
                .block(retry_after),
            Lane::Account => st.account.block(retry_after),
        }
    }

    /// The wait after a 429 without `Retry-After`: the rest of the window.
    pub(crate) fn default_retry_after(&self) -> Duration {
        let now = Instant::now();
        let st = self.lock();
        st.account
            .window_end
            .map(|end| end.saturating_duration_since(now))
            .filter(|d| !d.is_zero())
            .unwrap_or(self.window)
    }
}

/// Parses `total=100; remaining=99; resets=59`.
pub(crate) fn parse_bucket(v: &str) -> (Option<u64>, Option<u64>, Option<u64>) {
    let mut out = (None, None, None);
    for part in v.split([';', ',']) {
        let Some((k, val)) = part.split_once('=') else {
            continue;
        };
        let n = val.trim().parse::<u64>().ok();
        match k.trim().to_ascii_lowercase().as_str() {
            "total" => out.0 = n,
            "remaining" => out.1 = n,
            "resets" => out.2 = n,
            _ => {}
        }
    }
    out
}

fn first_u64(headers: &HeaderMap, names: &[&str]) -> Option<u64> {
    names.iter().find_map(|n| {
        headers
            .get(*n)
            .and_then(|v| v.to_str().ok())
            .and_then(|s| s.trim().parse::<u64>().ok())
    })
}

#[cfg(test)]
#[path = "budget_tests.rs"]
mod tests;
