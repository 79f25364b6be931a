//! [`ZendeskProvider`]: the `TicketingProvider` of one linked Zendesk account, and its
//! configuration.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use deskbridge_provider::ProviderError;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use url::Url;
use uuid::Uuid;

use crate::budget::{DEFAULT_INCREMENTAL_LIMIT, DEFAULT_RESERVE_SHARE, Lane, RateBudget};
use crate::domain::{ZendeskCredentials, resolve_base_url};
use crate::errors::{classify_status, confine_path};
use crate::http::{Http, Mode, RawResponse, http_client, lane_of};

/// Stream names, as stored with checkpoints (in the order a sync walks them).
pub mod stream {
    /// `GET /ticket_fields` (metadata only: custom fields and write schemas).
    pub const TICKET_FIELDS: &str = "ticket_fields";
    /// `GET /custom_statuses` (metadata only: status categories and labels).
    pub const CUSTOM_STATUSES: &str = "custom_statuses";
    /// `GET /custom_roles` (Enterprise) plus the built-in roles → Role.
    pub const ROLES: &str = "roles";
    /// `GET /groups` (deleted ones flagged) → Team.
    pub const GROUPS: &str = "groups";
    /// `GET /group_memberships` (no records: fills `User.teams`).
    pub const GROUP_MEMBERSHIPS: &str = "group_memberships";
    /// `GET /incremental/organizations` (time-based, loop-guarded) → Account.
    pub const ORGANIZATIONS: &str = "organizations";
    /// `GET /incremental/users/cursor` → User (agents, admins) and Contact (end-users).
    pub const USERS: &str = "users";
    /// `GET /incremental/tickets/cursor` → Ticket (deleted ones flagged), Tag.
    pub const TICKETS: &str = "tickets";
    /// `GET /tags` → Tag (never marks tags missing from it deleted).
    pub const TAGS: &str = "tags";
    /// `GET /deleted_tickets` → deletions (a periodic backstop of the export's).
    pub const TICKETS_DELETED: &str = "tickets_deleted";
}

/// How to build a [`ZendeskProvider`]. Wiring: `ZendeskConfig::from_credentials_json(la,
/// json)?`, then set `allowed_hosts`, `budget` (one per linked account per process),
/// `rate_window`, `reserve_share`, and [`ZendeskProvider::new`].
#[derive(Debug, Clone)]
pub struct ZendeskConfig {
    /// The linked account the records belong to (seeds every record id).
    pub linked_account_id: Uuid,
    /// Subdomain and authentication.
    pub credentials: ZendeskCredentials,
    /// Origins (`scheme://host:port`) or hosts (`host`, `host:port`) allowed besides
    /// `*.zendesk.com` (simulators, tests).
    pub allowed_hosts: Vec<String>,
    /// The account's rate budget, shared by everything calling this account; `None`: a new
    /// one with `rate_window`.
    pub budget: Option<Arc<RateBudget>>,
    /// The shared HTTP client ([`http_client`]: no redirects; it must not follow redirects,
    /// as it also makes the credential-less attachment hops).
    pub http: reqwest::Client,
    /// The length of a rate window (one minute; shorter for a time-scaled simulator).
    pub rate_window: Duration,
    /// The share of every limit left to the customer's other apps (default 0.2).
    pub reserve_share: f64,
    /// Incremental export calls per window (10; 30 with the High Volume add-on).
    pub incremental_limit: u64,
    /// Timeout of one request (default 30 s).
    pub request_timeout: Duration,
    /// Retries of transient failures, and of 429s, per call (default 6).
    pub max_retries: u32,
    /// First backoff delay; doubles per retry, jittered, capped at 30 s (default 500 ms).
    pub retry_base_delay: Duration,
    /// Items per incremental export page (1..=1000, default 1000).
    pub export_page_size: u32,
    /// Items per cursor list page (1..=100, default 100).
    pub list_page_size: u32,
    /// How often the `/deleted_tickets` backstop sweep runs (default 24 h; zero: every run).
    pub deleted_sweep_interval: Duration,
}

impl ZendeskConfig {
    /// A configuration with the defaults and a new shared client.
    pub fn new(linked_account_id: Uuid, credentials: ZendeskCredentials) -> Self {
        ZendeskConfig {
            linked_account_id,
            credentials,
            allowed_hosts: Vec::new(),
            budget: None,
            http: http_client(),
            rate_window: crate::budget::DEFAULT_WINDOW,
            reserve_share: DEFAULT_RESERVE_SHARE,
            incremental_limit: DEFAULT_INCREMENTAL_LIMIT,
            request_timeout: Duration::from_secs(30),
            max_retries: 6,
            retry_base_delay: Duration::from_millis(500),
            export_page_size: 1000,
            list_page_size: 100,
            deleted_sweep_interval: Duration::from_secs(24 * 3600),
        }
    }

    /// [`ZendeskConfig::new`] from the stored credentials JSON (see
    /// [`ZendeskCredentials::from_json`]).
    pub fn from_credentials_json(
        linked_account_id: Uuid,
        json: &str,
    ) -> Result<Self, ProviderError> {
        Ok(Self::new(
            linked_account_id,
            ZendeskCredentials::from_json(json)?,
        ))
    }
}

/// What the metadata streams of this run learnt (also handed to the engine as metadata).
#[derive(Debug, Default)]
pub(crate) struct Learnt {
    pub(crate) ticket_fields: Option<Vec<Value>>,
    pub(crate) custom_statuses: Option<Vec<Value>>,
    /// Whether `/custom_roles` answered (Enterprise); `None` until asked.
    pub(crate) custom_roles: Option<bool>,
    /// User id → group ids, from `/group_memberships`.
    pub(crate) memberships: Option<HashMap<String, Vec<String>>>,
}

