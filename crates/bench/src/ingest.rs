//! Ingestion: `--accounts` linked accounts of `--tickets` tickets each, synced from an
//! unthrottled simulator process by one `deskbridge worker` process (one worker slot per
//! account); normalised rows written per second, the CPU each process spent per row, and the
//! worker's peak memory (VmHWM), with RSS samples to show whether memory stays flat.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;
use serde_json::json;

use crate::common::{self, Global, SimArgs};

/// Options of `ingest`.
#[derive(Debug, Clone, Args)]
pub struct IngestArgs {
    /// Common options.
    #[command(flatten)]
    pub global: Global,
    /// Tickets in each account.
    #[arg(long, default_value_t = 100_000)]
    pub tickets: usize,
    /// Average conversations per ticket.
    #[arg(long, default_value_t = 4.0)]
    pub conversations_per_ticket: f64,
    /// Contacts per account (default: tickets / 2).
    #[arg(long)]
    pub contacts: Option<usize>,
    /// Accounts synced at the same time by the one worker process (one slot each).
    #[arg(long, default_value_t = 1)]
    pub accounts: usize,
    /// The database (recreated); `read` reuses it.
    #[arg(long, default_value = "deskbridge_bench_100k")]
    pub db_name: String,
    /// Another `deskbridge-bench` build whose `server worker` does the sync (a previous
    /// build, measured beside this one on the same data).
    #[arg(long)]
    pub server_exe: Option<PathBuf>,
}

impl IngestArgs {
    /// The defaults with these common options.
    pub fn with_global(global: Global) -> Self {
        IngestArgs {
            global,
            tickets: 100_000,
            conversations_per_ticket: 4.0,
            contacts: None,
            accounts: 1,
            db_name: "deskbridge_bench_100k".into(),
            server_exe: None,
        }
    }
}

/// What an ingestion produced, for `read` to reuse.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Ingested {
    /// Database name.
    pub db_name: String,
    /// Master key (base64).
    pub master_key: String,
    /// API key.
    pub api_key: String,
    /// Account token.
    pub account_token: String,
    /// Linked account id.
    pub linked_account: deskbridge_store::LinkedAccountId,
    /// Organization id.
    pub org: deskbridge_store::OrgId,
    /// Tickets synced.
    pub tickets: usize,
}

/// Runs the benchmark; returns what `read` needs to reuse the database (its first account).
pub async fn ingest(a: &IngestArgs) -> anyhow::Result<Ingested> {
    let g = &a.global;
    let n = a.accounts.max(1);
    let db = common::fresh_db(g, &a.db_name).await?;
    println!("generating the simulator's {n} × {} tickets…", a.tickets);
    let sim = common::spawn_sim(&SimArgs {
        port: common::free_port()?,
        seed: 1,
        accounts: n,
        tickets: a.tickets,
        conversations_per_ticket: a.conversations_per_ticket,
        contacts: a.contacts,
        agents: None,
        plan: None,
        time_scale: 1.0,
        counts: false,
    })?;
    let env = [("DESKBRIDGE_ALLOW_PROVIDER_HOSTS", sim.base_url.clone())];
    let (api, base) = common::spawn_api(&db, &env).await?;
    let http = reqwest::Client::new();
    let mut linked = Vec::new();
    for (i, acc) in sim.accounts.iter().enumerate() {
        let origin = if i == 0 {
            "bench-ingest".to_string()
        } else {
            format!("bench-ingest-{i}")
        };
        linked.push(common::link(&http, &base, &db.api_key, &sim.base_url, acc, &origin).await?);
    }
    drop(api);
    let slots = n.to_string();
    let exe = match &a.server_exe {
        Some(p) => p.clone(),
        None => std::env::current_exe()?,
    };
    let worker = common::spawn_deskbridge_exe(&exe, &db, &["worker", "--workers", &slots], &env)?;
    let pid = worker.pid();
    let started = Instant::now();
    let mut samples = Vec::new();
    let mut last = Instant::now();
    let mut backends = common::CpuTally::default();
    println!("syncing (worker pid {pid})…");
    let mut runs = Vec::new();
    for (_, la) in &linked {
        runs.push(
            common::wait_runs(&db.pool, *la, 1, Duration::from_secs(4 * 3600), || {
                if last.elapsed() >= Duration::from_secs(10)
                    && let Some((_, rss)) = common::memory_mib(pid)
                {
                    samples.push(json!([
                        started.elapsed().as_secs(),
                        (rss * 10.0).round() / 10.0
                    ]));
                    last = Instant::now();
                }
            })
            .await?,
        );
        // Backends are read while the worker still holds its connections.
        backends.add_backends(&db.pool, &a.db_name).await?;
    }
    let wall = started.elapsed().as_secs_f64();
    let (hwm, rss) = common::memory_mib(pid).unwrap_or_default();
    backends.add_backends(&db.pool, &a.db_name).await?;
    let worker_cpu = common::cpu_secs(pid).unwrap_or_default();
    let sim_cpu = common::cpu_secs(sim.pid()).unwrap_or_default();
    drop(worker);
    let las: Vec<_> = linked.iter().map(|(_, la)| *la).collect();
    let span = common::runs_span_secs(&db.pool, &las).await?;
    let mut rows = 0;
    for la in &las {
        rows += common::record_rows(&db.pool, *la).await?;
    }
    let per_row_us = |secs: f64| round(secs * 1e6 / rows.max(1) as f64);
    let statuses: Vec<&str> = runs.iter().map(|r| r.status.as_str()).collect();
    let result = json!({
        "tickets_per_account": a.tickets,
        "accounts": n,
        "conversations_per_ticket": a.conversations_per_ticket,
        "worker_exe": exe.display().to_string(),
        "run_status": statuses,
        "rows_written": rows,
        "run_secs": round(span),
        "wall_secs_from_worker_start": round(wall),
        "records_per_sec": round(rows as f64 / span.max(0.001)),
        "provider_calls": runs.iter().map(|r| r.calls).sum::<i64>(),
        "provider_credits": runs.iter().map(|r| r.credits).sum::<i64>(),
        "rate_limited_429": runs.iter().map(|r| r.rate_limited).sum::<i64>(),
        "cpu_secs": {"worker": round(worker_cpu), "simulator": round(sim_cpu),
                     "db_backends": round(backends.secs())},
        "cpu_us_per_row": {"worker": per_row_us(worker_cpu), "simulator": per_row_us(sim_cpu),
                           "db_backends": per_row_us(backends.secs())},
        "worker_vmhwm_mib": round(hwm),
        "worker_rss_end_mib": round(rss),
        "worker_rss_samples_secs_mib": samples,
        "counts": runs[0].counts,
        "command": format!(
            "deskbridge-bench ingest --tickets {} --conversations-per-ticket {} --accounts {n}",
            a.tickets, a.conversations_per_ticket
        ),
    });
    common::record(g, "ingest", result)?;
    let state = Ingested {
        db_name: a.db_name.clone(),
        master_key: db.master_key.clone(),
        api_key: db.api_key.clone(),
        account_token: linked[0].0.clone(),
        linked_account: linked[0].1,
        org: db.org,
        tickets: a.tickets,
    };
    std::fs::create_dir_all(&g.state_dir)?;
    std::fs::write(
        g.state_dir.join(format!("{}.json", a.db_name)),
        serde_json::to_string_pretty(&state)?,
    )?;
    Ok(state)
}

/// `deskbridge-bench ingest`.
pub async fn run(a: IngestArgs) -> anyhow::Result<()> {
    ingest(&a).await.map(|_| ())
}

/// Rounds to two decimals.
pub fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
