//! An in-process Deskbridge (API + workers) on its own database, in front of a simulator.
#![allow(dead_code)]

pub mod push;
pub mod zendesk;

use std::sync::Arc;
use std::time::Duration;

use deskbridge::serve;
use deskbridge_api::ApiConfig;
use deskbridge_freshdesk::FreshdeskIntegration;
use deskbridge_freshdesk_sim::{SimConfig, SimHandle, Simulator};
use deskbridge_store::{Cipher, MasterKey, Store};
use deskbridge_store::{LinkedAccountId, OrgId};
use deskbridge_sync::Registry;
use deskbridge_sync::SyncSettings;
use deskbridge_testkit::TestDb;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::watch;
use uuid::Uuid;

/// Options of a test app.
#[derive(Debug, Clone)]
pub struct Options {
    /// In-process workers.
    pub workers: usize,
    /// Caller rate limit.
    pub rate_limit_per_minute: u32,
    /// Extra allowed provider hosts.
    pub allow_sim: bool,
    /// Where the Link page redirects after linking (`DESKBRIDGE_LINK_REDIRECT_URL`).
    pub link_redirect_url: Option<String>,
    /// Timeout of one provider request.
    pub provider_timeout: Duration,
    /// Interval of id reconciliations.
    pub reconcile_every: Duration,
    /// The provider's rate-limit window.
    pub rate_window: Duration,
    /// The API's request timeout.
    pub request_timeout: Duration,
    /// Failed Link-page and token-exchange attempts per client IP per minute (0: no limit).
    pub link_failure_limit: u32,
    /// Reverse proxies trusted to name the client (`DESKBRIDGE_TRUSTED_PROXIES`).
    pub trusted_proxies: Vec<String>,
    /// Origins that may frame the Link page (`DESKBRIDGE_LINK_EMBED_ORIGINS`).
    pub link_embed_origins: Vec<String>,
    /// Whether `DESKBRIDGE_PUBLIC_URL` is set (to the test server's base URL).
    pub public_url: bool,
    /// Integrations offered besides Freshdesk (e.g. a test crate's helpdesk).
    pub integrations: Integrations,
    /// Origins allowed besides the Freshdesk simulator's, for worker processes.
    pub extra_hosts: Vec<String>,
    /// Whether linking installs the helpdesk push (`DESKBRIDGE_PUSH_ON_LINK`).
    pub push_on_link: bool,
}

/// Extra integrations for the registry, in the order offered after Freshdesk.
#[derive(Clone, Default)]
pub struct Integrations(pub Vec<Arc<dyn deskbridge_provider::Integration>>);

impl std::fmt::Debug for Integrations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let slugs: Vec<&str> = self.0.iter().map(|i| i.info().slug).collect();
        f.debug_list().entries(slugs).finish()
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            workers: 1,
            rate_limit_per_minute: 0,
            allow_sim: true,
            link_redirect_url: None,
            provider_timeout: Duration::from_secs(30),
            reconcile_every: Duration::from_secs(24 * 3600),
            rate_window: Duration::from_secs(60),
            request_timeout: ApiConfig::default().request_timeout,
            link_failure_limit: ApiConfig::default().link_failure_limit,
            trusted_proxies: Vec::new(),
            link_embed_origins: Vec::new(),
            public_url: true,
            integrations: Integrations::default(),
            extra_hosts: Vec::new(),
            push_on_link: false,
        }
    }
}

/// A running test app.
pub struct TestApp {
    pub base: String,
    pub db: TestDb,
    pub store: Store,
    pub sim: Simulator,
    pub sim_handle: SimHandle,
    pub api_key: String,
    pub org: OrgId,
    pub http: reqwest::Client,
    pub master_key: MasterKey,
    /// The simulator's origin, as `DESKBRIDGE_ALLOW_PROVIDER_HOSTS` names it.
    pub sim_host: String,
    /// Every allowed origin (other simulators too), as worker processes are given them.
    pub worker_hosts: String,
    shutdown: watch::Sender<bool>,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// Calls to one Deskbridge API (`base`) with one organization's API key: the form every
/// test harness's requests share.
pub struct ApiClient<'a> {
    /// The client.
    pub http: &'a reqwest::Client,
    /// `http://host:port` of the API.
    pub base: &'a str,
    /// The organization's API key.
    pub api_key: &'a str,
}

