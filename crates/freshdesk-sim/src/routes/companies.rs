//! `POST /companies` (and the validation of company bodies).

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::common::{check, parse_body, string_field};
use crate::errors::{ApiError, FieldError, json_response};
use crate::http::exchange::{Outcome, Req};
use crate::model::{Company, SUPPORT_PLANS};
use crate::render;
use crate::sim::{AccountCell, write};
use crate::store::{AccountData, IdKind};
use crate::time;

const FIELDS: &[&str] = &[
    "name",
    "description",
    "note",
    "domains",
    "health_score",
    "account_tier",
    "renewal_date",
    "industry",
    "custom_fields",
];

/// Validates a company body and creates the company; returns its id.
pub fn create_company(d: &mut AccountData, b: &Map<String, Value>) -> Result<i64, ApiError> {
    check(
        b.keys()
            .filter(|k| !FIELDS.contains(&k.as_str()))
            .map(|k| FieldError::unexpected(k))
            .collect(),
    )?;
    let mut e = Vec::new();
    let name = match b.get("name") {
        None => {
            e.push(FieldError::missing("name"));
            None
        }
        Some(Value::String(s)) if s.trim().is_empty() => {
            e.push(FieldError::blank("name"));
            None
        }
        v => string_field("name", v, &mut e).flatten(),
    };
    let mut text = |f: &str| string_field(f, b.get(f).filter(|v| !v.is_null()), &mut e).flatten();
    let (description, note, health, tier, industry) = (
        text("description"),
        text("note"),
        text("health_score"),
        text("account_tier"),
        text("industry"),
    );
    let domains = match b.get("domains") {
        None => Vec::new(),
        Some(Value::Array(a)) if a.iter().all(Value::is_string) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect(),
        Some(other) => {
            e.push(FieldError::datatype("domains", other, "Array"));
            Vec::new()
        }
    };
    let renewal_date = match b.get("renewal_date") {
        None | Some(Value::Null) => None,
        Some(v) => {
            let t = v.as_str().and_then(time::parse);
            if t.is_none() {
                e.push(FieldError::new(
                    "renewal_date",
                    "It should be a valid date in the 'yyyy-mm-dd' format",
                    "invalid_value",
                ));
            }
            t
        }
    };
    let empty = Map::new();
    let custom = match b.get("custom_fields") {
        None => &empty,
        Some(Value::Object(m)) => m,
        Some(other) => {
            e.push(FieldError::datatype(
                "custom_fields",
                other,
                "key/value pair",
            ));
            &empty
        }
    };
    for k in custom.keys().filter(|k| *k != "support_plan") {
        e.push(FieldError::unexpected(k));
    }
    let plan = custom
        .get("support_plan")
        .and_then(Value::as_str)
        .filter(|p| SUPPORT_PLANS.contains(p));
    if plan.is_none() {
        e.push(FieldError::not_included(
            "custom_fields.support_plan",
            &SUPPORT_PLANS.join(","),
        ));
    }
    check(e)?;
    let name = name.unwrap_or_default();
    if let Some(dup) = d
        .companies
        .values()
        .find(|c| c.name.eq_ignore_ascii_case(&name))
    {
        let mut err = FieldError::new("name", "It should be a unique value", "duplicate_value");
        err.additional_info = Some(Box::new(json!({ "company_id": dup.id })));
        return Err(ApiError::field(err));
    }
    let now = d.now();
    let id = d.next_id(IdKind::Company);
    let c = Company {
        id,
        name,
        description,
        note,
        domains,
        created_at: now,
        updated_at: now,
        health_score: health.map(Into::into),
        account_tier: tier.map(Into::into),
        renewal_date,
        industry: industry.map(Into::into),
        org_company_id: format!("{}", 1_800_000_000_000_000_000i64 + id),
        support_plan: plan.map(|p| p.to_owned().into()),
    };
    d.companies.insert(id, c);
    Ok(id)
}

/// `POST /companies`.
pub fn create(acct: &Arc<AccountCell>, req: &Req) -> Result<Outcome, ApiError> {
    let body = parse_body(req)?;
    let mut d = write(&acct.data);
    let id = create_company(&mut d, &body)?;
    let c = d.companies.get(&id).ok_or(ApiError::NotFound)?;
    Ok(json_response(201, &render::company(c)).into())
}
