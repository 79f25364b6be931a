//! Test helpers: a spawned simulator and a small HTTP client.

use std::sync::Once;

use deskbridge_freshdesk_sim::{SimConfig, SimHandle, Simulator};
use reqwest::header::HeaderMap;
use serde_json::Value;

static PROVIDER: Once = Once::new();

/// A running simulator with a client.
pub struct Env {
    pub sim: Simulator,
    pub handle: SimHandle,
    pub http: reqwest::Client,
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("invalid JSON ({e}): {}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    }
}

pub async fn start(cfg: SimConfig) -> Env {
    PROVIDER.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    let sim = Simulator::new(cfg);
    let handle = sim.spawn("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    Env { sim, handle, http }
}

pub fn small(accounts: usize, tickets: usize) -> SimConfig {
    SimConfig {
        seed: 7,
        accounts,
        tickets,
        ..SimConfig::default()
    }
}

impl Env {
    pub fn key(&self, i: usize) -> String {
        self.sim.accounts()[i].api_key.clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.handle.base_url, path)
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            self.url(path)
        };
        let mut rb = self.http.request(method, url);
        if let Some(k) = key {
            rb = rb.basic_auth(k, Some("X"));
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

    pub async fn get(&self, path: &str, key: &str) -> Resp {
        self.send(reqwest::Method::GET, path, Some(key), None).await
    }

    /// Follows `Link` headers from `path`; returns all items.
    pub async fn get_all(&self, path: &str, key: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut next = Some(path.to_owned());
        while let Some(p) = next {
            let r = self.get(&p, key).await;
            assert_eq!(r.status, 200, "{p}: {}", r.text);
            out.extend(r.json().as_array().unwrap().iter().cloned());
            next = r.header("link").map(|l| {
                l.trim_start_matches('<')
                    .split('>')
                    .next()
                    .unwrap()
                    .to_owned()
            });
        }
        out
    }
}
