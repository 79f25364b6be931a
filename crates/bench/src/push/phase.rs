//! One phase of the push benchmark: changes at a steady rate with a share of pushes lost, each
//! change followed until the API shows it and its webhook arrives; then the figures, with the
//! targeted syncs' calls apart from the periodic sync's and each step of a pushed change timed.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use deskbridge_store::PgPool;
use serde_json::{Value, json};
use tokio::task::JoinSet;

use super::receiver::Receiver;
use crate::common;
use crate::ingest::round;
use crate::proxy::{ProxyHandle, Seen};

/// Credits of the one view a changed ticket needs: `GET /tickets/{id}` with its conversations
/// (+1) and stats (+1, for `completed_at`), as docs/providers/freshdesk.md prices them.
const VIEW_CREDITS: u64 = 3;

/// What the spawned change tasks need.
pub struct Shared {
    pub http: reqwest::Client,
    pub base: String,
    pub api_key: String,
    pub token: String,
    pub sim_base: String,
    pub sub: String,
    /// How long a change is followed before it counts as never seen.
    pub deadline: Duration,
}

/// The benchmark's set-up, shared by the phases.
pub struct Ctx<'a> {
    pub shared: Arc<Shared>,
    pub pool: PgPool,
    pub la: deskbridge_store::LinkedAccountId,
    pub sync_interval: u64,
    pub receiver: &'a Receiver,
    pub provider: &'a ProxyHandle,
    pub relay: &'a ProxyHandle,
}

/// One change and when the API first showed it.
struct Change {
    remote: String,
    subject: String,
    at: Instant,
    visible: Option<Instant>,
    error: Option<String>,
}

/// Changes the ticket's subject at the simulator (which runs its rules, so the push goes out),
/// then reads the ticket through the API every 200 ms (every second after 15 s) until the new
/// subject shows. The time counted is when the answer showing it arrived.
async fn change(s: Arc<Shared>, remote: String, id: String, subject: String) -> Change {
    let at = Instant::now();
    let mut c = Change {
        remote,
        subject,
        at,
        visible: None,
        error: None,
    };
    let res = s
        .http
        .put(format!(
            "{}/_sim/accounts/{}/tickets/{}",
            s.sim_base, s.sub, c.remote
        ))
        .json(&json!({"subject": c.subject}))
        .send()
        .await;
    match res {
        Ok(r) if r.status().is_success() => {}
        Ok(r) => {
            c.error = Some(format!("simulator answered {}", r.status()));
            return c;
        }
        Err(e) => {
            c.error = Some(format!("simulator: {e}"));
            return c;
        }
    }
    let url = format!("{}/api/ticketing/v1/tickets/{id}", s.base);
    loop {
        let sent = Instant::now();
        if sent > at + s.deadline {
            return c;
        }
        let res = s
            .http
            .get(&url)
            .bearer_auth(&s.api_key)
            .header("X-Account-Token", &s.token)
            .send()
            .await;
        if let Ok(r) = res
            && r.status().is_success()
            && let Ok(v) = r.json::<Value>().await
            && v["name"].as_str() == Some(c.subject.as_str())
        {
            c.visible = Some(Instant::now());
            return c;
        }
        let wait = if sent - at < Duration::from_secs(15) {
            Duration::from_millis(200)
        } else {
            Duration::from_secs(1)
        };
        tokio::time::sleep(wait).await;
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 * p).ceil() as usize)
        .saturating_sub(1)
        .min(sorted.len() - 1)]
}

/// `n`, p50, p99 and max of durations in seconds.
fn stats(mut v: Vec<f64>) -> Value {
    v.sort_by(f64::total_cmp);
    json!({
        "n": v.len(),
        "p50": round(percentile(&v, 0.5)),
        "p99": round(percentile(&v, 0.99)),
        "max": round(percentile(&v, 1.0)),
    })
}

fn secs(from: Instant, to: Instant) -> f64 {
    to.saturating_duration_since(from).as_secs_f64()
}

/// The ticket id a push names (`{"ticket_id": 12, …}`).
fn pushed_ticket(s: &Seen) -> Option<String> {
    let v: Value = serde_json::from_str(&s.body).ok()?;
    match &v["ticket_id"] {
        Value::Number(n) => Some(n.to_string()),
        Value::String(t) => Some(t.clone()),
        _ => None,
    }
}

/// The first time each ticket appears in a log, by the ticket a request names.
fn first_by_ticket(
    log: &[Seen],
    mut ticket: impl FnMut(&Seen) -> Option<String>,
) -> HashMap<String, Instant> {
    let mut first = HashMap::new();
    for s in log {
        if let Some(t) = ticket(s) {
            first.entry(t).or_insert(s.at);
        }
    }
    first
}

