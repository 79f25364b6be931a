//! Deskbridge's Postgres store (sqlx).
//!
//! Every function that touches tenant data takes the organization (and, below it, the linked
//! account) first, so a query cannot forget its tenant.

pub mod accounts;
pub mod audit;
pub mod auth_cache;
pub mod changed_data;
pub mod children_queue;
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
    /// Whether the sync's record writes commit without waiting for the WAL flush (see
    /// [`Store::with_relaxed_commits`]).
    relaxed_commits: bool,
}

impl Store {
    /// Wraps a pool and a cipher.
    pub fn new(pool: PgPool, cipher: Cipher) -> Self {
        Store {
            pool,
            cipher,
            token_key: std::sync::Arc::default(),
            auth_cache: std::sync::Arc::default(),
            relaxed_commits: false,
        }
    }

    /// This store, with the writes of synced records, checkpoints and the children queue
    /// committed with `synchronous_commit = off`: a commit returns before its WAL record is
    /// flushed (PostgreSQL flushes it within `wal_writer_delay`, 200 ms by default). A
    /// database crash can lose the last such commits, never corrupt them: WAL keeps their
    /// order, and each checkpoint is committed after the records it covers, so the next run
    /// re-reads exactly what was lost. Any later ordinary commit (a job's end, a webhook
    /// delivery) flushes everything before it. A flush costs about 2.8 ms on this project's
    /// benchmark machine, and an initial sync commits several times per page (docs/BENCHMARKS.md
    /// §2). Only the sync engine uses it: writes to the helpdesk and their idempotency keys
    /// keep waiting for the flush.
    pub fn with_relaxed_commits(&self) -> Store {
        Store {
            relaxed_commits: true,
            ..self.clone()
        }
    }

    /// Begins a transaction for a sync write, relaxed as [`Store::with_relaxed_commits`] says,
    /// in the same round trip as `BEGIN`.
    pub(crate) async fn begin_sync_write(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
        Ok(if self.relaxed_commits {
            self.pool
                .begin_with("BEGIN; SET LOCAL synchronous_commit = off")
                .await?
        } else {
            self.pool.begin().await?
        })
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
