//! Parsing query values with clear 400s.

use chrono::{DateTime, NaiveDate, Utc};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::error::ApiError;

/// A query parsed at the edge: the raw strings the client sent (`Raw`, which also documents
/// the parameters) turned into typed values, or a 400 naming the first bad one, before the
/// handler runs (see `extract::Parsed`). Handlers then never see an unchecked string.
pub trait FromQuery: Sized {
    /// The parameters as sent.
    type Raw: DeserializeOwned + Send;
    /// Checks and converts them.
    fn parse(raw: Self::Raw) -> Result<Self, ApiError>;
}

/// Parses an ISO 8601 date-time (a bare date means its midnight UTC).
pub fn datetime(name: &str, v: &Option<String>) -> Result<Option<DateTime<Utc>>, ApiError> {
    let Some(v) = v.as_deref().filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    if let Ok(t) = chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S%.f") {
        return Ok(Some(t.and_utc()));
    }
    if let Ok(d) = NaiveDate::parse_from_str(v, "%Y-%m-%d")
        && let Some(t) = d.and_hms_opt(0, 0, 0)
    {
        return Ok(Some(t.and_utc()));
    }
    Err(ApiError::bad(format!(
        "Invalid value for `{name}`: `{v}` is not an ISO 8601 date-time such as 2024-01-31T12:00:00Z."
    )))
}

/// Parses a boolean (`true`/`false`, `1`/`0`); absent is false.
pub fn boolean(name: &str, v: &Option<String>) -> Result<bool, ApiError> {
    match v.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("") => Ok(false),
        Some("true" | "1" | "yes") => Ok(true),
        Some("false" | "0" | "no") => Ok(false),
        Some(other) => Err(ApiError::bad(format!(
            "Invalid value for `{name}`: `{other}` is not a boolean (use true or false)."
        ))),
    }
}

/// Parses `page_size`: 1 to 100, default 100.
pub fn page_size(v: &Option<String>) -> Result<i64, ApiError> {
    match v.as_deref().filter(|v| !v.is_empty()) {
        None => Ok(100),
        Some(s) => match s.parse::<i64>() {
            Ok(n) if (1..=100).contains(&n) => Ok(n),
            _ => Err(ApiError::bad(format!(
                "Invalid value for `page_size`: `{s}`; it must be a whole number from 1 to 100."
            ))),
        },
    }
}

/// Parses one UUID.
pub fn uuid(name: &str, v: &Option<String>) -> Result<Option<Uuid>, ApiError> {
    match v.as_deref().filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(s) => s.parse().map(Some).map_err(|_| {
            ApiError::bad(format!(
                "Invalid value for `{name}`: `{s}` is not a valid UUID."
            ))
        }),
    }
}

/// Parses a comma-separated list of strings (empty items dropped).
pub fn csv(v: &Option<String>) -> Option<Vec<String>> {
    let list: Vec<String> = v
        .as_deref()?
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    (!list.is_empty()).then_some(list)
}

/// Parses a comma-separated list of UUIDs.
pub fn uuid_csv(name: &str, v: &Option<String>) -> Result<Option<Vec<String>>, ApiError> {
    let Some(list) = csv(v) else { return Ok(None) };
    for s in &list {
        s.parse::<Uuid>().map_err(|_| {
            ApiError::bad(format!(
                "Invalid value for `{name}`: `{s}` is not a valid UUID."
            ))
        })?;
    }
    Ok(Some(list))
}

/// Checks every item of a comma-separated list against the allowed values.
pub fn choices(name: &str, v: &Option<String>, allowed: &[&str]) -> Result<Vec<String>, ApiError> {
    let list = csv(v).unwrap_or_default();
    for item in &list {
        if !allowed.contains(&item.as_str()) {
            return Err(ApiError::bad(format!(
                "Invalid value for `{name}`: `{item}`; allowed values are {}.",
                allowed.join(", ")
            )));
        }
    }
    Ok(list)
}

/// Checks one value against the allowed values.
pub fn choice(
    name: &str,
    v: &Option<String>,
    allowed: &[&str],
) -> Result<Option<String>, ApiError> {
    match v.as_deref().filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(s) if allowed.contains(&s) => Ok(Some(s.to_string())),
        Some(s) => Err(ApiError::bad(format!(
            "Invalid value for `{name}`: `{s}`; allowed values are {}.",
            allowed.join(", ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        assert!(
            datetime("x", &Some("2024-01-31T12:00:00Z".into()))
                .expect("ok")
                .is_some()
        );
        assert!(
            datetime("x", &Some("2024-01-31".into()))
                .expect("ok")
                .is_some()
        );
        assert!(datetime("x", &Some("yesterday".into())).is_err());
        assert_eq!(page_size(&None).expect("ok"), 100);
        assert!(page_size(&Some("0".into())).is_err());
        assert!(page_size(&Some("101".into())).is_err());
        assert!(boolean("b", &Some("maybe".into())).is_err());
        assert!(choices("expand", &Some("contact,bogus".into()), &["contact"]).is_err());
    }
}
