//! The simulator: accounts, credentials, shared state.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::config::{Plan, SimConfig};
use crate::datagen::{self, generate_account};
use crate::faults::FaultState;
use crate::push::PushHub;
use crate::ratelimit::Limiter;
use crate::render::Ctx;
use crate::store::AccountData;
use crate::time::now_secs;

/// Locks a mutex, ignoring poisoning (the data stays usable for a simulator).
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Read-locks, ignoring poisoning.
pub fn read<T>(m: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(PoisonError::into_inner)
}

/// Write-locks, ignoring poisoning.
pub fn write<T>(m: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    m.write().unwrap_or_else(PoisonError::into_inner)
}

/// An account's subdomain and credentials, as printed by the binary.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SimAccount {
    /// Subdomain (`zsim1`, …).
    pub subdomain: String,
    /// API token (empty when token access is disabled).
    pub api_token: String,
    /// Email of the owner (an admin): `{admin_email}/token:{api_token}`.
    pub admin_email: String,
    /// Email of a plain agent (not admin: incremental exports answer 403).
    pub agent_email: String,
    /// Email of an end-user (`/users/me` works, agent endpoints answer 403).
    pub end_user_email: String,
    /// An OAuth access token of the owner with scopes `read write`.
    pub oauth_token: String,
}

/// Per-account counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counters {
    /// API requests that reached the account (all statuses, faults included).
    pub requests: u64,
    /// 429 answers.
    pub rate_limited: u64,
    /// Faults injected.
    pub faults: u64,
    /// Attachment downloads on the content host.
    pub downloads: u64,
    /// Content-host requests that carried an `Authorization` header (credentials sent off-host).
    pub credentials_off_host: u64,
}

/// An OAuth access token.
#[derive(Debug, Clone)]
pub struct OAuthToken {
    /// The bearer value.
    pub token: String,
    /// The user it acts as.
    pub user_id: i64,
    /// Scopes (`read`, `write`, or `{resource}:read|write`).
    pub scopes: Vec<String>,
}

/// Mutable settings of an account.
#[derive(Debug, Clone)]
pub struct Meta {
    /// Account API token; `None` when token access is disabled.
    pub api_token: Option<String>,
    /// Plan (`None`: unthrottled).
    pub plan: Option<Plan>,
    /// OAuth tokens.
    pub oauth: Vec<OAuthToken>,
}

/// One account and everything attached to it.
#[derive(Debug)]
pub struct AccountCell {
    /// Subdomain.
    pub subdomain: String,
    /// 0-based position.
    pub index: usize,
    /// The owner (admin).
    pub owner_id: i64,
    /// Token, plan, OAuth tokens.
    pub meta: RwLock<Meta>,
    /// Data.
    pub data: RwLock<AccountData>,
    /// Rate limiter.
    pub limiter: Mutex<Limiter>,
    /// Counters.
    pub counters: Mutex<Counters>,
}

impl AccountCell {
    /// 2023 header names (`rate-limit-*`, `zendesk-rate-limit-*`) on odd accounts (zsim2, …),
    /// 2024 names (`ratelimit-*`, `zendesk-ratelimit-*`) elsewhere: both were recorded.
    pub fn legacy_headers(&self) -> bool {
        self.index % 2 == 1
    }
}

/// Settings that can change at run time.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Settings {
    /// Rate-limit clock speed.
    pub time_scale: f64,
    /// Edge protection: requests per scaled second (`None`: off).
    pub edge_per_second: Option<u64>,
}

/// Shared state behind [`Simulator`].
#[derive(Debug)]
pub struct Inner {
    /// Configuration at creation.
    pub cfg: SimConfig,
    /// Accounts.
    pub accounts: Vec<Arc<AccountCell>>,
    /// Fault settings and RNG.
    pub faults: Mutex<FaultState>,
    /// Time scale and edge protection.
    pub settings: RwLock<Settings>,
    /// Base URL of the API server (`http://127.0.0.1:PORT`) once spawned.
    pub base_url: RwLock<Option<String>>,
    /// Base URL of the attachment content host once spawned.
    pub content_url: RwLock<Option<String>>,
    /// Webhook delivery (settings, loss draws, counters).
    pub push: Arc<PushHub>,
}

