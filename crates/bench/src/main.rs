//! `deskbridge-bench`: Deskbridge's benchmarks, one command each (see `docs/BENCHMARKS.md`).
//!
//! | command | measures |
//! |---|---|
//! | `read` | `GET /tickets` under wrk (1, 8, 64 connections) against pgbench running the same keyset query |
//! | `ingest` | normalised records written per second and the worker's peak memory, simulator unthrottled |
//! | `sync` | a sync under Freshdesk's Enterprise limit (time-scaled): credits vs the minimum, 429s, wall time vs the lower bound, incremental calls per stream |
//! | `zendesk-sync` | initial syncs of a Zendesk account under the Team and Enterprise limits (time-scaled): requests vs the minimum, 429s, wall time vs the rate bound, memory; an unchanged incremental sync |
//! | `idle` | an unchanged incremental sync of a 500-agent, 50,000-contact account per stream; idle accounts one worker process keeps fresh |
//! | `push` | seconds-fresh tickets: change → `GET /tickets/{id}` and → `Ticket.changed` webhook, with 0 % and 10 % of pushes lost; targeted-sync credits vs one view per change |
//! | `bulk-write` | a sync's comment batches written by the store's `UNNEST` upsert against binary `COPY` into a staging table plus one merge, side by side |
//! | `many` | 1,000 small linked accounts synced by two worker processes: total time, fairness, DB connections |
//! | `all` | all of the above with their defaults |
//!
//! Every process under test is this binary started again: `deskbridge-bench server …` runs the
//! `deskbridge` command line (`serve`, `worker`) and `deskbridge-bench sim …` the Freshdesk
//! simulator, so one `cargo build --release -p deskbridge-bench` builds everything measured.
//! Benchmarks never run in the tests or CI.

/// The allocator of the `deskbridge` binary, so the processes measured allocate as it does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod bulk;
mod common;
mod idle;
mod ingest;
mod many;
mod proxy;
mod push;
mod read;
mod sync;
mod zendesk;

use clap::{Parser, Subcommand};

/// Deskbridge benchmarks.
#[derive(Debug, Parser)]
#[command(
    name = "deskbridge-bench",
    about = "Deskbridge benchmarks (see docs/BENCHMARKS.md)"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Read path: wrk on GET /tickets vs pgbench on the same keyset query.
    Read(read::ReadArgs),
    /// Ingestion: records written per second and the worker's peak memory.
    Ingest(ingest::IngestArgs),
    /// Sync under the Enterprise rate limit (time-scaled), then an incremental sync.
    Sync(sync::SyncArgs),
    /// Zendesk: initial syncs under the Team and Enterprise limits (time-scaled), then an
    /// incremental sync.
    ZendeskSync(zendesk::ZendeskSyncArgs),
    /// Bulk writes: the store's UNNEST upsert against binary COPY plus one merge.
    BulkWrite(bulk::BulkArgs),
    /// Many small accounts synced by two worker processes.
    Many(many::ManyArgs),
    /// Idle accounts: an unchanged incremental sync per stream, and how many one worker keeps fresh.
    Idle(idle::IdleArgs),
    /// Pushes: time until a helpdesk change shows in the API and in a changed-data webhook.
    Push(push::PushArgs),
    /// Every benchmark with its defaults.
    All(common::Global),
    /// Runs the `deskbridge` command line (used by the benchmarks to start processes).
    #[command(hide = true)]
    Server {
        /// Arguments of `deskbridge`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Runs the Freshdesk simulator (used by the benchmarks to start processes).
    #[command(hide = true)]
    Sim(common::SimArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    // Installs the TLS provider every reqwest client of this process relies on.
    let _ = deskbridge_freshdesk::http_client();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = rt.block_on(async move {
        match cli.command {
            Cmd::Read(a) => read::run(a).await,
            Cmd::Ingest(a) => ingest::run(a).await,
            Cmd::Sync(a) => sync::run(a).await,
            Cmd::ZendeskSync(a) => zendesk::run(a).await,
            Cmd::BulkWrite(a) => bulk::run(a).await,
            Cmd::Many(a) => many::run(a).await,
            Cmd::Idle(a) => idle::run(a).await,
            Cmd::Push(a) => push::run(a).await,
            Cmd::All(g) => {
                ingest::run(ingest::IngestArgs::with_global(g.clone())).await?;
                read::run(read::ReadArgs::with_global(g.clone())).await?;
                sync::run(sync::SyncArgs::with_global(g.clone())).await?;
                many::run(many::ManyArgs::with_global(g.clone())).await?;
                idle::run(idle::IdleArgs::with_global(g.clone())).await?;
                push::run(push::PushArgs::with_global(g)).await
            }
            Cmd::Server { args } => {
                use clap::Parser as _;
                let cli = deskbridge::cli::Cli::parse_from(
                    std::iter::once("deskbridge".to_string()).chain(args),
                );
                deskbridge::runtime::init_tracing(&cli.log_format);
                deskbridge::commands::run(cli).await
            }
            Cmd::Sim(a) => common::run_sim(a).await,
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
