//! The Zendesk simulator beside a [`TestApp`]: started in-process, offered through the same
//! plug-in seam as `deskbridge serve` (the [`ZendeskIntegration`]), linked through
//! `POST /linked-accounts`, and read back through its own `/_sim` data.

use std::sync::Arc;
use std::time::Duration;

use deskbridge_zendesk::ZendeskIntegration;
use deskbridge_zendesk_sim::{SimConfig, SimHandle, Simulator};
use serde_json::{Value, json};

use super::{Integrations, Options, TestApp};

/// A running Zendesk simulator.
pub struct Zd {
    pub sim: Simulator,
    pub handle: SimHandle,
}

impl Zd {
    /// Starts a simulator with `cfg`.
    pub async fn start(cfg: SimConfig) -> Zd {
        let sim = Simulator::new(cfg);
        let handle = sim
            .spawn("127.0.0.1:0".parse().expect("addr"))
            .await
            .expect("zendesk simulator");
        Zd { sim, handle }
    }

    /// The origins to allow: the API host and the attachment content host.
    pub fn hosts(&self) -> Vec<String> {
        vec![
            self.handle.base_url.clone(),
            self.handle.content_url.clone(),
        ]
    }

    /// Options of a test app offering Zendesk (allowing this simulator) besides Freshdesk.
    pub fn options(&self, rate_window: Duration) -> Options {
        let integration = ZendeskIntegration::new(self.hosts(), 0.2).with_rate_window(rate_window);
        Options {
            integrations: Integrations(vec![Arc::new(integration)]),
            extra_hosts: self.hosts(),
            rate_window,
            ..Options::default()
        }
    }

    /// Subdomain, site, admin email and API token of account `i`.
    pub fn account(&self, i: usize) -> deskbridge_zendesk_sim::SimAccount {
        self.sim.accounts()[i].clone()
    }

    /// The site URL of account `i` (what goes in `credentials.subdomain`).
    pub fn site(&self, i: usize) -> String {
        self.handle.site(&self.account(i).subdomain)
    }

    /// The body linking account `i` with the given email and token.
    pub fn link_body_as(&self, i: usize, email: &str, token: &str) -> Value {
        let sub = self.account(i).subdomain;
        json!({
            "integration": "zendesk",
            "end_user_origin_id": format!("zd-customer-{sub}"),
            "end_user_organization_name": format!("Zendesk customer {sub}"),
            "end_user_email_address": format!("admin@{sub}.example"),
            "credentials": {"subdomain": self.site(i), "email": email, "api_token": token},
        })
    }

    /// The body linking account `i` as its admin.
    pub fn link_body(&self, i: usize) -> Value {
        let a = self.account(i);
        self.link_body_as(i, &a.admin_email, &a.api_token)
    }

    /// The simulator's own data of account `i` (`GET /_sim/accounts/{sub}/data`).
    pub async fn data(&self, i: usize) -> Value {
        let sub = self.account(i).subdomain;
        let url = format!("{}/_sim/accounts/{sub}/data", self.handle.base_url);
        reqwest::get(url)
            .await
            .expect("sim data")
            .json()
            .await
            .expect("sim data json")
    }

    /// A `/_sim` control call on account `i` (path after `/_sim/accounts/{sub}`).
    pub async fn control(
        &self,
        i: usize,
        method: reqwest::Method,
        path: &str,
        body: &Value,
    ) -> Value {
        let sub = self.account(i).subdomain;
        let url = format!("{}/_sim/accounts/{sub}{path}", self.handle.base_url);
        let res = reqwest::Client::new()
            .request(method, url)
            .json(body)
            .send()
            .await
            .expect("sim control");
        assert!(
            res.status().is_success(),
            "sim control {path}: {}",
            res.status()
        );
        res.json().await.unwrap_or(Value::Null)
    }
}

impl TestApp {
    /// Links Zendesk account `i` through `POST /linked-accounts`; returns the account token
    /// and the linked account id.
    pub async fn link_zendesk(
        &self,
        zd: &Zd,
        i: usize,
    ) -> (String, deskbridge_store::LinkedAccountId) {
        self.link_with(&zd.link_body(i)).await
    }
}

/// The app beside a Zendesk simulator of `cfg` (and a small Freshdesk one it does not use):
/// how every Zendesk-only test starts.
pub async fn start_zendesk(cfg: SimConfig) -> (TestApp, Zd) {
    let zd = Zd::start(cfg).await;
    let fd = deskbridge_freshdesk_sim::SimConfig {
        tickets: 5,
        ..Default::default()
    };
    let app = TestApp::start_with(fd, zd.options(Duration::from_secs(60))).await;
    (app, zd)
}
