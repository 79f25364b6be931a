//! Ticket reads, comments, tags, deletion and the deleted-tickets list.
//!
//! `GET /tickets` hides archived and deleted tickets; show-by-id hides deleted ones only
//! (archived tickets are still shown, reference §3.3).

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::{Answer, page_sideloads, sideloads};
use crate::errors::{ApiError, empty, json_response};
use crate::pagination::{self, Key};
use crate::render;
use crate::request::Req;
use crate::sim::{AccountCell, read, write};
use crate::time::{now_secs, ts};

/// `GET /tickets` (cursor `nice_id` or offset); `external_id=` filters.
pub fn list(acct: &Arc<AccountCell>, req: &Req) -> Answer {
    let d = read(&acct.data);
    let ext = req.q("external_id");
    let shown: Vec<_> = d
        .tickets
        .values()
        .filter(|t| !t.archived && t.deleted.is_none())
        .filter(|t| ext.is_none() || t.external_id.as_deref() == ext)
        .collect();
    let items = shown
        .iter()
        .map(|t| {
            (
                vec![Key::I(t.id)],
                render::ticket_in(&req.ctx, &d, t, req.includes("dates")),
            )
        })
        .collect();
    let extra = |page: &[Value]| page_sideloads(req, &d, page);
    let body = pagination::list(req, "tickets", "tickets", "nice_id", items, &extra)?;
    Ok(json_response(200, &body))
}

/// `GET /tickets/{id}` with `include=users,groups,organizations,dates`.
pub fn show(acct: &Arc<AccountCell>, req: &Req, id: i64) -> Answer {
    let d = read(&acct.data);
    let t = d
        .tickets
        .get(&id)
        .filter(|t| t.deleted.is_none())
        .ok_or(ApiError::NotFound)?;
    let mut out = Map::new();
    out.insert(
        "ticket".into(),
        render::ticket_in(&req.ctx, &d, t, req.includes("dates")),
    );
    out.extend(sideloads(req, &d, &[t]));
    Ok(json_response(200, &Value::Object(out)))
}

/// `GET /tickets/show_many?ids=1,2` (≤ 100 ids; archived included, unknown ids skipped).
pub fn show_many(acct: &Arc<AccountCell>, req: &Req) -> Answer {
    let ids: Vec<i64> = req
        .q("ids")
        .unwrap_or("")
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    if ids.len() > 100 {
        return Err(ApiError::TooManyValues);
    }
    let d = read(&acct.data);
    let found: Vec<_> = ids
        .iter()
        .filter_map(|i| d.tickets.get(i))
        .filter(|t| t.deleted.is_none())
        .collect();
    let mut out = Map::new();
    out.insert(
        "tickets".into(),
        found
            .iter()
            .map(|t| render::ticket_in(&req.ctx, &d, t, false))
            .collect(),
    );
    out.extend(sideloads(req, &d, &found));
    out.insert("next_page".into(), Value::Null);
    out.insert("previous_page".into(), Value::Null);
    out.insert("count".into(), json!(found.len()));
    Ok(json_response(200, &Value::Object(out)))
}

/// `GET /tickets/count`: `{count:{value, refreshed_at}}` (tickets that `GET /tickets` lists).
pub fn count(acct: &Arc<AccountCell>) -> Answer {
    let d = read(&acct.data);
    let n = d
        .tickets
        .values()
        .filter(|t| !t.archived && t.deleted.is_none())
        .count();
    Ok(json_response(
        200,
        &json!({"count": {"value": n, "refreshed_at": ts(now_secs())}}),
    ))
}

/// `GET /tickets/{id}/comments`: cursor (`created_at,id`) or offset; `sort=-created_at` and
/// `sort_order=desc` reverse. Deleted tickets answer 404.
pub fn comments(acct: &Arc<AccountCell>, req: &Req, id: i64) -> Answer {
    let d = read(&acct.data);
    let t = d
        .tickets
        .get(&id)
        .filter(|t| t.deleted.is_none())
        .ok_or(ApiError::NotFound)?;
    let desc = req.q("sort") == Some("-created_at") || req.q("sort_order") == Some("desc");
    let mut items: Vec<(Vec<Key>, Value)> = t
        .comments
        .iter()
        .map(|c| {
            let sign = if desc { -1 } else { 1 };
            (
                vec![Key::I(sign * c.created_at), Key::I(sign * c.id)],
                render::comment(&req.ctx, c),
            )
        })
        .collect();
    items.sort_by(|a, b| a.0.cmp(&b.0));
    let extra = |page: &[Value]| {
        let mut extra = Map::new();
        if !req.includes("users") {
            return extra;
        }
        let mut ids: Vec<i64> = page
            .iter()
            .filter_map(|c| c["author_id"].as_i64())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        extra.insert(
            "users".into(),
            ids.iter()
                .filter_map(|i| d.users.get(i))
                .map(|u| render::user(&req.ctx, u))
                .collect(),
        );
        extra
    };
    let path = format!("tickets/{id}/comments");
    let order = if desc {
        "-created_at,id"
    } else {
        "created_at,id"
    };
    let body = pagination::list(req, &path, "comments", order, items, &extra)?;
    Ok(json_response(200, &body))
}