/// An in-memory Zendesk; cheap to clone.
#[derive(Debug, Clone)]
pub struct Simulator {
    pub(crate) inner: Arc<Inner>,
}

impl Simulator {
    /// Generates all accounts (deterministic for the same seed and counts).
    pub fn new(cfg: SimConfig) -> Self {
        let now = now_secs();
        let push = Arc::new(PushHub::default());
        let accounts = (0..cfg.accounts.max(1))
            .map(|i| {
                let mut g = generate_account(&cfg, i, now);
                g.data.push = push.clone();
                g.data.account_id = 10_318_000 + i as i64;
                let oauth = OAuthToken {
                    token: datagen::api_token(&mut datagen::rng_for(cfg.seed, i, 3)),
                    user_id: g.owner_id,
                    scopes: vec!["read".into(), "write".into()],
                };
                Arc::new(AccountCell {
                    subdomain: g.subdomain,
                    index: i,
                    owner_id: g.owner_id,
                    meta: RwLock::new(Meta {
                        api_token: Some(g.api_token),
                        plan: cfg.plan,
                        oauth: vec![oauth],
                    }),
                    data: RwLock::new(g.data),
                    limiter: Mutex::new(Limiter::default()),
                    counters: Mutex::new(Counters::default()),
                })
            })
            .collect();
        let inner = Inner {
            faults: Mutex::new(FaultState::new(cfg.faults.clone(), cfg.seed)),
            settings: RwLock::new(Settings {
                time_scale: cfg.time_scale,
                edge_per_second: cfg.edge_per_second,
            }),
            base_url: RwLock::new(None),
            content_url: RwLock::new(None),
            push,
            accounts,
            cfg,
        };
        Simulator {
            inner: Arc::new(inner),
        }
    }

    /// Subdomains and credentials of all accounts.
    pub fn accounts(&self) -> Vec<SimAccount> {
        self.inner
            .accounts
            .iter()
            .map(|a| self.account_info(a))
            .collect()
    }

    pub(crate) fn account_info(&self, a: &AccountCell) -> SimAccount {
        let m = read(&a.meta);
        let d = read(&a.data);
        let email = |role: &str| {
            d.users
                .values()
                .find(|u| u.role == role && u.email.is_some() && u.active && !u.suspended)
                .and_then(|u| u.email.clone())
                .unwrap_or_default()
        };
        SimAccount {
            subdomain: a.subdomain.clone(),
            api_token: m.api_token.clone().unwrap_or_default(),
            admin_email: d
                .users
                .get(&a.owner_id)
                .and_then(|u| u.email.clone())
                .unwrap_or_default(),
            agent_email: email("agent"),
            end_user_email: email("end-user"),
            oauth_token: m
                .oauth
                .iter()
                .find(|t| t.user_id == a.owner_id)
                .map(|t| t.token.clone())
                .unwrap_or_default(),
        }
    }

    /// The account with this subdomain.
    pub(crate) fn by_subdomain(&self, sub: &str) -> Option<Arc<AccountCell>> {
        self.inner
            .accounts
            .iter()
            .find(|a| a.subdomain.eq_ignore_ascii_case(sub))
            .cloned()
    }

    /// The account whose API token or OAuth token this is.
    pub(crate) fn by_credential(&self, token: &str, bearer: bool) -> Option<Arc<AccountCell>> {
        self.inner
            .accounts
            .iter()
            .find(|a| {
                let m = read(&a.meta);
                if bearer {
                    m.oauth.iter().any(|t| t.token == token)
                } else {
                    m.api_token.as_deref() == Some(token)
                }
            })
            .cloned()
    }

    /// Base URL of the API server.
    pub(crate) fn base(&self) -> String {
        read(&self.inner.base_url)
            .clone()
            .unwrap_or_else(|| "http://127.0.0.1".to_owned())
    }

    /// Render context of an account.
    pub(crate) fn ctx(&self, a: &AccountCell) -> Ctx {
        Ctx {
            site: format!("{}/d/{}", self.base(), a.subdomain),
            legacy_fields: a.index % 3 == 2,
        }
    }

    /// The current settings.
    pub(crate) fn settings(&self) -> Settings {
        *read(&self.inner.settings)
    }
}
