//! The command line and its settings (each setting also read from its environment variable).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Deskbridge: a self-hosted unified ticketing API (Merge-compatible).
#[derive(Debug, Parser)]
#[command(name = "deskbridge", version, about)]
pub struct Cli {
    /// Log format: `text` or `json`.
    #[arg(
        long,
        env = "DESKBRIDGE_LOG_FORMAT",
        default_value = "text",
        global = true
    )]
    pub log_format: String,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API (and run sync workers in-process unless `--workers 0`).
    Serve(ServeArgs),
    /// Run sync workers and the scheduler only.
    Worker(WorkerArgs),
    /// Apply database migrations and exit.
    Migrate(DbArgs),
    /// Print the server-level URL of the PostgreSQL Deskbridge finds (DATABASE_URL, a local
    /// server, or the private cluster, started if needed), for scripts that create databases
    /// of their own, such as the tests.
    DbServer(DbArgs),
    /// Start a simulated Freshdesk, link it, sync it, serve, and print ready-to-paste curl commands.
    Demo(DemoArgs),
    /// Manage API keys.
    #[command(subcommand)]
    ApiKey(ApiKeyCommand),
    /// Manage the master key.
    #[command(subcommand)]
    Keys(KeysCommand),
}

/// Where the database is.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// PostgreSQL URL; when unset, a local server or a private cluster is used.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
}

/// The master key that encrypts credentials at rest.
#[derive(Debug, Clone, Args)]
pub struct KeyArgs {
    /// Base64 of 32 bytes.
    #[arg(long, env = "DESKBRIDGE_MASTER_KEY", hide_env_values = true)]
    pub master_key: Option<String>,
    /// A file holding the base64 key.
    #[arg(long, env = "DESKBRIDGE_MASTER_KEY_FILE")]
    pub master_key_file: Option<PathBuf>,
    /// A second key this process reads with but never writes with (base64 of 32 bytes), so
    /// that processes mid-rollout of a key rotation read what either key wrote.
    #[arg(long, env = "DESKBRIDGE_MASTER_KEY_PREVIOUS", hide_env_values = true)]
    pub master_key_previous: Option<String>,
    /// A file holding that second key.
    #[arg(long, env = "DESKBRIDGE_MASTER_KEY_PREVIOUS_FILE")]
    pub master_key_previous_file: Option<PathBuf>,
}

/// Settings shared by `serve` and `worker`.
#[derive(Debug, Clone, Args)]
pub struct EngineArgs {
    /// Origins (`scheme://host:port`, exact) besides https://*.freshdesk.com that a linked
    /// account's domain may name; exact so that allowing one service (a simulator) never
    /// allows the other ports or schemes of its machine.
    #[arg(
        long,
        env = "DESKBRIDGE_ALLOW_PROVIDER_HOSTS",
        value_delimiter = ',',
        default_value = "",
        value_parser = provider_origin_arg
    )]
    pub allow_provider_hosts: Vec<String>,
    /// Seconds between incremental syncs of each account.
    #[arg(long, env = "DESKBRIDGE_SYNC_INTERVAL_SECS", default_value_t = 300)]
    pub sync_interval_secs: u64,
    /// Share of the customer's Freshdesk rate limit left free for their other apps.
    #[arg(long, env = "DESKBRIDGE_PROVIDER_RESERVE", default_value_t = 0.2)]
    pub provider_reserve: f64,
    /// Database connections of this process.
    #[arg(long, env = "DESKBRIDGE_DB_CONNECTIONS", default_value_t = 10)]
    pub db_connections: u32,
    /// Seconds a claimed job stays ours without a heartbeat (a dead worker's job is taken
    /// over after this).
    #[arg(long, env = "DESKBRIDGE_JOB_LEASE_SECS", default_value_t = 30)]
    pub job_lease_secs: u64,
    /// Timeout of one request to a provider, in seconds.
    #[arg(long, env = "DESKBRIDGE_PROVIDER_TIMEOUT_SECS", default_value_t = 30)]
    pub provider_timeout_secs: u64,
    /// Seconds between id reconciliations of each account (catches purged and hard-deleted records).
    #[arg(
        long,
        env = "DESKBRIDGE_RECONCILE_INTERVAL_SECS",
        default_value_t = 86_400
    )]
    pub reconcile_interval_secs: u64,
    /// Length of the provider's rate-limit window in seconds (Freshdesk: 60; shorter only for
    /// a time-scaled simulator).
    #[arg(
        long,
        env = "DESKBRIDGE_PROVIDER_RATE_WINDOW_SECS",
        default_value_t = 60.0
    )]
    pub provider_rate_window_secs: f64,
    /// Hosts (or host:port) webhook receivers may use although they are private or loopback
    /// addresses (e.g. `127.0.0.1:9100`); other private addresses are refused.
    #[arg(
        long,
        env = "DESKBRIDGE_ALLOW_WEBHOOK_HOSTS",
        value_delimiter = ',',
        default_value = ""
    )]
    pub allow_webhook_hosts: Vec<String>,
    /// Seconds to wait before each retry of a failed webhook delivery, comma-separated; after
    /// the last one the delivery fails (each wait varies by ±20 %).
    #[arg(
        long,
        env = "DESKBRIDGE_WEBHOOK_RETRY_SCHEDULE",
        default_value = "5,300,1800,7200,18000,36000,36000"
    )]
    pub webhook_retry_schedule: String,
    /// Timeout of one webhook delivery attempt, in seconds.
    #[arg(long, env = "DESKBRIDGE_WEBHOOK_TIMEOUT_SECS", default_value_t = 15)]
    pub webhook_timeout_secs: u64,
    /// Hours a webhook endpoint may fail without a success before it is disabled.
    #[arg(
        long,
        env = "DESKBRIDGE_WEBHOOK_DISABLE_AFTER_HOURS",
        default_value_t = 120.0
    )]
    pub webhook_disable_after_hours: f64,
}

