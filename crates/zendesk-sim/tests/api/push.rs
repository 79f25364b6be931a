//! Webhooks fired by triggers (reference §6): a local receiver gets signed pushes; the
//! `/_sim/push` controls drop or delay them.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use base64::Engine;
use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::sync::mpsc;

use crate::common::{Auth, Env, small, start};

type Got = (HeaderMap, String);

/// A local receiver: every request to `/hook` lands in the channel.
async fn receiver() -> (String, mpsc::UnboundedReceiver<Got>) {
    let (tx, rx) = mpsc::unbounded_channel::<Got>();
    let app = axum::Router::new()
        .route(
            "/hook",
            post(
                |State(tx): State<mpsc::UnboundedSender<Got>>, h: HeaderMap, b: Bytes| async move {
                    let _ = tx.send((h, String::from_utf8_lossy(&b).into_owned()));
                    "ok"
                },
            ),
        )
        .with_state(tx);
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (url, rx)
}

fn h(g: &Got, name: &str) -> String {
    g.0.get(name).unwrap().to_str().unwrap().to_owned()
}

async fn next(rx: &mut mpsc::UnboundedReceiver<Got>, within: Duration) -> Option<Got> {
    tokio::time::timeout(within, rx.recv()).await.ok().flatten()
}

const BODY: &str = r#"{"ticket_id":"{{ticket.id}}","status":"{{ticket.status}}","updated_at":"{{ticket.updated_at_with_timestamp}}","title":"{{ticket.title}}"}"#;

