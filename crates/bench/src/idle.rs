//! Idle accounts: what an incremental sync costs when nothing changed.
//!
//! 1. One account with `--agents` agents and `--contacts` contacts is synced once, then
//!    synced again with nothing changed: calls and credits per stream (counting proxy), from
//!    which the credits an idle account costs per hour at the default interval follow.
//! 2. `--accounts` small accounts are linked and synced once; then every one of them is
//!    synced again at the same moment by one `deskbridge worker` process (default
//!    `--workers`), each provider call delayed by `--latency-ms` (the round trip to a real
//!    helpdesk): idle syncs per second, hence how many idle accounts one worker process keeps
//!    fresh at the default interval.

use std::time::{Duration, Instant};

use clap::Args;
use serde_json::{Value, json};

use crate::common::{self, Global, SimArgs};
use crate::ingest::round;
use crate::proxy;

/// The default interval between incremental syncs of an account (`DESKBRIDGE_SYNC_INTERVAL_SECS`).
const INTERVAL_SECS: f64 = 300.0;

/// Options of `idle`.
#[derive(Debug, Clone, Args)]
pub struct IdleArgs {
    /// Common options.
    #[command(flatten)]
    pub global: Global,
    /// Agents of the big idle account.
    #[arg(long, default_value_t = 500)]
    pub agents: usize,
    /// Contacts of the big idle account.
    #[arg(long, default_value_t = 50_000)]
    pub contacts: usize,
    /// Tickets of the big idle account.
    #[arg(long, default_value_t = 2_000)]
    pub tickets: usize,
    /// Small accounts of the capacity phase (0: skip it).
    #[arg(long, default_value_t = 200)]
    pub accounts: usize,
    /// Delay added to every provider call of the capacity phase, in milliseconds.
    #[arg(long, default_value_t = 100)]
    pub latency_ms: u64,
    /// Workers (concurrent jobs) of the one worker process of the capacity phase.
    #[arg(long, default_value_t = 2)]
    pub workers: usize,
}

impl IdleArgs {
    /// The defaults with these common options.
    pub fn with_global(global: Global) -> Self {
        IdleArgs {
            global,
            agents: 500,
            contacts: 50_000,
            tickets: 2_000,
            accounts: 200,
            latency_ms: 100,
            workers: 2,
        }
    }
}

fn tally_json(t: &proxy::Tally) -> Value {
    Value::Object(
        t.iter()
            .map(|(k, (calls, credits))| (k.clone(), json!({"calls": calls, "credits": credits})))
            .collect(),
    )
}

/// Asks for a sync of an account now (`POST /sync-status/resync`).
async fn resync(
    http: &reqwest::Client,
    base: &str,
    api_key: &str,
    token: &str,
) -> anyhow::Result<()> {
    let res = http
        .post(format!("{base}/api/ticketing/v1/sync-status/resync"))
        .bearer_auth(api_key)
        .header("X-Account-Token", token)
        .json(&json!({}))
        .send()
        .await?;
    anyhow::ensure!(res.status().is_success(), "resync: {}", res.status());
    Ok(())
}

/// Phase 1: the big account's unchanged incremental sync, per stream.
async fn big_account(a: &IdleArgs) -> anyhow::Result<Value> {
    let g = &a.global;
    let db = common::fresh_db(g, "deskbridge_bench_idle").await?;
    println!(
        "generating {} agents, {} contacts, {} tickets…",
        a.agents, a.contacts, a.tickets
    );
    let sim = common::spawn_sim(&SimArgs {
        port: common::free_port()?,
        seed: 9,
        accounts: 1,
        tickets: a.tickets,
        conversations_per_ticket: 1.0,
        contacts: Some(a.contacts),
        agents: Some(a.agents),
        plan: None,
        time_scale: 1.0,
        counts: false,
    })?;
    let acc = sim.accounts[0].clone();
    let proxy = proxy::start(&sim.base_url).await?;
    let env = [("DESKBRIDGE_ALLOW_PROVIDER_HOSTS", proxy.base_url.clone())];
    let (_api, base) = common::spawn_api(&db, &env).await?;
    let http = reqwest::Client::new();
    let (token, la) =
        common::link(&http, &base, &db.api_key, &proxy.base_url, &acc, "idle-big").await?;
    let _worker = common::spawn_deskbridge(&db, &["worker", "--workers", "1"], &env)?;
    println!("initial sync…");
    let first = common::wait_runs(&db.pool, la, 1, Duration::from_secs(3600), || {}).await?;
    let initial = proxy.take();
    let mut idle = Vec::new();
    // Two unchanged syncs: the first after the initial one, and one more (what every later
    // interval costs).
    for n in 2..=3 {
        sim.reset_counters(&http, &acc.subdomain).await?;
        proxy.take();
        resync(&http, &base, &db.api_key, &token).await?;
        let run = common::wait_runs(&db.pool, la, n, Duration::from_secs(600), || {}).await?;
        let streams = proxy.take();
        let counters = sim.counters(&http, &acc.subdomain).await?;
        let credits = counters["credits"].as_u64().unwrap_or(0);
        idle.push(json!({
            "run_status": run.status,
            "run_secs": round(run.secs),
            "requests": counters["requests"],
            "credits": credits,
            "credits_per_hour_at_default_interval": credits as f64 * 3600.0 / INTERVAL_SECS,
            "streams": tally_json(&streams),
        }));
    }
    Ok(json!({
        "agents": a.agents,
        "contacts": a.contacts,
        "tickets": a.tickets,
        "initial_run_status": first.status,
        "initial_run_secs": round(first.secs),
        "initial_streams": tally_json(&initial),
        "unchanged_incremental": idle,
    }))
}

