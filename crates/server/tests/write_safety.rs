//! An `Idempotency-Key` never lets a write run twice (issue 13, point 2): not after a
//! request timeout, not after a helpdesk failure once the call was sent, not after a local
//! failure that followed a successful helpdesk write. Against real Postgres and the
//! simulator, whose control endpoints make the helpdesk slow or failing.

mod common;

use std::time::Duration;

use common::{Options, TestApp};
use deskbridge_freshdesk_sim::{FaultConfig, SimConfig};
use serde_json::{Value, json};

async fn synced(opts: Options) -> (TestApp, String, deskbridge_store::LinkedAccountId) {
    let app = TestApp::start_with(
        SimConfig {
            seed: 62,
            accounts: 1,
            tickets: 10,
            conversations_per_ticket: 1.0,
            ..SimConfig::default()
        },
        opts,
    )
    .await;
    let (token, la) = app.link(0).await;
    assert_eq!(app.wait_synced(la).await, "DONE");
    (app, token, la)
}

/// A POST of `body` with an `Idempotency-Key`; the answer is checked against the spec.
async fn post_keyed(app: &TestApp, token: &str, key: &str, body: &Value) -> (u16, Value) {
    let path = "/api/ticketing/v1/tickets";
    let res = app
        .http
        .post(format!("{}{path}", app.base))
        .bearer_auth(&app.api_key)
        .header("X-Account-Token", token)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .expect("request");
    common::checked("POST", path, res).await
}

/// The simulator's tickets named `name`.
fn sim_tickets_named(app: &TestApp, name: &str) -> Vec<Value> {
    let (sub, _) = app.sim_account(0);
    let snap = app.sim.control().snapshot(&sub).expect("snapshot");
    snap.tickets
        .into_iter()
        .filter(|t| t["subject"].as_str() == Some(name))
        .collect()
}

async fn a_contact(app: &TestApp, token: &str) -> Value {
    let (status, body) = app
        .get("/api/ticketing/v1/contacts?page_size=1", Some(token))
        .await;
    assert_eq!(status, 200, "{body}");
    body["results"][0]["id"].clone()
}

/// Makes the key's claim look `minutes` older, as if that much time had passed (the old
/// code took over a `pending` claim after 120 s and ran the write again).
async fn age_key(app: &TestApp, key: &str, minutes: i32) {
    sqlx::query(
        "UPDATE idempotency_keys SET created_at = created_at - make_interval(mins => $2) WHERE key = $1",
    )
    .bind(key)
    .bind(minutes)
    .execute(&app.db.pool)
    .await
    .expect("age the key");
}

#[tokio::test]
async fn a_slow_helpdesk_a_timed_out_request_and_five_retries_make_one_ticket() {
    let (app, token, _) = synced(Options {
        request_timeout: Duration::from_secs(1),
        ..Options::default()
    })
    .await;
    let contact = a_contact(&app, &token).await;
    let name = "Slow and once";
    let body = json!({"model": {"name": name, "description": "d", "contact": contact}});
    app.sim.control().set_faults(FaultConfig {
        slow_rate: 1.0,
        slow_delay: Duration::from_secs(3),
        ..FaultConfig::default()
    });
    let (status, b) = post_keyed(&app, &token, "slow-1", &body).await;
    assert_eq!(status, 503, "the request times out: {b}");
    // Five retries, each as if more than two minutes had passed since the last one.
    let mut answers = Vec::new();
    for _ in 0..5 {
        age_key(&app, "slow-1", 10).await;
        let (status, b) = post_keyed(&app, &token, "slow-1", &body).await;
        answers.push((status, b));
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    app.sim.control().set_faults(FaultConfig::default());
    // The first write goes on although its request timed out: wait for it.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let made = sim_tickets_named(&app, name);
    assert_eq!(
        made.len(),
        1,
        "exactly one ticket at the helpdesk: {made:?}"
    );
    for (status, b) in &answers {
        assert!(
            *status == 409 || *status == 201,
            "a retry is a 409 or the first answer, never a new write: {status} {b}"
        );
    }
    let (status, last) = post_keyed(&app, &token, "slow-1", &body).await;
    assert_eq!(status, 201, "the finished write is answered again: {last}");
    assert_eq!(sim_tickets_named(&app, name).len(), 1);
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM tickets WHERE fields->>'name' = $1")
        .bind(name)
        .fetch_one(&app.db.pool)
        .await
        .expect("count");
    assert_eq!(stored, 1, "and one stored");
    assert_eq!(
        last["model"]["remote_id"].as_str(),
        made[0]["id"].as_i64().map(|i| i.to_string()).as_deref()
    );
    app.stop().await;
}

#[tokio::test]
async fn a_helpdesk_failure_after_sending_keeps_the_key_with_an_unknown_outcome() {
    let (app, token, _) = synced(Options::default()).await;
    let contact = a_contact(&app, &token).await;
    let name = "Failed at the edge";
    let body = json!({"model": {"name": name, "description": "d", "contact": contact}});
    app.sim.control().set_faults(FaultConfig {
        error_rate: 1.0,
        ..FaultConfig::default()
    });
    let (status, b) = post_keyed(&app, &token, "edge-1", &body).await;
    assert_eq!(status, 502, "{b}");
    app.sim.control().set_faults(FaultConfig::default());
    let (status, b) = post_keyed(&app, &token, "edge-1", &body).await;
    assert_eq!(
        status, 409,
        "a retry of an unknown outcome is not run again: {b}"
    );
    let detail = b["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("unknown"), "{detail}");
    assert!(sim_tickets_named(&app, name).is_empty());
    app.stop().await;
}

#[tokio::test]
async fn a_local_failure_after_the_helpdesk_wrote_keeps_the_key_and_names_the_remote_id() {
    let (app, token, _) = synced(Options::default()).await;
    let contact = a_contact(&app, &token).await;
    let name = "Stored nowhere";
    let body = json!({"model": {"name": name, "description": "d", "contact": contact}});
    // The local upsert of this ticket fails (as a full disk or a lost connection would).
    sqlx::raw_sql(
        "CREATE FUNCTION refuse_ticket() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
           IF NEW.fields->>'name' = 'Stored nowhere' THEN RAISE EXCEPTION 'disk full'; END IF;
           RETURN NEW;
         END $$;
         CREATE TRIGGER refuse_ticket BEFORE INSERT OR UPDATE ON tickets
           FOR EACH ROW EXECUTE FUNCTION refuse_ticket();",
    )
    .execute(&app.db.pool)
    .await
    .expect("trigger");
    let res = app
        .http
        .post(format!("{}/api/ticketing/v1/tickets", app.base))
        .bearer_auth(&app.api_key)
        .header("X-Account-Token", &token)
        .header("Idempotency-Key", "local-1")
        .json(&body)
        .send()
        .await
        .expect("request");
    assert_ne!(res.status().as_u16(), 201);
    sqlx::raw_sql("DROP TRIGGER refuse_ticket ON tickets")
        .execute(&app.db.pool)
        .await
        .expect("drop trigger");
    let made = sim_tickets_named(&app, name);
    assert_eq!(made.len(), 1, "the helpdesk has it");
    let remote = made[0]["id"].as_i64().expect("id").to_string();
    let (status, b) = post_keyed(&app, &token, "local-1", &body).await;
    assert_eq!(status, 409, "not written twice: {b}");
    let detail = b["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains(&remote),
        "the helpdesk's id is named: {detail}"
    );
    assert_eq!(sim_tickets_named(&app, name).len(), 1);
    app.stop().await;
}
