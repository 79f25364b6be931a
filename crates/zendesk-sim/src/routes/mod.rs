//! Resource routes under `/api/v2` and the role checks in front of them.
//!
//! Roles: end-users may call only `/users/me`, `/custom_statuses` and `/ticket_fields`
//! (fields visible in the portal); everything else answers the object-form 403. Incremental
//! exports are admin-only (reference §3.3). `/custom_roles` answers the same 403 on plans
//! below Enterprise (reference §4.6 says 403 or 404; this simulator picks 403).

mod directory;
mod incremental;
mod people;
mod ticket_apply;
mod tickets;
mod triggers;
mod user_insert;
mod webhooks;
mod writes;

use std::sync::Arc;

use axum::http::Method;
use axum::response::Response;
use serde_json::{Map, Value};

use crate::errors::{ApiError, json_response};
use crate::render;
use crate::req::Req;
use crate::sim::{AccountCell, Simulator};
use crate::store::{AccountData, Ticket};

pub use people::create_user;
pub use tickets::{restore as restore_ticket, scrub, soft_delete};
pub use writes::{apply_update, create_ticket};

/// Result of a route.
pub type Answer = Result<Response, ApiError>;

/// Routes one authenticated request.
pub fn dispatch(sim: &Simulator, acct: &Arc<AccountCell>, req: &Req) -> Response {
    let segs: Vec<&str> = req.segs.iter().map(String::as_str).collect();
    let m = &req.method;
    let end_user_ok = matches!(
        (m, segs.as_slice()),
        (
            &Method::GET,
            ["users", "me"] | ["custom_statuses"] | ["ticket_fields"]
        )
    );
    if !req.is_staff() && !end_user_ok {
        return ApiError::Restricted.into_response();
    }
    if segs.first() == Some(&"incremental") && req.me.role != "admin" {
        return ApiError::Restricted.into_response();
    }
    let id = |s: &str| {
        s.parse::<i64>()
            .ok()
            .filter(|v| *v > 0)
            .ok_or(ApiError::NotFound)
    };
    let res: Answer = match (m, segs.as_slice()) {
        (&Method::GET, ["tickets"]) => tickets::list(acct, req),
        (&Method::GET, ["tickets", "show_many"]) => tickets::show_many(acct, req),
        (&Method::GET, ["tickets", "count"]) => tickets::count(acct),
        (&Method::POST, ["tickets"]) => writes::create(acct, req),
        (&Method::POST, ["tickets", "create_many"]) => people::create_many(acct, req),
        (&Method::GET, ["tickets", t]) => id(t).and_then(|t| tickets::show(acct, req, t)),
        (&Method::PUT, ["tickets", t]) => writes::update(acct, req, t),
        (&Method::DELETE, ["tickets", t]) => id(t).and_then(|t| tickets::delete(acct, req, t)),
        (&Method::GET, ["tickets", t, "comments"]) => {
            id(t).and_then(|t| tickets::comments(acct, req, t))
        }
        (&Method::GET, ["tickets", t, "tags"]) => id(t).and_then(|t| tickets::tags(acct, t)),
        (&Method::PUT | &Method::POST | &Method::DELETE, ["tickets", t, "tags"]) => {
            id(t).and_then(|t| tickets::change_tags(acct, req, t))
        }
        (&Method::GET, ["ticket_forms"]) => directory::ticket_forms(acct, req),
        (&Method::GET, ["deleted_tickets"]) => tickets::deleted(acct, req),
        (&Method::PUT, ["deleted_tickets", t, "restore"]) => {
            id(t).and_then(|t| tickets::restore(acct, t))
        }
        (&Method::DELETE, ["deleted_tickets", t]) => id(t).and_then(|t| tickets::purge(acct, t)),
        (&Method::GET, ["incremental", "tickets", "cursor"]) => {
            incremental::tickets_cursor(acct, req)
        }
        (&Method::GET, ["incremental", "tickets"]) => incremental::tickets_time(acct, req),
        (&Method::GET, ["incremental", "users", "cursor"]) => incremental::users_cursor(acct, req),
        (&Method::GET, ["incremental", "users"]) => incremental::users_time(acct, req),
        (&Method::GET, ["incremental", "organizations"]) => {
            incremental::organizations_time(acct, req)
        }
        (&Method::GET, ["users"]) => directory::users(acct, req),
        (&Method::GET, ["users", "me"]) => Ok(json_response(
            200,
            &serde_json::json!({"user": render::user(&req.ctx, &req.me)}),
        )),
        (&Method::GET, ["users", u]) => id(u).and_then(|u| directory::user(acct, req, u)),
        (&Method::POST, ["users"]) => people::create_user_route(acct, req),
        (&Method::GET, ["organizations"]) => directory::organizations(acct, req),
        (&Method::GET, ["organizations", o]) => {
            id(o).and_then(|o| directory::organization(acct, req, o))
        }
        (&Method::GET, ["groups"]) => directory::groups(acct, req),
        (&Method::GET, ["groups", g]) => id(g).and_then(|g| directory::group(acct, req, g)),
        (&Method::GET, ["group_memberships"]) => directory::memberships(acct, req),
        (&Method::GET, ["tags"]) => directory::tags(acct, req),
        (&Method::GET, ["ticket_fields"]) => directory::ticket_fields(acct, req),
        (&Method::GET, ["custom_statuses"]) => directory::custom_statuses(acct, req),
        (&Method::POST, ["custom_statuses"]) => people::create_custom_status(acct, req),
        (&Method::GET, ["custom_roles"]) => directory::custom_roles(acct, req, None),
        (&Method::GET, ["custom_roles", r]) => {
            id(r).and_then(|r| directory::custom_roles(acct, req, Some(r)))
        }
        (&Method::GET, ["attachments", a]) => {
            id(a).and_then(|a| directory::attachment(acct, req, a))
        }
        (&Method::POST, ["uploads"]) => people::upload(acct, req),
        (&Method::GET, ["webhooks"]) => webhooks::list(acct, req),
        (&Method::POST, ["webhooks"]) => webhooks::create(acct, req),
        (&Method::GET, ["webhooks", w]) => webhooks::show(acct, req, w),
        (&Method::DELETE, ["webhooks", w]) => webhooks::delete(acct, req, w),
        (&Method::PUT, ["webhooks", w]) => webhooks::update(acct, req, w, false),
        (&Method::PATCH, ["webhooks", w]) => webhooks::update(acct, req, w, true),
        (&Method::GET, ["webhooks", w, "signing_secret"]) => {
            webhooks::signing_secret(acct, req, w, false)
        }
        (&Method::POST, ["webhooks", w, "signing_secret"]) => {
            webhooks::signing_secret(acct, req, w, true)
        }
        (&Method::GET, ["triggers"]) => triggers::list(acct, req),
        (&Method::POST, ["triggers"]) => triggers::create(acct, req),
        (&Method::GET, ["triggers", t]) => id(t).and_then(|t| triggers::show(acct, req, t)),
        (&Method::PUT, ["triggers", t]) => id(t).and_then(|t| triggers::update(acct, req, t)),
        (&Method::DELETE, ["triggers", t]) => id(t).and_then(|t| triggers::delete(acct, req, t)),
        _ => Err(ApiError::NotFound),
    };
    let _ = sim;
    res.unwrap_or_else(ApiError::into_response)
}