impl EngineArgs {
    /// The sync settings these arguments describe.
    pub fn sync_settings(&self) -> deskbridge_sync::SyncSettings {
        deskbridge_sync::SyncSettings {
            interval: std::time::Duration::from_secs(self.sync_interval_secs),
            lease: std::time::Duration::from_secs(self.job_lease_secs.max(1)),
            reconcile_every: std::time::Duration::from_secs(self.reconcile_interval_secs),
            ..deskbridge_sync::SyncSettings::default()
        }
    }

    /// The hosts webhook receivers may use although they are private addresses.
    pub fn webhook_allowed_hosts(&self) -> Vec<String> {
        self.allow_webhook_hosts
            .iter()
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .collect()
    }

    /// The webhook delivery settings these arguments describe.
    pub fn webhook_settings(&self) -> anyhow::Result<deskbridge_webhooks::WebhookSettings> {
        let schedule = deskbridge_webhooks::parse_schedule(&self.webhook_retry_schedule)
            .map_err(|e| anyhow::anyhow!("DESKBRIDGE_WEBHOOK_RETRY_SCHEDULE: {e}"))?;
        let hours = self.webhook_disable_after_hours;
        if !hours.is_finite() || hours <= 0.0 {
            anyhow::bail!(
                "DESKBRIDGE_WEBHOOK_DISABLE_AFTER_HOURS must be a positive number of hours"
            );
        }
        let timeout = std::time::Duration::from_secs(self.webhook_timeout_secs.max(1));
        Ok(deskbridge_webhooks::WebhookSettings {
            schedule,
            timeout,
            lease: (timeout * 2).max(std::time::Duration::from_secs(30)),
            disable_after: std::time::Duration::from_secs_f64(hours * 3600.0),
            allowed_hosts: self.webhook_allowed_hosts(),
            ..deskbridge_webhooks::WebhookSettings::default()
        })
    }
}

/// `serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Database.
    #[command(flatten)]
    pub db: DbArgs,
    /// Master key.
    #[command(flatten)]
    pub key: KeyArgs,
    /// Engine settings.
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Address to listen on.
    #[arg(long, env = "DESKBRIDGE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Do not apply migrations at start.
    #[arg(long, env = "DESKBRIDGE_NO_MIGRATE")]
    pub no_migrate: bool,
    /// Sync workers in this process (0: none; run `deskbridge worker` instead).
    #[arg(long, env = "DESKBRIDGE_WORKERS", default_value_t = 2)]
    pub workers: usize,
    /// Requests per linked account per minute toward callers (0: off).
    #[arg(long, env = "DESKBRIDGE_RATE_LIMIT_PER_MINUTE", default_value_t = 600)]
    pub rate_limit_per_minute: u32,
    /// Largest request body in bytes.
    #[arg(long, env = "DESKBRIDGE_BODY_LIMIT", default_value_t = 2 * 1024 * 1024)]
    pub body_limit: usize,
    /// Request timeout in seconds.
    #[arg(long, env = "DESKBRIDGE_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,
    /// Public base URL of this server, used in magic links (unset: no magic links; the Host
    /// header is never used, since the client chooses it).
    #[arg(long, env = "DESKBRIDGE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Install the push (helpdesk webhook and trigger) at link time where the integration and
    /// credential allow it (see docs/PUSH.md).
    #[arg(long, env = "DESKBRIDGE_PUSH_ON_LINK", default_value_t = true, action = clap::ArgAction::Set)]
    pub push_on_link: bool,
    /// Networks (CIDRs, comma-separated) of reverse proxies whose `Forwarded` or
    /// `X-Forwarded-For` header names the client; from anywhere else those headers are ignored.
    #[arg(
        long,
        env = "DESKBRIDGE_TRUSTED_PROXIES",
        value_delimiter = ',',
        default_value = ""
    )]
    pub trusted_proxies: Vec<String>,
    /// Origins (comma-separated, e.g. `https://app.example.com`) that may frame the Link page
    /// and receive its `postMessage`; unset: none.
    #[arg(
        long,
        env = "DESKBRIDGE_LINK_EMBED_ORIGINS",
        value_delimiter = ',',
        default_value = ""
    )]
    pub link_embed_origins: Vec<String>,
    /// Where the Link page sends the end user with `?public_token=…` when it has no opener.
    #[arg(long, env = "DESKBRIDGE_LINK_REDIRECT_URL")]
    pub link_redirect_url: Option<String>,
    /// Failed Link-page attempts per client (IPv6: per /64) and failed token exchanges per
    /// organization, per minute, before 429 (0: off).
    #[arg(long, env = "DESKBRIDGE_LINK_FAILURE_LIMIT", default_value_t = 20)]
    pub link_failure_limit: u32,
    /// The bearer token `GET /metrics` requires; unset, `/metrics` is off (404).
    #[arg(long, env = "DESKBRIDGE_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
}

