//! Outbound webhooks: Merge's payloads, signed (Merge and Standard Webhooks), delivered at
//! least once from a durable outbox across a server restart, retried on a schedule, every
//! attempt logged; sync events with counts and a bookmark; receivers checked; a receiver
//! failing without end is disabled.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

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
struct Received {
    headers: reqwest::header::HeaderMap,
    body: String,
}

/// A webhook receiver that answers 500 to its first `fail_first` requests (all, with
/// `usize::MAX`), then 200, and keeps what it got.
struct Receiver {
    url: String,
    host: String,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    async fn start(fail_first: usize) -> Receiver {
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

    fn received(&self) -> Vec<Received> {
        self.got.lock().expect("lock").clone()
    }

    async fn wait_for(&self, n: usize, within: Duration) -> Vec<Received> {
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
struct Harness {
    db: TestDb,
    store: Store,
    sim: Simulator,
    sim_handle: SimHandle,
    sim_key: String,
    factory: Arc<Registry>,
    api_key: String,
    org: deskbridge_store::OrgId,
    http: reqwest::Client,
    webhooks: WebhookSettings,
    base: String,
    server: Option<(
        watch::Sender<bool>,
        tokio::task::JoinHandle<anyhow::Result<()>>,
    )>,
}

impl Harness {
    async fn new(allowed: Vec<String>, schedule: &[f64], disable_after: Duration) -> Harness {
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

    async fn start(&mut self) {
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

    async fn stop(&mut self) {
        if let Some((tx, server)) = self.server.take() {
            let _ = tx.send(true);
            let _ = server.await;
        }
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let method_name = method.as_str().to_string();
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.api_key);
        if let Some(t) = token {
            req = req.header("X-Account-Token", t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let res = req.send().await.expect("request");
        common::checked(method_name.as_str(), path, res).await
    }

    async fn endpoint(&self, url: &str, events: Option<&[&str]>) -> (u16, Value) {
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

    async fn link(&self) -> (String, deskbridge_store::LinkedAccountId) {
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

    async fn wait_runs(&self, la: deskbridge_store::LinkedAccountId, n: usize) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
        loop {
            let runs = self
                .store
                .recent_runs(self.org, la, 20)
                .await
                .expect("runs");
            let active = self.store.active_jobs(la).await.expect("jobs");
            if runs.iter().filter(|r| r.finished_at.is_some()).count() >= n && active == 0 {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "sync did not finish"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn deliveries(&self, endpoint: &str) -> Value {
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
fn assert_signed(r: &Received, secret: &str) {
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

#[tokio::test]
async fn a_failing_receiver_gets_the_event_on_the_fourth_attempt_across_a_restart() {
    let receiver = Receiver::start(3).await;
    // Retries after 0.2 s, 0.2 s, then 2.5 s: the restart happens before the fourth attempt.
    let mut h = Harness::new(
        vec![receiver.host.clone()],
        &[0.2, 0.2, 2.5, 1.0],
        Duration::from_secs(3600),
    )
    .await;
    let (status, ep) = h
        .endpoint(&receiver.url, Some(&["LinkedAccount.linked"]))
        .await;
    assert_eq!(status, 201, "{ep}");
    let secret = ep["secret"].as_str().expect("secret").to_string();
    let endpoint = ep["id"].as_str().expect("id").to_string();
    assert!(secret.starts_with("whsec_"));
    let (_, listed) = h
        .call(
            reqwest::Method::GET,
            "/api/deskbridge/v1/webhook-endpoints",
            None,
            None,
        )
        .await;
    assert!(
        listed["results"][0].get("secret").is_none(),
        "the secret is shown once"
    );

    let (_, la) = h.link().await;
    let first_three = receiver.wait_for(3, Duration::from_secs(10)).await;
    h.stop().await;
    let (status, log) = {
        let pending: (String, i32) =
            sqlx::query_as("SELECT status, attempts FROM webhook_deliveries")
                .fetch_one(&h.db.pool)
                .await
                .expect("delivery");
        (pending.0, pending.1)
    };
    assert_eq!(
        (status.as_str(), log),
        ("pending", 3),
        "kept in the outbox while the server is down"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        receiver.received().len(),
        3,
        "nothing is sent while the server is down"
    );

    h.start().await;
    let all = receiver.wait_for(4, Duration::from_secs(15)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let all_now = receiver.received();
    assert_eq!(
        all_now.len(),
        4,
        "delivered once it succeeded: no more attempts"
    );
    assert_eq!(first_three.len(), 3);
    let ids: Vec<_> = all
        .iter()
        .map(|r| r.headers["webhook-id"].clone())
        .collect();
    assert!(
        ids.iter().all(|i| *i == ids[0]),
        "one webhook-id for every attempt"
    );
    assert!(
        all.iter().all(|r| r.body == all[0].body),
        "the same body every time"
    );
    let last = &all[3];
    assert_signed(last, &secret);
    let payload: Value = serde_json::from_str(&last.body).expect("json");
    assert_eq!(
        payload["hook"],
        json!({"id": endpoint, "event": "LinkedAccount.linked", "target": receiver.url})
    );
    assert_eq!(payload["linked_account"]["id"], json!(la));
    assert_eq!(
        payload["linked_account"]["integration_slug"],
        json!("freshdesk")
    );
    assert_eq!(
        payload["linked_account"]["end_user_origin_id"],
        json!("customer-1")
    );
    assert_eq!(payload["data"], json!({"is_relink": false}));
    assert!(
        !last.body.contains(&h.sim_key),
        "no credentials in payloads"
    );
    assert!(
        !last.body.contains("dbat_") && !last.body.contains("account_token"),
        "no account token"
    );

    // The attempt log.
    let log = h.deliveries(&endpoint).await;
    let d = &log["results"][0];
    assert_eq!(log["results"].as_array().map(Vec::len), Some(1), "{log}");
    assert_eq!(
        (
            d["status"].clone(),
            d["attempts"].clone(),
            d["event"].clone()
        ),
        (json!("delivered"), json!(4), json!("LinkedAccount.linked"))
    );
    let attempts = d["attempt_log"].as_array().expect("attempts");
    let statuses: Vec<_> = attempts
        .iter()
        .map(|a| (a["response_status"].clone(), a["succeeded"].clone()))
        .collect();
    assert_eq!(
        statuses,
        vec![
            (json!(500), json!(false)),
            (json!(500), json!(false)),
            (json!(500), json!(false)),
            (json!(200), json!(true))
        ]
    );
    assert_eq!(attempts[0]["response_body"], json!("not now"));
    h.stop().await;
}

#[tokio::test]
async fn sync_events_carry_counts_and_a_bookmark_and_account_events_follow_the_account() {
    let receiver = Receiver::start(0).await;
    let mut h = Harness::new(
        vec![receiver.host.clone()],
        &[0.2, 0.2],
        Duration::from_secs(3600),
    )
    .await;
    let (status, ep) = h.endpoint(&receiver.url, None).await;
    assert_eq!(status, 201, "{ep}");
    let secret = ep["secret"].as_str().expect("secret").to_string();
    let (token, la) = h.link().await;
    h.wait_runs(la, 1).await;

    let events = |want: &str| {
        receiver
            .received()
            .into_iter()
            .filter_map(|r| serde_json::from_str::<Value>(&r.body).ok())
            .filter(|p| p["hook"]["event"] == json!(want))
            .collect::<Vec<Value>>()
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while events("Ticket.synced").is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "no Ticket.synced");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for r in receiver.received() {
        assert_signed(&r, &secret);
    }
    assert_eq!(events("LinkedAccount.linked").len(), 1);
    let done = &events("LinkedAccount.sync_completed")[0];
    assert_eq!(done["data"]["status"], json!("DONE"));
    assert_eq!(done["data"]["is_initial_sync"], json!(true));
    let tickets = &events("Ticket.synced")[0]["data"];
    let (_, page) = h
        .call(
            reqwest::Method::GET,
            "/api/ticketing/v1/tickets?page_size=100&include_deleted_data=true",
            Some(&token),
            None,
        )
        .await;
    let stored = page["results"].as_array().expect("tickets").len() as u64;
    assert_eq!(tickets["model_name"], json!("Ticket"));
    assert_eq!(
        tickets["created"].as_u64().expect("created"),
        stored,
        "{tickets}"
    );
    assert_eq!(
        done["data"]["models"]["Ticket"]["created"],
        tickets["created"]
    );
    let bookmark = tickets["modified_after"]
        .as_str()
        .expect("bookmark")
        .to_string();

    // A change in Freshdesk: the next sync reports it, and the bookmark finds it.
    let (sub, rid) = {
        let snap = h
            .sim
            .control()
            .snapshot(&h.sim.accounts()[0].subdomain)
            .expect("snapshot");
        let t = snap
            .tickets
            .iter()
            .find(|t| t["deleted"] != json!(true) && t["spam"] != json!(true))
            .expect("ticket")
            .clone();
        (
            h.sim.accounts()[0].subdomain.clone(),
            t["id"].as_i64().expect("id"),
        )
    };
    h.sim
        .control()
        .update_ticket(
            &sub,
            rid,
            json!({"priority": 4, "subject": "Changed upstream"}),
        )
        .expect("update");
    let (status, _) = h
        .call(
            reqwest::Method::POST,
            "/api/ticketing/v1/sync-status/resync",
            Some(&token),
            Some(&json!({})),
        )
        .await;
    assert_eq!(status, 200);
    h.wait_runs(la, 2).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while events("Ticket.synced").len() < 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no second Ticket.synced"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let second = &events("Ticket.synced")[1]["data"];
    assert_eq!(second["is_initial_sync"], json!(false));
    assert!(
        second["updated"].as_u64().expect("updated") >= 1,
        "{second}"
    );
    assert_eq!(second["created"], json!(0));
    let since = second["modified_after"].as_str().expect("bookmark");
    assert!(since > bookmark.as_str());
    let encoded = since.replace('+', "%2B");
    let (_, changed) = h
        .call(
            reqwest::Method::GET,
            &format!("/api/ticketing/v1/tickets?modified_after={encoded}"),
            Some(&token),
            None,
        )
        .await;
    assert!(
        changed["results"]
            .as_array()
            .expect("results")
            .iter()
            .any(|t| t["remote_id"] == json!(rid.to_string())),
        "{changed}"
    );

    // The key is revoked: relink needed. Then the account is deleted.
    h.sim.control().revoke_key(&sub).expect("revoke");
    h.call(
        reqwest::Method::POST,
        "/api/ticketing/v1/sync-status/resync",
        Some(&token),
        Some(&json!({})),
    )
    .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while events("LinkedAccount.relink_needed").is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "no relink_needed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        events("LinkedAccount.relink_needed")[0]["linked_account"]["status"],
        json!("RELINK_NEEDED")
    );
    let (status, _) = h
        .call(
            reqwest::Method::POST,
            "/api/ticketing/v1/delete-account",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while events("LinkedAccount.deleted").is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "no deleted event");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        events("LinkedAccount.deleted")[0]["linked_account"]["id"],
        json!(la)
    );
    h.stop().await;
}

#[tokio::test]
async fn receivers_are_checked_and_one_that_keeps_failing_is_disabled() {
    let receiver = Receiver::start(usize::MAX).await;
    let mut h = Harness::new(
        vec![receiver.host.clone()],
        &[0.2; 30],
        Duration::from_secs(1),
    )
    .await;
    for (url, why) in [
        ("http://127.0.0.1:9/x", "loopback"),
        ("http://10.0.0.8/x", "private"),
        ("http://169.254.169.254/latest/meta-data", "link-local"),
        ("http://[::1]:8080/x", "loopback v6"),
        ("http://localhost:8080/x", "localhost"),
        ("ftp://example.com/x", "scheme"),
        ("https://user:pw@example.com/x", "user info"),
        ("hooks", "relative"),
    ] {
        let (status, body) = h.endpoint(url, None).await;
        assert_eq!(status, 400, "{why}: {body}");
        assert!(
            body["detail"]
                .as_str()
                .is_some_and(|d| d.contains("not allowed")),
            "{why}: {body}"
        );
    }
    let (status, body) = h.endpoint(&receiver.url, Some(&["Ticket.exploded"])).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .expect("detail")
            .contains("Unknown event")
    );

    let (status, ep) = h
        .endpoint(&receiver.url, Some(&["LinkedAccount.linked"]))
        .await;
    assert_eq!(status, 201, "{ep}");
    let endpoint = ep["id"].as_str().expect("id").to_string();
    h.link().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let disabled = loop {
        let (_, list) = h
            .call(
                reqwest::Method::GET,
                "/api/deskbridge/v1/webhook-endpoints",
                None,
                None,
            )
            .await;
        let e = list["results"][0].clone();
        if e["is_active"] == json!(false) {
            break e;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never disabled: {e}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        disabled["disabled_reason"]
            .as_str()
            .is_some_and(|r| r.contains("HTTP 500")),
        "{disabled}"
    );
    let n = receiver.received().len();
    assert!(n >= 2, "{n} attempts before it was disabled");
    let log = h.deliveries(&endpoint).await;
    assert_eq!(log["results"][0]["status"], json!("cancelled"), "{log}");
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        receiver.received().len(),
        n,
        "a disabled endpoint gets nothing more"
    );

    let (status, _) = h
        .call(
            reqwest::Method::DELETE,
            &format!("/api/deskbridge/v1/webhook-endpoints/{endpoint}"),
            None,
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = h
        .call(
            reqwest::Method::DELETE,
            &format!("/api/deskbridge/v1/webhook-endpoints/{endpoint}"),
            None,
            None,
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = h
        .call(
            reqwest::Method::GET,
            &format!("/api/deskbridge/v1/webhook-endpoints/{endpoint}/deliveries"),
            None,
            None,
        )
        .await;
    assert_eq!(status, 404);
    let (_, list) = h
        .call(
            reqwest::Method::GET,
            "/api/deskbridge/v1/webhook-endpoints",
            None,
            None,
        )
        .await;
    assert_eq!(list["results"], json!([]));
    // Without an API key, nothing.
    let res = h
        .http
        .get(format!("{}/api/deskbridge/v1/webhook-endpoints", h.base))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status().as_u16(), 401);
    h.stop().await;
}
