//! Webhook records (reference §6.2): create, show, list and delete, admin only. Only the
//! records exist for now: no trigger fires them and nothing is delivered yet. A later issue
//! adds delivery (signatures per §6.4) on top of these records and of
//! `ticket_apply::default_trigger_events`.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::Answer;
use super::body::envelope;
use crate::errors::{ApiError, empty, json_response};
use crate::pagination::{self, Key};
use crate::request::Req;
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

fn admin(req: &Req) -> Result<(), ApiError> {
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
    Ok(empty(204))
}