/// `worker`.
#[derive(Debug, Clone, Args)]
pub struct WorkerArgs {
    /// Database.
    #[command(flatten)]
    pub db: DbArgs,
    /// Master key.
    #[command(flatten)]
    pub key: KeyArgs,
    /// Engine settings.
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Concurrent workers.
    #[arg(long, env = "DESKBRIDGE_WORKERS", default_value_t = 2)]
    pub workers: usize,
    /// Serve Prometheus metrics of this worker process at `http://ADDRESS/metrics` (off when
    /// unset; `serve` has `/metrics` on its API address).
    #[arg(long, env = "DESKBRIDGE_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
}

/// `demo`.
#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Database.
    #[command(flatten)]
    pub db: DbArgs,
    /// Master key (default: generated once and kept in `DESKBRIDGE_HOME`).
    #[command(flatten)]
    pub key: KeyArgs,
    /// Address to listen on.
    #[arg(long, env = "DESKBRIDGE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Delete the demo's earlier data (organization `demo`: its keys, linked accounts, records
    /// and webhooks) before starting; the way out when the master key changed.
    #[arg(long)]
    pub reset: bool,
    /// Tickets in the simulated Freshdesk.
    #[arg(long, default_value_t = 250)]
    pub tickets: usize,
    /// Requests per linked account per minute toward callers (0: off, the demo's default).
    #[arg(long, default_value_t = 0)]
    pub rate_limit_per_minute: u32,
    /// Failed Link-page attempts per client (IPv6: per /64) and failed token exchanges per
    /// organization, per minute, before 429 (0: off).
    #[arg(long, default_value_t = 20)]
    pub link_failure_limit: u32,
    /// Once synced, also write the base URL and the credentials as JSON to this file
    /// (`base_url`, `api_key`, `account_token`, `linked_account_id`, `freshdesk.domain`,
    /// `freshdesk.api_key`), for scripts such as `scripts/fuzz`.
    #[arg(long)]
    pub credentials_file: Option<PathBuf>,
}

/// `api-key`.
#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create a key (and the organization if needed); the key is printed once, on the last line.
    Create {
        /// Database.
        #[command(flatten)]
        db: DbArgs,
        /// Organization name.
        #[arg(long)]
        org: String,
        /// A label for the key.
        #[arg(long, default_value = "default")]
        name: String,
    },
    /// List an organization's keys (never the keys themselves).
    List {
        /// Database.
        #[command(flatten)]
        db: DbArgs,
        /// Organization name.
        #[arg(long)]
        org: String,
    },
    /// Revoke a key by id.
    Revoke {
        /// Database.
        #[command(flatten)]
        db: DbArgs,
        /// The key's id (from `api-key list`).
        id: uuid::Uuid,
    },
}

/// `keys`.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Re-encrypt every stored credential under a new master key.
    Rotate {
        /// Database.
        #[command(flatten)]
        db: DbArgs,
        /// The current master key.
        #[command(flatten)]
        key: KeyArgs,
        /// A file holding the new base64 key.
        #[arg(long)]
        new_key_file: PathBuf,
    },
    /// Print a new random master key (base64 of 32 bytes).
    Generate,
}

/// Parses one allowed provider origin (normalised; empty stays empty and is skipped).
fn provider_origin_arg(s: &str) -> Result<String, String> {
    deskbridge_freshdesk::provider_origin(s).map(Option::unwrap_or_default)
}