/// Installs a webhook and a created-or-updated trigger as the admin; returns (webhook id, secret).
async fn install(env: &Env, endpoint: &str) -> (String, String) {
    let r = env
        .send(
            Method::POST,
            &env.site(0, "/api/v2/webhooks"),
            &env.admin(0),
            Some(
                &json!({"webhook": {"name": "Deskbridge", "endpoint": endpoint,
                "http_method": "POST", "request_format": "json", "status": "active",
                "subscriptions": ["conditional_ticket_events"]}}),
            ),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json()["webhook"]["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 26, "ULID: {id}");
    let s = env
        .get_ok(0, &format!("/webhooks/{id}/signing_secret"))
        .await;
    assert_eq!(s["signing_secret"]["algorithm"], "SHA256");
    let secret = s["signing_secret"]["secret"].as_str().unwrap().to_owned();
    let r = env
        .send(
            Method::POST,
            &env.site(0, "/api/v2/triggers.json"),
            &env.admin(0),
            Some(&json!({"trigger": {"title": "Deskbridge push",
                "conditions": {"all": [], "any": [
                    {"field": "update_type", "operator": "is", "value": "Create"},
                    {"field": "update_type", "operator": "is", "value": "Change"}]},
                "actions": [{"field": "notification_webhook", "value": [id, BODY]}]}})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["trigger"]["actions"][0]["value"][0], id.as_str());
    (id, secret)
}

async fn new_ticket(env: &Env, subject: &str) -> i64 {
    let r = env
        .send(
            Method::POST,
            &env.site(0, "/api/v2/tickets.json"),
            &env.admin(0),
            Some(&json!({"ticket": {"subject": subject, "comment": {"body": "Help"}}})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json()["ticket"]["id"].as_i64().unwrap()
}

async fn counters(env: &Env) -> Value {
    let r = env.control(Method::GET, "/push/counters", None).await;
    assert_eq!(r.status, 200);
    r.json()
}

#[tokio::test]
async fn trigger_push_is_signed_and_rendered() {
    let env = start(small(1, 5)).await;
    let (url, mut rx) = receiver().await;
    let (id, secret) = install(&env, &url).await;
    let t = new_ticket(&env, "Printer \"on fire\"").await;
    let got = next(&mut rx, Duration::from_secs(5)).await.expect("push");
    // The signature, checked independently of the simulator's code.
    let ts = h(&got, "x-zendesk-webhook-signature-timestamp");
    assert!(chrono::DateTime::parse_from_rfc3339(&ts).is_ok(), "{ts}");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(ts.as_bytes());
    mac.update(got.1.as_bytes());
    let want = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    assert_eq!(h(&got, "x-zendesk-webhook-signature"), want);
    assert_eq!(h(&got, "x-zendesk-webhook-id"), id);
    assert!(!h(&got, "x-zendesk-webhook-invocation-id").is_empty());
    assert!(!h(&got, "x-zendesk-account-id").is_empty());
    let body: Value = serde_json::from_str(&got.1).unwrap();
    assert_eq!(body["ticket_id"], t.to_string());
    assert_eq!(body["status"], "New");
    assert_eq!(body["title"], "Printer \"on fire\"");
    // An update made behind the API's back (control mutation) fires the trigger too.
    let r = env
        .control(
            Method::PUT,
            &format!("/accounts/{}/tickets/{t}", env.account(0).subdomain),
            Some(&json!({"ticket": {"status": "pending", "comment": {"body": "Any news?", "public": true}}})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let got = next(&mut rx, Duration::from_secs(5)).await.expect("push");
    let body: Value = serde_json::from_str(&got.1).unwrap();
    assert_eq!(body["status"], "Pending");
    // POST on the signing secret resets it.
    let r = env
        .send(
            Method::POST,
            &env.site(0, &format!("/api/v2/webhooks/{id}/signing_secret")),
            &env.admin(0),
            None,
        )
        .await;
    let fresh = r.json()["signing_secret"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(fresh, secret);
    let c = counters(&env).await;
    assert_eq!(
        (c["fired"].as_u64(), c["delivered"].as_u64()),
        (Some(2), Some(2)),
        "{c}"
    );
}

#[tokio::test]
async fn only_admins_manage_webhooks_and_triggers() {
    let env = start(small(1, 5)).await;
    let a = env.account(0);
    let agent = Auth::Token(a.agent_email.clone(), a.api_token.clone());
    for (path, body) in [
        (
            "/api/v2/webhooks",
            json!({"webhook": {"name": "x", "endpoint": "http://127.0.0.1:9/"}}),
        ),
        ("/api/v2/triggers", json!({"trigger": {"title": "x"}})),
    ] {
        let r = env
            .send(Method::POST, &env.site(0, path), &agent, Some(&body))
            .await;
        assert_eq!(r.status, 403, "{path}: {}", r.text);
        assert!(r.json()["error"]["title"].is_string());
        let r = env.get(&env.site(0, path), &agent).await;
        assert_eq!(r.status, 403, "{path}");
    }
    // A condition the simulator cannot evaluate is refused rather than stored.
    let r = env
        .send(
            Method::POST,
            &env.site(0, "/api/v2/triggers"),
            &env.admin(0),
            Some(&json!({"trigger": {"title": "x",
                "conditions": {"all": [{"field": "satisfaction_score", "operator": "is", "value": "good"}]},
                "actions": [{"field": "status", "value": "open"}]}})),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
}

#[tokio::test]
async fn full_loss_sends_nothing_and_delay_holds_delivery() {
    let env = start(small(1, 5)).await;
    let (url, mut rx) = receiver().await;
    install(&env, &url).await;
    let r = env
        .control(
            Method::PUT,
            "/push",
            Some(&json!({"loss_rate": 1.0, "seed": 3})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    for i in 0..5 {
        new_ticket(&env, &format!("lost {i}")).await;
    }
    assert!(next(&mut rx, Duration::from_millis(800)).await.is_none());
    let c = counters(&env).await;
    assert_eq!(
        (c["fired"].as_u64(), c["dropped"].as_u64()),
        (Some(5), Some(5)),
        "{c}"
    );
    assert_eq!(c["attempts"], 0);

    env.control(Method::POST, "/push/counters/reset", None)
        .await;
    env.control(Method::PUT, "/push", Some(&json!({"delay_ms": 1500})))
        .await;
    let t = new_ticket(&env, "late").await;
    assert!(next(&mut rx, Duration::from_millis(700)).await.is_none());
    assert_eq!(counters(&env).await["pending"], 1);
    let got = next(&mut rx, Duration::from_secs(5))
        .await
        .expect("delayed push");
    let body: Value = serde_json::from_str(&got.1).unwrap();
    assert_eq!(body["ticket_id"], t.to_string());
}

#[tokio::test]
async fn conditions_select_the_updates_that_push() {
    let env = start(small(1, 5)).await;
    let (url, mut rx) = receiver().await;
    let r = env
        .send(
            Method::POST,
            &env.site(0, "/api/v2/webhooks"),
            &env.admin(0),
            Some(&json!({"webhook": {"name": "w", "endpoint": url,
                "subscriptions": ["conditional_ticket_events"]}})),
        )
        .await;
    let id = r.json()["webhook"]["id"].as_str().unwrap().to_owned();
    // Public comments on updates only, and status changes to solved.
    let r = env
        .send(
            Method::POST,
            &env.site(0, "/api/v2/triggers"),
            &env.admin(0),
            Some(&json!({"trigger": {"title": "public comment",
                "conditions": {"all": [
                    {"field": "update_type", "operator": "is", "value": "Change"},
                    {"field": "comment_is_public", "operator": "is", "value": "true"}]},
                "actions": [{"field": "notification_webhook",
                    "value": [id, r#"{"kind":"comment","id":"{{ticket.id}}"}"#]}]}})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = env
        .send(
            Method::POST,
            &env.site(0, "/api/v2/triggers"),
            &env.admin(0),
            Some(&json!({"trigger": {"title": "solved",
                "conditions": {"all": [{"field": "status", "operator": "value", "value": "solved"}]},
                "actions": [{"field": "notification_webhook",
                    "value": [id, r#"{"kind":"solved","id":"{{ticket.id}}"}"#]}]}})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let t = new_ticket(&env, "quiet").await;
    let upd = |body: Value| {
        let env = &env;
        async move {
            let r = env
                .send(
                    Method::PUT,
                    &env.site(0, &format!("/api/v2/tickets/{t}")),
                    &env.admin(0),
                    Some(&json!({ "ticket": body })),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.text);
        }
    };
    upd(json!({"priority": "high"})).await;
    upd(json!({"comment": {"body": "internal", "public": false}})).await;
    assert!(next(&mut rx, Duration::from_millis(600)).await.is_none());
    upd(json!({"comment": {"body": "hello", "public": true}})).await;
    let got = next(&mut rx, Duration::from_secs(5))
        .await
        .expect("comment push");
    assert_eq!(
        serde_json::from_str::<Value>(&got.1).unwrap()["kind"],
        "comment"
    );
    upd(json!({"status": "solved"})).await;
    let got = next(&mut rx, Duration::from_secs(5))
        .await
        .expect("solved push");
    let body: Value = serde_json::from_str(&got.1).unwrap();
    assert_eq!(
        (body["kind"].as_str(), body["id"].as_str()),
        (Some("solved"), Some(t.to_string().as_str()))
    );
    assert!(next(&mut rx, Duration::from_millis(300)).await.is_none());
}
