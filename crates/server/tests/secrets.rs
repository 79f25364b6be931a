//! Secrets: none in the logs of a full link → sync → list → delete cycle captured at TRACE for
//! every crate, none in a database dump (plain, base64, Basic-auth, URL-encoded or hex), and a
//! master-key rotation that re-encrypts everything so the app works with the new key only.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use common::{TestApp, test_settings};
use deskbridge_api::ApiConfig;
use deskbridge_freshdesk::FreshdeskIntegration;
use deskbridge_freshdesk_sim::SimConfig;
use deskbridge_store::{Cipher, MasterKey, Store};
use deskbridge_sync::Registry;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::watch;
use uuid::Uuid;

/// Everything every test of this binary logged, at TRACE, for every crate.
static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

#[derive(Clone)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut b) = self.0.lock() {
            b.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Sets a TRACE subscriber writing to [`LOGS`] as the global default (with the `log` bridge, so
/// reqwest's and sqlx's `log` records are captured too).
fn capture_logs() -> Arc<Mutex<Vec<u8>>> {
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let writer = Buffer(buf.clone());
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .try_init()
            .expect("the global subscriber");
        buf
    })
    .clone()
}

fn sim() -> SimConfig {
    SimConfig {
        seed: 23,
        accounts: 1,
        tickets: 40,
        conversations_per_ticket: 1.0,
        ..SimConfig::default()
    }
}

