//! Finding a PostgreSQL for Deskbridge, in one order everywhere:
//! `DATABASE_URL`; else a server already accepting connections on this machine; else a
//! private cluster started from the machine's own PostgreSQL installation in a fixed folder.
//! (Tests add testcontainers after that; see the `deskbridge-testkit` crate.)

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use sqlx::{Connection, PgConnection};

/// The port of the private cluster.
pub const PRIVATE_PORT: u16 = 54329;

/// The one-line message shown when no PostgreSQL can be found.
pub const NO_POSTGRES: &str = "no PostgreSQL found: set DATABASE_URL, or install PostgreSQL \
     (Debian/Ubuntu: `apt-get install postgresql`, macOS: `brew install postgresql`), \
     or run `docker compose up` from the repository";

/// Where a database was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// From `DATABASE_URL`.
    Env,
    /// A server already running on this machine.
    Local,
    /// The private cluster in [`private_dir`].
    Private,
}

/// The server-level URLs tried for a local server, in order.
pub fn local_server_urls() -> Vec<String> {
    let mut urls = vec![
        "postgres://postgres@127.0.0.1:5432/postgres".to_string(),
        "postgres://postgres@localhost:5432/postgres?host=/var/run/postgresql".to_string(),
    ];
    if let Ok(user) = std::env::var("USER")
        && user != "postgres"
    {
        urls.push(format!("postgres://{user}@127.0.0.1:5432/postgres"));
        urls.push(format!(
            "postgres://{user}@localhost:5432/postgres?host=/var/run/postgresql"
        ));
    }
    urls
}

/// Swaps the database name of a URL (keeps the query string).
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = base[scheme_end..].find('/').map(|i| i + scheme_end);
    let root = match path_start {
        Some(i) => &base[..i],
        None => base,
    };
    match query {
        Some(q) => format!("{root}/{db}?{q}"),
        None => format!("{root}/{db}"),
    }
}

/// True when a connection can be opened within a second.
pub async fn accepts(url: &str) -> bool {
    matches!(
        tokio::time::timeout(Duration::from_secs(2), PgConnection::connect(url)).await,
        Ok(Ok(_))
    )
}

/// Creates database `db` on the server at `server_url` if it does not exist.
pub async fn ensure_database(server_url: &str, db: &str) -> Result<(), sqlx::Error> {
    let mut conn = PgConnection::connect(server_url).await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(db)
            .fetch_one(&mut conn)
            .await?;
    if !exists {
        let sql = format!("CREATE DATABASE \"{}\"", db.replace('"', ""));
        if let Err(e) = sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut conn)
            .await
        {
            // Another process may have created it at the same moment.
            let again: bool =
                sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                    .bind(db)
                    .fetch_one(&mut conn)
                    .await?;
            if !again {
                return Err(e);
            }
        }
    }
    Ok(())
}

/// Finds a PostgreSQL server (not a database): `DATABASE_URL`'s server, a local one, or the
/// private cluster (started if needed). Returns a server-level URL and where it came from.
pub async fn find_server(database_url: Option<&str>) -> Result<(String, Source), String> {
    if let Some(url) = database_url.filter(|u| !u.trim().is_empty()) {
        return Ok((url.to_string(), Source::Env));
    }
    for url in local_server_urls() {
        if accepts(&url).await {
            return Ok((url, Source::Local));
        }
    }
    let url = start_private_cluster().await?;
    Ok((url, Source::Private))
}

/// Resolves the database Deskbridge uses: `DATABASE_URL` as is, otherwise database
/// `deskbridge` on a local server or the private cluster (created if missing).
pub async fn resolve(database_url: Option<&str>) -> Result<(String, Source), String> {
    let (server, source) = find_server(database_url).await?;
    if source == Source::Env {
        return Ok((server, source));
    }
    ensure_database(&server, "deskbridge")
        .await
        .map_err(|e| format!("cannot create database deskbridge: {e}"))?;
    Ok((with_database(&server, "deskbridge"), source))
}

/// The private cluster's folder: `$DESKBRIDGE_HOME/pg`, or `~/.local/share/deskbridge/pg`.
pub fn private_dir() -> PathBuf {
    if let Ok(home) = std::env::var("DESKBRIDGE_HOME") {
        return PathBuf::from(home).join("pg");
    }
    let base = std::env::var("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|_| std::env::var("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|_| PathBuf::from("/tmp"));
    base.join("deskbridge").join("pg")
}

/// Finds the folder holding `initdb` and `pg_ctl`.
pub fn find_pg_bin() -> Option<PathBuf> {
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if dir.join("initdb").exists() {
            return Some(dir);
        }
    }
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") {
        let mut versions: Vec<PathBuf> = entries.flatten().map(|e| e.path().join("bin")).collect();
        versions.sort();
        versions.reverse();
        candidates.extend(versions);
    }
    for p in [
        "/usr/local/bin",
        "/opt/homebrew/bin",
        "/usr/bin",
        "/usr/local/pgsql/bin",
    ] {
        candidates.push(PathBuf::from(p));
    }
    candidates
        .into_iter()
        .find(|d| d.join("initdb").exists() && d.join("pg_ctl").exists())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Runs a PostgreSQL tool, as the `postgres` user when we are root (initdb refuses root).
fn run_pg(bin: &Path, tool: &str, args: &[&str]) -> Result<(), String> {
    let tool_path = bin.join(tool);
    let status = if is_root() {
        Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(&tool_path)
            .args(args)
            .status()
    } else {
        Command::new(&tool_path).args(args).status()
    };
    match status {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(format!("{tool} failed ({s})")),
        Err(e) => Err(format!("cannot run {tool}: {e}")),
    }
}

/// Starts (creating it on first use) the private cluster and returns its server URL.
pub async fn start_private_cluster() -> Result<String, String> {
    let url = format!("postgres://postgres@127.0.0.1:{PRIVATE_PORT}/postgres");
    if accepts(&url).await {
        return Ok(url);
    }
    let bin = find_pg_bin().ok_or_else(|| NO_POSTGRES.to_string())?;
    let dir = private_dir();
    let data = dir.join("data");
    let sock = dir.join("sock");
    std::fs::create_dir_all(&sock).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    if is_root() {
        let _ = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(&dir)
            .status();
    }
    let data_s = data.to_string_lossy().to_string();
    if !data.join("PG_VERSION").exists() {
        run_pg(
            &bin,
            "initdb",
            &[
                "-D",
                &data_s,
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-instructions",
            ],
        )?;
    }
    let opts = format!(
        "-p {PRIVATE_PORT} -k {} -c listen_addresses=127.0.0.1",
        sock.to_string_lossy()
    );
    let log = dir.join("postgres.log").to_string_lossy().to_string();
    run_pg(
        &bin,
        "pg_ctl",
        &["-D", &data_s, "-l", &log, "-w", "-o", &opts, "start"],
    )?;
    for _ in 0..50 {
        if accepts(&url).await {
            return Ok(url);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!(
        "the private PostgreSQL cluster in {} did not start; see {log}",
        dir.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swaps_database_names() {
        assert_eq!(
            with_database("postgres://u@h:5432/postgres", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@h:5432", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@localhost:5432/postgres?host=/s", "x"),
            "postgres://u@localhost:5432/x?host=/s"
        );
    }
}
