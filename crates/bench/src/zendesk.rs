//! An initial sync of a Zendesk account under the Team (200/min) and Enterprise (700/min)
//! limits, time-scaled: requests against the fewest Zendesk's page sizes allow, 429s, wall
//! time against the rate bound after the 20 % reserve (the incremental-export bucket, 10 a
//! minute, bounded separately), the worker's peak memory; then an unchanged incremental sync
//! with the calls of each stream.
//!
//! The simulator runs inside this process (a separate process would add nothing measured: the
//! worker is its own process and its memory is read from `/proc`); a counting proxy between
//! the worker and the simulator tallies calls by stream.

use std::time::{Duration, Instant};

use clap::Args;
use deskbridge_zendesk_sim::{Plan, SimConfig, Simulator};
use serde_json::{Value, json};

use crate::common::{self, Global};
use crate::ingest::round;
use crate::proxy;

/// Options of `zendesk-sync`.
#[derive(Debug, Clone, Args)]
pub struct ZendeskSyncArgs {
    /// Common options.
    #[command(flatten)]
    pub global: Global,
    /// Ticket counts, one initial sync each (the first is followed by an unchanged incremental sync).
    #[arg(long, value_delimiter = ',', default_value = "10000,100000")]
    pub tickets: Vec<usize>,
    /// Plans: `team` (200/min) and/or `enterprise` (700/min).
    #[arg(long, value_delimiter = ',', default_value = "team,enterprise")]
    pub plans: Vec<Plan>,
    /// Average comments per ticket (the description included).
    #[arg(long, default_value_t = 3.0)]
    pub comments_per_ticket: f64,
    /// End-users per 10,000 tickets.
    #[arg(long, default_value_t = 5_000)]
    pub end_users_per_10k: usize,
    /// Time scale under Team: a Zendesk minute lasts 60/scale seconds.
    #[arg(long, default_value_t = 100.0)]
    pub team_time_scale: f64,
    /// Time scale under Enterprise.
    #[arg(long, default_value_t = 30.0)]
    pub enterprise_time_scale: f64,
}

/// Calls a list of `n` items takes at `per_page` a page: a first page always, then one per
/// full page (the last page says there is no more).
fn pages(n: u64, per_page: u64) -> u64 {
    n.div_ceil(per_page).max(1)
}

/// The fewest requests a full read of the data takes at Zendesk's page sizes, split into
/// the account lane and the incremental-export lane (which also counts against the account).
///
/// * incremental exports, 1000 a page: tickets (cursor, deleted and scrubbed included), users
///   (cursor, agents and end-users in one list), organizations (time-based);
/// * cursor lists, 100 a page: groups, group memberships, tags (of live tickets);
/// * one answer each: ticket fields, custom statuses, custom roles (a 403 without them);
/// * `/deleted_tickets` (100 a page) once, the first run's deletion sweep;
/// * per live ticket (archived included, deleted and scrubbed excluded): its comments, 100 a
///   page, at least one page: nothing else returns comments at a cost below one call per
///   ticket without spending the incremental lane (docs/providers/zendesk.md).
fn minimum(s: &Value) -> (u64, u64, Value) {
    let n = |k: &str| s[k].as_u64().unwrap_or(0);
    let comment_pages: u64 = s["comments_per_live_ticket"]
        .as_object()
        .map(|h| {
            h.iter()
                .map(|(c, t)| pages(c.parse().unwrap_or(0), 100) * t.as_u64().unwrap_or(0))
                .sum()
        })
        .unwrap_or(0);
    let parts = json!({
        "incremental_tickets": pages(n("tickets"), 1000),
        "incremental_users": pages(n("users"), 1000),
        "incremental_organizations": pages(n("organizations"), 1000),
        "ticket_fields": 1,
        "custom_statuses": 1,
        "custom_roles": 1,
        "groups": pages(n("groups"), 100),
        "group_memberships": pages(n("group_memberships"), 100),
        "tags": pages(n("live_ticket_tags"), 100),
        "deleted_tickets": pages(n("tickets_deleted"), 100),
        "comments": comment_pages,
    });
    let total = parts
        .as_object()
        .map(|m| m.values().filter_map(Value::as_u64).sum())
        .unwrap_or(0);
    let incremental = [
        "incremental_tickets",
        "incremental_users",
        "incremental_organizations",
    ]
    .iter()
    .map(|k| parts[*k].as_u64().unwrap_or(0))
    .sum();
    (total, incremental, parts)
}

