//! Pieces the push tests share: the account's hook, and a Freshdesk link whose credential is a
//! non-admin agent's (so that no rule is installed and a test sends the pushes itself).

use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use deskbridge_store::LinkedAccountId;
use serde_json::{Value, json};
use uuid::Uuid;

use super::TestApp;
use super::zendesk::Zd;

/// The account's push hook (`X-Account-Token` names the account).
pub const HOOK: &str = "/api/deskbridge/v1/push-hook";

/// A hook created through the API: (hook id, secret, url, whole answer).
pub async fn create_hook(app: &TestApp, token: &str) -> (Uuid, String, String, Value) {
    let (status, body) = app.post(HOOK, Some(token), &json!({})).await;
    assert_eq!(status, 201, "{body}");
    let id: Uuid = body["id"].as_str().expect("id").parse().expect("uuid");
    let secret = body["secret"].as_str().expect("secret").to_string();
    let url = body["url"].as_str().expect("url").to_string();
    (id, secret, url, body)
}

/// Links simulator account `i` with a non-admin agent's key (an admin's link installs the
/// helpdesk's rules, see `push_install.rs`) and waits for its first sync: (token, account).
pub async fn link_agent(app: &TestApp, i: usize) -> (String, LinkedAccountId) {
    let (sub, _) = app.sim_account(i);
    let (agent_key, _) = app.sim.control().issue_agent_key(&sub).expect("agent key");
    let (token, la) = app.link_with(&app.link_body(i, &agent_key)).await;
    assert_eq!(app.wait_synced(la).await, "DONE");
    (token, la)
}

/// The app with both simulators: a Zendesk one and a Freshdesk one of `seed`, each of one
/// account with `tickets` tickets (Freshdesk: `conversations` per ticket).
pub async fn start_both(seed: u64, tickets: usize, conversations: f64) -> (TestApp, Zd) {
    let zd = Zd::start(deskbridge_zendesk_sim::SimConfig {
        tickets,
        accounts: 1,
        ..Default::default()
    })
    .await;
    let fd = deskbridge_freshdesk_sim::SimConfig {
        seed,
        accounts: 1,
        tickets,
        conversations_per_ticket: conversations,
        ..Default::default()
    };
    let app = TestApp::start_with(fd, zd.options(Duration::from_secs(60))).await;
    (app, zd)
}

/// Now as a push's timestamp (RFC 3339, seconds).
pub fn now_ts() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Waits until the ticket served has `name`; panics after 30 s.
pub async fn wait_name(app: &TestApp, token: &str, id: Uuid, name: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (status, body) = app
            .get(&format!("/api/ticketing/v1/tickets/{id}"), Some(token))
            .await;
        if status == 200 && body["name"] == json!(name) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the ticket never showed `{name}`: {status} {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The name the API serves for ticket `id` (which must answer 200).
pub async fn served_name(app: &TestApp, token: &str, id: Uuid) -> Value {
    let (status, body) = app
        .get(&format!("/api/ticketing/v1/tickets/{id}"), Some(token))
        .await;
    assert_eq!(status, 200, "{body}");
    body["name"].clone()
}

/// Pushes queued and not yet fetched.
pub async fn queued(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM push_dirty")
        .fetch_one(&app.db.pool)
        .await
        .expect("queue")
}

/// Waits until the push queue is empty; panics after 30 s.
pub async fn wait_drained(app: &TestApp) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while queued(app).await > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the queue never drained"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The account's sync runs so far.
pub async fn runs(app: &TestApp, la: LinkedAccountId) -> usize {
    app.store
        .recent_runs(app.org, la, 100)
        .await
        .expect("runs")
        .len()
}
