//! The simulator: accounts, keys, shared state.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::config::{Plan, SimConfig};
use crate::datagen::{self, generate_account};
use crate::faults::FaultState;
use crate::push::PushHub;
use crate::ratelimit::Limiter;
use crate::sign::Signer;
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

/// An account's subdomain and API key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimAccount {
    /// Subdomain (`sim1`, …).
    pub subdomain: String,
    /// Current API key (empty when revoked).
    pub api_key: String,
}

/// Per-account counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counters {
    /// Requests that reached the account (all statuses, faults included).
    pub requests: u64,
    /// Credits charged (1 + include surcharges per served call).
    pub credits: u64,
    /// 429 answers.
    pub rate_limited: u64,
    /// Faults injected.
    pub faults: u64,
}

/// Mutable settings of an account.
#[derive(Debug, Clone)]
pub struct Meta {
    /// API key; `None` once revoked.
    pub api_key: Option<String>,
    /// Suspended accounts answer 403 before authentication.
    pub suspended: bool,
    /// Rate-limit plan.
    pub plan: Option<Plan>,
    /// Keys of customers (contacts): valid credentials without agent privileges (403).
    pub customer_keys: Vec<(String, i64)>,
    /// Keys of agents without admin rights (by agent id): admin endpoints answer 403.
    pub agent_keys: Vec<(String, i64)>,
}

/// Who an API key belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRole {
    /// The account's admin key.
    Admin,
    /// A non-admin agent (its id).
    Agent(i64),
    /// A customer (contact): every agent API call answers 403.
    Customer,
}

/// One account and everything attached to it.
#[derive(Debug)]
pub struct AccountCell {
    /// Subdomain.
    pub subdomain: String,
    /// Key, suspension, plan.
    pub meta: RwLock<Meta>,
    /// Data.
    pub data: RwLock<AccountData>,
    /// Rate limiter.
    pub limiter: Mutex<Limiter>,
    /// Counters.
    pub counters: Mutex<Counters>,
    /// Requests by `METHOD path` (plus its `filter`/`state` parameter), so that tests can
    /// count the calls of each model; reset with the counters.
    pub calls: Mutex<std::collections::BTreeMap<String, u64>>,
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
    /// Attachment URL signer.
    pub signer: Signer,
    /// Base URL of the last spawned server (for renders outside a request).
    pub base_url: RwLock<Option<String>>,
    /// Webhook delivery of automation rules (settings, loss draws, counters).
    pub push: Arc<PushHub>,
    key_rng: Mutex<rand::rngs::StdRng>,
}

/// An in-memory Freshdesk; cheap to clone.
#[derive(Debug, Clone)]
pub struct Simulator {
    pub(crate) inner: Arc<Inner>,
}

impl Simulator {
    /// Generates all accounts (deterministic for the same seed and counts).
    pub fn new(cfg: SimConfig) -> Self {
        let now = now_secs();
        let n = cfg.accounts.max(1);
        let mut generated: Vec<Option<datagen::Generated>> = (0..n).map(|_| None).collect();
        let threads = std::thread::available_parallelism()
            .map(|p| p.get())
            .unwrap_or(1)
            .clamp(1, 4);
        std::thread::scope(|s| {
            for (t, chunk) in generated.chunks_mut(n.div_ceil(threads)).enumerate() {
                let cfg = &cfg;
                s.spawn(move || {
                    let first = t * n.div_ceil(threads);
                    for (k, slot) in chunk.iter_mut().enumerate() {
                        *slot = Some(generate_account(cfg, first + k, now));
                    }
                });
            }
        });
        let push = Arc::new(PushHub::default());
        let accounts = generated
            .into_iter()
            .flatten()
            .map(|mut g| {
                g.data.push = push.clone();
                Arc::new(AccountCell {
                    subdomain: g.subdomain,
                    meta: RwLock::new(Meta {
                        api_key: Some(g.api_key),
                        suspended: false,
                        plan: cfg.plan,
                        customer_keys: Vec::new(),
                        agent_keys: Vec::new(),
                    }),
                    data: RwLock::new(g.data),
                    limiter: Mutex::new(Limiter::default()),
                    counters: Mutex::new(Counters::default()),
                    calls: Mutex::new(std::collections::BTreeMap::new()),
                })
            })
            .collect();
        let inner = Inner {
            faults: Mutex::new(FaultState::new(cfg.faults.clone(), cfg.seed)),
            signer: Signer::new(cfg.seed, cfg.time_scale),
            base_url: RwLock::new(None),
            push,
            key_rng: Mutex::new(datagen::rng_for(cfg.seed, usize::MAX, 9)),
            accounts,
            cfg,
        };
        Simulator {
            inner: Arc::new(inner),
        }
    }

    /// Subdomains and current keys of all accounts.
    pub fn accounts(&self) -> Vec<SimAccount> {
        self.inner
            .accounts
            .iter()
            .map(|a| SimAccount {
                subdomain: a.subdomain.clone(),
                api_key: read(&a.meta).api_key.clone().unwrap_or_default(),
            })
            .collect()
    }

    /// The account with this subdomain.
    pub(crate) fn by_subdomain(&self, sub: &str) -> Option<Arc<AccountCell>> {
        self.inner
            .accounts
            .iter()
            .find(|a| a.subdomain.eq_ignore_ascii_case(sub))
            .cloned()
    }

    /// The account owning this API key, and whose key it is.
    pub(crate) fn by_key(&self, key: &str) -> Option<(Arc<AccountCell>, KeyRole)> {
        if key.is_empty() {
            return None;
        }
        self.inner.accounts.iter().find_map(|a| {
            let m = read(&a.meta);
            if m.api_key.as_deref() == Some(key) {
                Some((a.clone(), KeyRole::Admin))
            } else if m.customer_keys.iter().any(|(k, _)| k == key) {
                Some((a.clone(), KeyRole::Customer))
            } else if let Some((_, id)) = m.agent_keys.iter().find(|(k, _)| k == key) {
                Some((a.clone(), KeyRole::Agent(*id)))
            } else {
                None
            }
        })
    }

    /// A fresh random key.
    pub(crate) fn new_key(&self) -> String {
        datagen::api_key(&mut lock(&self.inner.key_rng))
    }

    /// Base URL for renders outside a request.
    pub(crate) fn default_base(&self) -> String {
        read(&self.inner.base_url)
            .clone()
            .unwrap_or_else(|| "http://127.0.0.1".to_owned())
    }
}