/// The stream of a Zendesk call.
fn classify(path_and_query: &str) -> &'static str {
    let path = path_and_query.split('?').next().unwrap_or_default();
    let rest = path
        .split_once("/api/v2/")
        .map(|(_, r)| r)
        .unwrap_or(path)
        .trim_end_matches(".json");
    let segs: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    match segs.as_slice() {
        ["incremental", "tickets", ..] => "incremental_tickets",
        ["incremental", "users", ..] => "incremental_users",
        ["incremental", "organizations", ..] => "incremental_organizations",
        ["incremental", ..] => "incremental_other",
        ["ticket_fields", ..] => "ticket_fields",
        ["custom_statuses", ..] => "custom_statuses",
        ["custom_roles", ..] => "custom_roles",
        ["groups", ..] => "groups",
        ["group_memberships", ..] => "group_memberships",
        ["tags", ..] => "tags",
        ["deleted_tickets", ..] => "deleted_tickets",
        ["tickets", _, "comments"] => "comments",
        ["users", "me"] => "users_me",
        ["users", ..] => "users_list",
        ["organizations", ..] => "organizations_list",
        _ => "other",
    }
}

fn tally_json(t: &proxy::Tally) -> (u64, Value) {
    let calls = t.values().map(|(c, _)| c).sum();
    let streams = t.iter().map(|(k, (c, _))| (k.clone(), json!(c))).collect();
    (calls, Value::Object(streams))
}

async fn sim_json(http: &reqwest::Client, url: String) -> anyhow::Result<Value> {
    Ok(http
        .get(url)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?)
}

