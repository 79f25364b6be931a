//! What a linked Zendesk account gets besides its data, as a Freshdesk one does: outbound
//! webhooks (account events and per-model sync events with counts and a bookmark, signed),
//! `/metrics` (sync runs, records written, provider calls of the account) and the audit trail
//! (linking, resync, deletion).

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE;
use common::zendesk::Zd;
use deskbridge::serve;
use deskbridge_api::ApiConfig;
use deskbridge_store::{Cipher, MasterKey, Store};
use deskbridge_sync::Registry;
use deskbridge_testkit::TestDb;
use deskbridge_webhooks::WebhookSettings;
use deskbridge_zendesk::ZendeskIntegration;
use deskbridge_zendesk_sim::SimConfig;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::net::TcpListener;
use tokio::sync::watch;

const METRICS_TOKEN: &str = "zendesk-metrics-secret";

/// A receiver that answers 200 and keeps every body with its Merge signature.
#[derive(Clone, Default)]
struct Got(Arc<Mutex<Vec<(String, String)>>>);

impl Got {
    fn events(&self, want: &str) -> Vec<Value> {
        self.0
            .lock()
            .expect("lock")
            .iter()
            .filter_map(|(_, b)| serde_json::from_str::<Value>(b).ok())
            .filter(|p| p["hook"]["event"] == json!(want))
            .collect()
    }

