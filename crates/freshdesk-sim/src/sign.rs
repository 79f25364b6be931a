//! Short-lived signed attachment URLs (`/_attachments/{id}/{name}?Expires=…&Signature=…`).

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::model::Attachment;
use crate::time::now_secs;

type HmacSha256 = Hmac<Sha256>;

/// Signs and checks attachment URLs.
#[derive(Debug, Clone)]
pub struct Signer {
    secret: Vec<u8>,
    /// Validity in real seconds (5 simulated minutes).
    ttl_secs: i64,
}

impl Signer {
    /// A signer; URLs live `300 / time_scale` real seconds (at least 1).
    pub fn new(seed: u64, time_scale: f64) -> Self {
        let scale = if time_scale.is_finite() && time_scale > 0.0 {
            time_scale
        } else {
            1.0
        };
        let ttl_secs = ((300.0 / scale).ceil() as i64).max(1);
        Self {
            secret: format!("deskbridge-sim-{seed}").into_bytes(),
            ttl_secs,
        }
    }

    fn mac(&self, id: i64, name: &str, expires: i64) -> String {
        let mut mac = match HmacSha256::new_from_slice(&self.secret) {
            Ok(m) => m,
            Err(_) => return String::new(),
        };
        mac.update(format!("{id}/{name}:{expires}").as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// A freshly signed URL; the nonce makes every render different, like S3 pre-signed URLs.
    pub fn url(&self, base: &str, a: &Attachment) -> String {
        let expires = now_secs() + self.ttl_secs;
        let name = url_encode(&a.name);
        let nonce = rand::random::<u32>();
        let sig = self.mac(a.id, &format!("{name}:{nonce}"), expires);
        format!(
            "{base}/_attachments/{}/{name}?Expires={expires}&Nonce={nonce}&Signature={sig}",
            a.id
        )
    }

    /// Checks a URL's signature and expiry.
    pub fn verify(&self, id: i64, name: &str, expires: i64, nonce: &str, sig: &str) -> bool {
        if expires < now_secs() {
            return false;
        }
        let want = self.mac(id, &format!("{name}:{nonce}"), expires);
        !want.is_empty() && constant_eq(want.as_bytes(), sig.as_bytes())
    }
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Percent-encodes a path segment.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Deterministic content of an attachment: `size` bytes derived from its id.
pub fn content(id: i64, size: i64) -> Vec<u8> {
    let n = usize::try_from(size).unwrap_or(0);
    let mut x = id as u64 ^ 0x2545_F491_4F6C_DD1D;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x & 0xFF) as u8
        })
        .collect()
}
