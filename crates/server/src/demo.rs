//! `deskbridge demo`: a simulated Freshdesk and a simulated Zendesk, linked, synced and
//! served, with curl commands for both.
//!
//! It checks before it changes anything: the listen address is bound first, a second demo on
//! the same database is refused (it would take over the first one's linked account), and a
//! master key that cannot read the database stops it with the ways out.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use deskbridge_api::{ApiConfig, ApiError, AppState};
use deskbridge_freshdesk::FreshdeskIntegration;
use deskbridge_freshdesk_sim::{SimConfig, Simulator};
use deskbridge_model::deskbridge_ext::{IntegrationCredentials, LinkAccountRequest};
use deskbridge_store::PgPool;
use deskbridge_store::accounts::Linked;
use deskbridge_store::link_tokens::NewLinkToken;
use deskbridge_sync::Registry;
use deskbridge_sync::SyncSettings;
use deskbridge_zendesk::ZendeskIntegration;
use deskbridge_zendesk_sim::{SimConfig as ZendeskSimConfig, Simulator as ZendeskSimulator};

use crate::cli::DemoArgs;
use crate::runtime::{self, DatabaseInfo};
use crate::serve::LISTEN_OPTION;

/// The demo's organization (what `--reset` deletes).
pub const DEMO_ORG: &str = "demo";

/// The advisory lock a running demo holds on its database (an arbitrary constant: "dbdemo").
const DEMO_LOCK: i64 = 0x6462_6465_6d6f;

/// Runs the demo until Ctrl-C.
pub async fn demo(a: DemoArgs) -> anyhow::Result<()> {
    let listener = runtime::bind(a.listen, LISTEN_OPTION).await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (pool, database) = runtime::database_named(&a.db, 10).await?;
    deskbridge_store::migrate(&pool)
        .await
        .with_context(|| format!("cannot apply the migrations to {database}"))?;
    let _lock = lock(&pool, &database).await?;
    let store = runtime::store(pool, runtime::cipher(&a.key, true)?);
    if a.reset {
        if store.delete_organization_named(DEMO_ORG).await? {
            println!(
                "Deleted the demo's earlier data (organization `{DEMO_ORG}`) from {database}."
            );
        }
        if store.forget_unreadable_token_key().await? {
            println!("Dropped the token hash key sealed under the earlier master key.");
        }
    }
    runtime::check_master_key(&store, &database, &a.key, true).await?;
    runtime::load_keys(&store).await;

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

    let zsim = ZendeskSimulator::new(ZendeskSimConfig {
        seed: 1,
        accounts: 1,
        tickets: a.tickets,
        ..ZendeskSimConfig::default()
    });
    let zhandle = zsim.spawn("127.0.0.1:0".parse()?).await?;
    let zaccount = zsim
        .accounts()
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("the Zendesk simulator has no account"))?;
    let zsite = zhandle.site(&zaccount.subdomain);
    println!(
        "Simulated Zendesk at {zsite} (account {})",
        zaccount.subdomain
    );

    // The demo offers the integrations `serve` does, allowing its simulators (the Zendesk
    // one's attachment host too, where `content_url` redirects).
    let factory = Arc::new(
        Registry::new()
            .with(FreshdeskIntegration::new(
                vec![handle.base_url.clone()],
                0.2,
            ))
            .with(ZendeskIntegration::new(
                vec![zhandle.base_url.clone(), zhandle.content_url.clone()],
                0.2,
            )),
    );
    let org = store.ensure_organization(DEMO_ORG).await?;
    let api_key = store.create_api_key(org.id, "demo").await?;
    let api = ApiConfig {
        rate_limit_per_minute: a.rate_limit_per_minute,
        link_failure_limit: a.link_failure_limit,
        public_url: Some(base.clone()),
        ..ApiConfig::default()
    };
    let state = AppState::new(store.clone(), factory.clone(), api.clone());
    let linked = link(
        &state,
        org.id,
        "freshdesk",
        ("demo-customer-1", "Demo Customer Inc."),
        &[("domain", &handle.base_url), ("api_key", &account.api_key)],
    )
    .await?;
    let zlinked = link(
        &state,
        org.id,
        "zendesk",
        ("demo-customer-zendesk", "Zendesk Customer GmbH"),
        &[
            ("subdomain", &zsite),
            ("email", &zaccount.admin_email),
            ("api_token", &zaccount.api_token),
        ],
    )
    .await?;

    let shutdown = runtime::shutdown_signal();
    let server = tokio::spawn(crate::serve::run(
        store.clone(),
        factory,
        SyncSettings::default(),
        api,
        listener,
        1,
        shutdown.clone(),
    ));

    println!("Syncing the simulated helpdesks…");
    for (name, la) in [
        ("Freshdesk", linked.account.id),
        ("Zendesk", zlinked.account.id),
    ] {
        wait_initial_sync(&store, org.id, la, name, &server).await?;
    }
    if server.is_finished() {
        return match server.await {
            Ok(Err(e)) => Err(e.context("the server stopped during the initial sync")),
            _ => Err(anyhow::anyhow!(
                "the server stopped during the initial sync"
            )),
        };
    }
    let la = linked.account.id;

    let link = NewLinkToken {
        integration: None,
        end_user_origin_id: "demo-customer-2".into(),
        end_user_organization_name: "Second Customer Ltd.".into(),
        end_user_email_address: "it@second-customer.example".into(),
        expires_at: chrono::Utc::now() + chrono::Duration::days(7),
    };
    let link_token = store.create_link_token(org.id, &link).await?;

    if let Some(path) = &a.credentials_file {
        let credentials = serde_json::json!({
            "base_url": base,
            "api_key": api_key.key,
            "account_token": linked.account_token,
            "linked_account_id": la,
            "freshdesk": {"domain": handle.base_url, "api_key": account.api_key},
            "zendesk_account_token": zlinked.account_token,
            "zendesk_linked_account_id": zlinked.account.id,
            "zendesk": {"subdomain": zsite, "email": zaccount.admin_email,
                        "api_token": zaccount.api_token, "sim_base_url": zhandle.base_url},
        });
        // Written whole, then renamed: a reader never sees half a file.
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(&credentials)?)?;
        std::fs::rename(&tmp, path)?;
    }
    let key = &api_key.key;
    let auth = format!(
        "-H 'Authorization: Bearer {key}' -H 'X-Account-Token: {}'",
        linked.account_token
    );
    let v1 = format!("{base}/api/ticketing/v1");
    println!();
    println!("Deskbridge is serving at {base} (API docs: {base}/docs). Try:");
    println!();
    println!("Freshdesk-linked account:");
    println!("  curl -s {auth} '{v1}/tickets?page_size=5'");
    println!("  curl -s {auth} '{v1}/tickets?page_size=2&expand=assignees,contact'");
    println!("  curl -s {auth} '{v1}/comments?page_size=3'");
    println!("  curl -s {auth} '{v1}/sync-status'");
    let zauth = format!(
        "-H 'Authorization: Bearer {key}' -H 'X-Account-Token: {}'",
        zlinked.account_token
    );
    println!("Zendesk-linked account:");
    println!("  curl -s {zauth} '{v1}/tickets?page_size=5&show_enum_origins=status'");
    println!("  curl -s {zauth} '{v1}/users?page_size=3'");
    println!("  curl -s {zauth} '{v1}/sync-status'");
    println!("Both:");
    println!("  curl -s -H 'Authorization: Bearer {key}' '{v1}/linked-accounts'");
    println!();
    println!("The Link page, as your customers see it (single use, valid 7 days):");
    println!("  {base}/link/{link_token}");
    println!(
        "  Pick Freshdesk; domain {}, API key {}.",
        handle.base_url, account.api_key
    );
    println!(
        "  Or pick Zendesk; subdomain {zsite}, email {}, API token {}.",
        zaccount.admin_email, zaccount.api_token
    );
    println!("  More links: curl -s -X POST -H 'Authorization: Bearer {key}' \\");
    println!("    -H 'Content-Type: application/json' '{v1}/link-token' -d \\");
    println!(
        "    '{{\"end_user_origin_id\":\"cust-3\",\"end_user_organization_name\":\"Customer 3\",\
         \"end_user_email_address\":\"it@cust3.example\",\"categories\":[\"ticketing\"],\
         \"should_create_magic_link_url\":true}}'"
    );
    println!();
    println!("Press Ctrl-C to stop.");
    server.await??;
    drop(handle);
    drop(zhandle);
    Ok(())
}

