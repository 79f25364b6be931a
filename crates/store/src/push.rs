//! Push hooks (one per linked account: the URL a helpdesk calls when a ticket changes) and the
//! queue of tickets those pushes marked dirty. The hook's secret is kept as a keyed hash like
//! account tokens (it is shown once); a signing secret the helpdesk chose is sealed, since
//! verifying a signature needs it in clear. The queue keeps one row per ticket, so a burst of
//! pushes for one ticket costs one fetch.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::AssertSqlSafe;
use uuid::Uuid;

use crate::crypto::{Slot, api_key_matches, random_token};
use crate::{Store, StoreError};

/// The prefix of hook secrets (recognisable in a leaked config, like the other tokens).
pub const SECRET_PREFIX: &str = "dbpush_";

/// A stored hook, as its organization may see it (never its secret).
#[derive(Debug, Clone)]
pub struct PushHook {
    /// The hook id (the URL's last segment).
    pub id: Uuid,
    /// The owning organization.
    pub organization_id: Uuid,
    /// The linked account it feeds.
    pub linked_account_id: Uuid,
    /// What was installed in the helpdesk, if anything.
    pub installed: Option<Value>,
    /// Why installing failed, if it did.
    pub install_error: Option<String>,
    /// When it was created (or last rotated).
    pub created_at: DateTime<Utc>,
    /// When the last accepted push arrived.
    pub last_push_at: Option<DateTime<Utc>>,
}

/// A hook with what verifying a push needs.
#[derive(Debug, Clone)]
pub struct PushTarget {
    /// The hook.
    pub hook: PushHook,
    /// The linked account's integration slug.
    pub integration: String,
    /// The linked account's status (pushes for an account that is not `COMPLETE` are ignored).
    pub account_status: String,
    /// The keyed hash of the hook secret.
    secret_hash: Vec<u8>,
    /// The helpdesk's signing secret, opened.
    pub signing_secret: Option<String>,
}

/// A new (or rotated) hook with its secret, which is shown this once.
#[derive(Debug, Clone)]
pub struct NewPushHook {
    /// The hook.
    pub hook: PushHook,
    /// The secret.
    pub secret: String,
    /// What the replaced hook had installed in the helpdesk (to remove it).
    pub replaced_installed: Option<Value>,
}

/// A dirty ticket claimed by a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirtyTicket {
    /// The linked account.
    pub linked_account_id: Uuid,
    /// The helpdesk's ticket id.
    pub remote_id: String,
    /// How many pushes were coalesced when it was claimed (a later push re-queues it).
    pub pushes: i32,
    /// Attempts before this one.
    pub attempts: i32,
}

/// A hook's health, for the account's details.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PushHealth {
    /// When the last accepted push arrived.
    pub last_push_at: Option<DateTime<Utc>>,
    /// Pushes accepted in the last hour.
    pub pushes_last_hour: i64,
    /// Tickets waiting for their targeted fetch.
    pub queued: i64,
}

const HOOK_COLUMNS: &str = "h.id, h.organization_id, h.linked_account_id, h.installed, \
    h.install_error, h.created_at, h.last_push_at";

type HookRow = (
    Uuid,
    Uuid,
    Uuid,
    Option<Value>,
    Option<String>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
);

fn hook(r: HookRow) -> PushHook {
    PushHook {
        id: r.0,
        organization_id: r.1,
        linked_account_id: r.2,
        installed: r.3,
        install_error: r.4,
        created_at: r.5,
        last_push_at: r.6,
    }
}

/// Where a hook's signing secret is sealed (also re-sealed by a master-key rotation).
pub(crate) fn signing_slot(org: Uuid, hook: Uuid) -> Slot {
    Slot::row("push_hooks", "signing_secret", org, hook)
}

impl Store {
    /// Creates the account's hook, replacing (rotating) any previous one: a new id and a new
    /// secret, so the old URL stops working at once.
    pub async fn create_push_hook(
        &self,
        org: Uuid,
        linked_account: Uuid,
    ) -> Result<NewPushHook, StoreError> {
        let secret = random_token(SECRET_PREFIX);
        let hash = self.token_hash(&secret).await?;
        let id = Uuid::new_v4();
        let mut tx = self.pool.begin().await?;
        let owned: Option<Uuid> = sqlx::query_scalar(
            "SELECT id FROM linked_accounts WHERE organization_id = $1 AND id = $2 FOR UPDATE",
        )
        .bind(org)
        .bind(linked_account)
        .fetch_optional(&mut *tx)
        .await?;
        if owned.is_none() {
            return Err(StoreError::NotFound);
        }
        let replaced: Option<Option<Value>> = sqlx::query_scalar(
            "DELETE FROM push_hooks WHERE linked_account_id = $1 RETURNING installed",
        )
        .bind(linked_account)
        .fetch_optional(&mut *tx)
        .await?;
        let row: HookRow = sqlx::query_as(AssertSqlSafe(format!(
            "INSERT INTO push_hooks AS h (id, organization_id, linked_account_id, secret_hash)
             VALUES ($1, $2, $3, $4) RETURNING {HOOK_COLUMNS}"
        )))
        .bind(id)
        .bind(org)
        .bind(linked_account)
        .bind(hash)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(NewPushHook {
            hook: hook(row),
            secret,
            replaced_installed: replaced.flatten(),
        })
    }

