//! `deskbridge`: the server binary (serve, worker, migrate, demo, api-key, keys).

use clap::Parser;
use deskbridge::{cli, commands, runtime};

/// mimalloc instead of the system allocator: sync batches and list pages allocate many
/// short-lived buffers. Side by side it cut the sync worker's CPU per row by 11 % (the API's
/// per request only within noise), at about twice the peak memory, still flat
/// (docs/BENCHMARKS.md §2, fourth step).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    runtime::init_tracing(&cli.log_format);
    match commands::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
