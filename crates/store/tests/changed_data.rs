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
        remote_data: json!([]),
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

#[tokio::test]
async fn writes_queue_added_changed_and_removed_for_listeners_only() {
    let (_db, store, org, la) = setup().await;
    let t = ModelKind::Ticket;
    // Nobody listens: a write queues nothing.
    store
        .upsert_records(
            la,
            t,
            &[rec(la, t, "1", json!({"name": "a"}), 1, false)],
            true,
        )
        .await
        .expect("upsert");
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
    store
        .upsert_records(
            la,
            t,
            &[rec(la, t, "1", json!({"name": "b"}), 2, false)],
            true,
        )
        .await
        .expect("upsert");
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
    store
        .upsert_records(
            la,
            t,
            &[rec(la, t, "1", json!({"name": "c"}), 3, false)],
            true,
        )
        .await
        .expect("upsert");
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
    store
        .upsert_records(
            la,
            t,
            &[
                rec(la, t, "1", json!({"name": "d"}), 4, false),
                rec(la, t, "2", json!({"name": "from shell"}), 5, false),
                rec(la, t, "3", json!({"name": "new"}), 6, false),
                rec(la, t, "4", json!({"name": "gone already"}), 7, true),
            ],
            true,
        )
        .await
        .expect("upsert");
    store
        .upsert_records(
            la,
            t,
            &[rec(la, t, "3", json!({"name": "new"}), 6, false)],
            true,
        )
        .await
        .expect("same content");
    let got = take_events(&store).await;
    assert_eq!(
        names(&got),
        vec![
            ("Ticket.changed".into(), "1".into()),
            ("Ticket.added".into(), "2".into()),
            ("Ticket.added".into(), "3".into()),
        ]
    );
    assert!(got.iter().all(|e| !e.2), "not the initial sync");
    let one = &got[0].3;
    assert_eq!(one["name"], json!("d"));
    assert_eq!(one["id"], json!(record_id(la.as_uuid(), t, "1")));
    assert_eq!(one["remote_was_deleted"], json!(false));
    assert_eq!(one["remote_data"], Value::Null);

    // Deletions by every path: flagged by the upsert, by id, by a complete listing.
    store
        .upsert_records(
            la,
            t,
            &[rec(la, t, "1", json!({"name": "d"}), 8, true)],
            true,
        )
        .await
        .expect("deleted");
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
        vec![
            ("Ticket.removed".into(), "1".into()),
            ("Ticket.removed".into(), "2".into()),
            ("Ticket.removed".into(), "3".into()),
        ]
    );
    assert!(got.iter().all(|e| e.3["remote_was_deleted"] == json!(true)));
    // A deleted record that changes again sends nothing; one that comes back is added.
    store
        .upsert_records(
            la,
            t,
            &[
                rec(la, t, "1", json!({"name": "still gone"}), 9, true),
                rec(la, t, "2", json!({"name": "restored"}), 10, false),
            ],
            true,
        )
        .await
        .expect("upsert");
    assert_eq!(
        names(&take_events(&store).await),
        vec![("Ticket.added".into(), "2".into())]
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
        vec![("Comment.removed".into(), "c1".into())]
    );
}

#[tokio::test]
async fn the_initial_sync_is_queued_only_for_an_endpoint_that_opted_in() {
    let (_db, store, org, la) = setup().await;
    let t = ModelKind::Ticket;
    store
        .create_webhook_endpoint_with(org, "https://h.example/a", &[], None, true, "whsec_x", 50)
        .await
        .expect("endpoint");
    store
        .upsert_records(
            la,
            t,
            &[rec(la, t, "1", json!({"name": "a"}), 1, false)],
            true,
        )
        .await
        .expect("upsert");
    let got = take_events(&store).await;
    assert_eq!(names(&got), vec![("Ticket.added".into(), "1".into())]);
    assert!(got[0].2, "marked as the initial sync's");
    first_sync_done(&store, la).await;
    store
        .upsert_records(
            la,
            t,
            &[rec(la, t, "1", json!({"name": "b"}), 2, false)],
            true,
        )
        .await
        .expect("upsert");
    let got = take_events(&store).await;
    assert_eq!(names(&got), vec![("Ticket.changed".into(), "1".into())]);
    assert!(!got[0].2);
}
