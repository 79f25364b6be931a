//! Linked accounts: a customer's helpdesk linked to one organization, with its credentials
//! encrypted (bound to their row) and its account token kept as a keyed hash (for lookup)
//! plus ciphertext (so a relink hands back the same token).

use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;
use sqlx::{FromRow, Row};
use uuid::Uuid;

use crate::auth_cache::CacheKey;
use crate::crypto::{Slot, api_key_hash, api_key_matches, random_token};
use crate::ids::{ApiKeyId, LinkedAccountId, OrgId};
use crate::keyset;
use crate::orgs::Organization;
use crate::{Store, StoreError};

/// A linked account as stored (without secrets).
#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct LinkedAccount {
    /// Its id.
    pub id: LinkedAccountId,
    /// The owning organization.
    pub organization_id: OrgId,
    /// The integration slug, e.g. `freshdesk`.
    pub integration: String,
    /// The product's id for its end customer.
    pub end_user_origin_id: String,
    /// The end customer's organization name.
    pub end_user_organization_name: String,
    /// The end customer's email address.
    pub end_user_email_address: String,
    /// The helpdesk domain as given when linking.
    pub subdomain: String,
    /// `COMPLETE`, `INCOMPLETE`, `RELINK_NEEDED` or `IDLE`.
    pub status: String,
    /// Why the status is what it is (e.g. the relink reason).
    pub status_detail: Option<String>,
    /// When it was first linked.
    pub created_at: DateTime<Utc>,
    /// When linking last completed.
    pub completed_at: DateTime<Utc>,
}

pub(crate) const COLUMNS: &str = "id, organization_id, integration, end_user_origin_id, \
    end_user_organization_name, end_user_email_address, subdomain, status, status_detail, \
    created_at, completed_at";

impl LinkedAccount {
    /// Merge's `linked_account` object of a webhook payload: identifying fields only, never
    /// credentials or tokens. (The linked-account trigger of the migrations builds the same
    /// object for the events it queues.)
    pub fn webhook_json(&self) -> serde_json::Value {
        let mut name = self.integration.clone();
        if let Some(first) = name.get(0..1) {
            name = format!("{}{}", first.to_ascii_uppercase(), &self.integration[1..]);
        }
        serde_json::json!({
            "id": self.id,
            "integration": name,
            "integration_slug": self.integration,
            "category": "ticketing",
            "end_user_origin_id": self.end_user_origin_id,
            "end_user_organization_name": self.end_user_organization_name,
            "end_user_email_address": self.end_user_email_address,
            "status": self.status,
            "webhook_listener_url": "",
            "is_duplicate": false,
        })
    }
}

/// What is needed to link (or relink) an account.
#[derive(Debug, Clone)]
pub struct NewLink {
    /// Integration slug.
    pub integration: String,
    /// The product's id for its end customer.
    pub end_user_origin_id: String,
    /// The end customer's organization name.
    pub end_user_organization_name: String,
    /// The end customer's email address.
    pub end_user_email_address: String,
    /// The helpdesk domain.
    pub subdomain: String,
    /// The credentials as JSON text; encrypted before storing.
    pub credentials_json: String,
    /// Which helpdesk the credentials lead to (its resolved base URL), when the provider
    /// knows: a relink to another one starts the account afresh.
    pub base_url: Option<String>,
    /// Also queue the account's sync in the link's transaction: a scheduler that looks
    /// between the link and a separate enqueue would queue a second, concurrent first sync.
    pub queue_sync: bool,
}

/// The result of linking.
#[derive(Debug, Clone)]
pub struct Linked {
    /// The account.
    pub account: LinkedAccount,
    /// Its account token (the same one on a relink).
    pub account_token: String,
    /// True when a new account was created, false on a relink.
    pub created: bool,
    /// True on a relink to a different helpdesk: the old one's records, checkpoints,
    /// metadata and runs were deleted, and the next sync is an initial one.
    pub helpdesk_changed: bool,
}

