//! Pushes from Zendesk: a webhook (`conditional_ticket_events`) fired by a trigger on ticket
//! creation and every update (comments included), signed by Zendesk (reference §6).
//!
//! - **Verification**: `X-Zendesk-Webhook-Signature` is `base64(HMAC-SHA256(signing secret,
//!   timestamp header + raw body))`; the timestamp (`X-Zendesk-Webhook-Signature-Timestamp`,
//!   ISO-8601) must be within [`PUSH_WINDOW_SECS`] of our clock and each signature is accepted
//!   once (the server remembers it). The webhook also sends the hook's secret as a bearer
//!   token, checked by the server against its hash; a hand-made webhook (no signing secret
//!   stored) is accepted on that token alone.
//! - **Installation** (an admin's credential): `POST /webhooks`, `GET
//!   /webhooks/{id}/signing_secret`, `POST /triggers` with a `notification_webhook` action;
//!   removal deletes both. Any refusal leaves the manual steps.
//! - **Targeted fetch**: `GET /tickets/{id}.json?include=users`, then its comments as the
//!   sync reads them ([`crate::children`]).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use deskbridge_provider::push::{PUSH_WINDOW_SECS, ticket_id_in};
use deskbridge_provider::{
    InstalledPush, NormalizedRecord, ProviderError, PushHint, PushRefusal, PushRequest, PushSetup,
    PushVerified,
};
use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{Value, json};
use subtle::ConstantTimeEq;

use crate::errors::classify_status;
use crate::lists::status_categories;
use crate::mapping::{Lookups, map_tag, map_ticket};
use crate::provider::ZendeskProvider;

/// The body the trigger sends: only what tells which ticket changed.
pub const BODY_TEMPLATE: &str = r#"{"ticket_id": "{{ticket.id}}", "event": "ticket.updated", "updated_at": "{{ticket.updated_at_with_timestamp}}"}"#;

/// Verifies a push (see the module's notes).
pub fn verify(
    req: &PushRequest<'_>,
    signing_secret: Option<&str>,
) -> Result<PushVerified, PushRefusal> {
    let presented = req
        .header("authorization")
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(|t| t.trim().to_string());
    let signature = req.header("x-zendesk-webhook-signature");
    let timestamp = req.header("x-zendesk-webhook-signature-timestamp");
    let (signed, replay_key) = match (signing_secret, signature, timestamp) {
        (Some(secret), Some(sig), Some(ts)) => {
            fresh(ts, req.now)?;
            if !signature_matches(secret, ts, req.body, sig) {
                return Err(PushRefusal::BadSignature);
            }
            (true, Some(sig.to_string()))
        }
        (Some(_), _, _) => return Err(PushRefusal::Unsigned),
        (None, _, ts) => {
            if let Some(ts) = ts {
                fresh(ts, req.now)?;
            }
            if presented.is_none() {
                return Err(PushRefusal::Unsigned);
            }
            (false, None)
        }
    };
    let body: Value = serde_json::from_slice(req.body)
        .map_err(|_| PushRefusal::Malformed("the body is not JSON".into()))?;
    let ticket = ticket_id_in(&body, &[])
        .ok_or_else(|| PushRefusal::Malformed("the body names no ticket id".into()))?;
    let event = body
        .get("event")
        .or_else(|| body.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("ticket.updated")
        .chars()
        .take(64)
        .collect();
    Ok(PushVerified {
        hint: PushHint {
            ticket_remote_id: ticket,
            event,
        },
        signed,
        presented_secret: presented,
        replay_key,
    })
}

fn fresh(ts: &str, now: DateTime<Utc>) -> Result<(), PushRefusal> {
    let at = DateTime::parse_from_rfc3339(ts.trim()).map_err(|_| PushRefusal::Stale)?;
    let skew = (now - at.with_timezone(&Utc)).num_seconds().abs();
    if skew > PUSH_WINDOW_SECS {
        return Err(PushRefusal::Stale);
    }
    Ok(())
}

/// `base64(HMAC-SHA256(secret, timestamp + body))`, compared in constant time.
pub fn sign(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let mut mac = match Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(timestamp.as_bytes());
    mac.update(body);
    STANDARD.encode(mac.finalize().into_bytes())
}

fn signature_matches(secret: &str, ts: &str, body: &[u8], sig: &str) -> bool {
    let expected = sign(secret, ts, body);
    !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(sig.trim().as_bytes()))
}

/// The manual set-up.
pub fn setup(url: &str, secret: &str) -> PushSetup {
    PushSetup {
        header_name: "Authorization".into(),
        header_value: format!("Bearer {secret}"),
        body_template: BODY_TEMPLATE.into(),
        steps: vec![
            format!(
                "In Admin Center → Apps and integrations → Webhooks, create a webhook \"Trigger or automation\" with endpoint URL {url}, method POST, format JSON."
            ),
            "Authentication: Bearer token, with the secret above as the token.".into(),
            "In Admin Center → Objects and rules → Triggers, create a trigger: Meet ANY of: \"Ticket | Is | Created\", \"Ticket | Is | Updated\".".into(),
            "Action: \"Notify by → Active webhook\", choose the webhook, and paste the JSON body above.".into(),
        ],
    }
}

async fn call(
    p: &ZendeskProvider,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> Result<Value, ProviderError> {
    let raw = p.send(method, path, body).await?;
    if raw.status.is_success() {
        if raw.body.is_empty() {
            return Ok(Value::Null);
        }
        return serde_json::from_slice(&raw.body)
            .map_err(|_| ProviderError::Protocol("the answer is not JSON".into()));
    }
    if raw.status.is_server_error() {
        return Err(ProviderError::Transient(format!("HTTP {}", raw.status)));
    }
    Err(classify_status(raw.status, &raw.body))
}

fn id_of(v: &Value, root: &str) -> Result<String, ProviderError> {
    match v.get(root).and_then(|o| o.get("id")) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        _ => Err(ProviderError::Protocol(format!("the {root} has no id"))),
    }
}

