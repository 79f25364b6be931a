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
use uuid::Uuid;

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

/// Options of the simulator process.
#[derive(Debug, Clone, Args)]
pub struct SimArgs {
    /// Port.
    #[arg(long)]
    pub port: u16,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Accounts.
    #[arg(long, default_value_t = 1)]
    pub accounts: usize,
    /// Tickets per account.
    #[arg(long, default_value_t = 100)]
    pub tickets: usize,
    /// Average conversations per ticket.
    #[arg(long, default_value_t = 4.0)]
    pub conversations_per_ticket: f64,
    /// Contacts per account.
    #[arg(long)]
    pub contacts: Option<usize>,
    /// Plan (unthrottled when unset).
    #[arg(long)]
    pub plan: Option<Plan>,
    /// Time scale of the rate-limit clock.
    #[arg(long, default_value_t = 1.0)]
    pub time_scale: f64,
    /// Also print `counts SUB JSON` per account: what a full sync must read.
    #[arg(long)]
    pub counts: bool,
}

/// What a full sync of an account must read, from the simulator's snapshot.
fn data_counts(sim: &Simulator, sub: &str) -> anyhow::Result<Value> {
    let s = sim
        .control()
        .snapshot(sub)
        .map_err(|e| anyhow::anyhow!("snapshot: {e:?}"))?;
    let flag = |v: &Value, k: &str| v[k].as_bool().unwrap_or(false);
    let (mut live, mut deleted, mut spam, mut conv_pages, mut conversations) =
        (0u64, 0u64, 0u64, 0u64, 0u64);
    for t in &s.tickets {
        if flag(t, "deleted") {
            deleted += 1;
        } else if flag(t, "spam") {
            spam += 1;
        } else {
            live += 1;
            let id = t["id"].as_i64().unwrap_or_default();
            let c = s.conversations.get(&id).map(Vec::len).unwrap_or(0) as u64;
            conversations += c;
            // Pages follow while a page is full: c/100 + 1 calls.
            conv_pages += c / 100 + 1;
        }
    }
    let (mut c_live, mut c_blocked, mut c_deleted) = (0u64, 0u64, 0u64);
    for c in &s.contacts {
        if flag(c, "deleted") {
            c_deleted += 1;
        } else if flag(c, "blocked") {
            c_blocked += 1;
        } else {
            c_live += 1;
        }
    }
    Ok(json!({
        "tickets_live": live, "tickets_deleted": deleted, "tickets_spam": spam,
        "conversations": conversations, "conversation_pages": conv_pages,
        "contacts_live": c_live, "contacts_blocked": c_blocked, "contacts_deleted": c_deleted,
        "agents": s.agents.len(), "groups": s.groups.len(), "roles": s.roles.len(),
        "companies": s.companies.len(),
    }))
}

