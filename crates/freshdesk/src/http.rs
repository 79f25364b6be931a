//! The HTTP layer: every call to Freshdesk goes through here.
//!
//! It authenticates (HTTP Basic, the key as user and `X` as password), spends from the
//! [`RateBudget`], honours `Retry-After` on 429, retries 5xx, timeouts, connection resets and
//! bodies that are not JSON with jittered exponential backoff, and classifies every other
//! failure into a [`ProviderError`]. Nothing here logs headers, and no error carries the key.

use std::sync::{Arc, Once};
use std::time::Duration;

use bytes::Bytes;
use deskbridge_provider::{FieldProblem, ProviderError};
use rand::Rng;
use reqwest::header::{ACCEPT, HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use url::Url;

use crate::budget::{RateBudget, header_u64};

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

/// Installs rustls' ring crypto provider once per process (an already installed provider is
/// kept).
pub fn install_crypto_provider() {
    INSTALL_PROVIDER.call_once(|| {
        let _already_installed = rustls::crypto::ring::default_provider().install_default();
    });
}

/// The HTTP client shared by every linked account: rustls with ring, timeouts, and redirects
/// followed only within the same scheme, host and port (at most 3).
pub fn http_client() -> reqwest::Client {
    install_crypto_provider();
    let policy = reqwest::redirect::Policy::custom(|attempt| {
        let same_origin = attempt
            .previous()
            .first()
            .is_some_and(|first| first.origin() == attempt.url().origin());
        if attempt.previous().len() > 3 || !same_origin {
            attempt.stop()
        } else {
            attempt.follow()
        }
    });
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(Duration::from_secs(120))
        .redirect(policy)
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
    /// Credential check: waits for the budget; a 429 is answered at once and other 4xx are
    /// returned raw for the caller to classify.
    Check,
    /// Passthrough: fails fast on the budget, no retries, any HTTP status is returned.
    Passthrough,
}

/// The per-account HTTP handle.
pub(crate) struct Http {
    pub(crate) client: reqwest::Client,
    pub(crate) base: Url,
    pub(crate) api_key: SecretString,
    pub(crate) budget: Arc<RateBudget>,
    pub(crate) timeout: Duration,
    pub(crate) max_retries: u32,
    pub(crate) retry_base: Duration,
}

impl std::fmt::Debug for Http {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Http")
            .field("base", &self.base.as_str())
            .field("api_key", &"[REDACTED]")
            .finish_non_exhaustive()
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

    /// GETs a JSON document (sync mode). Returns the parsed body and the headers.
    pub(crate) async fn get_json(
        &self,
        path_and_query: &str,
        credits: u32,
    ) -> Result<(Value, HeaderMap), ProviderError> {
        let url = self.api_url(path_and_query)?;
        let raw = self
            .execute(Method::GET, url, None, credits, Mode::Sync)
            .await?;
        let value = serde_json::from_slice(&raw.body)
            .map_err(|_| ProviderError::Protocol("the answer is not JSON".into()))?;
        Ok((value, raw.headers))
    }

    /// GETs a JSON array (sync mode) and returns the answer's bytes, for the callers that read
    /// its items without building a tree of each ([`crate::mapping::raw`]).
    pub(crate) async fn get_body(
        &self,
        path_and_query: &str,
        credits: u32,
    ) -> Result<(bytes::Bytes, HeaderMap), ProviderError> {
        let url = self.api_url(path_and_query)?;
        let raw = self
            .execute(Method::GET, url, None, credits, Mode::Sync)
            .await?;
        Ok((raw.body, raw.headers))
    }

    /// Sends one request with the budget, retries and classification of `mode`.
    pub(crate) async fn execute(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
        credits: u32,
        mode: Mode,
    ) -> Result<RawResponse, ProviderError> {
        let mut attempt: u32 = 0;
        let mut limited: u32 = 0;
        loop {
            if mode == Mode::Passthrough {
                self.budget
                    .try_acquire_now(credits)
                    .map_err(|retry_after| ProviderError::RateLimited { retry_after })?;
            } else {
                self.budget.acquire(credits).await;
            }
            self.budget.note_call();
            let mut req = self
                .client
                .request(method.clone(), url.clone())
                .basic_auth(self.api_key.expose_secret(), Some("X"))
                .header(ACCEPT, "application/json")
                .timeout(self.timeout);
            if let Some(b) = body {
                req = req.json(b);
            }
            let transient = match req.send().await {
                Err(e) => {
                    let err = transport_error(&e);
                    if !matches!(err, ProviderError::Transient(_)) || mode == Mode::Passthrough {
                        return Err(err);
                    }
                    err
                }
                Ok(resp) => {
                    let status = resp.status();
                    let headers = resp.headers().clone();
                    if status == StatusCode::TOO_MANY_REQUESTS {
                        let retry_after = retry_after(&headers)
                            .unwrap_or_else(|| self.budget.default_retry_after());
                        self.budget.record_429(retry_after);
                        if header_u64(&headers, "x-ratelimit-total") == Some(0)
                            || self.budget.total() == Some(0)
                        {
                            return Err(ProviderError::NoApiAccess);
                        }
                        limited += 1;
                        if mode != Mode::Sync || limited > self.max_retries {
                            return Err(ProviderError::RateLimited { retry_after });
                        }
                        tracing::debug!(?retry_after, "freshdesk answered 429; waiting");
                        continue; // `acquire` sleeps until Retry-After has passed.
                    }
                    self.budget
                        .record_response(status.as_u16(), &headers, credits);
                    match resp.bytes().await {
                        Err(e) => {
                            let err = transport_error(&e);
                            if mode == Mode::Passthrough {
                                return Err(err);
                            }
                            err
                        }
                        Ok(body) => {
                            let raw = RawResponse {
                                status,
                                headers,
                                body,
                            };
                            if mode == Mode::Passthrough
                                || (mode == Mode::Check && status.is_client_error())
                            {
                                return Ok(raw);
                            }
                            if status.is_server_error() {
                                ProviderError::Transient(format!("HTTP {}", status.as_u16()))
                            } else if status.is_success() {
                                // Checked without building it (the caller parses it once):
                                // a sync reads hundreds of thousands of answers.
                                if status == StatusCode::NO_CONTENT
                                    || serde_json::from_slice::<serde::de::IgnoredAny>(&raw.body)
                                        .is_ok()
                                {
                                    return Ok(raw);
                                }
                                ProviderError::Protocol("the answer is not JSON".into())
                            } else {
                                return Err(classify_status(status, &raw.body));
                            }
                        }
                    }
                }
            };
            if attempt >= self.max_retries {
                return Err(transient);
            }
            attempt += 1;
            self.budget.note_retry();
            let delay = backoff(self.retry_base, attempt);
            tracing::debug!(attempt, ?delay, error = %transient, "retrying freshdesk call");
            tokio::time::sleep(delay).await;
        }
    }
}

/// Full-jitter-ish exponential backoff: between half and all of `base·2^(attempt−1)`, capped.
fn backoff(base: Duration, attempt: u32) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
    let cap = exp.min(MAX_BACKOFF);
    let millis = cap.as_millis().max(2) as u64;
    Duration::from_millis(rand::thread_rng().gen_range(millis / 2..=millis))
}

