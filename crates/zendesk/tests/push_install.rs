//! Installing and removing the push in a Zendesk account: the webhook, its signing secret
//! and the trigger are requested in Zendesk's documented shapes (reference §6), against a
//! small local receiver that answers as Zendesk does; a refused trigger leaves no webhook
//! behind.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri};
use axum::response::IntoResponse;
use deskbridge_provider::TicketingProvider;
use deskbridge_zendesk::{ZendeskConfig, ZendeskProvider};
use serde_json::{Value, json};
use uuid::Uuid;

#[derive(Clone, Default)]
struct Receiver {
    seen: Arc<Mutex<Vec<(String, String, Value)>>>,
    refuse_trigger: bool,
}

async fn answer(
    State(r): State<Receiver>,
    method: Method,
    uri: Uri,
    body: Bytes,
) -> impl IntoResponse {
    let path = uri.path().trim_start_matches("/d/acme/api/v2/").to_string();
    let parsed = serde_json::from_slice(&body).unwrap_or(Value::Null);
    r.seen
        .lock()
        .expect("lock")
        .push((method.to_string(), path.clone(), parsed));
    let json = |s: StatusCode, v: Value| (s, [("content-type", "application/json")], v.to_string());
    match (method.as_str(), path.as_str()) {
        ("POST", "webhooks") => json(
            StatusCode::CREATED,
            json!({"webhook": {"id": "01HWEBHOOK0000000000000000", "status": "active"}}),
        ),
        ("GET", "webhooks/01HWEBHOOK0000000000000000/signing_secret") => json(
            StatusCode::OK,
            json!({"signing_secret": {"secret": "zd-signing-secret", "algorithm": "SHA256"}}),
        ),
        ("POST", "triggers") if r.refuse_trigger => json(
            StatusCode::FORBIDDEN,
            json!({"error": "Forbidden", "description": "You do not have access to this page."}),
        ),
        ("POST", "triggers") => json(StatusCode::CREATED, json!({"trigger": {"id": 360001}})),
        ("DELETE", _) => (
            StatusCode::NO_CONTENT,
            [("content-type", "application/json")],
            String::new(),
        ),
        _ => json(StatusCode::NOT_FOUND, json!({"error": "InvalidEndpoint"})),
    }
}

async fn start(refuse_trigger: bool) -> (Receiver, ZendeskProvider) {
    deskbridge_zendesk::install_crypto_provider();
    let r = Receiver {
        refuse_trigger,
        ..Receiver::default()
    };
    let app = Router::new().fallback(answer).with_state(r.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let origin = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    let creds = json!({"subdomain": format!("{origin}/d/acme"), "email": "admin@acme.example", "api_token": "t0ken"});
    let mut c = ZendeskConfig::from_credentials_json(Uuid::from_u128(7), &creds.to_string())
        .expect("creds");
    c.allowed_hosts = vec![origin];
    c.request_timeout = Duration::from_secs(10);
    (r, ZendeskProvider::new(c).expect("provider"))
}

#[tokio::test]
async fn install_creates_the_webhook_and_trigger_and_remove_deletes_them() {
    let (r, p) = start(false).await;
    let url = "https://deskbridge.example/api/deskbridge/v1/inbound/zendesk/abc";
    let done = p
        .install_push(url, "dbpush_secret")
        .await
        .expect("install")
        .expect("installed");
    assert_eq!(done.signing_secret.as_deref(), Some("zd-signing-secret"));
    assert_eq!(
        done.remote_ids,
        json!({"webhook": "01HWEBHOOK0000000000000000", "trigger": "360001"})
    );
    let seen = r.seen.lock().expect("lock").clone();
    let calls: Vec<(&str, &str)> = seen
        .iter()
        .map(|(m, p, _)| (m.as_str(), p.as_str()))
        .collect();
    assert_eq!(
        calls,
        [
            ("POST", "webhooks"),
            ("GET", "webhooks/01HWEBHOOK0000000000000000/signing_secret"),
            ("POST", "triggers"),
        ]
    );
    let webhook = &seen[0].2["webhook"];
    assert_eq!(webhook["endpoint"], json!(url));
    assert_eq!(webhook["http_method"], json!("POST"));
    assert_eq!(webhook["request_format"], json!("json"));
    assert_eq!(
        webhook["subscriptions"],
        json!(["conditional_ticket_events"])
    );
    assert_eq!(webhook["authentication"]["type"], json!("bearer_token"));
    assert_eq!(
        webhook["authentication"]["data"]["token"],
        json!("dbpush_secret")
    );
    let trigger = &seen[2].2["trigger"];
    let action = &trigger["actions"][0];
    assert_eq!(action["field"], json!("notification_webhook"));
    assert_eq!(action["value"][0], json!("01HWEBHOOK0000000000000000"));
    let template: Value = serde_json::from_str(action["value"][1].as_str().expect("template"))
        .expect("json template");
    assert_eq!(template["ticket_id"], json!("{{ticket.id}}"));
    let any: Vec<&Value> = trigger["conditions"]["any"]
        .as_array()
        .expect("any")
        .iter()
        .collect();
    assert!(any.iter().any(|c| c["value"] == json!("Create")));
    assert!(any.iter().any(|c| c["value"] == json!("Change")));

    r.seen.lock().expect("lock").clear();
    p.remove_push(&done.remote_ids).await.expect("remove");
    let seen = r.seen.lock().expect("lock").clone();
    let calls: Vec<(&str, &str)> = seen
        .iter()
        .map(|(m, p, _)| (m.as_str(), p.as_str()))
        .collect();
    assert_eq!(
        calls,
        [
            ("DELETE", "triggers/360001"),
            ("DELETE", "webhooks/01HWEBHOOK0000000000000000")
        ]
    );
}

#[tokio::test]
async fn a_refused_trigger_leaves_no_webhook_behind() {
    let (r, p) = start(true).await;
    let err = p
        .install_push("https://deskbridge.example/x", "dbpush_secret")
        .await
        .expect_err("refused");
    assert!(
        matches!(err, deskbridge_provider::ProviderError::Forbidden(_)),
        "{err:?}"
    );
    let seen = r.seen.lock().expect("lock").clone();
    let last = seen.last().expect("calls");
    assert_eq!(
        (last.0.as_str(), last.1.as_str()),
        ("DELETE", "webhooks/01HWEBHOOK0000000000000000")
    );
}
