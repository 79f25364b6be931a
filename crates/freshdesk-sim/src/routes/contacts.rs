//! `/contacts` routes and contact mutations.

use std::sync::Arc;

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::common::{
    absent, check, list_response, parse_body, query_id, string_field, valid_email,
};
use super::ticket_write::new_contact;
use crate::errors::{ApiError, FieldError, empty, json_response};
use crate::http::query::{paging, split_more};
use crate::model::Contact;
use crate::render;
use crate::req::{Outcome, Req};
use crate::sim::{AccountCell, read, write};
use crate::store::{AccountData, IdKind};
use crate::time;

const LIST_PARAMS: &[&str] = &[
    "email",
    "mobile",
    "phone",
    "company_id",
    "state",
    "_updated_since",
    "unique_external_id",
    "tag",
    "page",
    "per_page",
];
const STATES: &str = "blocked,deleted,unverified,verified";
const FIELDS: &[&str] = &[
    "name",
    "email",
    "phone",
    "mobile",
    "twitter_id",
    "unique_external_id",
    "address",
    "description",
    "job_title",
    "language",
    "time_zone",
    "company_id",
    "view_all_tickets",
    "other_emails",
    "tags",
    "custom_fields",
    "other_companies",
    "facebook_id",
];

/// `GET /contacts`, ordered by name then id.
pub fn list(acct: &Arc<AccountCell>, req: &Req) -> Result<Outcome, ApiError> {
    let q = &req.query;
    check(q.unknown(LIST_PARAMS))?;
    let d = read(&acct.data);
    let mut e = Vec::new();
    let state = q.get("state");
    if state.is_some_and(|s| !STATES.split(',').any(|x| x == s)) {
        e.push(FieldError::not_included("state", STATES));
    }
    let company = query_id("company_id", q.get("company_id"), &mut e);
    let since = q.get("_updated_since").and_then(|v| {
        let t = time::parse(v);
        if t.is_none() {
            e.push(FieldError::new(
                "_updated_since",
                "It should be a valid date in the 'combined date and time ISO8601' format",
                "invalid_value",
            ));
        }
        t
    });
    let p = paging(q, None, &mut e);
    check(e)?;
    let (email, mobile, phone, ext, tag) = (
        q.get("email"),
        q.get("mobile"),
        q.get("phone"),
        q.get("unique_external_id"),
        q.get("tag"),
    );
    let matches = |c: &Contact| -> bool {
        let st = match state {
            Some("deleted") => c.deleted,
            // Freshdesk's server: `(blocked or deleted) and not whitelisted` (the simulator
            // has no whitelist), so the blocked list carries the deleted contacts too.
            Some("blocked") => c.blocked || c.deleted,
            Some("verified") => c.active && !c.deleted && !c.blocked,
            Some("unverified") => !c.active && !c.deleted && !c.blocked,
            _ => !c.deleted && !c.blocked,
        };
        st && email.is_none_or(|m| {
            c.email
                .as_deref()
                .is_some_and(|x| x.eq_ignore_ascii_case(m))
                || c.other_emails.iter().any(|x| x.eq_ignore_ascii_case(m))
        }) && mobile.is_none_or(|m| c.mobile.as_deref() == Some(m))
            && phone.is_none_or(|m| c.phone.as_deref() == Some(m))
            && ext.is_none_or(|m| c.unique_external_id.as_deref() == Some(m))
            && tag.is_none_or(|m| c.tags.iter().any(|t| t == m))
            && company.is_none_or(|co| c.company_id == Some(co) || c.other_companies.contains(&co))
            && since.is_none_or(|s| c.updated_at >= s)
    };
    let items: Vec<&Contact> = d
        .contacts_by_name()
        .filter(|c| matches(c))
        .skip(p.offset())
        .take(p.size() + 1)
        .collect();
    let (items, more) = split_more(items, &p);
    let body = items.into_iter().map(render::contact_list_item).collect();
    Ok(list_response(body, more, req, &p).into())
}

