//! [`FreshdeskProvider`]: the `TicketingProvider` of one linked Freshdesk account.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deskbridge_model::ModelKind;
use deskbridge_provider::{
    CommentWrite, ContactWrite, FetchBatch, IntegrationInfo, NormalizedRecord, PassthroughRequest,
    PassthroughResponse, ProviderError, ProviderUsage, RecordRef, StreamMode, SyncStream,
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
    map_role, map_tag, map_team, map_ticket, map_user, parse_ts, remote_id_of,
    status_labels_from_fields,
};
use crate::walk::{PER_PAGE, TicketCheckpoint};

/// Stream names, as stored with checkpoints.
pub mod stream {
    /// `GET /ticket_fields` (no common-model records; refreshes the status labels).
    pub const TICKET_FIELDS: &str = "ticket_fields";
    /// `GET /groups` → Team.
    pub const GROUPS: &str = "groups";
    /// `GET /roles` → Role.
    pub const ROLES: &str = "roles";
    /// `GET /agents` + `GET /agents/{id}` → User.
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
    ticket_attachments: Mutex<HashMap<String, Vec<Value>>>,
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

const ATTACHMENT_CACHE_CAP: usize = 20_000;
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
            ticket_attachments: Mutex::new(HashMap::new()),
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

    /// Every remote id of a model that Freshdesk lists now, for the periodic id
    /// reconciliation. Tickets: an `updated_since` walk without includes (1 credit per 100;
    /// spam and deleted tickets are not listed). Contacts (not deleted), companies, agents,
    /// groups, roles: page walks with boundary checks (see the docs).
    pub async fn list_all_ids(&self, kind: ModelKind) -> Result<Vec<String>, ProviderError> {
        match kind {
            ModelKind::Ticket => {
                let mut ids = BTreeSet::new();
                let mut cp = TicketCheckpoint::start();
                loop {
                    let path = format!("tickets?{}", cp.query());
                    let (body, _) = self.http.get_json(&path, 1).await?;
                    let items = into_array(body, "tickets")?;
                    let keys = ticket_keys(&items)?;
                    let adv = cp.advance(&keys, Duration::ZERO)?;
                    ids.extend(keys.iter().map(|(id, _)| *id));
                    if adv.done {
                        break;
                    }
                    cp = adv.next;
                }
                Ok(ids.into_iter().map(|i| i.to_string()).collect())
            }
            ModelKind::Contact
            | ModelKind::Account
            | ModelKind::User
            | ModelKind::Team
            | ModelKind::Role => {
                let resource = match kind {
                    ModelKind::Contact => "contacts",
                    ModelKind::Account => "companies",
                    ModelKind::User => "agents",
                    ModelKind::Team => "groups",
                    _ => "roles",
                };
                // Blocked contacts are left out of the default list but still exist.
                let extras: &[&str] = if kind == ModelKind::Contact {
                    &["", "&state=blocked"]
                } else {
                    &[""]
                };
                let mut ids = BTreeSet::new();
                for extra in extras {
                    let mut cp = FullCheckpoint::default();
                    loop {
                        let (items, next, done) = self.full_page(resource, extra, &cp).await?;
                        for item in &items {
                            if item.get("deleted").and_then(Value::as_bool) == Some(true) {
                                continue;
                            }
                            if let Some(id) = remote_id_of(item) {
                                ids.insert(id);
                            }
                        }
                        if done {
                            break;
                        }
                        cp = next;
                    }
                }
                Ok(ids.into_iter().collect())
            }
            _ => Err(ProviderError::Unsupported(
                "this model is not synced from Freshdesk",
            )),
        }
    }

