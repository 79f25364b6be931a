//! What every benchmark uses: processes (simulator, `serve`, `worker`), a benchmark database,
//! linking, waiting for runs, memory readings and the results file.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use deskbridge_freshdesk_sim::{Plan, SimConfig, Simulator};
use deskbridge_store::{Cipher, MasterKey, PgPool, Store};
use serde_json::{Value, json};
use sqlx::{Connection, PgConnection};

mod measure;
mod sim;

pub use measure::*;
pub use sim::*;

/// Options every benchmark takes.
#[derive(Debug, Clone, Args)]
pub struct Global {
    /// A server-level PostgreSQL URL; benchmark databases are created on it.
    #[arg(
        long,
        env = "BENCH_PG_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pub pg: String,
    /// Where state (credentials of reusable databases) and `results.jsonl` are kept.
    #[arg(long, default_value = "target/bench")]
    pub state_dir: PathBuf,
}

impl Default for Global {
    fn default() -> Self {
        Global {
            pg: "postgres://postgres@127.0.0.1:5432/postgres".into(),
            state_dir: PathBuf::from("target/bench"),
        }
    }
}

/// A child process, killed when dropped.
pub struct Proc {
    /// The process.
    pub child: Child,
}

impl Proc {
    /// Its pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free local port.
pub fn free_port() -> anyhow::Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

/// A benchmark database with an organization, an API key and a master key.
pub struct BenchDb {
    /// Its URL.
    pub url: String,
    /// Its name.
    pub name: String,
    /// A small pool for the benchmark's own queries.
    pub pool: PgPool,
    /// The master key (base64).
    pub master_key: String,
    /// The organization.
    pub org: deskbridge_store::OrgId,
    /// An API key of the organization.
    pub api_key: String,
}

/// Creates database `name` afresh (dropping an old one), migrated, with an org and a key.
pub async fn fresh_db(g: &Global, name: &str) -> anyhow::Result<BenchDb> {
    let mut conn = PgConnection::connect(&g.pg)
        .await
        .context("connect to PostgreSQL (--pg)")?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut conn)
        .await?;
    let url = deskbridge_store::pg::with_database(&g.pg, name);
    let pool = deskbridge_store::connect(&url, 4).await?;
    deskbridge_store::migrate(&pool).await?;
    let key = MasterKey::generate();
    let store = Store::new(pool.clone(), Cipher::new(key.clone()));
    let org = store.ensure_organization("bench").await?;
    let api = store.create_api_key(org.id, "bench").await?;
    Ok(BenchDb {
        url,
        name: name.to_string(),
        pool,
        master_key: key.to_base64(),
        org: org.id,
        api_key: api.key,
    })
}

/// Drops a benchmark database (its processes stopped first).
pub async fn drop_db(g: &Global, name: &str) -> anyhow::Result<()> {
    let mut conn = PgConnection::connect(&g.pg)
        .await
        .context("connect to PostgreSQL (--pg)")?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await?;
    Ok(())
}

/// Opens an existing benchmark database with known credentials.
pub async fn open_db(
    g: &Global,
    name: &str,
    master_key: &str,
    api_key: &str,
) -> anyhow::Result<BenchDb> {
    let url = deskbridge_store::pg::with_database(&g.pg, name);
    let pool = deskbridge_store::connect(&url, 4).await?;
    MasterKey::from_base64(master_key).map_err(|e| anyhow::anyhow!("master key: {e}"))?;
    let org: deskbridge_store::OrgId =
        sqlx::query_scalar("SELECT id FROM organizations WHERE name = 'bench'")
            .fetch_one(&pool)
            .await?;
    Ok(BenchDb {
        url,
        name: name.to_string(),
        pool,
        master_key: master_key.to_string(),
        org,
        api_key: api_key.to_string(),
    })
}

/// Starts `deskbridge <args>` (this binary's `server` command) on the database.
pub fn spawn_deskbridge(
    db: &BenchDb,
    args: &[&str],
    env: &[(&str, String)],
) -> anyhow::Result<Proc> {
    spawn_deskbridge_exe(&std::env::current_exe()?, db, args, env)
}

/// [`spawn_deskbridge`] with the `server` command of another `deskbridge-bench` build (`exe`),
/// so that a previous build's API can be measured beside this one's on the same database.
pub fn spawn_deskbridge_exe(
    exe: &std::path::Path,
    db: &BenchDb,
    args: &[&str],
    env: &[(&str, String)],
) -> anyhow::Result<Proc> {
    let mut cmd = Command::new(exe);
    cmd.arg("server")
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env("DESKBRIDGE_MASTER_KEY", &db.master_key)
        .env("DESKBRIDGE_SYNC_INTERVAL_SECS", "86400")
        .env(
            "RUST_LOG",
            std::env::var("BENCH_RUST_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdout(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    Ok(Proc {
        child: cmd.spawn()?,
    })
}

/// `deskbridge serve --workers 0` on a free port; returns the process and its base URL once ready.
pub async fn spawn_api(db: &BenchDb, env: &[(&str, String)]) -> anyhow::Result<(Proc, String)> {
    spawn_api_at(db, env, free_port()?).await
}

/// [`spawn_api`] on a given port (when something must know the API's address before it starts).
pub async fn spawn_api_at(
    db: &BenchDb,
    env: &[(&str, String)],
    port: u16,
) -> anyhow::Result<(Proc, String)> {
    let listen = format!("127.0.0.1:{port}");
    let proc = spawn_deskbridge(
        db,
        &[
            "serve",
            "--workers",
            "0",
            "--no-migrate",
            "--listen",
            &listen,
        ],
        env,
    )?;
    let base = format!("http://{listen}");
    let http = reqwest::Client::new();
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(r) = http.get(format!("{base}/health/ready")).send().await
            && r.status().is_success()
        {
            return Ok((proc, base));
        }
        if Instant::now() > until {
            bail!("deskbridge serve did not become ready");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Links a simulator account through the API; returns (account token, linked account id).
pub async fn link(
    http: &reqwest::Client,
    base: &str,
    api_key: &str,
    sim_base: &str,
    acc: &SimAccount,
    origin: &str,
) -> anyhow::Result<(String, deskbridge_store::LinkedAccountId)> {
    let res = http
        .post(format!("{base}/api/ticketing/v1/linked-accounts"))
        .bearer_auth(api_key)
        .json(&json!({
            "integration": "freshdesk",
            "end_user_origin_id": origin,
            "end_user_organization_name": format!("Customer {origin}"),
            "end_user_email_address": format!("admin@{origin}.example"),
            "credentials": {"domain": sim_base, "api_key": acc.api_key},
        }))
        .send()
        .await?;
    let status = res.status();
    let body: Value = res.json().await?;
    if !status.is_success() {
        bail!("linking failed: {status} {body}");
    }
    let token = body["account_token"]
        .as_str()
        .context("account_token")?
        .to_string();
    let id = body["linked_account"]["id"]
        .as_str()
        .context("id")?
        .parse()?;
    Ok((token, id))
}
