//! `deskbridge-zendesk-sim`: serves simulated Zendesk accounts until Ctrl-C.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use deskbridge_zendesk_sim::{FaultConfig, Plan, SimConfig, Simulator};

/// Command-line options.
#[derive(Debug, Parser)]
#[command(
    name = "deskbridge-zendesk-sim",
    about = "Zendesk Support API v2 simulator"
)]
struct Args {
    /// Port of the API host (the attachment content host takes a random port).
    #[arg(long, default_value_t = 9100)]
    port: u16,
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Seed of the generated data.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Number of accounts.
    #[arg(long, default_value_t = 1)]
    accounts: usize,
    /// Tickets per account.
    #[arg(long, default_value_t = 100)]
    tickets: usize,
    /// Average comments per ticket.
    #[arg(long, default_value_t = 3.0)]
    comments_per_ticket: f64,
    /// End-users per account.
    #[arg(long, default_value_t = 40)]
    end_users: usize,
    /// Agents per account (besides the owner).
    #[arg(long, default_value_t = 5)]
    agents: usize,
    /// Organizations per account.
    #[arg(long, default_value_t = 6)]
    organizations: usize,
    /// Groups per account.
    #[arg(long, default_value_t = 4)]
    groups: usize,
    /// Plan: team, growth, professional, enterprise, enterprise_plus (default: unthrottled).
    #[arg(long)]
    plan: Option<Plan>,
    /// Rate-limit clock speed: a minute lasts 60/time-scale seconds.
    #[arg(long, default_value_t = 1.0)]
    time_scale: f64,
    /// Edge protection: requests per (scaled) second before the edge 429.
    #[arg(long)]
    edge_per_second: Option<u64>,
    /// Share of requests answered 500/502/503/524.
    #[arg(long, default_value_t = 0.0)]
    error_rate: f64,
    /// Share of requests answered slowly.
    #[arg(long, default_value_t = 0.0)]
    slow_rate: f64,
    /// Delay of slow answers in milliseconds.
    #[arg(long, default_value_t = 5000)]
    slow_delay_ms: u64,
    /// Share of requests whose connection is dropped.
    #[arg(long, default_value_t = 0.0)]
    drop_rate: f64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let a = Args::parse();
    let cfg = SimConfig {
        seed: a.seed,
        accounts: a.accounts,
        tickets: a.tickets,
        comments_per_ticket: a.comments_per_ticket,
        end_users: a.end_users,
        agents: a.agents,
        organizations: a.organizations,
        groups: a.groups,
        plan: a.plan,
        time_scale: a.time_scale,
        edge_per_second: a.edge_per_second,
        faults: FaultConfig {
            error_rate: a.error_rate,
            slow_rate: a.slow_rate,
            slow_delay: Duration::from_millis(a.slow_delay_ms),
            drop_rate: a.drop_rate,
        },
    };
    let sim = Simulator::new(cfg);
    let addr: SocketAddr = format!("{}:{}", a.host, a.port).parse()?;
    let handle = sim.spawn(addr).await?;
    println!("content host {}", handle.content_url);
    for acc in sim.accounts() {
        println!(
            "account {} site {} admin {}/token:{} agent {} end_user {} oauth {}",
            acc.subdomain,
            handle.site(&acc.subdomain),
            acc.admin_email,
            acc.api_token,
            acc.agent_email,
            acc.end_user_email,
            acc.oauth_token
        );
    }
    tokio::signal::ctrl_c().await?;
    handle.shutdown().await;
    Ok(())
}
