//! Changed-data events queued by the record writes: which change each write reports, that
//! nothing is queued when no endpoint listens, and the initial sync's opt-in.

use deskbridge_model::{ModelKind, record_id};
use deskbridge_store::accounts::NewLink;
use deskbridge_store::records::RecordInput;
use deskbridge_store::sync_state::RunTotals;
use deskbridge_store::{Cipher, MasterKey, Store};
use deskbridge_store::{LinkedAccountId, OrgId};
use deskbridge_testkit::TestDb;
use serde_json::{Value, json};

async fn setup() -> (TestDb, Store, OrgId, LinkedAccountId) {
    let db = TestDb::new().await;
    let store = Store::new(db.pool.clone(), Cipher::new(MasterKey::generate()));
    let org = store.ensure_organization("o").await.expect("org");
    let linked = store
        .link_account(
            org.id,
            &NewLink {
                integration: "helpdesk".into(),
                end_user_origin_id: "c1".into(),
                end_user_organization_name: "C".into(),
                end_user_email_address: "c@example.com".into(),
                subdomain: "acme".into(),
                credentials_json: r#"{"api_key":"SECRET-KEY-123"}"#.into(),
                base_url: None,
                queue_sync: false,
            },
        )
        .await
        .expect("link");
    (db, store, org.id, linked.account.id)
}

fn rec(
    la: LinkedAccountId,
    kind: ModelKind,
    rid: &str,
    fields: Value,
    hash: u8,
    deleted: bool,
) -> RecordInput {
    RecordInput {
        id: record_id(la.as_uuid(), kind, rid),
        remote_id: rid.into(),
        fields,
        remote_data: serde_json::value::to_raw_value(&json!([])).expect("JSON"),
        content_hash: vec![hash],
        remote_was_deleted: deleted,
    }
}

/// The account's first sync completes: later writes are no longer the initial load.
async fn first_sync_done(store: &Store, la: LinkedAccountId) {
    let run = store.start_run(la).await.expect("run");
    let totals = RunTotals {
        status: "DONE".into(),
        counts: json!({}),
        calls: 0,
        credits: 0,
        rate_limited: 0,
        error: None,
    };
    store.finish_run(la, run.id, &totals).await.expect("finish");
}

/// The changed-data events queued so far (removed from the outbox), oldest first:
/// `(event, remote_id, from_initial_sync, data)`.
async fn take_events(store: &Store) -> Vec<(String, String, bool, Value)> {
    let rows: Vec<(String, Value, bool)> = sqlx::query_as(
        "DELETE FROM webhook_events WHERE event LIKE '%.added' OR event LIKE '%.changed'
            OR event LIKE '%.removed'
         RETURNING event, data, from_initial_sync",
    )
    .fetch_all(&store.pool)
    .await
    .expect("events");
    let mut out: Vec<(String, String, bool, Value)> = rows
        .into_iter()
        .map(|(e, d, i)| (e, d["remote_id"].as_str().unwrap_or("").to_string(), i, d))
        .collect();
    out.sort_by_key(|e| (e.1.clone(), e.0.clone()));
    out
}

fn names(events: &[(String, String, bool, Value)]) -> Vec<(String, String)> {
    events.iter().map(|e| (e.0.clone(), e.1.clone())).collect()
}

/// Upserts tickets `(remote_id, name, content hash, deleted)` as a sync does (children
/// marked); `what` names the step when it fails.
async fn upsert_tickets(
    store: &Store,
    la: LinkedAccountId,
    rows: &[(&str, &str, u8, bool)],
    what: &str,
) {
    let t = ModelKind::Ticket;
    let rows: Vec<RecordInput> = rows
        .iter()
        .map(|&(rid, name, hash, deleted)| rec(la, t, rid, json!({ "name": name }), hash, deleted))
        .collect();
    store.upsert_records(la, t, &rows, true).await.expect(what);
}

/// `(event, remote_id)` pairs as [`names`] gives them.
fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(e, r)| (e.to_string(), r.to_string()))
        .collect()
}

