//! A counting reverse proxy between the worker and the simulator: it forwards every request
//! unchanged and counts calls and credits (`X-RateLimit-Used-CurrentRequest`) by stream.
//! Started with a log ([`start_logged`]), it also keeps each request's arrival time, path and
//! the start of its body, so the push benchmark can time each step of a change's way.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, StatusCode};
use axum::response::Response;
use tokio::net::TcpListener;

/// Calls and credits by stream.
pub type Tally = BTreeMap<String, (u64, u64)>;

/// Names the stream a call (path and query) belongs to.
pub type Classify = fn(&str) -> &'static str;
/// One request seen by a logged proxy.
#[derive(Debug, Clone)]
pub struct Seen {
    /// When it arrived (before it was forwarded).
    pub at: Instant,
    /// Its path and query.
    pub path: String,
    /// The first 512 bytes of its body (lossy UTF-8).
    pub body: String,
    /// The status of the answer it got.
    pub status: u16,
}

type Log = Arc<Mutex<Vec<Seen>>>;

#[derive(Clone)]
struct Proxy {
    classify: Classify,
    target: String,
    own: String,
    http: reqwest::Client,
    counts: Arc<Mutex<Tally>>,
    /// Added before each request is forwarded: the round trip to a real helpdesk, which the
    /// local simulator does not have.
    latency: std::time::Duration,
    log: Option<Log>,
}

/// A running proxy.
pub struct ProxyHandle {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    counts: Arc<Mutex<Tally>>,
    log: Option<Log>,
    task: tokio::task::JoinHandle<()>,
}

impl ProxyHandle {
    /// Takes the counts and starts again from zero.
    pub fn take(&self) -> Tally {
        match self.counts.lock() {
            Ok(mut c) => std::mem::take(&mut *c),
            Err(p) => std::mem::take(&mut *p.into_inner()),
        }
    }

    /// Takes the log (empty without one) and starts it again.
    pub fn take_log(&self) -> Vec<Seen> {
        match &self.log {
            Some(l) => match l.lock() {
                Ok(mut v) => std::mem::take(&mut *v),
                Err(p) => std::mem::take(&mut *p.into_inner()),
            },
            None => Vec::new(),
        }
    }
}

impl Drop for ProxyHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The stream a Freshdesk call belongs to.
pub fn classify(path_and_query: &str) -> &'static str {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let rest = path.trim_start_matches('/');
    let rest = rest.strip_prefix("api/v2/").unwrap_or(rest);
    let segs: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    match segs.as_slice() {
        ["ticket_fields", ..] => "ticket_fields",
        ["groups", ..] => "groups",
        ["roles", ..] => "roles",
        ["agents", "me"] => "agents_me",
        ["agents"] => "agents",
        ["agents", _] => "agents_views",
        ["companies", ..] => "companies",
        ["contacts"] if query.contains("state=blocked") => "contacts_blocked",
        ["contacts"] if query.contains("state=deleted") => "contacts_deleted",
        ["contacts", ..] => "contacts",
        ["tickets"] if query.contains("filter=deleted") => "tickets_deleted",
        ["tickets"] if query.contains("filter=spam") => "tickets_spam",
        ["tickets"] => "tickets",
        ["tickets", _, "conversations"] => "conversations",
        // A targeted sync's view embeds the conversations; the sync's own view does not.
        ["tickets", _] if query.contains("include=conversations") => "push_views",
        ["tickets", _] => "ticket_views",
        _ => "other",
    }
}

async fn forward(State(p): State<Proxy>, req: Request) -> Response {
    let arrived = Instant::now();
    let pq = req
        .uri()
        .path_and_query()
        .map(|x| x.as_str().to_string())
        .unwrap_or_default();
    if !p.latency.is_zero() {
        tokio::time::sleep(p.latency).await;
    }
    let method = req.method().clone();
    let headers = req.headers().clone();
    let body = match axum::body::to_bytes(req.into_body(), 64 * 1024 * 1024).await {
        Ok(b) => b,
        Err(_) => return status(StatusCode::BAD_REQUEST),
    };
    let head = p
        .log
        .as_ref()
        .map(|_| String::from_utf8_lossy(&body[..body.len().min(512)]).into_owned());
    let mut out = p
        .http
        .request(method, format!("{}{pq}", p.target))
        .body(body);
    for (k, v) in &headers {
        if k != "host" && k != "content-length" {
            out = out.header(k, v);
        }
    }
    let res = match out.send().await {
        Ok(r) => r,
        Err(_) => return status(StatusCode::BAD_GATEWAY),
    };
    if let (Some(log), Some(body)) = (&p.log, head)
        && let Ok(mut l) = log.lock()
    {
        l.push(Seen {
            at: arrived,
            path: pq.clone(),
            body,
            status: res.status().as_u16(),
        });
    }
    let credits = res
        .headers()
        .get("x-ratelimit-used-currentrequest")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    if let Ok(mut c) = p.counts.lock() {
        let e = c.entry((p.classify)(&pq).to_string()).or_default();
        e.0 += 1;
        e.1 += credits;
    }
    let mut b = Response::builder().status(res.status());
    for (k, v) in res.headers() {
        if k == "content-length" || k == "transfer-encoding" || k == "connection" {
            continue;
        }
        if k == HeaderName::from_static("link")
            && let Ok(text) = v.to_str()
        {
            b = b.header(k, text.replace(&p.target, &p.own));
            continue;
        }
        b = b.header(k, v);
    }
    let bytes = res.bytes().await.unwrap_or_default();
    b.body(Body::from(bytes))
        .unwrap_or_else(|_| status(StatusCode::BAD_GATEWAY))
}

fn status(s: StatusCode) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = s;
    r
}

/// Starts a proxy to `target` (`http://host:port`), tallying Freshdesk's streams.
pub async fn start(target: &str) -> anyhow::Result<ProxyHandle> {
    start_full(target, classify, std::time::Duration::ZERO, false).await
}

/// Starts a proxy to `target` (`http://host:port`), tallying by `classify`.
pub async fn start_with(target: &str, classify: Classify) -> anyhow::Result<ProxyHandle> {
    start_full(target, classify, std::time::Duration::ZERO, false).await
}

/// Starts a proxy to `target` that waits `latency` before forwarding each request (the
/// round trip to a real helpdesk), tallying Freshdesk's streams.
pub async fn start_with_latency(
    target: &str,
    latency: std::time::Duration,
) -> anyhow::Result<ProxyHandle> {
    start_full(target, classify, latency, false).await
}

/// Starts a proxy to `target` that also logs every request ([`ProxyHandle::take_log`]).
pub async fn start_logged(target: &str) -> anyhow::Result<ProxyHandle> {
    start_full(target, classify, std::time::Duration::ZERO, true).await
}

async fn start_full(
    target: &str,
    classify: Classify,
    latency: std::time::Duration,
    logged: bool,
) -> anyhow::Result<ProxyHandle> {
    let log: Option<Log> = logged.then(|| Arc::new(Mutex::new(Vec::new())));
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let base_url = format!("http://{}", listener.local_addr()?);
    let counts = Arc::new(Mutex::new(Tally::new()));
    let state = Proxy {
        classify,
        target: target.trim_end_matches('/').to_string(),
        own: base_url.clone(),
        http: reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .build()?,
        counts: counts.clone(),
        latency,
        log: log.clone(),
    };
    let app = axum::Router::new().fallback(forward).with_state(state);
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(ProxyHandle {
        base_url,
        counts,
        log,
        task,
    })
}
