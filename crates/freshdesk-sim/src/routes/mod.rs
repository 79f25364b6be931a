//! Resource routes under `/api/v2`.

pub mod attachments;
pub mod automations;
mod common;
mod companies;
pub mod contacts;
pub mod conversations;
mod misc;
mod search;
mod ticket_validate;
pub mod ticket_write;
mod tickets;

use std::sync::Arc;

use axum::http::{HeaderValue, Method, header};

use crate::errors::{ApiError, json_response};
use crate::req::{Outcome, Req};
use crate::sim::{AccountCell, Simulator};

pub use tickets::all_views as tickets_all_views;

/// Routes one authenticated request.
pub fn dispatch(sim: &Simulator, acct: &Arc<AccountCell>, req: &Req) -> Outcome {
    let segs: Vec<&str> = req.segs.iter().map(String::as_str).collect();
    let m = &req.method;
    let id = |s: &str| s.parse::<i64>().ok().filter(|v| *v > 0);
    let res: Result<Outcome, ApiError> = match (m, segs.as_slice()) {
        (&Method::GET, ["tickets"]) => tickets::list(sim, acct, req),
        (&Method::POST, ["tickets"]) => tickets::create(sim, acct, req),
        (&Method::GET, ["tickets", t]) => id(t)
            .ok_or(ApiError::NotFound)
            .and_then(|t| tickets::view(sim, acct, req, t)),
        (&Method::PUT, ["tickets", t]) => id(t)
            .ok_or(ApiError::NotFound)
            .and_then(|t| tickets::update(sim, acct, req, t)),
        (&Method::DELETE, ["tickets", t]) => id(t)
            .ok_or(ApiError::NotFound)
            .and_then(|t| tickets::delete(acct, req, t)),
        (&Method::PUT, ["tickets", t, "restore"]) => id(t)
            .ok_or(ApiError::NotFound)
            .and_then(|t| tickets::restore(acct, req, t)),
        (&Method::GET, ["tickets", t, "conversations"]) => id(t)
            .ok_or(ApiError::NotFound)
            .and_then(|t| conversations::list(sim, acct, req, t)),
        (&Method::POST, ["tickets", t, "reply"]) => id(t)
            .ok_or(ApiError::NotFound)
            .and_then(|t| conversations::reply(sim, acct, req, t)),
        (&Method::POST, ["tickets", t, "notes"]) => id(t)
            .ok_or(ApiError::NotFound)
            .and_then(|t| conversations::note(sim, acct, req, t)),
        (&Method::GET, ["contacts"]) => contacts::list(acct, req),
        (&Method::POST, ["contacts"]) => contacts::create(acct, req),
        (&Method::GET, ["contacts", c]) => id(c)
            .ok_or(ApiError::NotFound)
            .and_then(|c| contacts::view(acct, req, c)),
        (&Method::PUT, ["contacts", c]) => id(c)
            .ok_or(ApiError::NotFound)
            .and_then(|c| contacts::update(acct, req, c)),
        (&Method::DELETE, ["contacts", c]) => id(c)
            .ok_or(ApiError::NotFound)
            .and_then(|c| contacts::delete(acct, req, c)),
        (&Method::DELETE, ["contacts", c, "hard_delete"]) => id(c)
            .ok_or(ApiError::NotFound)
            .and_then(|c| contacts::hard_delete(acct, req, c)),
        (&Method::PUT, ["contacts", c, "restore"]) => id(c)
            .ok_or(ApiError::NotFound)
            .and_then(|c| contacts::restore(acct, req, c)),
        (&Method::GET, ["agents"]) => misc::agents(acct, req),
        (&Method::GET, ["agents", "me"]) => misc::agent(acct, req, None),
        (&Method::GET, ["agents", a]) => id(a)
            .ok_or(ApiError::NotFound)
            .and_then(|a| misc::agent(acct, req, Some(a))),
        (&Method::GET, ["companies"]) => misc::companies(acct, req),
        (&Method::POST, ["companies"]) => companies::create(acct, req),
        (&Method::GET, ["companies", c]) => id(c)
            .ok_or(ApiError::NotFound)
            .and_then(|c| misc::company(acct, req, c)),
        (&Method::GET, ["groups"]) => misc::groups(acct, req),
        (&Method::GET, ["groups", g]) => id(g)
            .ok_or(ApiError::NotFound)
            .and_then(|g| misc::group(acct, req, g)),
        (&Method::GET, ["roles"]) => misc::roles(acct, req),
        (&Method::GET, ["roles", r]) => id(r)
            .ok_or(ApiError::NotFound)
            .and_then(|r| misc::role(acct, req, r)),
        (&Method::GET, ["ticket_fields"]) => misc::ticket_fields(acct, req),
        (&Method::GET, ["search", "tickets"]) => search::tickets(acct, req),
        (&Method::GET, ["time_entries"]) => misc::time_entries(acct, req),
        (&Method::GET, ["automations", k, "rules"]) => {
            automations::rule_type(k).and_then(|k| automations::list(acct, k))
        }
        (&Method::POST, ["automations", k, "rules"]) => {
            automations::rule_type(k).and_then(|k| automations::create(acct, req, k))
        }
        (&Method::GET, ["automations", k, "rules", r]) => automations::rule_type(k)
            .and_then(|k| id(r).map(|r| (k, r)).ok_or(ApiError::NotFound))
            .and_then(|(k, r)| automations::view(acct, k, r)),
        (&Method::PUT, ["automations", k, "rules", r]) => automations::rule_type(k)
            .and_then(|k| id(r).map(|r| (k, r)).ok_or(ApiError::NotFound))
            .and_then(|(k, r)| automations::update(acct, req, k, r)),
        (&Method::DELETE, ["automations", k, "rules", r]) => automations::rule_type(k)
            .and_then(|k| id(r).map(|r| (k, r)).ok_or(ApiError::NotFound))
            .and_then(|(k, r)| automations::delete(acct, k, r)),
        _ => Err(match allowed_methods(&segs) {
            Some(list) if !list.contains(&m.as_str()) => return method_not_allowed(m, list),
            _ => ApiError::NotFound,
        }),
    };
    match res {
        Ok(o) => o,
        Err(e) => e.into_response().into(),
    }
}

fn allowed_methods(segs: &[&str]) -> Option<&'static [&'static str]> {
    match segs {
        ["tickets"] | ["contacts"] => Some(&["GET", "POST"]),
        ["tickets", _] | ["contacts", _] => Some(&["GET", "PUT", "DELETE"]),
        ["tickets", _, "restore"] | ["contacts", _, "restore"] => Some(&["PUT"]),
        ["companies"] => Some(&["GET", "POST"]),
        ["tickets", _, "conversations"]
        | ["agents"]
        | ["groups"]
        | ["roles"]
        | ["ticket_fields"]
        | ["time_entries"] => Some(&["GET"]),
        ["tickets", _, "reply"] | ["tickets", _, "notes"] => Some(&["POST"]),
        ["automations", _, "rules"] => Some(&["GET", "POST"]),
        ["automations", _, "rules", _] => Some(&["GET", "PUT", "DELETE"]),
        _ => None,
    }
}

fn method_not_allowed(m: &Method, list: &[&str]) -> Outcome {
    let joined = list.join(", ");
    let body = serde_json::json!({
        "message": format!("{m} method is not allowed. It should be one of these method(s): {joined}")
    });
    let mut r = json_response(405, &body);
    if let Ok(v) = HeaderValue::from_str(&joined) {
        r.headers_mut().insert(header::ALLOW, v);
    }
    r.into()
}