    async fn fetch_tickets(&self, checkpoint: Option<&Value>) -> Result<FetchBatch, ProviderError> {
        let cp = TicketCheckpoint::from_json(checkpoint)?;
        let include = if self.include_stats {
            "description,stats"
        } else {
            "description"
        };
        let path = format!("tickets?{}&include={include}", cp.query());
        let (body, _) = self.http.get_json(&path, call_credits(&path)).await?;
        let items = into_array(body, "tickets")?;
        let keys = ticket_keys(&items)?;
        let adv = cp.advance(&keys, self.overlap)?;
        let emitted: Vec<Value> = adv.emit.iter().map(|&i| items[i].clone()).collect();
        let enriched: Vec<Value> =
            futures::stream::iter(emitted.into_iter().map(|raw| self.enrich_ticket(raw)))
                .buffered(self.view_concurrency)
                .try_collect()
                .await?;
        let mut records = Vec::with_capacity(enriched.len());
        let mut tags = BTreeSet::new();
        for raw in &enriched {
            if let Some(t) = raw.get("tags").and_then(Value::as_array) {
                tags.extend(t.iter().filter_map(Value::as_str).map(str::to_string));
            }
            records.push(map_ticket(self.la, &self.http.base, raw)?);
        }
        records.extend(tags.iter().map(|t| map_tag(self.la, t)));
        Ok(FetchBatch {
            records,
            deleted: vec![],
            checkpoint: Some(adv.next.to_json()),
            done: adv.done,
        })
    }

    /// Adds what only the ticket view has (`attachments`, `associated_tickets_list`,
    /// `source_additional_info`, …) to a list item: 1 credit. Keys of the list item win, so
    /// the record stays consistent with the `updated_at` the walk saw.
    async fn enrich_ticket(&self, mut raw: Value) -> Result<Value, ProviderError> {
        let Some(id) = remote_id_of(&raw) else {
            return Ok(raw);
        };
        let view = match self.http.get_json(&format!("tickets/{id}"), 1).await {
            Ok((v, _)) => v,
            Err(ProviderError::NotFound) => return Ok(raw),
            Err(e) => return Err(e),
        };
        if let (Some(obj), Some(view_obj)) = (raw.as_object_mut(), view.as_object()) {
            for (k, v) in view_obj {
                if !obj.contains_key(k) {
                    obj.insert(k.clone(), v.clone());
                }
            }
        }
        let attachments = view
            .get("attachments")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut cache = self
            .ticket_attachments
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if cache.len() >= ATTACHMENT_CACHE_CAP {
            cache.clear();
        }
        cache.insert(id, attachments);
        Ok(raw)
    }

    async fn fetch_deletions(
        &self,
        filter: &str,
        checkpoint: Option<&Value>,
    ) -> Result<FetchBatch, ProviderError> {
        let cp = TicketCheckpoint::from_json(checkpoint)?;
        let path = format!("tickets?filter={filter}&{}", cp.query());
        let (body, _) = self.http.get_json(&path, 1).await?;
        let items = into_array(body, "tickets")?;
        let keys = ticket_keys(&items)?;
        let adv = cp.advance(&keys, self.overlap)?;
        let deleted = adv
            .emit
            .iter()
            .map(|&i| RecordRef {
                kind: ModelKind::Ticket,
                remote_id: keys[i].0.to_string(),
            })
            .collect();
        Ok(FetchBatch {
            records: vec![],
            deleted,
            checkpoint: Some(adv.next.to_json()),
            done: adv.done,
        })
    }

