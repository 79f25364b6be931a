//! Workers claim sync jobs from Postgres and run them; a scheduler queues periodic syncs.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use deskbridge_provider::ProviderError;
use deskbridge_store::jobs::Job;
use deskbridge_store::{LinkedAccountId, Store, StoreError};
use rand::Rng;
use tokio::sync::watch;
use tracing::{Instrument, error, info, info_span, warn};

pub use crate::engine::metrics_label;
use crate::engine::{Counts, SyncError, sync_account, totals};
use deskbridge_provider::Registry;

/// Settings of workers and the scheduler.
#[derive(Debug, Clone)]
pub struct SyncSettings {
    /// How often every account is synced.
    pub interval: Duration,
    /// How long a claim lasts without a heartbeat.
    pub lease: Duration,
    /// How long an idle worker waits before looking for work again.
    pub poll: Duration,
    /// Attempts before a job fails for good.
    pub max_attempts: i32,
    /// Base of the exponential retry backoff.
    pub backoff_base: Duration,
    /// How often the ids of incrementally synced models are reconciled with the provider.
    pub reconcile_every: Duration,
}

impl Default for SyncSettings {
    fn default() -> Self {
        SyncSettings {
            interval: Duration::from_secs(300),
            lease: Duration::from_secs(30),
            poll: Duration::from_millis(500),
            max_attempts: 8,
            backoff_base: Duration::from_secs(2),
            reconcile_every: Duration::from_secs(24 * 3600),
        }
    }
}

/// Runs sync jobs.
#[derive(Clone)]
pub struct SyncEngine {
    /// The store.
    pub store: Store,
    /// Builds providers.
    pub registry: Arc<Registry>,
    /// Settings.
    pub settings: SyncSettings,
}

/// How a job ended.
#[derive(Debug)]
enum Outcome {
    Done,
    Retry(String),
    Relink(String),
    Failed(String),
}

/// Jittered exponential backoff: base·2^(attempt-1), capped at 10 minutes, ±50%.
pub fn backoff(base: Duration, attempt: i32) -> Duration {
    let exp = base.as_secs_f64() * 2f64.powi((attempt - 1).clamp(0, 16));
    let capped = exp.min(600.0);
    let jitter = rand::thread_rng().gen_range(0.5..1.5);
    Duration::from_secs_f64(capped * jitter)
}

