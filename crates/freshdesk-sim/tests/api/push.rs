//! Automation rules with a "Trigger webhook" action (reference §8): a local receiver gets the
//! rule's request; the `/_sim/push` controls drop or delay pushes.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use reqwest::Method;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::common::{Env, small, start};

type Got = (HeaderMap, String);

async fn receiver() -> (String, mpsc::UnboundedReceiver<Got>) {
    let (tx, rx) = mpsc::unbounded_channel::<Got>();
    let app = axum::Router::new()
        .route(
            "/inbound",
            post(
                |State(tx): State<mpsc::UnboundedSender<Got>>, h: HeaderMap, b: Bytes| async move {
                    let _ = tx.send((h, String::from_utf8_lossy(&b).into_owned()));
                    "ok"
                },
            ),
        )
        .with_state(tx);
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/inbound", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (url, rx)
}

async fn next(rx: &mut mpsc::UnboundedReceiver<Got>, within: Duration) -> Option<Got> {
    tokio::time::timeout(within, rx.recv()).await.ok().flatten()
}

fn webhook(url: &str) -> Value {
    json!({"field_name": "trigger_webhook", "request_type": "POST", "url": url,
        "content_type": "JSON", "content_layout": "2",
        "custom_headers": {"X-Deskbridge-Secret": "s3cret"},
        // `{{triggered_event}}` is JSON itself, so it goes unquoted (advanced content is text).
        "content": r#"{"ticket_id": "{{ticket.id}}", "status": "{{ticket.status}}",
            "updated_at": "{{ticket.updated_at}}", "subject": "{{ticket.subject}}",
            "event": {{triggered_event}}}"#})
}

async fn create_ticket(env: &Env, key: &str, subject: &str) -> i64 {
    let r = env
        .send(
            Method::POST,
            "/api/v2/tickets",
            Some(key),
            Some(
                json!({"subject": subject, "description": "Help", "email": "ann@example.com",
                "priority": 1, "status": 2}),
            ),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json()["id"].as_i64().unwrap()
}

#[tokio::test]
async fn api_rule_pushes_with_custom_header_and_rendered_body() {
    let env = start(small(1, 5)).await;
    let key = env.key(0);
    let (url, mut rx) = receiver().await;
    // Ticket updates (type 4): note added or status changed.
    let r = env
        .send(
            Method::POST,
            "/api/v2/automations/4/rules",
            Some(&key),
            Some(json!({"name": "Deskbridge push", "active": true,
                "performer": {"type": 4},
                "events": [{"field_name": "note_type", "value": "--"},
                           {"field_name": "status", "from": "--", "to": "--"}],
                "conditions": [], "actions": [webhook(&url)]})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let rule = r.json();
    assert_eq!(rule["automation_type_id"], 4);
    let listed = env.get("/api/v2/automations/4/rules", &key).await.json();
    assert_eq!(listed["rules"][0]["id"], rule["id"]);
    assert_eq!(
        env.get("/api/v2/automations/2/rules", &key).await.status,
        404
    );

    let t = create_ticket(&env, &key, "Broken \"widget\"").await;
    // No creation rule exists: the creation pushes nothing.
    assert!(next(&mut rx, Duration::from_millis(500)).await.is_none());
    let r = env
        .send(
            Method::PUT,
            &format!("/api/v2/tickets/{t}"),
            Some(&key),
            Some(json!({"status": 3})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let got = next(&mut rx, Duration::from_secs(5)).await.expect("push");
    assert_eq!(got.0.get("x-deskbridge-secret").unwrap(), "s3cret");
    assert_eq!(got.0.get("content-type").unwrap(), "application/json");
    let body: Value = serde_json::from_str(&got.1).unwrap();
    assert_eq!(body["ticket_id"], t.to_string());
    assert_eq!(body["status"], "Pending");
    assert_eq!(body["subject"], "Broken \"widget\"");
    assert!(chrono::DateTime::parse_from_rfc3339(body["updated_at"].as_str().unwrap()).is_ok());
    assert_eq!(
        body["event"],
        json!({"status": {"from": "Open", "to": "Pending"}})
    );

    // A note added through the control surface fires the same rule.
    env.sim
        .control()
        .add_conversation(
            "sim1",
            t,
            false,
            json!({"body": "internal", "private": true}),
        )
        .unwrap();
    let got = next(&mut rx, Duration::from_secs(5))
        .await
        .expect("note push");
    let body: Value = serde_json::from_str(&got.1).unwrap();
    assert_eq!(body["event"], json!({"note_type": "private"}));
    // The receiver may answer before the sender books the delivery.
    let mut c = env.sim.control().push_counters();
    for _ in 0..50 {
        if c.pending == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        c = env.sim.control().push_counters();
    }
    assert_eq!((c.fired, c.delivered), (2, 2), "{c:?}");
}

#[tokio::test]
async fn control_rule_on_creation_and_push_controls() {
    let env = start(small(1, 5)).await;
    let key = env.key(0);
    let (url, mut rx) = receiver().await;
    let r = env
        .send(
            Method::POST,
            "/_sim/accounts/sim1/automations/1/rules",
            None,
            Some(
                json!({"name": "On create", "active": true, "conditions": [],
                "actions": [webhook(&url)]}),
            ),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    // A rule with an event the simulator cannot observe is refused.
    let r = env
        .send(
            Method::POST,
            "/api/v2/automations/4/rules",
            Some(&key),
            Some(
                json!({"name": "x", "events": [{"field_name": "customer_feedback"}],
                "actions": [webhook(&url)]}),
            ),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);

    // 100 % loss: nothing arrives, the counters say why.
    let r = env
        .send(
            Method::PUT,
            "/_sim/push",
            None,
            Some(json!({"loss_rate": 1.0, "seed": 9})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    for i in 0..4 {
        create_ticket(&env, &key, &format!("lost {i}")).await;
    }
    assert!(next(&mut rx, Duration::from_millis(800)).await.is_none());
    let c = env
        .send(Method::GET, "/_sim/push/counters", None, None)
        .await
        .json();
    assert_eq!(
        (c["fired"].as_u64(), c["dropped"].as_u64()),
        (Some(4), Some(4)),
        "{c}"
    );
    assert_eq!(c["attempts"], 0);

    // A delay holds the push back.
    env.send(Method::POST, "/_sim/push/counters/reset", None, None)
        .await;
    env.send(
        Method::PUT,
        "/_sim/push",
        None,
        Some(json!({"delay_ms": 1500})),
    )
    .await;
    let t = create_ticket(&env, &key, "late").await;
    assert!(next(&mut rx, Duration::from_millis(700)).await.is_none());
    assert_eq!(env.sim.control().push_counters().pending, 1);
    let got = next(&mut rx, Duration::from_secs(5))
        .await
        .expect("delayed push");
    let body: Value = serde_json::from_str(&got.1).unwrap();
    assert_eq!(body["ticket_id"], t.to_string());
    assert_eq!(body["status"], "Open");
}