    /// Contacts: `GET /contacts?_updated_since=` walked by page number (Freshdesk sorts
    /// contacts by name and offers no other order), in three phases: the default list (which
    /// leaves out blocked and deleted contacts), then `state=blocked`, then `state=deleted`
    /// (→ `remote_was_deleted`). A completed walk sets the next `_updated_since` to the
    /// server time of its first call minus the overlap.
    async fn fetch_contacts(
        &self,
        checkpoint: Option<&Value>,
    ) -> Result<FetchBatch, ProviderError> {
        let mut cp = ContactsCheckpoint::from_json(checkpoint);
        let mut path = format!("contacts?per_page={PER_PAGE}&page={}", cp.page);
        if let Some(since) = cp.since {
            path.push_str(&format!("&_updated_since={}", format_ts(since)));
        }
        if let Some(state) = cp.phase.state() {
            path.push_str(&format!("&state={state}"));
        }
        let (body, headers) = self.http.get_json(&path, 1).await?;
        if cp.page == 1 && cp.phase == ContactsPhase::Live {
            cp.started = Some(server_time(&headers));
        }
        let items = into_array(body, "contacts")?;
        let mut records = Vec::with_capacity(items.len());
        for raw in &items {
            let mut r = map_contact(self.la, raw)?;
            if cp.phase == ContactsPhase::Deleted {
                r.remote_was_deleted = true;
            }
            records.push(r);
        }
        let more = has_next_link(&headers) || items.len() as u32 >= PER_PAGE;
        let mut done = false;
        if more {
            cp.page += 1;
        } else if let Some(next) = cp.phase.next() {
            cp.phase = next;
            cp.page = 1;
        } else {
            let overlap = chrono::Duration::from_std(self.overlap).unwrap_or_default();
            cp = ContactsCheckpoint {
                since: cp.started.map(|s| s - overlap),
                page: 1,
                started: None,
                phase: ContactsPhase::Live,
            };
            done = true;
        }
        Ok(FetchBatch {
            records,
            deleted: vec![],
            checkpoint: Some(cp.to_json()),
            done,
        })
    }

    /// One page of a full walk, with a boundary check from page 2 on: the last item of the
    /// previous page must still be where it was (`per_page=1&page=(P−1)·100`, 1 credit),
    /// else the list shifted (a concurrent delete or rename) and the previous page is read
    /// again. Returns the items, the next checkpoint and whether the walk is complete.
    async fn full_page(
        &self,
        resource: &str,
        extra_query: &str,
        cp: &FullCheckpoint,
    ) -> Result<(Vec<Value>, FullCheckpoint, bool), ProviderError> {
        let page = cp.page.max(1);
        let (body, headers) = self
            .http
            .get_json(
                &format!("{resource}?per_page={PER_PAGE}&page={page}{extra_query}"),
                1,
            )
            .await?;
        let items = into_array(body, resource)?;
        let mut next = cp.clone();
        next.last_ids.truncate((page - 1) as usize);
        if page >= 2
            && let Some(expected) = next.last_ids.get((page - 2) as usize).cloned()
        {
            {
                let probe_page = (page - 1) * PER_PAGE;
                let (probe, _) = self
                    .http
                    .get_json(
                        &format!("{resource}?per_page=1&page={probe_page}{extra_query}"),
                        1,
                    )
                    .await?;
                let found = into_array(probe, resource)?.first().and_then(remote_id_of);
                if found.as_deref() != Some(expected.as_str()) {
                    next.backsteps += 1;
                    if next.backsteps > MAX_BACKSTEPS {
                        return Err(ProviderError::Transient(format!(
                            "the {resource} list kept shifting during the walk"
                        )));
                    }
                    next.page = page - 1;
                    next.last_ids.truncate((page - 2) as usize);
                    return Ok((items, next, false));
                }
            }
        }
        let more = has_next_link(&headers) || items.len() as u32 >= PER_PAGE;
        if let Some(last) = items.last().and_then(remote_id_of) {
            next.last_ids.push(last);
        }
        next.page = page + 1;
        Ok((items, next, !more))
    }

    async fn fetch_full(
        &self,
        name: &str,
        checkpoint: Option<&Value>,
    ) -> Result<FetchBatch, ProviderError> {
        let cp = FullCheckpoint::from_json(checkpoint);
        let resource = match name {
            stream::COMPANIES => "companies",
            stream::GROUPS => "groups",
            stream::ROLES => "roles",
            _ => "agents",
        };
        let (items, next, done) = self.full_page(resource, "", &cp).await?;
        let records = match name {
            stream::COMPANIES => map_all(&items, |r| map_account(self.la, r))?,
            stream::GROUPS => map_all(&items, |r| map_team(self.la, r))?,
            stream::ROLES => map_all(&items, |r| map_role(self.la, r))?,
            _ => self.agents_with_views(items).await?,
        };
        Ok(FetchBatch {
            records,
            deleted: vec![],
            checkpoint: Some(next.to_json()),
            done,
        })
    }

