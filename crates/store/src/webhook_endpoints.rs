//! Webhook endpoints of an organization: created (at most a given number), listed, read and
//! deleted, with the log of their deliveries and attempts. The outbox and the delivery
//! machinery are in `webhooks`.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::ids::{OrgId, WebhookEndpointId};
use crate::keyset;
use crate::webhooks::{AttemptRow, DeliveryRow, ENDPOINT_COLUMNS, WebhookEndpoint};
use crate::{Store, StoreError};

impl Store {
    /// Creates an endpoint that does not receive initial-sync changes; see
    /// [`Store::create_webhook_endpoint_with`].
    pub async fn create_webhook_endpoint(
        &self,
        org: OrgId,
        url: &str,
        events: &[String],
        description: Option<&str>,
        secret: &str,
        max: i64,
    ) -> Result<Option<WebhookEndpoint>, StoreError> {
        self.create_webhook_endpoint_with(org, url, events, description, false, secret, max)
            .await
    }

    /// Creates an endpoint unless the organization already has `max` of them (`None`);
    /// `secret` is encrypted before it is stored. Concurrent creations of one organization
    /// take turns, so the cap holds. With `include_initial_sync` it also receives the
    /// changed-data events of accounts' initial syncs.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_webhook_endpoint_with(
        &self,
        org: OrgId,
        url: &str,
        events: &[String],
        description: Option<&str>,
        include_initial_sync: bool,
        secret: &str,
        max: i64,
    ) -> Result<Option<WebhookEndpoint>, StoreError> {
        let id = WebhookEndpointId::new_v4();
        let ct = self
            .cipher
            .seal_str(secret, &crate::Slot::webhook_secret(org, id))?;
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(format!("webhook-endpoints/{org}"))
            .execute(&mut *tx)
            .await?;
        let count: i64 =
            sqlx::query_scalar("SELECT count(*) FROM webhook_endpoints WHERE organization_id = $1")
                .bind(org)
                .fetch_one(&mut *tx)
                .await?;
        if count >= max {
            return Ok(None);
        }
        let created = sqlx::query_as::<_, WebhookEndpoint>(sqlx::AssertSqlSafe(format!(
            "INSERT INTO webhook_endpoints (organization_id, id, url, events, secret, description,
                 include_initial_sync)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {ENDPOINT_COLUMNS}"
        )))
        .bind(org)
        .bind(id)
        .bind(url)
        .bind(events)
        .bind(ct)
        .bind(description)
        .bind(include_initial_sync)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(created))
    }

    /// The organization's endpoints, oldest first.
    pub async fn list_webhook_endpoints(
        &self,
        org: OrgId,
    ) -> Result<Vec<WebhookEndpoint>, StoreError> {
        Ok(
            sqlx::query_as::<_, WebhookEndpoint>(sqlx::AssertSqlSafe(format!(
                "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE organization_id = $1
             ORDER BY created_at, id"
            )))
            .bind(org)
            .fetch_all(&self.pool)
            .await?,
        )
    }

    /// One of the organization's endpoints.
    pub async fn webhook_endpoint(
        &self,
        org: OrgId,
        id: WebhookEndpointId,
    ) -> Result<WebhookEndpoint, StoreError> {
        sqlx::query_as::<_, WebhookEndpoint>(sqlx::AssertSqlSafe(format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE organization_id = $1 AND id = $2"
        )))
        .bind(org)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)
    }

    /// Changes what an endpoint receives: its events, its description (`Some(None)` clears
    /// it) and whether it receives initial-sync changes; `None` keeps a value. Events already
    /// fanned out keep their deliveries.
    pub async fn update_webhook_endpoint(
        &self,
        org: OrgId,
        id: WebhookEndpointId,
        events: Option<&[String]>,
        description: Option<Option<&str>>,
        include_initial_sync: Option<bool>,
    ) -> Result<WebhookEndpoint, StoreError> {
        sqlx::query_as::<_, WebhookEndpoint>(sqlx::AssertSqlSafe(format!(
            "UPDATE webhook_endpoints SET
                 events = COALESCE($3, events),
                 description = CASE WHEN $4 THEN $5 ELSE description END,
                 include_initial_sync = COALESCE($6, include_initial_sync),
                 updated_at = now()
             WHERE organization_id = $1 AND id = $2
             RETURNING {ENDPOINT_COLUMNS}"
        )))
        .bind(org)
        .bind(id)
        .bind(events)
        .bind(description.is_some())
        .bind(description.flatten())
        .bind(include_initial_sync)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)
    }

    /// Deletes an endpoint with its deliveries and their attempt log.
    pub async fn delete_webhook_endpoint(
        &self,
        org: OrgId,
        id: WebhookEndpointId,
    ) -> Result<(), StoreError> {
        let n = sqlx::query("DELETE FROM webhook_endpoints WHERE organization_id = $1 AND id = $2")
            .bind(org)
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// An endpoint's deliveries in keyset order `(created_at, id)`: after `after`, or (the
    /// page before) before `before`; `limit` rows, oldest first.
    pub async fn webhook_deliveries(
        &self,
        org: OrgId,
        endpoint: WebhookEndpointId,
        after: Option<(DateTime<Utc>, Uuid)>,
        before: Option<(DateTime<Utc>, Uuid)>,
        limit: i64,
    ) -> Result<Vec<DeliveryRow>, StoreError> {
        let mut q = sqlx::QueryBuilder::new(
            "SELECT id, event, linked_account_id, status, attempts, next_attempt_at, last_error,
                    created_at, finished_at
             FROM webhook_deliveries WHERE organization_id = ",
        );
        q.push_bind(org)
            .push(" AND endpoint_id = ")
            .push_bind(endpoint);
        Ok(keyset::fetch_page(q, &self.pool, "", after, before, limit).await?)
    }

    /// The attempts of some deliveries, in order.
    pub async fn webhook_attempts(
        &self,
        org: OrgId,
        deliveries: &[Uuid],
    ) -> Result<Vec<AttemptRow>, StoreError> {
        Ok(sqlx::query_as::<_, AttemptRow>(
            "SELECT delivery_id, attempt, started_at, duration_ms, response_status, error,
                    response_body, succeeded
             FROM webhook_attempts WHERE organization_id = $1 AND delivery_id = ANY($2)
             ORDER BY delivery_id, attempt",
        )
        .bind(org)
        .bind(deliveries)
        .fetch_all(&self.pool)
        .await?)
    }
}
