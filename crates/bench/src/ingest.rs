//! Ingestion: one linked account of `--tickets` tickets synced from an unthrottled simulator
//! process by one `deskbridge worker` process; normalised rows written per second and the
//! worker's peak memory (VmHWM), with RSS samples to show whether memory stays flat.

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
    /// Tickets in the account.
    #[arg(long, default_value_t = 100_000)]
    pub tickets: usize,
    /// Average conversations per ticket.
    #[arg(long, default_value_t = 4.0)]
    pub conversations_per_ticket: f64,
    /// Contacts (default: tickets / 2).
    #[arg(long)]
    pub contacts: Option<usize>,
    /// The database (recreated); `read` reuses it.
    #[arg(long, default_value = "deskbridge_bench_100k")]
    pub db_name: String,
}

impl IngestArgs {
    /// The defaults with these common options.
    pub fn with_global(global: Global) -> Self {
        IngestArgs {
            global,
            tickets: 100_000,
            conversations_per_ticket: 4.0,
            contacts: None,
            db_name: "deskbridge_bench_100k".into(),
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

/// Runs the benchmark; returns what `read` needs to reuse the database.
pub async fn ingest(a: &IngestArgs) -> anyhow::Result<Ingested> {
    let g = &a.global;
    let db = common::fresh_db(g, &a.db_name).await?;
    println!("generating the simulator's {} tickets…", a.tickets);
    let sim = common::spawn_sim(&SimArgs {
        port: common::free_port()?,
        seed: 1,
        accounts: 1,
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
    let (token, la) = common::link(
        &http,
        &base,
        &db.api_key,
        &sim.base_url,
        &sim.accounts[0],
        "bench-ingest",
    )
    .await?;
    drop(api);
    let worker = common::spawn_deskbridge(&db, &["worker", "--workers", "1"], &env)?;
    let pid = worker.pid();
    let started = Instant::now();
    let mut samples = Vec::new();
    let mut last = Instant::now();
    println!("syncing (worker pid {pid})…");
    let run = common::wait_runs(&db.pool, la, 1, Duration::from_secs(4 * 3600), || {
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
    .await?;
    let wall = started.elapsed().as_secs_f64();
    let (hwm, rss) = common::memory_mib(pid).unwrap_or_default();
    drop(worker);
    let rows = common::record_rows(&db.pool, la).await?;
    let result = json!({
        "tickets": a.tickets,
        "conversations_per_ticket": a.conversations_per_ticket,
        "run_status": run.status,
        "rows_written": rows,
        "run_secs": round(run.secs),
        "wall_secs_from_worker_start": round(wall),
        "records_per_sec": round(rows as f64 / run.secs.max(0.001)),
        "provider_calls": run.calls,
        "provider_credits": run.credits,
        "rate_limited_429": run.rate_limited,
        "worker_vmhwm_mib": round(hwm),
        "worker_rss_end_mib": round(rss),
        "worker_rss_samples_secs_mib": samples,
        "counts": run.counts,
        "command": format!(
            "deskbridge-bench ingest --tickets {} --conversations-per-ticket {}",
            a.tickets, a.conversations_per_ticket
        ),
    });
    common::record(g, "ingest", result)?;
    let state = Ingested {
        db_name: a.db_name.clone(),
        master_key: db.master_key.clone(),
        api_key: db.api_key.clone(),
        account_token: token,
        linked_account: la,
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
