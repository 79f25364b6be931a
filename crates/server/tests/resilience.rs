//! The service without its database and on shutdown: a TCP proxy between a Deskbridge and
//! PostgreSQL is cut and restored (other tests and the test's own pool are untouched); the API
//! answers 503 with `Retry-After` (readiness 503, liveness 200) instead of hanging or 500,
//! recovers on its own, and a sync cut in the middle ends with every record exactly once. On
//! SIGTERM `deskbridge serve` finishes in-flight requests, releases its running job at the last
//! checkpoint and exits; another worker resumes the job. Also: `/metrics` and JSON logs.

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Options, TestApp};
use deskbridge::serve;
use deskbridge_api::ApiConfig;
use deskbridge_freshdesk::FreshdeskIntegration;
use deskbridge_freshdesk_sim::{FaultConfig, SimConfig};
use deskbridge_store::{Cipher, Store};
use deskbridge_sync::Registry;
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A TCP proxy to PostgreSQL that a test can cut (listener closed, every connection dropped)
/// and restore (listening again on the same port).
struct PgProxy {
    addr: SocketAddr,
    target: SocketAddr,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
    accept: Mutex<Option<JoinHandle<()>>>,
}

impl PgProxy {
    async fn start(target: SocketAddr) -> PgProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("addr");
        let p = PgProxy {
            addr,
            target,
            tasks: Arc::new(Mutex::new(Vec::new())),
            accept: Mutex::new(None),
        };
        p.serve(listener);
        p
    }

    fn serve(&self, listener: TcpListener) {
        let target = self.target;
        let tasks = self.tasks.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let conn = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                tasks.lock().expect("tasks").push(conn);
            }
        });
        *self.accept.lock().expect("accept") = Some(accept);
    }

    /// The database goes away: no new connection is accepted, open ones are dropped.
    fn cut(&self) {
        if let Some(a) = self.accept.lock().expect("accept").take() {
            a.abort();
        }
        for t in self.tasks.lock().expect("tasks").drain(..) {
            t.abort();
        }
    }

    /// The database is back, on the same address.
    async fn restore(&self) {
        let mut tries = 0;
        let listener = loop {
            let socket = TcpSocket::new_v4().expect("socket");
            socket.set_reuseaddr(true).expect("reuseaddr");
            match socket.bind(self.addr).and_then(|()| socket.listen(128)) {
                Ok(l) => break l,
                Err(e) => {
                    tries += 1;
                    assert!(tries < 100, "cannot listen on {} again: {e}", self.addr);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        };
        self.serve(listener);
    }

    /// `url` with its host and port replaced by the proxy's.
    fn url(&self, url: &str) -> String {
        let (before, after) = split_authority(url);
        let user = before
            .rsplit_once('@')
            .map(|(u, _)| format!("{u}@"))
            .unwrap_or_default();
        format!("{user}127.0.0.1:{}{after}", self.addr.port())
    }
}

/// `postgres://user@host:port/db?q` → (`postgres://user@host:port`, `/db?q`).
fn split_authority(url: &str) -> (&str, &str) {
    let start = url.find("://").map(|i| i + 3).unwrap_or(0);
    let end = url[start..]
        .find(['/', '?'])
        .map(|i| i + start)
        .unwrap_or(url.len());
    (&url[..end], &url[end..])
}

/// The address of the test database's server (a TCP address is needed for the proxy).
fn pg_addr(url: &str) -> SocketAddr {
    let (authority, _) = split_authority(url);
    let authority = authority
        .split_once("://")
        .map(|(_, a)| a)
        .unwrap_or(authority);
    let hostport = authority
        .rsplit_once('@')
        .map(|(_, h)| h)
        .unwrap_or(authority);
    let (host, port) = hostport.rsplit_once(':').unwrap_or((hostport, "5432"));
    let host = if host == "localhost" || host.is_empty() {
        "127.0.0.1"
    } else {
        host
    };
    format!("{host}:{port}")
        .parse()
        .expect("a TCP database address")
}

/// The metrics token of [`Proxied`] servers.
const METRICS_TOKEN: &str = "metrics-secret";

/// A second Deskbridge (API and one worker) on the same database as `app`, reaching it only
/// through a cuttable proxy.
struct Proxied {
    proxy: PgProxy,
    base: String,
    shutdown: watch::Sender<bool>,
    server: JoinHandle<anyhow::Result<()>>,
}

impl Proxied {
    async fn start(app: &TestApp, workers: usize) -> Proxied {
        let proxy = PgProxy::start(pg_addr(&app.db.url)).await;
        // A short acquire timeout keeps the test quick; the behaviour is that of the default.
        let pool =
            deskbridge_store::connect_with(&proxy.url(&app.db.url), 5, Duration::from_secs(1))
                .await
                .expect("connect through the proxy");
        let store = Store::new(pool, Cipher::new(app.master_key.clone()));
        let factory = Arc::new(
            Registry::new().with(FreshdeskIntegration::new(vec![app.sim_host.clone()], 0.2)),
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (tx, rx) = watch::channel(false);
        let api = ApiConfig {
            rate_limit_per_minute: 0,
            metrics_token: Some(METRICS_TOKEN.into()),
            ..ApiConfig::default()
        };
        let server = tokio::spawn(serve::run(
            store,
            factory,
            common::test_settings(),
            api,
            listener,
            workers,
            rx,
        ));
        Proxied {
            proxy,
            base,
            shutdown: tx,
            server,
        }
    }

    async fn stop(self) {
        let _ = self.shutdown.send(true);
        let _ = self.server.await;
    }
}

/// A request with the app's key (and a token), its answer checked against the spec; also
/// returns `Retry-After`.
async fn call(
    app: &TestApp,
    base: &str,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> (u16, Value, Option<String>) {
    let client = common::ApiClient {
        http: &app.http,
        base,
        api_key: &app.api_key,
    };
    let res = client
        .request(method.clone(), path, token, body)
        // A guard against hanging for ever, not a timing assertion.
        .timeout(Duration::from_secs(120))
        .send()
        .await
        .expect("an answer, not a hang");
    let retry = res
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let (status, body) = common::checked(method.as_str(), path, res).await;
    (status, body, retry)
}

async fn live_tickets(app: &TestApp, la: deskbridge_store::LinkedAccountId) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM tickets WHERE linked_account_id = $1 AND NOT is_shell")
        .bind(la)
        .fetch_one(&app.db.pool)
        .await
        .expect("count")
}

/// Waits (bounded) until readiness answers 200 (again); a server still starting refuses
/// connections meanwhile.
async fn wait_ready(app: &TestApp, base: &str) {
    for _ in 0..600 {
        if let Ok(res) = app
            .http
            .get(format!("{base}/health/ready"))
            .timeout(Duration::from_secs(120))
            .send()
            .await
        {
            let (status, _) = common::checked_bytes("GET", "/health/ready", res).await;
            if status == 200 {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the service did not become ready");
}

fn assert_same(
    a: &std::collections::BTreeMap<(String, String), Value>,
    b: &std::collections::BTreeMap<(String, String), Value>,
) {
    let missing: Vec<_> = a.keys().filter(|k| !b.contains_key(*k)).take(5).collect();
    let extra: Vec<_> = b.keys().filter(|k| !a.contains_key(*k)).take(5).collect();
    let differ: Vec<_> = a
        .iter()
        .filter(|(k, v)| b.get(*k).is_some_and(|w| w != *v))
        .map(|(k, _)| k)
        .take(5)
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty() && differ.is_empty(),
        "of {} records: missing {missing:?}, extra {extra:?}, differing {differ:?}",
        a.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_under_load_answers_503_while_the_database_is_cut_and_recovers() {
    let app = TestApp::start_with(
        SimConfig {
            seed: 41,
            tickets: 150,
            conversations_per_ticket: 1.0,
            ..SimConfig::default()
        },
        Options::default(),
    )
    .await;
    let (token, la) = app.link(0).await;
    assert_eq!(app.wait_synced(la).await, "DONE");
    let expected = live_tickets(&app, la).await;
    let px = Proxied::start(&app, 0).await;
    let base = px.base.clone();
    let (s, _, _) = call(
        &app,
        &base,
        reqwest::Method::GET,
        "/health/ready",
        None,
        None,
    )
    .await;
    assert_eq!(s, 200);
    let first = app
        .list_all("/api/ticketing/v1/tickets?page_size=20", &token)
        .await;
    let one = first[0]["id"].as_str().expect("id").to_string();

    // Load on the proxied API, before, during and after the cut.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let statuses = Arc::new(Mutex::new(Vec::<u16>::new()));
    let mut load = Vec::new();
    for _ in 0..4 {
        let (stop, statuses, base, key, token) = (
            stop.clone(),
            statuses.clone(),
            base.clone(),
            app.api_key.clone(),
            token.clone(),
        );
        let http = app.http.clone();
        load.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) && n < 5000 {
                n += 1;
                let res = http
                    .get(format!("{base}/api/ticketing/v1/tickets?page_size=50"))
                    .bearer_auth(&key)
                    .header("X-Account-Token", &token)
                    .timeout(Duration::from_secs(120))
                    .send()
                    .await
                    .expect("an answer, not a hang");
                if res.status().as_u16() == 503 {
                    assert!(res.headers().contains_key(reqwest::header::RETRY_AFTER));
                }
                let path = "/api/ticketing/v1/tickets?page_size=50";
                let (status, _) = common::checked_bytes("GET", path, res).await;
                statuses.lock().expect("statuses").push(status);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    px.proxy.cut();

    // While it is away: every path answers 503 with Retry-After, readiness 503, liveness 200.
    let get = reqwest::Method::GET;
    let post = reqwest::Method::POST;
    let paths: Vec<(reqwest::Method, String, Option<Value>)> = vec![
        (
            get.clone(),
            "/api/ticketing/v1/tickets?page_size=10".into(),
            None,
        ),
        (
            get.clone(),
            format!("/api/ticketing/v1/tickets/{one}"),
            None,
        ),
        (get.clone(), "/api/ticketing/v1/comments".into(), None),
        (get.clone(), "/api/ticketing/v1/sync-status".into(), None),
        (
            get.clone(),
            "/api/ticketing/v1/account-details".into(),
            None,
        ),
        (
            get.clone(),
            "/api/ticketing/v1/linked-accounts".into(),
            None,
        ),
        (
            post.clone(),
            "/api/ticketing/v1/link-token".into(),
            Some(
                json!({"end_user_origin_id": "x", "end_user_organization_name": "X",
                        "end_user_email_address": "x@x.example", "categories": ["ticketing"]}),
            ),
        ),
        (
            post.clone(),
            "/api/ticketing/v1/tickets".into(),
            Some(json!({"model": {"name": "While the database is away"}})),
        ),
    ];
    for (m, path, body) in &paths {
        let (status, answer, retry) =
            call(&app, &base, m.clone(), path, Some(&token), body.as_ref()).await;
        assert_eq!(status, 503, "{m} {path}: {answer}");
        assert!(retry.is_some(), "{m} {path}: Retry-After");
    }
    let (s, body, _) = call(&app, &base, get.clone(), "/health/ready", None, None).await;
    assert_eq!(s, 503, "{body}");
    assert_eq!(body["status"], "database unavailable");
    let (s, _, _) = call(&app, &base, get.clone(), "/health/live", None, None).await;
    assert_eq!(s, 200);
    // Every documented operation, at once: none answers 500.
    let mut sweep = tokio::task::JoinSet::new();
    let spec = deskbridge_testkit::spec::committed();
    for (method, template) in spec.operations() {
        let path: String = template
            .split('/')
            .map(|s| {
                if s.starts_with('{') {
                    uuid::Uuid::new_v4().to_string()
                } else {
                    s.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        let m: reqwest::Method = method.parse().expect("method");
        let mut req = app
            .http
            .request(m.clone(), format!("{base}{path}"))
            .bearer_auth(&app.api_key)
            .header("X-Account-Token", &token)
            .timeout(Duration::from_secs(120));
        if m == reqwest::Method::POST || m == reqwest::Method::PATCH {
            req = req.json(&json!({}));
        }
        sweep.spawn(async move {
            let res = req.send().await.expect("an answer, not a hang");
            let (status, _) = common::checked_bytes(m.as_str(), &path, res).await;
            (format!("{m} {path}"), status)
        });
    }
    let mut unavailable = 0;
    let mut swept = 0;
    while let Some(r) = sweep.join_next().await {
        let (op, status) = r.expect("sweep");
        assert_ne!(status, 500, "{op}");
        swept += 1;
        if status == 503 {
            unavailable += 1;
        }
    }
    println!("{unavailable} of {swept} operations answered 503 while the database was cut");
    assert!(
        unavailable * 2 > swept,
        "{unavailable} of {swept} answered 503"
    );
    let res = app
        .http
        .get(format!("{base}/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .expect("metrics");
    assert_eq!(res.status(), 200);
    let text = res.text().await.expect("text");
    assert!(text.contains("deskbridge_db_up 0"), "{text}");

    // Back: it recovers by itself, without a restart.
    px.proxy.restore().await;
    wait_ready(&app, &base).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for l in load {
        l.await.expect("load task");
    }
    let seen = statuses.lock().expect("statuses").clone();
    assert!(
        seen.iter().all(|s| *s == 200 || *s == 503),
        "only 200 and 503: {seen:?}"
    );
    assert!(seen.contains(&503), "the load met the cut");
    assert_eq!(*seen.last().expect("some"), 200, "the load recovered");

    // Every record exactly once, through the proxied API.
    let mut all = Vec::new();
    let mut url = "/api/ticketing/v1/tickets?page_size=37".to_string();
    loop {
        let (s, body, _) = call(&app, &base, get.clone(), &url, Some(&token), None).await;
        assert_eq!(s, 200, "{body}");
        all.extend(body["results"].as_array().expect("results").iter().cloned());
        match body["next"].as_str() {
            Some(c) => url = format!("/api/ticketing/v1/tickets?page_size=37&cursor={c}"),
            None => break,
        }
    }
    let ids: std::collections::BTreeSet<&str> =
        all.iter().filter_map(|t| t["id"].as_str()).collect();
    assert_eq!(all.len() as i64, expected);
    assert_eq!(ids.len(), all.len(), "no ticket twice");
    px.stop().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_cut_from_its_database_resumes_and_holds_every_record_once() {
    let app = TestApp::start_without_workers(SimConfig {
        seed: 43,
        tickets: 1500,
        conversations_per_ticket: 2.0,
        ..SimConfig::default()
    })
    .await;
    // The reference: the same helpdesk synced without interruption (by the proxied worker).
    let px = Proxied::start(&app, 1).await;
    let (_, clean) = app.link_as(0, "clean").await;
    assert_eq!(app.wait_synced(clean).await, "DONE");

    let (token, la) = app.link_as(0, "cut").await;
    for _ in 0..1200 {
        if live_tickets(&app, la).await > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    px.proxy.cut();
    let runs = app.store.recent_runs(app.org, la, 10).await.expect("runs");
    assert!(
        runs.iter().all(|r| r.finished_at.is_none()),
        "the cut landed mid-sync"
    );
    let partial = live_tickets(&app, la).await;
    // Meanwhile the proxied API answers 503 and the direct one still serves.
    let (s, _, retry) = call(
        &app,
        &px.base,
        reqwest::Method::GET,
        "/api/ticketing/v1/tickets",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(s, 503);
    assert!(retry.is_some());
    let (s, _) = app.get("/api/ticketing/v1/sync-status", Some(&token)).await;
    assert_eq!(s, 200);
    tokio::time::sleep(Duration::from_secs(2)).await;
    px.proxy.restore().await;
    // The worker recovers on its own: the job is claimed again and resumed.
    assert_eq!(app.wait_synced(la).await, "DONE");
    let total = live_tickets(&app, la).await;
    println!("tickets stored at the cut: {partial} of {total}");
    assert!(partial < total, "the sync was cut before its end");
    assert_same(&app.dump(clean).await, &app.dump(la).await);
    let runs = app.store.recent_runs(app.org, la, 10).await.expect("runs");
    assert_eq!(runs.len(), 1, "the cut run was resumed, not restarted");
    px.stop().await;
    app.stop().await;
}

/// Reads the JSON log lines of a process's stderr.
fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not a JSON log line: {l}")))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_requests_and_releases_the_job_to_another_worker() {
    let app = TestApp::start_without_workers(SimConfig {
        seed: 47,
        tickets: 2000,
        conversations_per_ticket: 1.0,
        ..SimConfig::default()
    })
    .await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let serve = std::process::Command::new(env!("CARGO_BIN_EXE_deskbridge"))
        .arg("serve")
        .env("DATABASE_URL", &app.db.url)
        .env("DESKBRIDGE_MASTER_KEY", app.master_key.to_base64())
        .env("DESKBRIDGE_ALLOW_PROVIDER_HOSTS", &app.sim_host)
        .env("DESKBRIDGE_LISTEN", format!("127.0.0.1:{port}"))
        .env("DESKBRIDGE_WORKERS", "1")
        // A long lease: the job must come back because it is released, not because it expired.
        .env("DESKBRIDGE_JOB_LEASE_SECS", "600")
        .env("DESKBRIDGE_SYNC_INTERVAL_SECS", "3600")
        .env("DESKBRIDGE_RATE_LIMIT_PER_MINUTE", "0")
        .env("DESKBRIDGE_LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start deskbridge serve");
    let mut serve = serve;
    let stderr = serve.stderr.take().expect("stderr");
    let logs = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut std::io::BufReader::new(stderr), &mut text);
        text
    });
    wait_ready(&app, &base).await;
    let (token, la) = app.link(0).await;
    for _ in 0..2400 {
        if live_tickets(&app, la).await > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    // A request in flight: a passthrough call the helpdesk answers slowly.
    app.sim.control().set_faults(FaultConfig {
        slow_rate: 1.0,
        slow_delay: Duration::from_millis(1500),
        ..FaultConfig::default()
    });
    let inflight = {
        let http = app.http.clone();
        let url = format!("{base}/api/ticketing/v1/passthrough");
        let key = app.api_key.clone();
        let token = token.clone();
        tokio::spawn(async move {
            http.post(url)
                .bearer_auth(key)
                .header("X-Account-Token", token)
                .json(&json!({"method": "GET", "path": "/tickets?per_page=1"}))
                .timeout(Duration::from_secs(120))
                .send()
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(400)).await;
    let pid = serve.id();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let res = inflight
        .await
        .expect("task")
        .expect("the in-flight request was answered");
    let (code, bytes) = common::checked_bytes("POST", "/api/ticketing/v1/passthrough", res).await;
    assert_eq!(code, 200, "{}", String::from_utf8_lossy(&bytes));
    let exit = tokio::task::spawn_blocking(move || serve.wait())
        .await
        .expect("join")
        .expect("exit");
    assert!(exit.success(), "serve exited with {exit}");
    app.sim.control().set_faults(FaultConfig::default());

    // JSON logs, with the shutdown and the release in them.
    let logs = json_lines(&logs.join().expect("logs"));
    let messages: Vec<String> = logs
        .iter()
        .filter_map(|l| l["fields"]["message"].as_str().map(String::from))
        .collect();
    assert!(
        messages.iter().any(|m| m == "shutting down"),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("releasing the job")),
        "{messages:?}"
    );

    // The job is released (not left to its lease) at its last checkpoint.
    let (status, locked_by, last_error): (String, Option<String>, Option<String>) = sqlx::query_as(
        "SELECT status, locked_by, last_error FROM jobs WHERE linked_account_id = $1",
    )
    .bind(la)
    .fetch_one(&app.db.pool)
    .await
    .expect("the job is still there");
    assert_eq!(status, "queued");
    assert_eq!(locked_by, None);
    assert_eq!(last_error.as_deref(), Some("released on shutdown"));
    let stored = live_tickets(&app, la).await;
    let checkpoints: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sync_checkpoints WHERE linked_account_id = $1")
            .bind(la)
            .fetch_one(&app.db.pool)
            .await
            .expect("checkpoints");
    assert!(checkpoints > 0, "progress was checkpointed");

    // Another worker resumes it.
    let mut w = app.spawn_worker(1);
    assert_eq!(app.wait_synced(la).await, "DONE");
    let _ = w.kill();
    let _ = w.wait();
    let runs = app.store.recent_runs(app.org, la, 10).await.expect("runs");
    assert_eq!(runs.len(), 1, "resumed, not restarted");
    let total = live_tickets(&app, la).await;
    println!("tickets stored at shutdown: {stored} of {total}");
    assert!(stored < total);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_syncs_and_provider_calls() {
    let app = TestApp::start(SimConfig {
        seed: 53,
        tickets: 30,
        ..SimConfig::default()
    })
    .await;
    let (token, la) = app.link(0).await;
    assert_eq!(app.wait_synced(la).await, "DONE");
    let (s, _) = app.get("/api/ticketing/v1/tickets", Some(&token)).await;
    assert_eq!(s, 200);
    let (s, _) = app.get("/api/ticketing/v1/tickets", Some("wrong")).await;
    assert_eq!(s, 401);
    // Without DESKBRIDGE_METRICS_TOKEN the endpoint is off; with it, only the token opens it.
    let (status, _) = app.get("/metrics", None).await;
    assert_eq!(status, 404);
    let px = Proxied::start(&app, 0).await;
    for wrong in [None, Some(app.api_key.as_str()), Some("metrics-secreT")] {
        let mut req = app.http.get(format!("{}/metrics", px.base));
        if let Some(t) = wrong {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.expect("metrics");
        let (status, _) = common::checked("GET", "/metrics", res).await;
        assert_eq!(status, 401);
    }
    let res = app
        .http
        .get(format!("{}/metrics", px.base))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .expect("metrics");
    let content_type = res
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let bytes = res.bytes().await.expect("text");
    common::check_spec("GET", "/metrics", 200, content_type.as_deref(), &bytes);
    let text = String::from_utf8_lossy(&bytes).to_string();
    let la = deskbridge_sync::worker::metrics_label(la);
    for needle in [
        "deskbridge_http_requests_total{method=\"GET\",route=\"/api/ticketing/v1/tickets\",status=\"200\"}".to_string(),
        "deskbridge_http_requests_total{method=\"GET\",route=\"/api/ticketing/v1/tickets\",status=\"401\"}".to_string(),
        "deskbridge_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/ticketing/v1/tickets\",status=\"200\",le=\"0.005\"}".to_string(),
        format!("deskbridge_sync_runs_total{{linked_account=\"{la}\",status=\"DONE\"}} 1"),
        format!("deskbridge_sync_records_written_total{{linked_account=\"{la}\",model=\"Ticket\"}}"),
        format!("deskbridge_provider_calls_total{{linked_account=\"{la}\"}}"),
        format!("deskbridge_provider_credits_total{{linked_account=\"{la}\"}}"),
        "deskbridge_jobs_due ".to_string(),
        "deskbridge_jobs_oldest_due_seconds ".to_string(),
        "deskbridge_db_up 1".to_string(),
        "deskbridge_db_pool_connections{state=\"idle\"}".to_string(),
    ] {
        assert!(text.contains(&needle), "{needle} missing in:\n{text}");
    }
    px.stop().await;
    app.stop().await;
}
