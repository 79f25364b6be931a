//! Zendesk's error bodies classified into [`ProviderError`]s, and the confinement of
//! passthrough paths to `/api/v2/`.
//!
//! Zendesk answers errors in several shapes (reference §1.2, §5.5): `error` as a string with
//! `description` (`RecordNotFound`, scope 403s, `RecordInvalid` with `details`), `error` as an
//! object `{title, message}` (role or plan 403s, unknown subdomains), the OAuth
//! `{error, error_description}`, and plain text. All of them are parsed here.

use deskbridge_provider::{FieldProblem, ProviderError};
use reqwest::StatusCode;
use serde_json::Value;
use url::Url;

/// The `error` code and human message of a Zendesk error body, whatever its shape.
pub fn error_parts(body: &[u8]) -> (String, String) {
    let Ok(json) = serde_json::from_slice::<Value>(body) else {
        let text = String::from_utf8_lossy(body);
        return (String::new(), text.trim().chars().take(300).collect());
    };
    let s = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_string();
    match json.get("error") {
        Some(Value::Object(o)) => (s(o.get("title")), s(o.get("message"))),
        Some(Value::String(code)) => {
            let msg = s(json
                .get("description")
                .or_else(|| json.get("error_description")));
            (code.clone(), msg)
        }
        _ => (s(json.get("title")), s(json.get("detail"))),
    }
}

/// The field problems of a `RecordInvalid` body: one per entry of `details.{field}[]`, with
/// Zendesk's field name (`base` for the whole record; `custom_fields.{id}` when Zendesk names
/// the ticket field), its description and its code (`error`, else the top-level code).
pub fn field_problems(body: &[u8]) -> Vec<FieldProblem> {
    let (code, message) = error_parts(body);
    let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let mut out = Vec::new();
    if let Some(details) = json.get("details").and_then(Value::as_object) {
        for (field, entries) in details {
            let entries = match entries {
                Value::Array(a) => a.clone(),
                other => vec![other.clone()],
            };
            for e in entries {
                let desc = e
                    .get("description")
                    .and_then(Value::as_str)
                    .or_else(|| e.as_str())
                    .unwrap_or(message.as_str())
                    .to_string();
                let kind = e.get("ticket_field_type").and_then(Value::as_str);
                let f = match (e.get("ticket_field_id").and_then(Value::as_i64), kind) {
                    (_, Some("FieldDescription")) => "description".to_string(),
                    (_, Some("FieldSubject")) => "subject".to_string(),
                    (Some(id), _) if field == "base" => format!("custom_fields.{id}"),
                    _ => field.clone(),
                };
                let c = e
                    .get("error")
                    .and_then(Value::as_str)
                    .unwrap_or(code.as_str())
                    .to_string();
                out.push(FieldProblem {
                    field: f,
                    message: desc,
                    code: c,
                });
            }
        }
    }
    if out.is_empty() {
        out.push(FieldProblem {
            field: String::new(),
            message,
            code,
        });
    }
    out
}

/// Classifies a 4xx answer (never retried): 401 → Unauthorized; 403 → Forbidden with
/// Zendesk's message (either shape); 404 "No help desk at …" → UnknownAccount, other 404 →
/// NotFound; 400/409/422 → Validation; anything else → Protocol.
pub fn classify_status(status: StatusCode, body: &[u8]) -> ProviderError {
    let (code, message) = error_parts(body);
    match status.as_u16() {
        401 => ProviderError::Unauthorized,
        403 => ProviderError::Forbidden(if message.is_empty() {
            if code.is_empty() {
                "access denied".into()
            } else {
                code
            }
        } else {
            message
        }),
        404 if code.starts_with("No help desk") => ProviderError::UnknownAccount,
        404 => ProviderError::NotFound,
        400 | 409 | 422 => ProviderError::Validation(field_problems(body)),
        s => ProviderError::Protocol(format!(
            "HTTP {s}{}",
            if code.is_empty() {
                String::new()
            } else {
                format!(" ({})", code.chars().take(60).collect::<String>())
            }
        )),
    }
}

/// Checks a passthrough path and joins it under `/api/v2/` of `base`.
///
/// Accepts `tickets/1.json?include=users`, `/tickets/1` and `/api/v2/tickets/1`. Refuses `..`
/// and `.` segments (also percent-encoded), encoded slashes, absolute URLs, `//`,
/// backslashes, `:` or `@` in the path, fragments, whitespace and control characters, and
/// anything that would leave the base's origin or its `/api/v2/` prefix.
pub fn confine_path(base: &Url, path_and_query: &str) -> Result<Url, ProviderError> {
    let refuse = |why: &str| {
        ProviderError::Validation(vec![FieldProblem {
            field: "path".into(),
            message: format!("The path is not allowed: {why}"),
            code: "invalid_value".into(),
        }])
    };
    let p = path_and_query;
    if p.is_empty() {
        return Err(refuse("empty"));
    }
    if p.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(refuse("whitespace or control characters"));
    }
    if p.contains('\\') || p.contains('#') {
        return Err(refuse("backslash or fragment"));
    }
    let p = p
        .strip_prefix("/api/v2/")
        .or_else(|| p.strip_prefix("api/v2/"))
        .unwrap_or(p);
    let p = p.strip_prefix('/').unwrap_or(p);
    if p.starts_with('/') || p.contains("://") {
        return Err(refuse("absolute URL or host"));
    }
    let (path, _query) = p.split_once('?').unwrap_or((p, ""));
    if path.is_empty() {
        return Err(refuse("empty"));
    }
    if path.contains(':') || path.contains('@') || path.contains("//") {
        return Err(refuse("host override"));
    }
    for seg in path.split('/') {
        let lower = seg.to_ascii_lowercase();
        let decoded = lower.replace("%2e", ".");
        if decoded == ".." || decoded == "." || lower.contains("%2f") || lower.contains("%5c") {
            return Err(refuse("dot segments"));
        }
    }
    let url = base
        .join(&format!("api/v2/{p}"))
        .map_err(|_| refuse("unparseable"))?;
    let prefix = format!("{}api/v2/", base.path());
    if url.origin() != base.origin()
        || !url.path().starts_with(&prefix)
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(refuse("outside /api/v2/"));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_403_shapes() {
        let obj = br#"{"error":{"title":"Forbidden","message":"Access to this resource is restricted."}}"#;
        assert!(matches!(classify_status(StatusCode::FORBIDDEN, obj),
            ProviderError::Forbidden(m) if m.contains("restricted")));
        let s =
            br#"{"error":"Forbidden","description":"Missing the following required scopes: read"}"#;
        assert!(matches!(classify_status(StatusCode::FORBIDDEN, s),
            ProviderError::Forbidden(m) if m.contains("scopes")));
    }

    #[test]
    fn confinement() {
        let base = Url::parse("http://127.0.0.1:9000/d/zsim1/").expect("url");
        assert_eq!(
            confine_path(&base, "tickets/1.json?include=users")
                .expect("ok")
                .as_str(),
            "http://127.0.0.1:9000/d/zsim1/api/v2/tickets/1.json?include=users"
        );
        assert!(confine_path(&base, "/api/v2/tickets").is_ok());
        for bad in [
            "../tickets",
            "tickets/%2e%2e/x",
            "tickets/%2F..",
            "//evil.com/x",
            "http://evil.com/api/v2/tickets",
            "https:evil.com",
            "",
            "tickets#x",
            "a b",
            "user@evil.com/x",
        ] {
            assert!(confine_path(&base, bad).is_err(), "{bad}");
        }
    }
}