#[tokio::test]
async fn writes_queue_added_changed_and_removed_for_listeners_only() {
    let (_db, store, org, la) = setup().await;
    let t = ModelKind::Ticket;
    // Nobody listens: a write queues nothing.
    upsert_tickets(&store, la, &[("1", "a", 1, false)], "upsert").await;
    assert!(take_events(&store).await.is_empty());

    // An endpoint for the linked-account events only: still nothing.
    store
        .create_webhook_endpoint(
            org,
            "https://h.example/a",
            &["LinkedAccount.linked".into()],
            None,
            "whsec_x",
            50,
        )
        .await
        .expect("endpoint");
    upsert_tickets(&store, la, &[("1", "b", 2, false)], "upsert").await;
    assert!(take_events(&store).await.is_empty());

    // An endpoint for the ticket events, without the initial sync: the account has not
    // completed a sync, so nothing yet.
    let events: Vec<String> = [
        "Ticket.added",
        "Ticket.changed",
        "Ticket.removed",
        "Comment.removed",
    ]
    .map(String::from)
    .to_vec();
    store
        .create_webhook_endpoint(org, "https://h.example/b", &events, None, "whsec_y", 50)
        .await
        .expect("endpoint");
    upsert_tickets(&store, la, &[("1", "c", 3, false)], "upsert").await;
    assert!(
        take_events(&store).await.is_empty(),
        "initial load: not queued"
    );

    first_sync_done(&store, la).await;
    // A shell that becomes a record, a new record, a changed one, an unchanged one, one first
    // seen deleted: added, added, changed, nothing, nothing.
    store
        .ensure_shells(la, t, &[(record_id(la.as_uuid(), t, "2"), "2".into())])
        .await
        .expect("shell");
    upsert_tickets(
        &store,
        la,
        &[
            ("1", "d", 4, false),
            ("2", "from shell", 5, false),
            ("3", "new", 6, false),
            ("4", "gone already", 7, true),
        ],
        "upsert",
    )
    .await;
    upsert_tickets(&store, la, &[("3", "new", 6, false)], "same content").await;
    let got = take_events(&store).await;
    assert_eq!(
        names(&got),
        pairs(&[
            ("Ticket.changed", "1"),
            ("Ticket.added", "2"),
            ("Ticket.added", "3")
        ])
    );
    assert!(got.iter().all(|e| !e.2), "not the initial sync");
    let one = &got[0].3;
    assert_eq!(one["name"], json!("d"));
    assert_eq!(one["id"], json!(record_id(la.as_uuid(), t, "1")));
    assert_eq!(one["remote_was_deleted"], json!(false));
    assert_eq!(one["remote_data"], Value::Null);

    // Deletions by every path: flagged by the upsert, by id, by a complete listing.
    upsert_tickets(&store, la, &[("1", "d", 8, true)], "deleted").await;
    assert_eq!(
        store
            .mark_deleted(la, t, &["2".into()])
            .await
            .expect("mark"),
        1
    );
    assert_eq!(
        store
            .mark_missing_deleted(la, t, &["1".into(), "2".into()])
            .await
            .expect("missing"),
        1
    );
    let got = take_events(&store).await;
    assert_eq!(
        names(&got),
        pairs(&[
            ("Ticket.removed", "1"),
            ("Ticket.removed", "2"),
            ("Ticket.removed", "3")
        ])
    );
    assert!(got.iter().all(|e| e.3["remote_was_deleted"] == json!(true)));
    // A deleted record that changes again sends nothing; one that comes back is added.
    upsert_tickets(
        &store,
        la,
        &[("1", "still gone", 9, true), ("2", "restored", 10, false)],
        "upsert",
    )
    .await;
    assert_eq!(
        names(&take_events(&store).await),
        pairs(&[("Ticket.added", "2")])
    );

    // Children missing from their ticket's complete listing: Comment.removed; Comment.added
    // is not subscribed.
    let c = ModelKind::Comment;
    let parent = record_id(la.as_uuid(), t, "3").to_string();
    store
        .upsert_records(
            la,
            c,
            &[rec(la, c, "c1", json!({"ticket": parent}), 1, false)],
            false,
        )
        .await
        .expect("comment");
    assert!(
        take_events(&store).await.is_empty(),
        "Comment.added is not subscribed"
    );
    let n = store
        .mark_missing_children(la, c, "ticket", &[record_id(la.as_uuid(), t, "3")], &[])
        .await
        .expect("children");
    assert_eq!(n, 1);
    assert_eq!(
        names(&take_events(&store).await),
        pairs(&[("Comment.removed", "c1")])
    );
}

#[tokio::test]
async fn the_initial_sync_is_queued_only_for_an_endpoint_that_opted_in() {
    let (_db, store, org, la) = setup().await;
    store
        .create_webhook_endpoint_with(org, "https://h.example/a", &[], None, true, "whsec_x", 50)
        .await
        .expect("endpoint");
    upsert_tickets(&store, la, &[("1", "a", 1, false)], "upsert").await;
    let got = take_events(&store).await;
    assert_eq!(names(&got), pairs(&[("Ticket.added", "1")]));
    assert!(got[0].2, "marked as the initial sync's");
    first_sync_done(&store, la).await;
    upsert_tickets(&store, la, &[("1", "b", 2, false)], "upsert").await;
    let got = take_events(&store).await;
    assert_eq!(names(&got), pairs(&[("Ticket.changed", "1")]));
    assert!(!got[0].2);
}
