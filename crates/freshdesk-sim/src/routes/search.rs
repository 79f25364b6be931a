//! `GET /search/tickets?query="…"&page=n`: 30 results per page, pages 1..10, `{"results","total"}`.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::common::check;
use crate::errors::{ApiError, FieldError, json_response};
use crate::http::exchange::{Outcome, Req};
use crate::render::{self, Includes};
use crate::search;
use crate::sim::{AccountCell, read};

/// `GET /search/tickets`.
pub fn tickets(acct: &Arc<AccountCell>, req: &Req) -> Result<Outcome, ApiError> {
    let q = &req.query;
    check(q.unknown(&["query", "page"]))?;
    let mut errors = Vec::new();
    let page = match q.get("page") {
        None => 1,
        Some(v) => match v.trim().parse::<usize>() {
            Ok(n) if (1..=10).contains(&n) => n,
            _ => {
                errors.push(FieldError::new(
                    "page",
                    "It should be a Positive Integer less than or equal to 10",
                    "invalid_value",
                ));
                1
            }
        },
    };
    let d = read(&acct.data);
    let expr = match q.get("query") {
        None => {
            errors.push(FieldError::missing("query"));
            None
        }
        Some(s) => match search::parse(s, &d) {
            Ok(e) => Some(e),
            Err(e) => {
                errors.push(e);
                None
            }
        },
    };
    check(errors)?;
    let Some(expr) = expr else {
        return Err(ApiError::NotFound);
    };
    let hits: Vec<_> = d
        .by_created()
        .iter()
        .rev()
        .filter_map(|(_, id)| d.ticket(*id))
        .filter(|t| !t.deleted && !t.spam && search::matches(&expr, t, &d))
        .collect();
    let inc = Includes {
        description: true,
        ..Includes::default()
    };
    let results: Vec<Value> = hits
        .iter()
        .skip((page - 1) * 30)
        .take(30)
        .map(|t| render::ticket_list_item(&d, t, &inc))
        .collect();
    let mut m = Map::new();
    m.insert("results".into(), Value::Array(results));
    m.insert("total".into(), Value::from(hits.len()));
    Ok(json_response(200, &Value::Object(m)).into())
}
