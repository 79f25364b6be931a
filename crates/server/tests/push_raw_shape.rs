//! A pushed ticket and a synced ticket are stored alike: the targeted fetch after a push and
//! the periodic sync read a ticket through different calls (Freshdesk: one view with
//! conversations against the list item, the view and `/conversations`; Zendesk: the ticket
//! and its comments against the incremental export and the comments list), yet each record's
//! raw data must come out in one shape, or the next sync would count every pushed ticket as
//! changed again (moving `modified_at`, queuing a spurious `Ticket.changed`). Against real
//! Postgres and both simulators, in both orders: a push after a sync of an unchanged ticket
//! changes nothing, and a sync after a push of a changed ticket changes nothing more.

mod common;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use common::TestApp;
use common::push::{create_hook, link_agent, now_ts, start_both, wait_drained, wait_name};
use common::zendesk::Zd;
use deskbridge_model::{ModelKind, record_id};
use serde_json::{Value, json};

async fn start() -> (TestApp, Zd) {
    start_both(41, 12, 2.0).await
}

/// An endpoint listening to every event, so that changed-data events are queued (stored
/// directly: its unreachable URL is never delivered to within the test).
async fn listen(app: &TestApp) {
    app.store
        .create_webhook_endpoint(
            app.org,
            "http://127.0.0.1:9/never",
            &[],
            None,
            "whsec_test",
            50,
        )
        .await
        .expect("endpoint")
        .expect("under the cap");
}

/// POSTs a push as the helpdesk would; expects 202.
async fn push(url: &str, headers: &[(&str, String)], body: &str) {
    let mut req = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_string());
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let res = req.send().await.expect("push");
    let status = res.status().as_u16();
    let text = res.text().await.unwrap_or_default();
    assert_eq!(status, 202, "{text}");
}

type Snapshot = BTreeMap<(String, String), (DateTime<Utc>, Value)>;

/// Every ticket, comment and attachment of the account: `modified_at` and raw data.
async fn snapshot(app: &TestApp, la: deskbridge_store::LinkedAccountId) -> Snapshot {
    let mut out = BTreeMap::new();
    for (table, sql) in [
        (
            "tickets",
            "SELECT remote_id, modified_at, remote_data FROM tickets \
             WHERE linked_account_id = $1 AND NOT is_shell",
        ),
        (
            "comments",
            "SELECT remote_id, modified_at, remote_data FROM comments \
             WHERE linked_account_id = $1 AND NOT is_shell",
        ),
        (
            "attachments",
            "SELECT remote_id, modified_at, remote_data FROM attachments \
             WHERE linked_account_id = $1 AND NOT is_shell",
        ),
    ] {
        let rows: Vec<(String, DateTime<Utc>, Option<Value>)> = sqlx::query_as(sql)
            .bind(la)
            .fetch_all(&app.db.pool)
            .await
            .expect("records");
        for (rid, at, raw) in rows {
            out.insert((table.to_string(), rid), (at, raw.unwrap_or(Value::Null)));
        }
    }
    out
}

/// Asserts that no record appeared, vanished or moved its `modified_at`; names the raw
/// data of any that moved.
fn assert_unmoved(before: &Snapshot, after: &Snapshot, what: &str) {
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "{what}: the set of records changed"
    );
    let moved: Vec<String> = before
        .iter()
        .filter(|(k, (at, _))| after[*k].0 != *at)
        .map(|(k, (_, raw))| format!("{k:?}\n  before: {raw}\n  after:  {}", after[k].1))
        .collect();
    assert!(
        moved.is_empty(),
        "{what}: {} record(s) moved:\n{}",
        moved.len(),
        moved.join("\n")
    );
}

/// Changed-data events named `event` queued for the account (still in the outbox or fanned
/// out to the endpoint), with the remote ids of their records.
async fn events(app: &TestApp, la: deskbridge_store::LinkedAccountId, event: &str) -> Vec<String> {
    let mut ids: Vec<String> = sqlx::query_scalar(
        "SELECT data->>'remote_id' FROM webhook_events WHERE linked_account_id = $1 AND event = $2 \
         UNION ALL \
         SELECT body::jsonb->'data'->>'remote_id' FROM webhook_deliveries \
         WHERE linked_account_id = $1 AND event = $2",
    )
    .bind(la)
    .bind(event)
    .fetch_all(&app.db.pool)
    .await
    .expect("events");
    ids.sort();
    ids
}

/// Every changed-data event of the account, by name.
async fn changed_data(
    app: &TestApp,
    la: deskbridge_store::LinkedAccountId,
) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for model in ["Ticket", "Comment", "Attachment", "Tag", "User", "Contact"] {
        for change in ["added", "changed", "removed"] {
            let name = format!("{model}.{change}");
            let got = events(app, la, &name).await;
            if !got.is_empty() {
                out.insert(name, got);
            }
        }
    }
    out
}

