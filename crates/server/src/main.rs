//! `deskbridge`: the server binary (serve, worker, migrate, demo, api-key, keys).

use clap::Parser;
use deskbridge::{cli, commands, runtime};

/// mimalloc instead of the system allocator: list pages and sync batches allocate many short
/// lived buffers, and glibc's malloc and free were about a tenth of the API's CPU per list
/// request (docs/BENCHMARKS.md §1).
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