impl SyncEngine {
    /// Runs one job to its end (no claim handling).
    async fn run_job(&self, job: &Job) -> Outcome {
        let store = &self.store;
        let la = job.linked_account_id;
        let account = match store.linked_account_for_worker(la).await {
            Ok(a) => a,
            Err(StoreError::NotFound) => return Outcome::Done,
            Err(e) => return Outcome::Retry(e.to_string()),
        };
        if account.status != "COMPLETE" {
            return Outcome::Done;
        }
        let (creds, linked_at) = match store.account_credentials_as_of(la).await {
            Ok(c) => c,
            Err(e) => return Outcome::Failed(e.to_string()),
        };
        let provider = match self
            .registry
            .build(&account.integration, la.as_uuid(), &creds)
        {
            Ok(p) => p,
            Err(e) => return Outcome::Failed(e.to_string()),
        };
        let run = match store.start_run(la).await {
            Ok(r) => r,
            Err(e) => return Outcome::Retry(e.to_string()),
        };
        let mut counts = Counts::new();
        let before = provider.usage();
        let mut reported = before;
        // The run's record writes need not wait for the WAL flush: a crash loses only the
        // last pages, and their checkpoint with them (Store::with_relaxed_commits).
        let sync_store = store.with_relaxed_commits();
        let result = {
            let sync = sync_account(
                &sync_store,
                &provider,
                la,
                run.id,
                self.settings.reconcile_every,
                &mut counts,
            );
            tokio::pin!(sync);
            // While it runs, show RATE_LIMITED whenever the adapter waits on the budget.
            let mut shown: Option<&str> = None;
            loop {
                tokio::select! {
                    r = &mut sync => break r,
                    _ = tokio::time::sleep(Duration::from_millis(500)) => {
                        let now = provider.usage();
                        report_usage(la, &reported, &now);
                        reported = now;
                        let reason = now.waiting.then_some("RATE_LIMITED");
                        if reason != shown && store.set_run_reason(la, run.id, reason).await.is_ok() {
                            shown = reason;
                        }
                    }
                }
            }
        };
        let after = provider.usage();
        report_usage(la, &reported, &after);
        let mut t = match &result {
            Ok(()) => totals("DONE", &counts, None),
            Err(e) => totals("FAILED", &counts, Some(e.to_string())),
        };
        t.calls = after.calls.saturating_sub(before.calls) as i64;
        t.credits = after.credits.saturating_sub(before.credits) as i64;
        t.rate_limited = after.rate_limited.saturating_sub(before.rate_limited) as i64;
        let rate_limited = matches!(
            result,
            Err(SyncError::Provider(ProviderError::RateLimited { .. }))
        );
        let outcome = match result {
            Ok(()) => Outcome::Done,
            Err(SyncError::Provider(e)) if e.needs_relink() => Outcome::Relink(e.to_string()),
            Err(SyncError::Provider(e)) if e.is_retryable() => Outcome::Retry(e.to_string()),
            Err(SyncError::Store(e)) => Outcome::Retry(e.to_string()),
            Err(e) => Outcome::Failed(e.to_string()),
        };
        let last_attempt = job.attempts >= self.settings.max_attempts;
        let run_status = match &outcome {
            Outcome::Retry(_) if !last_attempt => "RETRY",
            _ => t.status.as_str(),
        };
        metrics::counter!(
            "deskbridge_sync_runs_total",
            "linked_account" => metrics_label(la),
            "status" => run_status.to_string(),
        )
        .increment(1);
        let finished = match &outcome {
            Outcome::Retry(_) if !last_attempt => {
                let reason = rate_limited.then_some("RATE_LIMITED");
                let _ = store.update_run(la, run.id, reason, &t).await;
                false
            }
            _ => true,
        };
        if finished && let Err(e) = store.finish_run(la, run.id, &t).await {
            error!(error = %e, "cannot record the end of a run");
        }
        if finished && t.status == "DONE" {
            let changes: Vec<_> = counts
                .iter()
                .map(|(kind, c)| {
                    let change = deskbridge_webhooks::ModelChanges {
                        created: c.created,
                        updated: c.updated,
                        deleted: c.deleted,
                    };
                    (*kind, change)
                })
                .collect();
            deskbridge_webhooks::sync_completed(store, &account, &run, &changes).await;
        }
        if let Outcome::Relink(reason) = &outcome {
            // Only for the credentials this run used: a relink made meanwhile stands.
            match store.mark_relink_needed(la, reason, linked_at).await {
                Ok(false) => info!("relinked while the run failed; the relink stands"),
                Ok(true) => {}
                Err(e) => warn!(error = %e, "cannot mark the account RELINK_NEEDED"),
            }
        }
        info!(status = %t.status, calls = t.calls, "sync finished");
        outcome
    }

