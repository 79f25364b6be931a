//! Delivery settings and the retry schedule.

use std::time::Duration;

/// Settings of webhook delivery.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Waits before the 2nd, 3rd, … attempt; after the last one the delivery fails.
    pub schedule: Vec<Duration>,
    /// Each wait is varied by up to ± this share (0.2: ±20 %).
    pub jitter: f64,
    /// Timeout of one attempt.
    pub timeout: Duration,
    /// An endpoint failing for this long without a success is disabled.
    pub disable_after: Duration,
    /// How long an idle worker waits before looking again.
    pub poll: Duration,
    /// How long a claimed delivery stays reserved (longer than `timeout`).
    pub lease: Duration,
    /// Deliveries claimed at once.
    pub batch: i64,
    /// Attempts sent at once.
    pub concurrency: usize,
    /// Hosts (`host` or `host:port`) that may be private or loopback addresses.
    pub allowed_hosts: Vec<String>,
    /// Finished deliveries (with their attempt log) are kept this long.
    pub retention: Duration,
}

/// The default schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (about 28 hours in all).
pub const DEFAULT_SCHEDULE_SECS: &[u64] = &[5, 300, 1800, 7200, 18000, 36000, 36000];

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            schedule: DEFAULT_SCHEDULE_SECS
                .iter()
                .map(|s| Duration::from_secs(*s))
                .collect(),
            jitter: 0.2,
            timeout: Duration::from_secs(15),
            disable_after: Duration::from_secs(5 * 24 * 3600),
            poll: Duration::from_secs(1),
            lease: Duration::from_secs(60),
            batch: 20,
            concurrency: 8,
            allowed_hosts: Vec::new(),
            retention: Duration::from_secs(30 * 24 * 3600),
        }
    }
}

/// Parses a schedule: comma-separated waits in seconds (decimals allowed), e.g. `5,300,1800`.
pub fn parse_schedule(text: &str) -> Result<Vec<Duration>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v >= 0.0)
                .map(Duration::from_secs_f64)
                .ok_or_else(|| format!("`{s}` is not a number of seconds"))
        })
        .collect()
}
