//! The authentication cache across processes: two `deskbridge serve` processes on one
//! database, each with its cache warmed, and a revocation made through one of them (or
//! straight in SQL) must fail the very next request to the other. A process whose listener
//! connection is lost must not answer from its cache.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{Options, TestApp};
use deskbridge_freshdesk_sim::SimConfig;
use serde_json::{Value, json};

/// A `deskbridge serve` process without workers.
struct Serve {
    child: Child,
    base: String,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port()
}

async fn serve(app: &TestApp) -> Serve {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_deskbridge"))
        .arg("serve")
        .env("DATABASE_URL", &app.db.url)
        .env("DESKBRIDGE_MASTER_KEY", app.master_key.to_base64())
        .env("DESKBRIDGE_ALLOW_PROVIDER_HOSTS", &app.sim_host)
        .env("DESKBRIDGE_LISTEN", format!("127.0.0.1:{port}"))
        .env("DESKBRIDGE_WORKERS", "0")
        .env("DESKBRIDGE_RATE_LIMIT_PER_MINUTE", "0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start deskbridge serve");
    let s = Serve {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    for _ in 0..1200 {
        if let Ok(res) = app
            .http
            .get(format!("{}/health/ready", s.base))
            .send()
            .await
            && res.status().as_u16() == 200
        {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("deskbridge serve did not become ready");
}

/// Waits until `n` processes listen for authentication changes on the test database, and a
/// moment more for them to have marked their caches usable.
async fn wait_listeners(app: &TestApp, n: i64) {
    for _ in 0..600 {
        let listening: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity
             WHERE datname = current_database() AND query = 'LISTEN \"deskbridge_auth\"'",
        )
        .fetch_one(&app.db.pool)
        .await
        .expect("count listeners");
        if listening >= n {
            tokio::time::sleep(Duration::from_millis(200)).await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("fewer than {n} auth listeners");
}

/// A request with `key` (and `token`); returns the status and the JSON body.
async fn call(
    app: &TestApp,
    method: reqwest::Method,
    base: &str,
    path: &str,
    key: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = app
        .http
        .request(method, format!("{base}{path}"))
        .bearer_auth(key);
    if let Some(t) = token {
        req = req.header("X-Account-Token", t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    let body = res.json().await.unwrap_or(Value::Null);
    (status, body)
}

const TICKETS: &str = "/api/ticketing/v1/tickets?page_size=1";
const ACCOUNTS: &str = "/api/ticketing/v1/linked-accounts";

async fn tickets(app: &TestApp, base: &str, key: &str, token: &str) -> u16 {
    call(
        app,
        reqwest::Method::GET,
        base,
        TICKETS,
        key,
        Some(token),
        None,
    )
    .await
    .0
}

async fn accounts(app: &TestApp, base: &str, key: &str) -> u16 {
    call(app, reqwest::Method::GET, base, ACCOUNTS, key, None, None)
        .await
        .0
}

/// Asks each process twice: the first answer fills its cache, the second comes from it.
async fn warm(app: &TestApp, bases: &[&str], key: &str, token: &str) {
    for base in bases {
        for _ in 0..2 {
            assert_eq!(tickets(app, base, key, token).await, 200, "{base}");
            assert_eq!(accounts(app, base, key).await, 200, "{base}");
        }
    }
}

async fn start() -> (TestApp, String) {
    let app = TestApp::start_with(
        SimConfig {
            seed: 15,
            tickets: 3,
            ..SimConfig::default()
        },
        Options {
            workers: 0,
            ..Options::default()
        },
    )
    .await;
    let (token, _) = app.link(0).await;
    (app, token)
}

/// After a change written in plain SQL, which sends its answer as soon as it commits: the
/// next requests fail once B's listener has woken up (no HTTP answer stands between the commit
/// and the request here, unlike a revocation through the API, which waits for its own
/// process's listener). Fails if B answers from its cache until the TTL (30 s) runs out.
async fn announced<F, Fut>(request: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = u16>,
{
    let start = std::time::Instant::now();
    for attempt in 1.. {
        let status = request().await;
        if status == 401 {
            println!(
                "revoked at request {attempt}, {:?} after the commit",
                start.elapsed()
            );
            return;
        }
        assert_eq!(status, 200);
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "still answered from the cache after {:?}",
            start.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn sql(app: &TestApp, statement: &str) {
    sqlx::raw_sql(sqlx::AssertSqlSafe(statement.to_string()))
        .execute(&app.db.pool)
        .await
        .expect(statement);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_through_one_process_fails_the_next_request_to_another() {
    let (app, token) = start().await;
    let (serve_a, serve_b) = (serve(&app).await, serve(&app).await);
    // The in-process server listens too.
    wait_listeners(&app, 3).await;
    let (a, b) = (serve_a.base.as_str(), serve_b.base.as_str());

    // An API key revoked (regenerated) through A.
    let key = app.api_key.clone();
    warm(&app, &[a, b], &key, &token).await;
    let (status, body) = call(
        &app,
        reqwest::Method::POST,
        a,
        "/api/ticketing/v1/regenerate-key",
        &key,
        None,
        Some(json!({"name": "test"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let key2 = body["key"].as_str().expect("new key").to_string();
    assert_eq!(tickets(&app, b, &key, &token).await, 401, "old key, token");
    assert_eq!(accounts(&app, b, &key).await, 401, "old key alone");
    assert_eq!(tickets(&app, a, &key, &token).await, 401);
    assert_eq!(tickets(&app, b, &key2, &token).await, 200, "the new key");

    // The account token rotated through A.
    warm(&app, &[a, b], &key2, &token).await;
    let (status, body) = call(
        &app,
        reqwest::Method::POST,
        a,
        "/api/ticketing/v1/account-token/regenerate",
        &key2,
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let token2 = body["account_token"]
        .as_str()
        .expect("new token")
        .to_string();
    assert_eq!(tickets(&app, b, &key2, &token).await, 401, "old token");
    assert_eq!(tickets(&app, b, &key2, &token2).await, 200, "new token");

    // The linked account deleted (unlinked) through A.
    warm(&app, &[a, b], &key2, &token2).await;
    let (status, body) = call(
        &app,
        reqwest::Method::POST,
        a,
        "/api/ticketing/v1/delete-account",
        &key2,
        Some(&token2),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        tickets(&app, b, &key2, &token2).await,
        401,
        "deleted account"
    );
    assert_eq!(accounts(&app, b, &key2).await, 200, "the key still works");
    drop((serve_a, serve_b));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_answers_and_the_notification_is_what_revokes() {
    let (app, token) = start().await;
    let serve_b = serve(&app).await;
    wait_listeners(&app, 2).await;
    let b = serve_b.base.as_str();
    let key = app.api_key.clone();
    warm(&app, &[b], &key, &token).await;
    // Without its trigger, a revocation in SQL is not announced: the warm cache still answers
    // (within its TTL), which shows that it is in use.
    sql(
        &app,
        "ALTER TABLE linked_accounts DISABLE TRIGGER linked_accounts_auth_update;
         UPDATE linked_accounts SET account_token_hash = '\\x00'::bytea",
    )
    .await;
    assert_eq!(tickets(&app, b, &key, &token).await, 200, "from the cache");
    // With the trigger, the same change made by any writer is announced and revokes at once.
    sql(
        &app,
        "ALTER TABLE linked_accounts ENABLE TRIGGER linked_accounts_auth_update;
         ALTER TABLE api_keys DISABLE TRIGGER api_keys_auth_update;
         UPDATE linked_accounts SET account_token_hash = '\\x01'::bytea",
    )
    .await;
    announced(|| tickets(&app, b, &key, &token)).await;
    // An API key revoked in SQL, with its trigger.
    assert_eq!(accounts(&app, b, &key).await, 200);
    assert_eq!(accounts(&app, b, &key).await, 200);
    sql(
        &app,
        "ALTER TABLE api_keys ENABLE TRIGGER api_keys_auth_update;
         UPDATE api_keys SET revoked_at = now()",
    )
    .await;
    announced(|| accounts(&app, b, &key)).await;
    drop(serve_b);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_without_its_listener_does_not_answer_from_its_cache() {
    let (app, token) = start().await;
    let serve_b = serve(&app).await;
    wait_listeners(&app, 2).await;
    let b = serve_b.base.as_str();
    let key = app.api_key.clone();
    warm(&app, &[b], &key, &token).await;
    // Notifications are off from here on, so only the lost connection can empty the cache.
    sql(
        &app,
        "ALTER TABLE api_keys DISABLE TRIGGER api_keys_auth_update;
         ALTER TABLE linked_accounts DISABLE TRIGGER linked_accounts_auth_update",
    )
    .await;
    let ended: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity
         WHERE datname = current_database() AND query = 'LISTEN \"deskbridge_auth\"'",
    )
    .fetch_all(&app.db.pool)
    .await
    .expect("terminate listeners");
    assert!(ended.len() >= 2 && ended.iter().all(|e| *e), "{ended:?}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    sql(
        &app,
        "UPDATE linked_accounts SET account_token_hash = '\\x00'::bytea",
    )
    .await;
    assert_eq!(
        tickets(&app, b, &key, &token).await,
        401,
        "token, cache bypassed"
    );
    sql(&app, "UPDATE api_keys SET revoked_at = now()").await;
    assert_eq!(accounts(&app, b, &key).await, 401, "key, cache bypassed");

    // The listener comes back and the cache is used again.
    wait_listeners(&app, 2).await;
    let fresh = app
        .store
        .create_api_key(app.org, "fresh")
        .await
        .expect("key")
        .key;
    assert_eq!(accounts(&app, b, &fresh).await, 200);
    assert_eq!(accounts(&app, b, &fresh).await, 200);
    sql(&app, "UPDATE api_keys SET revoked_at = now()").await;
    assert_eq!(accounts(&app, b, &fresh).await, 200, "from the cache again");
    drop(serve_b);
    app.stop().await;
}
