//! Durable jobs in Postgres, claimed with `FOR UPDATE SKIP LOCKED` under a lease that a
//! live worker keeps extending; a job whose worker died is claimed again when its lease ends.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::FromRow;
use uuid::Uuid;

use crate::ids::LinkedAccountId;
use crate::{Store, StoreError};

/// The kind of a sync job.
pub const SYNC: &str = "sync";

/// A claimed job.
#[derive(Debug, Clone, FromRow)]
pub struct Job {
    /// Its id.
    pub id: Uuid,
    /// The linked account it works on.
    pub linked_account_id: LinkedAccountId,
    /// Its kind.
    pub kind: String,
    /// How many times it has been claimed (this claim included).
    pub attempts: i32,
}

/// Queue figures for metrics.
#[derive(Debug, Clone, Copy, Default)]
pub struct QueueStats {
    /// Queued jobs that are due.
    pub due: i64,
    /// Running jobs.
    pub running: i64,
    /// Age in seconds of the oldest due job.
    pub oldest_due_secs: f64,
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.code().as_deref() == Some("23505"))
}

impl Store {
    /// Queues a job for a linked account unless one is already queued; true if queued now.
    pub async fn enqueue_job(
        &self,
        linked_account: LinkedAccountId,
        kind: &str,
        run_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO jobs (id, linked_account_id, kind, run_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (linked_account_id, kind) WHERE status = 'queued'
             DO UPDATE SET run_at = LEAST(jobs.run_at, EXCLUDED.run_at)",
        )
        .bind(Uuid::new_v4())
        .bind(linked_account)
        .bind(kind)
        .bind(run_at)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Claims the next due job for `worker`, with a lease of `lease`.
    pub async fn claim_job(
        &self,
        worker: &str,
        lease: Duration,
    ) -> Result<Option<Job>, StoreError> {
        let res = sqlx::query_as::<_, Job>(
            "UPDATE jobs SET status = 'running', locked_by = $1,
                    locked_until = now() + make_interval(secs => $2), attempts = attempts + 1,
                    updated_at = now()
             WHERE id = (
                SELECT j.id FROM jobs j
                WHERE (j.status = 'queued' AND j.run_at <= now()
                       AND NOT EXISTS (SELECT 1 FROM jobs r WHERE r.linked_account_id = j.linked_account_id
                                       AND r.kind = j.kind AND r.status = 'running'))
                   OR (j.status = 'running' AND j.locked_until < now())
                ORDER BY j.run_at, j.created_at
                FOR UPDATE SKIP LOCKED
                LIMIT 1)
             RETURNING id, linked_account_id, kind, attempts",
        )
        .bind(worker)
        .bind(lease.as_secs_f64())
        .fetch_optional(&self.pool)
        .await;
        match res {
            Ok(job) => Ok(job),
            // Another worker claimed a job of the same account at the same instant.
            Err(e) if is_unique_violation(&e) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Extends the lease; false when the job is no longer ours.
    pub async fn heartbeat_job(
        &self,
        job: Uuid,
        worker: &str,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE jobs SET locked_until = now() + make_interval(secs => $3), updated_at = now()
             WHERE id = $1 AND locked_by = $2 AND status = 'running'",
        )
        .bind(job)
        .bind(worker)
        .bind(lease.as_secs_f64())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Removes a finished job (its run is recorded in `sync_runs`).
    pub async fn complete_job(&self, job: Uuid, worker: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM jobs WHERE id = $1 AND locked_by = $2")
            .bind(job)
            .bind(worker)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Puts a job back in the queue at `run_at` (a retry, or a release on shutdown), or
    /// drops it when another one of its account is already queued.
    pub async fn requeue_job(
        &self,
        job: Uuid,
        worker: &str,
        run_at: DateTime<Utc>,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        let res = sqlx::query(
            "UPDATE jobs SET status = 'queued', locked_by = NULL, locked_until = NULL, run_at = $3,
                    last_error = $4, updated_at = now()
             WHERE id = $1 AND locked_by = $2",
        )
        .bind(job)
        .bind(worker)
        .bind(run_at)
        .bind(error)
        .execute(&self.pool)
        .await;
        match res {
            Ok(_) => Ok(()),
            Err(e) if is_unique_violation(&e) => self.complete_job(job, worker).await,
            Err(e) => Err(e.into()),
        }
    }

    /// Marks a job failed for good.
    pub async fn fail_job(&self, job: Uuid, worker: &str, error: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE jobs SET status = 'failed', locked_by = NULL, locked_until = NULL,
                    last_error = $3, updated_at = now()
             WHERE id = $1 AND locked_by = $2",
        )
        .bind(job)
        .bind(worker)
        .bind(error)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Queues a sync for every `COMPLETE` account whose last run started more than
    /// `interval` ago and that has no queued or running sync. Returns how many were queued.
    pub async fn schedule_due_syncs(&self, interval: Duration) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "INSERT INTO jobs (id, linked_account_id, kind)
             SELECT gen_random_uuid(), la.id, 'sync' FROM linked_accounts la
             WHERE la.status = 'COMPLETE'
               AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.linked_account_id = la.id
                               AND j.kind = 'sync' AND j.status IN ('queued', 'running'))
               AND coalesce((SELECT max(r.started_at) FROM sync_runs r
                             WHERE r.linked_account_id = la.id), '-infinity')
                   < now() - make_interval(secs => $1)
             ON CONFLICT DO NOTHING",
        )
        .bind(interval.as_secs_f64())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// The linked account's queued or running jobs.
    pub async fn active_jobs(&self, linked_account: LinkedAccountId) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT count(*) FROM jobs WHERE linked_account_id = $1 AND status IN ('queued','running')",
        )
        .bind(linked_account)
        .fetch_one(&self.pool)
        .await?)
    }

    /// When the account's next queued job is due.
    pub async fn next_job_at(
        &self,
        linked_account: LinkedAccountId,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT min(run_at) FROM jobs WHERE linked_account_id = $1 AND status = 'queued'",
        )
        .bind(linked_account)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Queue depth and age.
    pub async fn queue_stats(&self) -> Result<QueueStats, StoreError> {
        let (due, running, oldest): (i64, i64, Option<f64>) = sqlx::query_as(
            "SELECT count(*) FILTER (WHERE status = 'queued' AND run_at <= now()),
                    count(*) FILTER (WHERE status = 'running'),
                    extract(epoch FROM now() - min(run_at) FILTER (WHERE status = 'queued' AND run_at <= now()))::float8
             FROM jobs",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(QueueStats {
            due,
            running,
            oldest_due_secs: oldest.unwrap_or(0.0),
        })
    }
}
