//! `serve` and `worker`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use deskbridge_api::{ApiConfig, AppState};
use deskbridge_store::Store;
use deskbridge_sync::{Registry, SyncEngine, SyncSettings};
use deskbridge_webhooks::{WebhookSettings, WebhookWorker};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::info;

use crate::cli::{ServeArgs, WorkerArgs};
use crate::runtime;

/// How the API's address is set, for messages.
pub const LISTEN_OPTION: &str = "--listen ADDRESS (or DESKBRIDGE_LISTEN)";

/// A worker id unique across processes.
fn worker_id(i: usize) -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "host".into());
    format!("{host}-{}-{i}", std::process::id())
}

/// Starts `n` workers and the scheduler (when `n > 0`).
pub fn start_workers(
    engine: &SyncEngine,
    n: usize,
    shutdown: &watch::Receiver<bool>,
    tasks: &mut JoinSet<()>,
) {
    for i in 0..n {
        let e = engine.clone();
        let rx = shutdown.clone();
        tasks.spawn(async move { e.run_worker(worker_id(i), rx).await });
    }
    if n > 0 {
        let e = engine.clone();
        let rx = shutdown.clone();
        tasks.spawn(async move { e.run_scheduler(rx).await });
        // Targeted syncs of pushed tickets: one per process is enough (each round fetches
        // many accounts' tickets concurrently, each paced by its account's budget).
        let e = engine.clone();
        let rx = shutdown.clone();
        let id = format!("{}-push", worker_id(0));
        tasks.spawn(async move { e.run_push_worker(id, rx).await });
    }
}

/// Starts the webhook delivery worker.
pub fn start_webhooks(
    store: &Store,
    settings: WebhookSettings,
    shutdown: &watch::Receiver<bool>,
    tasks: &mut JoinSet<()>,
) {
    let w = WebhookWorker::new(store.clone(), settings);
    let rx = shutdown.clone();
    let id = format!(
        "{}-webhooks-{}",
        worker_id(0),
        uuid::Uuid::new_v4().simple()
    );
    tasks.spawn(async move { w.run(id, rx).await });
}

async fn wait_for(mut rx: watch::Receiver<bool>) {
    while !*rx.borrow() {
        if rx.changed().await.is_err() {
            return;
        }
    }
}

/// Serves the API on `listener` with `workers` in-process workers until shutdown; in-flight
/// requests finish and running jobs are released at their last checkpoint. Webhooks are
/// delivered with the default settings (receivers on the API's allowed webhook hosts).
pub async fn run(
    store: Store,
    factory: Arc<Registry>,
    settings: SyncSettings,
    api: ApiConfig,
    listener: TcpListener,
    workers: usize,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let webhooks = WebhookSettings {
        allowed_hosts: api.webhook_allowed_hosts.clone(),
        ..WebhookSettings::default()
    };
    run_with_webhooks(
        store, factory, settings, api, webhooks, listener, workers, shutdown,
    )
    .await
}

/// [`run`] with webhook delivery settings. With `workers > 0` a webhook delivery worker runs
/// next to the sync workers.
#[allow(clippy::too_many_arguments)]
pub async fn run_with_webhooks(
    store: Store,
    factory: Arc<Registry>,
    settings: SyncSettings,
    api: ApiConfig,
    webhooks: WebhookSettings,
    listener: TcpListener,
    workers: usize,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    // The metrics recorder first, so the workers' counters are kept from their first run on.
    let _ = deskbridge_api::metrics::handle();
    let engine = SyncEngine {
        store: store.clone(),
        registry: factory.clone(),
        settings,
    };
    let mut tasks = JoinSet::new();
    start_workers(&engine, workers, &shutdown, &mut tasks);
    if workers > 0 {
        start_webhooks(&store, webhooks, &shutdown, &mut tasks);
    }
    // Keeps this process's authentication cache in step with revocations (and bypasses it
    // while not listening): see deskbridge_store::auth_cache.
    let auth_listener = {
        let store = store.clone();
        tokio::spawn(async move { store.run_auth_listener().await })
    };
    let app = deskbridge_api::app(AppState::new(store, factory, api));
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(wait_for(shutdown))
    .await;
    auth_listener.abort();
    served?;
    while tasks.join_next().await.is_some() {}
    info!("stopped");
    Ok(())
}

/// An optional setting that must be an absolute http(s) URL.
fn http_url(name: &str, value: Option<&str>) -> anyhow::Result<Option<String>> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    match v.parse::<axum::http::Uri>() {
        Ok(u) if matches!(u.scheme_str(), Some("http" | "https")) && u.authority().is_some() => {
            Ok(Some(v.to_string()))
        }
        _ => anyhow::bail!(
            "{name} must be an absolute http(s) URL, such as https://app.example.com/linked"
        ),
    }
}