    /// Agents: the list lacks `group_ids` and `role_ids`; `GET /agents/{id}` (1 credit per
    /// agent) has both. Group views carry `agent_ids` but no roles, so per-agent views are
    /// the only faithful source of roles and cost the same as reading teams from groups.
    async fn agents_with_views(
        &self,
        items: Vec<Value>,
    ) -> Result<Vec<NormalizedRecord>, ProviderError> {
        let views: Vec<Option<Value>> =
            futures::stream::iter(items.into_iter().map(|item| async move {
                let Some(id) = remote_id_of(&item) else {
                    return Ok(None);
                };
                match self.http.get_json(&format!("agents/{id}"), 1).await {
                    Ok((view, _)) if view.is_object() => {
                        let mut merged = item;
                        if let (Some(m), Some(v)) = (merged.as_object_mut(), view.as_object()) {
                            for (k, val) in v {
                                m.insert(k.clone(), val.clone());
                            }
                        }
                        Ok(Some(merged))
                    }
                    Ok(_) => Ok(Some(item)),
                    // Deleted between the list and the view: not an agent any more.
                    Err(ProviderError::NotFound) => Ok(None),
                    Err(e) => Err(e),
                }
            }))
            .buffered(self.view_concurrency)
            .try_collect()
            .await?;
        let mut records = Vec::new();
        let mut ids = Vec::new();
        for v in views.into_iter().flatten() {
            let r = map_user(self.la, &v)?;
            ids.push(r.remote_id.clone());
            records.push(r);
        }
        self.known_agents
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .extend(ids);
        Ok(records)
    }

    /// The credential check, with the Free-plan rule: Freshdesk's Free plan allows 0 calls
    /// per minute, so its very first call of a window is refused and a 429 carries no rate
    /// headers. A 429 with `X-RateLimit-Total: 0`, or one whose `Retry-After` is a whole
    /// window (≥ 59 s) before any answer was ever counted, or a second 429 right after a
    /// short `Retry-After` (≤ 5 s) has passed, means NoApiAccess; any other 429 is
    /// RateLimited.
    async fn check(&self) -> Result<(), ProviderError> {
        match self.check_once().await {
            Err(ProviderError::RateLimited { retry_after }) => {
                if retry_after >= Duration::from_secs(59) && self.http.budget.total().is_none() {
                    return Err(ProviderError::NoApiAccess);
                }
                if retry_after > Duration::from_secs(5) {
                    return Err(ProviderError::RateLimited { retry_after });
                }
                // The budget waits for the Retry-After; the next call opens a new window.
                match self.check_once().await {
                    Err(ProviderError::RateLimited { .. }) => Err(ProviderError::NoApiAccess),
                    other => other,
                }
            }
            other => other,
        }
    }

    async fn check_once(&self) -> Result<(), ProviderError> {
        let url = self.http.api_url("agents/me")?;
        let raw = self
            .http
            .execute(Method::GET, url, None, 1, Mode::Check)
            .await?;
        if raw.status.is_success() {
            return Ok(());
        }
        let code = serde_json::from_slice::<Value>(&raw.body)
            .ok()
            .and_then(|v| v.get("code").and_then(Value::as_str).map(str::to_string))
            .unwrap_or_default();
        Err(match raw.status {
            StatusCode::UNAUTHORIZED => ProviderError::Unauthorized,
            StatusCode::FORBIDDEN if code == "account_suspended" => ProviderError::Suspended,
            StatusCode::FORBIDDEN if code == "require_feature" => ProviderError::NoApiAccess,
            StatusCode::NOT_FOUND => {
                let text = String::from_utf8_lossy(&raw.body).to_ascii_lowercase();
                if text.contains("datacenter") {
                    ProviderError::Transient(
                        "the account is being moved to another datacenter".into(),
                    )
                } else {
                    ProviderError::UnknownAccount
                }
            }
            s => classify_status(s, &raw.body),
        })
    }
}

fn map_all(
    items: &[Value],
    f: impl Fn(&Value) -> Result<NormalizedRecord, ProviderError>,
) -> Result<Vec<NormalizedRecord>, ProviderError> {
    items.iter().map(f).collect()
}

