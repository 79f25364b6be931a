//! `deskbridge-freshdesk-sim`: serves simulated Freshdesk accounts until Ctrl-C.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use deskbridge_freshdesk_sim::{FaultConfig, Plan, SimConfig, Simulator};

/// Command-line options.
#[derive(Debug, Parser)]
#[command(
    name = "deskbridge-freshdesk-sim",
    about = "Freshdesk API v2 simulator"
)]
struct Args {
    /// Port to listen on.
    #[arg(long, default_value_t = 9000)]
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
    /// Average conversations per ticket.
    #[arg(long, default_value_t = 4.0)]
    conversations_per_ticket: f64,
    /// Contacts per account (default max(10, tickets/2)).
    #[arg(long)]
    contacts: Option<usize>,
    /// Agents per account.
    #[arg(long, default_value_t = 8)]
    agents: usize,
    /// Companies per account.
    #[arg(long, default_value_t = 6)]
    companies: usize,
    /// Groups per account.
    #[arg(long, default_value_t = 4)]
    groups: usize,
    /// Rate-limit plan: free, trial, growth, pro, enterprise (default: unthrottled).
    #[arg(long)]
    plan: Option<Plan>,
    /// Rate-limit clock speed: a minute lasts 60/time-scale seconds.
    #[arg(long, default_value_t = 1.0)]
    time_scale: f64,
    /// Share of requests answered 500/502/503.
    #[arg(long, default_value_t = 0.0)]
    error_rate: f64,
    /// Share of requests answered slowly.
    #[arg(long, default_value_t = 0.0)]
    slow_rate: f64,
    /// Delay of slow answers in milliseconds.
    #[arg(long, default_value_t = 5000)]
    slow_delay_ms: u64,
    /// Share of requests answered with truncated JSON.
    #[arg(long, default_value_t = 0.0)]
    malformed_rate: f64,
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
        conversations_per_ticket: a.conversations_per_ticket,
        contacts: a.contacts,
        agents: a.agents,
        companies: a.companies,
        groups: a.groups,
        plan: a.plan,
        time_scale: a.time_scale,
        faults: FaultConfig {
            error_rate: a.error_rate,
            slow_rate: a.slow_rate,
            slow_delay: Duration::from_millis(a.slow_delay_ms),
            malformed_rate: a.malformed_rate,
            drop_rate: a.drop_rate,
        },
    };
    let sim = Simulator::new(cfg);
    let addr: SocketAddr = format!("{}:{}", a.host, a.port).parse()?;
    let handle = sim.spawn(addr).await?;
    for acc in sim.accounts() {
        println!(
            "account {} api_key {} base_url {}",
            acc.subdomain, acc.api_key, handle.base_url
        );
    }
    tokio::signal::ctrl_c().await?;
    handle.shutdown().await;
    Ok(())
}
