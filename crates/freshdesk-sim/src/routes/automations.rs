//! Automation rules API: `GET/POST /api/v2/automations/{type}/rules`,
//! `GET/PUT/DELETE /api/v2/automations/{type}/rules/{id}` with `type` 1 (ticket creation),
//! 3 (hourly) or 4 (ticket updates); any other type answers 404 `rule_type_not_allowed`.
//! Bodies are unwrapped (`{name, position, active, performer, events, conditions, actions}`);
//! the list answers `{"rules": […]}`. Shapes come from Freshdesk's API documentation as quoted
//! by third parties and from the 2020 server source's controller; see `crate::automations`.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::common::parse_body;
use crate::automations::validate;
use crate::errors::{ApiError, json_response};
use crate::req::{Outcome, Req};
use crate::sim::{AccountCell, read, write};
use crate::store::{AccountData, IdKind};
use crate::time::fmt;

/// The rule type of a path segment, if Freshdesk allows it.
pub fn rule_type(seg: &str) -> Result<i64, ApiError> {
    match seg.parse::<i64>() {
        Ok(t @ (1 | 3 | 4)) => Ok(t),
        _ => Err(ApiError::Request(
            404,
            "rule_type_not_allowed",
            format!("Rule type {seg} is not allowed"),
        )),
    }
}

const KEYS: &[&str] = &[
    "name",
    "description",
    "position",
    "active",
    "performer",
    "events",
    "conditions",
    "actions",
];

/// Creates a rule of `kind` as agent `me`; returns it in API shape.
pub fn create_rule(
    d: &mut AccountData,
    kind: i64,
    b: &Map<String, Value>,
    me: i64,
) -> Result<Value, ApiError> {
    validate(kind, b).map_err(ApiError::Validation)?;
    let id = d.next_id(IdKind::Field);
    let now = fmt(d.now());
    let position = d
        .automations
        .values()
        .filter(|r| r["automation_type_id"] == kind)
        .count() as i64
        + 1;
    let mut v = json!({"id": id, "name": b["name"], "position": position, "active": false,
        "outdated": false, "automation_type_id": kind, "last_updated_by": me, "summary": {},
        "conditions": [], "actions": [], "created_at": now, "updated_at": now});
    if kind == 4 {
        v["performer"] = json!({"type": 4});
        v["events"] = json!([]);
    }
    for k in KEYS {
        if let Some(val) = b.get(*k) {
            v[*k] = val.clone();
        }
    }
    d.automations.insert(id, v.clone());
    Ok(v)
}

/// Changes the keys a body names; returns the rule in API shape.
pub fn update_rule(
    d: &mut AccountData,
    kind: i64,
    id: i64,
    b: &Map<String, Value>,
    me: i64,
) -> Result<Value, ApiError> {
    let mut v = d
        .automations
        .get(&id)
        .filter(|r| r["automation_type_id"] == kind)
        .cloned()
        .ok_or(ApiError::NotFound)?;
    let mut merged = v.as_object().cloned().unwrap_or_default();
    merged.extend(b.iter().map(|(k, val)| (k.clone(), val.clone())));
    validate(kind, &merged).map_err(ApiError::Validation)?;
    for k in KEYS {
        if let Some(val) = b.get(*k) {
            v[*k] = val.clone();
        }
    }
    v["last_updated_by"] = json!(me);
    v["updated_at"] = json!(fmt(d.now()));
    d.automations.insert(id, v.clone());
    Ok(v)
}

/// `GET /automations/{type}/rules`.
pub fn list(acct: &Arc<AccountCell>, kind: i64) -> Result<Outcome, ApiError> {
    let d = read(&acct.data);
    let mut rules: Vec<&Value> = d
        .automations
        .values()
        .filter(|r| r["automation_type_id"] == kind)
        .collect();
    rules.sort_by_key(|r| (r["position"].as_i64(), r["id"].as_i64()));
    Ok(json_response(200, &json!({ "rules": rules })).into())
}

/// `POST /automations/{type}/rules`: 201 with the rule.
pub fn create(acct: &Arc<AccountCell>, req: &Req, kind: i64) -> Result<Outcome, ApiError> {
    let b = parse_body(req)?;
    let mut d = write(&acct.data);
    let v = create_rule(&mut d, kind, &b, req.me)?;
    Ok(json_response(201, &v).into())
}

/// `GET /automations/{type}/rules/{id}`.
pub fn view(acct: &Arc<AccountCell>, kind: i64, id: i64) -> Result<Outcome, ApiError> {
    let d = read(&acct.data);
    let v = d
        .automations
        .get(&id)
        .filter(|r| r["automation_type_id"] == kind)
        .ok_or(ApiError::NotFound)?;
    Ok(json_response(200, v).into())
}

/// `PUT /automations/{type}/rules/{id}`: 200 with the rule.
pub fn update(acct: &Arc<AccountCell>, req: &Req, kind: i64, id: i64) -> Result<Outcome, ApiError> {
    let b = parse_body(req)?;
    let mut d = write(&acct.data);
    let v = update_rule(&mut d, kind, id, &b, req.me)?;
    Ok(json_response(200, &v).into())
}

/// `DELETE /automations/{type}/rules/{id}`: 204.
pub fn delete(acct: &Arc<AccountCell>, kind: i64, id: i64) -> Result<Outcome, ApiError> {
    let mut d = write(&acct.data);
    let found = d
        .automations
        .get(&id)
        .is_some_and(|r| r["automation_type_id"] == kind);
    if !found {
        return Err(ApiError::NotFound);
    }
    d.automations.remove(&id);
    Ok(crate::errors::empty(axum::http::StatusCode::NO_CONTENT).into())
}
