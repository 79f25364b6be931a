//! [`FreshdeskProvider`]: the `TicketingProvider` of one linked Freshdesk account.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deskbridge_model::ModelKind;
use deskbridge_provider::{
    CommentWrite, ContactWrite, Deletion, FetchBatch, IntegrationInfo, NormalizedRecord,
    PassthroughRequest, PassthroughResponse, ProviderError, ProviderUsage, StreamMode, SyncStream,
    TicketWrite, TicketingProvider, WriteContext, WriteOutcome,
};
use futures::{StreamExt, TryStreamExt};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use secrecy::SecretString;
use serde_json::{Value, json};
use url::Url;
use uuid::Uuid;

use crate::budget::RateBudget;
use crate::domain::resolve_base_url;
use crate::http::{
    Http, Mode, RawResponse, call_credits, classify_status, confine_path, has_next_link,
    http_client,
};
use crate::mapping::{
    default_status_label, format_ts, map_account, map_attachment, map_comment, map_contact,
    map_role, map_tag, map_team, map_ticket, map_user, parse_ts, raw, remote_id_of,
    status_labels_from_fields,
};
use crate::walk::{PER_PAGE, TicketCheckpoint};

mod agents;
mod checkpoints;
mod parents;
mod push_fetch;
mod reads;
mod ticketing;
mod view_cache;

use checkpoints::*;
use reads::*;

/// Stream names, as stored with checkpoints.
pub mod stream {
    /// `GET /ticket_fields` (no common-model records; refreshes the status labels).
    pub const TICKET_FIELDS: &str = "ticket_fields";
    /// `GET /groups` → Team.
    pub const GROUPS: &str = "groups";
    /// `GET /roles` → Role.
    pub const ROLES: &str = "roles";
    /// `GET /agents` + `GET /agents/{id}` of new and changed agents → User.
    pub const AGENTS: &str = "agents";
    /// `GET /companies` → Account.
    pub const COMPANIES: &str = "companies";
    /// `GET /contacts?_updated_since=` → Contact.
    pub const CONTACTS: &str = "contacts";
    /// `GET /tickets?updated_since=` bookmark walk → Ticket, Tag.
    pub const TICKETS: &str = "tickets";
    /// `GET /tickets?filter=deleted&updated_since=` → deletions.
    pub const TICKETS_DELETED: &str = "tickets_deleted";
    /// `GET /tickets?filter=spam&updated_since=` → deletions.
    pub const TICKETS_SPAM: &str = "tickets_spam";
}

/// How to build a [`FreshdeskProvider`].
#[derive(Debug, Clone)]
pub struct FreshdeskConfig {
    /// The linked account the records belong to (seeds every record id).
    pub linked_account_id: Uuid,
    /// What the customer typed: `acme`, `acme.freshdesk.com`, or an allowed full URL.
    pub domain: String,
    /// The agent's API key.
    pub api_key: SecretString,
    /// Hosts (`host` or `host:port`) allowed besides `*.freshdesk.com` (simulators, tests).
    pub allowed_hosts: Vec<String>,
    /// The account's rate budget, shared by everything calling this account.
    pub budget: Arc<RateBudget>,
    /// The shared HTTP client ([`http_client`]).
    pub http: reqwest::Client,
    /// The share of the rate limit left to the customer's other apps (default 0.2).
    pub reserve_share: f64,
    /// Timeout of one request (default 30 s).
    pub request_timeout: Duration,
    /// Retries of transient failures, and of 429s, per call (default 6).
    pub max_retries: u32,
    /// First backoff delay; doubles per retry, jittered, capped at 30 s (default 500 ms).
    pub retry_base_delay: Duration,
    /// How far a completed ticket walk rewinds its bookmark for the next run, and how far
    /// before a contacts walk's start the next walk begins (default 60 s).
    pub incremental_overlap: Duration,
    /// Ticket views (`GET /tickets/{id}`) run at once within one tickets batch (default 8).
    pub view_concurrency: usize,
    /// Ask the ticket list for `include=stats` (+2 credits per page) to fill `completed_at`
    /// (default true).
    pub include_stats: bool,
}

impl FreshdeskConfig {
    /// A configuration with the defaults, a fresh budget and a new shared client.
    pub fn new(linked_account_id: Uuid, domain: impl Into<String>, api_key: SecretString) -> Self {
        FreshdeskConfig {
            linked_account_id,
            domain: domain.into(),
            api_key,
            allowed_hosts: Vec::new(),
            budget: Arc::new(RateBudget::new()),
            http: http_client(),
            reserve_share: crate::budget::DEFAULT_RESERVE_SHARE,
            request_timeout: Duration::from_secs(30),
            max_retries: 6,
            retry_base_delay: Duration::from_millis(500),
            incremental_overlap: Duration::from_secs(60),
            view_concurrency: 8,
            include_stats: true,
        }
    }
}

