//! Webhooks API (reference §6.2), admin only: create, show, list, update (PUT replaces, PATCH
//! merges; both answer 204 as Zendesk's do), delete, and the signing secret (`GET` shows it,
//! `POST` resets it). Triggers (`routes/triggers.rs`) fire them; `crate::push` delivers.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::Answer;
use super::writes::envelope;
use crate::errors::{ApiError, empty, json_response};
use crate::pagination::{self, Key};
use crate::req::Req;
use crate::sim::{AccountCell, read, write};
use crate::time::{fmt, now_secs};

/// A 26-character ULID (48-bit milliseconds + 80 bits), Crockford base32.
fn ulid(seq: u64) -> String {
    const B32: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let ms = (now_secs() as u128) * 1000;
    let mut x = seq.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    x ^= x >> 29;
    let rand = (u128::from(x) << 16) ^ u128::from(seq & 0xFFFF);
    let v: u128 = (ms << 80) | (rand & ((1u128 << 80) - 1));
    (0..26)
        .rev()
        .map(|i| char::from(B32[((v >> (i * 5)) & 31) as usize]))
        .collect()
}

/// Hides secrets: only `username` of basic auth is shown, as recorded.
fn shown(stored: &Value) -> Value {
    let mut v = stored.clone();
    if let Some(data) = v.pointer_mut("/authentication/data")
        && let Some(m) = data.as_object_mut()
    {
        m.retain(|k, _| k == "username");
    }
    v
}

pub(super) fn admin(req: &Req) -> Result<(), ApiError> {
    if req.me.role == "admin" {
        Ok(())
    } else {
        Err(ApiError::Restricted)
    }
}

/// `POST /webhooks`: 201 `{webhook}`.
pub fn create(acct: &Arc<AccountCell>, req: &Req) -> Answer {
    admin(req)?;
    let o = envelope(&req.body, "webhook")?;
    let text = |k: &str| o.get(k).and_then(Value::as_str).map(str::to_owned);
    let (Some(name), Some(endpoint)) = (text("name"), text("endpoint")) else {
        return Err(ApiError::BadRequest(
            "InvalidParameter",
            "name and endpoint are required".into(),
        ));
    };
    let mut d = write(&acct.data);
    d.token_seq += 1;
    let id = ulid(d.token_seq);
    let v = json!({"id": id, "name": name, "description": text("description"),
        "status": text("status").unwrap_or_else(|| "active".into()),
        "subscriptions": o.get("subscriptions").cloned().unwrap_or(json!(["conditional_ticket_events"])),
        "created_at": fmt(now_secs()), "created_by": req.me.id.to_string(), "endpoint": endpoint,
        "http_method": text("http_method").unwrap_or_else(|| "POST".into()),
        "request_format": text("request_format").unwrap_or_else(|| "json".into()),
        "authentication": o.get("authentication").cloned().unwrap_or(Value::Null)});
    let secret = secret(&mut d);
    d.webhook_secrets.insert(id.clone(), secret);
    d.webhooks.insert(id, v.clone());
    Ok(json_response(201, &json!({"webhook": shown(&v)})))
}

/// `GET /webhooks/{id}`.
pub fn show(acct: &Arc<AccountCell>, req: &Req, id: &str) -> Answer {
    admin(req)?;
    let d = read(&acct.data);
    let v = d.webhooks.get(id).ok_or(ApiError::NotFound)?;
    Ok(json_response(200, &json!({"webhook": shown(v)})))
}

/// `GET /webhooks` (cursor paging by id).
pub fn list(acct: &Arc<AccountCell>, req: &Req) -> Answer {
    admin(req)?;
    let d = read(&acct.data);
    let items = d
        .webhooks
        .iter()
        .map(|(id, v)| (vec![Key::S(id.clone())], shown(v)))
        .collect();
    let mut body = pagination::list(req, "webhooks", "webhooks", "id", items, &|_| Map::new())?;
    if let Some(m) = body.as_object_mut() {
        m.remove("count");
        m.remove("next_page");
        m.remove("previous_page");
    }
    Ok(json_response(200, &body))
}

/// `DELETE /webhooks/{id}`: 204.
pub fn delete(acct: &Arc<AccountCell>, req: &Req, id: &str) -> Answer {
    admin(req)?;
    let mut d = write(&acct.data);
    d.webhooks.remove(id).ok_or(ApiError::NotFound)?;
    d.webhook_secrets.remove(id);
    Ok(empty(204))
}

/// Keys a client may set; `id`, `created_at`, `created_by` stay as created.
const WRITABLE: &[&str] = &[
    "name",
    "description",
    "status",
    "subscriptions",
    "endpoint",
    "http_method",
    "request_format",
    "authentication",
];

/// `PUT /webhooks/{id}` (`merge = false`: the body replaces every writable key it names and
/// resets the others to their defaults) or `PATCH` (`merge = true`): 204 without a body.
pub fn update(acct: &Arc<AccountCell>, req: &Req, id: &str, merge: bool) -> Answer {
    admin(req)?;
    let o = envelope(&req.body, "webhook")?;
    let mut d = write(&acct.data);
    let stored = d.webhooks.get_mut(id).ok_or(ApiError::NotFound)?;
    if !merge {
        for (k, v) in [
            ("description", Value::Null),
            ("authentication", Value::Null),
            ("http_method", json!("POST")),
            ("request_format", json!("json")),
            ("status", json!("active")),
        ] {
            stored[k] = v;
        }
    }
    for (k, v) in o.iter().filter(|(k, _)| WRITABLE.contains(&k.as_str())) {
        stored[k.as_str()] = v.clone();
    }
    if stored["name"].as_str().is_none_or(str::is_empty)
        || stored["endpoint"].as_str().is_none_or(str::is_empty)
    {
        return Err(ApiError::BadRequest(
            "InvalidParameter",
            "name and endpoint are required".into(),
        ));
    }
    Ok(empty(204))
}

/// A 40-character secret (Zendesk's are base64-ish strings of that order).
fn secret(d: &mut crate::store::AccountData) -> String {
    format!("{}{}", d.next_token(0x5EC2), d.next_token(0x5EC3))
        .chars()
        .take(40)
        .collect()
}

/// `GET /webhooks/{id}/signing_secret` (`reset = false`) or `POST` (a new secret; the old one
/// stops signing at once): `{signing_secret: {secret, algorithm: "SHA256"}}`.
pub fn signing_secret(acct: &Arc<AccountCell>, req: &Req, id: &str, reset: bool) -> Answer {
    admin(req)?;
    let mut d = write(&acct.data);
    if !d.webhooks.contains_key(id) {
        return Err(ApiError::NotFound);
    }
    if reset || !d.webhook_secrets.contains_key(id) {
        let s = secret(&mut d);
        d.webhook_secrets.insert(id.to_owned(), s);
    }
    let s = d.webhook_secrets.get(id).cloned().unwrap_or_default();
    Ok(json_response(
        200,
        &json!({"signing_secret": {"secret": s, "algorithm": "SHA256"}}),
    ))
}