/// Phase 2: every small account synced again at once by one worker process.
async fn capacity(a: &IdleArgs) -> anyhow::Result<Value> {
    let g = &a.global;
    let db = common::fresh_db(g, "deskbridge_bench_idle_many").await?;
    let sim = common::spawn_sim(&SimArgs {
        port: common::free_port()?,
        seed: 5,
        accounts: a.accounts,
        tickets: 20,
        conversations_per_ticket: 2.0,
        contacts: Some(10),
        agents: None,
        plan: None,
        time_scale: 1.0,
        counts: false,
    })?;
    let proxy =
        proxy::start_with_latency(&sim.base_url, Duration::from_millis(a.latency_ms)).await?;
    let env = [("DESKBRIDGE_ALLOW_PROVIDER_HOSTS", proxy.base_url.clone())];
    let (_api, base) = common::spawn_api(&db, &env).await?;
    let http = reqwest::Client::new();
    let mut linked: Vec<(String, deskbridge_store::LinkedAccountId)> =
        Vec::with_capacity(a.accounts);
    println!("linking {} small accounts…", a.accounts);
    for (i, acc) in sim.accounts.iter().enumerate() {
        linked.push(
            common::link(
                &http,
                &base,
                &db.api_key,
                &proxy.base_url,
                acc,
                &format!("idle-{i}"),
            )
            .await?,
        );
    }
    let _worker =
        common::spawn_deskbridge(&db, &["worker", "--workers", &a.workers.to_string()], &env)?;
    println!("initial syncs…");
    wait_all(&db.pool, a.accounts as i64, 1).await?;
    proxy.take();
    for acc in &sim.accounts {
        sim.reset_counters(&http, &acc.subdomain).await?;
    }
    println!("every account synced again at once…");
    let started = Instant::now();
    for (token, _) in &linked {
        resync(&http, &base, &db.api_key, token).await?;
    }
    wait_all(&db.pool, a.accounts as i64, 2).await?;
    let secs = started.elapsed().as_secs_f64();
    let streams = proxy.take();
    let calls: u64 = streams.values().map(|(c, _)| c).sum();
    let credits: u64 = streams.values().map(|(_, c)| c).sum();
    let not_done: i64 = sqlx::query_scalar("SELECT count(*) FROM sync_runs WHERE status <> 'DONE'")
        .fetch_one(&db.pool)
        .await?;
    let per_sec = a.accounts as f64 / secs;
    Ok(json!({
        "accounts": a.accounts,
        "latency_ms": a.latency_ms,
        "workers": a.workers,
        "secs_for_all_idle_syncs": round(secs),
        "idle_syncs_per_sec": round(per_sec),
        "calls_per_idle_sync": round(calls as f64 / a.accounts as f64),
        "credits_per_idle_sync": round(credits as f64 / a.accounts as f64),
        "accounts_kept_fresh_at_default_interval": (per_sec * INTERVAL_SECS).floor(),
        "runs_not_done": not_done,
        "streams": tally_json(&streams),
    }))
}

/// Waits until every account has `n` finished runs and no job is queued or running.
async fn wait_all(pool: &deskbridge_store::PgPool, accounts: i64, n: i64) -> anyhow::Result<()> {
    let until = Instant::now() + Duration::from_secs(3600);
    loop {
        let done: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM (SELECT linked_account_id FROM sync_runs
               WHERE finished_at IS NOT NULL GROUP BY linked_account_id HAVING count(*) >= $1) x",
        )
        .bind(n)
        .fetch_one(pool)
        .await?;
        let active: i64 =
            sqlx::query_scalar("SELECT count(*) FROM jobs WHERE status IN ('queued','running')")
                .fetch_one(pool)
                .await?;
        if done >= accounts && active == 0 {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < until,
            "runs did not finish ({done}/{accounts})"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `deskbridge-bench idle`.
pub async fn run(a: IdleArgs) -> anyhow::Result<()> {
    let big = big_account(&a).await?;
    let mut result = json!({
        "command": format!(
            "deskbridge-bench idle --agents {} --contacts {} --tickets {} --accounts {} --latency-ms {} --workers {}",
            a.agents, a.contacts, a.tickets, a.accounts, a.latency_ms, a.workers
        ),
        "big": big,
    });
    println!(
        "{}",
        serde_json::to_string_pretty(&result["big"]).unwrap_or_default()
    );
    if a.accounts > 0 {
        result["capacity"] = capacity(&a).await?;
    }
    common::record(&a.global, "idle", result)
}