impl ApiClient<'_> {
    /// A request with the API key, the account token when given and a JSON body when given.
    pub fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> reqwest::RequestBuilder {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(self.api_key);
        if let Some(t) = token {
            req = req.header("X-Account-Token", t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        req
    }

    /// [`ApiClient::request`] sent, its answer checked against the committed spec.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let name = method.as_str().to_string();
        let res = self
            .request(method, path, token, body)
            .send()
            .await
            .expect("request");
        checked(&name, path, res).await
    }

    /// `POST /sync-status/resync` for the account of `token`: the status.
    pub async fn resync(&self, token: &str) -> u16 {
        let path = "/api/ticketing/v1/sync-status/resync";
        let body = json!({});
        self.call(reqwest::Method::POST, path, Some(token), Some(&body))
            .await
            .0
    }

    /// `POST /delete-account` for the account of `token` (no body): the status.
    pub async fn delete_account(&self, token: &str) -> u16 {
        let path = "/api/ticketing/v1/delete-account";
        self.call(reqwest::Method::POST, path, Some(token), None)
            .await
            .0
    }
}

/// Waits until `la` has at least `n` finished sync runs and no active job; panics with
/// `timeout_msg` after two minutes.
pub async fn wait_runs(
    store: &Store,
    org: deskbridge_store::OrgId,
    la: deskbridge_store::LinkedAccountId,
    n: usize,
    timeout_msg: &str,
) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let runs = store.recent_runs(org, la, 20).await.expect("runs");
        let active = store.active_jobs(la).await.expect("jobs");
        if runs.iter().filter(|r| r.finished_at.is_some()).count() >= n && active == 0 {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "{timeout_msg}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Runs `deskbridge` (the binary) with these arguments and environment, without the
/// variables named in `unset` (so the caller's environment cannot change the outcome); its
/// stdout. Panics, with its stderr, when it fails.
pub fn run_cli(args: &[&str], env: &[(&str, &str)], unset: &[&str]) -> String {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_deskbridge"));
    cmd.args(args).env("RUST_LOG", "warn");
    for k in unset {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run deskbridge");
    assert!(
        out.status.success(),
        "deskbridge {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// Kills a worker process at once (SIGKILL: no clean-up of its own) and reaps it.
pub fn kill9(child: &mut std::process::Child) {
    let _ = std::process::Command::new("kill")
        .args(["-9", &child.id().to_string()])
        .status();
    let _ = child.wait();
}

/// Fails with the first few records that differ between two dumps (`a` the clean one).
pub fn assert_same_records(
    a: &std::collections::BTreeMap<(String, String), Value>,
    b: &std::collections::BTreeMap<(String, String), Value>,
) {
    let mut diffs = Vec::new();
    for (k, v) in a {
        match b.get(k) {
            Some(w) if w == v => {}
            Some(w) => diffs.push(format!("{k:?} differs:\n  clean {v}\n  other {w}")),
            None => diffs.push(format!("{k:?} missing")),
        }
    }
    for k in b.keys() {
        if !a.contains_key(k) {
            diffs.push(format!("{k:?} extra"));
        }
    }
    assert!(
        diffs.is_empty(),
        "{} differences (of {} records); first:\n{}",
        diffs.len(),
        a.len(),
        diffs.iter().take(5).cloned().collect::<Vec<_>>().join("\n")
    );
}

/// Reads an answer and checks it against the committed `openapi/openapi.json` (status,
/// content type, JSON body against its schema); panics with what differs. Returns the status
/// and the JSON body (null when the body is not JSON).
pub async fn checked(method: &str, path: &str, res: reqwest::Response) -> (u16, Value) {
    let (status, bytes) = checked_bytes(method, path, res).await;
    let body = serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null);
    (status, body)
}

/// [`checked`] for any body: the status and the raw bytes, checked against the spec.
pub async fn checked_bytes(method: &str, path: &str, res: reqwest::Response) -> (u16, Vec<u8>) {
    let status = res.status().as_u16();
    let content_type = res
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let bytes = res.bytes().await.expect("body");
    check_spec(method, path, status, content_type.as_deref(), &bytes);
    (status, bytes.to_vec())
}

/// Panics unless the exchange matches the committed spec.
pub fn check_spec(method: &str, path: &str, status: u16, content_type: Option<&str>, body: &[u8]) {
    let exchange = deskbridge_testkit::spec::Exchange {
        method,
        path,
        status,
        content_type,
        body,
    };
    if let Err(mismatch) = deskbridge_testkit::spec::committed().check(&exchange) {
        panic!("{mismatch}");
    }
}

/// Engine settings that make tests quick and keep the scheduler out of the way.
pub fn test_settings() -> SyncSettings {
    SyncSettings {
        interval: Duration::from_secs(3600),
        lease: Duration::from_secs(10),
        poll: Duration::from_millis(50),
        max_attempts: 8,
        backoff_base: Duration::from_millis(100),
        reconcile_every: Duration::from_secs(24 * 3600),
    }
}

impl TestApp {
    /// Starts a simulator with `sim` and Deskbridge with default options.
    pub async fn start(sim: SimConfig) -> TestApp {
        TestApp::start_with(sim, Options::default()).await
    }

    /// Starts with no worker in the process: the test runs its own workers (or processes).
    pub async fn start_without_workers(sim: SimConfig) -> TestApp {
        let opts = Options {
            workers: 0,
            ..Options::default()
        };
        TestApp::start_with(sim, opts).await
    }

    /// Starts with options.
    pub async fn start_with(sim_cfg: SimConfig, opts: Options) -> TestApp {
        let db = TestDb::new().await;
        let master_key = MasterKey::generate();
        let store = Store::new(db.pool.clone(), Cipher::new(master_key.clone()));
        let sim = Simulator::new(sim_cfg);
        let sim_handle = sim
            .spawn("127.0.0.1:0".parse().expect("addr"))
            .await
            .expect("simulator");
        // Allowed provider hosts are exact origins (`scheme://host:port`).
        let host = sim_handle.base_url.clone();
        let worker_hosts = [vec![host.clone()], opts.extra_hosts.clone()]
            .concat()
            .join(",");
        let hosts = if opts.allow_sim {
            vec![host.clone()]
        } else {
            Vec::new()
        };
        let registry = Registry::new().with(
            FreshdeskIntegration::new(hosts, 0.2)
                .with_request_timeout(opts.provider_timeout)
                .with_rate_window(opts.rate_window),
        );
        let factory = Arc::new(
            opts.integrations
                .0
                .iter()
                .fold(registry, |r, i| r.with_shared(i.clone())),
        );
        let org = store.ensure_organization("test-org").await.expect("org");
        let key = store.create_api_key(org.id, "test").await.expect("key");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (tx, rx) = watch::channel(false);
        let api = ApiConfig {
            rate_limit_per_minute: opts.rate_limit_per_minute,
            link_redirect_url: opts.link_redirect_url.clone(),
            request_timeout: opts.request_timeout,
            link_failure_limit: opts.link_failure_limit,
            public_url: opts.public_url.then(|| base.clone()),
            trusted_proxies: deskbridge_api::client_ip::parse_proxies(&opts.trusted_proxies)
                .expect("trusted proxies"),
            link_embed_origins: deskbridge_api::embed::parse_origins(&opts.link_embed_origins)
                .expect("embed origins"),
            push_on_link: opts.push_on_link,
            ..ApiConfig::default()
        };
        let server = tokio::spawn(serve::run(
            store.clone(),
            factory,
            SyncSettings {
                reconcile_every: opts.reconcile_every,
                ..test_settings()
            },
            api,
            listener,
            opts.workers,
            rx,
        ));
        TestApp {
            base,
            db,
            store,
            sim,
            sim_handle,
            api_key: key.key,
            org: org.id,
            http: deskbridge_freshdesk::http_client(),
            master_key,
            sim_host: host,
            worker_hosts,
            shutdown: tx,
            server,
        }
    }

    /// The simulator's accounts' subdomains and keys.
    pub fn sim_account(&self, i: usize) -> (String, String) {
        let a = &self.sim.accounts()[i];
        (a.subdomain.clone(), a.api_key.clone())
    }

    /// A GET with the API key (and the account token when given).
    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut req = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.api_key);
        if let Some(t) = token {
            req = req.header("X-Account-Token", t);
        }
        let res = req.send().await.expect("request");
        checked("GET", path, res).await
    }

    /// A POST of JSON with the API key (and the account token when given).
    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
        let post = reqwest::Method::POST;
        self.client().call(post, path, token, Some(body)).await
    }

    /// A fresh worker finishes the sync of `la` whose workers were killed: it must resume
    /// the one run (not restart it) and end with the records of the `clean` copy.
    pub async fn finish_killed_sync(&self, la: LinkedAccountId, clean: LinkedAccountId) {
        let mut w = self.spawn_worker(1);
        assert_eq!(self.wait_synced(la).await, "DONE");
        kill9(&mut w);
        let runs = self
            .store
            .recent_runs(self.org, la, 10)
            .await
            .expect("runs");
        assert_eq!(runs.len(), 1, "the killed run was resumed, not restarted");
        assert_same_records(&self.dump(clean).await, &self.dump(la).await);
    }

    /// `GET /attachments/{id}/download` with the key and the account token: the raw answer
    /// (a file or a redirect, not JSON).
    pub async fn download(&self, id: &str, token: &str) -> reqwest::Response {
        let path = format!("/api/ticketing/v1/attachments/{id}/download");
        self.client()
            .request(reqwest::Method::GET, &path, Some(token), None)
            .send()
            .await
            .expect("download")
    }

    /// Calls to this app's API with its key: `client().call(…)` is any request (`body`:
    /// JSON) with the account token when given, checked against the committed spec like the
    /// answers of [`TestApp::get`].
    pub fn client(&self) -> ApiClient<'_> {
        ApiClient {
            http: &self.http,
            base: &self.base,
            api_key: &self.api_key,
        }
    }

    /// The body linking simulator account `i` with `key`.
    pub fn link_body(&self, i: usize, key: &str) -> Value {
        let (sub, _) = self.sim_account(i);
        json!({
            "integration": "freshdesk",
            "end_user_origin_id": format!("customer-{sub}"),
            "end_user_organization_name": format!("Customer {sub}"),
            "end_user_email_address": format!("admin@{sub}.example"),
            "credentials": {"domain": self.sim_handle.base_url, "api_key": key},
        })
    }

    /// Links simulator account `i`; returns the account token and linked account id.
    pub async fn link(&self, i: usize) -> (String, LinkedAccountId) {
        let (_, key) = self.sim_account(i);
        self.link_with(&self.link_body(i, &key)).await
    }

    /// `POST /linked-accounts` with `body`, which must link (201) or relink (200); returns
    /// the account token and the linked account id.
    pub async fn link_with(&self, body: &Value) -> (String, LinkedAccountId) {
        let (status, body) = self
            .post("/api/ticketing/v1/linked-accounts", None, body)
            .await;
        assert!(
            status == 201 || status == 200,
            "link failed: {status} {body}"
        );
        let token = body["account_token"].as_str().expect("token").to_string();
        let id = body["linked_account"]["id"]
            .as_str()
            .expect("id")
            .parse()
            .expect("uuid");
        (token, id)
    }

    /// Waits until the account's latest sync run has finished; returns its status.
    pub async fn wait_synced(&self, linked_account: LinkedAccountId) -> String {
        self.wait_runs(linked_account, 1).await
    }

    /// Waits until at least `n` runs have finished and no job is pending; returns the last status.
    pub async fn wait_runs(&self, linked_account: LinkedAccountId, n: usize) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(240);
        loop {
            let runs = self
                .store
                .recent_runs(self.org, linked_account, 50)
                .await
                .expect("runs");
            let finished = runs.iter().filter(|r| r.finished_at.is_some()).count();
            let active = self.store.active_jobs(linked_account).await.expect("jobs");
            if finished >= n && active == 0 {
                return runs[0].status.clone();
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "sync did not finish in time"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Forces a resync and waits for it.
    pub async fn resync(&self, token: &str, linked_account: LinkedAccountId) -> String {
        let before = self
            .store
            .recent_runs(self.org, linked_account, 100)
            .await
            .expect("runs")
            .len();
        assert_eq!(self.client().resync(token).await, 200);
        self.wait_runs(linked_account, before + 1).await
    }

    /// Every result of a list endpoint, following `next`.
    pub async fn list_all(&self, path: &str, token: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut url = path.to_string();
        loop {
            let (status, body) = self.get(&url, Some(token)).await;
            assert_eq!(status, 200, "{url}: {body}");
            out.extend(body["results"].as_array().expect("results").iter().cloned());
            match body["next"].as_str() {
                Some(c) => url = format!("{path}{sep}cursor={c}"),
                None => return out,
            }
        }
    }

    /// Starts `deskbridge worker` as a separate process on this app's database, with a 2 s job
    /// lease so that a killed worker's job is taken over quickly.
    pub fn spawn_worker(&self, workers: usize) -> std::process::Child {
        self.spawn_worker_with_lease(workers, 2)
    }

    /// [`TestApp::spawn_worker`] with a job lease of `lease_secs`. Tests that count runs per
    /// job and kill no worker mid-job use a long lease: on a loaded machine a 2 s lease can
    /// expire under a busy worker, and the job is then (correctly) resumed by the other one,
    /// which is a second run.
    pub fn spawn_worker_with_lease(&self, workers: usize, lease_secs: u64) -> std::process::Child {
        std::process::Command::new(env!("CARGO_BIN_EXE_deskbridge"))
            .arg("worker")
            .env("DATABASE_URL", &self.db.url)
            .env("DESKBRIDGE_MASTER_KEY", self.master_key.to_base64())
            .env("DESKBRIDGE_ALLOW_PROVIDER_HOSTS", &self.worker_hosts)
            .env("DESKBRIDGE_WORKERS", workers.to_string())
            .env("DESKBRIDGE_JOB_LEASE_SECS", lease_secs.to_string())
            .env("DESKBRIDGE_SYNC_INTERVAL_SECS", "3600")
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("start deskbridge worker")
    }

    /// Links simulator account `i` under another end-user id (a second linked account on
    /// the same helpdesk); returns the account token and id.
    pub async fn link_as(&self, i: usize, origin: &str) -> (String, LinkedAccountId) {
        let (_, key) = self.sim_account(i);
        let mut body = self.link_body(i, &key);
        body["end_user_origin_id"] = json!(origin);
        self.link_with(&body).await
    }

    /// Every synced record of a linked account, comparable across accounts: keyed by
    /// (table, remote id), relation ids replaced by `kind/remote_id`, volatile values (signed
    /// URLs) removed; with `remote_was_deleted` and `remote_data`.
    pub async fn dump(
        &self,
        linked_account: LinkedAccountId,
    ) -> std::collections::BTreeMap<(String, String), Value> {
        const TABLES: [(&str, &str); 9] = [
            ("tickets", "ticket"),
            ("comments", "comment"),
            ("users", "user"),
            ("contacts", "contact"),
            ("accounts", "account"),
            ("teams", "team"),
            ("tags", "tag"),
            ("roles", "role"),
            ("attachments", "attachment"),
        ];
        let mut rows = Vec::new();
        let mut names = std::collections::HashMap::new();
        for (table, kind) in TABLES {
            let got: Vec<(Uuid, String, Value, Option<Value>, bool, bool)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT id, remote_id, fields, remote_data, remote_was_deleted, is_shell FROM {table} WHERE linked_account_id = $1"
            )))
            .bind(linked_account)
            .fetch_all(&self.db.pool)
            .await
            .expect("dump");
            for (id, rid, fields, rd, deleted, shell) in got {
                names.insert(id.to_string(), format!("{kind}/{rid}"));
                rows.push((table, rid, fields, rd, deleted, shell));
            }
        }
        fn clean(v: &Value, names: &std::collections::HashMap<String, String>) -> Value {
            match v {
                Value::String(s) => names
                    .get(s)
                    .map(|n| Value::String(n.clone()))
                    .unwrap_or_else(|| v.clone()),
                Value::Array(a) => Value::Array(a.iter().map(|x| clean(x, names)).collect()),
                Value::Object(m) => Value::Object(
                    m.iter()
                        .filter(|(k, _)| {
                            !matches!(k.as_str(), "file_url" | "attachment_url" | "thumb_url")
                        })
                        .map(|(k, x)| (k.clone(), clean(x, names)))
                        .collect(),
                ),
                other => other.clone(),
            }
        }
        rows.into_iter()
            .map(|(table, rid, fields, rd, deleted, shell)| {
                let v = json!({
                    "fields": clean(&fields, &names),
                    "remote_data": clean(&rd.unwrap_or(Value::Null), &names),
                    "remote_was_deleted": deleted,
                    "is_shell": shell,
                });
                ((table.to_string(), rid), v)
            })
            .collect()
    }

    /// Stops the server and its workers.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        let _ = self.server.await;
    }
}