/// `GET /contacts/{id}`.
pub fn view(acct: &Arc<AccountCell>, req: &Req, id: i64) -> Result<Outcome, ApiError> {
    check(req.query.unknown(&[]))?;
    let d = read(&acct.data);
    let c = d.contact(id).ok_or(ApiError::NotFound)?;
    Ok(json_response(200, &render::contact_view(c)).into())
}

fn validate_into(
    d: &AccountData,
    b: &Map<String, Value>,
    c: &mut Contact,
    create: bool,
) -> Result<(), ApiError> {
    check(
        b.keys()
            .filter(|k| !FIELDS.contains(&k.as_str()))
            .map(|k| FieldError::unexpected(k))
            .collect(),
    )?;
    let mut e = Vec::new();
    match b.get("name") {
        None if create => e.push(FieldError::missing("name")),
        Some(Value::String(s)) if s.trim().is_empty() => e.push(FieldError::blank("name")),
        _ => {
            if let Some(Some(n)) = string_field("name", b.get("name"), &mut e) {
                c.name = n;
            }
        }
    }
    for (f, slot) in [
        ("email", &mut c.email),
        ("phone", &mut c.phone),
        ("mobile", &mut c.mobile),
        ("twitter_id", &mut c.twitter_id),
        ("unique_external_id", &mut c.unique_external_id),
        ("facebook_id", &mut c.facebook_id),
        ("address", &mut c.address),
        ("description", &mut c.description),
        ("job_title", &mut c.job_title),
    ] {
        if b.get(f).is_some_and(Value::is_null) && !create {
            *slot = None;
        } else if let Some(v) = string_field(f, b.get(f), &mut e) {
            *slot = v;
        }
    }
    if c.email.as_deref().is_some_and(|m| !valid_email(m)) {
        e.push(FieldError::new(
            "email",
            "It should be in the 'valid email address' format",
            "invalid_value",
        ));
    }
    if create
        && c.email.is_none()
        && c.phone.is_none()
        && c.mobile.is_none()
        && c.twitter_id.is_none()
        && c.unique_external_id.is_none()
    {
        e.push(FieldError::new(
            "email",
            "Please fill at least 1 of email, mobile, phone, twitter_id, unique_external_id fields",
            "missing_field",
        ));
    }
    match b.get("company_id") {
        None => {}
        Some(Value::Null) => c.company_id = None,
        Some(Value::Number(n)) if n.as_i64().is_some_and(|x| d.companies.contains_key(&x)) => {
            c.company_id = n.as_i64()
        }
        Some(Value::Number(_)) => e.push(absent("company_id", "company")),
        Some(other) => e.push(FieldError::datatype(
            "company_id",
            other,
            "Positive Integer",
        )),
    }
    if let Some(v) = b.get("view_all_tickets") {
        match v {
            Value::Bool(x) => c.view_all_tickets = *x,
            other => e.push(FieldError::datatype("view_all_tickets", other, "Boolean")),
        }
    }
    for (f, slot) in [("tags", &mut c.tags), ("other_emails", &mut c.other_emails)] {
        match b.get(f) {
            None => {}
            Some(Value::Array(a)) if a.iter().all(Value::is_string) => {
                *slot = a
                    .iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect();
            }
            Some(other) => e.push(FieldError::datatype(f, other, "Array")),
        }
    }
    if let Some(v) = b.get("language").and_then(Value::as_str) {
        c.language = v.to_owned().into();
    }
    if let Some(v) = b.get("time_zone").and_then(Value::as_str) {
        c.time_zone = v.to_owned().into();
    }
    if let Some(Value::Object(m)) = b.get("custom_fields") {
        for k in m.keys() {
            e.push(FieldError::unexpected(k));
        }
    }
    check(e)?;
    if let Some(m) = c.email.as_deref()
        && let Some(dup) = d.contacts().find(|o| {
            o.id != c.id
                && o.email
                    .as_deref()
                    .is_some_and(|x| x.eq_ignore_ascii_case(m))
        })
    {
        let mut err = FieldError::new("email", "It should be a unique value", "duplicate_value");
        err.additional_info = Some(Box::new(json!({ "user_id": dup.id })));
        return Err(ApiError::field(err));
    }
    Ok(())
}

