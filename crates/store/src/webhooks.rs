//! Outbound webhooks: receiver endpoints per organization (secrets encrypted at rest), the
//! outbox of events, deliveries (one per endpoint and event, claimed with a lease so that
//! any number of processes can deliver) and the log of every attempt.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::FromRow;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::time::Duration;
use uuid::Uuid;

use crate::ids::{LinkedAccountId, OrgId, WebhookEndpointId};
use crate::{Store, StoreError};

pub use crate::webhook_claims::DueDelivery;

/// A receiver endpoint (without its secret).
#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct WebhookEndpoint {
    /// Its id (the `hook.id` of payloads).
    pub id: WebhookEndpointId,
    /// Where events are POSTed.
    pub url: String,
    /// Event names it receives; empty: every event.
    pub events: Vec<String>,
    /// A label.
    pub description: Option<String>,
    /// False once disabled after sustained failure.
    pub is_active: bool,
    /// Why it was disabled.
    pub disabled_reason: Option<String>,
    /// Start of the current run of failures.
    pub failing_since: Option<DateTime<Utc>>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Receives the changed-data events of an account's initial sync too (one per record).
    pub include_initial_sync: bool,
}

pub(crate) const ENDPOINT_COLUMNS: &str = "id, url, events, description, is_active, \
    disabled_reason, failing_since, created_at, include_initial_sync";

/// An event waiting to be fanned out.
#[derive(Debug, Clone, FromRow)]
pub struct PendingEvent {
    /// The organization.
    pub organization_id: OrgId,
    /// Its id.
    pub id: Uuid,
    /// Event name, e.g. `LinkedAccount.linked`.
    pub event: String,
    /// The linked account it is about.
    pub linked_account_id: Option<LinkedAccountId>,
    /// Merge's `linked_account` object.
    pub linked_account: Value,
    /// Merge's `data` object.
    pub data: Value,
    /// A changed-data event of an account's initial sync: only endpoints with
    /// `include_initial_sync` get it.
    pub from_initial_sync: bool,
}

/// A delivery as listed for an endpoint.
#[derive(Debug, Clone, FromRow)]
pub struct DeliveryRow {
    /// Its id (`webhook-id`).
    pub id: Uuid,
    /// The event name.
    pub event: String,
    /// The linked account it is about.
    pub linked_account_id: Option<LinkedAccountId>,
    /// `pending`, `delivered`, `failed` or `cancelled`.
    pub status: String,
    /// Attempts made.
    pub attempts: i32,
    /// When the next attempt is due (pending only).
    pub next_attempt_at: DateTime<Utc>,
    /// The last failure.
    pub last_error: Option<String>,
    /// When the event was queued for this endpoint.
    pub created_at: DateTime<Utc>,
    /// When it was delivered or given up.
    pub finished_at: Option<DateTime<Utc>>,
}

/// One logged attempt.
#[derive(Debug, Clone, FromRow)]
pub struct AttemptRow {
    /// The delivery.
    pub delivery_id: Uuid,
    /// 1 for the first attempt.
    pub attempt: i32,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// How long it took.
    pub duration_ms: i32,
    /// The receiver's HTTP status, if it answered.
    pub response_status: Option<i32>,
    /// Why it failed without an answer (connection, timeout, refused address).
    pub error: Option<String>,
    /// The start of the receiver's answer.
    pub response_body: Option<String>,
    /// A 2xx answer.
    pub succeeded: bool,
}

/// The result of one attempt, to record.
#[derive(Debug, Clone)]
pub struct AttemptResult {
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// How long it took.
    pub duration: Duration,
    /// The receiver's HTTP status.
    pub response_status: Option<u16>,
    /// The failure without an answer.
    pub error: Option<String>,
    /// The start of the answer.
    pub response_body: Option<String>,
    /// A 2xx answer.
    pub succeeded: bool,
}

/// An endpoint an event goes to: its id and URL.
type Target = (WebhookEndpointId, String);

/// Deliveries to write in one statement, column by column.
#[derive(Default)]
struct Deliveries {
    orgs: Vec<OrgId>,
    ids: Vec<Uuid>,
    endpoints: Vec<WebhookEndpointId>,
    events: Vec<String>,
    accounts: Vec<Option<LinkedAccountId>>,
    bodies: Vec<String>,
}

/// What happens to a delivery after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again at this time.
    RetryAt(DateTime<Utc>),
    /// The schedule is exhausted.
    GiveUp,
}

