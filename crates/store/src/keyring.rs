//! The token hash key, kept in the database sealed under the master key (`deskbridge_keys`),
//! loaded once per process on first use.

use crate::crypto::{Slot, TokenKey};
use crate::{Store, StoreError};

/// The name of the token hash key's row.
pub const TOKEN_KEY: &str = "token-hmac";

impl Store {
    /// The keyed hash of a token (link, public or account token), for looking it up.
    pub async fn token_hash(&self, token: &str) -> Result<Vec<u8>, StoreError> {
        let key = self
            .token_key
            .get_or_try_init(|| self.load_token_key())
            .await?;
        Ok(key.hash(token))
    }

    /// Loads the token hash key now rather than at the first token: a process then finds out
    /// at start whether its master keys open it.
    pub async fn load_keys(&self) -> Result<(), StoreError> {
        self.token_key
            .get_or_try_init(|| self.load_token_key())
            .await
            .map(|_| ())
    }

    /// Reads the token hash key, creating it when the database has none yet: from the current
    /// master key as the versions before this table derived it, so the token hashes they
    /// stored stay valid.
    async fn load_token_key(&self) -> Result<TokenKey, StoreError> {
        if let Some(key) = self.read_token_key().await? {
            return Ok(key);
        }
        let fresh = self.cipher.legacy_token_key();
        let sealed = self.cipher.seal(fresh.bytes(), &Slot::key(TOKEN_KEY))?;
        sqlx::query(
            "INSERT INTO deskbridge_keys (name, sealed) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(TOKEN_KEY)
        .bind(sealed)
        .execute(&self.pool)
        .await?;
        self.read_token_key()
            .await?
            .ok_or_else(|| StoreError::Other("the token hash key was not stored".into()))
    }

    async fn read_token_key(&self) -> Result<Option<TokenKey>, StoreError> {
        let sealed: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT sealed FROM deskbridge_keys WHERE name = $1")
                .bind(TOKEN_KEY)
                .fetch_optional(&self.pool)
                .await?;
        let Some(sealed) = sealed else {
            return Ok(None);
        };
        let bytes = self
            .cipher
            .open(&sealed, &Slot::key(TOKEN_KEY))
            .map_err(|e| {
                StoreError::Crypto(format!(
                    "the token hash key does not open with the configured master keys ({e}); \
                 configure the key it was sealed with, e.g. as DESKBRIDGE_MASTER_KEY_PREVIOUS"
                ))
            })?;
        TokenKey::from_bytes(&bytes).map(Some)
    }
}
