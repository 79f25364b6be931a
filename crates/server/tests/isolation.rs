//! Tenant isolation, by walking the generated OpenAPI document (so new endpoints are covered
//! automatically): a second organization's key and account tokens get 401/404, never the
//! first organization's data. The walk runs twice: with the first organization's account on
//! Freshdesk and on Zendesk (the second organization's on Freshdesk both times). Plus the abuse
//! limits: per-account rate headers and 413s.

mod common;

use std::collections::BTreeMap;

use common::zendesk::Zd;
use common::{Options, TestApp};
use deskbridge_freshdesk_sim::SimConfig;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

fn sim() -> SimConfig {
    SimConfig {
        seed: 5,
        accounts: 2,
        tickets: 15,
        conversations_per_ticket: 1.0,
        ..SimConfig::default()
    }
}

/// Organization A's secrets and ids, which must never reach organization B.
struct TenantA {
    account: deskbridge_store::LinkedAccountId,
    account_token: String,
    link_token: String,
    public_token: String,
    /// A record id per table (`tickets` → a ticket of A).
    ids: BTreeMap<String, Uuid>,
}

impl TenantA {
    fn markers(&self) -> Vec<String> {
        let mut m = vec![
            self.account.to_string(),
            self.account_token.clone(),
            self.link_token.clone(),
            self.public_token.clone(),
            "customer-sim1".to_string(),
        ];
        m.extend(self.ids.values().map(Uuid::to_string));
        m
    }

    /// True when A has a record of the collection the path names (so A can read it).
    fn has_record(&self, path: &str) -> bool {
        self.ids.contains_key(collection(path))
    }

    /// A value for a path parameter: A's record of the path's collection, A's tokens, or A's
    /// linked account.
    fn param(&self, path: &str, name: &str) -> String {
        match name {
            "public_token" => self.public_token.clone(),
            "link_token" => self.link_token.clone(),
            "file" => "link.css".into(),
            _ => self
                .ids
                .get(collection(path))
                .copied()
                .unwrap_or(self.account.as_uuid())
                .to_string(),
        }
    }
}

/// The collection a path template names: its last segment before the first parameter.
fn collection(path: &str) -> &str {
    path.split('/')
        .take_while(|s| !s.starts_with('{'))
        .last()
        .unwrap_or_default()
}

/// Links organization A's account through the Link flow: Freshdesk simulator account 0, or
/// Zendesk simulator account 0 when `zd` is given.
async fn setup_a(app: &TestApp, zd: Option<&Zd>) -> TenantA {
    let (_, key) = app.sim_account(0);
    let slug = if zd.is_some() { "zendesk" } else { "freshdesk" };
    let mk = |origin: &str| {
        json!({"end_user_origin_id": origin, "end_user_organization_name": "A's customer",
               "end_user_email_address": "it@a.example", "categories": ["ticketing"], "integration": slug})
    };
    let creds = match zd {
        Some(zd) => {
            let z = zd.account(0);
            json!({"integration": "zendesk", "subdomain": zd.site(0), "email": z.admin_email,
                   "api_token": z.api_token})
        }
        None => json!({"domain": app.sim_handle.base_url, "api_key": key}),
    };
    let submit = |token: String| {
        let url = format!("{}/link/{token}", app.base);
        let body = creds.clone();
        async move {
            app.http
                .post(url)
                .json(&body)
                .send()
                .await
                .expect("submit")
                .json::<Value>()
                .await
                .expect("json")
        }
    };
    // Linked through the Link flow, exchanged; then relinked without exchanging (a live
    // public token), and one more link token left unused.
    let (_, lt) = app
        .post("/api/ticketing/v1/link-token", None, &mk("customer-sim1"))
        .await;
    let done = submit(lt["link_token"].as_str().expect("lt").to_string()).await;
    let (status, acct) = app
        .get(
            &format!(
                "/api/ticketing/v1/account-token/{}",
                done["public_token"].as_str().expect("pt")
            ),
            None,
        )
        .await;
    assert_eq!(status, 200, "{acct}");
    let (_, lt) = app
        .post("/api/ticketing/v1/link-token", None, &mk("customer-sim1"))
        .await;
    let live = submit(lt["link_token"].as_str().expect("lt").to_string()).await;
    let (_, unused) = app
        .post("/api/ticketing/v1/link-token", None, &mk("customer-sim1"))
        .await;
    let account: deskbridge_store::LinkedAccountId =
        acct["id"].as_str().expect("id").parse().expect("uuid");
    assert_eq!(app.wait_synced(account).await, "DONE");

    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.columns
         WHERE table_schema = 'public' AND column_name = 'id' ORDER BY 1",
    )
    .fetch_all(&app.db.pool)
    .await
    .expect("tables");
    let mut ids = BTreeMap::new();
    for t in tables {
        let has_account: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM information_schema.columns
             WHERE table_schema = 'public' AND table_name = $1 AND column_name = 'linked_account_id')",
        )
        .bind(&t)
        .fetch_one(&app.db.pool)
        .await
        .expect("column");
        if !has_account {
            continue;
        }
        let id: Option<Uuid> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT id FROM \"{t}\" WHERE linked_account_id = $1 ORDER BY id LIMIT 1"
        )))
        .bind(account)
        .fetch_optional(&app.db.pool)
        .await
        .expect("id");
        if let Some(id) = id {
            ids.insert(t, id);
        }
    }
    assert!(
        ids.contains_key("tickets") && ids.contains_key("comments"),
        "{ids:?}"
    );
    TenantA {
        account,
        account_token: acct["account_token"].as_str().expect("token").to_string(),
        link_token: unused["link_token"].as_str().expect("lt").to_string(),
        public_token: live["public_token"].as_str().expect("pt").to_string(),
        ids,
    }
}

