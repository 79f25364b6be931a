//! Writes, idempotency and passthrough on a Zendesk-linked account: a ticket created (and
//! replayed under its Idempotency-Key), updated, commented on, a contact created, each
//! landing in the simulator; passthrough confined to the account's `/api/v2`.

mod common;

use common::TestApp;
use common::zendesk::start_zendesk;
use serde_json::{Value, json};

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: &Value,
    headers: &[(&str, &str)],
) -> (u16, Value) {
    let name = method.as_str().to_string();
    let mut req = app
        .http
        .request(method, format!("{}{path}", app.base))
        .bearer_auth(&app.api_key)
        .header("X-Account-Token", token)
        .json(body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = req.send().await.expect("request");
    common::checked(&name, path, res).await
}

async fn first(app: &TestApp, path: &str, token: &str) -> Value {
    let (status, body) = app.get(&format!("{path}?page_size=5"), Some(token)).await;
    assert_eq!(status, 200, "{body}");
    body["results"][0].clone()
}

fn sim_ticket(data: &Value, remote_id: &str) -> Value {
    data["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .find(|t| t["id"] == json!(remote_id.parse::<i64>().unwrap_or_default()))
        .cloned()
        .expect("the ticket is in the simulator")
}

#[tokio::test]
async fn writes_idempotency_and_passthrough_reach_zendesk() {
    let (app, zd) = start_zendesk(deskbridge_zendesk_sim::SimConfig {
        seed: 61,
        tickets: 20,
        ..Default::default()
    })
    .await;
    let (token, la) = app.link_zendesk(&zd, 0).await;
    assert_eq!(app.wait_synced(la).await, "DONE");
    let post = reqwest::Method::POST;
    let contact = first(&app, "/api/ticketing/v1/contacts", &token).await;
    let agent = first(&app, "/api/ticketing/v1/users", &token).await;

    // Create, replayed under one Idempotency-Key: one ticket in Zendesk.
    let body = json!({"model": {"name": "Printer on fire", "description": "Smoke from tray 2",
        "contact": contact["id"], "assignees": [agent["id"]], "status": "OPEN", "priority": "HIGH"}});
    let key = [("Idempotency-Key", "zd-order-1")];
    let (status, created) = send(
        &app,
        post.clone(),
        "/api/ticketing/v1/tickets",
        &token,
        &body,
        &key,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let (status, again) = send(
        &app,
        post.clone(),
        "/api/ticketing/v1/tickets",
        &token,
        &body,
        &key,
    )
    .await;
    assert_eq!(status, 201, "{again}");
    assert_eq!(again["model"]["id"], created["model"]["id"]);
    let remote = created["model"]["remote_id"]
        .as_str()
        .expect("remote id")
        .to_string();
    let data = zd.data(0).await;
    let t = sim_ticket(&data, &remote);
    assert_eq!(t["subject"], "Printer on fire");
    assert_eq!(t["priority"], "high");
    assert_eq!(
        t["assignee_id"].to_string(),
        agent["remote_id"].as_str().expect("agent")
    );
    let same = data["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .filter(|t| t["subject"] == "Printer on fire")
        .count();
    assert_eq!(same, 1, "the replay created a second ticket");

    // Update: CLOSED is written as solved, never closed.
    let id = created["model"]["id"].as_str().expect("id");
    let (status, updated) = send(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/ticketing/v1/tickets/{id}"),
        &token,
        &json!({"model": {"status": "CLOSED", "priority": "URGENT"}}),
        &[],
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    let t = sim_ticket(&zd.data(0).await, &remote);
    assert_eq!(
        (t["status"].as_str(), t["priority"].as_str()),
        (Some("solved"), Some("urgent"))
    );

    // A comment by the agent, a new contact.
    let (status, comment) = send(&app, post.clone(), "/api/ticketing/v1/comments", &token,
        &json!({"model": {"ticket": id, "user": agent["id"], "body": "On it.", "is_private": false}}), &[]).await;
    assert_eq!(status, 201, "{comment}");
    let comments = &zd.data(0).await["comments"][remote.as_str()];
    assert!(
        comments
            .as_array()
            .expect("comments")
            .iter()
            .any(|c| c["body"] == "On it."),
        "{comments}"
    );
    let (status, made) = send(
        &app,
        post.clone(),
        "/api/ticketing/v1/contacts",
        &token,
        &json!({"model": {"name": "Ada New", "email_address": "ada.new@example.com"}}),
        &[],
    )
    .await;
    assert_eq!(status, 201, "{made}");
    let users = zd.data(0).await["users"].clone();
    assert!(
        users
            .as_array()
            .expect("users")
            .iter()
            .any(|u| u["email"] == "ada.new@example.com" && u["role"] == "end-user")
    );

    // An attachment: `content_url` redirects to the content host; no credentials go there.
    zd.control(0, reqwest::Method::POST, "/counters/reset", &json!({}))
        .await;
    let att = first(&app, "/api/ticketing/v1/attachments", &token).await;
    let id = att["id"].as_str().expect("an attachment");
    let res = app.download(id, &token).await;
    assert_eq!(res.status().as_u16(), 200);
    assert!(!res.bytes().await.expect("bytes").is_empty());
    let counters = zd
        .control(0, reqwest::Method::GET, "/counters", &json!({}))
        .await;
    assert_eq!(counters["credentials_off_host"], json!(0), "{counters}");
    assert!(
        counters["downloads"].as_u64().unwrap_or(0) >= 1,
        "{counters}"
    );

    // Passthrough: the account's API, and nothing outside `/api/v2`.
    let (status, body) = send(
        &app,
        post.clone(),
        "/api/ticketing/v1/passthrough",
        &token,
        &json!({"method": "GET", "path": "/users/me.json"}),
        &[],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["response"]["user"]["role"], "admin", "{body}");
    let (status, body) = send(
        &app,
        post,
        "/api/ticketing/v1/passthrough",
        &token,
        &json!({"method": "GET", "path": "/../../_sim/accounts"}),
        &[],
    )
    .await;
    assert!((400..500).contains(&status), "{status} {body}");
    app.stop().await;
}
