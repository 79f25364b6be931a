//! Master-key rotation covers every secret: with linked accounts, a webhook endpoint (and an
//! event waiting for it), an unused magic link and an unexchanged public token in the
//! database, `deskbridge keys rotate` runs; a server restarted with the new key alone still
//! authenticates the account token, opens the magic link, exchanges the public token, syncs,
//! and delivers the webhook signed with the endpoint's secret.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{TestApp, test_settings};
use deskbridge_api::ApiConfig;
use deskbridge_freshdesk::FreshdeskIntegration;
use deskbridge_freshdesk_sim::SimConfig;
use deskbridge_store::accounts::NewLink;
use deskbridge_store::{Cipher, MasterKey, Store};
use deskbridge_sync::Registry;
use deskbridge_webhooks::{WebhookSettings, merge_signature, new_secret};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::watch;
use uuid::Uuid;

/// Requests a webhook receiver got: (`X-Merge-Webhook-Signature`, body).
type Got = Arc<Mutex<Vec<(String, String)>>>;

/// A receiver answering 200 to everything; returns its host:port and what it got.
async fn receiver() -> (String, Got) {
    let got: Got = Arc::default();
    let g = got.clone();
    let app = axum::Router::new().fallback(move |headers: axum::http::HeaderMap, body: String| {
        let g = g.clone();
        async move {
            let sig = headers
                .get("x-merge-webhook-signature")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            g.lock().expect("lock").push((sig, body));
            "thanks"
        }
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let host = listener.local_addr().expect("addr").to_string();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (host, got)
}

/// Runs `deskbridge` (the binary) with these arguments and environment; its stdout.
fn cli(args: &[&str], env: &[(&str, &str)]) -> String {
    common::run_cli(
        args,
        env,
        &[
            "DESKBRIDGE_MASTER_KEY_FILE",
            "DESKBRIDGE_MASTER_KEY_PREVIOUS",
        ],
    )
}

fn end_user(origin: &str) -> Value {
    json!({"end_user_origin_id": origin, "end_user_organization_name": "Rotating Inc.",
           "end_user_email_address": "it@rotating.example", "categories": ["ticketing"],
           "integration": "freshdesk", "should_create_magic_link_url": true})
}

#[tokio::test]
async fn after_a_rotation_and_a_restart_on_the_new_key_every_secret_still_works() {
    let sim = SimConfig {
        seed: 31,
        accounts: 3,
        tickets: 12,
        conversations_per_ticket: 1.0,
        ..SimConfig::default()
    };
    // No worker on the old key: the queued webhook event waits for the restarted server.
    let app = TestApp::start_without_workers(sim).await;
    let (hook_host, got) = receiver().await;
    let secret = new_secret();
    let endpoint = app
        .store
        .create_webhook_endpoint(
            app.org,
            &format!("http://{hook_host}/hooks"),
            &["LinkedAccount.linked".to_string()],
            None,
            &secret,
            50,
        )
        .await
        .expect("endpoint")
        .expect("under the cap");

    // Account A, linked server to server: its account token.
    let (token_a, id_a) = app.link(0).await;
    // Account B, linked through the Link page: a public token not yet exchanged, and the
    // LinkedAccount.linked event queued for the endpoint.
    let (status, lt) = app
        .post("/api/ticketing/v1/link-token", None, &end_user("cust-b"))
        .await;
    assert_eq!(status, 200, "{lt}");
    let page_b = lt["magic_link_url"]
        .as_str()
        .expect("magic link")
        .to_string();
    let (_, key_b) = app.sim_account(1);
    let done: Value = app
        .http
        .post(&page_b)
        .json(&json!({"domain": app.sim_handle.base_url, "api_key": key_b}))
        .send()
        .await
        .expect("submit")
        .json()
        .await
        .expect("json");
    let public_token = done["public_token"]
        .as_str()
        .expect("public token")
        .to_string();
    // Account C's magic link, not opened yet (it lasts 7 days: it must outlive a rotation).
    let (status, lt) = app
        .post("/api/ticketing/v1/link-token", None, &end_user("cust-c"))
        .await;
    assert_eq!(status, 200, "{lt}");
    let link_c = lt["link_token"].as_str().expect("link token").to_string();

    // The rotation, from the command line.
    let old_key = app.master_key.clone();
    let new_key = MasterKey::generate();
    let dir = std::env::temp_dir().join(format!("deskbridge-rotation-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let new_file = dir.join("new.key");
    std::fs::write(&new_file, new_key.to_base64()).expect("write key");
    let out = cli(
        &[
            "keys",
            "rotate",
            "--new-key-file",
            new_file.to_str().expect("path"),
        ],
        &[
            ("DATABASE_URL", app.db.url.as_str()),
            ("DESKBRIDGE_MASTER_KEY", &old_key.to_base64()),
        ],
    );
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("{out}");

    // The restart: a server with the new key only, delivering webhooks to the receiver.
    let store = Store::new(app.db.pool.clone(), Cipher::new(new_key));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (tx, rx) = watch::channel(false);
    let api = ApiConfig {
        rate_limit_per_minute: 0,
        public_url: Some(base.clone()),
        webhook_allowed_hosts: vec![hook_host.clone()],
        ..ApiConfig::default()
    };
    let webhooks = WebhookSettings {
        schedule: vec![Duration::from_millis(200); 3],
        poll: Duration::from_millis(50),
        allowed_hosts: vec![hook_host.clone()],
        ..WebhookSettings::default()
    };
    let server = tokio::spawn(deskbridge::serve::run_with_webhooks(
        store.clone(),
        Arc::new(Registry::new().with(FreshdeskIntegration::new(vec![app.sim_host.clone()], 0.2))),
        test_settings(),
        api,
        webhooks,
        listener,
        1,
        rx,
    ));

    // Every check runs, and every broken one is reported at once.
    let mut broken: Vec<String> = Vec::new();
    let get = |path: String, token: Option<String>| {
        let mut req = app
            .http
            .get(format!("{base}{path}"))
            .bearer_auth(&app.api_key);
        if let Some(t) = token {
            req = req.header("X-Account-Token", t);
        }
        async move {
            let res = req.send().await.expect("send");
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (status, body) = get(
        "/api/ticketing/v1/account-details".into(),
        Some(token_a.clone()),
    )
    .await;
    if status != 200 {
        broken.push(format!("account token A: {status} {body}"));
    }
    let page_c = format!("{base}/link/{link_c}?integration=freshdesk");
    let status = app.http.get(&page_c).send().await.expect("page").status();
    if status != 200 {
        broken.push(format!("magic link C: {status}"));
    }
    let (status, body) = get(
        format!("/api/ticketing/v1/account-token/{public_token}"),
        None,
    )
    .await;
    if status != 200 {
        broken.push(format!("public token B: {status} {body}"));
    }
    let (_, key_c) = app.sim_account(2);
    let res = app
        .http
        .post(format!("{base}/link/{link_c}"))
        .json(&json!({"domain": app.sim_handle.base_url, "api_key": key_c}))
        .send()
        .await
        .expect("submit");
    if res.status() != 200 {
        broken.push(format!("linking C with its magic link: {}", res.status()));
    }
    // The credentials of A open under the new key: its first sync (queued before the
    // rotation, run by the restarted server's worker) finishes.
    let mut status = String::new();
    for _ in 0..600 {
        let runs = store.recent_runs(app.org, id_a, 5).await.expect("runs");
        if let Some(r) = runs.iter().find(|r| r.finished_at.is_some()) {
            status = r.status.clone();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if status != "DONE" {
        broken.push(format!("sync of A under the new key: {status:?}"));
    }
    // The event queued before the rotation reaches the receiver, signed with the secret.
    let mut delivered = false;
    for _ in 0..200 {
        let list = got.lock().expect("lock").clone();
        if let Some((sig, body)) = list.first() {
            if *sig != merge_signature(&secret, body.as_bytes()) {
                broken.push("the webhook's signature does not match its secret".into());
            }
            delivered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if !delivered {
        let (_, log) = get(
            format!(
                "/api/deskbridge/v1/webhook-endpoints/{}/deliveries",
                endpoint.id
            ),
            None,
        )
        .await;
        broken.push(format!(
            "no webhook delivered after the restart; deliveries: {log}"
        ));
    }
    let _ = tx.send(true);
    let _ = server.await;
    app.stop().await;
    assert!(broken.is_empty(), "broken after the rotation: {broken:#?}");
}

/// Step 5 of the rollout in docs/SECURITY.md: while processes moved to the new key, a lagging
/// one still wrote with the old key; processes with `DESKBRIDGE_MASTER_KEY_PREVIOUS` read
/// that, and a second `keys rotate` with both keys re-seals it under the new key alone.
#[tokio::test]
async fn a_second_rotation_with_the_previous_key_re_seals_what_a_lagging_process_wrote() {
    let sim = SimConfig {
        seed: 37,
        accounts: 1,
        tickets: 2,
        ..SimConfig::default()
    };
    let app = TestApp::start_without_workers(sim).await;
    let old_key = app.master_key.clone();
    let new_key = MasterKey::generate();
    let dir = std::env::temp_dir().join(format!("deskbridge-rotation-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let new_file = dir.join("new.key");
    std::fs::write(&new_file, new_key.to_base64()).expect("write key");
    let new_file = new_file.to_str().expect("path").to_string();
    let db = ("DATABASE_URL", app.db.url.as_str());
    let (old_b64, new_b64) = (old_key.to_base64(), new_key.to_base64());
    cli(
        &["keys", "rotate", "--new-key-file", &new_file],
        &[db, ("DESKBRIDGE_MASTER_KEY", &old_b64)],
    );

    // A lagging process, still writing with the old key (and reading the new one, step 2),
    // links an account.
    let lagging = Store::new(
        app.db.pool.clone(),
        Cipher::new(old_key.clone()).with_previous(new_key.clone()),
    );
    let linked = lagging
        .link_account(
            app.org,
            &NewLink {
                integration: "freshdesk".into(),
                end_user_origin_id: "lagging".into(),
                end_user_organization_name: "Lagging Inc.".into(),
                end_user_email_address: "it@lagging.example".into(),
                subdomain: "lagging".into(),
                credentials_json: r#"{"domain":"lagging","api_key":"k"}"#.into(),
                base_url: None,
                queue_sync: false,
            },
        )
        .await
        .expect("link");
    let (token, id) = (linked.account_token, linked.account.id);
    let mid_rollout = Store::new(
        app.db.pool.clone(),
        Cipher::new(new_key.clone()).with_previous(old_key.clone()),
    );
    assert!(mid_rollout.account_credentials(id).await.is_ok());

    let out = cli(
        &["keys", "rotate", "--new-key-file", &new_file],
        &[
            db,
            ("DESKBRIDGE_MASTER_KEY", &new_b64),
            ("DESKBRIDGE_MASTER_KEY_PREVIOUS", &old_b64),
        ],
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.contains("1 linked accounts"), "{out}");
    let new_only = Store::new(app.db.pool.clone(), Cipher::new(new_key));
    assert!(
        new_only.account_credentials(id).await.is_ok(),
        "re-sealed under the new key"
    );
    let found = new_only
        .account_by_token(app.org, &token)
        .await
        .expect("lookup");
    assert_eq!(
        found.map(|a| a.id),
        Some(id),
        "the account token still works"
    );
    app.stop().await;
}
