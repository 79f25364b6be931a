//! User creation, uploads, batch ticket creation and custom status creation.

use std::sync::Arc;

use axum::http::HeaderValue;
use serde_json::{Map, Value, json};

use super::Answer;
use super::user_insert::insert_user;
use super::writes::{create_ticket, envelope};
use crate::errors::{ApiError, json_response};
use crate::render::{self, Ctx};
use crate::req::Req;
use crate::sim::{AccountCell, write};
use crate::store::{Attachment, CustomStatus, Upload};
use crate::time::{fmt, now_secs};

/// Creates a user and renders it.
pub fn create_user(
    acct: &AccountCell,
    ctx: &Ctx,
    o: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let mut d = write(&acct.data);
    let u = insert_user(&mut d, o)?;
    Ok(render::user(ctx, &u))
}

/// `POST /users`: 201 + `Location`.
pub fn create_user_route(acct: &Arc<AccountCell>, req: &Req) -> Answer {
    let o = envelope(&req.body, "user")?;
    let user = create_user(acct, &req.ctx, &o)?;
    let mut r = json_response(201, &json!({ "user": user }));
    let loc = format!("{}/users/{}.json", req.ctx.api(), user["id"]);
    if let Ok(v) = HeaderValue::from_str(&loc) {
        r.headers_mut().insert("location", v);
    }
    Ok(r)
}

/// `POST /tickets/create_many`: more than 100 → the recorded 400 `TooManyValues`; otherwise
/// the tickets are created at once and a completed `job_status` is returned.
pub fn create_many(acct: &Arc<AccountCell>, req: &Req) -> Answer {
    let v: Value = serde_json::from_slice(&req.body).map_err(|_| {
        ApiError::BadRequest("InvalidJSON", "The request body is not valid JSON".into())
    })?;
    let list = v
        .get("tickets")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if list.len() > 100 {
        return Err(ApiError::TooManyValues);
    }
    let mut results = Vec::new();
    for (i, t) in list.iter().enumerate() {
        let Some(o) = t.as_object() else { continue };
        match create_ticket(acct, &req.ctx, o, &req.me) {
            Ok((ticket, _)) => results.push(json!({"index": i, "id": ticket["id"]})),
            Err(_) => results.push(json!({"index": i, "error": "TicketCreateFailed"})),
        }
    }
    let id = format!("V3-{}", uuid::Uuid::new_v4().simple());
    Ok(json_response(
        200,
        &json!({"job_status": {"id": id, "url": format!("{}/job_statuses/{id}.json", req.ctx.api()),
            "total": list.len(), "progress": list.len(), "status": "completed",
            "message": format!("Completed at {}", fmt(now_secs())), "results": results}}),
    ))
}

fn content_type_of(name: &str) -> &'static str {
    match name
        .rsplit('.')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
        .as_str()
    {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "pdf" => "application/pdf",
        "txt" | "log" => "text/plain",
        "json" => "application/json",
        "md" => "application/x-genesis-rom",
        _ => "application/octet-stream",
    }
}

/// `POST /uploads?filename=…[&token=…]` with the raw bytes: 201 `{upload}` + `Location`.
pub fn upload(acct: &Arc<AccountCell>, req: &Req) -> Answer {
    let name = req
        .q("filename")
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::BadRequest("InvalidParameter", "filename is required".into()))?
        .to_owned();
    let mut d = write(&acct.data);
    let a = Attachment {
        id: d.next_id(),
        token: d.next_token(7),
        file_name: name.clone(),
        content_type: content_type_of(&name).to_owned(),
        bytes: req.body.to_vec(),
        dims: None,
    };
    let token = match req.q("token").filter(|t| d.uploads.contains_key(*t)) {
        Some(t) => t.to_owned(),
        None => d.next_token(11),
    };
    let up = d.uploads.entry(token.clone()).or_insert(Upload {
        attachments: Vec::new(),
        expires_at: now_secs() + 3 * 86_400,
    });
    up.attachments.push(a.clone());
    let attachments: Vec<Value> = up
        .attachments
        .iter()
        .map(|x| render::attachment(&req.ctx, x))
        .collect();
    let body = json!({"upload": {"token": token, "expires_at": fmt(up.expires_at),
        "attachments": attachments, "attachment": render::attachment(&req.ctx, &a)}});
    let mut r = json_response(201, &body);
    // Relative, as recorded (the ticket and user `Location`s are absolute).
    let loc = format!("/api/v2/attachments/{}.json", a.id);
    if let Ok(v) = HeaderValue::from_str(&loc) {
        r.headers_mut().insert("location", v);
    }
    Ok(r)
}

/// `POST /custom_statuses`: 201 `{custom_status}`. Categories: open, pending, hold, solved.
pub fn create_custom_status(acct: &Arc<AccountCell>, req: &Req) -> Answer {
    let o = envelope(&req.body, "custom_status")?;
    let text = |k: &str| o.get(k).and_then(Value::as_str).map(str::to_owned);
    let category = text("status_category").unwrap_or_default();
    if !["open", "pending", "hold", "solved"].contains(&category.as_str()) {
        return Err(ApiError::Invalid(
            json!({"status_category": [{"description": "Status category: is invalid", "error": "InvalidValue"}]}),
        ));
    }
    let agent = text("agent_label").filter(|s| !s.is_empty()).ok_or_else(|| {
        ApiError::Invalid(json!({"agent_label": [{"description": "Agent label: cannot be blank", "error": "BlankValue"}]}))
    })?;
    let mut d = write(&acct.data);
    let s = CustomStatus {
        id: d.next_id(),
        category,
        end_user_label: text("end_user_label").unwrap_or_else(|| agent.clone()),
        agent_label: agent,
        description: text("description"),
        active: o.get("active").and_then(Value::as_bool).unwrap_or(true),
        default: false,
        created_at: now_secs(),
    };
    d.custom_statuses.insert(s.id, s.clone());
    Ok(json_response(
        201,
        &json!({"custom_status": render::custom_status(&req.ctx, &s)}),
    ))
}