/// Links a simulated helpdesk to the demo's organization through the API's linking
/// use-case (the same checks a client's `POST /linked-accounts` gets).
async fn link(
    state: &AppState,
    org: deskbridge_store::OrgId,
    integration: &str,
    (origin, name): (&str, &str),
    credentials: &[(&str, &str)],
) -> anyhow::Result<Linked> {
    let request = LinkAccountRequest {
        integration: integration.into(),
        end_user_origin_id: origin.into(),
        end_user_organization_name: name.into(),
        end_user_email_address: format!("admin@{origin}.example"),
        credentials: IntegrationCredentials(
            credentials
                .iter()
                .map(|(k, v)| (k.to_string(), (*v).into()))
                .collect(),
        ),
    };
    deskbridge_api::linking::link(state, org, &request, None)
        .await
        .map_err(|e| {
            let cause = match e {
                ApiError::Internal(cause) => cause,
                other => other.to_string(),
            };
            anyhow::anyhow!("cannot link the simulated {integration}: {cause}")
        })
}

/// Waits for the first sync run of `la` to finish, printing how it went.
async fn wait_initial_sync(
    store: &deskbridge_store::Store,
    org: deskbridge_store::OrgId,
    la: deskbridge_store::LinkedAccountId,
    name: &str,
    server: &tokio::task::JoinHandle<anyhow::Result<()>>,
) -> anyhow::Result<()> {
    loop {
        let runs = store.recent_runs(org, la, 1).await?;
        if let Some(run) = runs.first().filter(|r| r.finished_at.is_some()) {
            let ms =
                (run.finished_at.unwrap_or(run.started_at) - run.started_at).num_milliseconds();
            println!(
                "Initial {name} sync {} in {:.1} s.",
                run.status,
                ms as f64 / 1000.0
            );
            return Ok(());
        }
        if server.is_finished() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// Holds the demo's advisory lock on a connection of its own for as long as the demo runs
/// (PostgreSQL releases it when the process dies). A second demo on the same database would
/// re-point the first one's linked account to its own short-lived simulator.
async fn lock(pool: &PgPool, database: &DatabaseInfo) -> anyhow::Result<sqlx::PgConnection> {
    let mut conn = pool.acquire().await?.detach();
    let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(DEMO_LOCK)
        .fetch_one(&mut conn)
        .await?;
    if !got {
        anyhow::bail!(
            "another `deskbridge demo` is running on {database}; a second one would take over its \
             linked account. Stop the first one (Ctrl-C in its terminal), or give this one a \
             database of its own: {}",
            runtime::other_database(database)
        );
    }
    Ok(conn)
}