impl Store {
    /// Queues an event for the organization's endpoints; nothing is queued when it has no
    /// active endpoint. Returns whether it was queued.
    pub async fn enqueue_webhook_event(
        &self,
        org: OrgId,
        event: &str,
        linked_account: Option<LinkedAccountId>,
        linked_account_json: &Value,
        data: &Value,
    ) -> Result<bool, StoreError> {
        let n = sqlx::query(
            "INSERT INTO webhook_events (organization_id, id, event, linked_account_id, linked_account, data)
             SELECT $1, $2, $3, $4, $5, $6
             WHERE EXISTS (SELECT 1 FROM webhook_endpoints WHERE organization_id = $1 AND is_active)",
        )
        .bind(org)
        .bind(Uuid::new_v4())
        .bind(event)
        .bind(linked_account)
        .bind(linked_account_json)
        .bind(data)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Fans out up to `limit` queued events: one delivery per active endpoint subscribed to
    /// the event, with the body `body(event, endpoint_id, endpoint_url)`; the events are then
    /// removed. Runs in one transaction; concurrent callers take different events.
    /// Returns the number of events fanned out.
    pub async fn fan_out_webhook_events<F>(&self, limit: i64, body: F) -> Result<usize, StoreError>
    where
        F: Fn(&PendingEvent, WebhookEndpointId, &str) -> String,
    {
        let mut tx = self.pool.begin().await?;
        let events: Vec<PendingEvent> = sqlx::query_as(
            "SELECT organization_id, id, event, linked_account_id, linked_account, data,
                    from_initial_sync
             FROM webhook_events ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED",
        )
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        // The endpoints are read once per (organization, event, initial) of the claimed
        // events, and the deliveries written and the events removed in one statement each:
        // a sync can queue thousands of changed-data events.
        let mut subscribed: HashMap<(OrgId, &str, bool), Vec<Target>> = HashMap::new();
        let mut out = Deliveries::default();
        for ev in &events {
            let key = (ev.organization_id, ev.event.as_str(), ev.from_initial_sync);
            if let Entry::Vacant(slot) = subscribed.entry(key) {
                let endpoints: Vec<Target> = sqlx::query_as(
                    "SELECT id, url FROM webhook_endpoints
                     WHERE organization_id = $1 AND is_active
                       AND (cardinality(events) = 0 OR $2 = ANY(events))
                       AND (include_initial_sync OR NOT $3)",
                )
                .bind(ev.organization_id)
                .bind(&ev.event)
                .bind(ev.from_initial_sync)
                .fetch_all(&mut *tx)
                .await?;
                slot.insert(endpoints);
            }
            for (endpoint, url) in subscribed.get(&key).into_iter().flatten() {
                out.orgs.push(ev.organization_id);
                out.ids.push(Uuid::new_v4());
                out.endpoints.push(*endpoint);
                out.events.push(ev.event.clone());
                out.accounts.push(ev.linked_account_id);
                out.bodies.push(body(ev, *endpoint, url));
            }
        }
        if !out.ids.is_empty() {
            sqlx::query(
                "INSERT INTO webhook_deliveries
                   (organization_id, id, endpoint_id, event, linked_account_id, body)
                 SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::uuid[],
                                      $6::text[])",
            )
            .bind(&out.orgs)
            .bind(&out.ids)
            .bind(&out.endpoints)
            .bind(&out.events)
            .bind(&out.accounts)
            .bind(&out.bodies)
            .execute(&mut *tx)
            .await?;
        }
        let orgs: Vec<OrgId> = events.iter().map(|e| e.organization_id).collect();
        let ids: Vec<Uuid> = events.iter().map(|e| e.id).collect();
        sqlx::query(
            "DELETE FROM webhook_events e USING UNNEST($1::uuid[], $2::uuid[]) AS d(org, id)
             WHERE e.organization_id = d.org AND e.id = d.id",
        )
        .bind(&orgs)
        .bind(&ids)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(events.len())
    }

