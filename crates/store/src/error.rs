//! The store's error type.

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such row (for this tenant).
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database could not be reached or failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A secret could not be decrypted (wrong master key).
    #[error("cannot decrypt a stored secret: {0}")]
    Crypto(String),
    /// Anything else.
    #[error("{0}")]
    Other(String),
}

impl StoreError {
    /// True when the database itself is unavailable (connection refused, pool timeout).
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Database(e) => {
                matches!(
                    e,
                    sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed
                ) || matches!(e, sqlx::Error::Tls(_))
            }
            _ => false,
        }
    }
}
