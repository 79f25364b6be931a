//! Inserting a user row: shared by user creation (`people`) and by ticket creation, which
//! makes a new requester on the fly (`writes`). A leaf, so neither of those imports the other
//! for it.

use serde_json::{Map, Value, json};

use crate::errors::ApiError;
use crate::store::{AccountData, User};
use crate::time::now_secs;

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
