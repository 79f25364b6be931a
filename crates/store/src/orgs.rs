//! Organizations (our tenants) and their API keys, stored as SHA-256 hashes.

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use crate::auth_cache::CacheKey;
use crate::crypto::{api_key_hash, api_key_matches, random_token};
use crate::ids::{ApiKeyId, OrgId};
use crate::{Store, StoreError};

/// An organization.
#[derive(Debug, Clone, FromRow)]
pub struct Organization {
    /// Its id.
    pub id: OrgId,
    /// Its unique name.
    pub name: String,
}

/// An API key's metadata (never the key itself).
#[derive(Debug, Clone, FromRow)]
pub struct ApiKeyInfo {
    /// Its id.
    pub id: ApiKeyId,
    /// The organization it belongs to.
    pub organization_id: OrgId,
    /// Its label.
    pub name: String,
    /// The first characters, for recognising it.
    pub prefix: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A newly created key: shown once.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    /// Its metadata.
    pub info: ApiKeyInfo,
    /// The secret key itself.
    pub key: String,
}

impl Store {
    /// Finds an organization by name, creating it if needed.
    pub async fn ensure_organization(&self, name: &str) -> Result<Organization, StoreError> {
        let org = sqlx::query_as::<_, Organization>(
            "INSERT INTO organizations (id, name) VALUES ($1, $2)
             ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name
             RETURNING id, name",
        )
        .bind(OrgId::new_v4())
        .bind(name)
        .fetch_one(&self.pool)
        .await?;
        Ok(org)
    }

    /// Finds an organization by name.
    pub async fn organization_by_name(&self, name: &str) -> Result<Organization, StoreError> {
        sqlx::query_as::<_, Organization>("SELECT id, name FROM organizations WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// Creates an API key for the organization.
    pub async fn create_api_key(&self, org: OrgId, name: &str) -> Result<NewApiKey, StoreError> {
        let key = random_token("dbk_");
        let prefix: String = key.chars().take(10).collect();
        let info = sqlx::query_as::<_, ApiKeyInfo>(
            "INSERT INTO api_keys (id, organization_id, name, prefix, key_hash)
             VALUES ($1, $2, $3, $4, $5)
             RETURNING id, organization_id, name, prefix, created_at, revoked_at",
        )
        .bind(ApiKeyId::new_v4())
        .bind(org)
        .bind(name)
        .bind(&prefix)
        .bind(api_key_hash(&key))
        .fetch_one(&self.pool)
        .await?;
        Ok(NewApiKey { info, key })
    }

    /// The organization's keys.
    pub async fn list_api_keys(&self, org: OrgId) -> Result<Vec<ApiKeyInfo>, StoreError> {
        Ok(sqlx::query_as::<_, ApiKeyInfo>(
            "SELECT id, organization_id, name, prefix, created_at, revoked_at
             FROM api_keys WHERE organization_id = $1 ORDER BY created_at, id",
        )
        .bind(org)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Revokes a key by id (any organization: used by the operator's CLI).
    pub async fn revoke_api_key(&self, key_id: ApiKeyId) -> Result<ApiKeyInfo, StoreError> {
        let info = sqlx::query_as::<_, ApiKeyInfo>(
            "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1
             RETURNING id, organization_id, name, prefix, created_at, revoked_at",
        )
        .bind(key_id)
        .fetch_optional(&self.pool)
        .await?;
        // At once in this process too; the trigger's notification reaches the others.
        self.auth_cache().invalidate(None);
        self.confirm_revocation().await;
        info.ok_or(StoreError::NotFound)
    }

    /// Revokes every live key of the organization with this name (regenerate-key).
    pub async fn revoke_api_keys_named(&self, org: OrgId, name: &str) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE api_keys SET revoked_at = now()
             WHERE organization_id = $1 AND name = $2 AND revoked_at IS NULL",
        )
        .bind(org)
        .bind(name)
        .execute(&self.pool)
        .await?;
        // At once in this process too; the trigger's notification reaches the others.
        self.auth_cache().invalidate(Some(org));
        if done.rows_affected() > 0 {
            self.confirm_revocation().await;
        }
        Ok(done.rows_affected())
    }

    /// Revokes the organization's live keys named `name` and creates a new key of that name,
    /// in one transaction (`POST /regenerate-key`); `None` when no live key has that name.
    pub async fn regenerate_api_key(
        &self,
        org: OrgId,
        name: &str,
    ) -> Result<Option<NewApiKey>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let revoked = sqlx::query(
            "UPDATE api_keys SET revoked_at = now()
             WHERE organization_id = $1 AND name = $2 AND revoked_at IS NULL",
        )
        .bind(org)
        .bind(name)
        .execute(&mut *tx)
        .await?;
        if revoked.rows_affected() == 0 {
            return Ok(None);
        }
        let key = random_token("dbk_");
        let prefix: String = key.chars().take(10).collect();
        let info = sqlx::query_as::<_, ApiKeyInfo>(
            "INSERT INTO api_keys (id, organization_id, name, prefix, key_hash)
             VALUES ($1, $2, $3, $4, $5)
             RETURNING id, organization_id, name, prefix, created_at, revoked_at",
        )
        .bind(ApiKeyId::new_v4())
        .bind(org)
        .bind(name)
        .bind(&prefix)
        .bind(api_key_hash(&key))
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        // At once in this process too; the trigger's notification reaches the others.
        self.auth_cache().invalidate(Some(org));
        self.confirm_revocation().await;
        Ok(Some(NewApiKey { info, key }))
    }

    /// Authenticates an API key; returns its organization and key id.
    pub async fn authenticate_api_key(
        &self,
        key: &str,
    ) -> Result<Option<(Organization, ApiKeyId)>, StoreError> {
        let hash = api_key_hash(key);
        let cache_key = CacheKey::Key(hash.clone());
        if let Some((org, key_id)) = self
            .auth_cache()
            .get::<(Organization, ApiKeyId)>(&cache_key)
        {
            return Ok(Some((org, key_id)));
        }
        let generation = self.auth_cache().generation();
        let row: Option<(ApiKeyId, OrgId, String, Vec<u8>)> = sqlx::query_as(
            "SELECT k.id, o.id, o.name, k.key_hash FROM api_keys k
             JOIN organizations o ON o.id = k.organization_id
             WHERE k.key_hash = $1 AND k.revoked_at IS NULL",
        )
        .bind(&hash)
        .fetch_optional(&self.pool)
        .await?;
        let found = row.and_then(|(key_id, id, name, stored)| {
            api_key_matches(&stored, &hash).then_some((Organization { id, name }, key_id))
        });
        if let Some((org, key_id)) = &found {
            self.auth_cache()
                .put(cache_key, generation, org.id, (org.clone(), *key_id));
        }
        Ok(found)
    }
}
