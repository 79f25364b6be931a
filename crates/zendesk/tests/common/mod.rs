//! Test helpers: the Zendesk simulator in-process, an adapter pointed at one of its
//! accounts, the simulator's control API, and a sync loop that stores checkpoints like the
//! engine does.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::time::Duration;

use deskbridge_model::ModelKind;
use deskbridge_provider::{FetchBatch, NormalizedRecord, StreamMode, TicketingProvider};
use deskbridge_zendesk::{ZendeskConfig, ZendeskCredentials, ZendeskProvider};
use deskbridge_zendesk_sim::{SimAccount, SimConfig, SimHandle, Simulator};
use serde_json::{Value, json};
use uuid::Uuid;

pub const LA: Uuid = Uuid::from_u128(0xabcd);

pub struct Env {
    pub sim: Simulator,
    pub handle: SimHandle,
    pub http: reqwest::Client,
}

pub fn config(accounts: usize, tickets: usize) -> SimConfig {
    SimConfig {
        seed: 11,
        accounts,
        tickets,
        ..SimConfig::default()
    }
}

pub async fn start(cfg: SimConfig) -> Env {
    deskbridge_zendesk::install_crypto_provider();
    let sim = Simulator::new(cfg);
    let handle = sim
        .spawn("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("spawn");
    Env {
        sim,
        handle,
        http: reqwest::Client::new(),
    }
}

impl Env {
    pub fn account(&self, i: usize) -> SimAccount {
        self.sim.accounts()[i].clone()
    }

    /// The credentials JSON a linked account would store: the simulator site stands in the
    /// subdomain field.
    pub fn creds_json(&self, a: &SimAccount, email: &str) -> String {
        json!({"subdomain": self.handle.site(&a.subdomain), "email": email,
               "api_token": a.api_token})
        .to_string()
    }

    /// A config for account `i` as its admin, with fast retries.
    pub fn config(&self, i: usize) -> ZendeskConfig {
        let a = self.account(i);
        self.config_as(&a, &a.admin_email)
    }

    pub fn config_as(&self, a: &SimAccount, email: &str) -> ZendeskConfig {
        let mut c =
            ZendeskConfig::from_credentials_json(LA, &self.creds_json(a, email)).expect("creds");
        c.allowed_hosts = vec![self.handle.base_url.clone()];
        c.retry_base_delay = Duration::from_millis(5);
        c.max_retries = 10;
        c.request_timeout = Duration::from_secs(10);
        c
    }

    pub fn provider(&self, i: usize) -> ZendeskProvider {
        ZendeskProvider::new(self.config(i)).expect("provider")
    }

    pub fn with_credentials(&self, c: ZendeskCredentials) -> ZendeskProvider {
        let mut cfg = self.config(0);
        cfg.credentials = c;
        ZendeskProvider::new(cfg).expect("provider")
    }

    fn sim_url(&self, path: &str) -> String {
        format!(
            "{}/_sim/{}",
            self.handle.base_url,
            path.trim_start_matches('/')
        )
    }

    /// GET on the control API.
    pub async fn get(&self, path: &str) -> Value {
        self.http
            .get(self.sim_url(path))
            .send()
            .await
            .expect("control")
            .json()
            .await
            .expect("control json")
    }

    /// A control call with a JSON body; returns the status and the body (or null).
    pub async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .request(method, self.sim_url(path))
            .json(&body)
            .send()
            .await
            .expect("control");
        let status = r.status().as_u16();
        let v = r.json().await.unwrap_or(Value::Null);
        (status, v)
    }

    pub async fn data(&self, sub: &str) -> Value {
        self.get(&format!("accounts/{sub}/data")).await
    }

    pub async fn counters(&self, sub: &str) -> Value {
        self.get(&format!("accounts/{sub}/counters")).await
    }

    pub async fn reset_counters(&self, sub: &str) {
        self.call(
            reqwest::Method::POST,
            &format!("accounts/{sub}/counters/reset"),
            json!({}),
        )
        .await;
    }
}

/// What one sync returned, per stream.
#[derive(Debug, Default)]
pub struct Synced {
    pub batches: BTreeMap<&'static str, Vec<FetchBatch>>,
    /// API calls made per stream.
    pub calls: BTreeMap<&'static str, u64>,
}

impl Synced {
    pub fn records(&self, kind: ModelKind) -> Vec<&NormalizedRecord> {
        self.batches
            .values()
            .flatten()
            .flat_map(|b| b.records.iter())
            .filter(|r| r.kind == kind)
            .collect()
    }

    /// The last record of each remote id of a kind.
    pub fn latest(&self, kind: ModelKind) -> BTreeMap<String, &NormalizedRecord> {
        self.records(kind)
            .into_iter()
            .map(|r| (r.remote_id.clone(), r))
            .collect()
    }

    pub fn deleted(&self, stream: &str) -> Vec<String> {
        self.batches
            .get(stream)
            .into_iter()
            .flatten()
            .flat_map(|b| b.deleted.iter())
            .map(|r| r.remote_id.clone())
            .collect()
    }
}

/// One sync of every stream, as the engine runs it: incremental and deletion streams resume
/// from `stored` and store their final checkpoints back; full streams start over.
pub async fn sync(p: &ZendeskProvider, stored: &mut BTreeMap<&'static str, Value>) -> Synced {
    let mut out = Synced::default();
    for s in p.streams() {
        let keep = s.mode != StreamMode::Full;
        let mut cp: Option<Value> = if keep {
            stored.get(s.name).cloned()
        } else {
            None
        };
        let before = p.usage().calls;
        let mut batches = Vec::new();
        for _ in 0..100_000 {
            let b = p
                .fetch(s.name, cp.as_ref())
                .await
                .unwrap_or_else(|e| panic!("{}: {e:?}", s.name));
            cp = b.checkpoint.clone();
            let done = b.done;
            batches.push(b);
            if done {
                break;
            }
        }
        if keep {
            match &cp {
                Some(c) => {
                    stored.insert(s.name, c.clone());
                }
                None => {
                    stored.remove(s.name);
                }
            }
        }
        out.calls.insert(s.name, p.usage().calls - before);
        out.batches.insert(s.name, batches);
    }
    out
}

/// Id (as a string) of a JSON object.
pub fn sid(v: &Value) -> String {
    match &v["id"] {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => String::new(),
    }
}
