//! The per-process cache of successful authentications (API key, or API key + account
//! token), so that a read costs one statement instead of two.
//!
//! Revocation stays immediate in every process: the triggers of migration
//! `20261207100000_auth_notify.sql` send `NOTIFY deskbridge_auth` (payload: the organization
//! id) in the transaction of every change that a cached answer depends on (a key revoked or
//! deleted, an account token rotated, a linked account changed or deleted, an organization
//! renamed or deleted), whatever code path writes it. PostgreSQL signals the listening
//! backends before the writer's commit returns, and each process's listener
//! ([`Store::run_auth_listener`]) drops that organization's entries. A revocation made through
//! the store then waits until every listening process has confirmed it (`confirm_revocation`),
//! so its answer leaves after every cache dropped the credential. While the listener is not
//! connected, notifications could be missed, so the cache is emptied and bypassed until it is
//! listening again. A short TTL bounds what no notification can cover (a connection that dies
//! silently until TCP notices). Entries are keyed by the hashes the store looks keys and
//! tokens up by, never by the secrets themselves; failed authentications are never cached.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::postgres::{PgListener, PgPoolOptions};
use uuid::Uuid;

use crate::ids::OrgId;
use crate::{Store, StoreError};

/// The channel the triggers notify on.
pub const CHANNEL: &str = "deskbridge_auth";

/// The `application_name` of every listener connection; a confirmation is appended to it.
const LISTENER_NAME: &str = "deskbridge-auth";

/// The payload prefix of a request for confirmation (see [`Store::confirm_revocation`]).
const ACK: &str = "ack:";

/// How long an entry is trusted without a notification: short, so that even a listener whose
/// connection dies without a sign cannot keep a revoked key alive for long.
const TTL: Duration = Duration::from_secs(30);

/// Most entries kept; beyond this, expired ones go, and if that is not enough, all of them.
const MAX_ENTRIES: usize = 50_000;

/// Lookup key: the key's SHA-256 and, for account requests, the token's keyed hash.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum CacheKey {
    /// `api_keys.key_hash`.
    Key(Vec<u8>),
    /// `api_keys.key_hash` and `linked_accounts.account_token_hash`.
    Account(Vec<u8>, Vec<u8>),
}

/// One cached answer: what the lookup resolved to, kept opaque here (the organization and
/// account modules own those types and ask for them back by the key's kind), so that this
/// module depends on none of them.
#[derive(Clone)]
struct Entry {
    at: Instant,
    org: OrgId,
    value: Arc<dyn Any + Send + Sync>,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<CacheKey, Entry>,
    /// Bumped by every invalidation: an answer read from the database before an
    /// invalidation must not be stored after it (it may predate the revocation).
    generation: u64,
    /// Whether the listener is listening: without it the cache is empty and bypassed.
    listening: bool,
}

/// The cache (one per process, shared by the clones of a [`Store`]).
#[derive(Default)]
pub struct AuthCache {
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for AuthCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (entries, listening) = self
            .inner
            .lock()
            .map(|i| (i.entries.len(), i.listening))
            .unwrap_or((0, false));
        f.debug_struct("AuthCache")
            .field("entries", &entries)
            .field("listening", &listening)
            .finish()
    }
}

impl AuthCache {
    /// A live entry, when the listener is listening.
    pub(crate) fn get<T: Clone + 'static>(&self, key: &CacheKey) -> Option<T> {
        let inner = self.inner.lock().ok()?;
        if !inner.listening {
            return None;
        }
        match inner.entries.get(key) {
            Some(e) if e.at.elapsed() < TTL => e.value.downcast_ref::<T>().cloned(),
            _ => None,
        }
    }

    /// The generation to pass to [`AuthCache::put`]: read before the database is asked.
    pub(crate) fn generation(&self) -> u64 {
        self.inner.lock().map(|i| i.generation).unwrap_or(u64::MAX)
    }

    /// Stores an answer read at `generation`, unless something was invalidated since or the
    /// listener is not listening.
    pub(crate) fn put<T: Send + Sync + 'static>(
        &self,
        key: CacheKey,
        generation: u64,
        org: OrgId,
        value: T,
    ) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        if !inner.listening || inner.generation != generation {
            return;
        }
        if inner.entries.len() >= MAX_ENTRIES {
            inner.entries.retain(|_, e| e.at.elapsed() < TTL);
            if inner.entries.len() >= MAX_ENTRIES {
                inner.entries.clear();
            }
        }
        inner.entries.insert(
            key,
            Entry {
                at: Instant::now(),
                org,
                value: Arc::new(value),
            },
        );
    }

    /// Drops the entries of one organization (`None`: all).
    pub fn invalidate(&self, org: Option<OrgId>) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.generation = inner.generation.wrapping_add(1);
            match org {
                Some(org) => inner.entries.retain(|_, e| e.org != org),
                None => inner.entries.clear(),
            }
        }
    }

    /// Marks the listener as listening or not; either way everything is dropped, since
    /// notifications may have been missed while it was not.
    fn set_listening(&self, listening: bool) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.generation = inner.generation.wrapping_add(1);
            inner.entries.clear();
            inner.listening = listening;
        }
    }

    /// Whether the cache is in use (its listener is listening).
    pub fn is_listening(&self) -> bool {
        self.inner.lock().map(|i| i.listening).unwrap_or(false)
    }
}