fn into_array(body: Value, what: &str) -> Result<Vec<Value>, ProviderError> {
    match body {
        Value::Array(a) => Ok(a),
        _ => Err(ProviderError::Protocol(format!(
            "the {what} list is not an array"
        ))),
    }
}

fn ticket_keys(items: &[Value]) -> Result<Vec<(i64, DateTime<Utc>)>, ProviderError> {
    items
        .iter()
        .map(|it| {
            let id = it.get("id").and_then(Value::as_i64);
            let ts = it.get("updated_at").and_then(parse_ts);
            match (id, ts) {
                (Some(id), Some(ts)) => Ok((id, ts)),
                _ => Err(ProviderError::Protocol(
                    "a ticket without id or updated_at".into(),
                )),
            }
        })
        .collect()
}

/// The server's clock from the `Date` header (else ours), for contacts bookmarks.
fn server_time(headers: &HeaderMap) -> DateTime<Utc> {
    headers
        .get(reqwest::header::DATE)
        .and_then(|v| v.to_str().ok())
        .and_then(|s| DateTime::parse_from_rfc2822(s).ok())
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_else(Utc::now)
}

/// Checkpoint of a full walk: `{"page": n, "last_ids": [last id of each page read], "backsteps": k}`.
#[derive(Debug, Clone, Default)]
struct FullCheckpoint {
    page: u32,
    last_ids: Vec<String>,
    backsteps: u32,
}

impl FullCheckpoint {
    fn from_json(v: Option<&Value>) -> Self {
        let Some(v) = v.filter(|v| v.is_object()) else {
            return FullCheckpoint {
                page: 1,
                ..Default::default()
            };
        };
        FullCheckpoint {
            page: v.get("page").and_then(Value::as_u64).unwrap_or(1).max(1) as u32,
            last_ids: v
                .get("last_ids")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
            backsteps: v.get("backsteps").and_then(Value::as_u64).unwrap_or(0) as u32,
        }
    }

    fn to_json(&self) -> Value {
        json!({ "page": self.page, "last_ids": self.last_ids, "backsteps": self.backsteps })
    }
}

/// The phases of a contacts walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum ContactsPhase {
    /// The default list (neither blocked nor deleted).
    #[default]
    Live,
    /// `state=blocked`.
    Blocked,
    /// `state=deleted`.
    Deleted,
}

impl ContactsPhase {
    fn state(self) -> Option<&'static str> {
        match self {
            ContactsPhase::Live => None,
            ContactsPhase::Blocked => Some("blocked"),
            ContactsPhase::Deleted => Some("deleted"),
        }
    }

    fn next(self) -> Option<Self> {
        match self {
            ContactsPhase::Live => Some(ContactsPhase::Blocked),
            ContactsPhase::Blocked => Some(ContactsPhase::Deleted),
            ContactsPhase::Deleted => None,
        }
    }

    fn name(self) -> &'static str {
        self.state().unwrap_or("live")
    }
}

/// Checkpoint of the contacts stream:
/// `{"since": ts|null, "page": n, "started": ts|null, "phase": "live"|"blocked"|"deleted"}`.
#[derive(Debug, Clone, Default)]
struct ContactsCheckpoint {
    since: Option<DateTime<Utc>>,
    page: u32,
    started: Option<DateTime<Utc>>,
    phase: ContactsPhase,
}

impl ContactsCheckpoint {
    fn from_json(v: Option<&Value>) -> Self {
        let Some(v) = v.filter(|v| v.is_object()) else {
            return ContactsCheckpoint {
                page: 1,
                ..Default::default()
            };
        };
        let phase = match v.get("phase").and_then(Value::as_str) {
            Some("blocked") => ContactsPhase::Blocked,
            Some("deleted") => ContactsPhase::Deleted,
            _ => ContactsPhase::Live,
        };
        ContactsCheckpoint {
            since: v.get("since").and_then(parse_ts),
            page: v.get("page").and_then(Value::as_u64).unwrap_or(1).max(1) as u32,
            started: v.get("started").and_then(parse_ts),
            phase,
        }
    }

