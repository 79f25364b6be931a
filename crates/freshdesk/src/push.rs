//! Pushes from Freshdesk: an automation rule ("Ticket Creation" and "Ticket Updates") whose
//! "Trigger Webhook" action POSTs a small JSON body to the hook's URL with the hook's secret
//! in a custom header (reference §8). Freshdesk's API v2 has no endpoint for automation
//! rules, and its webhooks are not signed, so the rule is set up by hand with the steps
//! below, and the secret header is the whole verification. The body is only a hint: the
//! ticket is read back through the API.

use deskbridge_provider::push::ticket_id_in;
use deskbridge_provider::{PushHint, PushRefusal, PushRequest, PushSetup, PushVerified};
use serde_json::Value;

/// The custom header the rule sets (lower case as the server indexes headers).
pub const SECRET_HEADER: &str = "x-deskbridge-push-secret";

/// The body the rule sends ("Advanced" content, JSON encoding).
pub const BODY_TEMPLATE: &str =
    r#"{"ticket_id": {{ticket.id}}, "triggered_event": {{triggered_event}}}"#;

/// Verifies a push: the secret header must be present (the server compares it with the
/// hook's hash) and the body must name a ticket (`ticket_id`, also inside Freshdesk's
/// "Simple" wrapper `freshdesk_webhook`).
pub fn verify(req: &PushRequest<'_>) -> Result<PushVerified, PushRefusal> {
    let presented = req
        .header(SECRET_HEADER)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or(PushRefusal::Unsigned)?
        .to_string();
    let body: Value = serde_json::from_slice(req.body)
        .map_err(|_| PushRefusal::Malformed("the body is not JSON".into()))?;
    let ticket = ticket_id_in(&body, &["freshdesk_webhook"])
        .ok_or_else(|| PushRefusal::Malformed("the body names no ticket id".into()))?;
    // `{{triggered_event}}` renders as `{"<event>": {"from": …, "to": …}}`.
    let event = match body.get("triggered_event") {
        Some(Value::Object(m)) => m.keys().next().cloned(),
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    }
    .unwrap_or_else(|| "ticket_updated".into())
    .chars()
    .take(64)
    .collect();
    Ok(PushVerified {
        hint: PushHint {
            ticket_remote_id: ticket,
            event,
        },
        signed: false,
        presented_secret: Some(presented),
        replay_key: None,
    })
}

/// The manual set-up of the automation rule.
pub fn setup(url: &str, secret: &str) -> PushSetup {
    PushSetup {
        header_name: "X-Deskbridge-Push-Secret".into(),
        header_value: secret.into(),
        body_template: BODY_TEMPLATE.into(),
        steps: vec![
            "In Admin → Workflows → Automations, open \"Ticket Updates\" and create a rule: \"When an action performed by Agent or Requester or System\"; involves any of: \"Ticket is updated\", \"Reply is sent\", \"Note is added\", \"Status is changed\".".into(),
            format!("Action \"Trigger webhook\": request type POST, URL {url}, encoding JSON."),
            "Custom headers: add the header and value above.".into(),
            "Content: Advanced, and paste the JSON body above.".into(),
            "Repeat under \"Ticket Creation\" (any ticket) with the same webhook action.".into(),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn the_secret_header_and_a_ticket_id_are_required() {
        let now = chrono::Utc::now();
        let body = br#"{"ticket_id": 12, "triggered_event": {"status": {"from": 2, "to": 3}}}"#;
        let mut h = BTreeMap::new();
        let req = |h: &BTreeMap<String, String>, body: &'static [u8]| {
            verify(&PushRequest {
                headers: h,
                body,
                now,
            })
        };
        assert_eq!(req(&h, body), Err(PushRefusal::Unsigned));
        h.insert(SECRET_HEADER.to_string(), "dbpush_x".into());
        let ok = req(&h, body).expect("verified");
        assert_eq!(ok.hint.ticket_remote_id, "12");
        assert_eq!(ok.hint.event, "status");
        assert_eq!(ok.presented_secret.as_deref(), Some("dbpush_x"));
        assert!(matches!(
            req(&h, b"not json"),
            Err(PushRefusal::Malformed(_))
        ));
        assert!(matches!(
            req(&h, br#"{"id": 1}"#),
            Err(PushRefusal::Malformed(_))
        ));
    }
}