/// `deskbridge serve`.
pub async fn serve(a: ServeArgs) -> anyhow::Result<()> {
    // The address first: a busy port stops us before anything is migrated or changed.
    let listener = runtime::bind(a.listen, LISTEN_OPTION).await?;
    let key = runtime::cipher(&a.key, false)?;
    let (pool, database) = runtime::database_named(&a.db, a.engine.db_connections).await?;
    if !a.no_migrate {
        deskbridge_store::migrate(&pool)
            .await
            .with_context(|| format!("cannot apply the migrations to {database}"))?;
    }
    let store = runtime::store(pool, key);
    runtime::check_master_key(&store, &database, &a.key, false).await?;
    runtime::load_keys(&store).await;
    let factory = runtime::factory(&a.engine);
    let settings = a.engine.sync_settings();
    let api = ApiConfig {
        rate_limit_per_minute: a.rate_limit_per_minute,
        body_limit: a.body_limit,
        request_timeout: Duration::from_secs(a.request_timeout_secs),
        sync_interval: settings.interval,
        public_url: http_url("DESKBRIDGE_PUBLIC_URL", a.public_url.as_deref())?,
        link_redirect_url: http_url(
            "DESKBRIDGE_LINK_REDIRECT_URL",
            a.link_redirect_url.as_deref(),
        )?,
        link_failure_limit: a.link_failure_limit,
        trusted_proxies: deskbridge_api::client_ip::parse_proxies(&a.trusted_proxies)
            .map_err(|e| anyhow::anyhow!("DESKBRIDGE_TRUSTED_PROXIES: {e}"))?,
        link_embed_origins: deskbridge_api::embed::parse_origins(&a.link_embed_origins)
            .map_err(|e| anyhow::anyhow!("DESKBRIDGE_LINK_EMBED_ORIGINS: {e}"))?,
        webhook_allowed_hosts: a.engine.webhook_allowed_hosts(),
        metrics_token: a.metrics_token.clone().filter(|t| !t.trim().is_empty()),
        push_on_link: a.push_on_link,
    };
    if api.public_url.is_none() {
        // Said at start, not only to the caller who asks for a magic link.
        tracing::warn!(
            "DESKBRIDGE_PUBLIC_URL is not set: POST /link-token refuses magic links (400) until it is"
        );
    }
    let webhooks = a.engine.webhook_settings()?;
    println!(
        "Deskbridge listening on http://{}  (docs: http://{}/docs)",
        listener.local_addr()?,
        listener.local_addr()?
    );
    let shutdown = runtime::shutdown_signal();
    run_with_webhooks(
        store, factory, settings, api, webhooks, listener, a.workers, shutdown,
    )
    .await
}

/// `deskbridge worker`.
pub async fn worker(a: WorkerArgs) -> anyhow::Result<()> {
    let key = runtime::cipher(&a.key, false)?;
    let (pool, database) = runtime::database_named(&a.db, a.engine.db_connections).await?;
    let store = runtime::store(pool, key);
    runtime::check_master_key(&store, &database, &a.key, false).await?;
    runtime::load_keys(&store).await;
    let engine = SyncEngine {
        store,
        registry: runtime::factory(&a.engine),
        settings: a.engine.sync_settings(),
    };
    let webhooks = a.engine.webhook_settings()?;
    let shutdown = runtime::shutdown_signal();
    let mut tasks = JoinSet::new();
    if let Some(addr) = a.metrics_listen {
        let _ = deskbridge_api::metrics::handle();
        let listener = runtime::bind(
            addr,
            "--metrics-listen ADDRESS (or DESKBRIDGE_METRICS_LISTEN)",
        )
        .await?;
        info!(address = %listener.local_addr()?, "metrics at /metrics");
        let store = engine.store.clone();
        let app = axum::Router::new().route(
            "/metrics",
            axum::routing::get(move || {
                let store = store.clone();
                async move {
                    deskbridge_api::metrics::refresh_gauges(&store, Duration::from_secs(2)).await;
                    deskbridge_api::metrics::render()
                }
            }),
        );
        let rx = shutdown.clone();
        tasks.spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(wait_for(rx))
                .await;
            if let Err(e) = served {
                tracing::warn!(error = %e, "the metrics listener stopped");
            }
        });
    }
    start_workers(&engine, a.workers.max(1), &shutdown, &mut tasks);
    start_webhooks(&engine.store, webhooks, &shutdown, &mut tasks);
    info!(workers = a.workers.max(1), "workers running");
    while tasks.join_next().await.is_some() {}
    Ok(())
}