/// One initial sync of `tickets` tickets under `plan` (and, with `incremental`, a second
/// sync with nothing changed).
async fn phase(
    a: &ZendeskSyncArgs,
    plan: Plan,
    tickets: usize,
    incremental: bool,
) -> anyhow::Result<Value> {
    let g = &a.global;
    let scale = match plan {
        Plan::Team => a.team_time_scale,
        _ => a.enterprise_time_scale,
    };
    let end_users = a.end_users_per_10k * tickets / 10_000;
    let db = common::fresh_db(g, "deskbridge_bench_zsync").await?;
    println!(
        "generating {tickets} tickets, {end_users} end-users ({})…",
        plan.name()
    );
    let sim = Simulator::new(SimConfig {
        seed: 7,
        accounts: 1,
        tickets,
        comments_per_ticket: a.comments_per_ticket,
        end_users,
        agents: 20,
        organizations: (tickets / 100).max(10),
        groups: 10,
        plan: Some(plan),
        time_scale: scale,
        ..SimConfig::default()
    });
    let handle = sim.spawn("127.0.0.1:0".parse()?).await?;
    let acc = sim
        .accounts()
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("no account"))?;
    let sub = acc.subdomain.clone();
    let http = reqwest::Client::new();
    let ctl = format!("{}/_sim/accounts/{sub}", handle.base_url);
    let stats = sim_json(&http, format!("{ctl}/stats")).await?;
    let (min_total, min_incremental, min_parts) = minimum(&stats);
    let proxy = proxy::start_with(&handle.base_url, classify).await?;
    let window = 60.0 / scale;
    let env = [
        (
            "DESKBRIDGE_ALLOW_PROVIDER_HOSTS",
            format!(
                "{},{},{}",
                proxy.base_url, handle.base_url, handle.content_url
            ),
        ),
        ("DESKBRIDGE_PROVIDER_RATE_WINDOW_SECS", format!("{window}")),
    ];
    let (_api, base) = common::spawn_api(&db, &env).await?;
    let res = http
        .post(format!("{base}/api/ticketing/v1/linked-accounts"))
        .bearer_auth(&db.api_key)
        .json(&json!({
            "integration": "zendesk",
            "end_user_origin_id": "bench-zendesk",
            "end_user_organization_name": "Customer bench-zendesk",
            "end_user_email_address": "admin@bench-zendesk.example",
            "credentials": {
                "subdomain": format!("{}/d/{sub}", proxy.base_url),
                "email": acc.admin_email,
                "api_token": acc.api_token,
            },
        }))
        .send()
        .await?;
    let status = res.status();
    let body: Value = res.json().await?;
    anyhow::ensure!(status.is_success(), "linking failed: {status} {body}");
    let token = body["account_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let la: deskbridge_store::LinkedAccountId = body["linked_account"]["id"]
        .as_str()
        .unwrap_or_default()
        .parse()?;
    // Start from a fresh window with zero counters: the link's credential check is not counted.
    tokio::time::sleep(Duration::from_secs_f64(window + 0.5)).await;
    http.post(format!("{ctl}/counters/reset"))
        .send()
        .await?
        .error_for_status()?;
    proxy.take();
    let worker = common::spawn_deskbridge(&db, &["worker", "--workers", "1"], &env)?;
    let pid = worker.pid();
    let started = Instant::now();
    let (mut rss, mut last) = (Vec::new(), Instant::now());
    println!(
        "syncing {tickets} tickets under {} ({}/min), time scale {scale}…",
        plan.name(),
        plan.per_minute()
    );
    let run = common::wait_runs(&db.pool, la, 1, Duration::from_secs(3 * 3600), || {
        if last.elapsed() >= Duration::from_secs(15)
            && let Some((_, r)) = common::memory_mib(pid)
        {
            rss.push(json!([started.elapsed().as_secs(), round(r)]));
            last = Instant::now();
        }
    })
    .await?;
    let counters = sim_json(&http, format!("{ctl}/counters")).await?;
    let (calls, streams) = tally_json(&proxy.take());
    let requests = counters["requests"].as_u64().unwrap_or(0);
    // Allowed rates after the 20 % reserve, per real second: every call spends the account
    // limit; export pages also spend the incremental bucket (10 a minute).
    let account_rate = plan.per_minute() as f64 * 0.8 / window;
    let incremental_rate = 10.0 * 0.8 / window;
    let account_bound = min_total as f64 / account_rate;
    let incremental_bound = min_incremental as f64 / incremental_rate;
    let bound = account_bound.max(incremental_bound);
    let (hwm, _) = common::memory_mib(pid).unwrap_or_default();
    let mut result = json!({
        "plan": plan.name(),
        "per_minute": plan.per_minute(),
        "tickets": tickets,
        "end_users": end_users,
        "comments_per_ticket": a.comments_per_ticket,
        "time_scale": scale,
        "data": stats,
        "run_status": run.status,
        "requests": requests,
        "requests_proxied": calls,
        "requests_minimum": min_total,
        "requests_minimum_parts": min_parts,
        "requests_over_minimum": round(requests as f64 / min_total.max(1) as f64),
        "incremental_lane_minimum": min_incremental,
        "rate_limited_429": counters["rate_limited"],
        "run_secs": round(run.secs),
        "bound_account_secs": round(account_bound),
        "bound_incremental_secs": round(incremental_bound),
        "wall_over_bound": round(run.secs / bound.max(0.001)),
        "worker_vmhwm_mib": round(hwm),
        "worker_rss_samples_secs_mib": rss,
        "streams": streams,
    });
    if incremental {
        tokio::time::sleep(Duration::from_secs_f64(window + 0.5)).await;
        http.post(format!("{ctl}/counters/reset"))
            .send()
            .await?
            .error_for_status()?;
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
        let (calls, streams) = tally_json(&proxy.take());
        let counters = sim_json(&http, format!("{ctl}/counters")).await?;
        result["incremental"] = json!({
            "run_status": again.status,
            "run_secs": round(again.secs),
            "requests": counters["requests"],
            "requests_proxied": calls,
            "rate_limited_429": counters["rate_limited"],
            "streams": streams,
        });
    }
    drop(worker);
    handle.shutdown().await;
    Ok(result)
}

/// `deskbridge-bench zendesk-sync`.
pub async fn run(a: ZendeskSyncArgs) -> anyhow::Result<()> {
    let smallest = a.tickets.iter().copied().min().unwrap_or(0);
    for &tickets in &a.tickets {
        for &plan in &a.plans {
            let r = phase(&a, plan, tickets, tickets == smallest).await?;
            let cmd = format!(
                "deskbridge-bench zendesk-sync --tickets {tickets} --plans {} --comments-per-ticket {} --end-users-per-10k {} --team-time-scale {} --enterprise-time-scale {}",
                plan.name(),
                a.comments_per_ticket,
                a.end_users_per_10k,
                a.team_time_scale,
                a.enterprise_time_scale
            );
            common::record(&a.global, "zendesk-sync", json!({"command": cmd, "run": r}))?;
        }
    }
    Ok(())
}
