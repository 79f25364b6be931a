//! Seconds-fresh tickets: a simulated Freshdesk changes tickets at a steady rate while its
//! automation rule pushes each change to Deskbridge (some pushes dropped on purpose); per change
//! it measures how long until `GET /tickets/{id}` shows it and until the `Ticket.changed`
//! webhook reaches a local receiver, and what the targeted syncs spent against one view per
//! changed ticket. The periodic sync runs at a short interval as the safety net for lost
//! pushes; its calls are counted apart.
//!
//! Processes: the simulator, `deskbridge serve --workers 0` (API and inbound pushes) and
//! `deskbridge worker --workers 1` (sync, targeted syncs, webhook delivery). Two logging proxies
//! time each step: one between the worker and the simulator (when the targeted fetch went out),
//! one between the simulator's rule and the inbound endpoint (when the push arrived).

mod phase;
mod receiver;

use std::time::Duration;

use clap::Args;
use serde_json::{Value, json};

use crate::common::{self, Global, SimArgs};
use crate::proxy;

/// Options of `push`.
#[derive(Debug, Clone, Args)]
pub struct PushArgs {
    /// Common options.
    #[command(flatten)]
    pub global: Global,
    /// Seconds each rate and loss is run for.
    #[arg(long, default_value_t = 120)]
    pub secs: u64,
    /// Changes per second, comma-separated (each is run at every loss rate).
    #[arg(long, default_value = "1,10")]
    pub rates: String,
    /// Shares of pushes the simulator drops, comma-separated.
    #[arg(long, default_value = "0,0.1")]
    pub losses: String,
    /// The periodic sync's interval (seconds): the bound for a change whose push was lost.
    #[arg(long, default_value_t = 60)]
    pub sync_interval: u64,
    /// Tickets in the simulator (each change goes to a ticket not changed before in the run).
    #[arg(long, default_value_t = 3000)]
    pub tickets: usize,
}

impl PushArgs {
    /// The defaults with these common options.
    pub fn with_global(global: Global) -> Self {
        PushArgs {
            global,
            secs: 120,
            rates: "1,10".into(),
            losses: "0,0.1".into(),
            sync_interval: 60,
            tickets: 3000,
        }
    }
}

fn numbers(text: &str) -> anyhow::Result<Vec<f64>> {
    text.split(',')
        .map(|s| {
            s.trim()
                .parse::<f64>()
                .map_err(|_| anyhow::anyhow!("`{s}` is not a number"))
        })
        .collect()
}

/// Answers with a JSON body, or the status and body as an error.
async fn json_ok(res: reqwest::Response, what: &str) -> anyhow::Result<Value> {
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    anyhow::ensure!(status.is_success(), "{what}: {status} {body}");
    Ok(body)
}

/// Sets up the push for the linked account: a fresh hook (its secret is shown only when it is
/// created); when Deskbridge did not install the rule itself, the rule is added to the
/// simulator from the answer's set-up steps, as an admin would paste them.
async fn install_push(
    http: &reqwest::Client,
    base: &str,
    api_key: &str,
    token: &str,
    sim_base: &str,
    sub: &str,
) -> anyhow::Result<Value> {
    let res = http
        .post(format!("{base}/api/deskbridge/v1/push-hook"))
        .bearer_auth(api_key)
        .header("X-Account-Token", token)
        .send()
        .await?;
    let hook = json_ok(res, "creating the push hook").await?;
    if hook["installed"].as_bool() == Some(true) {
        return Ok(json!({"installed_by": "deskbridge", "url": hook["url"]}));
    }
    let setup = &hook["setup"];
    let header = setup["header_name"]
        .as_str()
        .unwrap_or("X-Deskbridge-Push-Secret");
    let mut headers = serde_json::Map::new();
    headers.insert(header.to_string(), setup["header_value"].clone());
    let rule = json!({
        "name": "Deskbridge push", "active": true, "performer": {"type": 4},
        "events": [{"field_name": "ticket_action", "value": "update"}],
        "conditions": [],
        "actions": [{
            "field_name": "trigger_webhook", "request_type": "POST", "url": setup["url"],
            "content_type": "JSON", "content_layout": "2", "custom_headers": headers,
            "content": setup["body_template"],
        }],
    });
    let res = http
        .post(format!(
            "{sim_base}/_sim/accounts/{sub}/automations/4/rules"
        ))
        .json(&rule)
        .send()
        .await?;
    json_ok(res, "adding the automation rule").await?;
    Ok(json!({"installed_by": "benchmark (rule from the set-up steps)", "url": setup["url"]}))
}

