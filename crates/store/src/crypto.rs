//! Secrets at rest: AES-256-GCM with a random nonce per write, the key version stored with the
//! ciphertext and the row it belongs to as associated data; keyed hashes (under a key of
//! their own, which rotations keep) for looking up tokens; plain SHA-256 for API keys.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use uuid::Uuid;

use crate::StoreError;
use crate::ids::{LinkedAccountId, OrgId, WebhookEndpointId};

/// A 32-byte master key.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MasterKey(version {:08x})", self.version())
    }
}

impl MasterKey {
    /// Parses base64 (standard or URL-safe) of exactly 32 bytes.
    pub fn from_base64(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let bytes = STANDARD
            .decode(text)
            .or_else(|_| URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')))
            .map_err(|_| "the master key is not valid base64".to_string())?;
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "the master key must be base64 of exactly 32 bytes".to_string())?;
        Ok(MasterKey(arr))
    }

    /// A fresh random key.
    pub fn generate() -> Self {
        let mut k = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut k);
        MasterKey(k)
    }

    /// The key as standard base64.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    /// A 4-byte fingerprint that identifies the key without revealing it.
    pub fn version(&self) -> u32 {
        let digest = Sha256::digest([b"deskbridge-key-version:".as_slice(), &self.0].concat());
        u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
    }
}

/// Where a sealed secret lives: table, column and row. It is the AES-GCM associated data of
/// the ciphertext, so a ciphertext opens only in the row it was written for: a database
/// writer cannot move credentials or signing secrets between rows or organizations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot(String);

impl Slot {
    /// A column of a tenant's row.
    pub fn row(table: &str, column: &str, org: OrgId, id: Uuid) -> Self {
        Slot(format!("deskbridge/v2/{table}/{column}/{org}/{id}"))
    }

    /// A linked account's column (`credentials` or `account_token`).
    pub fn account(column: &str, org: OrgId, id: LinkedAccountId) -> Self {
        Slot::row("linked_accounts", column, org, id.as_uuid())
    }

    /// A webhook endpoint's signing secret.
    pub fn webhook_secret(org: OrgId, endpoint: WebhookEndpointId) -> Self {
        Slot::row("webhook_endpoints", "secret", org, endpoint.as_uuid())
    }

    /// A key of the `deskbridge_keys` table.
    pub fn key(name: &str) -> Self {
        Slot(format!("deskbridge/v2/deskbridge_keys/sealed/{name}"))
    }
}

/// The key of the keyed token hashes (link, public and account tokens). It is not the master
/// key: it lives in the database sealed under the master key, so a rotation re-seals it and
/// every outstanding token, magic links included, keeps working.
#[derive(Clone)]
pub struct TokenKey([u8; 32]);

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(..)")
    }
}

