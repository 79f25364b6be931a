//! `deskbridge demo`: a simulated Freshdesk, linked, synced and served, with curl commands.

use std::sync::Arc;
use std::time::Duration;

use deskbridge_api::{ApiConfig, AppState};
use deskbridge_freshdesk_sim::{SimConfig, Simulator};
use deskbridge_model::deskbridge_ext::{FreshdeskCredentials, LinkAccountRequest};
use deskbridge_sync::SyncSettings;
use deskbridge_sync::registry::FreshdeskFactory;
use tokio::net::TcpListener;

use crate::cli::{DemoArgs, KeyArgs};
use crate::runtime;

/// Runs the demo until Ctrl-C.
pub async fn demo(a: DemoArgs) -> anyhow::Result<()> {
    let pool = runtime::database(&a.db, 10).await?;
    deskbridge_store::migrate(&pool).await?;
    let key_args = KeyArgs {
        master_key: std::env::var("DESKBRIDGE_MASTER_KEY").ok(),
        master_key_file: std::env::var("DESKBRIDGE_MASTER_KEY_FILE")
            .ok()
            .map(Into::into),
    };
    let store = runtime::store(pool, runtime::master_key(&key_args, true)?);

    let sim = Simulator::new(SimConfig {
        seed: 1,
        accounts: 1,
        tickets: a.tickets,
        ..SimConfig::default()
    });
    let handle = sim.spawn("127.0.0.1:0".parse()?).await?;
    let account = sim
        .accounts()
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("the simulator has no account"))?;
    println!(
        "Simulated Freshdesk at {} (account {})",
        handle.base_url, account.subdomain
    );

    let factory = Arc::new(FreshdeskFactory::new(vec![handle.base_url.clone()], 0.2));
    let org = store.ensure_organization("demo").await?;
    let api_key = store.create_api_key(org.id, "demo").await?;
    let api = ApiConfig {
        rate_limit_per_minute: a.rate_limit_per_minute,
        link_failure_limit: a.link_failure_limit,
        ..ApiConfig::default()
    };
    let state = AppState::new(store.clone(), factory.clone(), api.clone());
    let linked = deskbridge_api::routes::accounts::link(
        &state,
        org.id,
        &LinkAccountRequest {
            integration: "freshdesk".into(),
            end_user_origin_id: "demo-customer-1".into(),
            end_user_organization_name: "Demo Customer Inc.".into(),
            end_user_email_address: "admin@demo-customer.example".into(),
            credentials: FreshdeskCredentials {
                domain: handle.base_url.clone(),
                api_key: account.api_key.clone(),
            },
        },
        None,
    )
    .await?;

    let listener = TcpListener::bind(a.listen).await?;
    let addr = listener.local_addr()?;
    let shutdown = runtime::shutdown_signal();
    let settings = SyncSettings::default();
    let server = tokio::spawn(crate::serve::run(
        store.clone(),
        factory,
        settings,
        api,
        listener,
        1,
        shutdown.clone(),
    ));

    println!("Syncing the simulated helpdesk…");
    let la = linked.account.id;
    loop {
        let runs = store.recent_runs(org.id, la, 1).await?;
        if let Some(run) = runs.first().filter(|r| r.finished_at.is_some()) {
            println!(
                "Initial sync {} in {:.1} s.",
                run.status,
                (run.finished_at.unwrap_or(run.started_at) - run.started_at).num_milliseconds()
                    as f64
                    / 1000.0
            );
            break;
        }
        if server.is_finished() {
            anyhow::bail!("the server stopped");
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    let base = format!("http://{addr}");
    if let Some(path) = &a.credentials_file {
        let credentials = serde_json::json!({
            "base_url": base,
            "api_key": api_key.key,
            "account_token": linked.account_token,
            "linked_account_id": la,
            "freshdesk": {"domain": handle.base_url, "api_key": account.api_key},
        });
        // Written whole, then renamed: a reader never sees half a file.
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(&credentials)?)?;
        std::fs::rename(&tmp, path)?;
    }
    let auth = format!(
        "-H 'Authorization: Bearer {}' -H 'X-Account-Token: {}'",
        api_key.key, linked.account_token
    );
    println!();
    println!("Deskbridge is serving at {base} (API docs: {base}/docs). Try:");
    println!();
    println!("  curl -s {auth} '{base}/api/ticketing/v1/tickets?page_size=5'");
    println!(
        "  curl -s {auth} '{base}/api/ticketing/v1/tickets?page_size=2&expand=assignees,contact'"
    );
    println!("  curl -s {auth} '{base}/api/ticketing/v1/comments?page_size=3'");
    println!("  curl -s {auth} '{base}/api/ticketing/v1/sync-status'");
    println!(
        "  curl -s -H 'Authorization: Bearer {}' '{base}/api/ticketing/v1/linked-accounts'",
        api_key.key
    );
    println!();
    println!("Press Ctrl-C to stop.");
    server.await??;
    drop(handle);
    Ok(())
}
