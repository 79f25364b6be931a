//! `GET/POST /tickets`, `GET/PUT/DELETE /tickets/{id}`, `PUT /tickets/{id}/restore`.

use std::sync::Arc;

use axum::http::StatusCode;
use serde_json::Value;

use super::common::{absent, check, list_response, parse_body, query_id};
use super::ticket_write;
use crate::errors::{ApiError, FieldError, empty, json_response};
use crate::http::exchange::{Outcome, Req};
use crate::http::query::{Paging, paging, split_more};
use crate::model::Ticket;
use crate::render::{self, Ctx, Includes};
use crate::sim::{AccountCell, Simulator, read, write};
use crate::store::AccountData;
use crate::time::{self, now_secs};

const LIST_PARAMS: &[&str] = &[
    "filter",
    "requester_id",
    "email",
    "unique_external_id",
    "company_id",
    "updated_since",
    "order_by",
    "order_type",
    "include",
    "page",
    "per_page",
];
const FILTERS: &str = "new_and_my_open,watching,spam,deleted";
const ORDER_BY: &str = "created_at,due_by,updated_at,priority,status";
const LIST_INCLUDES: &str = "requester,stats,description,company";
const VIEW_INCLUDES: &str = "conversations,requester,company,stats";

/// Parses `include` against an allowed list.
fn includes(q: Option<&str>, allowed: &str, errors: &mut Vec<FieldError>) -> (Includes, u64) {
    let mut inc = Includes::default();
    let mut n = 0;
    let Some(q) = q else { return (inc, 0) };
    for part in q.split(',').map(str::trim) {
        let flag = match part {
            "description" if allowed.contains("description") => &mut inc.description,
            "requester" => &mut inc.requester,
            "stats" => &mut inc.stats,
            "company" => &mut inc.company,
            "conversations" if allowed.contains("conversations") => &mut inc.conversations,
            _ => {
                errors.push(FieldError::not_included("include", allowed));
                return (Includes::default(), 0);
            }
        };
        if !*flag {
            *flag = true;
            n += 1;
        }
    }
    (inc, n)
}

struct Filter {
    kind: Option<String>,
    requester: Option<i64>,
    company: Option<i64>,
    since: Option<i64>,
    window: Option<i64>,
    me: i64,
}

impl Filter {
    fn matches(&self, t: &Ticket) -> bool {
        let base = match self.kind.as_deref() {
            Some("spam") => t.spam && !t.deleted,
            Some("deleted") => t.deleted,
            Some("new_and_my_open") => {
                !t.spam
                    && !t.deleted
                    && ((t.status == 2 && t.responder_id.is_none())
                        || (t.responder_id == Some(self.me) && t.status != 4 && t.status != 5))
            }
            Some("watching") => !t.spam && !t.deleted && t.watchers.contains(&self.me),
            _ => !t.spam && !t.deleted,
        };
        base && self.requester.is_none_or(|r| t.requester_id == r)
            && self.company.is_none_or(|c| t.company_id == Some(c))
            && self.since.is_none_or(|s| t.updated_at >= s)
            && self.window.is_none_or(|w| t.created_at > w)
    }
}

fn select<'a>(
    d: &'a AccountData,
    f: &Filter,
    order_by: &str,
    asc: bool,
    p: &Paging,
) -> (Vec<&'a Ticket>, bool) {
    let want = p.size() + 1;
    let pick = |ids: &mut dyn Iterator<Item = &(i64, i64)>| -> Vec<&'a Ticket> {
        ids.filter_map(|(_, id)| d.ticket(*id))
            .filter(|t| f.matches(t))
            .skip(p.offset())
            .take(want)
            .collect()
    };
    let items = match order_by {
        "created_at" | "updated_at" => {
            let (idx, lo) = if order_by == "created_at" {
                (d.by_created(), f.window.map(|w| w + 1))
            } else {
                (d.by_updated(), f.since)
            };
            let range = idx.range((lo.unwrap_or(i64::MIN), i64::MIN)..);
            if asc {
                pick(&mut range.into_iter())
            } else {
                pick(&mut range.rev())
            }
        }
        _ => {
            let mut all: Vec<&Ticket> = d.tickets().filter(|t| f.matches(t)).collect();
            let key = |t: &Ticket| -> (i64, i64) {
                match order_by {
                    "due_by" => (t.due_by.unwrap_or(i64::MIN), t.id),
                    "status" => (t.status, t.id),
                    _ => (t.priority, t.id),
                }
            };
            all.sort_by_key(|t| key(t));
            if !asc {
                all.reverse();
            }
            all.into_iter().skip(p.offset()).take(want).collect()
        }
    };
    split_more(items, p)
}

