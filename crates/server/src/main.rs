//! `deskbridge`: the server binary (serve, worker, migrate, demo, api-key, keys).

use clap::Parser;
use deskbridge::{cli, commands, runtime};

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
