//! Pieces the push tests share: the account's hook, and a Freshdesk link whose credential is a
//! non-admin agent's (so that no rule is installed and a test sends the pushes itself).

use deskbridge_store::LinkedAccountId;
use serde_json::{Value, json};
use uuid::Uuid;

use super::TestApp;

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
    let (status, linked) = app
        .post(
            "/api/ticketing/v1/linked-accounts",
            None,
            &app.link_body(i, &agent_key),
        )
        .await;
    assert!(status == 200 || status == 201, "{status} {linked}");
    let token = linked["account_token"].as_str().expect("token").to_string();
    let la: LinkedAccountId = linked["linked_account"]["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid");
    assert_eq!(app.wait_synced(la).await, "DONE");
    (token, la)
}