/// `deskbridge-bench push`.
pub async fn run(a: PushArgs) -> anyhow::Result<()> {
    let g = &a.global;
    let rates = numbers(&a.rates)?;
    let losses = numbers(&a.losses)?;
    let needed: f64 = rates.iter().map(|r| r * a.secs as f64).sum::<f64>() * losses.len() as f64;
    anyhow::ensure!(
        needed <= a.tickets as f64 * 0.95,
        "{needed} changes need more tickets than --tickets {}",
        a.tickets
    );
    let db = common::fresh_db(g, "deskbridge_bench_push").await?;
    println!("generating {} tickets…", a.tickets);
    let sim = common::spawn_sim(&SimArgs {
        port: common::free_port()?,
        seed: 11,
        accounts: 1,
        tickets: a.tickets,
        conversations_per_ticket: 2.0,
        contacts: Some(200),
        agents: None,
        plan: None,
        time_scale: 1.0,
        counts: false,
    })?;
    let acc = sim.accounts[0].clone();
    let provider = proxy::start_logged(&sim.base_url).await?;
    let api_port = common::free_port()?;
    let relay = proxy::start_logged(&format!("http://127.0.0.1:{api_port}")).await?;
    let receiver = receiver::start().await?;
    let env = [
        ("DESKBRIDGE_ALLOW_PROVIDER_HOSTS", provider.base_url.clone()),
        ("DESKBRIDGE_ALLOW_WEBHOOK_HOSTS", receiver.host.clone()),
        ("DESKBRIDGE_PUBLIC_URL", relay.base_url.clone()),
        ("DESKBRIDGE_SYNC_INTERVAL_SECS", a.sync_interval.to_string()),
        ("DESKBRIDGE_RATE_LIMIT_PER_MINUTE", "0".to_string()),
    ];
    let (api, base) = common::spawn_api_at(&db, &env, api_port).await?;
    let worker = common::spawn_deskbridge(&db, &["worker", "--workers", "1"], &env)?;
    let http = reqwest::Client::new();
    let (token, la) = common::link(
        &http,
        &base,
        &db.api_key,
        &provider.base_url,
        &acc,
        "bench-push",
    )
    .await?;
    println!("initial sync…");
    let first = common::wait_runs(&db.pool, la, 1, Duration::from_secs(1800), || {}).await?;
    anyhow::ensure!(first.status == "DONE", "initial sync: {}", first.status);
    let install = install_push(
        &http,
        &base,
        &db.api_key,
        &token,
        &sim.base_url,
        &acc.subdomain,
    )
    .await?;
    let res = http
        .post(format!("{base}/api/deskbridge/v1/webhook-endpoints"))
        .bearer_auth(&db.api_key)
        .json(&json!({"url": receiver.url, "events": ["Ticket.changed"]}))
        .send()
        .await?;
    json_ok(res, "creating the webhook endpoint").await?;
    let mut tickets: Vec<(String, String)> = sqlx::query_as(
        "SELECT remote_id, id::text FROM tickets
         WHERE linked_account_id = $1 AND NOT remote_was_deleted AND NOT is_shell
         ORDER BY length(remote_id), remote_id",
    )
    .bind(la)
    .fetch_all(&db.pool)
    .await?;
    anyhow::ensure!(
        tickets.len() as f64 >= needed,
        "only {} live tickets",
        tickets.len()
    );
    let ctx = phase::Ctx {
        shared: std::sync::Arc::new(phase::Shared {
            http: http.clone(),
            base: base.clone(),
            api_key: db.api_key.clone(),
            token,
            sim_base: sim.base_url.clone(),
            sub: acc.subdomain.clone(),
            deadline: Duration::from_secs(2 * a.sync_interval + 60),
        }),
        pool: db.pool.clone(),
        la,
        sync_interval: a.sync_interval,
        receiver: &receiver,
        provider: &provider,
        relay: &relay,
    };
    let mut phases = Vec::new();
    for &loss in &losses {
        for &rate in &rates {
            let n = (rate * a.secs as f64).round() as usize;
            let batch: Vec<(String, String)> = tickets.drain(..n).collect();
            println!(
                "{rate}/s for {} s, {} % of pushes lost…",
                a.secs,
                loss * 100.0
            );
            let result = phase::run(&ctx, rate, loss, batch).await?;
            println!("{}", serde_json::to_string_pretty(&result)?);
            phases.push(result);
        }
    }
    common::record(
        g,
        "push",
        json!({
            "command": format!(
                "deskbridge-bench push --secs {} --rates {} --losses {} --sync-interval {} --tickets {}",
                a.secs, a.rates, a.losses, a.sync_interval, a.tickets
            ),
            "provider": "freshdesk",
            "initial_sync_secs": first.secs,
            "push_installation": install,
            "phases": phases,
        }),
    )?;
    drop(ctx);
    drop(worker);
    drop(api);
    db.pool.close().await;
    common::drop_db(g, "deskbridge_bench_push").await
}
