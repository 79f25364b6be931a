//! Timestamps: epoch seconds inside, `YYYY-MM-DDTHH:MM:SSZ` on the wire.

use chrono::{DateTime, Months, NaiveDate, TimeZone, Utc};
use serde_json::Value;

/// Current wall-clock time in epoch seconds.
pub fn now_secs() -> i64 {
    Utc::now().timestamp()
}

/// Formats epoch seconds as Freshdesk does (`2015-08-24T11:56:51Z`).
pub fn fmt(ts: i64) -> String {
    match Utc.timestamp_opt(ts, 0).single() {
        Some(t) => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        None => "1970-01-01T00:00:00Z".to_owned(),
    }
}

/// JSON string for a timestamp.
pub fn ts(ts: i64) -> Value {
    Value::String(fmt(ts))
}

/// JSON string or null for an optional timestamp.
pub fn opt_ts(ts: Option<i64>) -> Value {
    ts.map(self::ts).unwrap_or(Value::Null)
}

/// Parses an ISO 8601 date-time (with `Z` or an offset) or a plain date (midnight UTC).
pub fn parse(input: &str) -> Option<i64> {
    let s = input.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp());
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M%z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(s, f) {
            return Some(t.timestamp());
        }
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, f) {
            return Some(t.and_utc().timestamp());
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp())
}

/// Start of the 30-day window: start of today (UTC) minus one calendar month.
pub fn default_window_start(now: i64) -> i64 {
    let today = Utc
        .timestamp_opt(now, 0)
        .single()
        .map(|t| t.date_naive())
        .unwrap_or_default();
    let start = today.checked_sub_months(Months::new(1)).unwrap_or(today);
    start
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp())
        .unwrap_or(now)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses() {
        assert_eq!(fmt(1_440_417_411), "2015-08-24T11:56:51Z");
        assert_eq!(parse("2015-08-24T11:56:51Z"), Some(1_440_417_411));
        assert_eq!(parse("2015-08-24T13:56:51+02:00"), Some(1_440_417_411));
        assert_eq!(parse("2015-08-24"), Some(1_440_374_400));
        assert_eq!(parse("soon"), None);
        // 2024-03-31 → window starts 2024-02-29T00:00:00Z
        assert_eq!(
            fmt(default_window_start(parse("2024-03-31T15:00:00Z").unwrap())),
            "2024-02-29T00:00:00Z"
        );
    }
}