impl Store {
    /// This process's authentication cache.
    pub fn auth_cache(&self) -> &AuthCache {
        &self.auth_cache
    }

    /// Listens for `deskbridge_auth` notifications until the store's pool is closed, keeping
    /// the authentication cache in step; reconnects after a lost connection (with the cache
    /// bypassed meanwhile). Until this runs, the cache is never used. Run it as a task in
    /// every process that serves the API.
    pub async fn run_auth_listener(&self) {
        // A connection of its own, so the API keeps all of its pool for requests.
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .max_lifetime(None)
            .idle_timeout(None)
            .connect_lazy_with((*self.pool.connect_options()).clone());
        let closed = self.pool.close_event();
        tokio::pin!(closed);
        loop {
            tokio::select! {
                _ = &mut closed => break,
                () = self.listen_once(&pool) => {}
            }
            self.auth_cache.set_listening(false);
            tokio::select! {
                _ = &mut closed => break,
                () = tokio::time::sleep(Duration::from_millis(500)) => {}
            }
        }
        self.auth_cache.set_listening(false);
        pool.close().await;
    }

    /// One listening connection's life: returns when it is lost.
    async fn listen_once(&self, pool: &sqlx::PgPool) {
        let mut listener = match self.auth_listener(pool).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "auth cache: cannot listen; bypassing the cache");
                return;
            }
        };
        self.auth_cache.set_listening(true);
        tracing::debug!("auth cache: listening");
        loop {
            match listener.try_recv().await {
                Ok(Some(n)) if n.payload().starts_with(ACK) => {
                    // Notifications arrive in commit order: every change announced before
                    // this request for confirmation has been applied. Confirmed where the
                    // writer can see it, in this connection's `application_name`.
                    let name = format!("{LISTENER_NAME} {}", n.payload());
                    if let Err(e) = sqlx::query("SELECT set_config('application_name', $1, false)")
                        .bind(&name)
                        .execute(&mut listener)
                        .await
                    {
                        tracing::warn!(error = %e, "auth cache: cannot confirm; bypassing the cache");
                        return;
                    }
                }
                Ok(Some(n)) => {
                    let org = n.payload().parse::<Uuid>().ok().map(OrgId::from_uuid);
                    self.auth_cache.invalidate(org);
                }
                Ok(None) => {
                    tracing::warn!("auth cache: listener connection lost; bypassing the cache");
                    return;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "auth cache: listener failed; bypassing the cache");
                    return;
                }
            }
        }
    }

    /// After a revoking write of this process has committed: waits (at most a second) until
    /// every listening process has applied it, so that the answer reporting the revocation
    /// leaves after every cache dropped the credential. It notifies a request for
    /// confirmation with an increasing mark; each listener, having applied every earlier
    /// notification, shows the mark in its connection's `application_name`, which this
    /// polls in `pg_stat_activity`. A listener that does not confirm in time (a hung
    /// process) is logged.
    pub(crate) async fn confirm_revocation(&self) {
        // Whether this process listens does not matter: the others confirm.
        let wait = async {
            let mark: String = sqlx::query_scalar(
                "SELECT m FROM (SELECT $2 || lpad((extract(epoch FROM clock_timestamp())
                                  * 1000000)::bigint::text, 20, '0') AS m) x,
                        LATERAL pg_notify($1, m)",
            )
            .bind(CHANNEL)
            .bind(ACK)
            .fetch_one(&self.pool)
            .await?;
            let confirmed = format!("{LISTENER_NAME} {mark}");
            loop {
                let behind: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM pg_stat_activity
                     WHERE datname = current_database()
                       AND application_name COLLATE \"C\" LIKE $1
                       AND application_name COLLATE \"C\" < $2",
                )
                .bind(format!("{LISTENER_NAME}%"))
                .bind(&confirmed)
                .fetch_one(&self.pool)
                .await?;
                if behind == 0 {
                    return Ok::<(), StoreError>(());
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        };
        match tokio::time::timeout(Duration::from_secs(1), wait).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "auth cache: cannot confirm a revocation"),
            Err(_) => {
                tracing::warn!("auth cache: a process did not confirm a revocation within 1 s")
            }
        }
    }

    async fn auth_listener(&self, pool: &sqlx::PgPool) -> Result<PgListener, StoreError> {
        let mut listener = PgListener::connect_with(pool).await?;
        sqlx::query("SELECT set_config('application_name', $1, false)")
            .bind(LISTENER_NAME)
            .execute(&mut listener)
            .await?;
        // A lost connection is reported at once; this loop reconnects (and clears) itself.
        listener.eager_reconnect(false);
        listener.listen(CHANNEL).await?;
        Ok(listener)
    }
}
