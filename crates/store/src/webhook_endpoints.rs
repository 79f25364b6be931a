//! Webhook endpoints of an organization: created (at most a given number), listed, read and
//! deleted. Deliveries and the outbox are in `webhooks`.

use uuid::Uuid;

use crate::webhooks::{ENDPOINT_COLUMNS, WebhookEndpoint};
use crate::{Store, StoreError};

impl Store {
    /// Creates an endpoint unless the organization already has `max` of them (`None`);
    /// `secret` is encrypted before it is stored. Concurrent creations of one organization
    /// take turns, so the cap holds.
    pub async fn create_webhook_endpoint(
        &self,
        org: Uuid,
        url: &str,
        events: &[String],
        description: Option<&str>,
        secret: &str,
        max: i64,
    ) -> Result<Option<WebhookEndpoint>, StoreError> {
        let ct = self.cipher.encrypt_str(secret)?;
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
            "INSERT INTO webhook_endpoints (organization_id, id, url, events, secret, description)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {ENDPOINT_COLUMNS}"
        )))
        .bind(org)
        .bind(Uuid::new_v4())
        .bind(url)
        .bind(events)
        .bind(ct)
        .bind(description)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(created))
    }

    /// The organization's endpoints, oldest first.
    pub async fn list_webhook_endpoints(
        &self,
        org: Uuid,
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
        org: Uuid,
        id: Uuid,
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

    /// Deletes an endpoint with its deliveries and their attempt log.
    pub async fn delete_webhook_endpoint(&self, org: Uuid, id: Uuid) -> Result<(), StoreError> {
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
}