    /// Claims and runs jobs until `shutdown` turns true; then releases the running job so
    /// another worker resumes it from its last checkpoint.
    pub async fn run_worker(&self, worker_id: String, mut shutdown: watch::Receiver<bool>) {
        let store = &self.store;
        let lease = self.settings.lease;
        loop {
            if *shutdown.borrow() {
                return;
            }
            let job = match store.claim_job(&worker_id, lease).await {
                Ok(Some(job)) => job,
                Ok(None) => {
                    tokio::select! {
                        _ = tokio::time::sleep(self.settings.poll) => {}
                        _ = shutdown.changed() => {}
                    }
                    continue;
                }
                Err(e) => {
                    warn!(error = %e, "cannot claim jobs; retrying");
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                        _ = shutdown.changed() => {}
                    }
                    continue;
                }
            };
            // Short fields keep a log line readable: the account's first 8 hex digits name it
            // well enough in one deployment's logs, and the job id is in the database.
            let account = job.linked_account_id.as_uuid().simple().to_string();
            let span = info_span!("job", account = &account[..8], attempt = job.attempts);
            self.process(&worker_id, job, &mut shutdown)
                .instrument(span)
                .await;
        }
    }

    async fn process(&self, worker_id: &str, job: Job, shutdown: &mut watch::Receiver<bool>) {
        let store = &self.store;
        let lease = self.settings.lease;
        let beat = async {
            loop {
                tokio::time::sleep(lease / 3).await;
                match store.heartbeat_job(job.id, worker_id, lease).await {
                    Ok(true) => {}
                    Ok(false) => return "lost",
                    Err(_) => {} // the database may be away for a moment; the lease covers it
                }
            }
        };
        let outcome = tokio::select! {
            o = self.run_job(&job) => o,
            why = beat => {
                warn!(why, "claim lost; another worker resumes the job");
                return;
            }
            _ = shutdown.changed() => {
                info!("shutting down: releasing the job at its last checkpoint");
                let _ = store.requeue_job(job.id, worker_id, Utc::now(), Some("released on shutdown")).await;
                return;
            }
        };
        let res = match outcome {
            Outcome::Done => store.complete_job(job.id, worker_id).await,
            Outcome::Retry(e) if job.attempts < self.settings.max_attempts => {
                let wait = backoff(self.settings.backoff_base, job.attempts);
                warn!(error = %e, ?wait, "sync failed; will retry");
                let at = Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
                store.requeue_job(job.id, worker_id, at, Some(&e)).await
            }
            Outcome::Retry(e) | Outcome::Failed(e) | Outcome::Relink(e) => {
                warn!(error = %e, "sync failed");
                store.fail_job(job.id, worker_id, &e).await
            }
        };
        if let Err(e) = res {
            error!(error = %e, "cannot record the job's end; its lease will expire");
        }
    }

    /// Queues periodic syncs until `shutdown` turns true.
    ///
    /// The tick bounds how late a due sync starts (the safety net for lost pushes is the
    /// interval plus one tick plus the run), so it is short; each tick is one statement.
    pub async fn run_scheduler(&self, mut shutdown: watch::Receiver<bool>) {
        let tick =
            (self.settings.interval / 20).clamp(Duration::from_millis(200), Duration::from_secs(2));
        loop {
            if let Err(e) = self.store.schedule_due_syncs(self.settings.interval).await {
                warn!(error = %e, "cannot schedule syncs");
            }
            if let Ok(q) = self.store.queue_stats().await {
                metrics::gauge!("deskbridge_jobs_due").set(q.due as f64);
                metrics::gauge!("deskbridge_jobs_running").set(q.running as f64);
                metrics::gauge!("deskbridge_jobs_oldest_due_seconds").set(q.oldest_due_secs);
            }
            tokio::select! {
                _ = tokio::time::sleep(tick) => {}
                _ = shutdown.changed() => { if *shutdown.borrow() { return; } }
            }
        }
    }
}

/// Adds what a provider spent between two readings of its usage to the per-account
/// counters `deskbridge_provider_{calls,credits,rate_limited}_total`.
fn report_usage(
    linked_account: LinkedAccountId,
    before: &deskbridge_provider::ProviderUsage,
    now: &deskbridge_provider::ProviderUsage,
) {
    let la = metrics_label(linked_account);
    for (name, delta) in [
        (
            "deskbridge_provider_calls_total",
            now.calls.saturating_sub(before.calls),
        ),
        (
            "deskbridge_provider_credits_total",
            now.credits.saturating_sub(before.credits),
        ),
        (
            "deskbridge_provider_rate_limited_total",
            now.rate_limited.saturating_sub(before.rate_limited),
        ),
    ] {
        if delta > 0 {
            metrics::counter!(name, "linked_account" => la.clone()).increment(delta);
        }
    }
}

/// Whether a provider error means the account must be relinked (re-exported for the API).
pub fn needs_relink(e: &ProviderError) -> bool {
    e.needs_relink()
}
