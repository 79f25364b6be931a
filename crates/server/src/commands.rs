//! Runs a parsed command line: the one place that knows every command's module, so that the
//! command modules import `cli` (their arguments) and `cli` imports none of them.

use crate::cli::{Cli, Command};

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(a) => crate::serve::serve(a).await,
        Command::Worker(a) => crate::serve::worker(a).await,
        Command::Migrate(db) => {
            let pool = crate::runtime::database(&db, 2).await?;
            deskbridge_store::migrate(&pool).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::DbServer(db) => {
            let (url, _) = deskbridge_store::pg::find_server(db.database_url.as_deref())
                .await
                .map_err(anyhow::Error::msg)?;
            println!("{url}");
            Ok(())
        }
        Command::Demo(a) => crate::demo::demo(a).await,
        Command::ApiKey(c) => crate::keys::api_key(c).await,
        Command::Keys(c) => crate::keys::keys(c).await,
    }
}