impl TokenKey {
    /// The key from its 32 bytes (as unsealed from the database).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, StoreError> {
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|_| StoreError::Crypto("the token hash key is not 32 bytes".into()))?;
        Ok(TokenKey(arr))
    }

    /// The key's bytes (to seal it).
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// HMAC-SHA256 of a token: how tokens are looked up without being stored in clear.
    pub fn hash(&self, token: &str) -> Vec<u8> {
        let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(&self.0) else {
            // HMAC takes keys of any length; this cannot happen.
            return Sha256::digest(token.as_bytes()).to_vec();
        };
        mac.update(token.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

/// Encrypts and decrypts stored secrets with the master key (and reads with previous keys).
#[derive(Clone, Debug)]
pub struct Cipher {
    key: MasterKey,
    previous: Vec<MasterKey>,
}

const NONCE_LEN: usize = 12;
/// The first byte of ciphertexts bound to their slot. Ciphertexts written before (the legacy
/// format, `version || nonce || ct`, no associated data) are still read, and rewritten by the
/// next `keys rotate`.
const FORMAT_V2: u8 = 2;

impl Cipher {
    /// A cipher writing with `key`.
    pub fn new(key: MasterKey) -> Self {
        Cipher {
            key,
            previous: Vec::new(),
        }
    }

    /// Also read ciphertexts written with `old` (never write with it): a process mid-rollout
    /// of a rotation reads what either key wrote.
    pub fn with_previous(mut self, old: MasterKey) -> Self {
        if old.version() != self.key.version() {
            self.previous.push(old);
        }
        self
    }

    /// The version of the current key.
    pub fn key_version(&self) -> u32 {
        self.key.version()
    }

    /// The key a token hash key is first made from when the database holds none: the one the
    /// versions before the `deskbridge_keys` table used, so the hashes they stored stay valid.
    pub fn legacy_token_key(&self) -> TokenKey {
        let sub = Sha256::digest([b"deskbridge-token-hmac:".as_slice(), &self.key.0].concat());
        TokenKey(sub.into())
    }

    /// `2 || version (4 bytes) || nonce (12) || ciphertext+tag`, bound to `slot`.
    pub fn seal(&self, plaintext: &[u8], slot: &Slot) -> Result<Vec<u8>, StoreError> {
        let aead = Aes256Gcm::new_from_slice(&self.key.0)
            .map_err(|e| StoreError::Crypto(e.to_string()))?;
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let payload = Payload {
            msg: plaintext,
            aad: slot.0.as_bytes(),
        };
        let ct = aead
            .encrypt(Nonce::from_slice(&nonce), payload)
            .map_err(|_| StoreError::Crypto("encryption failed".into()))?;
        let mut out = Vec::with_capacity(5 + NONCE_LEN + ct.len());
        out.push(FORMAT_V2);
        out.extend_from_slice(&self.key.version().to_be_bytes());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Reverses [`Cipher::seal`] for the same slot, with the key whose version the blob
    /// names; also reads the legacy format (no slot).
    pub fn open(&self, blob: &[u8], slot: &Slot) -> Result<Vec<u8>, StoreError> {
        let mut tried = false;
        if blob.first() == Some(&FORMAT_V2)
            && blob.len() >= 5 + NONCE_LEN
            && let Some(key) = self.key_of(&blob[1..5])
        {
            tried = true;
            let payload = Payload {
                msg: &blob[5 + NONCE_LEN..],
                aad: slot.0.as_bytes(),
            };
            if let Ok(plain) =
                aead(key)?.decrypt(Nonce::from_slice(&blob[5..5 + NONCE_LEN]), payload)
            {
                return Ok(plain);
            }
        }
        // The legacy format; also the rare legacy blob whose first byte happens to be 2.
        if blob.len() >= 4 + NONCE_LEN
            && let Some(key) = self.key_of(&blob[..4])
        {
            let plain = aead(key)?.decrypt(
                Nonce::from_slice(&blob[4..4 + NONCE_LEN]),
                &blob[4 + NONCE_LEN..],
            );
            if let Ok(plain) = plain {
                return Ok(plain);
            }
            tried = true;
        }
        Err(StoreError::Crypto(if tried {
            "authentication failed (wrong key, or not the row it was written for)".into()
        } else {
            "the secret was written with a master key that is not configured".into()
        }))
    }

    /// Seals a UTF-8 string.
    pub fn seal_str(&self, s: &str, slot: &Slot) -> Result<Vec<u8>, StoreError> {
        self.seal(s.as_bytes(), slot)
    }

    /// Opens to a UTF-8 string.
    pub fn open_str(&self, blob: &[u8], slot: &Slot) -> Result<String, StoreError> {
        String::from_utf8(self.open(blob, slot)?).map_err(|e| StoreError::Crypto(e.to_string()))
    }

    fn key_of(&self, version: &[u8]) -> Option<&MasterKey> {
        let version = u32::from_be_bytes(version.try_into().ok()?);
        std::iter::once(&self.key)
            .chain(self.previous.iter())
            .find(|k| k.version() == version)
    }
}

fn aead(key: &MasterKey) -> Result<Aes256Gcm, StoreError> {
    Aes256Gcm::new_from_slice(&key.0).map_err(|e| StoreError::Crypto(e.to_string()))
}

/// SHA-256 of an API key (keys are long random strings, so no salt or stretching is needed).
pub fn api_key_hash(key: &str) -> Vec<u8> {
    Sha256::digest(key.as_bytes()).to_vec()
}

/// True when a stored API key hash equals `hash`, compared in constant time (the lookup by
/// hash found the row; this keeps the final comparison free of timing differences).
pub fn api_key_matches(stored: &[u8], hash: &[u8]) -> bool {
    bool::from(stored.ct_eq(hash))
}

/// A new random token: `prefix` + 40 URL-safe characters (240 bits).
pub fn random_token(prefix: &str) -> String {
    let mut b = [0u8; 30];
    rand::rngs::OsRng.fill_bytes(&mut b);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(n: u128) -> Slot {
        Slot::account(
            "credentials",
            OrgId::from_uuid(Uuid::from_u128(1)),
            LinkedAccountId::from_uuid(Uuid::from_u128(n)),
        )
    }

    /// A ciphertext as the versions before slots wrote it.
    fn legacy(key: &MasterKey, plaintext: &[u8]) -> Vec<u8> {
        let nonce = [7u8; NONCE_LEN];
        let ct = aead(key)
            .expect("aead")
            .encrypt(Nonce::from_slice(&nonce), plaintext)
            .expect("encrypt");
        [key.version().to_be_bytes().as_slice(), &nonce, &ct].concat()
    }

    #[test]
    fn round_trip_fresh_nonce_and_previous_keys() {
        let c = Cipher::new(MasterKey::generate());
        let a = c.seal_str("secret-key", &slot(1)).expect("seal");
        let b = c.seal_str("secret-key", &slot(1)).expect("seal");
        assert_ne!(a, b, "a fresh nonce per write");
        assert_eq!(a[0], FORMAT_V2);
        assert_eq!(c.open_str(&a, &slot(1)).expect("open"), "secret-key");
        let other = Cipher::new(MasterKey::generate());
        assert!(other.open(&a, &slot(1)).is_err());
        let rotated = Cipher::new(MasterKey::generate()).with_previous(c.key.clone());
        assert_eq!(
            rotated.open_str(&a, &slot(1)).expect("old key"),
            "secret-key"
        );
    }

    #[test]
    fn a_ciphertext_opens_only_in_its_slot() {
        let c = Cipher::new(MasterKey::generate());
        let a = c.seal_str("secret-key", &slot(1)).expect("seal");
        assert!(c.open(&a, &slot(2)).is_err(), "another row");
        let other_org = Slot::account(
            "credentials",
            OrgId::from_uuid(Uuid::from_u128(9)),
            LinkedAccountId::from_uuid(Uuid::from_u128(1)),
        );
        assert!(c.open(&a, &other_org).is_err(), "another organization");
        let other_column = Slot::account(
            "account_token",
            OrgId::from_uuid(Uuid::from_u128(1)),
            LinkedAccountId::from_uuid(Uuid::from_u128(1)),
        );
        assert!(c.open(&a, &other_column).is_err(), "another column");
    }

    #[test]
    fn legacy_ciphertexts_are_still_read() {
        let key = MasterKey::generate();
        let blob = legacy(&key, b"old-secret");
        let c = Cipher::new(MasterKey::generate()).with_previous(key.clone());
        assert_eq!(c.open(&blob, &slot(5)).expect("legacy"), b"old-secret");
        assert_eq!(
            Cipher::new(key).open(&blob, &slot(6)).expect("legacy"),
            b"old-secret"
        );
    }

    #[test]
    fn the_legacy_token_key_gives_the_hashes_stored_before() {
        let key = MasterKey::generate();
        // What `Cipher::token_hash` computed before the token key moved to the database.
        let sub = Sha256::digest([b"deskbridge-token-hmac:".as_slice(), &key.0].concat());
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&sub).expect("hmac");
        mac.update(b"dblt_abc");
        let before = mac.finalize().into_bytes().to_vec();
        assert_eq!(Cipher::new(key).legacy_token_key().hash("dblt_abc"), before);
    }

    #[test]
    fn master_key_parsing() {
        let k = MasterKey::generate();
        assert_eq!(
            MasterKey::from_base64(&k.to_base64()).expect("parse").0,
            k.0
        );
        assert!(MasterKey::from_base64("c2hvcnQ=").is_err());
        assert!(!format!("{k:?}").contains(&k.to_base64()));
    }
}
