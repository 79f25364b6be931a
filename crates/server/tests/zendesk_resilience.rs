//! A Zendesk account under crashes, faults, edits during a sync and mutations between
//! syncs: the database always ends equal to a clean sync, or to the simulator's data.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::TestApp;
use common::zendesk::Zd;
use reqwest::Method;
use serde_json::{Value, json};

async fn start(tickets: usize, workers: usize) -> (TestApp, Zd) {
    let zd = Zd::start(deskbridge_zendesk_sim::SimConfig {
        seed: 31,
        tickets,
        comments_per_ticket: 1.5,
        ..Default::default()
    })
    .await;
    let fd = deskbridge_freshdesk_sim::SimConfig {
        tickets: 5,
        ..Default::default()
    };
    let mut opts = zd.options(Duration::from_secs(60));
    opts.workers = workers;
    let app = TestApp::start_with(fd, opts).await;
    (app, zd)
}

async fn link_as(
    app: &TestApp,
    zd: &Zd,
    origin: &str,
) -> (String, deskbridge_store::LinkedAccountId) {
    let mut body = zd.link_body(0);
    body["end_user_origin_id"] = json!(origin);
    let (status, body) = app
        .post("/api/ticketing/v1/linked-accounts", None, &body)
        .await;
    assert!(status == 201 || status == 200, "{status} {body}");
    let token = body["account_token"].as_str().expect("token").to_string();
    let id = body["linked_account"]["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid");
    (token, id)
}

/// Live ticket subjects by remote id, as the simulator holds them.
async fn sim_subjects(zd: &Zd) -> HashMap<String, Value> {
    zd.data(0).await["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .filter(|t| t["status"] != "deleted")
        .map(|t| (t["id"].to_string(), t["subject"].clone()))
        .collect()
}

/// Ticket names by remote id, as the API serves them.
async fn served_subjects(app: &TestApp, token: &str) -> HashMap<String, Value> {
    app.list_all("/api/ticketing/v1/tickets?page_size=100", token)
        .await
        .into_iter()
        .map(|t| {
            (
                t["remote_id"].as_str().unwrap_or_default().to_string(),
                t["name"].clone(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_sync_ends_with_the_clean_database() {
    let (app, zd) = start(1500, 0).await;
    let (_, clean) = link_as(&app, &zd, "clean").await;
    let mut w = app.spawn_worker(1);
    assert_eq!(app.wait_synced(clean).await, "DONE");
    common::kill9(&mut w);

    let (_, la) = link_as(&app, &zd, "crashy").await;
    let mut partial = Vec::new();
    for _ in 0..3 {
        let mut w = app.spawn_worker(1);
        tokio::time::sleep(Duration::from_millis(1200)).await;
        let runs = app.store.recent_runs(app.org, la, 10).await.expect("runs");
        common::kill9(&mut w);
        if runs.iter().any(|r| r.finished_at.is_some()) {
            break;
        }
        let rows: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM comments WHERE linked_account_id = $1 AND NOT is_shell",
        )
        .bind(la)
        .fetch_one(&app.db.pool)
        .await
        .expect("count");
        partial.push(rows);
    }
    println!("comments stored after each kill: {partial:?}");
    assert!(!partial.is_empty(), "no kill landed mid-sync");
    app.finish_killed_sync(la, clean).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faulty_answers_still_give_the_clean_database() {
    let (app, zd) = start(300, 1).await;
    let (_, clean) = link_as(&app, &zd, "clean").await;
    assert_eq!(app.wait_synced(clean).await, "DONE");
    let faults = format!("{}/_sim/faults", zd.handle.base_url);
    let http = reqwest::Client::new();
    let put = |body: Value| http.put(&faults).json(&body).send();
    put(json!({"error_rate": 0.08, "slow_rate": 0.02, "slow_delay_ms": 300, "drop_rate": 0.02}))
        .await
        .expect("faults on");
    zd.control(0, Method::POST, "/counters/reset", &json!({}))
        .await;
    let (_, la) = link_as(&app, &zd, "faulty").await;
    assert_eq!(app.wait_synced(la).await, "DONE");
    let counters = zd.control(0, Method::GET, "/counters", &json!({})).await;
    put(json!({"error_rate": 0.0, "slow_rate": 0.0, "slow_delay_ms": 0, "drop_rate": 0.0}))
        .await
        .expect("faults off");
    println!("counters under faults: {counters}");
    assert!(counters["faults"].as_u64().unwrap_or(0) > 0, "{counters}");
    common::assert_same_records(&app.dump(clean).await, &app.dump(la).await);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_during_a_sync_and_mutations_between_syncs_are_all_seen() {
    let (app, zd) = start(1200, 1).await;
    let (token, la) = app.link_zendesk(&zd, 0).await;
    // Edit tickets while the initial sync runs.
    for id in (1..=1200).step_by(97) {
        let body = json!({"ticket": {"subject": format!("edited during sync {id}")}});
        zd.control(0, Method::PUT, &format!("/tickets/{id}"), &body)
            .await;
    }
    assert_eq!(app.wait_synced(la).await, "DONE");
    assert_eq!(app.resync(&token, la).await, "DONE");
    assert_eq!(
        served_subjects(&app, &token).await,
        sim_subjects(&zd).await,
        "edits missed"
    );

    // Mutations: a new ticket, an update, a deletion; then an incremental sync.
    let made = zd
        .control(
            0,
            Method::POST,
            "/tickets",
            &json!({"ticket": {"subject": "made between syncs", "comment": {"body": "hello"}}}),
        )
        .await;
    zd.control(
        0,
        Method::PUT,
        "/tickets/2",
        &json!({"ticket": {"subject": "updated between syncs"}}),
    )
    .await;
    zd.control(0, Method::DELETE, "/tickets/3", &json!({}))
        .await;
    assert_eq!(app.resync(&token, la).await, "DONE");
    let served = served_subjects(&app, &token).await;
    assert_eq!(
        served,
        sim_subjects(&zd).await,
        "after the incremental sync"
    );
    assert_eq!(served["2"], json!("updated between syncs"));
    assert!(
        !served.contains_key("3"),
        "the deleted ticket is still served"
    );
    let made_id = made["ticket"]["id"].to_string();
    assert_eq!(
        served.get(&made_id),
        Some(&json!("made between syncs")),
        "{made}"
    );
    let (status, body) = app
        .get(
            "/api/ticketing/v1/tickets?remote_id=3&include_deleted_data=true",
            Some(&token),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["results"][0]["remote_was_deleted"],
        json!(true),
        "{body}"
    );
    app.stop().await;
}