/// Waits for the first sync of another organization's account.
async fn wait_synced(
    app: &TestApp,
    org: deskbridge_store::OrgId,
    account: deskbridge_store::LinkedAccountId,
) {
    for _ in 0..2400 {
        let runs = app.store.recent_runs(org, account, 5).await.expect("runs");
        if runs.iter().any(|r| r.finished_at.is_some())
            && app.store.active_jobs(account).await.expect("jobs") == 0
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the sync of {account} did not finish");
}

/// One call: method, path, API key, account token; the status and the raw body.
async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    key: Option<&str>,
    token: Option<&str>,
) -> (u16, String) {
    let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).expect("method");
    let mut req = app
        .http
        .request(method.clone(), format!("{}{path}", app.base));
    if let Some(k) = key {
        req = req.bearer_auth(k);
    }
    if let Some(t) = token {
        req = req.header("X-Account-Token", t);
    }
    if method != Method::GET {
        req = req.json(&json!({}));
    }
    let res = req.send().await.expect("send");
    (res.status().as_u16(), res.text().await.unwrap_or_default())
}

#[tokio::test]
async fn a_second_organization_gets_401_or_404_on_every_endpoint_never_data() {
    let app = TestApp::start_with(
        sim(),
        Options {
            workers: 1,
            ..Options::default()
        },
    )
    .await;
    let a = setup_a(&app, None).await;
    walk_as_b(&app, &a).await;
    app.stop().await;
}

#[tokio::test]
async fn a_second_organization_never_reaches_a_zendesk_account() {
    let zd = Zd::start(deskbridge_zendesk_sim::SimConfig {
        seed: 5,
        tickets: 15,
        ..Default::default()
    })
    .await;
    let app = TestApp::start_with(
        sim(),
        Options {
            workers: 1,
            ..zd.options(std::time::Duration::from_secs(60))
        },
    )
    .await;
    let a = setup_a(&app, Some(&zd)).await;
    let (status, details) = app
        .get("/api/ticketing/v1/account-details", Some(&a.account_token))
        .await;
    assert_eq!(status, 200, "{details}");
    assert_eq!(details["integration_slug"], json!("zendesk"), "{details}");
    walk_as_b(&app, &a).await;
    app.stop().await;
}