/// Validates and creates a contact; returns its id.
pub fn create_contact(d: &mut AccountData, b: &Map<String, Value>) -> Result<i64, ApiError> {
    let now = d.now();
    let mut c = new_contact(0, String::new(), None, None, now, None, None, None);
    validate_into(d, b, &mut c, true)?;
    c.id = d.next_id(IdKind::User);
    let id = c.id;
    d.put_contact(c);
    Ok(id)
}

/// Validates and applies a contact update.
pub fn update_contact(
    d: &mut AccountData,
    id: i64,
    b: &Map<String, Value>,
) -> Result<(), ApiError> {
    if b.is_empty() {
        return Err(ApiError::missing_params());
    }
    let mut c = d
        .contact(id)
        .filter(|c| !c.deleted)
        .cloned()
        .ok_or(ApiError::NotFound)?;
    validate_into(d, b, &mut c, false)?;
    c.updated_at = d.now();
    d.put_contact(c);
    Ok(())
}

/// Soft-deletes (or restores) a contact.
pub fn set_contact_deleted(d: &mut AccountData, id: i64, deleted: bool) -> bool {
    let now = d.now();
    let Some(mut c) = d.contact(id).cloned() else {
        return false;
    };
    if c.deleted == deleted {
        return false;
    }
    c.deleted = deleted;
    c.updated_at = now;
    d.put_contact(c);
    true
}

/// Removes a contact and their tickets for good.
pub fn hard_delete_contact(d: &mut AccountData, id: i64) -> bool {
    if d.remove_contact(id).is_none() {
        return false;
    }
    let ids: Vec<i64> = d
        .tickets()
        .filter(|t| t.requester_id == id)
        .map(|t| t.id)
        .collect();
    for t in ids {
        d.purge_ticket(t);
    }
    true
}

/// `POST /contacts`.
pub fn create(acct: &Arc<AccountCell>, req: &Req) -> Result<Outcome, ApiError> {
    let body = parse_body(req)?;
    let mut d = write(&acct.data);
    let id = create_contact(&mut d, &body)?;
    let c = d.contact(id).ok_or(ApiError::NotFound)?;
    Ok(json_response(201, &render::contact_view(c)).into())
}

/// `PUT /contacts/{id}`.
pub fn update(acct: &Arc<AccountCell>, req: &Req, id: i64) -> Result<Outcome, ApiError> {
    let mut d = write(&acct.data);
    if d.contact(id).is_none_or(|c| c.deleted) {
        return Err(ApiError::NotFound);
    }
    let body = parse_body(req)?;
    update_contact(&mut d, id, &body)?;
    let c = d.contact(id).ok_or(ApiError::NotFound)?;
    Ok(json_response(200, &render::contact_view(c)).into())
}

/// `DELETE /contacts/{id}`.
pub fn delete(acct: &Arc<AccountCell>, _req: &Req, id: i64) -> Result<Outcome, ApiError> {
    if set_contact_deleted(&mut write(&acct.data), id, true) {
        Ok(empty(StatusCode::NO_CONTENT).into())
    } else {
        Err(ApiError::NotFound)
    }
}

/// `PUT /contacts/{id}/restore`.
pub fn restore(acct: &Arc<AccountCell>, _req: &Req, id: i64) -> Result<Outcome, ApiError> {
    if set_contact_deleted(&mut write(&acct.data), id, false) {
        Ok(empty(StatusCode::NO_CONTENT).into())
    } else {
        Err(ApiError::NotFound)
    }
}

/// `DELETE /contacts/{id}/hard_delete`.
pub fn hard_delete(acct: &Arc<AccountCell>, req: &Req, id: i64) -> Result<Outcome, ApiError> {
    check(req.query.unknown(&["force"]))?;
    if hard_delete_contact(&mut write(&acct.data), id) {
        Ok(empty(StatusCode::NO_CONTENT).into())
    } else {
        Err(ApiError::NotFound)
    }
}