    async fn wait(&self, want: &str, n: usize) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let got = self.events(want);
            if got.len() >= n {
                return got;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{} of {n} {want} events",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn receiver() -> (String, String, Got) {
    let got = Got::default();
    let g = got.clone();
    let app = axum::Router::new().fallback(move |headers: axum::http::HeaderMap, body: String| {
        let g = g.clone();
        async move {
            let sig = headers
                .get("x-merge-webhook-signature")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            g.0.lock().expect("lock").push((sig, body));
            (axum::http::StatusCode::OK, "thanks")
        }
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let host = listener.local_addr().expect("addr").to_string();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{host}/hooks/merge"), host, got)
}

struct Server {
    _db: TestDb,
    store: Store,
    org: deskbridge_store::OrgId,
    api_key: String,
    base: String,
    http: reqwest::Client,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Server {
    async fn start(zd: &Zd, hook_host: &str) -> Server {
        let db = TestDb::new().await;
        let store = Store::new(db.pool.clone(), Cipher::new(MasterKey::generate()));
        let factory = Arc::new(Registry::new().with(
            ZendeskIntegration::new(zd.hosts(), 0.2).with_rate_window(Duration::from_secs(60)),
        ));
        let org = store.ensure_organization("zd-events").await.expect("org");
        let key = store.create_api_key(org.id, "test").await.expect("key");
        let webhooks = WebhookSettings {
            schedule: vec![Duration::from_millis(200)],
            jitter: 0.05,
            timeout: Duration::from_secs(5),
            disable_after: Duration::from_secs(3600),
            poll: Duration::from_millis(50),
            lease: Duration::from_secs(10),
            allowed_hosts: vec![hook_host.to_string()],
            ..WebhookSettings::default()
        };
        let api = ApiConfig {
            rate_limit_per_minute: 0,
            webhook_allowed_hosts: webhooks.allowed_hosts.clone(),
            metrics_token: Some(METRICS_TOKEN.into()),
            ..ApiConfig::default()
        };
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (tx, rx) = watch::channel(false);
        let task = tokio::spawn(serve::run_with_webhooks(
            store.clone(),
            factory,
            common::test_settings(),
            api,
            webhooks,
            listener,
            1,
            rx,
        ));
        Server {
            _db: db,
            store,
            org: org.id,
            api_key: key.key,
            base,
            http: reqwest::Client::new(),
            shutdown: tx,
            task,
        }
    }

    /// Calls to this server's API with its key.
    fn client(&self) -> common::ApiClient<'_> {
        common::ApiClient {
            http: &self.http,
            base: &self.base,
            api_key: &self.api_key,
        }
    }

    async fn wait_runs(&self, la: deskbridge_store::LinkedAccountId, n: usize) {
        common::wait_runs(&self.store, self.org, la, n, "no sync end").await;
    }

    async fn audit(&self, query: &str) -> Vec<Value> {
        let (status, body) = self
            .client()
            .call(
                reqwest::Method::GET,
                &format!("/api/ticketing/v1/audit-trail{query}"),
                None,
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["results"].as_array().expect("results").clone()
    }

    async fn stop(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zendesk_account_gets_webhooks_metrics_and_an_audit_trail() {
    let zd = Zd::start(SimConfig {
        seed: 83,
        tickets: 12,
        ..SimConfig::default()
    })
    .await;
    let (hook_url, hook_host, got) = receiver().await;
    let s = Server::start(&zd, &hook_host).await;
    let (status, ep) = s
        .client()
        .call(
            reqwest::Method::POST,
            "/api/deskbridge/v1/webhook-endpoints",
            None,
            Some(&json!({"url": hook_url, "description": "zendesk events"})),
        )
        .await;
    assert_eq!(status, 201, "{ep}");
    let secret = ep["secret"].as_str().expect("secret").to_string();
    let (status, linked) = s
        .client()
        .call(
            reqwest::Method::POST,
            "/api/ticketing/v1/linked-accounts",
            None,
            Some(&zd.link_body(0)),
        )
        .await;
    assert_eq!(status, 201, "{linked}");
    let token = linked["account_token"].as_str().expect("token").to_string();
    let la: deskbridge_store::LinkedAccountId = linked["linked_account"]["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid");
    s.wait_runs(la, 1).await;

    // Webhooks: the account event, then the sync's per-model events and its completion.
    let first_tickets = got.wait("Ticket.synced", 1).await;
    let done = got.wait("LinkedAccount.sync_completed", 1).await;
    assert_eq!(got.events("LinkedAccount.linked").len(), 1);
    assert_eq!(
        got.events("LinkedAccount.linked")[0]["linked_account"]["integration"],
        json!("Zendesk"),
    );
    assert_eq!(
        got.events("LinkedAccount.linked")[0]["linked_account"]["integration_slug"],
        json!("zendesk"),
    );
    assert_eq!(done[0]["data"]["status"], json!("DONE"));
    assert_eq!(done[0]["data"]["is_initial_sync"], json!(true));
    for (sig, body) in got.0.lock().expect("lock").iter() {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("key");
        mac.update(body.as_bytes());
        let expected = URL_SAFE.encode(mac.finalize().into_bytes());
        assert_eq!(
            sig.trim_end_matches('='),
            expected.trim_end_matches('='),
            "signature of {body}"
        );
    }
    let tickets = &first_tickets[0]["data"];
    let (_, page) = s
        .client()
        .call(
            reqwest::Method::GET,
            "/api/ticketing/v1/tickets?page_size=100&include_deleted_data=true",
            Some(&token),
            None,
        )
        .await;
    let stored = page["results"].as_array().expect("tickets").len() as u64;
    assert!(stored >= 12, "{stored} tickets stored");
    assert_eq!(tickets["model_name"], json!("Ticket"));
    assert_eq!(tickets["created"].as_u64(), Some(stored), "{tickets}");
    assert_eq!(
        done[0]["data"]["models"]["Ticket"]["created"],
        tickets["created"]
    );
    for model in ["User", "Contact", "Comment", "Team", "Account"] {
        assert!(
            done[0]["data"]["models"][model]["created"].as_u64() > Some(0),
            "{model} in {}",
            done[0]["data"]
        );
        got.wait(&format!("{model}.synced"), 1).await;
    }
    let bookmark = tickets["modified_after"]
        .as_str()
        .expect("bookmark")
        .to_string();

    // A change in Zendesk: the next sync reports it as updated, and its bookmark finds it.
    let changed_id = zd.data(0).await["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .find(|t| t["status"] != "closed" && t["status"] != "deleted")
        .map(|t| t["id"].as_i64().expect("id"))
        .expect("an open ticket");
    zd.control(
        0,
        reqwest::Method::PUT,
        &format!("/tickets/{changed_id}"),
        &json!({"ticket": {"subject": "Changed upstream", "priority": "urgent"}}),
    )
    .await;
    assert_eq!(s.client().resync(&token).await, 200);
    s.wait_runs(la, 2).await;
    let second = got.wait("Ticket.synced", 2).await[1]["data"].clone();
    assert_eq!(second["is_initial_sync"], json!(false));
    assert_eq!(second["created"], json!(0), "{second}");
    assert!(
        second["updated"].as_u64().expect("updated") >= 1,
        "{second}"
    );
    let since = second["modified_after"].as_str().expect("bookmark");
    assert!(since > bookmark.as_str());
    let (_, changed) = s
        .client()
        .call(
            reqwest::Method::GET,
            &format!(
                "/api/ticketing/v1/tickets?modified_after={}",
                since.replace('+', "%2B")
            ),
            Some(&token),
            None,
        )
        .await;
    let hit = changed["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|t| t["remote_id"] == json!(changed_id.to_string()))
        .cloned()
        .unwrap_or_else(|| panic!("ticket {changed_id} not after {since}: {changed}"));
    assert_eq!(hit["name"], json!("Changed upstream"));
    assert_eq!(hit["priority"], json!("URGENT"));

    // Metrics: the account's runs, written records and provider calls.
    let res = s
        .http
        .get(format!("{}/metrics", s.base))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .expect("metrics");
    assert_eq!(res.status(), 200);
    let text = res.text().await.expect("text");
    let label = deskbridge_sync::worker::metrics_label(la);
    for needle in [
        format!("deskbridge_sync_runs_total{{linked_account=\"{label}\",status=\"DONE\"}} 2"),
        format!(
            "deskbridge_sync_records_written_total{{linked_account=\"{label}\",model=\"Ticket\"}}"
        ),
        format!(
            "deskbridge_sync_records_written_total{{linked_account=\"{label}\",model=\"Comment\"}}"
        ),
        format!("deskbridge_provider_calls_total{{linked_account=\"{label}\"}}"),
    ] {
        assert!(text.contains(&needle), "{needle} missing in:\n{text}");
    }

    // The token is disabled in Zendesk: the next sync asks for a relink.
    zd.control(0, reqwest::Method::POST, "/api_token/disable", &json!({}))
        .await;
    s.client().resync(&token).await;
    let relink = got.wait("LinkedAccount.relink_needed", 1).await;
    assert_eq!(
        relink[0]["linked_account"]["status"],
        json!("RELINK_NEEDED")
    );
    assert_eq!(s.client().delete_account(&token).await, 200);
    let deleted = got.wait("LinkedAccount.deleted", 1).await;
    assert_eq!(deleted[0]["linked_account"]["id"], json!(la));

    // The audit trail: linked (naming Zendesk), resynced twice, deleted.
    let enabled = s.audit("?event_type=ENABLED_INTEGRATION").await;
    assert_eq!(enabled.len(), 1, "{enabled:?}");
    let text = enabled[0]["event_description"].as_str().expect("text");
    assert!(
        text.contains(&la.to_string()) && text.contains("zendesk"),
        "{text}"
    );
    assert_eq!(
        s.audit("?event_type=FORCED_LINKED_ACCOUNT_RESYNC")
            .await
            .len(),
        2
    );
    let gone = s.audit("?event_type=DELETED_LINKED_ACCOUNT").await;
    assert_eq!(gone.len(), 1);
    assert!(
        gone[0]["event_description"]
            .as_str()
            .expect("text")
            .contains(&la.to_string())
    );
    s.stop().await;
    zd.handle.shutdown().await;
}
