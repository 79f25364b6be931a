//! The walking skeleton end to end: link a simulated Freshdesk, sync it, list its tickets
//! through the Merge-compatible API; and every bad input at linking is a clear 4xx.

mod common;

use std::collections::BTreeSet;

use common::TestApp;
use deskbridge_freshdesk_sim::SimConfig;
use serde_json::{Value, json};

fn sim(tickets: usize) -> SimConfig {
    SimConfig {
        seed: 7,
        accounts: 2,
        tickets,
        conversations_per_ticket: 1.0,
        ..SimConfig::default()
    }
}

/// Live tickets in the simulator (not deleted, not spam).
fn live_ticket_ids(app: &TestApp, sub: &str) -> BTreeSet<String> {
    let snap = app.sim.control().snapshot(sub).expect("snapshot");
    snap.tickets
        .iter()
        .filter(|t| {
            t.get("deleted").and_then(Value::as_bool) != Some(true) && t["spam"] != json!(true)
        })
        .map(|t| t["id"].to_string())
        .collect()
}

async fn linked_accounts(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM linked_accounts")
        .fetch_one(&app.db.pool)
        .await
        .expect("count")
}

/// Linking with body `b` is a 400 whose detail contains `needle`.
async fn link_refused(app: &TestApp, b: &Value, needle: &str) {
    let (status, body) = app.post("/api/ticketing/v1/linked-accounts", None, b).await;
    assert_eq!(status, 400);
    assert!(
        body["detail"].as_str().expect("detail").contains(needle),
        "{body}"
    );
}

