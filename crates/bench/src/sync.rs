//! A full sync under Freshdesk's Enterprise limit (700 credits per minute, 20 % left free),
//! time-scaled: credits spent against the minimum the data needs, 429s, wall time against the
//! lower bound, the worker's peak memory; then the same at a larger size; then an incremental
//! sync with nothing changed, with the calls of each stream.

use std::time::{Duration, Instant};

use clap::Args;
use deskbridge_freshdesk_sim::Plan;
use serde_json::{Value, json};

use crate::common::{self, Global, SimArgs};
use crate::ingest::round;
use crate::proxy;

/// Options of `sync`.
#[derive(Debug, Clone, Args)]
pub struct SyncArgs {
    /// Common options.
    #[command(flatten)]
    pub global: Global,
    /// Tickets of the first account.
    #[arg(long, default_value_t = 10_000)]
    pub tickets: usize,
    /// Average conversations per ticket.
    #[arg(long, default_value_t = 4.0)]
    pub conversations_per_ticket: f64,
    /// Contacts of the first account.
    #[arg(long, default_value_t = 5_000)]
    pub contacts: usize,
    /// Tickets of the second, larger run (0: skip it); contacts scale alike.
    #[arg(long, default_value_t = 100_000)]
    pub big_tickets: usize,
    /// Speed of the rate-limit clock: a Freshdesk minute lasts 60/time-scale seconds.
    #[arg(long, default_value_t = 30.0)]
    pub time_scale: f64,
}

impl SyncArgs {
    /// The defaults with these common options.
    pub fn with_global(global: Global) -> Self {
        SyncArgs {
            global,
            tickets: 10_000,
            conversations_per_ticket: 4.0,
            contacts: 5_000,
            big_tickets: 100_000,
            time_scale: 30.0,
        }
    }
}

/// Pages of a list walk that stops at the first page with fewer than 100 items.
fn pages(n: u64) -> u64 {
    n / 100 + 1
}

/// The credits a full sync must spend by the adapter's documented approach
/// (docs/providers/freshdesk.md): ticket fields; each small model's list (plus one boundary
/// probe per page after the first); the agents' list and a view per agent; the two contact
/// lists (the default one, and `state=blocked`, which carries the deleted ones); ticket list
/// pages with `include=description,stats` (5 each) and a view per ticket; the deleted and spam
/// lists; and each live ticket's conversation pages.
fn minimum_credits(c: &Value) -> (u64, Value) {
    let n = |k: &str| c[k].as_u64().unwrap_or(0);
    let full = |k: &str| 2 * pages(n(k)) - 1;
    let parts = json!({
        "ticket_fields": 1,
        "groups": full("groups"),
        "roles": full("roles"),
        "companies": full("companies"),
        "agents": pages(n("agents")) + n("agents"),
        "contacts": pages(n("contacts_live")) + pages(n("contacts_blocked") + n("contacts_deleted")),
        "tickets": 5 * pages(n("tickets_live")) + n("tickets_live"),
        "tickets_deleted": pages(n("tickets_deleted")),
        "tickets_spam": pages(n("tickets_spam")),
        "conversations": n("conversation_pages"),
    });
    let total = parts
        .as_object()
        .map(|m| m.values().filter_map(Value::as_u64).sum())
        .unwrap_or(0);
    (total, parts)
}

fn tally_json(t: &proxy::Tally) -> Value {
    Value::Object(
        t.iter()
            .map(|(k, (calls, credits))| (k.clone(), json!({"calls": calls, "credits": credits})))
            .collect(),
    )
}

