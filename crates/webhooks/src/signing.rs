//! Signing secrets and the two signatures every delivery carries (Merge's and Standard Webhooks').

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;

/// A new signing secret: `whsec_` and the base64 of 24 random bytes (the Standard Webhooks
/// form; Merge-style handlers use the whole string as their HMAC key).
pub fn new_secret() -> String {
    let mut bytes = [0u8; 24];
    rand::thread_rng().fill(&mut bytes);
    format!("whsec_{}", STANDARD.encode(bytes))
}

fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return Vec::new(),
    };
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().to_vec()
}

/// Merge's `X-Merge-Webhook-Signature`: base64url (padded) of HMAC-SHA256 of the raw body,
/// keyed with the secret's UTF-8 bytes.
pub fn merge_signature(secret: &str, body: &[u8]) -> String {
    URL_SAFE.encode(hmac_sha256(secret.as_bytes(), &[body]))
}

/// The Standard Webhooks `webhook-signature`: `v1,` and the base64 of HMAC-SHA256 of
/// `{id}.{timestamp}.{body}`, keyed with the base64-decoded part after `whsec_`.
pub fn standard_signature(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> String {
    let key = secret
        .strip_prefix("whsec_")
        .and_then(|k| STANDARD.decode(k).ok())
        .unwrap_or_else(|| secret.as_bytes().to_vec());
    let ts = timestamp.to_string();
    let mac = hmac_sha256(&key, &[id.as_bytes(), b".", ts.as_bytes(), b".", body]);
    format!("v1,{}", STANDARD.encode(mac))
}
