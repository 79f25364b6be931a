//! Idempotency keys of write requests, scoped to a linked account.
//!
//! The first request with a key claims it (`pending`); its result is stored (`done`) and
//! answered again to a retry with the same key and the same request. Before the helpdesk
//! call the key becomes `sent`, after a helpdesk success `remote` (with the helpdesk's id),
//! and a request that ended without a known outcome leaves it `unknown`: from `sent` on the
//! key is never released, because the helpdesk may have carried the write out and running it
//! again would write twice. Only a claim left `pending` (nothing sent) longer than
//! [`STALE_PENDING`] (its process died) may be taken over.

use std::time::Duration;

use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::ids::LinkedAccountId;
use crate::{Store, StoreError};

/// How long keys are kept.
pub const KEY_TTL: Duration = Duration::from_secs(24 * 3600);
/// A `pending` claim older than this is considered abandoned.
pub const STALE_PENDING: Duration = Duration::from_secs(120);

/// What claiming a key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is ours under this claim id: run the request, passing the id to every later
    /// call ([`Store::mark_idempotency_sent`], [`Store::finish_idempotency_key`], …).
    Claimed(Uuid),
    /// The same request already finished: answer this again.
    Replay {
        /// HTTP status.
        status: u16,
        /// Response body (JSON text).
        body: String,
    },
    /// The same key is being used by a request that has not finished.
    InProgress,
    /// The first request may have reached the helpdesk, but how it ended is not known (the
    /// helpdesk failed or did not answer, or the result could not be stored): it is never
    /// run again.
    Unknown {
        /// The helpdesk's id of the written record, when the helpdesk answered it.
        remote_id: Option<String>,
    },
    /// The key was used for another request.
    Mismatch,
}

/// The fingerprint of a request: SHA-256 of the method, the path and the body as canonical
/// JSON (object keys sorted), so that key order and whitespace do not matter.
pub fn request_fingerprint(method: &str, path: &str, body: &Value) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(method.as_bytes());
    h.update([0]);
    h.update(path.as_bytes());
    h.update([0]);
    canonical(body, &mut h);
    h.finalize().to_vec()
}

fn canonical(v: &Value, h: &mut Sha256) {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            h.update(b"{");
            for k in keys {
                h.update(Value::String(k.clone()).to_string().as_bytes());
                h.update(b":");
                if let Some(x) = m.get(k) {
                    canonical(x, h);
                }
                h.update(b",");
            }
            h.update(b"}");
        }
        Value::Array(a) => {
            h.update(b"[");
            for x in a {
                canonical(x, h);
                h.update(b",");
            }
            h.update(b"]");
        }
        other => h.update(other.to_string().as_bytes()),
    }
}

/// A stored key, as a claim reads it.
#[derive(sqlx::FromRow)]
struct KeyRow {
    request_hash: Vec<u8>,
    status: String,
    response_status: Option<i32>,
    response_body: Option<String>,
    remote_id: Option<String>,
    stale: bool,
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

impl Store {
    /// Claims `key` for a request with fingerprint `hash` (see [`request_fingerprint`]).
    /// Expired keys of the account are removed first.
    pub async fn claim_idempotency_key(
        &self,
        linked_account: LinkedAccountId,
        key: &str,
        hash: &[u8],
    ) -> Result<Claim, StoreError> {
        sqlx::query(
            "DELETE FROM idempotency_keys WHERE linked_account_id = $1 AND expires_at <= now()",
        )
        .bind(linked_account)
        .execute(&self.pool)
        .await?;
        let claim = Uuid::new_v4();
        // A key released between our insert and our read is tried again (a few times).
        for _ in 0..3 {
            let inserted = sqlx::query(
                "INSERT INTO idempotency_keys (linked_account_id, key, request_hash, expires_at, claim_id)
                 VALUES ($1, $2, $3, now() + make_interval(secs => $4), $5)
                 ON CONFLICT DO NOTHING",
            )
            .bind(linked_account)
            .bind(key)
            .bind(hash)
            .bind(secs(KEY_TTL))
            .bind(claim)
            .execute(&self.pool)
            .await?
            .rows_affected();
            if inserted == 1 {
                return Ok(Claim::Claimed(claim));
            }
            let row: Option<KeyRow> = sqlx::query_as(
                "SELECT request_hash, status, response_status, response_body, remote_id,
                        created_at < now() - make_interval(secs => $3) AS stale
                 FROM idempotency_keys WHERE linked_account_id = $1 AND key = $2",
            )
            .bind(linked_account)
            .bind(key)
            .bind(secs(STALE_PENDING))
            .fetch_optional(&self.pool)
            .await?;
            let Some(KeyRow {
                request_hash: stored_hash,
                status,
                response_status: code,
                response_body: body,
                remote_id,
                stale,
            }) = row
            else {
                continue;
            };
            if stored_hash != hash {
                return Ok(Claim::Mismatch);
            }
            return match (status.as_str(), code, body) {
                ("done", Some(code), Some(body)) => Ok(Claim::Replay {
                    status: u16::try_from(code).unwrap_or(200),
                    body,
                }),
                ("unknown", _, _) => Ok(Claim::Unknown { remote_id }),
                ("sent" | "remote", _, _) if stale => Ok(Claim::Unknown { remote_id }),
                ("pending", _, _) if stale => {
                    let taken = sqlx::query(
                        "UPDATE idempotency_keys SET created_at = now(), claim_id = $4
                         WHERE linked_account_id = $1 AND key = $2 AND status = 'pending'
                           AND created_at < now() - make_interval(secs => $3)",
                    )
                    .bind(linked_account)
                    .bind(key)
                    .bind(secs(STALE_PENDING))
                    .bind(claim)
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                    Ok(if taken == 1 {
                        Claim::Claimed(claim)
                    } else {
                        Claim::InProgress
                    })
                }
                _ => Ok(Claim::InProgress),
            };
        }
        Ok(Claim::InProgress)
    }

