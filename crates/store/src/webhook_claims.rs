//! Claiming due webhook deliveries for an attempt, with each endpoint's signing secret.

use std::time::Duration;

use sqlx::FromRow;
use tracing::warn;
use uuid::Uuid;

use crate::ids::{OrgId, WebhookEndpointId};
use crate::{Slot, Store, StoreError};

/// A delivery claimed for an attempt, with what is needed to send it.
#[derive(Clone)]
pub struct DueDelivery {
    /// The organization.
    pub organization_id: OrgId,
    /// Its id (`webhook-id`).
    pub id: Uuid,
    /// The endpoint.
    pub endpoint_id: WebhookEndpointId,
    /// The event name.
    pub event: String,
    /// The body to send.
    pub body: String,
    /// Attempts made before this one.
    pub attempts: i32,
    /// The endpoint's URL.
    pub url: String,
    /// The endpoint's signing secret.
    pub secret: String,
}

impl std::fmt::Debug for DueDelivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DueDelivery")
            .field("organization_id", &self.organization_id)
            .field("id", &self.id)
            .field("endpoint_id", &self.endpoint_id)
            .field("event", &self.event)
            .field("attempts", &self.attempts)
            .field("url", &self.url)
            .field("secret", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// A claimed delivery as the claim query returns it.
#[derive(FromRow)]
struct ClaimedRow {
    organization_id: OrgId,
    id: Uuid,
    endpoint_id: WebhookEndpointId,
    event: String,
    body: String,
    attempts: i32,
    url: String,
    secret: Vec<u8>,
}

impl Store {
    /// Claims up to `limit` due deliveries for `worker` with a lease, fairly: at most
    /// `per_org` of each organization (the oldest of each first, in the order they were
    /// queued, then round by round), none of the organizations in `skip` (those that already
    /// have enough in flight), so that one organization's backlog never fills a claim.
    pub async fn claim_webhook_deliveries(
        &self,
        worker: &str,
        lease: Duration,
        limit: i64,
        per_org: i64,
        skip: &[OrgId],
    ) -> Result<Vec<DueDelivery>, StoreError> {
        let rows: Vec<ClaimedRow> = sqlx::query_as(
            "WITH ranked AS (
                 SELECT d.organization_id, d.id, d.next_attempt_at, d.created_at,
                        row_number() OVER (PARTITION BY d.organization_id
                                           ORDER BY d.next_attempt_at, d.created_at, d.id) AS rn
                 FROM webhook_deliveries d
                 JOIN webhook_endpoints e
                   ON e.organization_id = d.organization_id AND e.id = d.endpoint_id
                 WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND e.is_active
                   AND (d.locked_until IS NULL OR d.locked_until < now())
                   AND NOT (d.organization_id = ANY($5))),
             pick AS (
                 SELECT organization_id, id FROM ranked WHERE rn <= $4
                 ORDER BY rn, next_attempt_at, created_at LIMIT $3),
             due AS (
                 SELECT d.organization_id, d.id FROM webhook_deliveries d
                 JOIN pick p ON p.organization_id = d.organization_id AND p.id = d.id
                 WHERE d.status = 'pending'
                   AND (d.locked_until IS NULL OR d.locked_until < now())
                 FOR UPDATE OF d SKIP LOCKED)
             UPDATE webhook_deliveries d
                SET locked_by = $1, locked_until = now() + make_interval(secs => $2)
               FROM due, webhook_endpoints e
              WHERE d.organization_id = due.organization_id AND d.id = due.id
                AND e.organization_id = d.organization_id AND e.id = d.endpoint_id
             RETURNING d.organization_id, d.id, d.endpoint_id, d.event, d.body, d.attempts,
                       e.url, e.secret",
        )
        .bind(worker)
        .bind(lease.as_secs_f64())
        .bind(limit)
        .bind(per_org)
        .bind(skip)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            // One by one: a secret that does not open (written under a key no longer
            // configured, or moved from another row) holds up its own delivery only, which
            // is tried again when its lease ends.
            let slot = Slot::webhook_secret(r.organization_id, r.endpoint_id);
            let secret = match self.cipher.open_str(&r.secret, &slot) {
                Ok(secret) => secret,
                Err(e) => {
                    warn!(delivery = %r.id, endpoint = %r.endpoint_id, error = %e,
                          "cannot open the endpoint's signing secret; the delivery waits");
                    continue;
                }
            };
            out.push(DueDelivery {
                organization_id: r.organization_id,
                id: r.id,
                endpoint_id: r.endpoint_id,
                event: r.event,
                body: r.body,
                attempts: r.attempts,
                url: r.url,
                secret,
            });
        }
        Ok(out)
    }
}