/// The Zendesk adapter of one linked account.
pub struct ZendeskProvider {
    pub(crate) la: Uuid,
    pub(crate) http: Http,
    pub(crate) learnt: RwLock<Learnt>,
    pub(crate) export_page_size: u32,
    pub(crate) list_page_size: u32,
    pub(crate) deleted_sweep_interval: Duration,
    /// A client that never sends credentials and follows no redirect (attachment hops).
    pub(crate) plain: reqwest::Client,
}

impl std::fmt::Debug for ZendeskProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZendeskProvider")
            .field("linked_account_id", &self.la)
            .field("base_url", &self.http.base.as_str())
            .finish_non_exhaustive()
    }
}

impl ZendeskProvider {
    /// Builds the adapter; refuses a subdomain or site that is not allowed.
    pub fn new(config: ZendeskConfig) -> Result<Self, ProviderError> {
        let base = resolve_base_url(&config.credentials.subdomain, &config.allowed_hosts)?;
        let budget = config
            .budget
            .unwrap_or_else(|| Arc::new(RateBudget::with_window(config.rate_window)));
        budget.set_reserve_share(config.reserve_share);
        budget.set_incremental_limit(config.incremental_limit);
        // Requests carry credentials only when `Http` adds them, so the shared client also
        // serves the credential-less attachment hops (it follows no redirects).
        let plain = config.http.clone();
        Ok(ZendeskProvider {
            la: config.linked_account_id,
            http: Http {
                client: config.http,
                base,
                auth: config.credentials.auth,
                budget,
                timeout: config.request_timeout,
                max_retries: config.max_retries,
                retry_base: config.retry_base_delay,
            },
            learnt: RwLock::new(Learnt::default()),
            export_page_size: config.export_page_size.clamp(1, 1000),
            list_page_size: config.list_page_size.clamp(1, 100),
            deleted_sweep_interval: config.deleted_sweep_interval,
            plain,
        })
    }

    /// The linked account.
    pub fn linked_account_id(&self) -> Uuid {
        self.la
    }

    /// The site URL calls go to (ends with `/`).
    pub fn base_url(&self) -> &Url {
        &self.http.base
    }

    /// The account's rate budget.
    pub fn budget(&self) -> &Arc<RateBudget> {
        &self.http.budget
    }

    pub(crate) fn learnt(&self) -> std::sync::RwLockReadGuard<'_, Learnt> {
        self.learnt.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn learn(&self) -> std::sync::RwLockWriteGuard<'_, Learnt> {
        self.learnt.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The agent labels of the account's custom statuses by id (for `show_enum_origins`),
    /// as `(status_category, agent_label)`. Empty before the `custom_statuses` stream ran.
    pub fn status_labels(&self) -> HashMap<String, (String, String)> {
        let learnt = self.learnt();
        learnt
            .custom_statuses
            .iter()
            .flatten()
            .filter_map(|s| {
                Some((
                    crate::fields::remote_id_of(s)?,
                    (
                        s.get("status_category")?.as_str()?.to_string(),
                        s.get("agent_label")?.as_str()?.to_string(),
                    ),
                ))
            })
            .collect()
    }

    /// Sends a request under `/api/v2/` for the passthrough endpoint and for writes.
    ///
    /// The path is confined ([`confine_path`]); the budget is asked without waiting (a spent
    /// budget or a 429 → [`ProviderError::RateLimited`]); nothing is retried; any other HTTP
    /// status is returned as it came.
    pub async fn send(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<&Value>,
    ) -> Result<RawResponse, ProviderError> {
        let url = confine_path(&self.http.base, path_and_query)?;
        let lane = lane_of(&method, path_and_query);
        self.http
            .execute(method, url, body, &lane, Mode::Once)
            .await
    }

    /// The credential check: `GET /api/v2/users/me` (1 call), classified for a person.
    pub(crate) async fn check(&self) -> Result<(), ProviderError> {
        let url = self.http.api_url("users/me.json")?;
        let raw = self
            .http
            .execute(Method::GET, url, None, &Lane::Account, Mode::Check)
            .await?;
        if !raw.status.is_success() {
            return Err(match raw.status {
                StatusCode::UNAUTHORIZED => ProviderError::Unauthorized,
                s => classify_status(s, &raw.body),
            });
        }
        let body: Value = serde_json::from_slice(&raw.body)
            .map_err(|_| ProviderError::Protocol("the answer to /users/me is not JSON".into()))?;
        let user = body.get("user").cloned().unwrap_or(Value::Null);
        if user.get("id").is_none_or(Value::is_null) {
            // Zendesk answers an anonymous user rather than 401 in some setups.
            return Err(ProviderError::Unauthorized);
        }
        match user.get("role").and_then(Value::as_str) {
            Some("admin") => Ok(()),
            Some("agent") => Err(ProviderError::Forbidden(
                "these credentials belong to an agent who is not an admin; Zendesk's \
                 incremental exports, which Deskbridge syncs from, are for admins only. Use an \
                 admin's email and API token (or an admin's OAuth token)"
                    .into(),
            )),
            _ => Err(ProviderError::Forbidden(
                "these credentials belong to an end-user (a customer), not to an agent; use an \
                 admin's email and API token (or an admin's OAuth token)"
                    .into(),
            )),
        }
    }
}
