//! Scale-out: two API processes (`deskbridge serve --workers 0`) and two `deskbridge worker`
//! processes on one database, several accounts syncing while requests hit both APIs: every
//! request succeeds and every job runs once.

mod common;

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::TestApp;
use deskbridge_freshdesk_sim::SimConfig;
use serde_json::{Value, json};

/// A child process killed when dropped.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `deskbridge serve --workers 0` on a free port; returns it and its base URL once ready.
async fn api_process(app: &TestApp) -> (Proc, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_deskbridge"))
        .args(["serve", "--workers", "0", "--no-migrate"])
        .env("DATABASE_URL", &app.db.url)
        .env("DESKBRIDGE_MASTER_KEY", app.master_key.to_base64())
        .env("DESKBRIDGE_ALLOW_PROVIDER_HOSTS", &app.sim_host)
        .env("DESKBRIDGE_LISTEN", format!("127.0.0.1:{port}"))
        .env("DESKBRIDGE_RATE_LIMIT_PER_MINUTE", "0")
        .env("DESKBRIDGE_DB_CONNECTIONS", "4")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("start deskbridge serve");
    let proc = Proc(child);
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..600 {
        if let Ok(r) = app.http.get(format!("{base}/health/ready")).send().await
            && r.status() == 200
        {
            return (proc, base);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("deskbridge serve did not become ready");
}

/// A request with the app's key to `base`, checked against the spec.
async fn call(
    app: &TestApp,
    base: &str,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> (u16, Value) {
    let client = common::ApiClient {
        http: &app.http,
        base,
        api_key: &app.api_key,
    };
    client.call(method, path, token, body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_apis_and_two_workers_share_one_database() {
    let accounts = 4;
    let app = TestApp::start_without_workers(SimConfig {
        seed: 61,
        accounts,
        tickets: 200,
        conversations_per_ticket: 1.5,
        ..SimConfig::default()
    })
    .await;
    let (_api1, base1) = api_process(&app).await;
    let (_api2, base2) = api_process(&app).await;
    let bases = [base1.clone(), base2.clone()];
    let _w1 = Proc(app.spawn_worker_with_lease(2, 20));
    let _w2 = Proc(app.spawn_worker_with_lease(2, 20));

    // Link every account, alternating between the two APIs.
    let mut linked = Vec::new();
    for i in 0..accounts {
        let (_, key) = app.sim_account(i);
        let (status, body) = call(
            &app,
            &bases[i % 2],
            reqwest::Method::POST,
            "/api/ticketing/v1/linked-accounts",
            None,
            Some(&app.link_body(i, &key)),
        )
        .await;
        assert!(status == 201 || status == 200, "{status} {body}");
        let token = body["account_token"].as_str().expect("token").to_string();
        let id: deskbridge_store::LinkedAccountId = body["linked_account"]["id"]
            .as_str()
            .expect("id")
            .parse()
            .expect("uuid");
        linked.push((token, id));
    }

    // Requests on both APIs while the accounts sync.
    let stop = Arc::new(AtomicBool::new(false));
    let mut load = Vec::new();
    for (n, (token, _)) in linked.iter().enumerate() {
        let (stop, token, http, key) = (
            stop.clone(),
            token.clone(),
            app.http.clone(),
            app.api_key.clone(),
        );
        let bases = bases.clone();
        load.push(tokio::spawn(async move {
            let paths = [
                "/api/ticketing/v1/tickets?page_size=50",
                "/api/ticketing/v1/sync-status",
                "/api/ticketing/v1/contacts?page_size=20",
                "/api/ticketing/v1/users",
            ];
            let mut sent = 0u32;
            let mut i = n;
            while !stop.load(Ordering::Relaxed) && sent < 20_000 {
                let path = paths[i % paths.len()];
                let res = http
                    .get(format!("{}{path}", bases[i % 2]))
                    .bearer_auth(&key)
                    .header("X-Account-Token", &token)
                    .send()
                    .await
                    .expect("request");
                let (status, bytes) = common::checked_bytes("GET", path, res).await;
                assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&bytes));
                sent += 1;
                i += 1;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            sent
        }));
    }
    for (_, la) in &linked {
        assert_eq!(app.wait_synced(*la).await, "DONE");
    }
    // A forced resync of every account, asked of the other API.
    for (i, (token, la)) in linked.iter().enumerate() {
        let (status, body) = call(
            &app,
            &bases[(i + 1) % 2],
            reqwest::Method::POST,
            "/api/ticketing/v1/sync-status/resync",
            Some(token),
            Some(&json!({})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let _ = la;
    }
    for (_, la) in &linked {
        assert_eq!(app.wait_runs(*la, 2).await, "DONE");
    }
    stop.store(true, Ordering::Relaxed);
    let mut total = 0;
    for l in load {
        total += l.await.expect("every request succeeded");
    }
    assert!(total > 0);
    println!("{total} requests, all 200");

    // Every job ran once: exactly two runs per account, both complete, none left over.
    for (token, la) in &linked {
        let runs = app.store.recent_runs(app.org, *la, 10).await.expect("runs");
        assert_eq!(runs.len(), 2, "{runs:?}");
        assert!(
            runs.iter()
                .all(|r| r.status == "DONE" && r.finished_at.is_some())
        );
        let (_, body) = call(
            &app,
            &base2,
            reqwest::Method::GET,
            "/api/ticketing/v1/sync-status",
            Some(token),
            None,
        )
        .await;
        assert!(body["results"].is_array());
    }
    let leftover: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs")
        .fetch_one(&app.db.pool)
        .await
        .expect("jobs");
    assert_eq!(leftover, 0, "no job left queued or running");
    // And each account's records are complete: the same count through either API.
    for (token, la) in &linked {
        let stored: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM tickets WHERE linked_account_id = $1 AND NOT is_shell AND NOT remote_was_deleted",
        )
        .bind(la)
        .fetch_one(&app.db.pool)
        .await
        .expect("count");
        for base in &bases {
            let mut n = 0i64;
            let mut path = "/api/ticketing/v1/tickets?page_size=100".to_string();
            loop {
                let (s, body) =
                    call(&app, base, reqwest::Method::GET, &path, Some(token), None).await;
                assert_eq!(s, 200);
                n += body["results"].as_array().expect("results").len() as i64;
                match body["next"].as_str() {
                    Some(c) => path = format!("/api/ticketing/v1/tickets?page_size=100&cursor={c}"),
                    None => break,
                }
            }
            assert_eq!(n, stored);
        }
    }
    app.stop().await;
}