/// Filters of `GET /linked-accounts`.
#[derive(Debug, Clone, Default)]
pub struct LinkedAccountFilter {
    /// Exact end-user email.
    pub end_user_email_address: Option<String>,
    /// Exact end-user organization name.
    pub end_user_organization_name: Option<String>,
    /// Any of these origin ids.
    pub end_user_origin_ids: Option<Vec<String>>,
    /// Any of these ids.
    pub ids: Option<Vec<LinkedAccountId>>,
    /// Integration slug or name (case-insensitive).
    pub integration_name: Option<String>,
    /// Status.
    pub status: Option<String>,
    /// Keyset position: (created_at, id) strictly after.
    pub after: Option<(DateTime<Utc>, Uuid)>,
    /// Keyset position: (created_at, id) strictly before (previous page).
    pub before: Option<(DateTime<Utc>, Uuid)>,
    /// Page size + 1 is fetched.
    pub limit: i64,
}

impl Store {
    /// Links an account, or relinks the existing one with the same origin id and integration
    /// (new credentials, status back to `COMPLETE`, same token).
    pub async fn link_account(&self, org: OrgId, link: &NewLink) -> Result<Linked, StoreError> {
        // Made before the transaction: the first token hash of a process reads its key from
        // the database on another connection.
        let new_token = random_token("dbat_");
        let new_hash = self.token_hash(&new_token).await?;
        let mut tx = self.pool.begin().await?;
        // Concurrent links of one end user take turns: without this, two first links both
        // find no row to lock and one fails on the unique key.
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(format!(
                "link/{org}/{}/{}",
                link.integration, link.end_user_origin_id
            ))
            .execute(&mut *tx)
            .await?;
        let existing: Option<(LinkedAccountId, Vec<u8>, Option<String>, String)> = sqlx::query_as(
            "SELECT id, account_token, base_url, subdomain FROM linked_accounts
             WHERE organization_id = $1 AND integration = $2 AND end_user_origin_id = $3
             FOR UPDATE",
        )
        .bind(org)
        .bind(&link.integration)
        .bind(&link.end_user_origin_id)
        .fetch_optional(&mut *tx)
        .await?;
        let mut changed = false;
        let (account, token, created) = if let Some((id, token_ct, base, domain)) = existing {
            let token = self
                .cipher
                .open_str(&token_ct, &Slot::account("account_token", org, id))?;
            let creds = self.cipher.seal_str(
                &link.credentials_json,
                &Slot::account("credentials", org, id),
            )?;
            changed = crate::relink::helpdesk_changed(
                base.as_deref(),
                &domain,
                link.base_url.as_deref(),
                &link.subdomain,
            );
            if changed {
                crate::relink::purge_helpdesk(&mut tx, id).await?;
            }
            let account = sqlx::query_as::<_, LinkedAccount>(AssertSqlSafe(format!(
                "UPDATE linked_accounts SET end_user_organization_name = $3,
                   end_user_email_address = $4, subdomain = $5, credentials = $6,
                   base_url = $7, helpdesk_generation = helpdesk_generation + $8::int,
                   status = 'COMPLETE', status_detail = NULL, completed_at = now(), updated_at = now()
                 WHERE organization_id = $1 AND id = $2 RETURNING {COLUMNS}"
            )))
            .bind(org)
            .bind(id)
            .bind(&link.end_user_organization_name)
            .bind(&link.end_user_email_address)
            .bind(&link.subdomain)
            .bind(&creds)
            .bind(&link.base_url)
            .bind(i32::from(changed))
            .fetch_one(&mut *tx)
            .await?;
            (account, token, false)
        } else {
            let token = new_token;
            let id = LinkedAccountId::new_v4();
            let creds = self.cipher.seal_str(
                &link.credentials_json,
                &Slot::account("credentials", org, id),
            )?;
            let account = sqlx::query_as::<_, LinkedAccount>(AssertSqlSafe(format!(
                "INSERT INTO linked_accounts (id, organization_id, integration, end_user_origin_id,
                   end_user_organization_name, end_user_email_address, subdomain, credentials,
                   account_token_hash, account_token, base_url)
                 VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) RETURNING {COLUMNS}"
            )))
            .bind(id)
            .bind(org)
            .bind(&link.integration)
            .bind(&link.end_user_origin_id)
            .bind(&link.end_user_organization_name)
            .bind(&link.end_user_email_address)
            .bind(&link.subdomain)
            .bind(&creds)
            .bind(&new_hash)
            .bind(
                self.cipher
                    .seal_str(&token, &Slot::account("account_token", org, id))?,
            )
            .bind(&link.base_url)
            .fetch_one(&mut *tx)
            .await?;
            (account, token, true)
        };
        if link.queue_sync {
            sqlx::query(
                "INSERT INTO jobs (id, linked_account_id, kind) VALUES ($1, $2, 'sync')
                 ON CONFLICT (linked_account_id, kind) WHERE status = 'queued' DO NOTHING",
            )
            .bind(Uuid::new_v4())
            .bind(account.id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        // At once in this process too; the trigger's notification reaches the others.
        self.auth_cache().invalidate(Some(org));
        Ok(Linked {
            account,
            account_token: token,
            created,
            helpdesk_changed: changed,
        })
    }

    /// Finds the organization's linked account by its account token.
    pub async fn account_by_token(
        &self,
        org: OrgId,
        token: &str,
    ) -> Result<Option<LinkedAccount>, StoreError> {
        Ok(sqlx::query_as::<_, LinkedAccount>(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM linked_accounts
             WHERE organization_id = $1 AND account_token_hash = $2"
        )))
        .bind(org)
        .bind(self.token_hash(token).await?)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The organization of an API key and its linked account of an account token, in one
    /// statement (the per-request authentication of the account endpoints). `None`: the key is
    /// unknown or revoked; `Some((org, key_id, None))`: the key is valid but the token is not
    /// one of its organization's.
    pub async fn authenticate_account(
        &self,
        api_key: &str,
        token: &str,
    ) -> Result<Option<(Organization, ApiKeyId, Option<LinkedAccount>)>, StoreError> {
        let hash = api_key_hash(api_key);
        let token_hash = self.token_hash(token).await?;
        let cache_key = CacheKey::Account(hash.clone(), token_hash.clone());
        if let Some((org, key_id, account)) =
            self.auth_cache()
                .get::<(Organization, ApiKeyId, LinkedAccount)>(&cache_key)
        {
            return Ok(Some((org, key_id, Some(account))));
        }
        let generation = self.auth_cache().generation();
        let columns: Vec<String> = COLUMNS.split(", ").map(|c| format!("la.{c}")).collect();
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT k.id AS key_id, o.id AS org_id, o.name AS org_name, k.key_hash, {}
             FROM api_keys k JOIN organizations o ON o.id = k.organization_id
             LEFT JOIN linked_accounts la
                    ON la.organization_id = o.id AND la.account_token_hash = $2
             WHERE k.key_hash = $1 AND k.revoked_at IS NULL",
            columns.join(", ")
        )))
        .bind(&hash)
        .bind(&token_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let stored: Vec<u8> = row.try_get("key_hash")?;
        if !api_key_matches(&stored, &hash) {
            return Ok(None);
        }
        let org = Organization {
            id: row.try_get("org_id")?,
            name: row.try_get("org_name")?,
        };
        let key_id: ApiKeyId = row.try_get("key_id")?;
        let account = match row.try_get::<Option<LinkedAccountId>, _>("id")? {
            Some(_) => Some(LinkedAccount::from_row(&row)?),
            None => None,
        };
        // Only a complete success is kept: an unknown token is asked again each time.
        if let Some(account) = &account {
            self.auth_cache().put(
                cache_key,
                generation,
                org.id,
                (org.clone(), key_id, account.clone()),
            );
        }
        Ok(Some((org, key_id, account)))
    }

    /// One of the organization's linked accounts.
    pub async fn linked_account(
        &self,
        org: OrgId,
        id: LinkedAccountId,
    ) -> Result<LinkedAccount, StoreError> {
        sqlx::query_as::<_, LinkedAccount>(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM linked_accounts WHERE organization_id = $1 AND id = $2"
        )))
        .bind(org)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)
    }

    /// The organization's linked accounts, filtered, in keyset order.
    pub async fn list_linked_accounts(
        &self,
        org: OrgId,
        f: &LinkedAccountFilter,
    ) -> Result<Vec<LinkedAccount>, StoreError> {
        let mut q = sqlx::QueryBuilder::new(format!(
            "SELECT {COLUMNS} FROM linked_accounts WHERE organization_id = "
        ));
        q.push_bind(org);
        if let Some(v) = &f.end_user_email_address {
            q.push(" AND end_user_email_address = ")
                .push_bind(v.clone());
        }
        if let Some(v) = &f.end_user_organization_name {
            q.push(" AND end_user_organization_name = ")
                .push_bind(v.clone());
        }
        if let Some(v) = &f.end_user_origin_ids {
            q.push(" AND end_user_origin_id = ANY(")
                .push_bind(v.clone())
                .push(")");
        }
        if let Some(v) = &f.ids {
            q.push(" AND id = ANY(").push_bind(v.clone()).push(")");
        }
        if let Some(v) = &f.integration_name {
            q.push(" AND lower(integration) = lower(")
                .push_bind(v.clone())
                .push(")");
        }
        if let Some(v) = &f.status {
            q.push(" AND status = ").push_bind(v.clone());
        }
        Ok(keyset::fetch_page(q, &self.pool, "", f.after, f.before, f.limit).await?)
    }

    /// The decrypted credentials JSON of a linked account (for the worker and writes).
    pub async fn account_credentials(
        &self,
        linked_account: LinkedAccountId,
    ) -> Result<String, StoreError> {
        let (org, ct): (OrgId, Vec<u8>) = sqlx::query_as(
            "SELECT organization_id, credentials FROM linked_accounts WHERE id = $1",
        )
        .bind(linked_account)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        self.cipher
            .open_str(&ct, &Slot::account("credentials", org, linked_account))
    }

    /// A linked account by id alone (for the worker, which serves every organization).
    pub async fn linked_account_for_worker(
        &self,
        id: LinkedAccountId,
    ) -> Result<LinkedAccount, StoreError> {
        sqlx::query_as::<_, LinkedAccount>(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM linked_accounts WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)
    }

    /// Sets a linked account's status and reason.
    pub async fn set_account_status(
        &self,
        linked_account: LinkedAccountId,
        status: &str,
        detail: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE linked_accounts SET status = $2, status_detail = $3, updated_at = now()
             WHERE id = $1",
        )
        .bind(linked_account)
        .bind(status)
        .bind(detail)
        .execute(&self.pool)
        .await?;
        // At once in this process too; the trigger's notification reaches the others.
        self.auth_cache().invalidate(None);
        Ok(())
    }

    /// Replaces the account token; returns the new one.
    pub async fn regenerate_account_token(
        &self,
        org: OrgId,
        linked_account: LinkedAccountId,
    ) -> Result<String, StoreError> {
        let token = random_token("dbat_");
        let done = sqlx::query(
            "UPDATE linked_accounts SET account_token_hash = $3, account_token = $4, updated_at = now()
             WHERE organization_id = $1 AND id = $2",
        )
        .bind(org)
        .bind(linked_account)
        .bind(self.token_hash(&token).await?)
        .bind(self.cipher.seal_str(
            &token,
            &Slot::account("account_token", org, linked_account),
        )?)
        .execute(&self.pool)
        .await?;
        // At once in this process too; the trigger's notification reaches the others.
        self.auth_cache().invalidate(Some(org));
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        self.confirm_revocation().await;
        Ok(token)
    }

    /// Deletes a linked account with its credentials, every synced record and its jobs.
    pub async fn delete_linked_account(
        &self,
        org: OrgId,
        linked_account: LinkedAccountId,
    ) -> Result<(), StoreError> {
        let done =
            sqlx::query("DELETE FROM linked_accounts WHERE organization_id = $1 AND id = $2")
                .bind(org)
                .bind(linked_account)
                .execute(&self.pool)
                .await?;
        // At once in this process too; the trigger's notification reaches the others.
        self.auth_cache().invalidate(Some(org));
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        self.confirm_revocation().await;
        Ok(())
    }

    /// Every linked account id with status `COMPLETE` (for the scheduler).
    pub async fn syncable_accounts(&self) -> Result<Vec<LinkedAccountId>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT id FROM linked_accounts WHERE status = 'COMPLETE'")
                .fetch_all(&self.pool)
                .await?,
        )
    }
}
