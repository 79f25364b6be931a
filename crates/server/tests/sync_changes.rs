//! Incremental syncs see every change (new, edited, deleted, spammed tickets; new
//! conversations), a `modified_after` pull returns exactly the changed records, and a
//! revoked Freshdesk key moves the account to RELINK_NEEDED.

mod common;

use std::collections::BTreeSet;

use chrono::{SecondsFormat, Utc};
use common::TestApp;
use deskbridge_freshdesk_sim::SimConfig;
use serde_json::{Value, json};

fn remote_ids(rows: &[Value]) -> BTreeSet<String> {
    rows.iter()
        .map(|r| r["remote_id"].as_str().expect("remote_id").to_string())
        .collect()
}

#[tokio::test]
async fn changes_appear_after_the_next_sync_and_deltas_are_exact() {
    let app = TestApp::start(SimConfig {
        seed: 21,
        accounts: 1,
        tickets: 150,
        conversations_per_ticket: 1.5,
        ..SimConfig::default()
    })
    .await;
    let (token, la) = app.link(0).await;
    assert_eq!(app.wait_synced(la).await, "DONE");
    let (sub, _) = app.sim_account(0);
    let c = app.sim.control();
    let snap = c.snapshot(&sub).expect("snapshot");
    let live: Vec<i64> = snap
        .tickets
        .iter()
        .filter(|t| t.get("deleted").is_none() && t["spam"] == json!(false))
        .map(|t| t["id"].as_i64().expect("id"))
        .collect();
    let requester = snap.contacts[0]["id"].as_i64().expect("contact id");
    let cutoff = Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true);

    let created = c
        .create_ticket(&sub, json!({"subject": "Printer on fire", "description": "<p>Help</p>", "requester_id": requester, "status": 2, "priority": 4}))
        .expect("create");
    let new_id = created["id"].to_string();
    let (edited, deleted, spammed, chatty) = (live[3], live[4], live[5], live[6]);
    c.update_ticket(
        &sub,
        edited,
        json!({"subject": "Edited subject", "priority": 3}),
    )
    .expect("update");
    c.delete_ticket(&sub, deleted).expect("delete");
    c.spam_ticket(&sub, spammed).expect("spam");
    let conv = c
        .add_conversation(
            &sub,
            chatty,
            false,
            json!({"body": "<div>A new private note</div>", "private": true}),
        )
        .expect("note");

    assert_eq!(app.resync(&token, la).await, "DONE");

    let tickets = app
        .list_all(
            &format!("/api/ticketing/v1/tickets?include_deleted_data=true&modified_after={cutoff}"),
            &token,
        )
        .await;
    let expected: BTreeSet<String> = [
        new_id.clone(),
        edited.to_string(),
        deleted.to_string(),
        spammed.to_string(),
        chatty.to_string(),
    ]
    .into();
    assert_eq!(
        remote_ids(&tickets),
        expected,
        "the ticket delta is exactly the changed tickets"
    );
    for t in &tickets {
        let rid = t["remote_id"].as_str().expect("rid");
        let gone = rid == deleted.to_string() || rid == spammed.to_string();
        assert_eq!(t["remote_was_deleted"], json!(gone), "{rid}");
        if rid == edited.to_string() {
            assert_eq!(t["name"], json!("Edited subject"));
            assert_eq!(t["priority"], json!("HIGH"));
        }
        if rid == new_id {
            assert_eq!(t["name"], json!("Printer on fire"));
            assert_eq!(t["priority"], json!("URGENT"));
        }
    }
    // Deleted and spammed tickets are hidden unless asked for.
    let visible = app
        .list_all(
            &format!("/api/ticketing/v1/tickets?modified_after={cutoff}"),
            &token,
        )
        .await;
    assert_eq!(visible.len(), 3);

    let comments = app
        .list_all(
            &format!("/api/ticketing/v1/comments?modified_after={cutoff}"),
            &token,
        )
        .await;
    assert_eq!(
        remote_ids(&comments),
        BTreeSet::from([conv["id"].to_string()])
    );
    assert_eq!(comments[0]["is_private"], json!(true));
    assert_eq!(
        comments[0]["html_body"],
        json!("<div>A new private note</div>")
    );

    // Nothing changed since: the next pull is empty.
    let cutoff2 = Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true);
    assert_eq!(app.resync(&token, la).await, "DONE");
    let none = app
        .list_all(
            &format!(
                "/api/ticketing/v1/tickets?include_deleted_data=true&modified_after={cutoff2}"
            ),
            &token,
        )
        .await;
    assert!(
        none.is_empty(),
        "an unchanged sync yields no delta: {none:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_revoked_key_moves_the_account_to_relink_needed() {
    let app = TestApp::start(SimConfig {
        seed: 22,
        accounts: 1,
        tickets: 20,
        ..SimConfig::default()
    })
    .await;
    let (token, la) = app.link(0).await;
    assert_eq!(app.wait_synced(la).await, "DONE");
    let (sub, _) = app.sim_account(0);
    app.sim.control().revoke_key(&sub).expect("revoke");
    assert_eq!(app.resync(&token, la).await, "FAILED");

    let (status, body) = app.get("/api/ticketing/v1/linked-accounts", None).await;
    assert_eq!(status, 200);
    let acct = &body["results"][0];
    assert_eq!(acct["status"], json!("RELINK_NEEDED"));
    assert!(
        acct["status_detail"]
            .as_str()
            .is_some_and(|d| d.contains("API key")),
        "{acct}"
    );
    let (_, st) = app.get("/api/ticketing/v1/sync-status", Some(&token)).await;
    let ticket = st["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|s| s["model_name"] == "Ticket")
        .cloned()
        .expect("ticket");
    assert_eq!(ticket["status"], json!("FAILED"));
    let project = st["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|s| s["model_name"] == "Project")
        .cloned()
        .expect("project");
    assert_eq!(project["status"], json!("DISABLED"));

    // Relinking with the new key brings it back, with the same token.
    let new_key = app.sim.control().rotate_key(&sub).expect("rotate");
    let (status, body) = app
        .post(
            "/api/ticketing/v1/linked-accounts",
            None,
            &app.link_body(0, &new_key),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["account_token"], json!(token));
    assert_eq!(body["linked_account"]["status"], json!("COMPLETE"));
    app.stop().await;
}

#[tokio::test]
async fn id_reconciliation_catches_purged_tickets_and_hard_deleted_contacts() {
    let opts = common::Options {
        reconcile_every: std::time::Duration::ZERO,
        ..Default::default()
    };
    let app = TestApp::start_with(
        SimConfig {
            seed: 23,
            accounts: 1,
            tickets: 60,
            ..SimConfig::default()
        },
        opts,
    )
    .await;
    let (token, la) = app.link(0).await;
    assert_eq!(app.wait_synced(la).await, "DONE");
    let (sub, _) = app.sim_account(0);
    let c = app.sim.control();
    let snap = c.snapshot(&sub).expect("snapshot");
    let ticket = snap
        .tickets
        .iter()
        .find(|t| t.get("deleted").is_none() && t["spam"] == json!(false))
        .expect("ticket")["id"]
        .as_i64()
        .expect("id");
    // Deleted and purged between two syncs: no sweep can see it any more.
    c.delete_ticket(&sub, ticket).expect("delete");
    c.purge_ticket(&sub, ticket).expect("purge");
    // A contact with no tickets, hard-deleted.
    let contact = c
        .create_contact(
            &sub,
            json!({"name": "Short Lived", "email": "short.lived@example.com"}),
        )
        .expect("contact")["id"]
        .as_i64()
        .expect("id");
    assert_eq!(app.resync(&token, la).await, "DONE");
    c.hard_delete_contact(&sub, contact).expect("hard delete");
    assert_eq!(app.resync(&token, la).await, "DONE");

    let cps: Vec<(String, Option<serde_json::Value>)> =
        sqlx::query_as("SELECT stream, checkpoint FROM sync_checkpoints")
            .fetch_all(&app.db.pool)
            .await
            .expect("cp");
    let runs = app.store.recent_runs(app.org, la, 10).await.expect("runs");
    let (_, t) = app
        .get(
            &format!("/api/ticketing/v1/tickets?remote_id={ticket}&include_deleted_data=true"),
            Some(&token),
        )
        .await;
    assert_eq!(
        t["results"][0]["remote_was_deleted"],
        json!(true),
        "{t} {cps:?} {:?}",
        runs.iter()
            .map(|r| (&r.status, &r.counts, &r.error))
            .collect::<Vec<_>>()
    );
    let (_, t) = app
        .get(
            &format!("/api/ticketing/v1/tickets?remote_id={ticket}"),
            Some(&token),
        )
        .await;
    assert_eq!(t["results"], json!([]));
    let (_, ct) = app
        .get(
            &format!("/api/ticketing/v1/contacts?remote_id={contact}&include_deleted_data=true"),
            Some(&token),
        )
        .await;
    assert_eq!(ct["results"][0]["remote_was_deleted"], json!(true), "{ct}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spent_budget_shows_rate_limited_and_the_sync_still_finishes() {
    use deskbridge_freshdesk_sim::Plan;
    // Trial plan: 50 credits a "minute", a minute lasting 3 s (time scale 20).
    let cfg = SimConfig {
        seed: 24,
        accounts: 1,
        tickets: 60,
        conversations_per_ticket: 1.0,
        plan: Some(Plan::Trial),
        time_scale: 20.0,
        ..SimConfig::default()
    };
    let opts = common::Options {
        rate_window: std::time::Duration::from_secs(3),
        ..Default::default()
    };
    let app = TestApp::start_with(cfg, opts).await;
    let (token, la) = app.link(0).await;
    let mut seen_rate_limited = false;
    for _ in 0..600 {
        let (_, st) = app.get("/api/ticketing/v1/sync-status", Some(&token)).await;
        let t = st["results"]
            .as_array()
            .expect("results")
            .iter()
            .find(|s| s["model_name"] == "Ticket")
            .cloned()
            .expect("ticket");
        if t["sync_status_reason"] == json!("RATE_LIMITED") {
            assert_eq!(t["status"], json!("SYNCING"));
            seen_rate_limited = true;
        }
        if t["status"] == json!("DONE") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        seen_rate_limited,
        "sync status showed RATE_LIMITED while the budget was spent"
    );
    assert_eq!(app.wait_synced(la).await, "DONE");
    let runs = app.store.recent_runs(app.org, la, 1).await.expect("runs");
    let (sub, _) = app.sim_account(0);
    let served = app.sim.control().counters(&sub).expect("counters");
    println!(
        "calls {} credits {} 429s met {} (simulator sent {})",
        runs[0].calls, runs[0].credits, runs[0].rate_limited, served.rate_limited
    );
    assert!(runs[0].credits > 50, "the sync needed more than one window");
    app.stop().await;
}
