//! HTTP pipeline: account lookup, faults, throttling, suspension, authentication, dispatch.

pub mod query;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use base64::Engine;

use crate::errors::{ApiError, JSON_CT, empty, raw};
use crate::faults::{self, DropConnection, Fault};
use crate::ratelimit::{Admit, Sub, retry_after_secs};
use crate::req::{Outcome, Req};
use crate::sim::{AccountCell, KeyRole, Simulator, lock, read};
use query::Query;

/// Largest accepted request body.
const MAX_BODY: usize = 25 * 1024 * 1024;

/// Builds the router: `/_sim` control plus the API fallback.
pub fn router(sim: Simulator) -> Router {
    Router::new()
        .nest("/_sim", crate::control_http::routes())
        .fallback(entry)
        .with_state(sim)
}

fn basic_user(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = v.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let s = String::from_utf8(decoded).ok()?;
    Some(s.split_once(':').map(|(u, _)| u.to_owned()).unwrap_or(s))
}

fn sub_of(method: &Method, segs: &[String]) -> Option<Sub> {
    match (
        method,
        segs.iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice(),
    ) {
        (&Method::GET, ["tickets"]) => Some(Sub::TicketsList),
        (&Method::POST, ["tickets"]) => Some(Sub::TicketCreate),
        (&Method::PUT, ["tickets", _]) => Some(Sub::TicketUpdate),
        (&Method::GET, ["contacts"]) => Some(Sub::ContactsList),
        _ => None,
    }
}

async fn entry(State(sim): State<Simulator>, req: Request) -> Response {
    let mut resp = handle(sim, req).await;
    let id = uuid::Uuid::new_v4().to_string();
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    resp
}