/// `GET /tickets/{id}/tags`.
pub fn tags(acct: &Arc<AccountCell>, id: i64) -> Answer {
    let d = read(&acct.data);
    let t = d
        .tickets
        .get(&id)
        .filter(|t| t.deleted.is_none())
        .ok_or(ApiError::NotFound)?;
    Ok(json_response(200, &json!({"tags": t.tags})))
}

/// `DELETE /tickets/{id}`: soft delete (204).
pub fn delete(acct: &Arc<AccountCell>, req: &Req, id: i64) -> Answer {
    soft_delete(acct, id, req.me.id)?;
    Ok(empty(204))
}

/// Soft-deletes a ticket (also used by the control API).
pub fn soft_delete(acct: &AccountCell, id: i64, actor: i64) -> Result<(), ApiError> {
    let mut d = write(&acct.data);
    let t = d
        .tickets
        .get_mut(&id)
        .filter(|t| t.deleted.is_none())
        .ok_or(ApiError::NotFound)?;
    let now = now_secs();
    t.deleted = Some(crate::store::Deletion {
        at: now,
        actor_id: actor,
        previous_state: t.status.clone(),
    });
    t.archived = false;
    t.generated_ts = t.generated_ts.max(now);
    t.updated_at = now;
    Ok(())
}

/// `GET /deleted_tickets` (cursor `id` or offset; scrubbed tickets are gone from it).
pub fn deleted(acct: &Arc<AccountCell>, req: &Req) -> Answer {
    let d = read(&acct.data);
    let items = d
        .tickets
        .values()
        .filter(|t| !t.scrubbed)
        .filter_map(|t| t.deleted.as_ref().map(|del| (t, del)))
        .map(|(t, del)| {
            let actor = d
                .users
                .get(&del.actor_id)
                .map(|u| u.name.clone())
                .unwrap_or_default();
            (
                vec![Key::I(t.id)],
                json!({"id": t.id, "subject": t.subject, "description": t.description,
                    "actor": {"id": del.actor_id, "name": actor}, "deleted_at": ts(del.at),
                    "previous_state": del.previous_state}),
            )
        })
        .collect();
    let body = pagination::list(
        req,
        "deleted_tickets",
        "deleted_tickets",
        "id",
        items,
        &|_| Map::new(),
    )?;
    Ok(json_response(200, &body))
}

/// `PUT /deleted_tickets/{id}/restore`: 200 `{}`; purged tickets answer 404.
pub fn restore(acct: &Arc<AccountCell>, id: i64) -> Answer {
    let mut d = write(&acct.data);
    let t = d
        .tickets
        .get_mut(&id)
        .filter(|t| t.deleted.is_some() && !t.scrubbed)
        .ok_or(ApiError::NotFound)?;
    t.deleted = None;
    let now = now_secs();
    t.updated_at = now;
    t.generated_ts = t.generated_ts.max(now);
    Ok(json_response(200, &json!({})))
}

/// `DELETE /deleted_tickets/{id}`: permanent deletion as a queued job; the export keeps the
/// id with `SCRUBBED` / `X`.
pub fn purge(acct: &Arc<AccountCell>, id: i64) -> Answer {
    scrub(acct, id)?;
    let job = uuid::Uuid::new_v4().simple().to_string();
    Ok(json_response(
        200,
        &json!({"job_status": {"id": format!("V3-{job}"), "job_type": "ScrubTicketsJob",
            "url": null, "total": 1, "progress": 0, "status": "queued", "message": null,
            "results": null}}),
    ))
}

/// Scrubs a soft-deleted ticket (also used by the control API).
pub fn scrub(acct: &AccountCell, id: i64) -> Result<(), ApiError> {
    let mut d = write(&acct.data);
    let t = d
        .tickets
        .get_mut(&id)
        .filter(|t| t.deleted.is_some() && !t.scrubbed)
        .ok_or(ApiError::NotFound)?;
    t.scrubbed = true;
    t.comments.clear();
    t.tags.clear();
    let now = now_secs();
    t.generated_ts = t.generated_ts.max(now);
    Ok(())
}

/// `PUT` (add), `POST` (replace) and `DELETE` (remove) `/tickets/{id}/tags` with
/// `{"tags": […]}`: 200 `{"tags": […]}`. Closed tickets answer the recorded 422.
pub fn change_tags(acct: &Arc<AccountCell>, req: &Req, id: i64) -> Answer {
    let body: Value = if req.body.is_empty() {
        json!({})
    } else {
        serde_json::from_slice(&req.body).map_err(|_| {
            ApiError::BadRequest("InvalidJSON", "The request body is not valid JSON".into())
        })?
    };
    let given: Vec<String> = body["tags"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let mut d = write(&acct.data);
    let t = d
        .tickets
        .get_mut(&id)
        .filter(|t| t.deleted.is_none())
        .ok_or(ApiError::NotFound)?;
    if t.status == "closed" {
        return Err(crate::errors::closed_ticket());
    }
    match req.method.as_str() {
        "POST" => t.tags = given,
        "DELETE" => t.tags.retain(|x| !given.contains(x)),
        _ => {
            for tag in given {
                if !t.tags.contains(&tag) {
                    t.tags.push(tag);
                }
            }
        }
    }
    let now = now_secs();
    t.updated_at = now;
    t.generated_ts = t.generated_ts.max(now);
    Ok(json_response(200, &json!({"tags": t.tags})))
}
