//! Triggers API (reference §6.1, §12), admin only: `GET/POST /triggers`,
//! `GET/PUT/DELETE /triggers/{id}`. A trigger is `{title, active, position, description,
//! category_id, conditions: {all, any}, actions: [{field, value}]}`; the action that matters
//! here is `notification_webhook` with `value: [webhook_id, json_body_template]`.
//! Conditions on fields the simulator cannot evaluate answer 422 (see `crate::triggers::FIELDS`)
//! rather than being stored and never firing.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::Answer;
use super::ticket_apply::invalid;
use super::webhooks::admin;
use super::writes::envelope;
use crate::errors::{ApiError, empty, json_response};
use crate::pagination::{self, Key};
use crate::req::Req;
use crate::sim::{AccountCell, read, write};
use crate::store::AccountData;
use crate::time::{fmt, now_secs};
use crate::triggers::FIELDS;

/// Checks conditions and actions; returns them normalised (`any` defaults to `[]`).
fn validate(d: &AccountData, o: &Map<String, Value>) -> Result<(Value, Value), ApiError> {
    let conditions = o.get("conditions").cloned().unwrap_or(json!({}));
    let all = conditions["all"].as_array().cloned().unwrap_or_default();
    let any = conditions["any"].as_array().cloned().unwrap_or_default();
    if all.is_empty() && any.is_empty() {
        return Err(invalid("conditions", "Conditions: cannot be blank".into()));
    }
    for c in all.iter().chain(any.iter()) {
        let f = c["field"].as_str().unwrap_or_default();
        if !FIELDS.contains(&f) {
            return Err(invalid(
                "conditions",
                format!("Conditions: {f} is not a condition this simulator evaluates"),
            ));
        }
    }
    let actions = o.get("actions").cloned().unwrap_or(json!([]));
    let list = actions.as_array().cloned().unwrap_or_default();
    if list.is_empty() {
        return Err(invalid("actions", "Actions: cannot be blank".into()));
    }
    for a in list.iter().filter(|a| a["field"] == "notification_webhook") {
        let (Some(id), Some(_)) = (a["value"][0].as_str(), a["value"][1].as_str()) else {
            return Err(invalid(
                "actions",
                "Actions: notification_webhook needs [webhook_id, body]".into(),
            ));
        };
        if !d.webhooks.contains_key(id) {
            return Err(invalid(
                "actions",
                format!("Actions: webhook {id} not found"),
            ));
        }
    }
    Ok((json!({"all": all, "any": any}), actions))
}

fn shown(req: &Req, v: &Value) -> Value {
    let mut v = v.clone();
    v["url"] = json!(format!("{}/triggers/{}.json", req.ctx.api(), v["id"]));
    v
}

/// `POST /triggers`: 201 `{trigger}`.
pub fn create(acct: &Arc<AccountCell>, req: &Req) -> Answer {
    admin(req)?;
    let o = envelope(&req.body, "trigger")?;
    let mut d = write(&acct.data);
    let title = o.get("title").and_then(Value::as_str).unwrap_or_default();
    if title.trim().is_empty() {
        return Err(invalid("title", "Title: cannot be blank".into()));
    }
    let (conditions, actions) = validate(&d, &o)?;
    let id = d.next_id();
    let position = d.triggers.len() as i64 + 1;
    let now = fmt(now_secs());
    let v = json!({"url": null, "id": id, "title": title,
        "active": o.get("active").and_then(Value::as_bool).unwrap_or(true),
        "updated_at": now, "created_at": now, "default": false,
        "actions": actions, "conditions": conditions,
        "description": o.get("description").cloned().unwrap_or(Value::Null),
        "position": o.get("position").and_then(Value::as_i64).unwrap_or(position),
        "raw_title": title,
        "category_id": o.get("category_id").cloned().unwrap_or(Value::Null)});
    d.triggers.insert(id, v.clone());
    Ok(json_response(201, &json!({"trigger": shown(req, &v)})))
}

/// `GET /triggers/{id}`.
pub fn show(acct: &Arc<AccountCell>, req: &Req, id: i64) -> Answer {
    admin(req)?;
    let d = read(&acct.data);
    let v = d.triggers.get(&id).ok_or(ApiError::NotFound)?;
    Ok(json_response(200, &json!({"trigger": shown(req, v)})))
}

/// `GET /triggers`: offset paging (`count`, `next_page`), or cursor paging with `page[size]`.
pub fn list(acct: &Arc<AccountCell>, req: &Req) -> Answer {
    admin(req)?;
    let d = read(&acct.data);
    let items = d
        .triggers
        .values()
        .filter(|t| match req.q("active") {
            Some(a) => t["active"].as_bool() == Some(a == "true"),
            None => true,
        })
        .map(|t| (vec![Key::I(t["id"].as_i64().unwrap_or(0))], shown(req, t)))
        .collect();
    let body = pagination::list(req, "triggers", "triggers", "id", items, &|_| Map::new())?;
    Ok(json_response(200, &body))
}

/// `PUT /triggers/{id}`: named keys change; 200 `{trigger}`.
pub fn update(acct: &Arc<AccountCell>, req: &Req, id: i64) -> Answer {
    admin(req)?;
    let o = envelope(&req.body, "trigger")?;
    let mut d = write(&acct.data);
    let mut v = d.triggers.get(&id).cloned().ok_or(ApiError::NotFound)?;
    let mut merged: Map<String, Value> = v.as_object().cloned().unwrap_or_default();
    for (k, val) in &o {
        merged.insert(k.clone(), val.clone());
    }
    let (conditions, actions) = validate(&d, &merged)?;
    for k in ["title", "active", "description", "position", "category_id"] {
        if let Some(val) = o.get(k) {
            v[k] = val.clone();
        }
    }
    if let Some(t) = o.get("title") {
        v["raw_title"] = t.clone();
    }
    v["conditions"] = conditions;
    v["actions"] = actions;
    v["updated_at"] = json!(fmt(now_secs()));
    d.triggers.insert(id, v.clone());
    Ok(json_response(200, &json!({"trigger": shown(req, &v)})))
}

/// `DELETE /triggers/{id}`: 204.
pub fn delete(acct: &Arc<AccountCell>, req: &Req, id: i64) -> Answer {
    admin(req)?;
    let mut d = write(&acct.data);
    d.triggers.remove(&id).ok_or(ApiError::NotFound)?;
    Ok(empty(204))
}