/// Organization B (its own key and its own Freshdesk account) walks every operation of the
/// spec with A's ids and tokens; then A is checked untouched.
async fn walk_as_b(app: &TestApp, a: &TenantA) {
    let org_b = app.store.ensure_organization("org-b").await.expect("org b");
    let key_b = app
        .store
        .create_api_key(org_b.id, "b")
        .await
        .expect("key b")
        .key;
    let (_, sim_key_b) = app.sim_account(1);
    let res = app
        .http
        .post(format!("{}/api/ticketing/v1/linked-accounts", app.base))
        .bearer_auth(&key_b)
        .json(
            &json!({"integration": "freshdesk", "end_user_origin_id": "customer-sim2",
            "end_user_organization_name": "B's customer", "end_user_email_address": "it@b.example",
            "credentials": {"domain": app.sim_handle.base_url, "api_key": sim_key_b}}),
        )
        .send()
        .await
        .expect("link b");
    assert_eq!(res.status().as_u16(), 201);
    let b: Value = res.json().await.expect("json");
    let token_b = b["account_token"].as_str().expect("token b").to_string();
    let account_b: deskbridge_store::LinkedAccountId = b["linked_account"]["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid");
    wait_synced(app, org_b.id, account_b).await;

    let markers = a.markers();
    let leaks = |body: &str| {
        markers
            .iter()
            .filter(|m| body.contains(m.as_str()))
            .cloned()
            .collect::<Vec<_>>()
    };
    let spec = serde_json::to_value(deskbridge_api::openapi()).expect("spec");
    let (mut calls, mut ops) = (0, 0);
    for (template, item) in spec["paths"].as_object().expect("paths") {
        let path = template
            .split('/')
            .map(
                |seg| match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(name) => a.param(template, name),
                    None => seg.to_string(),
                },
            )
            .collect::<Vec<_>>()
            .join("/");
        for (method, op) in item.as_object().expect("item") {
            let schemes: Vec<&str> = op["security"]
                .as_array()
                .map(|reqs| {
                    reqs.iter()
                        .flat_map(|r| r.as_object().into_iter().flat_map(|o| o.keys()))
                        .map(String::as_str)
                        .collect()
                })
                .unwrap_or_default();
            let what = format!("{method} {template}");
            ops += 1;
            if schemes.is_empty() {
                // Public (health, Link page and its assets): B's credentials and a guessed
                // link token reveal nothing of A.
                let path = path.replace(
                    &a.link_token,
                    "dblt_guessed0000000000000000000000000000000000",
                );
                let (status, body) = call(app, method, &path, Some(&key_b), Some(&token_b)).await;
                calls += 1;
                assert!(status < 500, "{what}: {status}");
                if template.contains("{link_token}") {
                    assert_eq!(status, 404, "{what}");
                }
                assert!(leaks(&body).is_empty(), "{what} leaks {:?}", leaks(&body));
                continue;
            }
            let account_scoped = schemes.contains(&"accountToken");
            // No credentials at all.
            let (status, _) = call(app, method, &path, None, Some(&a.account_token)).await;
            assert_eq!(status, 401, "{what} without an API key");
            // B's key with A's account token.
            let (status, body) =
                call(app, method, &path, Some(&key_b), Some(&a.account_token)).await;
            calls += 2;
            assert!(leaks(&body).is_empty(), "{what} leaks {:?}", leaks(&body));
            if account_scoped {
                assert_eq!(
                    status, 401,
                    "{what} with B's key and A's account token: {body}"
                );
            } else {
                assert!(
                    matches!(status, 200 | 400 | 404),
                    "{what} with B's key: {status} {body}"
                );
            }
            // B's own key and token, on A's ids: reads and writes of one record.
            if account_scoped && (method == "get" || template.contains("{id}")) {
                let (status, body) = call(app, method, &path, Some(&key_b), Some(&token_b)).await;
                calls += 1;
                assert!(leaks(&body).is_empty(), "{what} leaks {:?}", leaks(&body));
                if template.contains('{') {
                    assert!(
                        matches!(status, 400 | 404),
                        "{what} with B's token on A's id: {status} {body}"
                    );
                    if method == "get" && a.has_record(template) {
                        let (status, body) = call(
                            app,
                            method,
                            &path,
                            Some(&app.api_key),
                            Some(&a.account_token),
                        )
                        .await;
                        assert_eq!(status, 200, "{what}: A itself reads its record: {body}");
                    }
                } else {
                    assert!(status < 500, "{what}: {status}");
                }
            }
        }
    }
    eprintln!("walked {ops} operations with {calls} calls as organization B");
    assert!(calls > 60, "the whole API was walked ({calls} calls)");

    // A is untouched: its account, its token, its pending public token and link token.
    let (status, _) = app
        .get("/api/ticketing/v1/account-details", Some(&a.account_token))
        .await;
    assert_eq!(status, 200);
    let (status, acct) = app
        .get(
            &format!("/api/ticketing/v1/account-token/{}", a.public_token),
            None,
        )
        .await;
    assert_eq!(
        status, 200,
        "B's attempt did not use up A's public token: {acct}"
    );
    assert_eq!(acct["account_token"], json!(a.account_token));
    let res = app
        .http
        .get(format!("{}/link/{}", app.base, a.link_token))
        .send()
        .await
        .expect("page");
    assert_eq!(res.status().as_u16(), 200);
}

