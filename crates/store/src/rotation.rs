//! Master-key rotation: every sealed column (linked accounts' credentials and account tokens,
//! webhook signing secrets, the token hash key) re-sealed under the new key, bound to its
//! row, in one transaction.

use tracing::warn;
use uuid::Uuid;

use crate::crypto::{Cipher, Slot, TokenKey};
use crate::keyring::TOKEN_KEY;
use crate::{Store, StoreError};

/// What a rotation rewrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rotation {
    /// Linked accounts re-sealed (credentials and account token).
    pub accounts: u64,
    /// Webhook endpoints re-sealed (signing secret).
    pub webhook_endpoints: u64,
    /// Rows that neither key opens, left as they are (named, never with their content).
    pub skipped: Vec<String>,
}

impl Store {
    /// Re-seals every secret under this store's cipher (the new master key), reading each
    /// with `old` or, when a previous rotation was interrupted, with the new key. Legacy
    /// ciphertexts (not bound to their row) are rewritten bound. The token hash key is kept
    /// (only re-sealed), so link, public and account tokens outlive the rotation. A row
    /// neither key opens is logged, reported and left alone: it is unreadable either way and
    /// must not keep every other row on the old key. Runs in one transaction.
    pub async fn rotate_secrets(&self, old: &Cipher) -> Result<Rotation, StoreError> {
        let read = |blob: &[u8], slot: &Slot| {
            old.open(blob, slot)
                .or_else(|_| self.cipher.open(blob, slot))
        };
        let mut report = Rotation::default();
        let mut tx = self.pool.begin().await?;

        let key_slot = Slot::key(TOKEN_KEY);
        let sealed: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT sealed FROM deskbridge_keys WHERE name = $1 FOR UPDATE")
                .bind(TOKEN_KEY)
                .fetch_optional(&mut *tx)
                .await?;
        // None yet: the stored token hashes were made from the old key (the legacy way).
        let token_key = match sealed {
            None => Some(old.legacy_token_key()),
            Some(blob) => match read(&blob, &key_slot).and_then(|b| TokenKey::from_bytes(&b)) {
                Ok(k) => Some(k),
                Err(e) => {
                    warn!(error = %e, "the token hash key opens with neither key; left as it is");
                    report.skipped.push("the token hash key".into());
                    None
                }
            },
        };
        if let Some(key) = token_key {
            sqlx::query(
                "INSERT INTO deskbridge_keys (name, sealed) VALUES ($1, $2)
                 ON CONFLICT (name) DO UPDATE SET sealed = EXCLUDED.sealed, updated_at = now()",
            )
            .bind(TOKEN_KEY)
            .bind(self.cipher.seal(key.bytes(), &key_slot)?)
            .execute(&mut *tx)
            .await?;
        }

        let accounts: Vec<(Uuid, Uuid, Vec<u8>, Vec<u8>)> = sqlx::query_as(
            "SELECT organization_id, id, credentials, account_token FROM linked_accounts FOR UPDATE",
        )
        .fetch_all(&mut *tx)
        .await?;
        for (org, id, creds, token) in accounts {
            let creds_slot = Slot::account("credentials", org, id);
            let token_slot = Slot::account("account_token", org, id);
            let (creds, token) = match (read(&creds, &creds_slot), read(&token, &token_slot)) {
                (Ok(c), Ok(t)) => (c, t),
                (Err(e), _) | (_, Err(e)) => {
                    warn!(linked_account = %id, error = %e, "a linked account's secrets open with neither key; left as they are");
                    report.skipped.push(format!("linked account {id}"));
                    continue;
                }
            };
            sqlx::query(
                "UPDATE linked_accounts SET credentials = $3, account_token = $4, updated_at = now()
                 WHERE organization_id = $1 AND id = $2",
            )
            .bind(org)
            .bind(id)
            .bind(self.cipher.seal(&creds, &creds_slot)?)
            .bind(self.cipher.seal(&token, &token_slot)?)
            .execute(&mut *tx)
            .await?;
            report.accounts += 1;
        }

        let endpoints: Vec<(Uuid, Uuid, Vec<u8>)> =
            sqlx::query_as("SELECT organization_id, id, secret FROM webhook_endpoints FOR UPDATE")
                .fetch_all(&mut *tx)
                .await?;
        for (org, id, secret) in endpoints {
            let slot = Slot::webhook_secret(org, id);
            let secret = match read(&secret, &slot) {
                Ok(s) => s,
                Err(e) => {
                    warn!(endpoint = %id, error = %e, "a webhook secret opens with neither key; left as it is");
                    report.skipped.push(format!("webhook endpoint {id}"));
                    continue;
                }
            };
            sqlx::query(
                "UPDATE webhook_endpoints SET secret = $3, updated_at = now()
                 WHERE organization_id = $1 AND id = $2",
            )
            .bind(org)
            .bind(id)
            .bind(self.cipher.seal(&secret, &slot)?)
            .execute(&mut *tx)
            .await?;
            report.webhook_endpoints += 1;
        }
        // Push hooks' signing secrets (chosen by the helpdesk); not counted in the report.
        let hooks: Vec<(Uuid, Uuid, Vec<u8>)> = sqlx::query_as(
            "SELECT organization_id, id, signing_secret FROM push_hooks
             WHERE signing_secret IS NOT NULL FOR UPDATE",
        )
        .fetch_all(&mut *tx)
        .await?;
        for (org, id, sealed) in hooks {
            let slot = crate::push::signing_slot(org, id);
            let secret = match read(&sealed, &slot) {
                Ok(s) => s,
                Err(e) => {
                    warn!(hook = %id, error = %e, "a push hook's signing secret opens with neither key; left as it is");
                    report.skipped.push(format!("push hook {id}"));
                    continue;
                }
            };
            sqlx::query("UPDATE push_hooks SET signing_secret = $2 WHERE id = $1")
                .bind(id)
                .bind(self.cipher.seal(&secret, &slot)?)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(report)
    }
}