/// The Freshdesk adapter of one linked account.
pub struct FreshdeskProvider {
    la: Uuid,
    http: Http,
    known_agents: RwLock<HashSet<String>>,
    status_labels: RwLock<BTreeMap<i64, String>>,
    /// The last `ticket_fields` listing, handed to the engine as metadata.
    ticket_fields: RwLock<Option<Vec<Value>>>,
    /// Ticket attachments read by the tickets stream's views, for `fetch_ticket_children`.
    ticket_attachments: Mutex<view_cache::ViewCache>,
    /// Live tickets the walk emitted, so that their children need no parent check.
    live_tickets: Mutex<HashSet<i64>>,
    overlap: Duration,
    view_concurrency: usize,
    include_stats: bool,
}

impl std::fmt::Debug for FreshdeskProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FreshdeskProvider")
            .field("linked_account_id", &self.la)
            .field("base_url", &self.http.base.as_str())
            .finish_non_exhaustive()
    }
}

const MAX_BACKSTEPS: u32 = 10;

impl FreshdeskProvider {
    /// Builds the adapter; refuses a domain that is not allowed.
    pub fn new(config: FreshdeskConfig) -> Result<Self, ProviderError> {
        let base = resolve_base_url(&config.domain, &config.allowed_hosts)?;
        config.budget.set_reserve_share(config.reserve_share);
        Ok(FreshdeskProvider {
            la: config.linked_account_id,
            http: Http {
                client: config.http,
                base,
                api_key: config.api_key,
                budget: config.budget,
                timeout: config.request_timeout,
                max_retries: config.max_retries,
                retry_base: config.retry_base_delay,
            },
            known_agents: RwLock::new(HashSet::new()),
            status_labels: RwLock::new(BTreeMap::new()),
            ticket_fields: RwLock::new(None),
            ticket_attachments: Mutex::new(view_cache::ViewCache::default()),
            live_tickets: Mutex::new(HashSet::new()),
            overlap: config.incremental_overlap,
            view_concurrency: config.view_concurrency.max(1),
            include_stats: config.include_stats,
        })
    }

    /// The linked account.
    pub fn linked_account_id(&self) -> Uuid {
        self.la
    }

    /// The base URL calls go to (ends with `/`).
    pub fn base_url(&self) -> &Url {
        &self.http.base
    }

    /// The account's rate budget.
    pub fn budget(&self) -> &Arc<RateBudget> {
        &self.http.budget
    }

    /// Tells the adapter which user ids are agents (remote ids), so that conversations are
    /// attributed to a User (agent) or a Contact. The `agents` stream adds to this set too.
    /// While the set is empty, `incoming` decides (true: contact).
    pub fn set_known_agents<I, S>(&self, ids: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let set: HashSet<String> = ids.into_iter().map(Into::into).collect();
        *self.known_agents.write().unwrap_or_else(|e| e.into_inner()) = set;
    }

    /// The agent ids known so far.
    pub fn known_agents(&self) -> HashSet<String> {
        self.known_agents
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The status labels (agent label) from the last `ticket_fields` call, for
    /// `show_enum_origins`. Empty before the first call.
    pub fn status_labels(&self) -> BTreeMap<i64, String> {
        self.status_labels
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The label of a status code: the account's (cached) label, else Freshdesk's default.
    pub fn status_label(&self, code: i64) -> Option<String> {
        self.status_labels
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&code)
            .cloned()
            .or_else(|| default_status_label(code).map(str::to_string))
    }

    /// `GET /ticket_fields` (1 credit): the raw ticket fields. Also caches the status labels.
    pub async fn ticket_fields(&self) -> Result<Vec<Value>, ProviderError> {
        let (body, _) = self.http.get_json("ticket_fields", 1).await?;
        let fields = into_array(body, "ticket_fields")?;
        *self
            .ticket_fields
            .write()
            .unwrap_or_else(|e| e.into_inner()) = Some(fields.clone());
        let labels = status_labels_from_fields(&fields);
        if !labels.is_empty() {
            *self
                .status_labels
                .write()
                .unwrap_or_else(|e| e.into_inner()) = labels.into_iter().collect();
        }
        Ok(fields)
    }

    /// Sends a request under `/api/v2/` for the passthrough endpoint.
    ///
    /// The path is confined ([`crate::http::confine_path`]); the budget is asked without
    /// waiting (an exhausted budget or a 429 → [`ProviderError::RateLimited`]); nothing is
    /// retried; any other HTTP status is returned as it came.
    pub async fn send(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<&Value>,
    ) -> Result<RawResponse, ProviderError> {
        let url = confine_path(&self.http.base, path_and_query)?;
        let rel = url
            .as_str()
            .strip_prefix(self.http.base.as_str())
            .unwrap_or(url.as_str());
        let credits = call_credits(rel);
        self.http
            .execute(method, url, body, credits, Mode::Passthrough)
            .await
    }
}
