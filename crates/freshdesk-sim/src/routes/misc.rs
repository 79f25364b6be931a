//! Agents, companies, groups, roles, ticket fields and time entries (read-only).

use std::sync::Arc;

use serde_json::Value;

use super::common::{check, list_response, query_id};
use crate::errors::{ApiError, FieldError, json_response};
use crate::http::exchange::{Outcome, Req};
use crate::http::query::{page_of, paging};
use crate::render;
use crate::sim::{AccountCell, read};
use crate::time;

fn paged(req: &Req, allowed: &[&str], all: Vec<Value>) -> Result<Outcome, ApiError> {
    let mut params = vec!["page", "per_page"];
    params.extend_from_slice(allowed);
    check(req.query.unknown(&params))?;
    let mut e = Vec::new();
    let p = paging(&req.query, None, &mut e);
    check(e)?;
    let (items, more) = page_of(&all, &p);
    Ok(list_response(items, more, req, &p).into())
}

/// `GET /agents` (filters email, mobile, phone, state), by name.
pub fn agents(acct: &Arc<AccountCell>, req: &Req) -> Result<Outcome, ApiError> {
    let q = &req.query;
    let d = read(&acct.data);
    if let Some(s) = q.get("state")
        && s != "fulltime"
        && s != "occasional"
    {
        return Err(ApiError::field(FieldError::not_included(
            "state",
            "occasional,fulltime",
        )));
    }
    let mut list: Vec<_> = d
        .agents
        .values()
        .filter(|a| {
            q.get("email")
                .is_none_or(|m| a.contact.email.eq_ignore_ascii_case(m))
        })
        .filter(|a| {
            q.get("mobile")
                .is_none_or(|m| a.contact.mobile.as_deref() == Some(m))
        })
        .filter(|a| {
            q.get("phone")
                .is_none_or(|m| a.contact.phone.as_deref() == Some(m))
        })
        .filter(|a| {
            q.get("state")
                .is_none_or(|s| (s == "occasional") == a.occasional)
        })
        .collect();
    list.sort_by(|a, b| (&a.contact.name, a.id).cmp(&(&b.contact.name, b.id)));
    paged(
        req,
        &["email", "mobile", "phone", "state"],
        list.into_iter().map(|a| render::agent(a, false)).collect(),
    )
}

/// `GET /agents/{id}` or `/agents/me` (`None`).
pub fn agent(acct: &Arc<AccountCell>, req: &Req, id: Option<i64>) -> Result<Outcome, ApiError> {
    check(req.query.unknown(&[]))?;
    let d = read(&acct.data);
    let a = d
        .agents
        .get(&id.unwrap_or(req.me))
        .ok_or(ApiError::NotFound)?;
    Ok(json_response(200, &render::agent(a, true)).into())
}

/// `GET /companies`, by name.
pub fn companies(acct: &Arc<AccountCell>, req: &Req) -> Result<Outcome, ApiError> {
    let d = read(&acct.data);
    let mut list: Vec<_> = d.companies.values().collect();
    list.sort_by(|a, b| (&a.name, a.id).cmp(&(&b.name, b.id)));
    paged(req, &[], list.into_iter().map(render::company).collect())
}

/// `GET /companies/{id}`.
pub fn company(acct: &Arc<AccountCell>, req: &Req, id: i64) -> Result<Outcome, ApiError> {
    check(req.query.unknown(&[]))?;
    let d = read(&acct.data);
    let c = d.companies.get(&id).ok_or(ApiError::NotFound)?;
    Ok(json_response(200, &render::company(c)).into())
}

/// `GET /groups`, by name.
pub fn groups(acct: &Arc<AccountCell>, req: &Req) -> Result<Outcome, ApiError> {
    let d = read(&acct.data);
    let mut list: Vec<_> = d.groups.values().collect();
    list.sort_by(|a, b| (&a.name, a.id).cmp(&(&b.name, b.id)));
    paged(
        req,
        &["group_type"],
        list.into_iter().map(|g| render::group(g, false)).collect(),
    )
}

/// `GET /groups/{id}`.
pub fn group(acct: &Arc<AccountCell>, req: &Req, id: i64) -> Result<Outcome, ApiError> {
    check(req.query.unknown(&[]))?;
    let d = read(&acct.data);
    let g = d.groups.get(&id).ok_or(ApiError::NotFound)?;
    Ok(json_response(200, &render::group(g, true)).into())
}

/// `GET /roles`.
pub fn roles(acct: &Arc<AccountCell>, req: &Req) -> Result<Outcome, ApiError> {
    let d = read(&acct.data);
    paged(req, &[], d.roles.values().map(render::role).collect())
}

/// `GET /roles/{id}`.
pub fn role(acct: &Arc<AccountCell>, req: &Req, id: i64) -> Result<Outcome, ApiError> {
    check(req.query.unknown(&[]))?;
    let d = read(&acct.data);
    let r = d.roles.get(&id).ok_or(ApiError::NotFound)?;
    Ok(json_response(200, &render::role(r)).into())
}

/// `GET /ticket_fields` (not paginated; optional `type` filter).
pub fn ticket_fields(acct: &Arc<AccountCell>, req: &Req) -> Result<Outcome, ApiError> {
    check(req.query.unknown(&["type"]))?;
    let d = read(&acct.data);
    let ty = req.query.get("type");
    let list: Vec<Value> = d
        .ticket_fields
        .iter()
        .filter(|f| ty.is_none_or(|t| f.field_type == t))
        .map(|f| render::ticket_field(&d, f))
        .collect();
    Ok(json_response(200, &Value::Array(list)).into())
}

/// `GET /time_entries` (filters company_id, agent_id, executed_after, executed_before, billable).
pub fn time_entries(acct: &Arc<AccountCell>, req: &Req) -> Result<Outcome, ApiError> {
    let q = &req.query;
    let d = read(&acct.data);
    let mut e = Vec::new();
    let company = query_id("company_id", q.get("company_id"), &mut e);
    let agent = query_id("agent_id", q.get("agent_id"), &mut e);
    let mut date = |f: &str| {
        q.get(f).and_then(|v| {
            let t = time::parse(v);
            if t.is_none() {
                e.push(FieldError::new(
                    f,
                    "It should be a valid date in the 'combined date and time ISO8601' format",
                    "invalid_value",
                ));
            }
            t
        })
    };
    let after = date("executed_after");
    let before = date("executed_before");
    let billable = match q.get("billable") {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => {
            e.push(FieldError::new(
                "billable",
                "It should be a/an Boolean",
                "datatype_mismatch",
            ));
            None
        }
    };
    check(e)?;
    let list = d
        .time_entries
        .iter()
        .filter(|x| company.is_none_or(|c| x.company_id == Some(c)))
        .filter(|x| agent.is_none_or(|a| x.agent_id == a))
        .filter(|x| after.is_none_or(|t| x.executed_at >= t))
        .filter(|x| before.is_none_or(|t| x.executed_at <= t))
        .filter(|x| billable.is_none_or(|b| x.billable == b))
        .map(render::time_entry)
        .collect();
    paged(
        req,
        &[
            "company_id",
            "agent_id",
            "executed_after",
            "executed_before",
            "billable",
        ],
        list,
    )
}