/// Creates the webhook and its trigger (see the module's notes).
pub async fn install(
    p: &ZendeskProvider,
    url: &str,
    secret: &str,
) -> Result<InstalledPush, ProviderError> {
    let webhook = json!({"webhook": {
        "name": "Deskbridge push",
        "description": "Tells Deskbridge which ticket changed; created by Deskbridge.",
        "status": "active",
        "endpoint": url,
        "http_method": "POST",
        "request_format": "json",
        "subscriptions": ["conditional_ticket_events"],
        "authentication": {"type": "bearer_token", "data": {"token": secret}, "add_position": "header"},
    }});
    let created = call(p, Method::POST, "webhooks", Some(&webhook)).await?;
    let webhook_id = id_of(&created, "webhook")?;
    let done = async {
        let signing = call(
            p,
            Method::GET,
            &format!("webhooks/{webhook_id}/signing_secret"),
            None,
        )
        .await?;
        let signing_secret = signing
            .get("signing_secret")
            .and_then(|s| s.get("secret"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let trigger = json!({"trigger": {
            "title": "Deskbridge push",
            "active": true,
            "conditions": {"all": [], "any": [
                {"field": "update_type", "operator": "is", "value": "Create"},
                {"field": "update_type", "operator": "is", "value": "Change"},
            ]},
            "actions": [{"field": "notification_webhook", "value": [webhook_id, BODY_TEMPLATE]}],
        }});
        let created = call(p, Method::POST, "triggers", Some(&trigger)).await?;
        let trigger_id = id_of(&created, "trigger")?;
        Ok::<_, ProviderError>(InstalledPush {
            remote_ids: json!({"webhook": webhook_id, "trigger": trigger_id}),
            signing_secret,
        })
    }
    .await;
    if done.is_err() {
        // Half an installation is worse than none: a webhook nothing fires.
        let _ = call(p, Method::DELETE, &format!("webhooks/{webhook_id}"), None).await;
    }
    done
}

/// Deletes the trigger, then the webhook; already gone is fine.
pub async fn remove(p: &ZendeskProvider, remote_ids: &Value) -> Result<(), ProviderError> {
    for (key, path) in [("trigger", "triggers"), ("webhook", "webhooks")] {
        let Some(id) = remote_ids.get(key).and_then(Value::as_str) else {
            continue;
        };
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            continue;
        }
        match call(p, Method::DELETE, &format!("{path}/{id}"), None).await {
            Ok(_) | Err(ProviderError::NotFound) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The ticket (with its tags) and its comments and attachments.
pub async fn fetch_ticket(
    p: &ZendeskProvider,
    id: &str,
) -> Result<Vec<NormalizedRecord>, ProviderError> {
    if id.is_empty() || id.len() > 20 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ProviderError::NotFound);
    }
    let (body, _) = p
        .http
        .get_json(&format!("tickets/{id}.json?include=users"))
        .await?;
    let raw = body
        .get("ticket")
        .ok_or_else(|| ProviderError::Protocol("the answer has no ticket".into()))?;
    let mut lookups = Lookups {
        status_categories: status_categories(p).await?,
        ..Lookups::default()
    };
    lookups.add_users(body.get("users"));
    let mut records = vec![map_ticket(p.la, &p.http.base, raw, &lookups)?];
    for t in raw
        .get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(t) = t.as_str() {
            records.push(map_tag(t));
        }
    }
    records.extend(crate::children::fetch_ticket_children(p, id).await?);
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn req<'a>(
        h: &'a BTreeMap<String, String>,
        body: &'a [u8],
        now: DateTime<Utc>,
    ) -> PushRequest<'a> {
        PushRequest {
            headers: h,
            body,
            now,
        }
    }

    #[test]
    fn signatures_timestamps_and_bodies_are_checked() {
        let now: DateTime<Utc> = "2026-12-07T01:00:00Z".parse().expect("now");
        let body = br#"{"ticket_id": "42"}"#;
        let ts = "2026-12-07T00:58:00Z";
        let mut h = BTreeMap::new();
        h.insert(
            "x-zendesk-webhook-signature".to_string(),
            sign("s3cret", ts, body),
        );
        h.insert(
            "x-zendesk-webhook-signature-timestamp".to_string(),
            ts.to_string(),
        );
        let ok = verify(&req(&h, body, now), Some("s3cret")).expect("verifies");
        assert_eq!(ok.hint.ticket_remote_id, "42");
        assert!(ok.signed && ok.replay_key.is_some());
        assert_eq!(
            verify(&req(&h, body, now), Some("other")),
            Err(PushRefusal::BadSignature)
        );
        let tampered = br#"{"ticket_id": "43"}"#;
        assert_eq!(
            verify(&req(&h, tampered, now), Some("s3cret")),
            Err(PushRefusal::BadSignature)
        );
        let later = now + chrono::Duration::minutes(10);
        assert_eq!(
            verify(&req(&h, body, later), Some("s3cret")),
            Err(PushRefusal::Stale)
        );
        assert_eq!(
            verify(&req(&BTreeMap::new(), body, now), Some("s3cret")),
            Err(PushRefusal::Unsigned)
        );
        assert_eq!(
            verify(&req(&BTreeMap::new(), body, now), None),
            Err(PushRefusal::Unsigned)
        );
    }
}
