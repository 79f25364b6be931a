//! Fault injection: server errors, slow answers and dropped connections. Faults act like the
//! network or Zendesk's edge: they are drawn before anything else and never change state.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::config::FaultConfig;

/// Marker extension on a response: close the connection instead of answering.
///
/// Lives with the faults that set it, so that the request handler (`http`) and the
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
            rng: StdRng::seed_from_u64(seed ^ 0x2E4D_E5C0),
        }
    }

    /// Draws the fault of one request, if any.
    pub fn roll(&mut self) -> Option<Fault> {
        let c = &self.cfg;
        if c.error_rate <= 0.0 && c.drop_rate <= 0.0 && c.slow_rate <= 0.0 {
            return None;
        }
        let x: f64 = self.rng.gen_range(0.0..1.0);
        let mut edge = c.error_rate.max(0.0);
        if x < edge {
            return Some(Fault::Error([500, 502, 503, 524][self.rng.gen_range(0..4)]));
        }
        edge += c.drop_rate.max(0.0);
        if x < edge {
            return Some(Fault::Drop);
        }
        edge += c.slow_rate.max(0.0);
        (x < edge).then_some(Fault::Slow)
    }
}

/// Body of a 5xx fault. Zendesk sits behind Cloudflare: gateway errors (502, 503, 524) come as
/// HTML pages, and the application's own 500 as JSON (tap-zendesk retries 5xx, 520 and 524).
pub fn error_body(status: u16) -> (&'static str, &'static str) {
    match status {
        500 => (
            crate::errors::JSON_CT,
            r#"{"error":"InternalError","description":"Something went wrong"}"#,
        ),
        502 => (
            "text/html",
            "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n",
        ),
        503 => (
            "text/html",
            "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n</body>\r\n</html>\r\n",
        ),
        _ => (
            "text/html; charset=UTF-8",
            "<!DOCTYPE html>\n<html><head><title>zendesk.com | 524: A timeout occurred</title></head><body>Error code 524</body></html>\n",
        ),
    }
}
