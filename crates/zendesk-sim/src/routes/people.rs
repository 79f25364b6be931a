//! User creation, uploads and custom status creation.

use std::sync::Arc;

use axum::http::HeaderValue;
use serde_json::{Map, Value, json};

use super::Answer;
use super::body::envelope;
use crate::errors::{ApiError, json_response};
use crate::render::{self, Ctx};
use crate::request::Req;
use crate::sim::{AccountCell, write};
use crate::store::{AccountData, Attachment, CustomStatus, Upload, User};
use crate::time::{fmt, now_secs};

/// Inserts a user from a `user` object (`name` required; `role` defaults to `end-user`).
/// Duplicate emails answer 422 (wording not recorded).
pub fn insert_user(d: &mut AccountData, o: &Map<String, Value>) -> Result<User, ApiError> {
    let name = o
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim()
        .to_owned();
    if name.is_empty() {
        return Err(ApiError::Invalid(
            json!({"name": [{"description": "Name:  is too short (minimum one character)", "error": "ValueTooShort"}]}),
        ));
    }
    let email = o.get("email").and_then(Value::as_str).map(str::to_owned);
    if let Some(e) = &email
        && d.user_by_email(e).is_some()
    {
        return Err(ApiError::Invalid(
            json!({"email": [{"description": format!("Email: {e} is already being used by another user"), "error": "DuplicateValue"}]}),
        ));
    }
    let role = o.get("role").and_then(Value::as_str).unwrap_or("end-user");
    if !["end-user", "agent", "admin"].contains(&role) {
        return Err(ApiError::Invalid(
            json!({"role": [{"description": format!("Role: {role} is not valid"), "error": "InvalidValue"}]}),
        ));
    }
    let text = |k: &str| o.get(k).and_then(Value::as_str).map(str::to_owned);
    let now = now_secs();
    let u = User {
        id: d.next_id(),
        name,
        email,
        created_at: now,
        updated_at: now,
        role: role.to_owned(),
        organization_id: o.get("organization_id").and_then(Value::as_i64),
        phone: text("phone"),
        external_id: text("external_id"),
        tags: o
            .get("tags")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|t| t.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
        active: true,
        suspended: false,
        verified: o.get("verified").and_then(Value::as_bool).unwrap_or(false),
        last_login_at: None,
        role_type: (role == "admin").then_some(4),
        custom_role_id: None,
        default_group_id: None,
        alias: text("alias"),
        details: text("details"),
        notes: text("notes"),
        photo_id: None,
        two_factor: Some(false),
    };
    d.users.insert(u.id, u.clone());
    Ok(u)
}

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