#[tokio::test]
async fn account_endpoints_report_their_rate_limit() {
    let app = TestApp::start_with(
        sim(),
        Options {
            rate_limit_per_minute: 3,
            ..Options::default()
        },
    )
    .await;
    let (token, _) = app.link(0).await;
    let get = |path: &str| {
        let req = app
            .http
            .get(format!("{}{path}", app.base))
            .bearer_auth(&app.api_key)
            .header("X-Account-Token", &token);
        async move { req.send().await.expect("send") }
    };
    let header = |res: &reqwest::Response, name: &str| -> u64 {
        res.headers()
            .get(name)
            .unwrap_or_else(|| panic!("{name} missing"))
            .to_str()
            .expect("ascii")
            .parse()
            .expect("number")
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    for remaining in [2, 1, 0] {
        let res = get("/api/ticketing/v1/tickets").await;
        assert_eq!(res.status().as_u16(), 200);
        assert_eq!(header(&res, "x-ratelimit-limit"), 3);
        assert_eq!(header(&res, "x-ratelimit-remaining"), remaining);
        let reset = header(&res, "x-ratelimit-reset");
        assert!(
            (now..=now + 61).contains(&reset),
            "reset {reset} vs now {now}"
        );
    }
    let res = get("/api/ticketing/v1/account-details").await;
    assert_eq!(res.status().as_u16(), 429);
    assert_eq!(header(&res, "x-ratelimit-remaining"), 0);
    assert!((1..=60).contains(&header(&res, "retry-after")));
    let body: Value = res.json().await.expect("json");
    assert!(
        body["detail"]
            .as_str()
            .expect("detail")
            .contains("Rate limit of 3 requests per minute")
    );
    // Endpoints of the organization (no account token) carry no per-account headers.
    let res = app
        .http
        .get(format!("{}/api/ticketing/v1/linked-accounts", app.base))
        .bearer_auth(&app.api_key)
        .send()
        .await
        .expect("send");
    assert_eq!(res.status().as_u16(), 200);
    assert!(res.headers().get("x-ratelimit-limit").is_none());
    app.stop().await;
}

#[tokio::test]
async fn oversize_bodies_are_413_with_a_detail() {
    let app = TestApp::start(sim()).await;
    let (_, lt) = app
        .post(
            "/api/ticketing/v1/link-token",
            None,
            &json!({"end_user_origin_id": "x", "end_user_organization_name": "X", "end_user_email_address": "x@x.example",
                    "categories": ["ticketing"]}),
        )
        .await;
    let huge = format!("{{\"name\": \"{}\"}}", "a".repeat(2 * 1024 * 1024 + 1));
    for path in [
        "/api/ticketing/v1/linked-accounts".to_string(),
        "/api/ticketing/v1/link-token".to_string(),
        "/api/ticketing/v1/generate-key".to_string(),
        format!("/link/{}", lt["link_token"].as_str().expect("token")),
    ] {
        let res = app
            .http
            .post(format!("{}{path}", app.base))
            .bearer_auth(&app.api_key)
            .header("content-type", "application/json")
            .body(huge.clone())
            .send()
            .await
            .expect("send");
        assert_eq!(res.status().as_u16(), 413, "{path}");
        let body: Value = res.json().await.expect("json body");
        assert!(
            body["detail"]
                .as_str()
                .expect("detail")
                .contains("too large"),
            "{path}: {body}"
        );
    }
    app.stop().await;
}
