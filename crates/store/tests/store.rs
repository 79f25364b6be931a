//! Store behaviour against real Postgres: exact upserts, shells, tenancy, jobs.

use std::time::Duration;

use deskbridge_model::{ModelKind, record_id};
use deskbridge_store::accounts::NewLink;
use deskbridge_store::records::{ListQuery, RecordInput};
use deskbridge_store::{Cipher, LinkedAccountId, MasterKey, OrgId, Store};
use deskbridge_testkit::TestDb;
use serde_json::json;

async fn setup() -> (TestDb, Store, OrgId, LinkedAccountId) {
    let db = TestDb::new().await;
    let store = Store::new(db.pool.clone(), Cipher::new(MasterKey::generate()));
    let org = store.ensure_organization("o").await.expect("org");
    let linked = store
        .link_account(
            org.id,
            &NewLink {
                integration: "freshdesk".into(),
                end_user_origin_id: "c1".into(),
                end_user_organization_name: "C".into(),
                end_user_email_address: "c@example.com".into(),
                subdomain: "acme".into(),
                credentials_json: r#"{"domain":"acme","api_key":"SECRET-KEY-123"}"#.into(),
                base_url: None,
                queue_sync: false,
            },
        )
        .await
        .expect("link");
    (db, store, org.id, linked.account.id)
}

fn rec(la: LinkedAccountId, rid: &str, name: &str, hash: u8) -> RecordInput {
    RecordInput {
        id: record_id(la.as_uuid(), ModelKind::Ticket, rid),
        remote_id: rid.into(),
        fields: json!({"name": name}),
        remote_data: serde_json::value::to_raw_value(
            &json!([{"path": "/tickets", "data": {"id": rid}}]),
        )
        .expect("JSON"),
        content_hash: vec![hash],
        remote_was_deleted: false,
    }
}

#[tokio::test]
async fn upserts_change_modified_at_only_on_real_change() {
    let (_db, store, org, la) = setup().await;
    let out = store
        .upsert_records(
            la,
            ModelKind::Ticket,
            &[rec(la, "1", "a", 1), rec(la, "2", "b", 2)],
            true,
        )
        .await
        .expect("upsert");
    assert_eq!(out.created.len(), 2);
    let q = ListQuery {
        limit: 10,
        ..ListQuery::default()
    };
    let before = store
        .list_records(org, la, ModelKind::Ticket, &q)
        .await
        .expect("list");
    tokio::time::sleep(Duration::from_millis(20)).await;
    let out = store
        .upsert_records(
            la,
            ModelKind::Ticket,
            &[rec(la, "1", "a", 1), rec(la, "2", "b2", 3)],
            true,
        )
        .await
        .expect("upsert");
    assert!(out.created.is_empty());
    assert_eq!(out.updated, vec!["2".to_string()]);
    let after = store
        .list_records(org, la, ModelKind::Ticket, &q)
        .await
        .expect("list");
    assert_eq!(after.len(), 2, "no duplicates");
    assert_eq!(
        before[0].modified_at, after[0].modified_at,
        "unchanged record keeps modified_at"
    );
    assert!(after[1].modified_at > before[1].modified_at);
    assert_eq!(before[1].created_at, after[1].created_at);
}

#[tokio::test]
async fn shells_are_hidden_until_synced_and_tenancy_holds() {
    let (_db, store, org, la) = setup().await;
    let cid = record_id(la.as_uuid(), ModelKind::Contact, "77");
    store
        .ensure_shells(la, ModelKind::Contact, &[(cid, "77".into())])
        .await
        .expect("shell");
    let q = ListQuery {
        limit: 10,
        ..ListQuery::default()
    };
    assert!(
        store
            .list_records(org, la, ModelKind::Contact, &q)
            .await
            .expect("list")
            .is_empty()
    );
    let q2 = ListQuery {
        limit: 10,
        include_shell: true,
        ..ListQuery::default()
    };
    assert_eq!(
        store
            .list_records(org, la, ModelKind::Contact, &q2)
            .await
            .expect("list")
            .len(),
        1
    );
    let other = store.ensure_organization("other").await.expect("org");
    assert!(
        store
            .list_records(other.id, la, ModelKind::Contact, &q2)
            .await
            .expect("list")
            .is_empty()
    );
    assert!(
        store
            .records_by_ids(other.id, la, ModelKind::Contact, &[cid], false)
            .await
            .expect("get")
            .is_empty()
    );
}

