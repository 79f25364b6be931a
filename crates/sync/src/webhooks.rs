//! Outbound webhooks to the product, in Merge's format, from a durable outbox in Postgres.
//!
//! * Events are queued in `webhook_events` in the same transaction as the change that caused
//!   them (linked-account events come from a database trigger; sync events from
//!   [`sync_completed`]), then fanned out into one delivery per subscribed endpoint.
//! * [`WebhookWorker`] claims due deliveries with a lease (any number of processes), POSTs
//!   them signed twice — Merge's `X-Merge-Webhook-Signature` and the Standard Webhooks
//!   headers — and logs every attempt. A failed attempt is retried on a jittered schedule;
//!   when the schedule is exhausted the delivery fails; an endpoint failing without a success
//!   for [`WebhookSettings::disable_after`] is disabled. Each event reaches each endpoint at
//!   least once (a crash between sending and recording sends it again, same `webhook-id`).
//! * Receivers on private, loopback or otherwise non-public addresses are refused (checked on
//!   the URL and again on every DNS answer) unless their host is explicitly allowed.
//!
//! Payloads carry ids, counts and identifying fields, never credentials or account tokens.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use chrono::{SecondsFormat, Utc};
use deskbridge_model::ModelKind;
use deskbridge_store::accounts::LinkedAccount;
use deskbridge_store::sync_state::SyncRun;
use deskbridge_store::webhooks::{AfterFailure, AttemptResult, DueDelivery, PendingEvent};
use deskbridge_store::{Store, StoreError};
use hmac::{Hmac, Mac};
use rand::Rng;
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::sync::watch;
use tracing::{debug, info, warn};
use url::{Host, Url};
use uuid::Uuid;

use crate::engine::Counts;

/// Linked-account events (Merge's names).
pub const LINKED_ACCOUNT_EVENTS: &[&str] = &[
    "LinkedAccount.linked",
    "LinkedAccount.sync_completed",
    "LinkedAccount.deleted",
    "LinkedAccount.relink_needed",
    "LinkedAccount.helpdesk_changed",
];

/// Every event name an endpoint may subscribe to: the linked-account events and
/// `{Model}.synced` for every common model.
pub fn event_names() -> Vec<String> {
    let mut out: Vec<String> = LINKED_ACCOUNT_EVENTS
        .iter()
        .map(|s| s.to_string())
        .collect();
    out.extend(
        ModelKind::ALL
            .iter()
            .map(|k| format!("{}.synced", k.name())),
    );
    out
}

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

/// A new signing secret: `whsec_` and the base64 of 24 random bytes (the Standard Webhooks
/// form; Merge-style handlers use the whole string as their HMAC key).
pub fn new_secret() -> String {
    let mut bytes = [0u8; 24];
    rand::thread_rng().fill(&mut bytes);
    format!("whsec_{}", STANDARD.encode(bytes))
}

fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return Vec::new(),
    };
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().to_vec()
}

/// Merge's `X-Merge-Webhook-Signature`: base64url (padded) of HMAC-SHA256 of the raw body,
/// keyed with the secret's UTF-8 bytes.
pub fn merge_signature(secret: &str, body: &[u8]) -> String {
    URL_SAFE.encode(hmac_sha256(secret.as_bytes(), &[body]))
}

