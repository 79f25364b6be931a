//! Deskbridge's Postgres store (sqlx).
//!
//! Every function that touches tenant data takes the organization (and, below it, the linked
//! account) first, so a query cannot forget its tenant.

pub mod accounts;
pub mod audit;
pub mod auth_cache;
pub mod changed_data;
pub mod crypto;
mod error;
pub mod idempotency;
pub mod ids;
pub mod jobs;
pub mod keycheck;
pub mod keyring;
pub mod keyset;
pub mod link_tokens;
pub mod orgs;
pub mod pg;
pub mod push;
pub mod records;
mod relink;
pub mod rotation;
pub mod sync_state;
pub mod webhook_claims;
mod webhook_endpoints;
pub mod webhooks;

pub use crypto::{Cipher, MasterKey, Slot};
pub use error::StoreError;
pub use ids::{ApiKeyId, LinkedAccountId, OrgId, WebhookEndpointId};
pub use sqlx::PgPool;

use std::time::Duration;

use sqlx::postgres::PgPoolOptions;

/// The embedded migrations (the repository's `migrations/` folder).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");

/// How long a caller waits for a connection before the pool gives up (`PoolTimedOut`, which
/// the API answers with 503 and `Retry-After`); also the bound on (re)connecting while the
/// database is away.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// Opens a connection pool.
pub async fn connect(url: &str, max_connections: u32) -> Result<PgPool, StoreError> {
    connect_with(url, max_connections, ACQUIRE_TIMEOUT).await
}

/// Opens a connection pool whose callers wait at most `acquire_timeout` for a connection.
pub async fn connect_with(
    url: &str,
    max_connections: u32,
    acquire_timeout: Duration,
) -> Result<PgPool, StoreError> {
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(acquire_timeout)
        .connect(url)
        .await?;
    Ok(pool)
}

/// Applies every pending migration.
pub async fn migrate(pool: &PgPool) -> Result<(), StoreError> {
    MIGRATOR
        .run(pool)
        .await
        .map_err(|e| StoreError::Other(e.to_string()))
}

/// The store: a pool plus the cipher for secrets at rest.
#[derive(Clone)]
pub struct Store {
    /// The connection pool.
    pub pool: PgPool,
    /// Encrypts credentials, account tokens and webhook secrets.
    pub cipher: Cipher,
    /// The token hash key, read from the database on first use (see [`keyring`]).
    token_key: std::sync::Arc<tokio::sync::OnceCell<crypto::TokenKey>>,
    /// Successful authentications of this process (see [`auth_cache`]).
    auth_cache: std::sync::Arc<auth_cache::AuthCache>,
}

impl Store {
    /// Wraps a pool and a cipher.
    pub fn new(pool: PgPool, cipher: Cipher) -> Self {
        Store {
            pool,
            cipher,
            token_key: std::sync::Arc::default(),
            auth_cache: std::sync::Arc::default(),
        }
    }

    /// True when the database answers and every known migration is applied.
    pub async fn ready(&self) -> Result<bool, StoreError> {
        let applied: i64 =
            sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success")
                .fetch_one(&self.pool)
                .await?;
        Ok(applied as usize >= MIGRATOR.iter().count())
    }
}
