//! Outbound webhook delivery (reference §6.3–§6.5): what a trigger's `notification_webhook`
//! action sends, on a background task with a real HTTP client, so that an API answer never
//! waits for a receiver. Tests and the benchmark steer it through `/_sim/push`: a delay before
//! the first attempt and a seeded share of pushes silently lost (Zendesk gives no delivery
//! guarantee, and the receiver must survive both).
//!
//! Retries follow what Zendesk documents for webhooks (the exact thresholds are not recorded,
//! reference §6.5 **(U)**): a 409 is retried up to 3 times, a 429 or 503 carrying a
//! `Retry-After` of at most 60 s is retried after that delay (up to 3 times); other failures and
//! timeouts (12 s) are not retried.

use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use base64::Engine;
use hmac::{Hmac, Mac};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::time::{fmt, now_secs};

/// How pushes leave the simulator; changed at run time through `/_sim/push`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PushSettings {
    /// Wait before the first attempt of every push, in milliseconds.
    pub delay_ms: u64,
    /// Share of pushes silently dropped (0.0–1.0), drawn from a generator seeded by `seed`.
    pub loss_rate: f64,
    /// Seed of the loss draws; setting the settings restarts the sequence.
    pub seed: u64,
    /// Wait before a 409 retry, in milliseconds (Zendesk's is not documented).
    pub retry_delay_ms: u64,
}

impl Default for PushSettings {
    fn default() -> Self {
        Self {
            delay_ms: 0,
            loss_rate: 0.0,
            seed: 1,
            retry_delay_ms: 1000,
        }
    }
}

/// What happened to pushes so far (all accounts of the simulator).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PushCounters {
    /// Pushes a trigger produced (dropped ones included).
    pub fired: u64,
    /// Pushes lost on purpose (`loss_rate`): never sent.
    pub dropped: u64,
    /// Pushes the receiver answered with a 2xx.
    pub delivered: u64,
    /// Pushes given up after their last attempt failed.
    pub failed: u64,
    /// HTTP attempts made (retries included).
    pub attempts: u64,
    /// Pushes waiting for their delay or an attempt.
    pub pending: u64,
}

/// One webhook request to make.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// Endpoint URL.
    pub url: String,
    /// HTTP method (`POST`, `PUT`, …).
    pub method: String,
    /// Headers other than the signature pair.
    pub headers: Vec<(String, String)>,
    /// Raw body (empty for GET/DELETE).
    pub body: String,
    /// Signing secret: the signature and its timestamp are computed at each attempt.
    pub secret: String,
}

/// Locks ignoring poisoning. Local rather than `crate::sim::lock`, so that the account store,
/// which holds the hub, does not depend on the simulator layer above it.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Debug)]
struct State {
    settings: PushSettings,
    rng: StdRng,
    counters: PushCounters,
}

/// The simulator-wide delivery engine, shared by every account.
#[derive(Debug)]
pub struct PushHub {
    state: Mutex<State>,
    client: OnceLock<Option<reqwest::Client>>,
}

impl Default for PushHub {
    fn default() -> Self {
        let settings = PushSettings::default();
        Self {
            state: Mutex::new(State {
                rng: StdRng::seed_from_u64(settings.seed),
                settings,
                counters: PushCounters::default(),
            }),
            client: OnceLock::new(),
        }
    }
}