/// `Retry-After` in seconds (Freshdesk sends an integer).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs.max(1)));
    }
    v.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| Duration::from_secs_f64(s.max(0.001)))
}

/// Classifies a transport failure. Connection failures (DNS, refused, TLS) are
/// `Unreachable`; timeouts, resets and broken bodies are `Transient`.
pub(crate) fn transport_error(e: &reqwest::Error) -> ProviderError {
    let detail = root_cause(e);
    if e.is_connect() {
        ProviderError::Unreachable(detail)
    } else if e.is_timeout() {
        ProviderError::Transient("the helpdesk did not answer in time".into())
    } else if e.is_redirect() {
        ProviderError::Protocol("the helpdesk redirected too often".into())
    } else {
        ProviderError::Transient(detail)
    }
}

/// The innermost cause of an error, without URLs (so without anything a URL could carry).
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

/// Classifies a 4xx answer (never retried): 401 → Unauthorized, 403 `account_suspended` →
/// Suspended, other 403 → Forbidden(message), 404 → NotFound (a datacenter move → Transient),
/// 400/409/422 → Validation(errors), anything else → Protocol.
pub fn classify_status(status: StatusCode, body: &[u8]) -> ProviderError {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let code = json
        .as_ref()
        .and_then(|v| v.get("code"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let message = json
        .as_ref()
        .and_then(|v| v.get("message"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    match status.as_u16() {
        401 => ProviderError::Unauthorized,
        403 => match code.as_str() {
            "account_suspended" => ProviderError::Suspended,
            _ if message.is_empty() => ProviderError::Forbidden(if code.is_empty() {
                "access denied".into()
            } else {
                code
            }),
            _ => ProviderError::Forbidden(message),
        },
        404 => {
            if message.to_ascii_lowercase().contains("datacenter") {
                ProviderError::Transient(message)
            } else {
                ProviderError::NotFound
            }
        }
        400 | 409 | 422 => {
            let problems = json
                .as_ref()
                .and_then(|v| v.get("errors"))
                .and_then(Value::as_array)
                .map(|errs| {
                    errs.iter()
                        .map(|e| FieldProblem {
                            field: e
                                .get("nested_field")
                                .or_else(|| e.get("field"))
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_string(),
                            message: str_of(e, "message"),
                            code: str_of(e, "code"),
                        })
                        .collect::<Vec<_>>()
                })
                .unwrap_or_else(|| {
                    vec![FieldProblem {
                        field: String::new(),
                        message,
                        code,
                    }]
                });
            ProviderError::Validation(problems)
        }
        s => ProviderError::Protocol(format!(
            "HTTP {s}{}",
            if code.is_empty() {
                String::new()
            } else {
                format!(" ({code})")
            }
        )),
    }
}

fn str_of(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// True if the `Link` header announces a next page.
pub(crate) fn has_next_link(headers: &HeaderMap) -> bool {
    headers
        .get_all(reqwest::header::LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split(',')
                .any(|part| part.contains("rel=\"next\"") || part.contains("rel=next"))
        })
}

/// Checks a passthrough path and joins it under `/api/v2/` of `base`.
///
/// Accepts `tickets/1?include=stats`, `/tickets/1` and `/api/v2/tickets/1`. Refuses `..` and
/// `.` segments (also percent-encoded), absolute URLs, `//`, backslashes, `:` in the path,
/// fragments, whitespace and control characters, and anything that would leave the base's
/// origin or its `/api/v2/` prefix.
pub fn confine_path(base: &Url, path_and_query: &str) -> Result<Url, ProviderError> {
    let refuse = |why: &str| {
        ProviderError::Validation(vec![FieldProblem {
            field: "path".into(),
            message: format!("The path is not allowed: {why}"),
            code: "invalid_value".into(),
        }])
    };
    let p = path_and_query;
    if p.is_empty() {
        return Err(refuse("empty"));
    }
    if p.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(refuse("whitespace or control characters"));
    }
    if p.contains('\\') || p.contains('#') {
        return Err(refuse("backslash or fragment"));
    }
    let p = p
        .strip_prefix("/api/v2/")
        .or_else(|| p.strip_prefix("api/v2/"))
        .unwrap_or(p);
    let p = p.strip_prefix('/').unwrap_or(p);
    if p.starts_with('/') || p.contains("://") {
        return Err(refuse("absolute URL or host"));
    }
    let (path, _query) = p.split_once('?').unwrap_or((p, ""));
    if path.is_empty() {
        return Err(refuse("empty"));
    }
    if path.contains(':') || path.contains('@') || path.contains("//") {
        return Err(refuse("host override"));
    }
    for seg in path.split('/') {
        let decoded = seg.to_ascii_lowercase().replace("%2e", ".");
        if decoded == ".." || decoded == "." || seg.to_ascii_lowercase().contains("%2f") {
            return Err(refuse("dot segments"));
        }
    }
    let url = base
        .join(&format!("api/v2/{p}"))
        .map_err(|_| refuse("unparseable"))?;
    let prefix = format!("{}api/v2/", base.path());
    if url.origin() != base.origin()
        || !url.path().starts_with(&prefix)
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(refuse("outside /api/v2/"));
    }
    Ok(url)
}

/// Credits of a call: 1, plus per `include` value 2 on list endpoints and 1 on views (a path
/// whose last segment is a number).
pub fn call_credits(path_and_query: &str) -> u32 {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let includes: u32 = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .filter(|(k, _)| *k == "include")
        .map(|(_, v)| {
            v.split([',', '+'])
                .flat_map(|s| s.split("%2C").flat_map(|t| t.split("%2c")))
                .filter(|s| !s.is_empty())
                .count() as u32
        })
        .sum();
    let is_view = path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .is_some_and(|last| !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()));
    1 + includes * if is_view { 1 } else { 2 }
}

#[cfg(test)]
mod tests;
