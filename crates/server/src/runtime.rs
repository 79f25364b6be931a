//! Start-up plumbing shared by the subcommands: logging, the database, the master key, the
//! provider factory and shutdown signals.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use deskbridge_freshdesk::FreshdeskIntegration;
use deskbridge_store::{Cipher, MasterKey, PgPool, Store, pg};
use deskbridge_sync::Registry;
use deskbridge_zendesk::ZendeskIntegration;
use tokio::sync::watch;
use tracing::info;
use tracing_subscriber::EnvFilter;

use crate::cli::{DbArgs, EngineArgs, KeyArgs};

/// Sets up `tracing`: `RUST_LOG` or `info`, as text or JSON.
pub fn init_tracing(format: &str) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,hyper=warn,reqwest=warn"));
    // Colour codes only for a person at a terminal: a log file or a pipe gets plain text.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    if format.eq_ignore_ascii_case("json") {
        builder.json().init();
    } else {
        // The module path adds little to a text line a person reads; JSON keeps it.
        builder.with_target(false).init();
    }
}

/// Finds the database (DATABASE_URL, a local server, or the private cluster) and connects.
pub async fn database(db: &DbArgs, connections: u32) -> anyhow::Result<PgPool> {
    Ok(database_named(db, connections).await?.0)
}

/// Which database a command uses, for messages.
#[derive(Debug, Clone)]
pub struct DatabaseInfo {
    /// `database NAME on HOST:PORT` (never a password).
    pub name: String,
    /// True for the private cluster under `DESKBRIDGE_HOME`, the one case where another
    /// `DESKBRIDGE_HOME` also means another database.
    pub private: bool,
}

impl std::fmt::Display for DatabaseInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

/// [`database`], with what messages need to name it.
pub async fn database_named(
    db: &DbArgs,
    connections: u32,
) -> anyhow::Result<(PgPool, DatabaseInfo)> {
    let (url, source) = pg::resolve(db.database_url.as_deref())
        .await
        .map_err(anyhow::Error::msg)?;
    let name = DatabaseInfo {
        name: describe_database(&url),
        private: matches!(source, pg::Source::Private),
    };
    match source {
        pg::Source::Env => info!("using DATABASE_URL"),
        pg::Source::Local => {
            info!("using the PostgreSQL running on this machine (database deskbridge)")
        }
        pg::Source::Private => info!(
            dir = %pg::private_dir().display(),
            "using Deskbridge's private PostgreSQL cluster"
        ),
    }
    let pool = deskbridge_store::connect(&url, connections)
        .await
        .with_context(|| format!("cannot connect to PostgreSQL ({name})"))?;
    Ok((pool, name))
}

/// `database NAME on HOST:PORT` for a PostgreSQL URL, without its credentials.
pub fn describe_database(url: &str) -> String {
    match url.parse::<sqlx::postgres::PgConnectOptions>() {
        Ok(o) => format!(
            "database `{}` on {}:{}",
            o.get_database().unwrap_or("postgres"),
            o.get_host(),
            o.get_port()
        ),
        Err(_) => "the database of DATABASE_URL".to_string(),
    }
}

/// Binds the API's address before anything else happens, so a busy port stops the command
/// before it links, syncs or changes anything. `option` names the setting to change.
pub async fn bind(addr: SocketAddr, option: &str) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        let why = match e.kind() {
            std::io::ErrorKind::AddrInUse => {
                "the address is already in use (another deskbridge, or another program)".to_string()
            }
            std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
            _ => e.to_string(),
        };
        anyhow::anyhow!(
            "cannot listen on {addr}: {why}. Choose another address with {option}, e.g. \
             127.0.0.1:0 for any free port."
        )
    })
}

/// Where the master key came from, for messages.
pub fn key_source(key: &KeyArgs) -> String {
    if key.master_key.is_some() {
        "DESKBRIDGE_MASTER_KEY (--master-key)".to_string()
    } else {
        let file = key.master_key_file.clone().unwrap_or_else(default_key_file);
        format!("the key file {}", file.display())
    }
}

/// Stops with one clear message when the master key cannot decrypt what the database holds:
/// every later step (a relink, a sync, a webhook delivery) would fail on it.
pub async fn check_master_key(
    store: &Store,
    database: &DatabaseInfo,
    key: &KeyArgs,
    demo: bool,
) -> anyhow::Result<()> {
    let check = store
        .check_master_key()
        .await
        .with_context(|| format!("cannot read the stored secrets of {database}"))?;
    if !check.wrong_key() {
        if check.failed > 0 {
            tracing::warn!(
                failed = check.failed,
                tried = check.tried,
                "some stored secrets do not decrypt under this master key; those accounts or \
                 webhook endpoints will fail until relinked"
            );
        }
        return Ok(());
    }
    let reset = if demo {
        "\n  - or start the demo afresh: `deskbridge demo --reset` deletes the demo's organization \
         (`demo`) with its keys, linked accounts and records, and keeps everything else"
    } else {
        "\n  - or, for the demo's data only, `deskbridge demo --reset` deletes the demo's organization"
    };
    anyhow::bail!(
        "the master key does not fit {database}: none of the {tried} newest stored secrets \
         decrypt with {source}. The data was written under another master key.\n\
         Ways out:\n  - use the key that wrote it: set DESKBRIDGE_MASTER_KEY_FILE to that key's file \
         (or DESKBRIDGE_MASTER_KEY to its base64)\n  - or use another database: {other}{reset}",
        tried = check.tried,
        source = key_source(key),
        other = other_database(database),
    )
}

