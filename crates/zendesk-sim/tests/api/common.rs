//! Test helpers: a spawned simulator and a small HTTP client with Zendesk credentials.

use std::sync::Once;

use base64::Engine;
use deskbridge_zendesk_sim::{SimAccount, SimConfig, SimHandle, Simulator};
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::Value;

static PROVIDER: Once = Once::new();

/// How a request authenticates.
#[derive(Debug, Clone)]
pub enum Auth {
    /// `{email}/token:{token}`.
    Token(String, String),
    /// `Bearer {token}`.
    Bearer(String),
    /// A raw `Authorization` value.
    Raw(String),
    /// Nothing.
    None,
}

pub struct Env {
    pub sim: Simulator,
    pub handle: SimHandle,
    pub http: reqwest::Client,
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("invalid JSON ({e}) [{}]: {}", self.status, self.text))
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    }
}

pub fn small(accounts: usize, tickets: usize) -> SimConfig {
    SimConfig {
        seed: 7,
        accounts,
        tickets,
        ..SimConfig::default()
    }
}

pub async fn start(cfg: SimConfig) -> Env {
    PROVIDER.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    let sim = Simulator::new(cfg);
    let handle = sim.spawn("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    Env { sim, handle, http }
}

impl Env {
    pub fn account(&self, i: usize) -> SimAccount {
        self.sim.accounts()[i].clone()
    }

    /// The account's admin credentials.
    pub fn admin(&self, i: usize) -> Auth {
        let a = self.account(i);
        Auth::Token(a.admin_email, a.api_token)
    }

    /// `{base}/d/{sub}{path}`.
    pub fn site(&self, i: usize, path: &str) -> String {
        format!("{}{}", self.handle.site(&self.account(i).subdomain), path)
    }

    pub async fn send(&self, method: Method, url: &str, auth: &Auth, body: Option<&Value>) -> Resp {
        let url = if url.starts_with("http") {
            url.to_owned()
        } else {
            format!("{}{}", self.handle.base_url, url)
        };
        let mut rb = self.http.request(method, url);
        match auth {
            Auth::Token(email, token) => {
                let v = base64::engine::general_purpose::STANDARD
                    .encode(format!("{email}/token:{token}"));
                rb = rb.header("authorization", format!("Basic {v}"));
            }
            Auth::Bearer(t) => rb = rb.header("authorization", format!("Bearer {t}")),
            Auth::Raw(v) => rb = rb.header("authorization", v.clone()),
            Auth::None => {}
        }
        if let Some(b) = body {
            rb = rb
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        let r = rb.send().await.unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap();
        Resp {
            status,
            headers,
            text,
        }
    }

    pub async fn get(&self, url: &str, auth: &Auth) -> Resp {
        self.send(Method::GET, url, auth, None).await
    }

    /// Admin GET on account `i` at `{site}/api/v2{path}`; asserts 200.
    pub async fn get_ok(&self, i: usize, path: &str) -> Value {
        let r = self
            .get(&self.site(i, &format!("/api/v2{path}")), &self.admin(i))
            .await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        r.json()
    }

    /// Walks a cursor list from `path` (which must carry `page[size]`); returns every item.
    pub async fn walk(&self, i: usize, path: &str, root: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut url = self.site(i, &format!("/api/v2{path}"));
        loop {
            let r = self.get(&url, &self.admin(i)).await;
            assert_eq!(r.status, 200, "{url}: {}", r.text);
            let v = r.json();
            out.extend(v[root].as_array().unwrap().iter().cloned());
            if !v["meta"]["has_more"].as_bool().unwrap() {
                return out;
            }
            url = v["links"]["next"].as_str().unwrap().to_owned();
        }
    }

    pub async fn control(&self, method: Method, path: &str, body: Option<&Value>) -> Resp {
        self.send(method, &format!("/_sim{path}"), &Auth::None, body)
            .await
    }
}
