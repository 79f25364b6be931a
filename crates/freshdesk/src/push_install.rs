//! Installing the push in Freshdesk through its API v2 automation rules
//! (`/api/v2/automations/{type}/rules`, 1 = ticket creation, 4 = ticket updates): two rules
//! whose "Trigger webhook" action POSTs [`crate::push::BODY_TEMPLATE`] to the hook's URL with
//! the secret in [`crate::push::SECRET_HEADER`]. The same rules can be made by hand
//! ([`crate::push::setup`]), which is what the account shows when installing is refused.
//!
//! - Only an admin may manage automations: anyone else gets 403, which is returned as
//!   `Forbidden` (the caller then shows the manual steps; the link itself is unaffected).
//! - Rules are created inactive unless `active` is sent, so it is.
//! - On ticket creation only the first matching rule runs, so ours goes to position 1; on
//!   updates every matching rule runs.
//! - A half installation is rolled back (a creation rule alone would miss every update).
//! - Calls are sent once, like writes: a retried POST could leave two rules.

use std::time::Duration;

use deskbridge_provider::{InstalledPush, ProviderError};
use reqwest::Method;
use serde_json::{Value, json};

use crate::http::classify_status;
use crate::provider::FreshdeskProvider;
use crate::push::{BODY_TEMPLATE, SECRET_HEADER_NAME};
use crate::writes::MAX_BUDGET_WAIT;

/// Rule type of "Ticket Updates".
const UPDATES: u8 = 4;
/// Rule type of "Ticket Creation".
const CREATION: u8 = 1;

/// The rule's "Trigger webhook" action.
fn webhook_action(url: &str, secret: &str) -> Value {
    json!({
        "field_name": "trigger_webhook",
        "request_type": "POST",
        "url": url,
        "content_type": "JSON",
        "content_layout": "2",
        "custom_headers": {SECRET_HEADER_NAME: secret},
        "content": BODY_TEMPLATE,
    })
}

/// The body of the rule of type `kind`. Performer 3 is "Agent or Requester": changes made
/// by Freshdesk itself (other automations, SLA escalations) are left to the periodic sync.
pub fn rule_body(kind: u8, url: &str, secret: &str) -> Value {
    let mut rule = json!({
        "name": "Deskbridge push",
        "description": "Tells Deskbridge which ticket changed; created by Deskbridge.",
        "active": true,
        "conditions": [],
        "actions": [webhook_action(url, secret)],
    });
    if kind == CREATION {
        rule["position"] = json!(1);
    } else {
        rule["performer"] = json!({"type": 3});
        // The rule runs when any event matches; the first match is `{{triggered_event}}`.
        rule["events"] = json!([
            {"field_name": "reply_sent"},
            {"field_name": "note_type", "value": "--"},
            {"field_name": "status", "from": "--", "to": "--"},
            {"field_name": "priority", "from": "--", "to": "--"},
            {"field_name": "ticket_action", "value": "update"},
        ]);
    }
    rule
}

/// Sends once, waiting out a spent budget or a 429 (nothing was done) for at most
/// [`MAX_BUDGET_WAIT`] as writes do; a 2xx answer's JSON (`Null` when empty), a 4xx
/// classified, a 5xx `Transient`.
async fn send_once(
    p: &FreshdeskProvider,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> Result<Value, ProviderError> {
    let mut waited = Duration::ZERO;
    let raw = loop {
        match p.send(method.clone(), path, body).await {
            Err(ProviderError::RateLimited { retry_after })
                if waited + retry_after <= MAX_BUDGET_WAIT =>
            {
                waited += retry_after;
                tokio::time::sleep(retry_after).await;
            }
            other => break other?,
        }
    };
    if raw.status.is_success() {
        if raw.body.is_empty() {
            return Ok(Value::Null);
        }
        return serde_json::from_slice(&raw.body)
            .map_err(|_| ProviderError::Protocol("the answer is not JSON".into()));
    }
    if raw.status.is_server_error() {
        return Err(ProviderError::Transient(format!(
            "HTTP {}",
            raw.status.as_u16()
        )));
    }
    Err(classify_status(raw.status, &raw.body))
}

fn rule_id(rule: &Value) -> Result<String, ProviderError> {
    match rule.get("id") {
        Some(Value::Number(n)) => Ok(n.to_string()),
        Some(Value::String(s)) if valid_id(s) => Ok(s.clone()),
        _ => Err(ProviderError::Protocol("the rule has no id".into())),
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 20 && id.bytes().all(|b| b.is_ascii_digit())
}

async fn delete_rule(p: &FreshdeskProvider, kind: u8, id: &str) -> Result<(), ProviderError> {
    if !valid_id(id) {
        return Ok(());
    }
    let path = format!("automations/{kind}/rules/{id}");
    match send_once(p, Method::DELETE, &path, None).await {
        Ok(_) | Err(ProviderError::NotFound) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Creates the update rule, then the creation rule; `remote_ids` names both.
pub async fn install(
    p: &FreshdeskProvider,
    url: &str,
    secret: &str,
) -> Result<InstalledPush, ProviderError> {
    let body = rule_body(UPDATES, url, secret);
    let path = format!("automations/{UPDATES}/rules");
    let update = rule_id(&send_once(p, Method::POST, &path, Some(&body)).await?)?;
    let body = rule_body(CREATION, url, secret);
    let path = format!("automations/{CREATION}/rules");
    let creation = match send_once(p, Method::POST, &path, Some(&body)).await {
        Ok(v) => rule_id(&v),
        Err(e) => Err(e),
    };
    match creation {
        Ok(creation) => Ok(InstalledPush {
            remote_ids: json!({"update_rule": update, "creation_rule": creation}),
            signing_secret: None,
        }),
        Err(e) => {
            if let Err(undo) = delete_rule(p, UPDATES, &update).await {
                tracing::warn!(error = %undo, "cannot roll back a half-installed push rule");
            }
            Err(e)
        }
    }
}

/// Deletes both rules; already gone is fine.
pub async fn remove(p: &FreshdeskProvider, remote_ids: &Value) -> Result<(), ProviderError> {
    for (key, kind) in [("creation_rule", CREATION), ("update_rule", UPDATES)] {
        if let Some(id) = remote_ids.get(key).and_then(Value::as_str) {
            delete_rule(p, kind, id).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_active_and_the_creation_rule_goes_first() {
        let up = rule_body(UPDATES, "https://d.example/in", "dbpush_s");
        assert_eq!(up["active"], true);
        assert_eq!(up["performer"]["type"], 3);
        assert!(up.get("position").is_none());
        let action = &up["actions"][0];
        assert_eq!(action["url"], "https://d.example/in");
        assert_eq!(action["custom_headers"][SECRET_HEADER_NAME], "dbpush_s");
        assert!(
            action["content"]
                .as_str()
                .is_some_and(|c| c.contains("{{ticket.id}}"))
        );
        let cr = rule_body(CREATION, "https://d.example/in", "dbpush_s");
        assert_eq!(cr["position"], 1);
        assert!(cr.get("events").is_none());
    }
}