async fn handle(sim: Simulator, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    if let Some(rest) = path.strip_prefix("/_attachments/") {
        return crate::routes::attachments::serve(&sim, rest, req.uri().query());
    }
    let (account, api_path) = match path.strip_prefix("/d/") {
        Some(rest) => {
            let (sub, tail) = rest.split_once('/').unwrap_or((rest, ""));
            match sim.by_subdomain(sub) {
                Some(a) => (Some(a), format!("/{tail}")),
                None => return raw(404, "application/json", b" ".to_vec()),
            }
        }
        None => (None, path.clone()),
    };
    let Some(segs) = api_path
        .strip_prefix("/api/v2/")
        .or(if api_path == "/api/v2" {
            Some("")
        } else {
            None
        })
    else {
        return empty(StatusCode::NOT_FOUND);
    };
    let segs: Vec<String> = segs
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let user = basic_user(req.headers());
    let key_account = user
        .as_deref()
        .filter(|u| !u.contains('@'))
        .and_then(|u| sim.by_key(u));
    let Some(account) = account.or_else(|| key_account.as_ref().map(|k| k.0.clone())) else {
        return with_version(ApiError::invalid_credentials().into_response());
    };
    let authed = match &key_account {
        Some((k, role)) if Arc::ptr_eq(k, &account) => Some(*role),
        _ => None,
    };
    lock(&account.counters).requests += 1;
    *lock(&account.calls)
        .entry(call_key(req.method(), &segs, req.uri().query()))
        .or_default() += 1;

    // Faults act like the network or the edge: before anything else, never changing state.
    let fault = lock(&sim.inner.faults).roll();
    let slow = lock(&sim.inner.faults).cfg.slow_delay;
    if fault.is_some() {
        lock(&account.counters).faults += 1;
    }
    match fault {
        Some(Fault::Error(status)) => {
            let (ct, body) = faults::error_body(status);
            return raw(status, ct, body.as_bytes().to_vec());
        }
        Some(Fault::Drop) => return dropped(),
        Some(Fault::Slow) => tokio::time::sleep(slow).await,
        Some(Fault::Malformed) if req.method() != Method::GET => {
            return with_version(raw(
                200,
                JSON_CT,
                faults::truncate(br#"[{"id":1,"description":"truncated"}]"#),
            ));
        }
        _ => {}
    }

    let method = req.method().clone();
    let sub = sub_of(&method, &segs);
    let window = sim.inner.cfg.window();
    let plan = read(&account.meta).plan;
    let admitted = lock(&account.limiter).admit(plan, sub, Instant::now(), window);
    let total = match admitted {
        Admit::Limited(wait) => {
            lock(&account.counters).rate_limited += 1;
            let mut r = raw(
                429,
                "application/json",
                br#"{"message":"You have exceeded the limit of requests per minute"}"#.to_vec(),
            );
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs(wait).to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return r;
        }
        Admit::Allowed { total } => total,
    };

    let out = serve(&sim, &account, authed, method, segs, path, req).await;
    let extra = if out.resp.status().is_success() {
        out.extra
    } else {
        0
    };
    let now = Instant::now();
    let remaining = {
        let mut l = lock(&account.limiter);
        l.charge_extra(sub, extra, now, window);
        l.remaining(total, now, window)
    };
    lock(&account.counters).credits += 1 + extra;
    let mut resp = out.resp;
    for (k, v) in [
        ("x-ratelimit-total", total.to_string()),
        ("x-ratelimit-remaining", remaining.to_string()),
        ("x-ratelimit-used-currentrequest", (1 + extra).to_string()),
    ] {
        if let Ok(v) = HeaderValue::from_str(&v) {
            resp.headers_mut().insert(k, v);
        }
    }
    let resp = if resp.status() == StatusCode::NOT_FOUND {
        resp
    } else {
        with_version(resp)
    };
    if fault == Some(Fault::Malformed) {
        return malformed(resp).await;
    }
    resp
}

/// `GET tickets filter=spam`: the method, the path under `/api/v2/` and the parameters that
/// choose a list (`filter`, `state`).
fn call_key(method: &Method, segs: &[String], query: Option<&str>) -> String {
    let mut key = format!("{method} {}", segs.join("/"));
    for pair in query.unwrap_or("").split('&') {
        if pair.starts_with("filter=") || pair.starts_with("state=") {
            key.push(' ');
            key.push_str(pair);
        }
    }
    key
}

async fn serve(
    sim: &Simulator,
    account: &Arc<AccountCell>,
    authed: Option<KeyRole>,
    method: Method,
    segs: Vec<String>,
    path: String,
    req: Request,
) -> Outcome {
    if read(&account.meta).suspended {
        return ApiError::suspended().into_response().into();
    }
    let agent = match authed {
        None => return ApiError::invalid_credentials().into_response().into(),
        Some(KeyRole::Customer) => return ApiError::access_denied().into_response().into(),
        // Automation rules are admin-only in Freshdesk.
        Some(KeyRole::Agent(_)) if segs.first().is_some_and(|s| s == "automations") => {
            return ApiError::access_denied().into_response().into();
        }
        Some(KeyRole::Agent(id)) => Some(id),
        Some(KeyRole::Admin) => None,
    };
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| sim.default_base().trim_start_matches("http://").to_owned());
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let query = Query::parse(req.uri().query());
    let body = match axum::body::to_bytes(req.into_body(), MAX_BODY).await {
        Ok(b) => b,
        Err(_) => return ApiError::invalid_json().into_response().into(),
    };
    let me = agent.unwrap_or_else(|| read(&account.data).admin_agent_id);
    let r = Req {
        method,
        segs,
        query,
        body,
        content_type,
        base: format!("http://{host}"),
        path,
        me,
    };
    crate::routes::dispatch(sim, account, &r)
}

fn with_version(mut r: Response) -> Response {
    r.headers_mut().insert(
        "x-freshdesk-api-version",
        HeaderValue::from_static("latest=v2; requested=v2"),
    );
    r
}

fn dropped() -> Response {
    let stream = futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("dropped by fault injection"))
    });
    let mut r = Response::new(Body::from_stream(stream));
    r.extensions_mut().insert(DropConnection);
    r
}

async fn malformed(resp: Response) -> Response {
    let (mut parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    parts.status = StatusCode::OK;
    parts.headers.remove(header::CONTENT_LENGTH);
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_CT));
    Response::from_parts(parts, Body::from(faults::truncate(&bytes)))
}
