//! Many accounts: one big helpdesk linked first, then `--accounts` small ones, synced by two
//! `deskbridge worker` processes: total time, each account's wait from link to the end of its
//! first sync (fairness), and the database connections used (pg_stat_activity).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use clap::Args;
use serde_json::json;
use uuid::Uuid;

use crate::common::{self, Global, SimArgs};
use crate::ingest::round;

/// Options of `many`.
#[derive(Debug, Clone, Args)]
pub struct ManyArgs {
    /// Common options.
    #[command(flatten)]
    pub global: Global,
    /// Small accounts.
    #[arg(long, default_value_t = 1_000)]
    pub accounts: usize,
    /// Tickets per small account.
    #[arg(long, default_value_t = 20)]
    pub tickets: usize,
    /// Tickets of the big account linked first (0: none).
    #[arg(long, default_value_t = 20_000)]
    pub big_tickets: usize,
    /// Worker processes.
    #[arg(long, default_value_t = 2)]
    pub processes: usize,
    /// Workers (concurrent jobs) per process.
    #[arg(long, default_value_t = 2)]
    pub workers: usize,
    /// Database connections per process (`DESKBRIDGE_DB_CONNECTIONS`).
    #[arg(long, default_value_t = 10)]
    pub db_connections: u32,
}

impl ManyArgs {
    /// The defaults with these common options.
    pub fn with_global(global: Global) -> Self {
        ManyArgs {
            global,
            accounts: 1_000,
            tickets: 20,
            big_tickets: 20_000,
            processes: 2,
            workers: 2,
            db_connections: 10,
        }
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

/// `deskbridge-bench many`.
pub async fn run(a: ManyArgs) -> anyhow::Result<()> {
    let g = &a.global;
    let db = common::fresh_db(g, "deskbridge_bench_many").await?;
    let small = common::spawn_sim(&SimArgs {
        port: common::free_port()?,
        seed: 3,
        accounts: a.accounts,
        tickets: a.tickets,
        conversations_per_ticket: 2.0,
        contacts: Some(10),
        agents: None,
        plan: None,
        time_scale: 1.0,
        counts: false,
    })?;
    let big = if a.big_tickets > 0 {
        Some(common::spawn_sim(&SimArgs {
            port: common::free_port()?,
            seed: 4,
            accounts: 1,
            tickets: a.big_tickets,
            conversations_per_ticket: 2.0,
            contacts: None,
            agents: None,
            plan: None,
            time_scale: 1.0,
            counts: false,
        })?)
    } else {
        None
    };
    let mut hosts = small.base_url.clone();
    if let Some(b) = &big {
        hosts = format!("{hosts},{}", b.base_url);
    }
    let env = [
        ("DESKBRIDGE_ALLOW_PROVIDER_HOSTS", hosts),
        ("DESKBRIDGE_DB_CONNECTIONS", a.db_connections.to_string()),
    ];
    let (api, base) = common::spawn_api(&db, &env).await?;
    let workers: Vec<common::Proc> = (0..a.processes)
        .map(|_| {
            common::spawn_deskbridge(&db, &["worker", "--workers", &a.workers.to_string()], &env)
        })
        .collect::<anyhow::Result<_>>()?;
    // Sample the connections to the database while it runs.
    let peak = Arc::new(AtomicI64::new(0));
    let sampler = {
        let pool = db.pool.clone();
        let name = db.name.clone();
        let peak = peak.clone();
        tokio::spawn(async move {
            loop {
                if let Ok(n) = common::db_connections(&pool, &name).await {
                    peak.fetch_max(n, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        })
    };
    let http = reqwest::Client::new();
    let started = Instant::now();
    let mut big_la: Option<deskbridge_store::LinkedAccountId> = None;
    if let Some(b) = &big {
        let (_, la) = common::link(
            &http,
            &base,
            &db.api_key,
            &b.base_url,
            &b.accounts[0],
            "big",
        )
        .await?;
        big_la = Some(la);
    }
    println!("linking {} small accounts…", a.accounts);
    for (i, acc) in small.accounts.iter().enumerate() {
        common::link(
            &http,
            &base,
            &db.api_key,
            &small.base_url,
            acc,
            &format!("small-{i}"),
        )
        .await?;
    }
    let linked_secs = started.elapsed().as_secs_f64();
    println!("linked in {linked_secs:.1}s; waiting for every first sync…");
    let total = a.accounts as i64 + i64::from(big.is_some());
    let until = Instant::now() + Duration::from_secs(3 * 3600);
    loop {
        let done: i64 = sqlx::query_scalar(
            "SELECT count(DISTINCT linked_account_id) FROM sync_runs WHERE finished_at IS NOT NULL",
        )
        .fetch_one(&db.pool)
        .await?;
        if done >= total {
            break;
        }
        anyhow::ensure!(
            Instant::now() < until,
            "not every account was synced in time ({done}/{total})"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let total_secs = started.elapsed().as_secs_f64();
    sampler.abort();
    let rows: Vec<(Uuid, f64, f64, String)> = sqlx::query_as(
        "SELECT la.id, extract(epoch FROM min(r.finished_at) - la.created_at)::float8,
                extract(epoch FROM min(r.started_at) - la.created_at)::float8, min(r.status)
         FROM linked_accounts la JOIN sync_runs r ON r.linked_account_id = la.id
         WHERE r.finished_at IS NOT NULL GROUP BY la.id, la.created_at",
    )
    .fetch_all(&db.pool)
    .await?;
    let mut waits: Vec<f64> = Vec::new();
    let mut queue_waits: Vec<f64> = Vec::new();
    let mut big_secs = None;
    let mut failed = 0;
    for (id, to_end, to_start, status) in &rows {
        if status != "DONE" {
            failed += 1;
        }
        if Some(*id) == big_la.map(deskbridge_store::LinkedAccountId::as_uuid) {
            big_secs = Some(round(*to_end));
        } else {
            waits.push(*to_end);
            queue_waits.push(*to_start);
        }
    }
    waits.sort_by(f64::total_cmp);
    queue_waits.sort_by(f64::total_cmp);
    let jobs_run: i64 = sqlx::query_scalar("SELECT count(*) FROM sync_runs")
        .fetch_one(&db.pool)
        .await?;
    drop(workers);
    drop(api);
    common::record(
        g,
        "many",
        json!({
            "small_accounts": a.accounts,
            "tickets_per_small_account": a.tickets,
            "big_account_tickets": a.big_tickets,
            "worker_processes": a.processes,
            "workers_per_process": a.workers,
            "db_connections_per_process": a.db_connections,
            "link_all_secs": round(linked_secs),
            "total_secs": round(total_secs),
            "runs": jobs_run,
            "runs_not_done": failed,
            "big_account_link_to_synced_secs": big_secs,
            "small_link_to_synced_secs": {
                "p50": round(percentile(&waits, 0.5)), "p90": round(percentile(&waits, 0.9)),
                "p99": round(percentile(&waits, 0.99)), "max": round(percentile(&waits, 1.0)),
            },
            "small_link_to_start_secs": {
                "p50": round(percentile(&queue_waits, 0.5)), "p90": round(percentile(&queue_waits, 0.9)),
                "p99": round(percentile(&queue_waits, 0.99)), "max": round(percentile(&queue_waits, 1.0)),
            },
            "peak_db_connections": peak.load(Ordering::Relaxed),
            "command": format!(
                "deskbridge-bench many --accounts {} --tickets {} --big-tickets {} --processes {} --workers {}",
                a.accounts, a.tickets, a.big_tickets, a.processes, a.workers
            ),
        }),
    )
}