    /// Records an attempt and its consequence, if this worker still holds the delivery:
    /// delivered; or retried at a time; or given up. A failure starts (or continues) the
    /// endpoint's run of failures; when that run has lasted `disable_after`, the endpoint is
    /// disabled and its pending deliveries cancelled. Returns true if it was disabled now.
    pub async fn record_webhook_attempt(
        &self,
        worker: &str,
        d: &DueDelivery,
        result: &AttemptResult,
        after_failure: AfterFailure,
        disable_after: Duration,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let held: Option<i32> = sqlx::query_scalar(
            "SELECT attempts FROM webhook_deliveries
             WHERE organization_id = $1 AND id = $2 AND locked_by = $3 AND status = 'pending'
             FOR UPDATE",
        )
        .bind(d.organization_id)
        .bind(d.id)
        .bind(worker)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(before) = held else {
            // The lease expired and another worker took over: it records its own attempt.
            return Ok(false);
        };
        let attempt = before + 1;
        sqlx::query(
            "INSERT INTO webhook_attempts (organization_id, id, delivery_id, attempt, started_at,
                 duration_ms, response_status, error, response_body, succeeded)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(d.organization_id)
        .bind(Uuid::new_v4())
        .bind(d.id)
        .bind(attempt)
        .bind(result.started_at)
        .bind(i32::try_from(result.duration.as_millis()).unwrap_or(i32::MAX))
        .bind(result.response_status.map(i32::from))
        .bind(&result.error)
        .bind(&result.response_body)
        .bind(result.succeeded)
        .execute(&mut *tx)
        .await?;
        let mut disabled = false;
        if result.succeeded {
            sqlx::query(
                "UPDATE webhook_deliveries SET status = 'delivered', attempts = $3, finished_at = now(),
                        locked_by = NULL, locked_until = NULL, last_error = NULL
                 WHERE organization_id = $1 AND id = $2",
            )
            .bind(d.organization_id)
            .bind(d.id)
            .bind(attempt)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE webhook_endpoints SET failing_since = NULL
                 WHERE organization_id = $1 AND id = $2 AND failing_since IS NOT NULL",
            )
            .bind(d.organization_id)
            .bind(d.endpoint_id)
            .execute(&mut *tx)
            .await?;
        } else {
            let error = result
                .error
                .clone()
                .or_else(|| result.response_status.map(|s| format!("HTTP {s}")))
                .unwrap_or_else(|| "failed".into());
            let (status, next) = match after_failure {
                AfterFailure::RetryAt(at) => ("pending", Some(at)),
                AfterFailure::GiveUp => ("failed", None),
            };
            sqlx::query(
                "UPDATE webhook_deliveries SET status = $3, attempts = $4,
                        next_attempt_at = COALESCE($5, next_attempt_at),
                        finished_at = CASE WHEN $3 = 'pending' THEN NULL ELSE now() END,
                        locked_by = NULL, locked_until = NULL, last_error = $6
                 WHERE organization_id = $1 AND id = $2",
            )
            .bind(d.organization_id)
            .bind(d.id)
            .bind(status)
            .bind(attempt)
            .bind(next)
            .bind(&error)
            .execute(&mut *tx)
            .await?;
            let failing_for: Option<f64> = sqlx::query_scalar(
                "UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, $3)
                 WHERE organization_id = $1 AND id = $2
                 RETURNING EXTRACT(EPOCH FROM (now() - failing_since))::float8",
            )
            .bind(d.organization_id)
            .bind(d.endpoint_id)
            .bind(result.started_at)
            .fetch_optional(&mut *tx)
            .await?;
            if failing_for.is_some_and(|s| s >= disable_after.as_secs_f64()) {
                let reason = format!(
                    "disabled after failing for {} s without a success; last error: {error}",
                    disable_after.as_secs()
                );
                sqlx::query(
                    "UPDATE webhook_endpoints SET is_active = false, disabled_reason = $3,
                            updated_at = now()
                     WHERE organization_id = $1 AND id = $2",
                )
                .bind(d.organization_id)
                .bind(d.endpoint_id)
                .bind(&reason)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "UPDATE webhook_deliveries SET status = 'cancelled', finished_at = now(),
                            locked_by = NULL, locked_until = NULL
                     WHERE organization_id = $1 AND endpoint_id = $2 AND status = 'pending'",
                )
                .bind(d.organization_id)
                .bind(d.endpoint_id)
                .execute(&mut *tx)
                .await?;
                disabled = true;
            }
        }
        tx.commit().await?;
        Ok(disabled)
    }

    /// Removes finished deliveries (and their attempts) older than `age`.
    pub async fn purge_webhook_deliveries(&self, age: Duration) -> Result<u64, StoreError> {
        Ok(sqlx::query(
            "DELETE FROM webhook_deliveries
             WHERE status <> 'pending' AND finished_at < now() - make_interval(secs => $1)",
        )
        .bind(age.as_secs_f64())
        .execute(&self.pool)
        .await?
        .rows_affected())
    }
}