/// One full sync (and, with `incremental`, a second one with nothing changed).
async fn phase(
    a: &SyncArgs,
    tickets: usize,
    contacts: usize,
    incremental: bool,
) -> anyhow::Result<Value> {
    let g = &a.global;
    let db = common::fresh_db(g, "deskbridge_bench_sync").await?;
    println!("generating {tickets} tickets, {contacts} contacts…");
    let sim = common::spawn_sim(&SimArgs {
        port: common::free_port()?,
        seed: 7,
        accounts: 1,
        tickets,
        conversations_per_ticket: a.conversations_per_ticket,
        contacts: Some(contacts),
        agents: None,
        plan: Some(Plan::Enterprise),
        time_scale: a.time_scale,
        counts: true,
    })?;
    let acc = sim.accounts[0].clone();
    let data = sim
        .counts
        .get(&acc.subdomain)
        .cloned()
        .unwrap_or(Value::Null);
    let (min_credits, min_parts) = minimum_credits(&data);
    let proxy = proxy::start(&sim.base_url).await?;
    let window = 60.0 / a.time_scale;
    let env = [
        ("DESKBRIDGE_ALLOW_PROVIDER_HOSTS", proxy.base_url.clone()),
        ("DESKBRIDGE_PROVIDER_RATE_WINDOW_SECS", format!("{window}")),
    ];
    let (_api, base) = common::spawn_api(&db, &env).await?;
    let http = reqwest::Client::new();
    let (token, la) = common::link(
        &http,
        &base,
        &db.api_key,
        &proxy.base_url,
        &acc,
        "bench-sync",
    )
    .await?;
    // Start from a fresh window with zero counters: the link's credential check is not counted.
    tokio::time::sleep(Duration::from_secs_f64(window + 0.5)).await;
    sim.reset_counters(&http, &acc.subdomain).await?;
    proxy.take();
    let worker = common::spawn_deskbridge(&db, &["worker", "--workers", "1"], &env)?;
    let pid = worker.pid();
    let started = Instant::now();
    let mut rss = Vec::new();
    let mut last = Instant::now();
    println!(
        "syncing {tickets} tickets under the Enterprise limit, time scale {}…",
        a.time_scale
    );
    let run = common::wait_runs(&db.pool, la, 1, Duration::from_secs(6 * 3600), || {
        if last.elapsed() >= Duration::from_secs(15)
            && let Some((_, r)) = common::memory_mib(pid)
        {
            rss.push(json!([started.elapsed().as_secs(), round(r)]));
            last = Instant::now();
        }
    })
    .await?;
    let counters = sim.counters(&http, &acc.subdomain).await?;
    let streams = proxy.take();
    let spent = counters["credits"].as_u64().unwrap_or(0);
    // Allowed rate after the 20 % reserve, in credits per real second.
    let rate = 700.0 * 0.8 / window;
    let bound = min_credits as f64 / rate;
    let (hwm, _) = common::memory_mib(pid).unwrap_or_default();
    let mut result = json!({
        "tickets": tickets,
        "contacts": contacts,
        "conversations_per_ticket": a.conversations_per_ticket,
        "time_scale": a.time_scale,
        "data": data,
        "run_status": run.status,
        "credits_spent": spent,
        "credits_minimum": min_credits,
        "credits_minimum_parts": min_parts,
        "credits_over_minimum_pct": round((spent as f64 / min_credits.max(1) as f64 - 1.0) * 100.0),
        "requests": counters["requests"],
        "rate_limited_429": counters["rate_limited"],
        "run_secs": round(run.secs),
        "lower_bound_secs": round(bound),
        "wall_over_bound_pct": round((run.secs / bound.max(0.001) - 1.0) * 100.0),
        "worker_vmhwm_mib": round(hwm),
        "worker_rss_samples_secs_mib": rss,
        "streams": tally_json(&streams),
    });
    if incremental {
        tokio::time::sleep(Duration::from_secs_f64(window + 0.5)).await;
        sim.reset_counters(&http, &acc.subdomain).await?;
        proxy.take();
        let res = http
            .post(format!("{base}/api/ticketing/v1/sync-status/resync"))
            .bearer_auth(&db.api_key)
            .header("X-Account-Token", &token)
            .json(&json!({}))
            .send()
            .await?;
        anyhow::ensure!(res.status().is_success(), "resync: {}", res.status());
        let again = common::wait_runs(&db.pool, la, 2, Duration::from_secs(600), || {}).await?;
        let streams = proxy.take();
        let counters = sim.counters(&http, &acc.subdomain).await?;
        result["incremental"] = json!({
            "run_status": again.status,
            "run_secs": round(again.secs),
            "requests": counters["requests"],
            "credits": counters["credits"],
            "rate_limited_429": counters["rate_limited"],
            "streams": tally_json(&streams),
        });
    }
    drop(worker);
    Ok(result)
}

/// `deskbridge-bench sync`.
pub async fn run(a: SyncArgs) -> anyhow::Result<()> {
    let first = phase(&a, a.tickets, a.contacts, true).await?;
    let mut result = json!({
        "command": format!(
            "deskbridge-bench sync --tickets {} --contacts {} --conversations-per-ticket {} --big-tickets {} --time-scale {}",
            a.tickets, a.contacts, a.conversations_per_ticket, a.big_tickets, a.time_scale
        ),
        "small": first,
    });
    common::record(&a.global, "sync", result.clone())?;
    if a.big_tickets > 0 {
        let contacts = a.contacts * a.big_tickets / a.tickets.max(1);
        result["big"] = phase(&a, a.big_tickets, contacts, false).await?;
        common::record(&a.global, "sync", result)?;
    }
    Ok(())
}
