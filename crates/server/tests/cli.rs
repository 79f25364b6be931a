//! The command line checks before it changes anything, and every failure names its cause and
//! the fix: a master key that does not fit the database, a busy port, a second demo.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use deskbridge_testkit::TestDb;
use serde_json::Value;

/// A scratch folder for one command's home and output, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        let dir = std::env::temp_dir().join(format!("deskbridge-cli-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `deskbridge ARGS` on the test's database with its own home; output kept in files.
fn deskbridge(db: &TestDb, home: &Path, out: &Path, args: &[&str]) -> Child {
    std::fs::create_dir_all(out).expect("out dir");
    Command::new(env!("CARGO_BIN_EXE_deskbridge"))
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env("DESKBRIDGE_HOME", home)
        .env("RUST_LOG", "warn")
        .env_remove("DESKBRIDGE_MASTER_KEY")
        .env_remove("DESKBRIDGE_MASTER_KEY_FILE")
        .env_remove("DESKBRIDGE_LISTEN")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(out.join("stdout")).expect("stdout file"))
        .stderr(std::fs::File::create(out.join("stderr")).expect("stderr file"))
        .spawn()
        .expect("start deskbridge")
}

fn read(path: PathBuf) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// A demo on any free port; returns it once its credentials file is written.
fn ready_demo(db: &TestDb, home: &Path, out: &Path, extra: &[&str]) -> (Child, Value) {
    let creds = out.join("credentials.json");
    let creds_arg = creds.to_string_lossy().into_owned();
    let mut args = vec![
        "demo",
        "--listen",
        "127.0.0.1:0",
        "--tickets",
        "5",
        "--credentials-file",
        &creds_arg,
    ];
    args.extend_from_slice(extra);
    let mut child = deskbridge(db, home, out, &args);
    let start = Instant::now();
    loop {
        if let Ok(text) = std::fs::read_to_string(&creds) {
            return (
                child,
                serde_json::from_str(&text).expect("credentials JSON"),
            );
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("demo exited ({status}): {}", read(out.join("stderr")));
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "demo not ready: {}",
            read(out.join("stderr"))
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Waits for a command that must fail; returns its exit status and standard error.
fn failed(mut child: Child, out: &Path) -> (ExitStatus, String) {
    let start = Instant::now();
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return (status, read(out.join("stderr")));
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("still running after 60 s: {}", read(out.join("stdout")));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn stop(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

fn db_name(db: &TestDb) -> String {
    db.url.rsplit('/').next().unwrap_or_default().to_string()
}

#[tokio::test]
async fn a_master_key_that_does_not_fit_stops_with_the_ways_out() {
    let db = TestDb::new().await;
    let (a, b) = (Scratch::new(), Scratch::new());
    let (first, _) = ready_demo(&db, &a.0.join("home"), &a.0.join("run1"), &[]);
    stop(first);

    // Another home: another generated key, the same database.
    let home_b = b.0.join("home");
    let out = b.0.join("run1");
    let demo = deskbridge(
        &db,
        &home_b,
        &out,
        &["demo", "--listen", "127.0.0.1:0", "--tickets", "5"],
    );
    let (status, err) = failed(demo, &out);
    assert!(!status.success());
    let key_file = home_b.join("master.key").display().to_string();
    for needle in [
        "the master key does not fit",
        &format!("database `{}`", db_name(&db)),
        key_file.as_str(),
        "DESKBRIDGE_MASTER_KEY_FILE",
        "DATABASE_URL",
        "deskbridge demo --reset",
    ] {
        assert!(err.contains(needle), "{needle:?} missing from: {err}");
    }
    assert!(!err.contains("internal error"), "{err}");

    // `serve` with that key says the same, before it serves anything.
    let out = b.0.join("serve");
    let key_arg = key_file.clone();
    let serve = deskbridge(
        &db,
        &home_b,
        &out,
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--master-key-file",
            &key_arg,
        ],
    );
    let (status, err) = failed(serve, &out);
    assert!(!status.success());
    assert!(err.contains("the master key does not fit"), "{err}");
    assert!(err.contains(&key_file), "{err}");

    // The documented way out: the demo starts afresh and serves its new account.
    let (demo, creds) = ready_demo(&db, &home_b, &b.0.join("run2"), &["--reset"]);
    let base = creds["base_url"].as_str().expect("base_url");
    let res = client()
        .get(format!("{base}/api/ticketing/v1/tickets"))
        .bearer_auth(creds["api_key"].as_str().expect("api_key"))
        .header(
            "X-Account-Token",
            creds["account_token"].as_str().expect("token"),
        )
        .send()
        .await
        .expect("tickets");
    assert_eq!(res.status(), 200);
    stop(demo);
}

#[tokio::test]
async fn a_busy_port_is_reported_before_anything_changes() {
    let db = TestDb::new().await;
    let s = Scratch::new();
    let busy = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = busy.local_addr().expect("addr").to_string();
    for cmd in ["demo", "serve"] {
        let out = s.0.join(cmd);
        let mut args = vec![cmd, "--listen", &addr];
        if cmd == "serve" {
            args.extend([
                "--master-key",
                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            ]);
        }
        let (status, err) = failed(deskbridge(&db, &s.0.join("home"), &out, &args), &out);
        assert!(!status.success());
        assert!(
            err.contains(&format!("cannot listen on {addr}")),
            "{cmd}: {err}"
        );
        assert!(err.contains("already in use"), "{cmd}: {err}");
        assert!(err.contains("--listen"), "{cmd}: {err}");
    }
    let (orgs,): (i64,) = sqlx::query_as("SELECT count(*) FROM organizations")
        .fetch_one(&db.pool)
        .await
        .expect("count");
    assert_eq!(orgs, 0, "nothing was created");
    drop(busy);
}

#[tokio::test]
async fn a_second_demo_on_the_same_database_refuses_and_leaves_the_first_alone() {
    let db = TestDb::new().await;
    let s = Scratch::new();
    let home = s.0.join("home");
    let (first, creds) = ready_demo(&db, &home, &s.0.join("first"), &[]);
    let domain = creds["freshdesk"]["domain"]
        .as_str()
        .expect("domain")
        .to_string();

    let out = s.0.join("second");
    let second = deskbridge(
        &db,
        &home,
        &out,
        &["demo", "--listen", "127.0.0.1:0", "--tickets", "5"],
    );
    let (status, err) = failed(second, &out);
    assert!(!status.success());
    assert!(
        err.contains("another `deskbridge demo` is running"),
        "{err}"
    );
    assert!(err.contains("DATABASE_URL"), "{err}");

    let zendesk = creds["zendesk"]["subdomain"]
        .as_str()
        .expect("zendesk subdomain")
        .to_string();
    let mut subdomains: Vec<(String,)> = sqlx::query_as("SELECT subdomain FROM linked_accounts")
        .fetch_all(&db.pool)
        .await
        .expect("accounts");
    subdomains.sort();
    let mut expected = vec![(domain,), (zendesk,)];
    expected.sort();
    assert_eq!(
        subdomains, expected,
        "the first demo's account is untouched"
    );
    let base = creds["base_url"].as_str().expect("base_url");
    let res = client()
        .get(format!("{base}/api/ticketing/v1/sync-status"))
        .bearer_auth(creds["api_key"].as_str().expect("api_key"))
        .header(
            "X-Account-Token",
            creds["account_token"].as_str().expect("token"),
        )
        .send()
        .await
        .expect("sync status");
    assert_eq!(res.status(), 200);
    stop(first);
}
