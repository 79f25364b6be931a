//! Sync checkpoints (one per stream, written after every page) and the record of each run.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::FromRow;
use uuid::Uuid;

use crate::ids::{LinkedAccountId, OrgId};
use crate::{Store, StoreError};

/// One recorded sync run.
#[derive(Debug, Clone, FromRow)]
pub struct SyncRun {
    /// Its id.
    pub id: Uuid,
    /// The first full sync of the account.
    pub is_initial: bool,
    /// `SYNCING`, `DONE`, `FAILED`, `PARTIALLY_SYNCED`.
    pub status: String,
    /// `RATE_LIMITED` while waiting on the budget.
    pub reason: Option<String>,
    /// Start.
    pub started_at: DateTime<Utc>,
    /// End.
    pub finished_at: Option<DateTime<Utc>>,
    /// Per-model counts `{model: {fetched, created, updated, deleted}}`.
    pub counts: Value,
    /// Provider calls spent.
    pub calls: i64,
    /// Provider credits spent.
    pub credits: i64,
    /// 429s met.
    pub rate_limited: i64,
    /// The error, for a failed run.
    pub error: Option<String>,
}

/// What a finished run reports.
#[derive(Debug, Clone, Default)]
pub struct RunTotals {
    /// Final status.
    pub status: String,
    /// Per-model counts.
    pub counts: Value,
    /// Calls spent.
    pub calls: i64,
    /// Credits spent.
    pub credits: i64,
    /// 429s met.
    pub rate_limited: i64,
    /// Error text.
    pub error: Option<String>,
}

impl Store {
    /// The stored checkpoint of a stream.
    pub async fn checkpoint(
        &self,
        linked_account: LinkedAccountId,
        stream: &str,
    ) -> Result<Option<Value>, StoreError> {
        let v: Option<Option<Value>> = sqlx::query_scalar(
            "SELECT checkpoint FROM sync_checkpoints WHERE linked_account_id = $1 AND stream = $2",
        )
        .bind(linked_account)
        .bind(stream)
        .fetch_optional(&self.pool)
        .await?;
        Ok(v.flatten())
    }