    /// The account's hook, if it has one.
    pub async fn push_hook(
        &self,
        org: Uuid,
        linked_account: Uuid,
    ) -> Result<Option<PushHook>, StoreError> {
        let row: Option<HookRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {HOOK_COLUMNS} FROM push_hooks h
             WHERE h.organization_id = $1 AND h.linked_account_id = $2"
        )))
        .bind(org)
        .bind(linked_account)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(hook))
    }

    /// Deletes the account's hook; returns what it had installed in the helpdesk.
    pub async fn delete_push_hook(
        &self,
        org: Uuid,
        linked_account: Uuid,
    ) -> Result<Option<Option<Value>>, StoreError> {
        Ok(sqlx::query_scalar(
            "DELETE FROM push_hooks WHERE organization_id = $1 AND linked_account_id = $2
             RETURNING installed",
        )
        .bind(org)
        .bind(linked_account)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Records what an installation created (or why it failed).
    pub async fn set_push_installed(
        &self,
        hook_id: Uuid,
        org: Uuid,
        installed: Option<&Value>,
        signing_secret: Option<&str>,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        let sealed = match signing_secret {
            Some(s) => Some(self.cipher.seal_str(s, &signing_slot(org, hook_id))?),
            None => None,
        };
        sqlx::query(
            "UPDATE push_hooks SET installed = $3, signing_secret = $4, install_error = $5
             WHERE id = $1 AND organization_id = $2",
        )
        .bind(hook_id)
        .bind(org)
        .bind(installed)
        .bind(sealed)
        .bind(error)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The hook a push names, with what verifying it needs (any organization: the hook id
    /// is the credential's first half, the secret or signature the second).
    pub async fn push_target(&self, hook_id: Uuid) -> Result<Option<PushTarget>, StoreError> {
        type Row = (
            Uuid,
            Uuid,
            Uuid,
            Option<Value>,
            Option<String>,
            DateTime<Utc>,
            Option<DateTime<Utc>>,
            String,
            String,
            Vec<u8>,
            Option<Vec<u8>>,
        );
        let row: Option<Row> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {HOOK_COLUMNS}, a.integration, a.status, h.secret_hash, h.signing_secret
             FROM push_hooks h JOIN linked_accounts a ON a.id = h.linked_account_id
             WHERE h.id = $1"
        )))
        .bind(hook_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let signing_secret = match &r.10 {
            Some(sealed) => Some(self.cipher.open_str(sealed, &signing_slot(r.1, r.0))?),
            None => None,
        };
        Ok(Some(PushTarget {
            hook: hook((r.0, r.1, r.2, r.3, r.4, r.5, r.6)),
            integration: r.7,
            account_status: r.8,
            secret_hash: r.9,
            signing_secret,
        }))
    }

    /// Whether `presented` is the hook's secret (keyed hash, compared in constant time).
    pub async fn push_secret_matches(
        &self,
        target: &PushTarget,
        presented: &str,
    ) -> Result<bool, StoreError> {
        let hash = self.token_hash(presented).await?;
        Ok(api_key_matches(&target.secret_hash, &hash))
    }

    /// Remembers a delivery's replay key until `expires_at`; false when it was seen already.
    pub async fn claim_push_replay_key(
        &self,
        hook_id: Uuid,
        key: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        sqlx::query("DELETE FROM push_replays WHERE expires_at < now()")
            .execute(&self.pool)
            .await?;
        let done = sqlx::query(
            "INSERT INTO push_replays (hook_id, replay_key, expires_at) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
        )
        .bind(hook_id)
        .bind(key)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Marks a ticket dirty after an accepted push (one row per ticket: more pushes only add
    /// to its count) and counts the push for the hook's health. The fetch waits until no push
    /// of the ticket came for `settle` (a burst of edits is read once, after its last edit),
    /// but never longer than `max_wait` after the first push, so a ticket edited without pause
    /// is still read.
    pub async fn record_push(
        &self,
        hook_id: Uuid,
        linked_account: Uuid,
        remote_id: &str,
        settle: std::time::Duration,
        max_wait: std::time::Duration,
    ) -> Result<(), StoreError> {
        let settle_ms = settle.as_millis() as i64;
        let max_ms = max_wait.as_millis() as i64;
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO push_dirty (linked_account_id, remote_id, due_at)
             VALUES ($1, $2, now() + make_interval(secs => $3::float8 / 1000))
             ON CONFLICT (linked_account_id, remote_id)
             DO UPDATE SET pushes = push_dirty.pushes + 1,
                 due_at = CASE WHEN push_dirty.claimed_by IS NULL
                     THEN LEAST(now() + make_interval(secs => $3::float8 / 1000),
                                push_dirty.first_at + make_interval(secs => $4::float8 / 1000))
                     ELSE push_dirty.due_at END",
        )
        .bind(linked_account)
        .bind(remote_id)
        .bind(settle_ms)
        .bind(max_ms)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO push_counts (hook_id, minute, pushes) VALUES ($1, date_trunc('minute', now()), 1)
             ON CONFLICT (hook_id, minute) DO UPDATE SET pushes = push_counts.pushes + 1",
        )
        .bind(hook_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE push_hooks SET last_push_at = now() WHERE id = $1;")
            .bind(hook_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "DELETE FROM push_counts WHERE hook_id = $1 AND minute < now() - interval '2 hours'",
        )
        .bind(hook_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Claims due dirty tickets for `worker`: at most `per_account` of one account and
    /// `limit` in all, oldest first, each for `lease`.
    pub async fn claim_dirty_tickets(
        &self,
        worker: &str,
        per_account: i64,
        limit: i64,
        lease: std::time::Duration,
    ) -> Result<Vec<DirtyTicket>, StoreError> {
        let lease_ms = lease.as_millis() as i64;
        // Candidates are read without locks (a window function cannot lock); the UPDATE checks
        // again under the row lock that nobody claimed them meanwhile.
        let rows: Vec<(Uuid, String, i32, i32)> = sqlx::query_as(
            "WITH ranked AS (
                 SELECT linked_account_id, remote_id, due_at,
                        row_number() OVER (PARTITION BY linked_account_id ORDER BY due_at) AS rn
                 FROM push_dirty
                 WHERE due_at <= now() AND (claimed_until IS NULL OR claimed_until < now())
             ), picked AS (
                 SELECT linked_account_id, remote_id FROM ranked WHERE rn <= $2
                 ORDER BY due_at LIMIT $3
             )
             UPDATE push_dirty d
             SET claimed_by = $1, claimed_until = now() + make_interval(secs => $4::float8 / 1000)
             FROM picked p
             WHERE d.linked_account_id = p.linked_account_id AND d.remote_id = p.remote_id
               AND (d.claimed_until IS NULL OR d.claimed_until < now())
             RETURNING d.linked_account_id, d.remote_id, d.pushes, d.attempts",
        )
        .bind(worker)
        .bind(per_account)
        .bind(limit)
        .bind(lease_ms)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(linked_account_id, remote_id, pushes, attempts)| DirtyTicket {
                    linked_account_id,
                    remote_id,
                    pushes,
                    attempts,
                },
            )
            .collect())
    }

    /// Ends a claimed ticket's fetch: the row goes unless a push arrived meanwhile (its count
    /// moved), in which case it is due again at once (the fetch may predate that edit).
    pub async fn finish_dirty_ticket(
        &self,
        worker: &str,
        t: &DirtyTicket,
    ) -> Result<(), StoreError> {
        let gone = sqlx::query(
            "DELETE FROM push_dirty WHERE linked_account_id = $1 AND remote_id = $2
               AND pushes = $3 AND claimed_by = $4",
        )
        .bind(t.linked_account_id)
        .bind(&t.remote_id)
        .bind(t.pushes)
        .bind(worker)
        .execute(&self.pool)
        .await?;
        if gone.rows_affected() == 0 {
            self.release_dirty_ticket(worker, t, Utc::now(), false)
                .await?;
        }
        Ok(())
    }

    /// Gives a claimed ticket back, due at `at` (`failed`: counts an attempt).
    pub async fn release_dirty_ticket(
        &self,
        worker: &str,
        t: &DirtyTicket,
        at: DateTime<Utc>,
        failed: bool,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE push_dirty SET claimed_by = NULL, claimed_until = NULL, due_at = $4,
                    attempts = attempts + $5
             WHERE linked_account_id = $1 AND remote_id = $2 AND claimed_by = $3",
        )
        .bind(t.linked_account_id)
        .bind(&t.remote_id)
        .bind(worker)
        .bind(at)
        .bind(i32::from(failed))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Drops a claimed ticket without fetching it (the periodic sync is the safety net).
    pub async fn drop_dirty_ticket(&self, worker: &str, t: &DirtyTicket) -> Result<(), StoreError> {
        sqlx::query(
            "DELETE FROM push_dirty WHERE linked_account_id = $1 AND remote_id = $2 AND claimed_by = $3",
        )
        .bind(t.linked_account_id)
        .bind(&t.remote_id)
        .bind(worker)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The hook's health: last push, pushes in the last hour, tickets queued.
    pub async fn push_health(
        &self,
        org: Uuid,
        linked_account: Uuid,
    ) -> Result<PushHealth, StoreError> {
        let row: Option<(Option<DateTime<Utc>>, i64, i64)> = sqlx::query_as(
            "SELECT h.last_push_at,
                    COALESCE((SELECT sum(pushes) FROM push_counts c
                              WHERE c.hook_id = h.id AND c.minute > now() - interval '1 hour'), 0)::int8,
                    (SELECT count(*) FROM push_dirty d WHERE d.linked_account_id = h.linked_account_id)
             FROM push_hooks h WHERE h.organization_id = $1 AND h.linked_account_id = $2",
        )
        .bind(org)
        .bind(linked_account)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row
            .map(|(last_push_at, pushes_last_hour, queued)| PushHealth {
                last_push_at,
                pushes_last_hour,
                queued,
            })
            .unwrap_or_default())
    }
}
