//! Races around linking (issue 13, point 6): concurrent submissions of one link token, or of
//! one end user through the API, give exactly one linked state and no 500; a sync that fails
//! with refused credentials does not turn back to `RELINK_NEEDED` an account relinked while it
//! ran.

mod common;

use std::time::Duration;

use common::TestApp;
use deskbridge_freshdesk_sim::{FaultConfig, SimConfig};
use serde_json::{Value, json};

fn sim() -> SimConfig {
    SimConfig {
        seed: 64,
        accounts: 1,
        tickets: 20,
        conversations_per_ticket: 1.0,
        ..SimConfig::default()
    }
}

/// Every Freshdesk answer takes `delay` (so that concurrent requests overlap).
fn slow(app: &TestApp, delay: Duration) {
    app.sim.control().set_faults(FaultConfig {
        slow_rate: 1.0,
        slow_delay: delay,
        ..FaultConfig::default()
    });
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(&app.db.pool)
        .await
        .expect("count")
}

#[tokio::test]
async fn concurrent_submissions_of_one_link_token_link_once_without_a_500() {
    // No workers: the only Freshdesk calls are the submissions' credential checks.
    let app = TestApp::start_without_workers(sim()).await;
    let (status, body) = app
        .post(
            "/api/ticketing/v1/link-token",
            None,
            &json!({"end_user_origin_id": "race-1", "end_user_organization_name": "Race",
                    "end_user_email_address": "it@race.example", "categories": ["ticketing"],
                    "integration": "freshdesk"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let token = body["link_token"].as_str().expect("token").to_string();
    let (_, key) = app.sim_account(0);
    slow(&app, Duration::from_millis(500));
    let (sub, _) = app.sim_account(0);
    app.sim.control().reset_counters(&sub).expect("reset");
    let domain = app.sim_handle.base_url.clone();
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..5 {
        let (http, url) = (app.http.clone(), format!("{}/link/{token}", app.base));
        let body = json!({"integration": "freshdesk", "domain": domain, "api_key": key});
        set.spawn(async move {
            let res = http
                .post(url)
                .header("accept", "application/json")
                .json(&body)
                .send()
                .await
                .expect("submit");
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.unwrap_or(Value::Null))
        });
    }
    let answers = set.join_all().await;
    app.sim.control().set_faults(FaultConfig::default());
    let statuses: Vec<u16> = answers.iter().map(|(s, _)| *s).collect();
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 410),
        "one success, the others told the link was used: {answers:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{answers:?}"
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM linked_accounts WHERE end_user_origin_id = 'race-1'"
        )
        .await,
        1
    );
    assert_eq!(count(&app, "SELECT count(*) FROM public_tokens").await, 1);
    // The link token is claimed before the check: the losers never reached Freshdesk, and
    // never relinked the account.
    let counters = app.sim.control().counters(&sub).expect("counters");
    assert_eq!(counters.requests, 1, "one credential check: {counters:?}");
    app.stop().await;
}

#[tokio::test]
async fn concurrent_api_links_of_one_end_user_make_one_account_without_a_500() {
    let app = TestApp::start(sim()).await;
    let (_, key) = app.sim_account(0);
    let body = app.link_body(0, &key);
    slow(&app, Duration::from_millis(500));
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..5 {
        let path = "/api/ticketing/v1/linked-accounts";
        let req = app
            .http
            .post(format!("{}{path}", app.base))
            .bearer_auth(&app.api_key)
            .json(&body);
        set.spawn(async move {
            let res = req.send().await.expect("request");
            common::checked("POST", path, res).await
        });
    }
    let answers = set.join_all().await;
    app.sim.control().set_faults(FaultConfig::default());
    let statuses: Vec<u16> = answers.iter().map(|(s, _)| *s).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "one creates, the others relink: {answers:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 201),
        "{answers:?}"
    );
    let tokens: std::collections::BTreeSet<&str> = answers
        .iter()
        .filter_map(|(_, b)| b["account_token"].as_str())
        .collect();
    assert_eq!(tokens.len(), 1, "one account, one token");
    assert_eq!(count(&app, "SELECT count(*) FROM linked_accounts").await, 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_first_links_of_one_end_user_in_the_store_make_one_account() {
    let app = TestApp::start_without_workers(sim()).await;
    let mut set = tokio::task::JoinSet::new();
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(8));
    for i in 0..8 {
        let store = app.store.clone();
        let org = app.org;
        let start = start.clone();
        set.spawn(async move {
            start.wait().await;
            let link = deskbridge_store::accounts::NewLink {
                integration: "freshdesk".into(),
                end_user_origin_id: "same-user".into(),
                end_user_organization_name: format!("Org {i}"),
                end_user_email_address: "it@same.example".into(),
                subdomain: "acme".into(),
                credentials_json: r#"{"domain":"acme","api_key":"k"}"#.into(),
                base_url: Some("https://acme.freshdesk.com/".into()),
                queue_sync: false,
            };
            store
                .link_account(org, &link)
                .await
                .map(|l| (l.created, l.account.id))
                .map_err(|e| e.to_string())
        });
    }
    let results = set.join_all().await;
    let ok: Vec<(bool, deskbridge_store::LinkedAccountId)> =
        results.iter().filter_map(|r| r.clone().ok()).collect();
    assert_eq!(ok.len(), 8, "no error: {results:?}");
    assert_eq!(ok.iter().filter(|(created, _)| *created).count(), 1);
    assert!(ok.iter().all(|(_, id)| *id == ok[0].1));
    app.stop().await;
}

#[tokio::test]
async fn a_failed_run_does_not_undo_a_relink_made_while_it_ran() {
    let app = TestApp::start(sim()).await;
    let (token, la) = app.link(0).await;
    assert_eq!(app.wait_synced(la).await, "DONE");
    // A resync whose every Freshdesk call takes 4 s.
    slow(&app, Duration::from_secs(4));
    let (status, _) = app
        .post(
            "/api/ticketing/v1/sync-status/resync",
            Some(&token),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let run = loop {
        let runs = app.store.recent_runs(app.org, la, 5).await.expect("runs");
        if let Some(r) = runs.iter().find(|r| r.finished_at.is_none()) {
            break r.id;
        }
        assert!(tokio::time::Instant::now() < deadline, "the resync started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    // While it runs, the customer's key is rotated and the account relinked with the new one
    // (Freshdesk is fast again for the relink; the run's call in flight still takes 4 s).
    let (sub, _) = app.sim_account(0);
    let new_key = app.sim.control().rotate_key(&sub).expect("rotate");
    app.sim.control().set_faults(FaultConfig::default());
    let (status, body) = app
        .post(
            "/api/ticketing/v1/linked-accounts",
            None,
            &app.link_body(0, &new_key),
        )
        .await;
    assert_eq!(status, 200, "relinked: {body}");
    // The run goes on with the old key, which Freshdesk now refuses: it fails.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let runs = app.store.recent_runs(app.org, la, 10).await.expect("runs");
        let done = runs.iter().any(|r| r.id == run && r.finished_at.is_some());
        if done && app.store.active_jobs(la).await.expect("jobs") == 0 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the run ended");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let account = app
        .store
        .linked_account(app.org, la)
        .await
        .expect("account");
    assert_eq!(
        account.status, "COMPLETE",
        "the relink stands: {:?}",
        account.status_detail
    );
    let runs = app.store.recent_runs(app.org, la, 10).await.expect("runs");
    assert_eq!(
        runs[0].status, "DONE",
        "the relink's sync ran with the new key"
    );
    app.stop().await;
}