    /// Stores a stream's checkpoint.
    pub async fn save_checkpoint(
        &self,
        linked_account: LinkedAccountId,
        stream: &str,
        checkpoint: Option<&Value>,
        run: Uuid,
    ) -> Result<(), StoreError> {
        // Only for a run that still exists: a relink to another helpdesk deletes the runs, and
        // a bookmark of the old helpdesk must never be saved over the new one's.
        let mut tx = self.begin_sync_write().await?;
        sqlx::query(
            "INSERT INTO sync_checkpoints (linked_account_id, stream, checkpoint, run_id, updated_at)
             SELECT $1, $2, $3, $4, now()
             WHERE EXISTS (SELECT 1 FROM sync_runs WHERE linked_account_id = $1 AND id = $4)
             ON CONFLICT (linked_account_id, stream)
             DO UPDATE SET checkpoint = EXCLUDED.checkpoint, run_id = EXCLUDED.run_id, updated_at = now()",
        )
        .bind(linked_account)
        .bind(stream)
        .bind(checkpoint)
        .bind(run)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Whether the run still exists (a relink to another helpdesk deletes them).
    pub async fn run_is_live(
        &self,
        linked_account: LinkedAccountId,
        run: Uuid,
    ) -> Result<bool, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM sync_runs WHERE linked_account_id = $1 AND id = $2)",
        )
        .bind(linked_account)
        .bind(run)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Records the start of a run, or resumes the unfinished one (after a crash).
    pub async fn start_run(&self, linked_account: LinkedAccountId) -> Result<SyncRun, StoreError> {
        let mut tx = self.pool.begin().await?;
        let open = sqlx::query_as::<_, SyncRun>(
            "SELECT id, is_initial, status, reason, started_at, finished_at, counts, calls, credits,
                    rate_limited, error
             FROM sync_runs WHERE linked_account_id = $1 AND finished_at IS NULL
             ORDER BY started_at DESC LIMIT 1 FOR UPDATE",
        )
        .bind(linked_account)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(run) = open {
            tx.commit().await?;
            return Ok(run);
        }
        let had_done: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM sync_runs WHERE linked_account_id = $1 AND status = 'DONE')",
        )
        .bind(linked_account)
        .fetch_one(&mut *tx)
        .await?;
        let run = sqlx::query_as::<_, SyncRun>(
            "INSERT INTO sync_runs (linked_account_id, id, is_initial, status)
             VALUES ($1, $2, $3, 'SYNCING')
             RETURNING id, is_initial, status, reason, started_at, finished_at, counts, calls,
                       credits, rate_limited, error",
        )
        .bind(linked_account)
        .bind(Uuid::new_v4())
        .bind(!had_done)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(run)
    }

    /// Updates a running run's reason and progress figures.
    pub async fn update_run(
        &self,
        linked_account: LinkedAccountId,
        run: Uuid,
        reason: Option<&str>,
        totals: &RunTotals,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE sync_runs SET reason = $3, counts = $4, calls = $5, credits = $6, rate_limited = $7
             WHERE linked_account_id = $1 AND id = $2",
        )
        .bind(linked_account)
        .bind(run)
        .bind(reason)
        .bind(&totals.counts)
        .bind(totals.calls)
        .bind(totals.credits)
        .bind(totals.rate_limited)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records the end of a run.
    pub async fn finish_run(
        &self,
        linked_account: LinkedAccountId,
        run: Uuid,
        totals: &RunTotals,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE sync_runs SET status = $3, reason = NULL, finished_at = now(), counts = $4,
                    calls = $5, credits = $6, rate_limited = $7, error = $8
             WHERE linked_account_id = $1 AND id = $2",
        )
        .bind(linked_account)
        .bind(run)
        .bind(&totals.status)
        .bind(&totals.counts)
        .bind(totals.calls)
        .bind(totals.credits)
        .bind(totals.rate_limited)
        .bind(&totals.error)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The latest runs of an organization's linked account, newest first.
    pub async fn recent_runs(
        &self,
        org: OrgId,
        linked_account: LinkedAccountId,
        limit: i64,
    ) -> Result<Vec<SyncRun>, StoreError> {
        Ok(sqlx::query_as::<_, SyncRun>(
            "SELECT r.id, r.is_initial, r.status, r.reason, r.started_at, r.finished_at, r.counts,
                    r.calls, r.credits, r.rate_limited, r.error
             FROM sync_runs r JOIN linked_accounts la ON la.id = r.linked_account_id
             WHERE la.organization_id = $1 AND r.linked_account_id = $2
             ORDER BY r.started_at DESC LIMIT $3",
        )
        .bind(org)
        .bind(linked_account)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}

impl Store {
    /// Stores a piece of provider metadata (e.g. `ticket_fields`).
    pub async fn save_metadata(
        &self,
        linked_account: LinkedAccountId,
        key: &str,
        value: &Value,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO provider_metadata (linked_account_id, key, value, updated_at)
             VALUES ($1, $2, $3, now())
             ON CONFLICT (linked_account_id, key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()",
        )
        .bind(linked_account)
        .bind(key)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Reads a piece of provider metadata of one of the organization's linked accounts.
    pub async fn metadata(
        &self,
        org: OrgId,
        linked_account: LinkedAccountId,
        key: &str,
    ) -> Result<Option<Value>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT m.value FROM provider_metadata m JOIN linked_accounts la ON la.id = m.linked_account_id
             WHERE la.organization_id = $1 AND m.linked_account_id = $2 AND m.key = $3",
        )
        .bind(org)
        .bind(linked_account)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?)
    }
}

impl Store {
    /// Sets the reason of a running run (`RATE_LIMITED` while waiting on the budget).
    pub async fn set_run_reason(
        &self,
        linked_account: LinkedAccountId,
        run: Uuid,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE sync_runs SET reason = $3 WHERE linked_account_id = $1 AND id = $2 AND finished_at IS NULL")
            .bind(linked_account)
            .bind(run)
            .bind(reason)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
