//! Helpers shared by the routes: bodies, list responses, field checks.

use axum::http::{HeaderValue, header};
use axum::response::Response;
use serde_json::{Map, Value};

use crate::errors::{ApiError, FieldError, json_response};
use crate::http::exchange::Req;
use crate::http::query::Paging;

/// Parses a JSON object body (empty body = `{}`); checks the content type like Freshdesk.
pub fn parse_body(req: &Req) -> Result<Map<String, Value>, ApiError> {
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    let ct = req.content_type.clone().unwrap_or_default();
    let lower = ct.to_ascii_lowercase();
    if lower.starts_with("multipart/form-data") {
        return Err(ApiError::Request(
            400,
            "invalid_multipart",
            "Multipart data is not properly formatted.".into(),
        ));
    }
    if !lower.contains("json") {
        return Err(ApiError::Request(
            415,
            "invalid_content_type",
            format!("Content-Type header is set to {ct}. It should be set to application/json"),
        ));
    }
    match serde_json::from_slice::<Value>(&req.body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(ApiError::invalid_json()),
    }
}

/// A JSON array answer with a `Link` header when there is a next page.
pub fn list_response(items: Vec<Value>, more: bool, req: &Req, paging: &Paging) -> Response {
    let mut r = json_response(200, &Value::Array(items));
    if more && let Ok(v) = HeaderValue::from_str(&req.next_link(paging.page + 1)) {
        r.headers_mut().insert(header::LINK, v);
    }
    r
}

/// Fails with the collected errors, if any.
pub fn check(errors: Vec<FieldError>) -> Result<(), ApiError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// Parses a positive integer query value, recording a datatype error.
pub fn query_id(field: &str, v: Option<&str>, errors: &mut Vec<FieldError>) -> Option<i64> {
    let v = v?;
    match v.trim().parse::<i64>() {
        Ok(n) if n > 0 => Some(n),
        _ => {
            errors.push(FieldError::new(
                field,
                "It should be a/an Positive Integer",
                "datatype_mismatch",
            ));
            None
        }
    }
}

/// `absent_in_db`: "There is no {resource} matching the given {attribute}".
pub fn absent(field: &str, resource: &str) -> FieldError {
    FieldError::new(
        field,
        format!("There is no {resource} matching the given {field}"),
        "invalid_value",
    )
}

/// Strips tags and decodes the common entities (for `*_text` fields).
pub fn strip_html(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                if !out.ends_with(' ') && !out.is_empty() {
                    out.push(' ');
                }
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let out = out
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A rough email check (`x@y.z`).
pub fn valid_email(s: &str) -> bool {
    let s = s.trim();
    let s = s
        .rsplit_once('<')
        .map(|(_, r)| r.trim_end_matches('>'))
        .unwrap_or(s);
    match s.split_once('@') {
        Some((l, d)) => {
            !l.is_empty()
                && d.contains('.')
                && !d.starts_with('.')
                && !d.ends_with('.')
                && !s.contains(' ')
        }
        None => false,
    }
}

/// Checks an optional array of emails; returns it when valid.
pub fn email_list(
    field: &str,
    v: Option<&Value>,
    errors: &mut Vec<FieldError>,
) -> Option<Vec<String>> {
    let v = v?;
    let Value::Array(items) = v else {
        errors.push(FieldError::datatype(field, v, "Array"));
        return None;
    };
    let mut out = Vec::new();
    for i in items {
        match i.as_str() {
            Some(s) if valid_email(s) => out.push(s.to_owned()),
            Some(_) => {
                errors.push(FieldError::new(
                    field,
                    "It should contain elements that are in the 'valid email address' format",
                    "invalid_value",
                ));
                return None;
            }
            None => {
                errors.push(FieldError::new(
                    field,
                    "It should contain elements of type String only",
                    "datatype_mismatch",
                ));
                return None;
            }
        }
    }
    if out.len() > 50 {
        errors.push(FieldError::new(
            field,
            format!(
                "Has {} elements, it can have maximum of 50 elements",
                out.len()
            ),
            "invalid_value",
        ));
        return None;
    }
    Some(out)
}

/// Checks an optional string field (max 255 characters).
pub fn string_field(
    field: &str,
    v: Option<&Value>,
    errors: &mut Vec<FieldError>,
) -> Option<Option<String>> {
    match v? {
        Value::String(s) if s.chars().count() > 255 => {
            errors.push(FieldError::new(
                field,
                format!(
                    "Has {} characters, it can have maximum of 255 characters",
                    s.chars().count()
                ),
                "invalid_value",
            ));
            None
        }
        Value::String(s) => Some(Some(s.clone())),
        other => {
            errors.push(FieldError::datatype(field, other, "String"));
            None
        }
    }
}
