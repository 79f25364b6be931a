//! Attachment downloads. `content_url` (`{site}/attachments/token/{token}/?name={file}`) lives
//! on the account host and answers 302 to a signed URL on the content host, a different port
//! that stands for `*.zdusercontent.com` (reference §4.8). The signed URL needs no
//! credentials; a request that carries an `Authorization` header there is refused with 400
//! (as object stores refuse a second authentication mechanism; the exact Zendesk answer is not
//! recorded) and counted in `credentials_off_host`, so tests can prove an adapter never sends
//! its Zendesk credentials off-host.

use axum::Router;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::errors::{empty, raw};
use crate::sim::{AccountCell, Simulator, lock, read};
use crate::time::now_secs;

/// Lifetime of a signed URL in real seconds.
const SIGNED_TTL: i64 = 300;

fn signature(seed: u64, sub: &str, token: &str, expires: i64) -> String {
    let key = format!("zendesk-sim-content-{seed}");
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key.as_bytes()) else {
        return String::new();
    };
    mac.update(format!("{sub}/{token}/{expires}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// `GET {site}/attachments/token/{token}/`: 302 to the content host, or 404.
pub fn redirect(sim: &Simulator, acct: &AccountCell, token: &str) -> Response {
    let data = read(&acct.data);
    let Some(a) = data.attachment_by_token(token) else {
        return raw(
            404,
            "text/html; charset=utf-8",
            b"<h1>Not Found</h1>".to_vec(),
        );
    };
    let expires = now_secs() + SIGNED_TTL;
    let sig = signature(sim.inner.cfg.seed, &acct.subdomain, token, expires);
    let base = read(&sim.inner.content_url).clone().unwrap_or_default();
    let location = format!(
        "{base}/{}/{token}/{}?expires={expires}&signature={sig}",
        acct.subdomain,
        urlencoding::encode(&a.file_name)
    );
    let mut r = empty(302);
    if let Ok(v) = HeaderValue::from_str(&location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// The content host's router.
pub fn router(sim: Simulator) -> Router {
    Router::new()
        .route("/{sub}/{token}/{name}", axum::routing::get(download))
        .with_state(sim)
}

#[derive(Debug, serde::Deserialize)]
struct Signed {
    expires: Option<i64>,
    signature: Option<String>,
}

async fn download(
    State(sim): State<Simulator>,
    Path((sub, token, _name)): Path<(String, String, String)>,
    Query(q): Query<Signed>,
    req: Request,
) -> Response {
    let Some(acct) = sim.by_subdomain(&sub) else {
        return raw(404, "text/plain", b"Not Found".to_vec());
    };
    if req.headers().contains_key(header::AUTHORIZATION) {
        lock(&acct.counters).credentials_off_host += 1;
        return raw(
            400,
            "application/xml",
            b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed</Message></Error>".to_vec(),
        );
    }
    let (Some(expires), Some(sig)) = (q.expires, q.signature) else {
        return raw(403, "text/plain", b"AccessDenied".to_vec());
    };
    if expires < now_secs() || sig != signature(sim.inner.cfg.seed, &sub, &token, expires) {
        return raw(
            403,
            "text/plain",
            b"AccessDenied: Request has expired".to_vec(),
        );
    }
    let data = read(&acct.data);
    let Some(a) = data.attachment_by_token(&token) else {
        return raw(404, "text/plain", b"Not Found".to_vec());
    };
    lock(&acct.counters).downloads += 1;
    let mut r = raw(200, &a.content_type, a.bytes.clone());
    let disposition = format!("attachment; filename=\"{}\"", a.file_name);
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}