    fn to_json(&self) -> Value {
        json!({
            "since": self.since.map(format_ts),
            "page": self.page,
            "started": self.started.map(format_ts),
            "phase": self.phase.name(),
        })
    }
}

#[async_trait]
impl TicketingProvider for FreshdeskProvider {
    fn integration(&self) -> IntegrationInfo {
        IntegrationInfo {
            slug: "freshdesk",
            name: "Freshdesk",
        }
    }

    fn instance_url(&self) -> Option<String> {
        Some(self.base_url().to_string())
    }

    /// `GET /api/v2/agents/me` (1 credit), classified: 401 → Unauthorized; 403
    /// `account_suspended` → Suspended, `require_feature` → NoApiAccess, other 403 →
    /// Forbidden; 404 → UnknownAccount; 429 on a Free plan (limit 0, see `check`) →
    /// NoApiAccess, other 429 → RateLimited; connection, DNS and TLS failures → Unreachable.
    async fn check_credentials(&self) -> Result<(), ProviderError> {
        self.check().await
    }

    async fn list_all_ids(&self, kind: ModelKind) -> Result<Vec<String>, ProviderError> {
        FreshdeskProvider::list_all_ids(self, kind).await
    }

    fn usage(&self) -> ProviderUsage {
        let s = self.http.budget.stats();
        ProviderUsage {
            calls: s.calls,
            credits: s.credits,
            rate_limited: s.rate_limited,
            waiting: self.http.budget.is_waiting(),
        }
    }

    /// The `ticket_fields` read by this run's `ticket_fields` stream (no extra call).
    async fn metadata(&self) -> Result<Vec<(String, Value)>, ProviderError> {
        let fields = self
            .ticket_fields
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        Ok(fields
            .map(|f| vec![("ticket_fields".to_string(), Value::Array(f))])
            .unwrap_or_default())
    }

    fn streams(&self) -> Vec<SyncStream> {
        use StreamMode::*;
        vec![
            SyncStream {
                name: stream::TICKET_FIELDS,
                kinds: vec![],
                mode: Full,
            },
            SyncStream {
                name: stream::GROUPS,
                kinds: vec![ModelKind::Team],
                mode: Full,
            },
            SyncStream {
                name: stream::ROLES,
                kinds: vec![ModelKind::Role],
                mode: Full,
            },
            SyncStream {
                name: stream::AGENTS,
                kinds: vec![ModelKind::User],
                mode: Full,
            },
            SyncStream {
                name: stream::COMPANIES,
                kinds: vec![ModelKind::Account],
                mode: Full,
            },
            SyncStream {
                name: stream::CONTACTS,
                kinds: vec![ModelKind::Contact],
                mode: Incremental,
            },
            SyncStream {
                name: stream::TICKETS,
                kinds: vec![ModelKind::Ticket, ModelKind::Tag],
                mode: Incremental,
            },
            SyncStream {
                name: stream::TICKETS_DELETED,
                kinds: vec![ModelKind::Ticket],
                mode: Deletions,
            },
            SyncStream {
                name: stream::TICKETS_SPAM,
                kinds: vec![ModelKind::Ticket],
                mode: Deletions,
            },
        ]
    }

    fn supported_models(&self) -> Vec<ModelKind> {
        vec![
            ModelKind::Ticket,
            ModelKind::Comment,
            ModelKind::User,
            ModelKind::Contact,
            ModelKind::Account,
            ModelKind::Team,
            ModelKind::Tag,
            ModelKind::Role,
            ModelKind::Attachment,
        ]
    }

    async fn fetch(
        &self,
        stream: &str,
        checkpoint: Option<&Value>,
    ) -> Result<FetchBatch, ProviderError> {
        match stream {
            stream::TICKETS => self.fetch_tickets(checkpoint).await,
            stream::TICKETS_DELETED => self.fetch_deletions("deleted", checkpoint).await,
            stream::TICKETS_SPAM => self.fetch_deletions("spam", checkpoint).await,
            stream::CONTACTS => self.fetch_contacts(checkpoint).await,
            stream::COMPANIES | stream::GROUPS | stream::ROLES | stream::AGENTS => {
                self.fetch_full(stream, checkpoint).await
            }
            stream::TICKET_FIELDS => {
                self.ticket_fields().await?;
                Ok(FetchBatch {
                    records: vec![],
                    deleted: vec![],
                    checkpoint: None,
                    done: true,
                })
            }
            _ => Err(ProviderError::Unsupported("unknown Freshdesk stream")),
        }
    }

