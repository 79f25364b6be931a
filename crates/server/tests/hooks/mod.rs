//! A webhook receiver and a restartable Deskbridge with webhook settings, shared by the
//! webhook tests (a folder, so Cargo does not build it as a test of its own).
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use deskbridge::serve;
use deskbridge_api::ApiConfig;
use deskbridge_freshdesk::FreshdeskIntegration;
use deskbridge_freshdesk_sim::{SimConfig, SimHandle, Simulator};
use deskbridge_store::{Cipher, MasterKey, Store};
use deskbridge_sync::Registry;
use deskbridge_testkit::TestDb;
use deskbridge_webhooks::WebhookSettings;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// One request a receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

/// A webhook receiver that answers 500 to its first `fail_first` requests (all, with
/// `usize::MAX`), then 200, and keeps what it got.
pub struct Receiver {
    pub url: String,
    pub host: String,
    pub got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    pub async fn start(fail_first: usize) -> Receiver {
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let g = got.clone();
        let app =
            axum::Router::new().fallback(move |headers: axum::http::HeaderMap, body: String| {
                let g = g.clone();
                async move {
                    let mut list = g.lock().expect("lock");
                    list.push(Received { headers, body });
                    if list.len() <= fail_first {
                        (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "not now")
                    } else {
                        (axum::http::StatusCode::OK, "thanks")
                    }
                }
            });
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let host = listener.local_addr().expect("addr").to_string();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver {
            url: format!("http://{host}/hooks/merge"),
            host,
            got,
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().expect("lock").clone()
    }

    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "only {} of {n} deliveries arrived",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

/// Deskbridge on its own database, restartable, with webhook settings of the test.
pub struct Harness {
    pub db: TestDb,
    pub store: Store,
    pub sim: Simulator,
    pub sim_handle: SimHandle,
    pub sim_key: String,
    pub factory: Arc<Registry>,
    pub api_key: String,
    pub org: deskbridge_store::OrgId,
    pub http: reqwest::Client,
    pub webhooks: WebhookSettings,
    pub base: String,
    pub server: Option<(
        watch::Sender<bool>,
        tokio::task::JoinHandle<anyhow::Result<()>>,
    )>,
}

impl Harness {
    pub async fn new(allowed: Vec<String>, schedule: &[f64], disable_after: Duration) -> Harness {
        let db = TestDb::new().await;
        let store = Store::new(db.pool.clone(), Cipher::new(MasterKey::generate()));
        let sim = Simulator::new(SimConfig {
            seed: 81,
            accounts: 1,
            tickets: 12,
            conversations_per_ticket: 1.0,
            ..SimConfig::default()
        });
        let sim_handle = sim
            .spawn("127.0.0.1:0".parse().expect("addr"))
            .await
            .expect("simulator");
        let sim_key = sim.accounts()[0].api_key.clone();
        let factory = Arc::new(Registry::new().with(FreshdeskIntegration::new(
            vec![sim_handle.base_url.clone()],
            0.2,
        )));
        let org = store.ensure_organization("hooks-org").await.expect("org");
        let key = store.create_api_key(org.id, "test").await.expect("key");
        let webhooks = WebhookSettings {
            schedule: schedule
                .iter()
                .map(|s| Duration::from_secs_f64(*s))
                .collect(),
            jitter: 0.05,
            timeout: Duration::from_secs(5),
            disable_after,
            poll: Duration::from_millis(50),
            lease: Duration::from_secs(10),
            allowed_hosts: allowed,
            ..WebhookSettings::default()
        };
        let mut h = Harness {
            db,
            store,
            sim,
            sim_handle,
            sim_key,
            factory,
            api_key: key.key,
            org: org.id,
            http: deskbridge_freshdesk::http_client(),
            webhooks,
            base: String::new(),
            server: None,
        };
        h.start().await;
        h
    }

    pub async fn start(&mut self) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        self.base = format!("http://{}", listener.local_addr().expect("addr"));
        let (tx, rx) = watch::channel(false);
        let api = ApiConfig {
            rate_limit_per_minute: 0,
            webhook_allowed_hosts: self.webhooks.allowed_hosts.clone(),
            ..ApiConfig::default()
        };
        let server = tokio::spawn(serve::run_with_webhooks(
            self.store.clone(),
            self.factory.clone(),
            common::test_settings(),
            api,
            self.webhooks.clone(),
            listener,
            1,
            rx,
        ));
        self.server = Some((tx, server));
    }

    pub async fn stop(&mut self) {
        if let Some((tx, server)) = self.server.take() {
            let _ = tx.send(true);
            let _ = server.await;
        }
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, Value) {
        self.client().call(method, path, token, body).await
    }

    /// Calls to this server's API with its key.
    pub fn client(&self) -> common::ApiClient<'_> {
        common::ApiClient {
            http: &self.http,
            base: &self.base,
            api_key: &self.api_key,
        }
    }