    /// Stores the result of the request that claimed `key`.
    pub async fn finish_idempotency_key(
        &self,
        linked_account: LinkedAccountId,
        key: &str,
        claim: Uuid,
        status: u16,
        body: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE idempotency_keys SET status = 'done', response_status = $3, response_body = $4
             WHERE linked_account_id = $1 AND key = $2 AND claim_id = $5",
        )
        .bind(linked_account)
        .bind(key)
        .bind(i32::from(status))
        .bind(body)
        .bind(claim)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Marks a claimed key `sent` just before the helpdesk call: from then on it is never
    /// taken over or released by a claim. An error here stops the write before the call;
    /// [`StoreError::Conflict`] when the claim was taken over meanwhile (it went stale).
    pub async fn mark_idempotency_sent(
        &self,
        linked_account: LinkedAccountId,
        key: &str,
        claim: Uuid,
    ) -> Result<(), StoreError> {
        let moved = sqlx::query(
            "UPDATE idempotency_keys SET status = 'sent'
             WHERE linked_account_id = $1 AND key = $2 AND claim_id = $3 AND status = 'pending'",
        )
        .bind(linked_account)
        .bind(key)
        .bind(claim)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if moved == 0 {
            return Err(StoreError::Conflict(
                "A retry with this Idempotency-Key took this request over; it was not sent.".into(),
            ));
        }
        Ok(())
    }

    /// Records that the helpdesk wrote the record `remote_id`, before it is stored locally,
    /// so that a retry after a local failure can name it.
    pub async fn mark_idempotency_remote(
        &self,
        linked_account: LinkedAccountId,
        key: &str,
        claim: Uuid,
        remote_id: &str,
    ) -> Result<(), StoreError> {
        self.set_idempotency_status(linked_account, key, claim, "remote", Some(remote_id))
            .await
    }

    /// Marks a key whose request ended without a known outcome after its helpdesk call may
    /// have been sent: retries are answered as unknown, never run.
    pub async fn mark_idempotency_unknown(
        &self,
        linked_account: LinkedAccountId,
        key: &str,
        claim: Uuid,
    ) -> Result<(), StoreError> {
        self.set_idempotency_status(linked_account, key, claim, "unknown", None)
            .await
    }

    async fn set_idempotency_status(
        &self,
        linked_account: LinkedAccountId,
        key: &str,
        claim: Uuid,
        status: &str,
        remote_id: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE idempotency_keys SET status = $3, remote_id = coalesce($4, remote_id)
             WHERE linked_account_id = $1 AND key = $2 AND claim_id = $5 AND status <> 'done'",
        )
        .bind(linked_account)
        .bind(key)
        .bind(status)
        .bind(remote_id)
        .bind(claim)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Frees a claimed key whose request certainly wrote nothing (it stopped before the
    /// helpdesk call, or the helpdesk refused the call: 4xx, 429, connection refused), so
    /// that a retry runs again. Callers must not release a key whose outcome is unknown.
    pub async fn release_idempotency_key(
        &self,
        linked_account: LinkedAccountId,
        key: &str,
        claim: Uuid,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "DELETE FROM idempotency_keys
             WHERE linked_account_id = $1 AND key = $2 AND claim_id = $3
               AND status IN ('pending', 'sent')",
        )
        .bind(linked_account)
        .bind(key)
        .bind(claim)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Removes every expired key (of every account).
    pub async fn purge_idempotency_keys(&self) -> Result<u64, StoreError> {
        Ok(
            sqlx::query("DELETE FROM idempotency_keys WHERE expires_at <= now()")
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fingerprints_ignore_key_order_but_not_values() {
        let a = request_fingerprint(
            "POST",
            "/t",
            &json!({"model": {"a": 1, "b": [1, {"x": 2, "y": 3}]}}),
        );
        let b = request_fingerprint(
            "POST",
            "/t",
            &json!({"model": {"b": [1, {"y": 3, "x": 2}], "a": 1}}),
        );
        let c = request_fingerprint(
            "POST",
            "/t",
            &json!({"model": {"a": 2, "b": [1, {"x": 2, "y": 3}]}}),
        );
        let d = request_fingerprint(
            "POST",
            "/u",
            &json!({"model": {"a": 1, "b": [1, {"x": 2, "y": 3}]}}),
        );
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
    }
}
