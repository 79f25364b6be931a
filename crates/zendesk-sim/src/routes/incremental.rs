//! Incremental exports (reference §3.3), admin only, in their own 10/min bucket.
//!
//! - Cursor mode (`…/cursor.json`): `start_time` first, then `cursor=`; exactly `per_page`
//!   items (default and maximum 1000) ordered by `(generated_timestamp, id)`; `after_cursor` is
//!   base64 of `"{gts}.0||{id}|"`; stop on `end_of_stream`. An empty page from a cursor keeps
//!   that cursor; an empty first run has no cursor.
//! - Time mode: pages never split a second, so a page can exceed `per_page`; the hard cap is
//!   1000, and when more than 1000 items share a second the page stops inside it and
//!   `next_page` repeats the same `start_time` (the loop clients must guard against).
//!   `end_time` is the last second + 1 when the page ended on a whole second, and the last
//!   second itself at the end of the stream (both as recorded), so a later poll overlaps.
//! - `start_time` later than now − 60 s answers the recorded 422 "Too recent start_time".
//! - Tickets: deleted ones come with `status: "deleted"` unless `exclude_deleted=true`.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

use super::{Answer, page_sideloads};
use crate::errors::{ApiError, json_response};
use crate::render;
use crate::req::Req;
use crate::sim::{AccountCell, read};
use crate::store::AccountData;
use crate::time::now_secs;

/// Largest (and default) export page.
pub const MAX_EXPORT_PAGE: usize = 1000;
/// `start_time` must be at least this many seconds in the past.
pub const TOO_RECENT_SECS: i64 = 60;

/// One exportable item: its second, id and how to render it. Rendering waits until the item
/// is on the page: an export of 100,000 tickets would otherwise render all of them for each
/// page of 1000 (the benchmarks read such accounts).
struct Item<'a> {
    gts: i64,
    id: i64,
    render: Box<dyn FnOnce() -> Value + 'a>,
}

fn start_time(req: &Req) -> Result<Option<i64>, ApiError> {
    let Some(s) = req.q("start_time") else {
        return Ok(None);
    };
    let t: i64 = s
        .trim()
        .parse()
        .map_err(|_| ApiError::BadRequest("InvalidValue", "start_time is invalid".into()))?;
    if t > now_secs() - TOO_RECENT_SECS {
        return Err(ApiError::TooRecent);
    }
    Ok(Some(t))
}