/// Serves a simulator until killed; prints `account SUB KEY BASE_URL` per account, then `ready`.
pub async fn run_sim(a: SimArgs) -> anyhow::Result<()> {
    let sim = Simulator::new(SimConfig {
        seed: a.seed,
        accounts: a.accounts,
        tickets: a.tickets,
        conversations_per_ticket: a.conversations_per_ticket,
        contacts: a.contacts,
        plan: a.plan,
        time_scale: a.time_scale,
        ..SimConfig::default()
    });
    let handle = sim.spawn(format!("127.0.0.1:{}", a.port).parse()?).await?;
    let mut out = std::io::stdout().lock();
    for acc in sim.accounts() {
        writeln!(
            out,
            "account {} {} {}",
            acc.subdomain, acc.api_key, handle.base_url
        )?;
        if a.counts {
            writeln!(
                out,
                "counts {} {}",
                acc.subdomain,
                data_counts(&sim, &acc.subdomain)?
            )?;
        }
    }
    writeln!(out, "ready")?;
    out.flush()?;
    drop(out);
    std::future::pending::<()>().await;
    Ok(())
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

/// One simulated account.
#[derive(Debug, Clone)]
pub struct SimAccount {
    /// Subdomain (`sim1`, …).
    pub subdomain: String,
    /// API key.
    pub api_key: String,
}

/// A simulator process.
pub struct SimProc {
    /// The process (killed when this is dropped).
    pub _proc: Proc,
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// Its accounts.
    pub accounts: Vec<SimAccount>,
    /// With `--counts`: what a full sync of each account must read.
    pub counts: std::collections::HashMap<String, Value>,
}

impl SimProc {
    /// The simulator's counters of an account (`requests`, `credits`, `rate_limited`).
    pub async fn counters(&self, http: &reqwest::Client, sub: &str) -> anyhow::Result<Value> {
        Ok(http
            .get(format!("{}/_sim/accounts/{sub}/counters", self.base_url))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?)
    }

    /// Resets an account's counters (and its rate window).
    pub async fn reset_counters(&self, http: &reqwest::Client, sub: &str) -> anyhow::Result<()> {
        http.post(format!(
            "{}/_sim/accounts/{sub}/counters/reset",
            self.base_url
        ))
        .send()
        .await?
        .error_for_status()?;
        Ok(())
    }
}

/// Starts a simulator process and waits until it serves.
pub fn spawn_sim(a: &SimArgs) -> anyhow::Result<SimProc> {
    let exe = std::env::current_exe()?;
    let mut cmd = Command::new(exe);
    cmd.arg("sim")
        .arg("--port")
        .arg(a.port.to_string())
        .arg("--seed")
        .arg(a.seed.to_string())
        .arg("--accounts")
        .arg(a.accounts.to_string())
        .arg("--tickets")
        .arg(a.tickets.to_string())
        .arg("--conversations-per-ticket")
        .arg(a.conversations_per_ticket.to_string())
        .arg("--time-scale")
        .arg(a.time_scale.to_string());
    if let Some(c) = a.contacts {
        cmd.arg("--contacts").arg(c.to_string());
    }
    if let Some(p) = a.plan {
        cmd.arg("--plan").arg(p.name());
    }
    if a.counts {
        cmd.arg("--counts");
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .env("RUST_LOG", "error")
        .spawn()?;
    let stdout = child.stdout.take().context("simulator stdout")?;
    let proc = Proc { child };
    let mut accounts = Vec::new();
    let mut counts = std::collections::HashMap::new();
    let mut base_url = String::new();
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        let parts: Vec<&str> = line.split_whitespace().collect();
        match parts.as_slice() {
            ["account", sub, key, url] => {
                accounts.push(SimAccount {
                    subdomain: sub.to_string(),
                    api_key: key.to_string(),
                });
                base_url = url.to_string();
            }
            ["counts", sub, data] => {
                counts.insert(sub.to_string(), serde_json::from_str(data)?);
            }
            ["ready"] => break,
            _ => {}
        }
    }
    if accounts.is_empty() {
        bail!("the simulator did not start");
    }
    Ok(SimProc {
        _proc: proc,
        base_url,
        accounts,
        counts,
    })
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
    pub org: Uuid,
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
    let org: Uuid = sqlx::query_scalar("SELECT id FROM organizations WHERE name = 'bench'")
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
    let exe = std::env::current_exe()?;
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
    let port = free_port()?;
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
) -> anyhow::Result<(String, Uuid)> {
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

/// A finished sync run.
#[derive(Debug, Clone)]
pub struct Run {
    /// `DONE` or `FAILED`.
    pub status: String,
    /// Its wall time (started → finished, by the database clock).
    pub secs: f64,
    /// Calls, credits and 429s the worker counted.
    pub calls: i64,
    /// Credits spent.
    pub credits: i64,
    /// 429s met.
    pub rate_limited: i64,
    /// Per-model counts.
    pub counts: Value,
}

/// Waits until the account has `n` finished runs and no active job; returns the latest.
/// `tick` is called about every second while waiting.
pub async fn wait_runs(
    pool: &PgPool,
    la: Uuid,
    n: i64,
    timeout: Duration,
    mut tick: impl FnMut(),
) -> anyhow::Result<Run> {
    let until = Instant::now() + timeout;
    let mut last_tick = Instant::now();
    loop {
        let finished: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM sync_runs WHERE linked_account_id = $1 AND finished_at IS NOT NULL",
        )
        .bind(la)
        .fetch_one(pool)
        .await?;
        let active: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM jobs WHERE linked_account_id = $1 AND status IN ('queued','running')",
        )
        .bind(la)
        .fetch_one(pool)
        .await?;
        if finished >= n && active == 0 {
            let (status, secs, calls, credits, rate_limited, counts): (String, f64, i64, i64, i64, Value) =
                sqlx::query_as(
                    "SELECT status, extract(epoch FROM finished_at - started_at)::float8, calls, credits,
                            rate_limited, counts
                     FROM sync_runs WHERE linked_account_id = $1 ORDER BY started_at DESC LIMIT 1",
                )
                .bind(la)
                .fetch_one(pool)
                .await?;
            return Ok(Run {
                status,
                secs,
                calls,
                credits,
                rate_limited,
                counts,
            });
        }
        if Instant::now() > until {
            bail!("the sync did not finish within {timeout:?}");
        }
        if last_tick.elapsed() >= Duration::from_secs(1) {
            tick();
            last_tick = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// `VmHWM` and `VmRSS` of a process in MiB.
pub fn memory_mib(pid: u32) -> Option<(f64, f64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
    };
    Some((field("VmHWM:")?, field("VmRSS:")?))
}

/// Rows of every model table of a linked account (shells included).
pub async fn record_rows(pool: &PgPool, la: Uuid) -> anyhow::Result<i64> {
    let mut total = 0;
    for t in [
        "tickets",
        "comments",
        "users",
        "contacts",
        "accounts",
        "teams",
        "tags",
        "roles",
        "attachments",
        "collections",
        "projects",
    ] {
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM {t} WHERE linked_account_id = $1"
        )))
        .bind(la)
        .fetch_one(pool)
        .await?;
        total += n;
    }
    Ok(total)
}

/// The number of CPUs, for the results.
pub fn cpus() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// Appends one result (with the machine and the time) to `results.jsonl` and prints it.
pub fn record(g: &Global, bench: &str, mut result: Value) -> anyhow::Result<()> {
    std::fs::create_dir_all(&g.state_dir)?;
    if let Value::Object(m) = &mut result {
        m.insert("bench".into(), json!(bench));
        m.insert("cpus".into(), json!(cpus()));
        m.insert("loadavg_1m_at_end".into(), json!(loadavg()));
        m.insert("at".into(), json!(chrono::Utc::now().to_rfc3339()));
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(g.state_dir.join("results.jsonl"))?;
    writeln!(f, "{result}")?;
    println!("{}", serde_json::to_string_pretty(&result)?);
    Ok(())
}

/// Connections to database `name` right now (pg_stat_activity).
pub async fn db_connections(pool: &PgPool, name: &str) -> anyhow::Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = $1")
            .bind(name)
            .fetch_one(pool)
            .await?,
    )
}

/// The 1-minute load average (other work on the machine shows here).
pub fn loadavg() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|t| t.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(0.0)
}
