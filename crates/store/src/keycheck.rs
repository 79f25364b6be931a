//! Does the master key fit the database? Checked at start-up, before anything is written, so
//! that a changed or lost key ends in one clear message instead of failures deep inside a
//! link, a sync or a webhook delivery.

use sqlx::Row;
use uuid::Uuid;

use crate::crypto::Slot;
use crate::ids::{LinkedAccountId, OrgId, WebhookEndpointId};
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
    /// Tries this store's master key on the sealed keys and the newest stored secrets (linked
    /// accounts' credentials and webhook signing secrets, across every organization).
    pub async fn check_master_key(&self) -> Result<KeyCheck, StoreError> {
        let rows = sqlx::query(
            "(SELECT 'key' AS kind, NULL::uuid AS org, NULL::uuid AS id, name, sealed AS blob
                FROM deskbridge_keys)
             UNION ALL
             (SELECT 'account', organization_id, id, NULL, credentials FROM linked_accounts
                ORDER BY updated_at DESC LIMIT $1)
             UNION ALL
             (SELECT 'webhook', organization_id, id, NULL, secret FROM webhook_endpoints
                ORDER BY created_at DESC LIMIT $1)",
        )
        .bind(SAMPLE)
        .fetch_all(&self.pool)
        .await?;
        let mut check = KeyCheck {
            tried: 0,
            failed: 0,
        };
        for row in rows {
            let kind: String = row.try_get("kind")?;
            let org: Option<Uuid> = row.try_get("org")?;
            let id: Option<Uuid> = row.try_get("id")?;
            let name: Option<String> = row.try_get("name")?;
            let blob: Vec<u8> = row.try_get("blob")?;
            let slot = match (kind.as_str(), org, id, name) {
                ("account", Some(org), Some(id), _) => Slot::account(
                    "credentials",
                    OrgId::from_uuid(org),
                    LinkedAccountId::from_uuid(id),
                ),
                ("webhook", Some(org), Some(id), _) => {
                    Slot::webhook_secret(OrgId::from_uuid(org), WebhookEndpointId::from_uuid(id))
                }
                ("key", _, _, Some(name)) => Slot::key(&name),
                _ => continue,
            };
            check.tried += 1;
            if self.cipher.open(&blob, &slot).is_err() {
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
        // At once in this process too; the trigger's notification reaches the others.
        self.auth_cache().invalidate(None);
        Ok(done.rows_affected() > 0)
    }

    /// After `demo --reset`: drops the sealed token hash key when this master key cannot open
    /// it and no linked account or webhook endpoint is left that was sealed beside it, so the
    /// next start makes a fresh one. With other organizations' secrets still stored, the key
    /// is theirs too and is kept (the master-key check then names the way out).
    pub async fn forget_unreadable_token_key(&self) -> Result<bool, StoreError> {
        let sealed: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT sealed FROM deskbridge_keys WHERE name = $1")
                .bind(crate::keyring::TOKEN_KEY)
                .fetch_optional(&self.pool)
                .await?;
        let Some(blob) = sealed else {
            return Ok(false);
        };
        if self
            .cipher
            .open(&blob, &Slot::key(crate::keyring::TOKEN_KEY))
            .is_ok()
        {
            return Ok(false);
        }
        let done = sqlx::query(
            "DELETE FROM deskbridge_keys WHERE name = $1
               AND NOT EXISTS (SELECT 1 FROM linked_accounts)
               AND NOT EXISTS (SELECT 1 FROM webhook_endpoints)",
        )
        .bind(crate::keyring::TOKEN_KEY)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }
}