fn per_page(req: &Req) -> usize {
    req.q("per_page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(MAX_EXPORT_PAGE)
        .clamp(1, MAX_EXPORT_PAGE)
}

/// Encodes an export cursor: base64 of `"{gts}.0||{id}|"`.
pub fn export_cursor(gts: i64, id: i64) -> String {
    STANDARD.encode(format!("{gts}.0||{id}|"))
}

fn decode_export_cursor(c: &str) -> Option<(i64, i64)> {
    let raw = String::from_utf8(STANDARD.decode(c.trim()).ok()?).ok()?;
    let mut parts = raw.split("||");
    let gts = parts.next()?.split('.').next()?.parse().ok()?;
    let id = parts.next()?.trim_end_matches('|').parse().ok()?;
    Some((gts, id))
}

fn cursor_page(
    req: &Req,
    resource: &str,
    mut items: Vec<Item<'_>>,
    extra: &dyn Fn(&[Value]) -> Map<String, Value>,
) -> Answer {
    items.sort_by_key(|i| (i.gts, i.id));
    let (rest, given): (Vec<Item<'_>>, Option<String>) = match req.q("cursor") {
        Some(c) => {
            let (g, id) = decode_export_cursor(c)
                .ok_or_else(|| ApiError::BadRequest("InvalidValue", "cursor is invalid".into()))?;
            (
                items
                    .into_iter()
                    .filter(|i| (i.gts, i.id) > (g, id))
                    .collect(),
                Some(c.to_owned()),
            )
        }
        None => {
            let t = start_time(req)?.ok_or_else(|| {
                ApiError::BadRequest("InvalidValue", "start_time or cursor is required".into())
            })?;
            (items.into_iter().filter(|i| i.gts >= t).collect(), None)
        }
    };
    let n = per_page(req);
    let end_of_stream = rest.len() <= n;
    let page: Vec<Item<'_>> = rest.into_iter().take(n).collect();
    let after = page.last().map(|i| export_cursor(i.gts, i.id)).or(given);
    let after_url = after.as_ref().map(|c| {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("cursor", c);
        for k in ["per_page", "include", "exclude_deleted"] {
            if let Some(v) = req.q(k) {
                q.append_pair(k, v);
            }
        }
        format!(
            "{}/incremental/{resource}/cursor.json?{}",
            req.ctx.api(),
            q.finish()
        )
    });
    let mut out = Map::new();
    let values: Vec<Value> = page.into_iter().map(|i| (i.render)()).collect();
    let more = extra(&values);
    out.insert(resource.into(), Value::Array(values));
    out.extend(more);
    out.insert("after_url".into(), json!(after_url));
    out.insert("before_url".into(), Value::Null);
    out.insert("after_cursor".into(), json!(after));
    out.insert("before_cursor".into(), Value::Null);
    out.insert("end_of_stream".into(), json!(end_of_stream));
    Ok(json_response(200, &Value::Object(out)))
}

fn time_page(
    req: &Req,
    resource: &str,
    mut items: Vec<Item<'_>>,
    extra: &dyn Fn(&[Value]) -> Map<String, Value>,
    users_order: bool,
) -> Answer {
    let t = start_time(req)?
        .ok_or_else(|| ApiError::BadRequest("InvalidValue", "start_time is required".into()))?;
    items.sort_by_key(|i| (i.gts, i.id));
    let rest: Vec<Item<'_>> = items.into_iter().filter(|i| i.gts >= t).collect();
    let n = per_page(req);
    let mut take = rest.len().min(n);
    // Never split a second: finish the last one, up to the hard cap.
    while take > 0
        && take < rest.len()
        && take < MAX_EXPORT_PAGE
        && rest[take].gts == rest[take - 1].gts
    {
        take += 1;
    }
    let end_of_stream = take == rest.len();
    let cut_inside = take > 0 && take < rest.len() && rest[take].gts == rest[take - 1].gts;
    let end_time = match rest.get(take.wrapping_sub(1)).filter(|_| take > 0) {
        None => t,
        Some(last) if end_of_stream || cut_inside => last.gts,
        Some(last) => last.gts + 1,
    };
    let page: Vec<Value> = rest.into_iter().take(take).map(|i| (i.render)()).collect();
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for k in ["per_page", "include", "exclude_deleted"] {
        if let Some(v) = req.q(k) {
            q.append_pair(k, v);
        }
    }
    q.append_pair("start_time", &end_time.to_string());
    let next = format!(
        "{}/incremental/{resource}.json?{}",
        req.ctx.api(),
        q.finish()
    );
    let count = page.len();
    let mut out = Map::new();
    let more = extra(&page);
    out.insert(resource.into(), Value::Array(page));
    out.extend(more);
    if users_order {
        out.insert("next_page".into(), json!(next));
        out.insert("count".into(), json!(count));
        out.insert("end_of_stream".into(), json!(end_of_stream));
    } else {
        out.insert("count".into(), json!(count));
        out.insert("end_of_stream".into(), json!(end_of_stream));
        out.insert("next_page".into(), json!(next));
    }
    out.insert("end_time".into(), json!(end_time));
    Ok(json_response(200, &Value::Object(out)))
}

fn ticket_items<'a>(d: &'a AccountData, req: &'a Req) -> Vec<Item<'a>> {
    let exclude = req.q("exclude_deleted") == Some("true");
    d.tickets
        .values()
        .filter(|t| !(exclude && t.deleted.is_some()))
        .map(|t| Item {
            gts: t.generated_ts,
            id: t.id,
            render: Box::new(move || render::export_ticket(&req.ctx, d, t)),
        })
        .collect()
}

fn user_items<'a>(d: &'a AccountData, req: &'a Req) -> Vec<Item<'a>> {
    d.users
        .values()
        .map(|u| Item {
            gts: u.updated_at,
            id: u.id,
            render: Box::new(move || render::user(&req.ctx, u)),
        })
        .collect()
}

/// `GET /incremental/tickets/cursor.json`.
pub fn tickets_cursor(acct: &Arc<AccountCell>, req: &Req) -> Answer {
    let d = read(&acct.data);
    cursor_page(req, "tickets", ticket_items(&d, req), &|page| {
        page_sideloads(req, &d, page)
    })
}

/// `GET /incremental/tickets.json`.
pub fn tickets_time(acct: &Arc<AccountCell>, req: &Req) -> Answer {
    let d = read(&acct.data);
    time_page(
        req,
        "tickets",
        ticket_items(&d, req),
        &|page| page_sideloads(req, &d, page),
        false,
    )
}

/// `GET /incremental/users/cursor.json`.
pub fn users_cursor(acct: &Arc<AccountCell>, req: &Req) -> Answer {
    let d = read(&acct.data);
    cursor_page(req, "users", user_items(&d, req), &|_| Map::new())
}

/// `GET /incremental/users.json`.
pub fn users_time(acct: &Arc<AccountCell>, req: &Req) -> Answer {
    let d = read(&acct.data);
    time_page(req, "users", user_items(&d, req), &|_| Map::new(), true)
}

/// `GET /incremental/organizations.json` (time-based only).
pub fn organizations_time(acct: &Arc<AccountCell>, req: &Req) -> Answer {
    let d = read(&acct.data);
    let items = d
        .organizations
        .values()
        .map(|o| Item {
            gts: o.updated_at,
            id: o.id,
            render: Box::new(move || render::organization(&req.ctx, o)),
        })
        .collect();
    time_page(req, "organizations", items, &|_| Map::new(), true)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn export_cursor_matches_the_recording() {
        assert_eq!(export_cursor(1_695_052_663, 28), "MTY5NTA1MjY2My4wfHwyOHw=");
        assert_eq!(
            decode_export_cursor("MTcwNzI3MTc0MS4wfHw0MDQ1fA=="),
            Some((1_707_271_741, 4045))
        );
    }
}