    /// Comments and attachments of one ticket: `GET /tickets/{id}/conversations?per_page=100`
    /// (1 credit per 100 conversations, pages followed while `Link: rel="next"`), plus the
    /// ticket's own attachments, taken from the view the tickets stream already made (no
    /// call), or from `GET /tickets/{id}` (1 credit) when this adapter did not view it.
    async fn fetch_ticket_children(
        &self,
        ticket_remote_id: &str,
    ) -> Result<Vec<NormalizedRecord>, ProviderError> {
        let id = ticket_remote_id;
        if id.is_empty() || id.len() > 20 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ProviderError::NotFound);
        }
        let mut records = Vec::new();
        let agents = self.known_agents();
        let path = format!("/tickets/{id}/conversations");
        let mut page = 1u32;
        loop {
            let q = format!("tickets/{id}/conversations?per_page={PER_PAGE}&page={page}");
            let (body, headers) = self.http.get_json(&q, 1).await?;
            let items = into_array(body, "conversations")?;
            for raw in &items {
                records.push(map_comment(self.la, raw, Some(&agents))?);
                for att in raw
                    .get("attachments")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    records.push(map_attachment(self.la, id, att, &path)?);
                }
            }
            if !(has_next_link(&headers) || items.len() as u32 >= PER_PAGE) || page >= 10_000 {
                break;
            }
            page += 1;
        }
        let cached = self
            .ticket_attachments
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
        let ticket_attachments = match cached {
            Some(a) => a,
            None => {
                let (view, _) = self.http.get_json(&format!("tickets/{id}"), 1).await?;
                view.get("attachments")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default()
            }
        };
        let tpath = format!("/tickets/{id}");
        for att in &ticket_attachments {
            records.push(map_attachment(self.la, id, att, &tpath)?);
        }
        Ok(records)
    }

    /// `POST /tickets` (see [`crate::writes`]).
    async fn create_ticket(
        &self,
        ticket: &TicketWrite,
        ctx: &WriteContext,
    ) -> Result<WriteOutcome, ProviderError> {
        crate::writes::create_ticket(self, ticket, ctx).await
    }

    /// `PUT /tickets/{id}` (see [`crate::writes`]).
    async fn update_ticket(
        &self,
        remote_id: &str,
        ticket: &TicketWrite,
        ctx: &WriteContext,
    ) -> Result<WriteOutcome, ProviderError> {
        crate::writes::update_ticket(self, remote_id, ticket, ctx).await
    }

    /// `POST /tickets/{id}/reply` or `/notes` (see [`crate::writes`]).
    async fn create_comment(
        &self,
        comment: &CommentWrite,
        _ctx: &WriteContext,
    ) -> Result<WriteOutcome, ProviderError> {
        crate::writes::create_comment(self, comment).await
    }

    /// `POST /contacts` (see [`crate::writes`]).
    async fn create_contact(
        &self,
        contact: &ContactWrite,
        _ctx: &WriteContext,
    ) -> Result<WriteOutcome, ProviderError> {
        crate::writes::create_contact(self, contact).await
    }

    fn write_schema(
        &self,
        kind: ModelKind,
        patch: bool,
        ctx: &WriteContext,
    ) -> Result<serde_json::Map<String, Value>, ProviderError> {
        crate::writes::write_schema(kind, patch, ctx)
    }

    /// [`FreshdeskProvider::send`] with only safe response headers kept.
    async fn passthrough(
        &self,
        request: &PassthroughRequest,
    ) -> Result<PassthroughResponse, ProviderError> {
        crate::writes::passthrough(self, request).await
    }
}
