//! Secrets at rest: AES-256-GCM with a random nonce per write and a key version stored with
//! the ciphertext; keyed hashes for looking up tokens; plain SHA-256 for API keys.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::StoreError;

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

/// Encrypts and decrypts stored secrets, and computes keyed lookup hashes.
#[derive(Clone, Debug)]
pub struct Cipher {
    key: MasterKey,
    previous: Vec<MasterKey>,
}

const NONCE_LEN: usize = 12;

impl Cipher {
    /// A cipher writing with `key`.
    pub fn new(key: MasterKey) -> Self {
        Cipher {
            key,
            previous: Vec::new(),
        }
    }

    /// Also accept ciphertexts written with older keys (during rotation).
    pub fn with_previous(mut self, old: MasterKey) -> Self {
        self.previous.push(old);
        self
    }

    /// The version of the current key.
    pub fn key_version(&self) -> u32 {
        self.key.version()
    }

    /// `version (4 bytes) || nonce (12) || ciphertext+tag`.
    pub fn encrypt(&self, plaintext: &[u8]) -> Result<Vec<u8>, StoreError> {
        let aead = Aes256Gcm::new_from_slice(&self.key.0)
            .map_err(|e| StoreError::Crypto(e.to_string()))?;
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ct = aead
            .encrypt(Nonce::from_slice(&nonce), plaintext)
            .map_err(|_| StoreError::Crypto("encryption failed".into()))?;
        let mut out = Vec::with_capacity(4 + NONCE_LEN + ct.len());
        out.extend_from_slice(&self.key.version().to_be_bytes());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Reverses [`Cipher::encrypt`], with the key whose version the blob names.
    pub fn decrypt(&self, blob: &[u8]) -> Result<Vec<u8>, StoreError> {
        if blob.len() < 4 + NONCE_LEN {
            return Err(StoreError::Crypto("ciphertext too short".into()));
        }
        let version = u32::from_be_bytes([blob[0], blob[1], blob[2], blob[3]]);
        let key = std::iter::once(&self.key)
            .chain(self.previous.iter())
            .find(|k| k.version() == version)
            .ok_or_else(|| {
                StoreError::Crypto(format!(
                    "secret was written with master key version {version:08x}, which is not configured"
                ))
            })?;
        let aead =
            Aes256Gcm::new_from_slice(&key.0).map_err(|e| StoreError::Crypto(e.to_string()))?;
        aead.decrypt(
            Nonce::from_slice(&blob[4..4 + NONCE_LEN]),
            &blob[4 + NONCE_LEN..],
        )
        .map_err(|_| StoreError::Crypto("authentication failed".into()))
    }

    /// Encrypts a UTF-8 string.
    pub fn encrypt_str(&self, s: &str) -> Result<Vec<u8>, StoreError> {
        self.encrypt(s.as_bytes())
    }

    /// Decrypts to a UTF-8 string.
    pub fn decrypt_str(&self, blob: &[u8]) -> Result<String, StoreError> {
        String::from_utf8(self.decrypt(blob)?).map_err(|e| StoreError::Crypto(e.to_string()))
    }

    /// A keyed hash (HMAC-SHA256) for looking tokens up without storing them in clear.
    pub fn token_hash(&self, token: &str) -> Vec<u8> {
        keyed_hash(&self.key, token)
    }

    /// The same keyed hash under an older key (rotation).
    pub fn token_hash_with(key: &MasterKey, token: &str) -> Vec<u8> {
        keyed_hash(key, token)
    }
}

fn keyed_hash(key: &MasterKey, token: &str) -> Vec<u8> {
    let sub = Sha256::digest([b"deskbridge-token-hmac:".as_slice(), &key.0].concat());
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&sub).expect("HMAC takes any key size");
    mac.update(token.as_bytes());
    mac.finalize().into_bytes().to_vec()
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

    #[test]
    fn round_trip_and_fresh_nonce() {
        let c = Cipher::new(MasterKey::generate());
        let a = c.encrypt_str("secret-key").expect("encrypt");
        let b = c.encrypt_str("secret-key").expect("encrypt");
        assert_ne!(a, b, "a fresh nonce per write");
        assert_eq!(c.decrypt_str(&a).expect("decrypt"), "secret-key");
        let other = Cipher::new(MasterKey::generate());
        assert!(other.decrypt(&a).is_err());
        let rotated = Cipher::new(MasterKey::generate()).with_previous(c.key.clone());
        assert_eq!(rotated.decrypt_str(&a).expect("old key"), "secret-key");
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
