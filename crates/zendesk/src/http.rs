//! The HTTP layer: every call to Zendesk goes through here.
//!
//! It authenticates (`{email}/token` Basic or OAuth Bearer), spends from the [`RateBudget`]
//! lane of the endpoint, honours `Retry-After` on every 429 shape (plain text, the incremental
//! JSON, the edge JSON: the body is only used to tell which limit was hit), retries 5xx,
//! timeouts, resets and bodies that are not JSON with jittered exponential backoff, and
//! classifies every other failure into a [`ProviderError`]. Nothing here logs headers, and no
//! error carries a secret.

use std::sync::{Arc, Once};
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use deskbridge_provider::ProviderError;
use rand::Rng;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde_json::Value;
use url::Url;

use crate::budget::{Lane, RateBudget};
use crate::domain::ZendeskAuth;
use crate::errors::classify_status;

/// Timeout for establishing a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest single backoff between retries.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// A raw answer, as the passthrough endpoint relays it.
#[derive(Debug, Clone)]
pub struct RawResponse {
    /// HTTP status.
    pub status: StatusCode,
    /// Response headers.
    pub headers: HeaderMap,
    /// Response body.
    pub body: Bytes,
}

static INSTALL_PROVIDER: Once = Once::new();

/// Installs rustls' ring crypto provider once per process (an installed one is kept).
pub fn install_crypto_provider() {
    INSTALL_PROVIDER.call_once(|| {
        let _already_installed = rustls::crypto::ring::default_provider().install_default();
    });
}

