//! HTTP pipeline of the API host: account lookup, faults, authentication, scopes, rate limits,
//! dispatch and the headers every Zendesk answer carries.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::Response;
use base64::Engine;
use sha2::Digest;

use crate::errors::{ApiError, raw};
use crate::faults::{self, Fault};
use crate::ratelimit::{Admit, Bucket, Refusal, Usage, retry_after_secs};
use crate::request::Req;
use crate::server::DropConnection;
use crate::sim::{AccountCell, Simulator, lock, read};

/// Largest accepted request body.
const MAX_BODY: usize = 50 * 1024 * 1024;

/// Builds the router: `/_sim` control plus the API fallback.
pub fn router(sim: Simulator) -> Router {
    Router::new()
        .nest("/_sim", crate::control::routes())
        .fallback(entry)
        .with_state(sim)
}

/// `(error, description)` of Basic credentials: `Some((email, token))` for `email/token:token`.
enum Cred {
    Token(String, String),
    Password,
    Bearer(String),
    Missing,
}

fn credentials(headers: &HeaderMap) -> Cred {
    let Some(v) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return Cred::Missing;
    };
    let Some((scheme, rest)) = v.split_once(' ') else {
        return Cred::Missing;
    };
    if scheme.eq_ignore_ascii_case("bearer") {
        return Cred::Bearer(rest.trim().to_owned());
    }
    if !scheme.eq_ignore_ascii_case("basic") {
        return Cred::Missing;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok());
    match decoded.as_deref().and_then(|s| s.split_once(':')) {
        Some((user, secret)) => match user.strip_suffix("/token") {
            Some(email) => Cred::Token(email.to_owned(), secret.to_owned()),
            None => Cred::Password,
        },
        None => Cred::Password,
    }
}

fn bucket_of(method: &Method, segs: &[String]) -> Option<Bucket> {
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    match (method, s.as_slice()) {
        (_, ["incremental", ..]) => Some(Bucket::Incremental),
        (&Method::GET, ["tickets"]) => Some(Bucket::TicketsIndex),
        (&Method::PUT, ["tickets", _]) => Some(Bucket::TicketsUpdate),
        (&Method::POST, ["tickets"]) => Some(Bucket::TicketCreate),
        _ => None,
    }
}

async fn entry(State(sim): State<Simulator>, req: Request) -> Response {
    let started = Instant::now();
    let (acct, mut resp) = handle(sim, req).await;
    let h = resp.headers_mut();
    let rid = uuid::Uuid::new_v4().simple().to_string();
    let legacy = acct.as_ref().is_some_and(|a| a.legacy_headers());
    let mut set = |k: &'static str, v: String| {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.insert(k, v);
        }
    };
    set("x-request-id", format!("{}-SIM", &rid[..16]));
    set(
        "x-runtime",
        format!("{:.6}", started.elapsed().as_secs_f64()),
    );
    set("x-zendesk-api-version", "v2".into());
    set("x-zendesk-application-version", "v19942".into());
    set("x-zendesk-origin-server", "classic-app-server-sim".into());
    set("x-zendesk-zorg", "yes".into());
    if !legacy {
        set("x-zendesk-api-gateway", "yes".into());
    }
    set(
        "cache-control",
        "max-age=0, private, must-revalidate".into(),
    );
    set(
        "strict-transport-security",
        "max-age=31536000; includeSubDomains".into(),
    );
    set("x-frame-options", "SAMEORIGIN".into());
    resp
}

/// Adds the account and endpoint rate-limit headers in the account's naming generation.
fn rate_headers(
    resp: &mut Response,
    legacy: bool,
    account: Usage,
    endpoint: Option<(Bucket, Usage)>,
) {
    let h = resp.headers_mut();
    let mut set = |k: String, v: String| {
        if let (Ok(k), Ok(v)) = (
            axum::http::HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(&v),
        ) {
            h.insert(k, v);
        }
    };
    set("x-rate-limit".into(), account.total.to_string());
    set(
        "x-rate-limit-remaining".into(),
        account.remaining.to_string(),
    );
    let p = if legacy { "rate-limit" } else { "ratelimit" };
    let limit = if legacy {
        "rate-limit"
    } else {
        "ratelimit-limit"
    };
    set(limit.into(), account.total.to_string());
    set(format!("{p}-remaining"), account.remaining.to_string());
    set(format!("{p}-reset"), account.resets.to_string());
    if let Some((b, u)) = endpoint
        && let Some(name) = b.header()
    {
        let z = if legacy {
            "zendesk-rate-limit"
        } else {
            "zendesk-ratelimit"
        };
        set(
            format!("{z}-{name}"),
            format!(
                "total={}; remaining={}; resets={}",
                u.total, u.remaining, u.resets
            ),
        );
    }
}

