//! Relinking and the sync's verdict on credentials: a relink to a different helpdesk starts the
//! account afresh (ids restart in every helpdesk, so two must never mix), and a failed sync
//! marks an account `RELINK_NEEDED` only for the credentials it used.

use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, Postgres, Transaction};

use crate::ids::{LinkedAccountId, OrgId};
use crate::{Store, StoreError};

/// Tables emptied when an account is relinked to a different helpdesk: every synced model,
/// the sync state (checkpoints, runs, the children queue, queued and running jobs: a running sync of the old
/// helpdesk loses its claim), its metadata and idempotency keys (their answers name the old
/// helpdesk's records).
const PER_HELPDESK_TABLES: &[&str] = &[
    "tickets",
    "comments",
    "users",
    "contacts",
    "accounts",
    "teams",
    "tags",
    "roles",
    "attachments",
    "collections",
    "projects",
    "ticket_children_due",
    "sync_checkpoints",
    "sync_runs",
    "jobs",
    "provider_metadata",
    "idempotency_keys",
];

/// Whether a relink leads to another helpdesk than the stored one: by resolved base URL, or
/// for an account linked before base URLs were recorded, by the domain as typed.
pub(crate) fn helpdesk_changed(
    stored_base: Option<&str>,
    stored_domain: &str,
    base: Option<&str>,
    domain: &str,
) -> bool {
    match (stored_base, base) {
        (Some(a), Some(b)) => a != b,
        _ => !stored_domain.trim().eq_ignore_ascii_case(domain.trim()),
    }
}

/// Deletes, in the relink's transaction, everything the account holds of its old helpdesk.
pub(crate) async fn purge_helpdesk(
    tx: &mut Transaction<'_, Postgres>,
    linked_account: LinkedAccountId,
) -> Result<(), StoreError> {
    for table in PER_HELPDESK_TABLES {
        sqlx::query(AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE linked_account_id = $1"
        )))
        .bind(linked_account)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

impl Store {
    /// The account's credentials JSON (decrypted) with the `completed_at` they were linked
    /// at, read together: a sync that fails with them can then mark the account
    /// `RELINK_NEEDED` only if it was not relinked meanwhile ([`Store::mark_relink_needed`]).
    pub async fn account_credentials_as_of(
        &self,
        linked_account: LinkedAccountId,
    ) -> Result<(String, DateTime<Utc>), StoreError> {
        let (org, ct, at): (OrgId, Vec<u8>, DateTime<Utc>) = sqlx::query_as(
            "SELECT organization_id, credentials, completed_at FROM linked_accounts WHERE id = $1",
        )
        .bind(linked_account)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        let slot = crate::Slot::account("credentials", org, linked_account);
        Ok((self.cipher.open_str(&ct, &slot)?, at))
    }

    /// Marks the account `RELINK_NEEDED` because the credentials linked at `linked_at` were
    /// refused, unless it was relinked since (a newer `completed_at`): a relink made while a
    /// failing sync ran must stand. True when the status changed.
    pub async fn mark_relink_needed(
        &self,
        linked_account: LinkedAccountId,
        reason: &str,
        linked_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE linked_accounts SET status = 'RELINK_NEEDED', status_detail = $2, updated_at = now()
             WHERE id = $1 AND completed_at = $3",
        )
        .bind(linked_account)
        .bind(reason)
        .bind(linked_at)
        .execute(&self.pool)
        .await?;
        // At once in this process too; the trigger's notification reaches the others.
        self.auth_cache().invalidate(None);
        Ok(done.rows_affected() == 1)
    }
}