/// How to point a command at another database, for messages.
pub fn other_database(database: &DatabaseInfo) -> &'static str {
    if database.private {
        "set DATABASE_URL, or another DESKBRIDGE_HOME (its own private cluster and key)"
    } else {
        "set DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/my_deskbridge (another \
         DESKBRIDGE_HOME alone changes only the key: the PostgreSQL running here stays in use)"
    }
}

/// Where the demo keeps its generated master key.
pub fn default_key_file() -> PathBuf {
    pg::private_dir().with_file_name("master.key")
}

/// Loads the master key from the flag/env, the key file, or (demo only) a generated file.
pub fn master_key(key: &KeyArgs, generate: bool) -> anyhow::Result<MasterKey> {
    if let Some(k) = &key.master_key {
        return MasterKey::from_base64(k)
            .map_err(|e| anyhow::anyhow!("DESKBRIDGE_MASTER_KEY: {e}"));
    }
    let file = key.master_key_file.clone().unwrap_or_else(default_key_file);
    if file.exists() {
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        if key.master_key_file.is_none() {
            info!(file = %file.display(), "using the master key kept by `deskbridge demo`");
        }
        return MasterKey::from_base64(&text)
            .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()));
    }
    if key.master_key_file.is_some() {
        bail!("the master key file {} does not exist", file.display());
    }
    if !generate {
        bail!(
            "no master key: set DESKBRIDGE_MASTER_KEY (base64 of 32 bytes, e.g. from `deskbridge keys generate`) \
             or DESKBRIDGE_MASTER_KEY_FILE"
        );
    }
    let k = MasterKey::generate();
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    write_private(&file, &k.to_base64())?;
    println!(
        "Generated a master key for the demo and kept it in {}",
        file.display()
    );
    Ok(k)
}

/// Writes a file readable by its owner only.
pub fn write_private(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    opts.mode(0o600);
    let mut f = opts
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    Ok(())
}

/// The second key of a rotation (`DESKBRIDGE_MASTER_KEY_PREVIOUS` or its file), if set.
pub fn previous_key(key: &KeyArgs) -> anyhow::Result<Option<MasterKey>> {
    if let Some(k) = key
        .master_key_previous
        .as_deref()
        .filter(|k| !k.trim().is_empty())
    {
        return MasterKey::from_base64(k)
            .map(Some)
            .map_err(|e| anyhow::anyhow!("DESKBRIDGE_MASTER_KEY_PREVIOUS: {e}"));
    }
    let Some(file) = &key.master_key_previous_file else {
        return Ok(None);
    };
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    MasterKey::from_base64(&text)
        .map(Some)
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))
}

/// The cipher of these key settings: writes with the master key, reads with it and with the
/// previous key (so processes mid-rollout read what either key wrote).
pub fn cipher(key: &KeyArgs, generate: bool) -> anyhow::Result<Cipher> {
    let mut cipher = Cipher::new(master_key(key, generate)?);
    if let Some(previous) = previous_key(key)? {
        cipher = cipher.with_previous(previous);
    }
    Ok(cipher)
}

/// The store with its cipher.
pub fn store(pool: PgPool, cipher: Cipher) -> Store {
    Store::new(pool, cipher)
}

/// Loads the token hash key at start, so that a key that does not open it is reported at
/// once (the first request needing it would fail anyway; the database may also not be
/// migrated or reachable yet, so this only warns).
pub async fn load_keys(store: &Store) {
    if let Err(e) = store.load_keys().await {
        tracing::warn!(error = %e, "cannot load the token hash key yet");
    }
}

/// The integrations Deskbridge offers, with the engine settings: the one place that lists
/// them, one line per adapter crate.
pub fn factory(engine: &EngineArgs) -> Arc<Registry> {
    let hosts: Vec<String> = engine
        .allow_provider_hosts
        .iter()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .collect();
    let timeout = std::time::Duration::from_secs(engine.provider_timeout_secs.max(1));
    let window = std::time::Duration::from_secs_f64(engine.provider_rate_window_secs.max(0.1));
    Arc::new(
        Registry::new()
            .with(
                FreshdeskIntegration::new(hosts.clone(), engine.provider_reserve)
                    .with_request_timeout(timeout)
                    .with_rate_window(window),
            )
            .with(
                ZendeskIntegration::new(hosts, engine.provider_reserve)
                    .with_request_timeout(timeout)
                    .with_rate_window(window),
            ),
    )
}

/// A channel that turns true on SIGTERM or Ctrl-C.
pub fn shutdown_signal() -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term =
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(s) => s,
                    Err(_) => {
                        let _ = ctrl_c.await;
                        let _ = tx.send(true);
                        return;
                    }
                };
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
        info!("shutting down");
        let _ = tx.send(true);
    });
    rx
}
