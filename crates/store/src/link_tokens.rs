//! The Link flow's tokens.
//!
//! A **link token** is created by an organization's backend (`POST /link-token`) and opens the
//! hosted Link page for one end user; a **public token** is handed by that page to the
//! product's frontend once linking succeeded, and the backend exchanges it for the linked
//! account's token (`GET /account-token/{public_token}`). Both are long random strings, stored
//! only as keyed hashes (never in clear), single-use, and short-lived.
//!
//! The Link page knows nothing but its token, so [`Store::link_session`] finds the organization
//! from the token (as [`Store::authenticate_api_key`] does from an API key); every other
//! function takes the organization first.

use chrono::{DateTime, Utc};
use sqlx::FromRow;
use uuid::Uuid;

use crate::accounts::LinkedAccount;
use crate::crypto::random_token;
use crate::ids::{LinkedAccountId, OrgId};
use crate::{Store, StoreError};

/// The prefix of link tokens.
pub const LINK_TOKEN_PREFIX: &str = "dblt_";
/// The prefix of public tokens.
pub const PUBLIC_TOKEN_PREFIX: &str = "dbpt_";

/// What a link token is created for.
#[derive(Debug, Clone)]
pub struct NewLinkToken {
    /// The integration chosen by the backend (`None`: the end user picks one).
    pub integration: Option<String>,
    /// The product's id for its end customer.
    pub end_user_origin_id: String,
    /// The end customer's organization name.
    pub end_user_organization_name: String,
    /// The end customer's email address.
    pub end_user_email_address: String,
    /// When the token stops working.
    pub expires_at: DateTime<Utc>,
}

/// A link token as stored (never the token itself), with its organization's name.
#[derive(Debug, Clone, FromRow)]
pub struct LinkSession {
    /// The organization that created it.
    pub organization_id: OrgId,
    /// That organization's name (shown on the Link page).
    pub organization_name: String,
    /// The token's id.
    pub id: Uuid,
    /// The integration chosen by the backend, if any.
    pub integration: Option<String>,
    /// The product's id for its end customer.
    pub end_user_origin_id: String,
    /// The end customer's organization name.
    pub end_user_organization_name: String,
    /// The end customer's email address.
    pub end_user_email_address: String,
    /// When it stops (or stopped) working.
    pub expires_at: DateTime<Utc>,
    /// True once `expires_at` has passed (by the database's clock).
    pub expired: bool,
    /// When linking completed with it, if it did.
    pub used_at: Option<DateTime<Utc>>,
}

