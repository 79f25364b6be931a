//! The delivery loop of [`WebhookWorker`]: fair across organizations, one attempt per task.

use std::collections::HashMap;

use tokio::task::JoinSet;

use std::time::{Duration, Instant};

use chrono::Utc;
use deskbridge_store::OrgId;
use deskbridge_store::Store;
use deskbridge_store::webhooks::{AfterFailure, AttemptResult, DueDelivery};
use rand::Rng;
use tokio::sync::watch;
use tracing::{debug, info, warn};
use url::Url;

use crate::events::payload;
use crate::resolver::{check_receiver_url, webhook_client};
use crate::settings::WebhookSettings;
use crate::signing::{merge_signature, standard_signature};

/// Delivers webhooks until shutdown.
#[derive(Clone)]
pub struct WebhookWorker {
    /// The store.
    pub store: Store,
    /// Settings.
    pub settings: WebhookSettings,
    client: reqwest::Client,
}

/// How many attempts of one organization may be in flight at once: a quarter of the
/// worker's concurrency (at least one), so that slow receivers of a few organizations leave
/// slots for the others.
pub fn per_org_cap(concurrency: usize) -> usize {
    (concurrency / 4).max(1)
}

const BODY_LOG_LIMIT: usize = 1024;

impl WebhookWorker {
    /// A worker with its own HTTP client.
    pub fn new(store: Store, settings: WebhookSettings) -> Self {
        let client = webhook_client(&settings);
        WebhookWorker {
            store,
            settings,
            client,
        }
    }

    /// The wait before the attempt after failed attempt `attempt` (1-based), jittered; `None`
    /// when the schedule is exhausted.
    pub fn next_wait(&self, attempt: i32) -> Option<Duration> {
        let i = usize::try_from(attempt.max(1) - 1).ok()?;
        let base = *self.settings.schedule.get(i)?;
        let j = self.settings.jitter.clamp(0.0, 0.9);
        let factor = if j > 0.0 {
            rand::thread_rng().gen_range(1.0 - j..=1.0 + j)
        } else {
            1.0
        };
        Some(base.mul_f64(factor))
    }

    async fn attempt(&self, worker_id: &str, d: DueDelivery) {
        let started_at = Utc::now();
        let t0 = Instant::now();
        let result = match check_receiver_url(&d.url, &self.settings.allowed_hosts) {
            Err(why) => AttemptResult {
                started_at,
                duration: Duration::ZERO,
                response_status: None,
                error: Some(format!("receiver refused: {why}")),
                response_body: None,
                succeeded: false,
            },
            Ok(url) => self.send(&d, url, started_at, t0).await,
        };
        let after = match self.next_wait(d.attempts + 1) {
            Some(wait) if !result.succeeded => AfterFailure::RetryAt(
                Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default(),
            ),
            _ => AfterFailure::GiveUp,
        };
        debug!(delivery = %d.id, attempt = d.attempts + 1, ok = result.succeeded, "webhook attempt");
        match self
            .store
            .record_webhook_attempt(worker_id, &d, &result, after, self.settings.disable_after)
            .await
        {
            Ok(true) => {
                warn!(endpoint = %d.endpoint_id, "webhook endpoint disabled after sustained failure")
            }
            Ok(false) => {}
            Err(e) => {
                warn!(error = %e, delivery = %d.id, "cannot record a webhook attempt; it will be sent again")
            }
        }
    }

