//! Relinking an account to a different helpdesk never mixes two helpdesks (issue 13, point
//! 3): the old helpdesk's records, checkpoints and metadata go in the relink's transaction, a
//! fresh initial sync brings the new one's, and webhook subscribers are told.

mod common;

use std::collections::BTreeMap;

use common::TestApp;
use deskbridge_freshdesk_sim::SimConfig;
use serde_json::{Value, json};

/// The body linking end user `cust-1` to simulator account `i`, addressed by its own path
/// (`/d/{subdomain}`), so that each simulated helpdesk has its own base URL as real ones do.
fn body_for(app: &TestApp, i: usize) -> Value {
    let (sub, key) = app.sim_account(i);
    json!({
        "integration": "freshdesk",
        "end_user_origin_id": "cust-1",
        "end_user_organization_name": "Customer",
        "end_user_email_address": "it@customer.example",
        "credentials": {"domain": format!("{}/d/{sub}", app.sim_handle.base_url), "api_key": key},
    })
}

async fn link_to(app: &TestApp, i: usize) -> (u16, String, deskbridge_store::LinkedAccountId) {
    let (status, body) = app
        .post("/api/ticketing/v1/linked-accounts", None, &body_for(app, i))
        .await;
    assert!(status == 201 || status == 200, "{status} {body}");
    let token = body["account_token"].as_str().expect("token").to_string();
    let id = body["linked_account"]["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid");
    (status, token, id)
}

