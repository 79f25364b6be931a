//! Does the master key fit the database? Checked at start-up, before anything is written, so
//! that a changed or lost key ends in one clear message instead of failures deep inside a
//! link, a sync or a webhook delivery.

use sqlx::Row;

use crate::{Store, StoreError};

/// How many of the newest secrets the check tries: enough to see a wrong key at once, few
/// enough to cost nothing on a large database.
const SAMPLE: i64 = 20;

/// What the check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyCheck {
    /// Secrets tried.
    pub tried: usize,
    /// Of those, how many the key could not decrypt.
    pub failed: usize,
}

impl KeyCheck {
    /// True when secrets exist and the key opens none of them: the database was written under
    /// another key. Some failures among successes are single damaged rows, not a wrong key.
    pub fn wrong_key(&self) -> bool {
        self.tried > 0 && self.failed == self.tried
    }
}

impl Store {
    /// Tries this store's master key on the newest stored secrets (linked accounts' credentials
    /// and webhook signing secrets, across every organization).
    pub async fn check_master_key(&self) -> Result<KeyCheck, StoreError> {
        let rows = sqlx::query(
            "(SELECT credentials AS blob FROM linked_accounts ORDER BY updated_at DESC LIMIT $1)
             UNION ALL
             (SELECT secret AS blob FROM webhook_endpoints ORDER BY created_at DESC LIMIT $1)",
        )
        .bind(SAMPLE)
        .fetch_all(&self.pool)
        .await?;
        let mut check = KeyCheck {
            tried: 0,
            failed: 0,
        };
        for row in rows {
            let blob: Vec<u8> = row.try_get("blob")?;
            check.tried += 1;
            if self.cipher.decrypt(&blob).is_err() {
                check.failed += 1;
            }
        }
        Ok(check)
    }

    /// Deletes an organization by name with everything under it (keys, linked accounts and
    /// their records, webhooks, audit). Returns whether it existed. Used by `demo --reset`.
    pub async fn delete_organization_named(&self, name: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM organizations WHERE name = $1")
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