/// `users`, `groups` and `organizations` side-loads for these tickets, as `include=` asks.
pub fn sideloads(req: &Req, d: &AccountData, tickets: &[&Ticket]) -> Map<String, Value> {
    let mut out = Map::new();
    if req.includes("users") {
        let mut ids: Vec<i64> = tickets
            .iter()
            .flat_map(|t| {
                let mut v = vec![t.requester_id, t.submitter_id];
                v.extend(t.assignee_id);
                v.extend(t.collaborator_ids.iter().copied());
                v.extend(t.follower_ids.iter().copied());
                v
            })
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let users: Vec<Value> = ids
            .iter()
            .filter_map(|i| d.users.get(i))
            .map(|u| render::user(&req.ctx, u))
            .collect();
        out.insert("users".into(), Value::Array(users));
    }
    if req.includes("groups") {
        let mut ids: Vec<i64> = tickets.iter().filter_map(|t| t.group_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let groups: Vec<Value> = ids
            .iter()
            .filter_map(|i| d.groups.get(i))
            .map(|g| render::group(&req.ctx, g))
            .collect();
        out.insert("groups".into(), Value::Array(groups));
    }
    if req.includes("organizations") {
        let mut ids: Vec<i64> = tickets.iter().filter_map(|t| t.organization_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let orgs: Vec<Value> = ids
            .iter()
            .filter_map(|i| d.organizations.get(i))
            .map(|o| render::organization(&req.ctx, o))
            .collect();
        out.insert("organizations".into(), Value::Array(orgs));
    }
    out
}

/// Side-loads for a page of rendered tickets (looked up by id).
pub fn page_sideloads(req: &Req, d: &AccountData, page: &[Value]) -> Map<String, Value> {
    let tickets: Vec<&Ticket> = page
        .iter()
        .filter_map(|t| t["id"].as_i64())
        .filter_map(|id| d.tickets.get(&id))
        .collect();
    sideloads(req, d, &tickets)
}