/// `GET /tickets`.
pub fn list(sim: &Simulator, acct: &Arc<AccountCell>, req: &Req) -> Result<Outcome, ApiError> {
    let q = &req.query;
    check(q.unknown(LIST_PARAMS))?;
    let d = read(&acct.data);
    let mut errors = Vec::new();
    let kind = q.get("filter").map(str::to_owned);
    if kind
        .as_deref()
        .is_some_and(|k| !FILTERS.split(',').any(|f| f == k))
    {
        errors.push(FieldError::not_included("filter", FILTERS));
    }
    let mut requester = query_id("requester_id", q.get("requester_id"), &mut errors);
    if requester.is_some_and(|r| d.contact(r).is_none()) {
        errors.push(absent("requester_id", "contact"));
        requester = None;
    }
    if let Some(email) = q.get("email") {
        match d.contact_by_email(email) {
            Some(c) => requester = Some(c.id),
            None => errors.push(absent("email", "contact")),
        }
    }
    if let Some(ext) = q.get("unique_external_id") {
        match d
            .contacts()
            .find(|c| c.unique_external_id.as_deref() == Some(ext))
        {
            Some(c) => requester = Some(c.id),
            None => errors.push(absent("unique_external_id", "contact")),
        }
    }
    let company = query_id("company_id", q.get("company_id"), &mut errors);
    if company.is_some_and(|c| !d.companies.contains_key(&c)) {
        errors.push(absent("company_id", "company"));
    }
    let since = q.get("updated_since").and_then(|v| {
        let t = time::parse(v);
        if t.is_none() {
            errors.push(FieldError::new(
                "updated_since",
                "It should be a valid date in the 'combined date and time ISO8601' format",
                "invalid_value",
            ));
        }
        t
    });
    let order_by = q.get("order_by").unwrap_or("created_at").to_owned();
    if !ORDER_BY.split(',').any(|o| o == order_by) {
        errors.push(FieldError::not_included("order_by", ORDER_BY));
    }
    let order_type = q.get("order_type").unwrap_or("desc");
    if order_type != "asc" && order_type != "desc" {
        errors.push(FieldError::not_included("order_type", "asc,desc"));
    }
    let (inc, n_inc) = includes(q.get("include"), LIST_INCLUDES, &mut errors);
    let p = paging(q, Some(300), &mut errors);
    check(errors)?;
    let narrowed = kind.is_some() || requester.is_some() || company.is_some() || since.is_some();
    let f = Filter {
        kind,
        requester,
        company,
        since,
        window: (!narrowed).then(|| time::default_window_start(now_secs())),
        me: req.me,
    };
    let (items, more) = select(&d, &f, &order_by, order_type == "asc", &p);
    let body = items
        .into_iter()
        .map(|t| render::ticket_list_item(&d, t, &inc))
        .collect();
    let _ = sim;
    Ok(Outcome {
        resp: list_response(body, more, req, &p),
        extra: 2 * n_inc,
    })
}

/// `GET /tickets/{id}`.
pub fn view(
    sim: &Simulator,
    acct: &Arc<AccountCell>,
    req: &Req,
    id: i64,
) -> Result<Outcome, ApiError> {
    let d = read(&acct.data);
    let t = d.ticket(id).ok_or(ApiError::NotFound)?;
    check(req.query.unknown(&["include"]))?;
    let mut errors = Vec::new();
    let (inc, n) = includes(req.query.get("include"), VIEW_INCLUDES, &mut errors);
    check(errors)?;
    let ctx = Ctx {
        base: &req.base,
        signer: &sim.inner.signer,
    };
    Ok(Outcome {
        resp: json_response(200, &render::ticket_view(&d, t, &inc, &ctx)),
        extra: n,
    })
}

/// `POST /tickets`.
pub fn create(sim: &Simulator, acct: &Arc<AccountCell>, req: &Req) -> Result<Outcome, ApiError> {
    let body = parse_body(req)?;
    let mut d = write(&acct.data);
    let id = ticket_write::create(&mut d, &body, req.me)?;
    let ctx = Ctx {
        base: &req.base,
        signer: &sim.inner.signer,
    };
    let t = d.ticket(id).ok_or(ApiError::NotFound)?;
    Ok(json_response(201, &render::ticket_view(&d, t, &Includes::default(), &ctx)).into())
}

/// `PUT /tickets/{id}`.
pub fn update(
    sim: &Simulator,
    acct: &Arc<AccountCell>,
    req: &Req,
    id: i64,
) -> Result<Outcome, ApiError> {
    let mut d = write(&acct.data);
    if d.ticket(id).is_none_or(|t| t.deleted) {
        return Err(ApiError::NotFound);
    }
    let body = parse_body(req)?;
    ticket_write::update(&mut d, id, &body)?;
    let ctx = Ctx {
        base: &req.base,
        signer: &sim.inner.signer,
    };
    let t = d.ticket(id).ok_or(ApiError::NotFound)?;
    Ok(json_response(200, &render::ticket_view(&d, t, &Includes::default(), &ctx)).into())
}

/// `DELETE /tickets/{id}` (soft delete).
pub fn delete(acct: &Arc<AccountCell>, _req: &Req, id: i64) -> Result<Outcome, ApiError> {
    let mut d = write(&acct.data);
    if d.ticket(id).is_none_or(|t| t.deleted) {
        return Err(ApiError::NotFound);
    }
    ticket_write::set_deleted(&mut d, id, true);
    Ok(empty(StatusCode::NO_CONTENT).into())
}

/// `PUT /tickets/{id}/restore`.
pub fn restore(acct: &Arc<AccountCell>, _req: &Req, id: i64) -> Result<Outcome, ApiError> {
    let mut d = write(&acct.data);
    if d.ticket(id).is_none_or(|t| !t.deleted) {
        return Err(ApiError::NotFound);
    }
    ticket_write::set_deleted(&mut d, id, false);
    Ok(empty(StatusCode::NO_CONTENT).into())
}

/// Renders every ticket of an account in view shape (for control snapshots).
pub fn all_views(d: &AccountData, ctx: &Ctx<'_>) -> Vec<Value> {
    d.tickets()
        .map(|t| render::ticket_view(d, t, &Includes::default(), ctx))
        .collect()
}