/// A secret in every form it could leak in: plain, base64 (standard and URL-safe, padded or
/// not), as a Basic-auth header value, URL-encoded and as hex (a `bytea` in a dump).
fn forms(name: &str, secret: &str) -> Vec<(String, String)> {
    let url_encoded: String = secret
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b => format!("%{b:02X}"),
        })
        .collect();
    let basic = format!("{secret}:X");
    let mut out = vec![
        (format!("{name} (plain)"), secret.to_string()),
        (format!("{name} (URL-encoded)"), url_encoded),
        (format!("{name} (hex)"), hex(secret.as_bytes())),
        (format!("{name} (Basic auth)"), STANDARD.encode(&basic)),
    ];
    for (label, engine) in [
        ("base64", &STANDARD),
        ("base64 unpadded", &STANDARD_NO_PAD),
        ("base64url", &URL_SAFE),
        ("base64url unpadded", &URL_SAFE_NO_PAD),
    ] {
        out.push((format!("{name} ({label})"), engine.encode(secret)));
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every form of every secret found in `text`.
fn found(text: &str, secrets: &[(String, String)]) -> Vec<String> {
    secrets
        .iter()
        .filter(|(_, s)| text.contains(s.as_str()))
        .map(|(n, _)| n.clone())
        .collect()
}

fn pg_dump(url: &str) -> String {
    let out = std::process::Command::new("pg_dump")
        .arg("--no-owner")
        .arg(format!("--dbname={url}"))
        .output()
        .expect("pg_dump must be installed (it comes with PostgreSQL)");
    assert!(
        out.status.success(),
        "pg_dump failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 dump")
}

#[tokio::test]
async fn no_secret_in_trace_logs_or_database_dumps_across_a_full_cycle() {
    let logs = capture_logs();
    let app = TestApp::start(sim()).await;
    let (_, freshdesk_key) = app.sim_account(0);
    let master = app.master_key.to_base64();

    // Link: a refused attempt, then the Link page with the right key, then the exchange.
    let (status, lt) = app
        .post(
            "/api/ticketing/v1/link-token",
            None,
            &json!({"end_user_origin_id": "cust-s", "end_user_organization_name": "S", "end_user_email_address": "s@s.example",
                    "categories": ["ticketing"], "integration": "freshdesk", "should_create_magic_link_url": true}),
        )
        .await;
    assert_eq!(status, 200, "{lt}");
    let link_token = lt["link_token"].as_str().expect("link token").to_string();
    let page = format!("{}/link/{link_token}", app.base);
    assert_eq!(
        app.http
            .get(&page)
            .send()
            .await
            .expect("page")
            .status()
            .as_u16(),
        200
    );
    let submit = |key: String| {
        let body = json!({"domain": app.sim_handle.base_url, "api_key": key});
        let req = app
            .http
            .post(&page)
            .header("accept", "application/json")
            .json(&body);
        async move { req.send().await.expect("submit") }
    };
    assert_eq!(
        submit(format!("{freshdesk_key}x")).await.status().as_u16(),
        400
    );
    let done: Value = submit(freshdesk_key.clone())
        .await
        .json()
        .await
        .expect("json");
    let public_token = done["public_token"]
        .as_str()
        .expect("public token")
        .to_string();
    let (status, acct) = app
        .get(
            &format!("/api/ticketing/v1/account-token/{public_token}"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{acct}");
    let account_token = acct["account_token"]
        .as_str()
        .expect("account token")
        .to_string();
    let id: deskbridge_store::LinkedAccountId =
        acct["id"].as_str().expect("id").parse().expect("uuid");

    // Also the server-to-server link, whose body carries the key (a relink: same end user).
    let mut body = app.link_body(0, &freshdesk_key);
    body["end_user_origin_id"] = json!("cust-s");
    let (status, relinked) = app
        .post("/api/ticketing/v1/linked-accounts", None, &body)
        .await;
    assert_eq!(status, 200, "{relinked}");

    // Sync, list, resync, delete.
    assert_eq!(app.wait_synced(id).await, "DONE");
    let tickets = app
        .list_all("/api/ticketing/v1/tickets?page_size=10", &account_token)
        .await;
    assert!(tickets.len() > 30);
    app.list_all(
        "/api/ticketing/v1/comments?page_size=50&expand=user",
        &account_token,
    )
    .await;
    assert_eq!(app.resync(&account_token, id).await, "DONE");
    let dump_linked = pg_dump(&app.db.url);
    let (status, _) = app
        .post(
            "/api/ticketing/v1/delete-account",
            Some(&account_token),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200);
    let dump_deleted = pg_dump(&app.db.url);
    let api_key = app.api_key.clone();
    app.stop().await;

    let mut secrets = forms("Freshdesk key", &freshdesk_key);
    secrets.extend(forms("API key", &api_key));
    secrets.extend(forms("account token", &account_token));
    secrets.extend(forms("master key", &master));
    secrets.push((
        "master key (hex)".into(),
        hex(&STANDARD.decode(&master).expect("key bytes")),
    ));
    secrets.extend(forms("link token", &link_token));
    secrets.extend(forms("public token", &public_token));

    let text = String::from_utf8_lossy(&logs.lock().expect("logs")).to_string();
    // The capture is real: every layer spoke at TRACE/DEBUG.
    for target in [
        "sqlx::query",
        "tower_http::trace",
        "deskbridge_sync",
        "reqwest",
    ] {
        assert!(
            text.contains(target),
            "no log line of {target}: the capture is not complete"
        );
    }
    assert!(text.contains("TRACE"), "TRACE lines are captured");
    assert!(
        text.contains("route=/link/{link_token}"),
        "requests are logged by route, not by raw path"
    );
    eprintln!(
        "captured {} log lines; dumps of {} and {} bytes",
        text.lines().count(),
        dump_linked.len(),
        dump_deleted.len()
    );
    assert!(
        dump_linked.contains("COPY public.linked_accounts"),
        "the dump holds the linked account"
    );
    assert_eq!(
        found(&text, &secrets),
        Vec::<String>::new(),
        "secrets in the logs"
    );
    assert_eq!(
        found(&dump_linked, &secrets),
        Vec::<String>::new(),
        "secrets in the dump after linking"
    );
    assert_eq!(
        found(&dump_deleted, &secrets),
        Vec::<String>::new(),
        "secrets in the dump after deleting"
    );
}

/// Runs `deskbridge` (the binary) with these arguments and environment; its stdout.
fn cli(args: &[&str], env: &[(&str, &str)]) -> String {
    common::run_cli(args, env, &["DESKBRIDGE_MASTER_KEY_FILE"])
}

#[tokio::test]
async fn key_rotation_re_encrypts_and_the_app_works_with_the_new_key_only() {
    capture_logs();
    // No in-process worker: the first sync runs only after the rotation, under the new key.
    let app = TestApp::start_without_workers(sim()).await;
    let (token, id) = app.link(0).await;
    let sealed = |pool: sqlx::PgPool| async move {
        sqlx::query_as::<_, (Vec<u8>, Vec<u8>)>(
            "SELECT credentials, account_token FROM linked_accounts WHERE id = $1",
        )
        .bind(id)
        .fetch_one(&pool)
        .await
        .expect("sealed")
    };
    let before = sealed(app.db.pool.clone()).await;
    let old_key = app.master_key.clone();
    let new_key = MasterKey::generate();
    let dir = std::env::temp_dir().join(format!("deskbridge-rotate-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let new_file = dir.join("new.key");
    std::fs::write(&new_file, new_key.to_base64()).expect("write key");

    let db_env = [("DATABASE_URL", app.db.url.as_str())];
    let out = cli(
        &[
            "keys",
            "rotate",
            "--new-key-file",
            new_file.to_str().expect("path"),
        ],
        &[db_env[0], ("DESKBRIDGE_MASTER_KEY", &old_key.to_base64())],
    );
    assert!(
        out.contains("Re-encrypted the secrets of 1 linked accounts"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);

    // Re-encrypted: new ciphertexts, bound to their row (format 2), under the new key's version.
    let after = sealed(app.db.pool.clone()).await;
    assert_ne!(before, after);
    for blob in [&after.0, &after.1] {
        assert_eq!(blob[0], 2);
        assert_eq!(blob[1..5], new_key.version().to_be_bytes());
    }
    let old_only = Store::new(app.db.pool.clone(), Cipher::new(old_key));
    assert!(
        old_only.account_credentials(id).await.is_err(),
        "the old key no longer opens the credentials"
    );
    // Token hashes have a key of their own, which a rotation keeps: the token still works.
    let (status, _) = app
        .get("/api/ticketing/v1/account-details", Some(&token))
        .await;
    assert_eq!(status, 200, "the account token outlives the rotation");

    // A server with the new key only: the same token works and the worker can sync.
    let store = Store::new(app.db.pool.clone(), Cipher::new(new_key));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (tx, rx) = watch::channel(false);
    let factory =
        Arc::new(Registry::new().with(FreshdeskIntegration::new(vec![app.sim_host.clone()], 0.2)));
    let server = tokio::spawn(deskbridge::serve::run(
        store.clone(),
        factory,
        test_settings(),
        ApiConfig::default(),
        listener,
        1,
        rx,
    ));
    let get = |path: &str| {
        let req = app
            .http
            .get(format!("{base}{path}"))
            .bearer_auth(&app.api_key)
            .header("X-Account-Token", &token);
        async move {
            let res = req.send().await.expect("send");
            (
                res.status().as_u16(),
                res.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let mut synced = false;
    for _ in 0..600 {
        let runs = store.recent_runs(app.org, id, 5).await.expect("runs");
        if runs.iter().any(|r| r.status == "DONE") {
            synced = true;
            break;
        }
        assert!(
            !runs.iter().any(|r| r.status == "FAILED"),
            "the sync failed under the new key: {runs:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(synced, "the sync under the new key finished");
    let (status, tickets) = get("/api/ticketing/v1/tickets").await;
    assert_eq!(status, 200, "{tickets}");
    assert!(!tickets["results"].as_array().expect("results").is_empty());

    // The rotation and the command line's key changes are in the audit trail.
    let out = cli(
        &["api-key", "create", "--org", "test-org", "--name", "cli"],
        &db_env,
    );
    let key_id = out.split_whitespace().nth(3).expect("key id").to_string();
    cli(&["api-key", "revoke", &key_id], &db_env);
    let (status, trail) = get("/api/ticketing/v1/audit-trail").await;
    assert_eq!(status, 200, "{trail}");
    let events: Vec<(String, String)> = trail["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|e| {
            (
                e["event_type"].as_str().unwrap_or_default().into(),
                e["user_name"].as_str().unwrap_or_default().into(),
            )
        })
        .collect();
    let cli_events: Vec<&str> = events
        .iter()
        .filter(|(_, who)| who == "deskbridge CLI")
        .map(|(t, _)| t.as_str())
        .collect();
    assert_eq!(
        cli_events,
        [
            "END_USER_CREDENTIALS_ACCESSED",
            "CREATED_REMOTE_PRODUCTION_API_KEY",
            "DELETED_REMOTE_PRODUCTION_API_KEY"
        ],
        "{events:?}"
    );
    let _ = tx.send(true);
    let _ = server.await;
    app.stop().await;
}