/// Simulator account `i`'s tickets and contacts: remote id → subject or name.
fn sim_records(app: &TestApp, i: usize) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let (sub, _) = app.sim_account(i);
    let snap = app.sim.control().snapshot(&sub).expect("snapshot");
    let by = |list: Vec<Value>, field: &str| {
        list.into_iter()
            .filter(|v| v["spam"] != json!(true) && v["deleted"] != json!(true))
            .map(|v| {
                (
                    v["id"].as_i64().expect("id").to_string(),
                    v[field].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect::<BTreeMap<_, _>>()
    };
    (by(snap.tickets, "subject"), by(snap.contacts, "name"))
}

/// What the API serves: remote id → name, for every live record of a list endpoint.
/// Panics with the differences when two maps differ.
fn same(got: &BTreeMap<String, String>, want: &BTreeMap<String, String>, what: &str) {
    let extra: Vec<_> = got
        .iter()
        .filter(|(k, v)| want.get(*k) != Some(*v))
        .collect();
    let missing: Vec<_> = want
        .iter()
        .filter(|(k, v)| got.get(*k) != Some(*v))
        .collect();
    assert!(
        extra.is_empty() && missing.is_empty(),
        "{what}: served but not the helpdesk's: {extra:?}; the helpdesk's but not served: {missing:?}"
    );
}

async fn served(app: &TestApp, path: &str, token: &str) -> BTreeMap<String, String> {
    app.list_all(path, token)
        .await
        .into_iter()
        .map(|v| {
            (
                v["remote_id"].as_str().expect("remote id").to_string(),
                v["name"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn relinking_to_another_helpdesk_serves_only_the_new_helpdesks_records() {
    let app = TestApp::start(SimConfig {
        seed: 63,
        accounts: 2,
        tickets: 30,
        conversations_per_ticket: 1.0,
        ..SimConfig::default()
    })
    .await;
    // Someone listens for linked-account events.
    let (status, body) = app
        .post(
            "/api/deskbridge/v1/webhook-endpoints",
            None,
            &json!({"url": "https://hooks.example.com/deskbridge", "description": "listener"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");

    let (status, token, la) = link_to(&app, 0).await;
    assert_eq!(status, 201);
    assert_eq!(app.wait_synced(la).await, "DONE");
    let (old_tickets, _) = sim_records(&app, 0);
    same(
        &served(&app, "/api/ticketing/v1/tickets", &token).await,
        &old_tickets,
        "first link",
    );
    // The old helpdesk moves on: its bookmark is now later than every ticket of the new one.
    let (sub0, _) = app.sim_account(0);
    app.sim
        .control()
        .update_ticket(&sub0, 1, json!({"priority": 4}))
        .expect("update");
    assert_eq!(app.resync(&token, la).await, "DONE");

    let (status, token2, la2) = link_to(&app, 1).await;
    assert_eq!((status, la2, token2.as_str()), (200, la, token.as_str()));
    // The old helpdesk's runs went with its records: one run, an initial one.
    assert_eq!(app.wait_runs(la, 1).await, "DONE");
    let runs = app.store.recent_runs(app.org, la, 100).await.expect("runs");
    assert_eq!(runs.len(), 1);
    assert!(runs[0].is_initial);

    let (new_tickets, new_contacts) = sim_records(&app, 1);
    same(
        &served(&app, "/api/ticketing/v1/tickets", &token).await,
        &new_tickets,
        "tickets after the relink",
    );
    same(
        &served(&app, "/api/ticketing/v1/contacts", &token).await,
        &new_contacts,
        "contacts after the relink",
    );
    let (status, run) = app.get("/api/ticketing/v1/sync-status", Some(&token)).await;
    assert_eq!(status, 200, "{run}");

    let events: Vec<(String, Value)> = sqlx::query_as(
        "SELECT event, data FROM webhook_events WHERE linked_account_id = $1
         UNION ALL
         SELECT event, (body::jsonb)->'data' FROM webhook_deliveries WHERE linked_account_id = $1",
    )
    .bind(la)
    .fetch_all(&app.db.pool)
    .await
    .expect("events");
    let changed: Vec<&Value> = events
        .iter()
        .filter(|(e, _)| e == "LinkedAccount.helpdesk_changed")
        .map(|(_, d)| d)
        .collect();
    assert_eq!(changed.len(), 1, "{events:?}");
    assert_eq!(changed[0]["previous_records_deleted"], json!(true));
    app.stop().await;
}

#[tokio::test]
async fn a_sync_of_the_old_helpdesk_running_during_the_relink_leaves_nothing_behind() {
    let app = TestApp::start(SimConfig {
        seed: 68,
        accounts: 2,
        tickets: 150,
        conversations_per_ticket: 2.0,
        ..SimConfig::default()
    })
    .await;
    // Every Freshdesk answer takes 300 ms: the first helpdesk's initial sync is slow.
    app.sim
        .control()
        .set_faults(deskbridge_freshdesk_sim::FaultConfig {
            slow_rate: 1.0,
            slow_delay: std::time::Duration::from_millis(300),
            ..Default::default()
        });
    let (_, token, la) = link_to(&app, 0).await;
    // Wait until that sync has written some tickets, then relink to the second helpdesk.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let n: i64 =
            sqlx::query_scalar("SELECT count(*) FROM tickets WHERE linked_account_id = $1")
                .bind(la)
                .fetch_one(&app.db.pool)
                .await
                .expect("count");
        if n > 0 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the sync started");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let (status, _, _) = link_to(&app, 1).await;
    assert_eq!(status, 200);
    app.sim
        .control()
        .set_faults(deskbridge_freshdesk_sim::FaultConfig::default());
    // Wait for the new helpdesk's sync to finish.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let runs = app.store.recent_runs(app.org, la, 10).await.expect("runs");
        let idle = app.store.active_jobs(la).await.expect("jobs") == 0;
        if idle && runs.iter().any(|r| r.status == "DONE") {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the new sync ended");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let (new_tickets, new_contacts) = sim_records(&app, 1);
    same(
        &served(&app, "/api/ticketing/v1/tickets", &token).await,
        &new_tickets,
        "tickets after a relink during a sync",
    );
    same(
        &served(&app, "/api/ticketing/v1/contacts", &token).await,
        &new_contacts,
        "contacts after a relink during a sync",
    );
    app.stop().await;
}