fn split_account(
    sim: &Simulator,
    path: &str,
    host: Option<&str>,
) -> Result<(Option<Arc<AccountCell>>, String), ApiError> {
    if let Some(rest) = path.strip_prefix("/d/") {
        let (sub, tail) = rest.split_once('/').unwrap_or((rest, ""));
        return match sim.by_subdomain(sub) {
            Some(a) => Ok((Some(a), format!("/{tail}"))),
            None => Err(ApiError::NoHelpDesk(sub.to_owned())),
        };
    }
    // `{sub}.localhost[:port]` or `{sub}.zendesk.com`: the first label names the account.
    let host = host.unwrap_or("").split(':').next().unwrap_or("");
    if let Some((sub, domain)) = host.split_once('.')
        && (domain == "localhost" || domain == "zendesk.com")
    {
        return match sim.by_subdomain(sub) {
            Some(a) => Ok((Some(a), path.to_owned())),
            None => Err(ApiError::NoHelpDesk(sub.to_owned())),
        };
    }
    Ok((None, path.to_owned()))
}

async fn handle(sim: Simulator, req: Request) -> (Option<Arc<AccountCell>>, Response) {
    let path = req.uri().path().to_owned();
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (prefixed, api_path) = match split_account(&sim, &path, host.as_deref()) {
        Ok(x) => x,
        Err(e) => return (None, e.into_response()),
    };
    if let Some(token) = api_path
        .strip_prefix("/attachments/token/")
        .map(|t| t.trim_end_matches('/'))
    {
        return match &prefixed {
            Some(a) => (Some(a.clone()), crate::content::redirect(&sim, a, token)),
            None => (None, ApiError::NotFound.into_response()),
        };
    }
    let Some(rest) = api_path.strip_prefix("/api/v2") else {
        return (
            prefixed,
            raw(
                404,
                "text/html; charset=utf-8",
                b"<h1>Page not found</h1>".to_vec(),
            ),
        );
    };
    let mut segs: Vec<String> = rest
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if let Some(last) = segs.last_mut()
        && let Some(stem) = last.strip_suffix(".json")
    {
        *last = stem.to_owned();
    }
    let cred = credentials(req.headers());
    let acct = match (&prefixed, &cred) {
        (Some(a), _) => Some(a.clone()),
        (None, Cred::Token(_, t)) => sim.by_credential(t, false),
        (None, Cred::Bearer(t)) => sim.by_credential(t, true),
        _ => None,
    };
    let Some(acct) = acct else {
        let e = if matches!(cred, Cred::Bearer(_)) {
            ApiError::BadBearer
        } else {
            ApiError::BadBasic
        };
        return (None, e.into_response());
    };
    lock(&acct.counters).requests += 1;

    let fault = lock(&sim.inner.faults).roll();
    let slow = lock(&sim.inner.faults).cfg.slow_delay;
    if fault.is_some() {
        lock(&acct.counters).faults += 1;
    }
    match fault {
        Some(Fault::Error(status)) => {
            let (ct, body) = faults::error_body(status);
            return (Some(acct), raw(status, ct, body.as_bytes().to_vec()));
        }
        Some(Fault::Drop) => {
            let mut r = Response::new(Body::empty());
            r.extensions_mut().insert(DropConnection);
            return (Some(acct), r);
        }
        Some(Fault::Slow) => tokio::time::sleep(slow).await,
        None => {}
    }

    // Authentication: the API token is the account's; the email picks the user it acts as.
    let found_user = {
        let meta = read(&acct.meta);
        let data = read(&acct.data);
        match &cred {
            Cred::Token(email, token) if meta.api_token.as_deref() == Some(token.as_str()) => data
                .user_by_email(email)
                .filter(|u| u.active && !u.suspended)
                .map(|u| (u.clone(), None)),
            Cred::Bearer(token) => meta.oauth.iter().find(|t| &t.token == token).and_then(|t| {
                data.users
                    .get(&t.user_id)
                    .map(|u| (u.clone(), Some(t.scopes.clone())))
            }),
            _ => None,
        }
    };
    let Some((me, scopes)) = found_user else {
        let e = if matches!(cred, Cred::Bearer(_)) {
            ApiError::BadBearer
        } else {
            ApiError::BadBasic
        };
        return (Some(acct), e.into_response());
    };
    let method = req.method().clone();
    if let Some(scopes) = scopes {
        let write = method != Method::GET && method != Method::HEAD;
        let resource = segs.first().map(String::as_str).unwrap_or("");
        let (general, specific) = if write {
            ("write", format!("{resource}:write"))
        } else {
            ("read", format!("{resource}:read"))
        };
        if !scopes.iter().any(|s| s == general || *s == specific) {
            return (Some(acct), ApiError::MissingScope(general).into_response());
        }
    }

    let settings = sim.settings();
    let minute = crate::config::scaled_minute(settings.time_scale);
    let plan = read(&acct.meta).plan;
    let admit = lock(&acct.limiter).admit(
        plan,
        bucket_of(&method, &segs),
        settings.edge_per_second,
        Instant::now(),
        minute,
    );
    let legacy = acct.legacy_headers();
    let (account_usage, endpoint) = match admit {
        Admit::Allowed { account, endpoint } => (account, endpoint),
        Admit::Limited(refusal, wait, usage) => {
            lock(&acct.counters).rate_limited += 1;
            let mut r = match refusal {
                Refusal::Edge => raw(429, crate::errors::JSON_CT, br#"{"detail":"Rate limited by Zendesk edge protection","status":"429","title":"Automated response"}"#.to_vec()),
                Refusal::Incremental => raw(429, crate::errors::JSON_CT, br#"{"error":"APIRateLimitExceeded","description":"Number of allowed incremental export API requests per minute exceeded"}"#.to_vec()),
                Refusal::Account | Refusal::Endpoint => raw(429, "text/plain; charset=utf-8", b"Number of allowed API requests per minute exceeded".to_vec()),
            };
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs(wait).to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            if refusal != Refusal::Edge {
                let account = lock(&acct.limiter).peek(plan, Instant::now(), minute);
                rate_headers(
                    &mut r,
                    legacy,
                    if refusal == Refusal::Account {
                        usage
                    } else {
                        account
                    },
                    None,
                );
            }
            return (Some(acct), r);
        }
    };

    // 30 updates per 10 minutes per user per ticket, on throttled plans.
    let mut per_ticket = None;
    if method == Method::PUT
        && plan.is_some()
        && let [first, id] = segs.as_slice()
        && first == "tickets"
        && let Ok(ticket) = id.parse::<i64>()
    {
        let counted = lock(&acct.limiter).per_ticket(me.id, ticket, Instant::now(), minute);
        match counted {
            Ok(u) => per_ticket = Some(u),
            Err((wait, u)) => {
                lock(&acct.counters).rate_limited += 1;
                let mut r = raw(
                    429,
                    "text/plain; charset=utf-8",
                    b"Number of allowed API requests per minute exceeded".to_vec(),
                );
                if let Ok(v) = HeaderValue::from_str(&retry_after_secs(wait).to_string()) {
                    r.headers_mut().insert(header::RETRY_AFTER, v);
                }
                rate_headers(&mut r, legacy, account_usage, None);
                ticket_header(&mut r, legacy, u);
                return (Some(acct), r);
            }
        }
    }
    let query: Vec<(String, String)> = req
        .uri()
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let body = match axum::body::to_bytes(req.into_body(), MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return (
                Some(acct),
                ApiError::BadRequest("InvalidRequest", "Request body too large".into())
                    .into_response(),
            );
        }
    };
    let r = Req {
        method,
        segs,
        query,
        body,
        me,
        ctx: sim.ctx(&acct),
    };
    let mut resp = crate::routes::dispatch(&sim, &acct, &r);
    if matches!(resp.status().as_u16(), 200 | 201) {
        etag(&mut resp);
    }
    rate_headers(&mut resp, legacy, account_usage, endpoint);
    if let Some(u) = per_ticket {
        ticket_header(&mut resp, legacy, u);
    }
    (Some(acct), resp)
}

/// `Zendesk-RateLimit-per-ticket-updates` (recorded as `total=30; remaining=29; resets=468`).
fn ticket_header(resp: &mut Response, legacy: bool, u: Usage) {
    let name = if legacy {
        "zendesk-rate-limit-per-ticket-updates"
    } else {
        "zendesk-ratelimit-per-ticket-updates"
    };
    let value = format!(
        "total={}; remaining={}; resets={}",
        u.total, u.remaining, u.resets
    );
    if let Ok(v) = HeaderValue::from_str(&value) {
        resp.headers_mut().insert(name, v);
    }
}

/// A weak ETag on successful answers with a body (random: bodies are not hashed).
fn etag(resp: &mut Response) {
    let digest = sha2::Sha256::digest(uuid::Uuid::new_v4().as_bytes());
    let tag = format!("W/\"{}\"", &hex::encode(digest)[..32]);
    if let Ok(v) = HeaderValue::from_str(&tag) {
        resp.headers_mut().insert(header::ETAG, v);
    }
}