/// `base64(HMAC-SHA256(secret, timestamp + body))` (reference §6.4).
pub fn signature(secret: &str, timestamp: &str, body: &str) -> String {
    // HMAC takes keys of any length: the error branch cannot happen.
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(timestamp.as_bytes());
    mac.update(body.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

impl PushHub {
    /// The current settings.
    pub fn settings(&self) -> PushSettings {
        lock(&self.state).settings
    }

    /// Replaces the settings and restarts the loss sequence from `seed`.
    pub fn set_settings(&self, s: PushSettings) {
        let mut st = lock(&self.state);
        st.settings = PushSettings {
            loss_rate: s.loss_rate.clamp(0.0, 1.0),
            ..s
        };
        st.rng = StdRng::seed_from_u64(s.seed);
    }

    /// The counters.
    pub fn counters(&self) -> PushCounters {
        lock(&self.state).counters
    }

    /// Zeroes the counters (pending pushes keep counting down from zero).
    pub fn reset_counters(&self) {
        let mut st = lock(&self.state);
        let pending = st.counters.pending;
        st.counters = PushCounters {
            pending,
            ..PushCounters::default()
        };
    }

    /// The HTTP client, built once; `None` if it cannot be built (every push then fails).
    /// Installs rustls' ring provider first, as the workspace's clients do, so that `https`
    /// endpoints work too.
    fn client(&self) -> Option<reqwest::Client> {
        self.client
            .get_or_init(|| {
                let _already_installed = rustls::crypto::ring::default_provider().install_default();
                reqwest::Client::builder()
                    .timeout(Duration::from_secs(12))
                    .redirect(reqwest::redirect::Policy::none())
                    .user_agent("Zendesk Webhook")
                    .build()
                    .ok()
            })
            .clone()
    }

    /// Queues one push: drawn for loss now (so the sequence follows trigger order), then sent
    /// on a background task. Outside a tokio runtime nothing can be sent: it counts as failed.
    pub fn send(self: &Arc<Self>, out: Outgoing) {
        let delay = {
            let mut st = lock(&self.state);
            st.counters.fired += 1;
            let loss = st.settings.loss_rate;
            if loss > 0.0 && st.rng.gen_range(0.0..1.0) < loss {
                st.counters.dropped += 1;
                return;
            }
            st.counters.pending += 1;
            st.settings.delay_ms
        };
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            let mut st = lock(&self.state);
            st.counters.pending -= 1;
            st.counters.failed += 1;
            return;
        };
        let hub = self.clone();
        rt.spawn(async move {
            if delay > 0 {
                tokio::time::sleep(Duration::from_millis(delay)).await;
            }
            let ok = hub.deliver(&out).await;
            let mut st = lock(&hub.state);
            st.counters.pending -= 1;
            if ok {
                st.counters.delivered += 1;
            } else {
                st.counters.failed += 1;
            }
        });
    }

    async fn deliver(&self, out: &Outgoing) -> bool {
        let Some(client) = self.client() else {
            return false;
        };
        let method =
            reqwest::Method::from_bytes(out.method.as_bytes()).unwrap_or(reqwest::Method::POST);
        let mut retries = 0;
        loop {
            lock(&self.state).counters.attempts += 1;
            let ts = fmt(now_secs());
            let mut rb = client
                .request(method.clone(), &out.url)
                .header("x-zendesk-webhook-signature-timestamp", &ts)
                .header(
                    "x-zendesk-webhook-signature",
                    signature(&out.secret, &ts, &out.body),
                );
            for (k, v) in &out.headers {
                rb = rb.header(k, v);
            }
            if !out.body.is_empty() {
                rb = rb
                    .header("content-type", "application/json")
                    .body(out.body.clone());
            }
            let wait = match rb.send().await {
                Ok(r) if r.status().is_success() => return true,
                Ok(r) => retry_wait(&r, self.settings().retry_delay_ms),
                Err(_) => None,
            };
            match wait {
                Some(w) if retries < 3 => {
                    retries += 1;
                    tokio::time::sleep(w).await;
                }
                _ => return false,
            }
        }
    }
}

/// Zendesk retries a 409, and a 429/503 whose `Retry-After` is at most 60 seconds.
fn retry_wait(r: &reqwest::Response, conflict_ms: u64) -> Option<Duration> {
    match r.status().as_u16() {
        409 => Some(Duration::from_millis(conflict_ms)),
        429 | 503 => r
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|s| *s <= 60)
            .map(Duration::from_secs),
        _ => None,
    }
}