#[tokio::test]
async fn credentials_are_encrypted_and_jobs_claimed_once() {
    let (db, store, _org, la) = setup().await;
    let raw: Vec<u8> = sqlx::query_scalar("SELECT credentials FROM linked_accounts")
        .fetch_one(&db.pool)
        .await
        .expect("row");
    assert!(!String::from_utf8_lossy(&raw).contains("SECRET-KEY-123"));
    assert!(
        store
            .account_credentials(la)
            .await
            .expect("creds")
            .contains("SECRET-KEY-123")
    );

    assert!(
        store
            .enqueue_job(la, "sync", chrono::Utc::now())
            .await
            .expect("enqueue")
    );
    store
        .enqueue_job(la, "sync", chrono::Utc::now())
        .await
        .expect("enqueue twice");
    let a = store
        .claim_job("w1", Duration::from_secs(30))
        .await
        .expect("claim");
    let b = store
        .claim_job("w2", Duration::from_secs(30))
        .await
        .expect("claim");
    assert!(a.is_some());
    assert!(b.is_none(), "one queued job, claimed once");
    // A job whose worker died (lease expired) is claimed again.
    let job = a.expect("job");
    sqlx::query("UPDATE jobs SET locked_until = now() - interval '1 second'")
        .execute(&db.pool)
        .await
        .expect("expire");
    let again = store
        .claim_job("w2", Duration::from_secs(30))
        .await
        .expect("claim")
        .expect("reclaimed");
    assert_eq!(again.id, job.id);
    assert!(
        !store
            .heartbeat_job(job.id, "w1", Duration::from_secs(30))
            .await
            .expect("beat"),
        "w1 lost it"
    );
}

/// The sync fetches a round's children while later pages are written: a ticket queued again
/// meanwhile (it changed) must stay queued when the round is done, and the round in flight is
/// left out of the next read.
#[tokio::test]
async fn a_ticket_queued_again_during_its_round_stays_queued() {
    let (_db, store, _org, la) = setup().await;
    let t = ModelKind::Ticket;
    store
        .upsert_records(la, t, &[rec(la, "1", "a", 1), rec(la, "2", "b", 2)], true)
        .await
        .expect("upsert");
    let round = store
        .tickets_needing_children(la, &[], 10)
        .await
        .expect("due");
    let ids: Vec<&str> = round.iter().map(|d| d.remote_id.as_str()).collect();
    assert_eq!(ids, ["1", "2"]);
    let rest = store
        .tickets_needing_children(la, &["1"], 10)
        .await
        .expect("due");
    assert_eq!(rest, round[1..], "the busy ticket is left out");
    // Ticket 2 changes while the round's children are fetched; ticket 1 does not.
    store
        .upsert_records(la, t, &[rec(la, "1", "a", 1), rec(la, "2", "b2", 3)], true)
        .await
        .expect("upsert");
    store.children_synced(la, &round).await.expect("synced");
    let left = store
        .tickets_needing_children(la, &[], 10)
        .await
        .expect("due");
    let ids: Vec<&str> = left.iter().map(|d| d.remote_id.as_str()).collect();
    assert_eq!(ids, ["2"], "only the ticket queued again is still due");
    assert!(left[0].flagged > round[1].flagged);
    store.children_synced(la, &left).await.expect("synced");
    assert!(
        store
            .tickets_needing_children(la, &[], 10)
            .await
            .expect("due")
            .is_empty()
    );
}