impl Store {
    /// Creates a link token for the organization; returns the token (shown once).
    ///
    /// Also forgets the organization's link tokens that expired more than a day ago and its
    /// expired public tokens.
    pub async fn create_link_token(
        &self,
        org: OrgId,
        new: &NewLinkToken,
    ) -> Result<String, StoreError> {
        sqlx::query(
            "DELETE FROM link_tokens
             WHERE organization_id = $1 AND expires_at < now() - interval '1 day'",
        )
        .bind(org)
        .execute(&self.pool)
        .await?;
        sqlx::query("DELETE FROM public_tokens WHERE organization_id = $1 AND expires_at < now()")
            .bind(org)
            .execute(&self.pool)
            .await?;
        let token = random_token(LINK_TOKEN_PREFIX);
        sqlx::query(
            "INSERT INTO link_tokens (organization_id, id, token_hash, integration,
               end_user_origin_id, end_user_organization_name, end_user_email_address, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(org)
        .bind(Uuid::new_v4())
        .bind(self.token_hash(&token).await?)
        .bind(&new.integration)
        .bind(&new.end_user_origin_id)
        .bind(&new.end_user_organization_name)
        .bind(&new.end_user_email_address)
        .bind(new.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(token)
    }

    /// The link token behind `token`, used or expired included (the caller says which);
    /// `None` when no such token exists.
    pub async fn link_session(&self, token: &str) -> Result<Option<LinkSession>, StoreError> {
        if !token.starts_with(LINK_TOKEN_PREFIX) {
            return Ok(None);
        }
        Ok(sqlx::query_as::<_, LinkSession>(
            "SELECT t.organization_id, o.name AS organization_name, t.id, t.integration,
                    t.end_user_origin_id, t.end_user_organization_name, t.end_user_email_address,
                    t.expires_at, t.expires_at <= now() AS expired, t.used_at
             FROM link_tokens t JOIN organizations o ON o.id = t.organization_id
             WHERE t.token_hash = $1",
        )
        .bind(self.token_hash(token).await?)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Claims the organization's unused, unexpired link token with a row lock, before its
    /// credentials are checked and the account is linked: a concurrent submission of the same
    /// token waits here, then finds it used ([`StoreError::Conflict`]), so that it neither calls
    /// the helpdesk nor relinks. Dropping the claim (a refused key) frees the token again.
    pub async fn claim_link_token(
        &self,
        org: OrgId,
        link_token_id: Uuid,
    ) -> Result<LinkClaim, StoreError> {
        let mut tx = self.pool.begin().await?;
        let found: Option<Uuid> = sqlx::query_scalar(
            "SELECT id FROM link_tokens
             WHERE organization_id = $1 AND id = $2 AND used_at IS NULL AND expires_at > now()
             FOR UPDATE",
        )
        .bind(org)
        .bind(link_token_id)
        .fetch_optional(&mut *tx)
        .await?;
        if found.is_none() {
            return Err(StoreError::Conflict("this link was already used".into()));
        }
        Ok(LinkClaim {
            tx,
            org,
            link_token_id,
        })
    }

    /// Marks the organization's link token used by `linked_account` and creates the public
    /// token the Link page hands over; fails with [`StoreError::Conflict`] when the link token
    /// was used meanwhile. Returns the public token (valid for `ttl`).
    pub async fn complete_link(
        &self,
        org: OrgId,
        link_token_id: Uuid,
        linked_account: LinkedAccountId,
        ttl: chrono::Duration,
    ) -> Result<String, StoreError> {
        let tx = self.pool.begin().await?;
        let claim = LinkClaim {
            tx,
            org,
            link_token_id,
        };
        claim.complete(self, linked_account, ttl).await
    }

    /// Exchanges one of the organization's public tokens (once) for its linked account and
    /// that account's token. An unknown, expired, used or other organization's public token
    /// is [`StoreError::NotFound`].
    pub async fn exchange_public_token(
        &self,
        org: OrgId,
        public_token: &str,
    ) -> Result<(LinkedAccount, String), StoreError> {
        if !public_token.starts_with(PUBLIC_TOKEN_PREFIX) {
            return Err(StoreError::NotFound);
        }
        let row: Option<(LinkedAccountId, bool)> = sqlx::query_as(
            "DELETE FROM public_tokens WHERE organization_id = $1 AND token_hash = $2
             RETURNING linked_account_id, expires_at > now()",
        )
        .bind(org)
        .bind(self.token_hash(public_token).await?)
        .fetch_optional(&self.pool)
        .await?;
        let Some((linked_account, true)) = row else {
            return Err(StoreError::NotFound);
        };
        let account = self.linked_account(org, linked_account).await?;
        let sealed: Vec<u8> = sqlx::query_scalar(
            "SELECT account_token FROM linked_accounts WHERE organization_id = $1 AND id = $2",
        )
        .bind(org)
        .bind(linked_account)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        let slot = crate::Slot::account("account_token", org, linked_account);
        Ok((account, self.cipher.open_str(&sealed, &slot)?))
    }
}

/// A link token held (row-locked) by one submission; see [`Store::claim_link_token`].
pub struct LinkClaim {
    tx: sqlx::Transaction<'static, sqlx::Postgres>,
    org: OrgId,
    link_token_id: Uuid,
}

impl LinkClaim {
    /// Marks the token used by `linked_account`, creates the public token (valid for `ttl`)
    /// and releases the claim. [`StoreError::Conflict`] when the token was used meanwhile.
    pub async fn complete(
        mut self,
        store: &Store,
        linked_account: LinkedAccountId,
        ttl: chrono::Duration,
    ) -> Result<String, StoreError> {
        let claimed = sqlx::query(
            "UPDATE link_tokens SET used_at = now(), linked_account_id = $3
             WHERE organization_id = $1 AND id = $2 AND used_at IS NULL",
        )
        .bind(self.org)
        .bind(self.link_token_id)
        .bind(linked_account)
        .execute(&mut *self.tx)
        .await?;
        if claimed.rows_affected() == 0 {
            return Err(StoreError::Conflict("this link was already used".into()));
        }
        let token = random_token(PUBLIC_TOKEN_PREFIX);
        sqlx::query(
            "INSERT INTO public_tokens (organization_id, token_hash, linked_account_id, expires_at)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(self.org)
        .bind(store.token_hash(&token).await?)
        .bind(linked_account)
        .bind(Utc::now() + ttl)
        .execute(&mut *self.tx)
        .await?;
        self.tx.commit().await?;
        Ok(token)
    }
}