/// The HTTP client for API calls: rustls, timeouts, and **no redirects**. Zendesk's API does
/// not redirect; a redirect could only carry the `Authorization` header somewhere else.
pub fn http_client() -> reqwest::Client {
    install_crypto_provider();
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(Duration::from_secs(120))
        .redirect(reqwest::redirect::Policy::none())
        .referer(false)
        .user_agent(concat!("deskbridge/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

/// How a call treats the budget and failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Sync: waits for the budget, sleeps through 429s, retries transients.
    Sync,
    /// Credential check: waits for the budget; any answer is returned raw (429 → error).
    Check,
    /// Passthrough and writes: fails fast on the budget, no retries, any status returned.
    Once,
}

/// The per-account HTTP handle.
pub(crate) struct Http {
    pub(crate) client: reqwest::Client,
    pub(crate) base: Url,
    pub(crate) auth: ZendeskAuth,
    pub(crate) budget: Arc<RateBudget>,
    pub(crate) timeout: Duration,
    pub(crate) max_retries: u32,
    pub(crate) retry_base: Duration,
}

impl std::fmt::Debug for Http {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Http")
            .field("base", &self.base.as_str())
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

/// The lane of an API path (relative to `/api/v2/`).
pub(crate) fn lane_of(method: &Method, rel: &str) -> Lane {
    let path = rel.split('?').next().unwrap_or(rel).trim_start_matches('/');
    let path = path.strip_prefix("api/v2/").unwrap_or(path);
    if path.starts_with("incremental/") || path == "incremental" {
        return Lane::Incremental;
    }
    let segs: Vec<&str> = path
        .trim_end_matches(".json")
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    match (method.as_str(), segs.as_slice()) {
        ("PUT", ["tickets", _]) => Lane::Endpoint("tickets-update"),
        ("GET", ["tickets"]) => Lane::Endpoint("tickets-index"),
        ("GET", ["tags"]) => Lane::Endpoint("tags-index"),
        _ => Lane::Account,
    }
}

impl Http {
    /// `{base}api/v2/{path_and_query}`; `path_and_query` is a trusted relative path.
    pub(crate) fn api_url(&self, path_and_query: &str) -> Result<Url, ProviderError> {
        self.base
            .join(&format!(
                "api/v2/{}",
                path_and_query.trim_start_matches('/')
            ))
            .map_err(|_| ProviderError::Protocol("could not build a request URL".into()))
    }

    fn authorization(&self) -> Result<HeaderValue, ProviderError> {
        let value = match &self.auth {
            ZendeskAuth::ApiToken { email, api_token } => {
                let raw = format!("{email}/token:{}", api_token.expose_secret());
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(raw)
                )
            }
            ZendeskAuth::OAuth { access_token } => {
                format!("Bearer {}", access_token.expose_secret())
            }
        };
        let mut v = HeaderValue::from_str(&value)
            .map_err(|_| ProviderError::Protocol("the credentials are not printable".into()))?;
        v.set_sensitive(true);
        Ok(v)
    }

    /// GETs a JSON document (sync mode) at a path under `/api/v2/`.
    pub(crate) async fn get_json(&self, rel: &str) -> Result<(Value, HeaderMap), ProviderError> {
        let url = self.api_url(rel)?;
        self.get_url(url, &lane_of(&Method::GET, rel)).await
    }

    /// GETs a JSON document (sync mode) at a full URL, which must stay under this account's
    /// `/api/v2/` (links returned by Zendesk are followed only there).
    pub(crate) async fn get_url(
        &self,
        url: Url,
        lane: &Lane,
    ) -> Result<(Value, HeaderMap), ProviderError> {
        let prefix = format!("{}api/v2/", self.base.path());
        if url.origin() != self.base.origin() || !url.path().starts_with(&prefix) {
            return Err(ProviderError::Protocol(
                "Zendesk linked to a page outside this account".into(),
            ));
        }
        let raw = self
            .execute(Method::GET, url, None, lane, Mode::Sync)
            .await?;
        let value = serde_json::from_slice(&raw.body)
            .map_err(|_| ProviderError::Protocol("the answer is not JSON".into()))?;
        Ok((value, raw.headers))
    }

    /// Sends one request with the budget, retries and classification of `mode`.
    pub(crate) async fn execute(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
        lane: &Lane,
        mode: Mode,
    ) -> Result<RawResponse, ProviderError> {
        let auth = self.authorization()?;
        let mut attempt: u32 = 0;
        let mut limited: u32 = 0;
        loop {
            if mode == Mode::Once {
                self.budget
                    .try_acquire_now(lane)
                    .map_err(|retry_after| ProviderError::RateLimited { retry_after })?;
            } else {
                self.budget.acquire(lane).await;
            }
            self.budget.note_call(lane);
            let mut req = self
                .client
                .request(method.clone(), url.clone())
                .header(AUTHORIZATION, auth.clone())
                .header(ACCEPT, "application/json")
                .timeout(self.timeout);
            if let Some(b) = body {
                req = req.json(b);
            }
            let transient = match req.send().await {
                Err(e) => {
                    let err = transport_error(&e);
                    if !matches!(err, ProviderError::Transient(_)) || mode == Mode::Once {
                        return Err(err);
                    }
                    err
                }
                Ok(resp) => {
                    let status = resp.status();
                    let headers = resp.headers().clone();
                    self.budget.record_response(&headers);
                    let body = match resp.bytes().await {
                        Ok(b) => b,
                        Err(e) if mode == Mode::Once => return Err(transport_error(&e)),
                        Err(e) => {
                            self.backoff(&mut attempt, transport_error(&e)).await?;
                            continue;
                        }
                    };
                    if status == StatusCode::TOO_MANY_REQUESTS {
                        let retry_after = retry_after(&headers)
                            .unwrap_or_else(|| self.budget.default_retry_after());
                        let hit = limited_lane(lane, &headers, &body);
                        self.budget.record_429(&hit, retry_after);
                        limited += 1;
                        if mode != Mode::Sync || limited > self.max_retries {
                            return Err(ProviderError::RateLimited { retry_after });
                        }
                        tracing::debug!(?retry_after, ?hit, "zendesk answered 429; waiting");
                        continue; // `acquire` sleeps until Retry-After has passed.
                    }
                    let raw = RawResponse {
                        status,
                        headers,
                        body,
                    };
                    if mode == Mode::Once || (mode == Mode::Check && status.is_client_error()) {
                        return Ok(raw);
                    }
                    if status.is_server_error() {
                        ProviderError::Transient(format!("HTTP {}", status.as_u16()))
                    } else if status.is_success() {
                        if status == StatusCode::NO_CONTENT
                            || serde_json::from_slice::<Value>(&raw.body).is_ok()
                        {
                            return Ok(raw);
                        }
                        ProviderError::Protocol("the answer is not JSON".into())
                    } else {
                        return Err(classify_status(status, &raw.body));
                    }
                }
            };
            self.backoff(&mut attempt, transient).await?;
        }
    }

    /// Sleeps before the next attempt, or returns `err` when the retries are spent.
    async fn backoff(&self, attempt: &mut u32, err: ProviderError) -> Result<(), ProviderError> {
        if *attempt >= self.max_retries {
            return Err(err);
        }
        *attempt += 1;
        self.budget.note_retry();
        let delay = backoff(self.retry_base, *attempt);
        tracing::debug!(attempt = *attempt, ?delay, error = %err, "retrying zendesk call");
        tokio::time::sleep(delay).await;
        Ok(())
    }
}

/// Which lane a 429 blocks: the incremental JSON body blocks the incremental lane; a 429 on
/// an endpoint lane while the account still has calls left blocks that endpoint; anything
/// else (plain text, edge protection) blocks the account.
fn limited_lane(lane: &Lane, headers: &HeaderMap, body: &[u8]) -> Lane {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let error = json
        .as_ref()
        .and_then(|v| v.get("error"))
        .and_then(Value::as_str);
    if error == Some("APIRateLimitExceeded") {
        return Lane::Incremental;
    }
    let account_left = headers
        .get("x-rate-limit-remaining")
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.trim().parse::<u64>().ok())
        .is_some_and(|r| r > 0);
    match lane {
        Lane::Endpoint(n) if account_left => Lane::Endpoint(n),
        _ => Lane::Account,
    }
}

/// Full-jitter-ish exponential backoff: between half and all of `base·2^(attempt−1)`, capped.
fn backoff(base: Duration, attempt: u32) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
    let cap = exp.min(MAX_BACKOFF);
    let millis = cap.as_millis().max(2) as u64;
    Duration::from_millis(rand::thread_rng().gen_range(millis / 2..=millis))
}