#[tokio::test]
async fn link_sync_and_list_every_ticket_across_pages() {
    let app = TestApp::start(sim(250)).await;
    let (token, la) = app.link(0).await;
    assert_eq!(app.wait_synced(la).await, "DONE");

    let (sub, _) = app.sim_account(0);
    let expected = live_ticket_ids(&app, &sub);
    assert!(
        expected.len() > 200,
        "the simulator should hold more than two Freshdesk pages"
    );

    // Pages of 40 (our API) over more than two Freshdesk pages of 100.
    let tickets = app
        .list_all("/api/ticketing/v1/tickets?page_size=40", &token)
        .await;
    let got: BTreeSet<String> = tickets
        .iter()
        .map(|t| t["remote_id"].as_str().expect("remote_id").to_string())
        .collect();
    assert_eq!(got.len(), tickets.len(), "no ticket twice");
    assert_eq!(got, expected, "exactly the simulator's live tickets");

    // Normalised fields, against the simulator's own record.
    let snap = app.sim.control().snapshot(&sub).expect("snapshot");
    let t = tickets
        .iter()
        .find(|t| t["remote_id"] == json!(snap.tickets[0]["id"].to_string()));
    if let Some(t) = t {
        let raw = &snap.tickets[0];
        assert_eq!(t["name"], raw["subject"]);
        assert_eq!(t["description"], raw["description"]);
        assert_eq!(t["ticket_type"], raw["type"]);
        assert_eq!(t["remote_created_at"], raw["created_at"]);
        assert!(
            t["ticket_url"]
                .as_str()
                .expect("url")
                .ends_with(&format!("/a/tickets/{}", raw["id"]))
        );
        assert!(t["id"].as_str().expect("id").parse::<uuid::Uuid>().is_ok());
        assert_eq!(t["remote_data"], Value::Null, "remote_data only on request");
    }

    // `previous` walks back to the first page.
    let (_, first) = app
        .get("/api/ticketing/v1/tickets?page_size=40", Some(&token))
        .await;
    let next = first["next"].as_str().expect("next");
    let (_, second) = app
        .get(
            &format!("/api/ticketing/v1/tickets?page_size=40&cursor={next}"),
            Some(&token),
        )
        .await;
    let prev = second["previous"].as_str().expect("previous");
    let (_, back) = app
        .get(
            &format!("/api/ticketing/v1/tickets?page_size=40&cursor={prev}"),
            Some(&token),
        )
        .await;
    assert_eq!(back["results"], first["results"]);
    assert_eq!(back["previous"], Value::Null);

    // Retrieve one, with remote data.
    let id = first["results"][0]["id"].as_str().expect("id");
    let (status, one) = app
        .get(
            &format!("/api/ticketing/v1/tickets/{id}?include_remote_data=true"),
            Some(&token),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(one["id"], first["results"][0]["id"]);
    assert_eq!(one["remote_data"][0]["path"], json!("/tickets"));

    // A resync that changes nothing moves no modified_at.
    let cutoff = chrono::Utc::now();
    assert_eq!(app.resync(&token, la).await, "DONE");
    let (_, delta) = app
        .get(
            &format!(
                "/api/ticketing/v1/tickets?modified_after={}",
                cutoff.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
            ),
            Some(&token),
        )
        .await;
    assert_eq!(
        delta["results"],
        json!([]),
        "an unchanged resync yields no delta"
    );
    app.stop().await;
}

#[tokio::test]
async fn relinking_the_same_end_user_returns_the_same_token() {
    let app = TestApp::start(sim(20)).await;
    let (_, key) = app.sim_account(0);
    let body = app.link_body(0, &key);
    let (s1, b1) = app
        .post("/api/ticketing/v1/linked-accounts", None, &body)
        .await;
    let (s2, b2) = app
        .post("/api/ticketing/v1/linked-accounts", None, &body)
        .await;
    assert_eq!((s1, s2), (201, 200));
    assert_eq!(b1["account_token"], b2["account_token"]);
    assert_eq!(b1["linked_account"]["id"], b2["linked_account"]["id"]);
    assert_eq!(linked_accounts(&app).await, 1);
    app.stop().await;
}

#[tokio::test]
async fn bad_inputs_at_linking_are_clear_4xx_and_store_nothing() {
    let app = TestApp::start(sim(5)).await;
    let (_, key) = app.sim_account(0);
    let url = format!("{}/api/ticketing/v1/linked-accounts", app.base);

    // Wrong Freshdesk key.
    let (status, body) = app
        .post(
            "/api/ticketing/v1/linked-accounts",
            None,
            &app.link_body(0, "wrong-key-0000000000"),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .expect("detail")
            .contains("rejected the API key"),
        "{body}"
    );

    // Unknown integration.
    let mut b = app.link_body(0, &key);
    b["integration"] = json!("zendesk");
    link_refused(&app, &b, "Unknown integration").await;

    // Missing field.
    let mut b = app.link_body(0, &key);
    b.as_object_mut()
        .expect("object")
        .remove("end_user_origin_id");
    link_refused(&app, &b, "end_user_origin_id").await;

    // Malformed JSON.
    let res = app
        .http
        .post(&url)
        .bearer_auth(&app.api_key)
        .header("content-type", "application/json")
        .body("{\"integration\": ")
        .send()
        .await
        .expect("send");
    assert_eq!(res.status().as_u16(), 400);
    let body: Value = res.json().await.expect("json");
    assert!(
        body["detail"].as_str().expect("detail").contains("JSON"),
        "{body}"
    );

    // A domain outside the allowed hosts (never contacted).
    let mut b = app.link_body(0, &key);
    b["credentials"]["domain"] = json!("http://10.1.2.3:9000");
    link_refused(&app, &b, "not allowed").await;

    // No API key; a wrong API key.
    let res = app
        .http
        .post(&url)
        .json(&app.link_body(0, &key))
        .send()
        .await
        .expect("send");
    assert_eq!(res.status().as_u16(), 401);
    let res = app
        .http
        .post(&url)
        .bearer_auth("dbk_nope")
        .json(&app.link_body(0, &key))
        .send()
        .await
        .expect("send");
    assert_eq!(res.status().as_u16(), 401);

    assert_eq!(linked_accounts(&app).await, 0, "nothing stored");
    let jobs: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs")
        .fetch_one(&app.db.pool)
        .await
        .expect("jobs");
    assert_eq!(jobs, 0);
    app.stop().await;
}

#[tokio::test]
async fn domains_outside_the_allowed_hosts_are_refused() {
    let app = TestApp::start_with(
        sim(5),
        common::Options {
            allow_sim: false,
            ..Default::default()
        },
    )
    .await;
    let (_, key) = app.sim_account(0);
    let (status, body) = app
        .post(
            "/api/ticketing/v1/linked-accounts",
            None,
            &app.link_body(0, &key),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .expect("detail")
            .contains("not allowed")
    );
    assert_eq!(linked_accounts(&app).await, 0);
    app.stop().await;
}

#[tokio::test]
async fn account_endpoints_need_a_valid_account_token_and_bad_queries_are_400() {
    let app = TestApp::start(sim(10)).await;
    let (token, la) = app.link(0).await;
    app.wait_synced(la).await;
    let (status, body) = app.get("/api/ticketing/v1/tickets", None).await;
    assert_eq!(status, 401);
    assert!(
        body["detail"]
            .as_str()
            .expect("detail")
            .contains("X-Account-Token")
    );
    let (status, _) = app
        .get("/api/ticketing/v1/tickets", Some("dbat_wrong"))
        .await;
    assert_eq!(status, 401);
    for q in [
        "page_size=0",
        "page_size=101",
        "page_size=ten",
        "modified_after=yesterday",
        "cursor=notacursor",
        "status=SOMETIMES",
        "priority=MEH",
        "expand=nonsense",
        "include_remote_data=maybe",
        "account_id=not-a-uuid",
    ] {
        let (status, body) = app
            .get(&format!("/api/ticketing/v1/tickets?{q}"), Some(&token))
            .await;
        assert_eq!(status, 400, "{q}: {body}");
        assert!(
            body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{q}: {body}"
        );
    }
    // Unknown parameters are ignored, as Merge does.
    let (status, _) = app
        .get("/api/ticketing/v1/tickets?frobnicate=1", Some(&token))
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .get(
            "/api/ticketing/v1/tickets/00000000-0000-0000-0000-000000000000",
            Some(&token),
        )
        .await;
    assert_eq!(status, 404);
    app.stop().await;
}
