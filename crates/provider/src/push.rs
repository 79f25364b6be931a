//! Inbound pushes from a helpdesk (its webhooks or automation rules), as a hint that a ticket
//! changed. Each adapter verifies its own helpdesk's pushes and says how they are set up; the
//! server only routes them, checks the hook's secret and queues a targeted fetch. The body of
//! a push is never trusted as data: only the ticket id (and the event's name) is taken from
//! it, and the ticket is read back from the helpdesk.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

/// One inbound push as the server received it: header names in lower case, the raw body.
#[derive(Debug, Clone, Copy)]
pub struct PushRequest<'a> {
    /// Headers by lower-case name (the last value of a repeated header).
    pub headers: &'a BTreeMap<String, String>,
    /// The raw body bytes (signatures are computed over them, not over re-serialised JSON).
    pub body: &'a [u8],
    /// The server's clock, for timestamp windows.
    pub now: DateTime<Utc>,
}

impl PushRequest<'_> {
    /// A header by its lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

/// What a verified push says: which ticket to read again, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushHint {
    /// The helpdesk's id of the ticket.
    pub ticket_remote_id: String,
    /// The event as the helpdesk named it (for logs and health; never acted upon).
    pub event: String,
}

/// The outcome of an adapter's verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushVerified {
    /// The ticket to fetch.
    pub hint: PushHint,
    /// True when the adapter checked a signature with the stored signing secret.
    pub signed: bool,
    /// The hook secret the request presented (a header the rule sets), for the server to
    /// compare with the hook's stored hash; `None` when the request carried none.
    pub presented_secret: Option<String>,
    /// A value unique to this delivery (e.g. its signature) that must not be accepted twice
    /// within the timestamp window; `None` when the helpdesk signs nothing.
    pub replay_key: Option<String>,
}

/// Why a push is refused (each a 4xx; nothing is queued).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PushRefusal {
    /// No signature and no secret where one is required.
    #[error("the push carries no signature or secret")]
    Unsigned,
    /// A signature that does not verify.
    #[error("the push's signature does not verify")]
    BadSignature,
    /// A timestamp outside the accepted window (or unreadable).
    #[error("the push's timestamp is outside the accepted window")]
    Stale,
    /// A body that is not the expected JSON, or has no ticket id.
    #[error("the push's body is malformed: {0}")]
    Malformed(String),
    /// This integration takes no pushes.
    #[error("this integration takes no pushes")]
    Unsupported,
}

/// How long a signed push's timestamp stays acceptable (either way from the server's clock);
/// its signature is remembered for as long, so that a replay within the window is refused.
pub const PUSH_WINDOW_SECS: i64 = 300;

/// How a push hook is set up in the helpdesk by hand, rendered from the hook's URL and secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushSetup {
    /// The header name that carries the hook secret.
    pub header_name: String,
    /// The header's value (the secret, possibly with a scheme such as `Bearer `).
    pub header_value: String,
    /// The JSON body to paste, with the helpdesk's placeholders.
    pub body_template: String,
    /// The steps, in the helpdesk's own words.
    pub steps: Vec<String>,
}

/// What an installation created in the helpdesk, kept so that it can be removed again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledPush {
    /// The helpdesk's ids of what was created (e.g. `{"webhook": …, "trigger": …}`).
    pub remote_ids: Value,
    /// The signing secret the helpdesk chose, for verifying its signatures.
    pub signing_secret: Option<String>,
}

/// Reads a ticket id from a push body, wherever the helpdesk's templates usually put it
/// (`ticket_id`, `ticket.id`, `<wrapper>.ticket_id`, `detail.id`), as a number or a numeric
/// string: digits only, at most 20, so that it can go into a path as it is.
pub fn ticket_id_in(body: &Value, wrappers: &[&str]) -> Option<String> {
    let direct = [
        body.get("ticket_id"),
        body.get("ticket").and_then(|t| t.get("id")),
        body.get("detail").and_then(|t| t.get("id")),
    ];
    let wrapped = wrappers
        .iter()
        .map(|w| body.get(*w).and_then(|o| o.get("ticket_id")));
    direct
        .into_iter()
        .chain(wrapped)
        .flatten()
        .find_map(numeric_id)
}

fn numeric_id(v: &Value) -> Option<String> {
    let s = match v {
        Value::Number(n) => n.as_u64()?.to_string(),
        Value::String(s) => s.trim().to_string(),
        _ => return None,
    };
    (!s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit())).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ticket_ids_are_found_and_only_digits_pass() {
        assert_eq!(
            ticket_id_in(&json!({"ticket_id": 42}), &[]),
            Some("42".into())
        );
        assert_eq!(
            ticket_id_in(&json!({"ticket": {"id": "7"}}), &[]),
            Some("7".into())
        );
        assert_eq!(
            ticket_id_in(&json!({"fw": {"ticket_id": "9"}}), &["fw"]),
            Some("9".into())
        );
        assert_eq!(ticket_id_in(&json!({"ticket_id": "1/../2"}), &[]), None);
        assert_eq!(ticket_id_in(&json!({"ticket_id": -3}), &[]), None);
        assert_eq!(ticket_id_in(&json!({"id": 3}), &[]), None);
    }
}