/// The ticket of a provider call `/api/v2/tickets/{id}` (with the query, or without when
/// `plain`).
fn viewed_ticket(s: &Seen, targeted: bool) -> Option<String> {
    let (path, query) = s.path.split_once('?').unwrap_or((&s.path, ""));
    let id = path.strip_prefix("/api/v2/tickets/")?;
    if id.contains('/') || query.contains("include=conversations") != targeted {
        return None;
    }
    Some(id.to_string())
}

/// Runs one phase on `batch` (remote id, record id), one change per ticket.
pub async fn run(
    ctx: &Ctx<'_>,
    rate: f64,
    loss: f64,
    batch: Vec<(String, String)>,
) -> anyhow::Result<Value> {
    let s = &ctx.shared;
    let res = s
        .http
        .put(format!("{}/_sim/push", s.sim_base))
        .json(&json!({"loss_rate": loss, "delay_ms": 0, "seed": 1}))
        .send()
        .await?;
    anyhow::ensure!(
        res.status().is_success(),
        "PUT /_sim/push: {}",
        res.status()
    );
    s.http
        .post(format!("{}/_sim/push/counters/reset", s.sim_base))
        .send()
        .await?
        .error_for_status()?;
    ctx.provider.take();
    ctx.provider.take_log();
    ctx.relay.take_log();
    ctx.receiver.take_deliveries();
    let db_start: chrono::DateTime<chrono::Utc> = sqlx::query_scalar("SELECT now()")
        .fetch_one(&ctx.pool)
        .await?;
    let load_start = common::loadavg();
    let n = batch.len();
    let start = Instant::now();
    let mut set = JoinSet::new();
    for (i, (remote, id)) in batch.into_iter().enumerate() {
        tokio::time::sleep_until((start + Duration::from_secs_f64(i as f64 / rate)).into()).await;
        let subject = format!("push bench {rate}/s, {loss} lost, change {i}");
        set.spawn(change(s.clone(), remote, id, subject));
    }
    let changes_done = Instant::now();
    let load_mid = common::loadavg();
    let changes: Vec<Change> = set.join_all().await;
    // The webhook follows the write; give late ones up to a minute.
    let until = Instant::now() + Duration::from_secs(60);
    while Instant::now() < until
        && changes
            .iter()
            .any(|c| c.visible.is_some() && ctx.receiver.arrival(&c.subject).is_none())
    {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let relay_log = ctx.relay.take_log();
    let provider_log = ctx.provider.take_log();
    let tally = ctx.provider.take();
    let deliveries = ctx.receiver.take_deliveries();

    let mut inbound_status: BTreeMap<u16, u64> = BTreeMap::new();
    for r in relay_log.iter().filter(|r| r.path.contains("/inbound/")) {
        *inbound_status.entry(r.status).or_default() += 1;
    }
    let accepted: Vec<Seen> = relay_log
        .into_iter()
        .filter(|r| r.path.contains("/inbound/") && (200..300).contains(&r.status))
        .collect();
    let pushed_at = first_by_ticket(&accepted, pushed_ticket);
    let fetched_at = first_by_ticket(&provider_log, |s| viewed_ticket(s, true));
    let sync_viewed = first_by_ticket(&provider_log, |s| viewed_ticket(s, false));

    let errors: Vec<&String> = changes.iter().filter_map(|c| c.error.as_ref()).collect();
    let mut all = (Vec::new(), Vec::new());
    let mut pushed = (Vec::new(), Vec::new());
    let mut lost = (Vec::new(), Vec::new());
    let (mut to_push, mut to_fetch, mut fetch_to_visible, mut visible_to_hook) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut not_visible, mut no_webhook, mut lost_seen_by_sync) = (0, 0, 0);
    for c in changes.iter().filter(|c| c.error.is_none()) {
        let hook = ctx.receiver.arrival(&c.subject);
        let push = pushed_at.get(&c.remote).copied();
        let group = if push.is_some() {
            &mut pushed
        } else {
            &mut lost
        };
        match c.visible {
            Some(v) => {
                all.0.push(secs(c.at, v));
                group.0.push(secs(c.at, v));
            }
            None => not_visible += 1,
        }
        match hook {
            Some(h) => {
                all.1.push(secs(c.at, h));
                group.1.push(secs(c.at, h));
            }
            None => no_webhook += 1,
        }
        if push.is_none() && sync_viewed.contains_key(&c.remote) {
            lost_seen_by_sync += 1;
        }
        if let Some(p) = push {
            to_push.push(secs(c.at, p));
            if let Some(f) = fetched_at.get(&c.remote) {
                to_fetch.push(secs(p, *f));
                if let Some(v) = c.visible {
                    fetch_to_visible.push(secs(*f, v));
                }
            }
        }
        if let (Some(v), Some(h)) = (c.visible, hook) {
            visible_to_hook.push(h.saturating_duration_since(v).as_secs_f64());
        }
    }
    let push_counters: Value = s
        .http
        .get(format!("{}/_sim/push/counters", s.sim_base))
        .send()
        .await?
        .json()
        .await?;
    let (runs, run_calls, run_credits, run_avg, run_max): (i64, i64, i64, f64, f64) =
        sqlx::query_as(
            "SELECT count(*), coalesce(sum(calls), 0)::int8, coalesce(sum(credits), 0)::int8,
                    coalesce(avg(extract(epoch FROM finished_at - started_at)), 0)::float8,
                    coalesce(max(extract(epoch FROM finished_at - started_at)), 0)::float8
             FROM sync_runs WHERE linked_account_id = $1 AND started_at >= $2",
        )
        .bind(ctx.la)
        .bind(db_start)
        .fetch_one(&ctx.pool)
        .await?;
    // When the periodic runs started and where the slow webhooks fell (seconds from the
    // phase's start): the tail's cause, when it has one.
    let run_starts: Vec<f64> = sqlx::query_scalar(
        "SELECT extract(epoch FROM started_at - $2)::float8 FROM sync_runs
         WHERE linked_account_id = $1 AND started_at >= $2 ORDER BY started_at",
    )
    .bind(ctx.la)
    .bind(db_start)
    .fetch_all(&ctx.pool)
    .await?;
    let slow_webhooks: Vec<Value> = changes
        .iter()
        .filter_map(|c| {
            let h = ctx.receiver.arrival(&c.subject)?;
            let late = secs(c.at, h);
            (late > 4.0).then(|| json!([round(secs(start, c.at)), round(late)]))
        })
        .take(40)
        .collect();
    let (t_calls, t_credits) = tally.get("push_views").copied().unwrap_or_default();
    let others: BTreeMap<&String, Value> = tally
        .iter()
        .filter(|(k, _)| k.as_str() != "push_views")
        .map(|(k, (calls, credits))| (k, json!({"calls": calls, "credits": credits})))
        .collect();
    let ok = changes.len() - errors.len();
    let min_credits = ok as u64 * VIEW_CREDITS;
    Ok(json!({
        "rate_per_sec": rate,
        "loss_rate": loss,
        "changes": n,
        "change_errors": errors.len(),
        "first_errors": errors.iter().take(3).collect::<Vec<_>>(),
        "changes_took_secs": round(secs(start, changes_done)),
        "sync_interval_secs": ctx.sync_interval,
        "visible": stats(all.0),
        "not_visible": not_visible,
        "webhook": stats(all.1),
        "no_webhook": no_webhook,
        "pushed": {"n": pushed_at.len(), "visible": stats(pushed.0), "webhook": stats(pushed.1)},
        "lost_or_refused": {
            "visible": stats(lost.0), "webhook": stats(lost.1),
            "viewed_by_periodic_sync": lost_seen_by_sync,
        },
        "steps_of_pushed_changes": {
            "change_to_push_arrival": stats(to_push),
            "push_arrival_to_targeted_fetch": stats(to_fetch),
            "targeted_fetch_to_visible": stats(fetch_to_visible),
            "visible_to_webhook": stats(visible_to_hook),
        },
        "simulator_push_counters": push_counters,
        "inbound_answers": inbound_status,
        "targeted": {
            "calls": t_calls, "credits": t_credits,
            "minimum_calls": ok, "minimum_credits": min_credits,
            "credits_over_minimum": round(t_credits as f64 / min_credits.max(1) as f64),
        },
        "periodic_sync": {
            "runs_started": runs, "calls": run_calls, "credits": run_credits,
            "run_secs_avg": round(run_avg), "run_secs_max": round(run_max),
            "run_starts_secs": run_starts.into_iter().map(round).collect::<Vec<_>>(),
            "streams": others,
        },
        "ticket_changed_deliveries": deliveries,
        "webhooks_over_4s_at_secs_latency": slow_webhooks,
        "loadavg_1m": [load_start, load_mid, common::loadavg()],
    }))
}