    async fn send(
        &self,
        d: &DueDelivery,
        url: Url,
        started_at: chrono::DateTime<Utc>,
        t0: Instant,
    ) -> AttemptResult {
        let id = d.id.to_string();
        let timestamp = Utc::now().timestamp();
        let body = d.body.as_bytes();
        let res = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(
                "X-Merge-Webhook-Signature",
                merge_signature(&d.secret, body),
            )
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header(
                "webhook-signature",
                standard_signature(&d.secret, &id, timestamp, body),
            )
            .body(d.body.clone())
            .send()
            .await;
        match res {
            Err(e) => AttemptResult {
                started_at,
                duration: t0.elapsed(),
                response_status: None,
                error: Some(describe(&e)),
                response_body: None,
                succeeded: false,
            },
            Ok(mut resp) => {
                let status = resp.status();
                let mut buf: Vec<u8> = Vec::new();
                while buf.len() < BODY_LOG_LIMIT {
                    match resp.chunk().await {
                        Ok(Some(c)) => buf.extend_from_slice(&c),
                        _ => break,
                    }
                }
                buf.truncate(BODY_LOG_LIMIT);
                AttemptResult {
                    started_at,
                    duration: t0.elapsed(),
                    response_status: Some(status.as_u16()),
                    error: None,
                    response_body: Some(String::from_utf8_lossy(&buf).into_owned()),
                    succeeded: status.is_success(),
                }
            }
        }
    }

    /// Runs until `shutdown` turns true; the attempts under way finish (bounded by the
    /// timeout) before the worker stops.
    ///
    /// Fair across organizations: attempts run as independent tasks (up to `concurrency`), an
    /// organization has at most [`per_org_cap`] of them in flight, and each claim takes at
    /// most one delivery per organization, oldest first, skipping the organizations at their
    /// cap. A slot that frees is claimed again at once, so one organization's slow receivers
    /// hold only their own slots and never delay another organization's deliveries.
    pub async fn run(&self, worker_id: String, mut shutdown: watch::Receiver<bool>) {
        info!(worker = %worker_id, "webhook delivery running");
        let concurrency = self.settings.concurrency.max(1);
        let cap = per_org_cap(concurrency);
        let mut inflight: JoinSet<OrgId> = JoinSet::new();
        let mut per_org: HashMap<OrgId, usize> = HashMap::new();
        let mut last_purge = Instant::now();
        loop {
            if *shutdown.borrow() {
                while inflight.join_next().await.is_some() {}
                return;
            }
            let mut busy = match self.store.fan_out_webhook_events(100, payload).await {
                Ok(n) => n > 0,
                Err(e) => {
                    warn!(error = %e, "cannot fan out webhook events; retrying");
                    false
                }
            };
            let free = concurrency.saturating_sub(inflight.len());
            if free > 0 {
                let full: Vec<OrgId> = per_org
                    .iter()
                    .filter(|(_, n)| **n >= cap)
                    .map(|(org, _)| *org)
                    .collect();
                let limit = i64::try_from(free)
                    .unwrap_or(1)
                    .min(self.settings.batch.max(1));
                match self
                    .store
                    .claim_webhook_deliveries(&worker_id, self.settings.lease, limit, 1, &full)
                    .await
                {
                    Ok(due) => {
                        busy |= !due.is_empty();
                        for d in due {
                            let org = d.organization_id;
                            *per_org.entry(org).or_default() += 1;
                            let (me, wid) = (self.clone(), worker_id.clone());
                            inflight.spawn(async move {
                                me.attempt(&wid, d).await;
                                org
                            });
                        }
                    }
                    Err(e) => warn!(error = %e, "webhook delivery failed; retrying"),
                }
            }
            if last_purge.elapsed() > Duration::from_secs(600) {
                last_purge = Instant::now();
                let _ = self
                    .store
                    .purge_webhook_deliveries(self.settings.retention)
                    .await;
                let _ = self.store.purge_idempotency_keys().await;
            }
            // Claim again at once while work arrives and slots are free; otherwise wait for
            // an attempt to end, the poll interval, or shutdown.
            if busy && inflight.len() < concurrency {
                continue;
            }
            tokio::select! {
                Some(done) = inflight.join_next(), if !inflight.is_empty() => {
                    if let Ok(org) = done
                        && let Some(n) = per_org.get_mut(&org)
                    {
                        *n = n.saturating_sub(1);
                        if *n == 0 {
                            per_org.remove(&org);
                        }
                    }
                }
                _ = tokio::time::sleep(self.settings.poll) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}

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