#[tokio::test]
async fn a_freshdesk_push_and_the_periodic_sync_store_the_same_raw_shape() {
    let (app, _zd) = start().await;
    let (token, la) = link_agent(&app, 0).await;
    let (sub, _) = app.sim_account(0);
    listen(&app).await;
    let (_, secret, url, created) = create_hook(&app, &token).await;
    let header = created["setup"]["header_name"]
        .as_str()
        .expect("header")
        .to_string();
    let c = app.sim.control();
    let snap = c.snapshot(&sub).expect("snapshot");
    let live: Vec<i64> = snap
        .tickets
        .iter()
        .filter(|t| t.get("deleted").is_none() && t["spam"] == json!(false))
        .filter_map(|t| t["id"].as_i64())
        .collect();
    let headers = [(header.as_str(), secret.clone())];

    // Sync first, then a push of tickets that did not change: nothing moves, nothing queued.
    let synced = snapshot(&app, la).await;
    assert!(
        synced.keys().any(|(t, _)| t == "comments"),
        "the sync stored comments"
    );
    for t in &live[..3] {
        push(&url, &headers, &format!(r#"{{"ticket_id": {t}}}"#)).await;
    }
    wait_drained(&app).await;
    assert_unmoved(&synced, &snapshot(&app, la).await, "a push after a sync");
    assert_eq!(changed_data(&app, la).await, BTreeMap::new());

    // A change upstream (subject and a new note), pushed: one Ticket.changed, one
    // Comment.added; then the periodic sync reads the same ticket and changes nothing more.
    let t = live[0];
    c.update_ticket(&sub, t, json!({"subject": "Pushed then synced"}))
        .expect("update");
    let note = c
        .add_conversation(
            &sub,
            t,
            false,
            json!({"body": "<div>A pushed note</div>", "private": true}),
        )
        .expect("note");
    push(&url, &headers, &format!(r#"{{"ticket_id": {t}}}"#)).await;
    let id = record_id(la.as_uuid(), ModelKind::Ticket, &t.to_string());
    wait_name(&app, &token, id, "Pushed then synced").await;
    wait_drained(&app).await;
    let pushed = snapshot(&app, la).await;
    let queued = changed_data(&app, la).await;
    assert_eq!(
        queued.get("Ticket.changed"),
        Some(&vec![t.to_string()]),
        "{queued:?}"
    );
    assert_eq!(
        queued.get("Comment.added"),
        Some(&vec![note["id"].to_string()]),
        "{queued:?}"
    );
    assert_eq!(app.resync(&token, la).await, "DONE");
    assert_unmoved(&pushed, &snapshot(&app, la).await, "a sync after a push");
    assert_eq!(changed_data(&app, la).await, queued, "the sync queued more");
    app.stop().await;
}

#[tokio::test]
async fn a_zendesk_push_and_the_periodic_sync_store_the_same_raw_shape() {
    let (app, zd) = start().await;
    let (token, la) = app.link_zendesk(&zd, 0).await;
    assert_eq!(app.wait_synced(la).await, "DONE");
    listen(&app).await;
    let (hook, secret, url, created) = create_hook(&app, &token).await;
    // The signing secret an installation would have read from Zendesk.
    let signing = if created["installed"] == json!(true) {
        app.store
            .push_target(hook)
            .await
            .expect("target")
            .expect("hook")
            .signing_secret
            .expect("signing secret")
    } else {
        let s = "zendesk-signing-secret-for-the-test".to_string();
        app.store
            .set_push_installed(
                hook,
                app.org,
                Some(&json!({"webhook": "01H", "trigger": "1"})),
                Some(&s),
                None,
            )
            .await
            .expect("store the signing secret");
        s
    };
    let signed = |body: &str| {
        let ts = now_ts();
        vec![
            (
                "x-zendesk-webhook-signature",
                deskbridge_zendesk::push::sign(&signing, &ts, body.as_bytes()),
            ),
            ("x-zendesk-webhook-signature-timestamp", ts),
            (
                "x-zendesk-webhook-id",
                "01HZZZZZZZZZZZZZZZZZZZZZZZ".to_string(),
            ),
            ("authorization", format!("Bearer {secret}")),
        ]
    };
    let data = zd.data(0).await;
    let live: Vec<i64> = data["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .filter(|t| t["status"] != json!("closed") && t["status"] != json!("deleted"))
        .filter_map(|t| t["id"].as_i64())
        .collect();

    // Sync first, then a push of tickets that did not change.
    let synced = snapshot(&app, la).await;
    assert!(
        synced.keys().any(|(t, _)| t == "comments"),
        "the sync stored comments"
    );
    for (i, t) in live[..3].iter().enumerate() {
        let body = format!(r#"{{"ticket_id": "{t}", "n": {i}}}"#);
        push(&url, &signed(&body), &body).await;
    }
    wait_drained(&app).await;
    assert_unmoved(&synced, &snapshot(&app, la).await, "a push after a sync");
    assert_eq!(changed_data(&app, la).await, BTreeMap::new());

    // A change upstream with a new comment, pushed, then the periodic sync.
    let t = live[0];
    zd.control(
        0,
        reqwest::Method::PUT,
        &format!("/tickets/{t}"),
        &json!({"ticket": {"subject": "Pushed then synced", "comment": {"body": "A pushed comment"}}}),
    )
    .await;
    let body = format!(r#"{{"ticket_id": "{t}", "event": "ticket.updated"}}"#);
    push(&url, &signed(&body), &body).await;
    let id = record_id(la.as_uuid(), ModelKind::Ticket, &t.to_string());
    wait_name(&app, &token, id, "Pushed then synced").await;
    wait_drained(&app).await;
    let pushed = snapshot(&app, la).await;
    let queued = changed_data(&app, la).await;
    assert_eq!(
        queued.get("Ticket.changed"),
        Some(&vec![t.to_string()]),
        "{queued:?}"
    );
    assert_eq!(
        queued.get("Comment.added").map(Vec::len),
        Some(1),
        "{queued:?}"
    );
    assert_eq!(app.resync(&token, la).await, "DONE");
    assert_unmoved(&pushed, &snapshot(&app, la).await, "a sync after a push");
    assert_eq!(changed_data(&app, la).await, queued, "the sync queued more");
    app.stop().await;
}