/// `Retry-After` in seconds (an integer, or a fraction).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs.max(1)));
    }
    v.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| Duration::from_secs_f64(s.max(0.001)))
}

/// Classifies a transport failure: connection failures (DNS, refused, TLS) are
/// `Unreachable`; timeouts, resets and broken bodies are `Transient`.
pub(crate) fn transport_error(e: &reqwest::Error) -> ProviderError {
    let detail = root_cause(e);
    if e.is_connect() {
        ProviderError::Unreachable(detail)
    } else if e.is_timeout() {
        ProviderError::Transient("the helpdesk did not answer in time".into())
    } else {
        ProviderError::Transient(detail)
    }
}

/// The innermost cause of an error, without URLs.
fn root_cause(e: &reqwest::Error) -> String {
    let mut cur: &dyn std::error::Error = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    let msg = cur.to_string();
    if msg.contains("://") || msg.contains("for url") {
        "request failed".to_string()
    } else {
        msg.chars().take(200).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes() {
        assert_eq!(
            lane_of(&Method::GET, "incremental/tickets/cursor.json?start_time=0"),
            Lane::Incremental
        );
        assert_eq!(
            lane_of(&Method::PUT, "tickets/4.json"),
            Lane::Endpoint("tickets-update")
        );
        assert_eq!(lane_of(&Method::GET, "tickets/4/comments"), Lane::Account);
    }

    #[test]
    fn the_429_shapes_pick_their_lane() {
        let h = HeaderMap::new();
        let inc = br#"{"error":"APIRateLimitExceeded","description":"x"}"#;
        assert_eq!(limited_lane(&Lane::Incremental, &h, inc), Lane::Incremental);
        let text = b"Number of allowed API requests per minute exceeded";
        assert_eq!(limited_lane(&Lane::Incremental, &h, text), Lane::Account);
        let edge = br#"{"detail":"Rate limited by Zendesk edge protection","status":"429","title":"Automated response"}"#;
        assert_eq!(limited_lane(&Lane::Account, &h, edge), Lane::Account);
    }
}