    pub async fn endpoint(&self, url: &str, events: Option<&[&str]>) -> (u16, Value) {
        let mut body = json!({"url": url, "description": "test receiver"});
        if let Some(e) = events {
            body["events"] = json!(e);
        }
        self.call(
            reqwest::Method::POST,
            "/api/deskbridge/v1/webhook-endpoints",
            None,
            Some(&body),
        )
        .await
    }

    pub async fn link(&self) -> (String, deskbridge_store::LinkedAccountId) {
        let body = json!({
            "integration": "freshdesk",
            "end_user_origin_id": "customer-1",
            "end_user_organization_name": "Customer One",
            "end_user_email_address": "admin@customer.example",
            "credentials": {"domain": self.sim_handle.base_url, "api_key": self.sim_key},
        });
        let (status, res) = self
            .call(
                reqwest::Method::POST,
                "/api/ticketing/v1/linked-accounts",
                None,
                Some(&body),
            )
            .await;
        assert_eq!(status, 201, "{res}");
        let token = res["account_token"].as_str().expect("token").to_string();
        (
            token,
            res["linked_account"]["id"]
                .as_str()
                .expect("id")
                .parse()
                .expect("uuid"),
        )
    }

    pub async fn wait_runs(&self, la: deskbridge_store::LinkedAccountId, n: usize) {
        common::wait_runs(&self.store, self.org, la, n, "sync did not finish").await;
    }

    /// `GET /webhook-endpoints`: (status, body).
    pub async fn list_endpoints(&self) -> (u16, Value) {
        let path = "/api/deskbridge/v1/webhook-endpoints";
        self.call(reqwest::Method::GET, path, None, None).await
    }

    pub async fn deliveries(&self, endpoint: &str) -> Value {
        let (status, body) = self
            .call(
                reqwest::Method::GET,
                &format!("/api/deskbridge/v1/webhook-endpoints/{endpoint}/deliveries"),
                None,
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }
}

fn hmac(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("key");
    mac.update(msg);
    mac.finalize().into_bytes().to_vec()
}

/// Checks both signatures of a delivery the way a receiver would.
pub fn assert_signed(r: &Received, secret: &str) {
    let header = |n: &str| {
        r.headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    // Merge: base64url of HMAC-SHA256(secret, raw body), compared without padding.
    let expected = URL_SAFE.encode(hmac(secret.as_bytes(), r.body.as_bytes()));
    assert_eq!(
        header("x-merge-webhook-signature").trim_end_matches('='),
        expected.trim_end_matches('='),
        "X-Merge-Webhook-Signature"
    );
    // Standard Webhooks: v1,base64(HMAC-SHA256(base64-decoded secret, "{id}.{ts}.{body}")).
    let id = header("webhook-id");
    let ts = header("webhook-timestamp");
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").expect("whsec_ secret"))
        .expect("base64 secret");
    let signed = format!("{id}.{ts}.{}", r.body);
    let expected = format!("v1,{}", STANDARD.encode(hmac(&key, signed.as_bytes())));
    assert!(
        header("webhook-signature")
            .split(' ')
            .any(|s| s == expected),
        "webhook-signature"
    );
    let age = chrono::Utc::now().timestamp() - ts.parse::<i64>().expect("timestamp");
    assert!((-5..300).contains(&age), "fresh timestamp");
}
