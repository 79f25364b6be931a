//! Fault injection: server errors, slow answers, truncated bodies and dropped connections.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::config::FaultConfig;

/// Marker extension on a response: close the connection instead of answering.
///
/// Lives with the faults that set it, so that the request pipeline (`http`) and the
/// connection loop (`server`) share it without importing each other.
#[derive(Debug, Clone, Copy)]
pub struct DropConnection;

/// One injected fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this 5xx status.
    Error(u16),
    /// Close the connection without a response.
    Drop,
    /// Answer 200 with a truncated JSON body.
    Malformed,
    /// Answer normally after the configured delay.
    Slow,
}

/// Fault configuration plus its seeded RNG.
#[derive(Debug)]
pub struct FaultState {
    /// Probabilities.
    pub cfg: FaultConfig,
    rng: StdRng,
}

impl FaultState {
    /// A new state seeded from the simulator seed.
    pub fn new(cfg: FaultConfig, seed: u64) -> Self {
        Self {
            cfg,
            rng: StdRng::seed_from_u64(seed ^ 0xFA17_FA17),
        }
    }

    /// Draws the fault of one request, if any.
    pub fn roll(&mut self) -> Option<Fault> {
        let c = &self.cfg;
        if c.error_rate <= 0.0
            && c.drop_rate <= 0.0
            && c.malformed_rate <= 0.0
            && c.slow_rate <= 0.0
        {
            return None;
        }
        let x: f64 = self.rng.gen_range(0.0..1.0);
        let mut edge = c.error_rate.max(0.0);
        if x < edge {
            return Some(Fault::Error([500, 502, 503][self.rng.gen_range(0..3)]));
        }
        edge += c.drop_rate.max(0.0);
        if x < edge {
            return Some(Fault::Drop);
        }
        edge += c.malformed_rate.max(0.0);
        if x < edge {
            return Some(Fault::Malformed);
        }
        edge += c.slow_rate.max(0.0);
        (x < edge).then_some(Fault::Slow)
    }
}

/// Body of a 5xx fault: JSON for 500 (Freshdesk middleware), an HTML gateway page otherwise.
pub fn error_body(status: u16) -> (&'static str, &'static str) {
    match status {
        500 => (
            crate::errors::JSON_CT,
            r#"{"code":"internal_error","message":"We're sorry, but something went wrong."}"#,
        ),
        502 => (
            "text/html",
            "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n",
        ),
        _ => (
            "text/html",
            "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n</body>\r\n</html>\r\n",
        ),
    }
}

/// Cuts a JSON body in the middle so that it no longer parses.
pub fn truncate(body: &[u8]) -> Vec<u8> {
    if body.len() < 4 {
        return br#"{"id":"#.to_vec();
    }
    let mut cut = body.len() / 2;
    while cut > 1 && (body[cut] & 0xC0) == 0x80 {
        cut -= 1;
    }
    let out = body[..cut].to_vec();
    if serde_json::from_slice::<serde_json::Value>(&out).is_ok() {
        return br#"[{"id":"#.to_vec();
    }
    out
}
