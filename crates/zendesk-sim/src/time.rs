//! Timestamps: epoch seconds inside, `YYYY-MM-DDTHH:MM:SSZ` (no fraction) on the wire.

use chrono::{TimeZone, Utc};
use serde_json::Value;

/// Current wall-clock time in epoch seconds.
pub fn now_secs() -> i64 {
    Utc::now().timestamp()
}

/// Formats epoch seconds as Zendesk does (`2024-02-07T02:09:01Z`).
pub fn fmt(ts: i64) -> String {
    match Utc.timestamp_opt(ts, 0).single() {
        Some(t) => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        None => "1970-01-01T00:00:00Z".to_owned(),
    }
}

/// JSON string for a timestamp.
pub fn ts(t: i64) -> Value {
    Value::String(fmt(t))
}

/// JSON string or null.
pub fn opt_ts(t: Option<i64>) -> Value {
    t.map(ts).unwrap_or(Value::Null)
}

/// Parses an ISO 8601 timestamp (`Z` or offset) or a date.
pub fn parse(s: &str) -> Option<i64> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s.trim()) {
        return Some(t.timestamp());
    }
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses() {
        assert_eq!(fmt(1_707_271_741), "2024-02-07T02:09:01Z");
        assert_eq!(parse("2024-02-07T02:09:01Z"), Some(1_707_271_741));
        assert_eq!(parse("nope"), None);
    }
}