/// The Standard Webhooks `webhook-signature`: `v1,` and the base64 of HMAC-SHA256 of
/// `{id}.{timestamp}.{body}`, keyed with the base64-decoded part after `whsec_`.
pub fn standard_signature(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> String {
    let key = secret
        .strip_prefix("whsec_")
        .and_then(|k| STANDARD.decode(k).ok())
        .unwrap_or_else(|| secret.as_bytes().to_vec());
    let ts = timestamp.to_string();
    let mac = hmac_sha256(&key, &[id.as_bytes(), b".", ts.as_bytes(), b".", body]);
    format!("v1,{}", STANDARD.encode(mac))
}

mod receivers;
pub(crate) use receivers::SafeResolver;
pub use receivers::{
    check_receiver_url, check_receiver_url_resolved, is_public_ip, webhook_client,
};

/// Merge's `linked_account` object of a payload (identifying fields only).
pub fn linked_account_json(la: &LinkedAccount) -> Value {
    let mut name = la.integration.clone();
    if let Some(first) = name.get(0..1) {
        name = format!("{}{}", first.to_ascii_uppercase(), &la.integration[1..]);
    }
    json!({
        "id": la.id,
        "integration": name,
        "integration_slug": la.integration,
        "category": "ticketing",
        "end_user_origin_id": la.end_user_origin_id,
        "end_user_organization_name": la.end_user_organization_name,
        "end_user_email_address": la.end_user_email_address,
        "status": la.status,
        "webhook_listener_url": "",
        "is_duplicate": false,
    })
}

fn ts(t: chrono::DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Queues `LinkedAccount.sync_completed` for a finished run, and `{Model}.synced` for every
/// model the run created, updated or deleted records of (every model on the initial sync),
/// each with the counts and a `modified_after` bookmark (the run's start: pass it as
/// `modified_after` to read exactly what changed since). Failures are logged, not returned:
/// a sync never fails because of its webhooks.
pub async fn sync_completed(
    store: &Store,
    account: &LinkedAccount,
    run: &SyncRun,
    counts: &Counts,
) {
    if let Err(e) = queue_sync_events(store, account, run, counts).await {
        warn!(error = %e, linked_account = %account.id, "cannot queue sync webhooks");
    }
}

async fn queue_sync_events(
    store: &Store,
    account: &LinkedAccount,
    run: &SyncRun,
    counts: &Counts,
) -> Result<(), StoreError> {
    let la = linked_account_json(account);
    let bookmark = ts(run.started_at);
    let finished = ts(Utc::now());
    let models: serde_json::Map<String, Value> = counts
        .iter()
        .map(|(k, c)| {
            (
                k.name().to_string(),
                json!({"created": c.created, "updated": c.updated, "deleted": c.deleted}),
            )
        })
        .collect();
    let data = json!({
        "sync_run_id": run.id,
        "status": "DONE",
        "is_initial_sync": run.is_initial,
        "started_at": bookmark,
        "finished_at": finished,
        "modified_after": bookmark,
        "models": models,
    });
    let queued = store
        .enqueue_webhook_event(
            account.organization_id,
            "LinkedAccount.sync_completed",
            Some(account.id),
            &la,
            &data,
        )
        .await?;
    if !queued {
        return Ok(()); // nobody listens
    }
    for (kind, c) in counts {
        if c.created + c.updated + c.deleted == 0 && !run.is_initial {
            continue;
        }
        let data = json!({
            "model_name": kind.name(),
            "model_id": kind.model_id(),
            "sync_run_id": run.id,
            "is_initial_sync": run.is_initial,
            "created": c.created,
            "updated": c.updated,
            "deleted": c.deleted,
            "modified_after": bookmark,
        });
        let event = format!("{}.synced", kind.name());
        store
            .enqueue_webhook_event(
                account.organization_id,
                &event,
                Some(account.id),
                &la,
                &data,
            )
            .await?;
    }
    Ok(())
}

/// Merge's payload: `{hook: {id, event, target}, linked_account, data}`.
pub fn payload(ev: &PendingEvent, endpoint: Uuid, url: &str) -> String {
    json!({
        "hook": {"id": endpoint, "event": ev.event, "target": url},
        "linked_account": ev.linked_account,
        "data": ev.data,
    })
    .to_string()
}

/// Delivers webhooks until shutdown.
#[derive(Clone)]
pub struct WebhookWorker {
    /// The store.
    pub store: Store,
    /// Settings.
    pub settings: WebhookSettings,
    client: reqwest::Client,
}

mod delivery;

/// A transport failure, described without anything the URL could carry.
fn describe(e: &reqwest::Error) -> String {
    let mut cur: &dyn std::error::Error = e;
    let mut text = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        "connection failed".to_string()
    } else {
        "request failed".to_string()
    };
    while let Some(next) = cur.source() {
        cur = next;
    }
    let root = cur.to_string();
    if !root.contains("://") {
        text = format!("{text}: {}", root.chars().take(200).collect::<String>());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.1.1",
            "172.16.0.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "64:ff9b::a01:203",
        ] {
            assert!(!is_public_ip(ip.parse().expect("ip")), "{ip}");
        }
        for ip in ["8.8.8.8", "2606:4700:4700::1111", "64:ff9b::808:808"] {
            assert!(is_public_ip(ip.parse().expect("ip")), "{ip}");
        }
    }

    #[test]
    fn receiver_urls() {
        assert!(check_receiver_url("https://hooks.example.com/merge", &[]).is_ok());
        for bad in [
            "http://127.0.0.1:9000/x",
            "http://localhost/x",
            "http://[::1]/x",
            "ftp://example.com",
            "https://user:pw@example.com/",
            "http://10.0.0.8/",
            "not a url",
        ] {
            assert!(check_receiver_url(bad, &[]).is_err(), "{bad}");
        }
        let allow = vec!["127.0.0.1:9000".to_string()];
        assert!(check_receiver_url("http://127.0.0.1:9000/x", &allow).is_ok());
        assert!(check_receiver_url("http://127.0.0.1:9001/x", &allow).is_err());
        assert!(check_receiver_url("http://localhost:5/x", &["localhost".to_string()]).is_ok());
    }

    #[test]
    fn signatures() {
        // Standard Webhooks' published example.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            standard_signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        let s = merge_signature("key", b"{}");
        assert!(!s.contains('+') && !s.contains('/') && s.ends_with('='));
        assert!(new_secret().starts_with("whsec_"));
    }

    #[test]
    fn schedules() {
        assert_eq!(
            parse_schedule("0.2, 1,5").expect("ok"),
            vec![
                Duration::from_millis(200),
                Duration::from_secs(1),
                Duration::from_secs(5)
            ]
        );
        assert!(parse_schedule("1,x").is_err());
        assert_eq!(event_names().len(), 5 + ModelKind::ALL.len());
    }
}
