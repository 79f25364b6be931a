//! A small stateful fake of the Freshdesk list endpoints, as a wiremock responder.
#![allow(dead_code, missing_docs)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use deskbridge_freshdesk::{FreshdeskConfig, FreshdeskProvider, RateBudget, http_client};
use secrecy::SecretString;
use serde_json::{Value, json};
use uuid::Uuid;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate, matchers::any};

pub const KEY: &str = "SeCrEt-KeY-4f9a7c";
pub const LA: Uuid = Uuid::from_u128(0xfeed);

pub fn ts(s: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_700_000_000 + s, 0).expect("ts")
}

pub fn fmt(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[derive(Debug, Clone)]
pub struct FakeTicket {
    pub id: i64,
    pub updated_at: DateTime<Utc>,
    pub deleted: bool,
    pub spam: bool,
    pub tags: Vec<String>,
    pub attachments: Vec<Value>,
}

/// Edits tickets after the n-th ticket-list answer.
pub type TicketHook = Box<dyn FnMut(&mut BTreeMap<i64, FakeTicket>, usize) + Send>;
/// Edits companies after the n-th companies answer.
pub type CompanyHook = Box<dyn FnMut(&mut Vec<Value>, usize) + Send>;

#[derive(Default)]
pub struct FakeState {
    pub tickets: BTreeMap<i64, FakeTicket>,
    pub companies: Vec<Value>,
    pub contacts: Vec<Value>,
    pub deleted_contacts: Vec<Value>,
    pub blocked_contacts: Vec<Value>,
    pub conversations: BTreeMap<i64, Vec<Value>>,
    /// Every request's path and query, in order.
    pub log: Vec<String>,
    /// Runs after each ticket-list response (to edit tickets between pages).
    pub after_ticket_list: Option<TicketHook>,
    /// Runs after each companies response (to delete companies between pages).
    pub after_companies: Option<CompanyHook>,
    pub ticket_list_calls: usize,
    pub company_calls: usize,
}

#[derive(Clone, Default)]
pub struct Fake(pub Arc<Mutex<FakeState>>);

impl Fake {
    pub fn state(&self) -> std::sync::MutexGuard<'_, FakeState> {
        self.0.lock().expect("lock")
    }

    pub async fn mount(&self, server: &MockServer) {
        Mock::given(any())
            .respond_with(self.clone())
            .mount(server)
            .await;
    }
}

fn ticket_json(t: &FakeTicket, view: bool) -> Value {
    let mut v = json!({
        "id": t.id, "subject": format!("Ticket {}", t.id), "status": 2, "priority": 1,
        "requester_id": 1000 + t.id, "responder_id": null, "group_id": null, "company_id": null,
        "type": null, "due_by": null, "tags": t.tags, "custom_fields": {},
        "created_at": fmt(ts(0)), "updated_at": fmt(t.updated_at),
    });
    if view {
        v["attachments"] = json!(t.attachments);
        if t.deleted {
            v["deleted"] = json!(true);
        }
    }
    v
}

fn params(req: &Request) -> BTreeMap<String, String> {
    req.url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn page_of<T: Clone>(all: &[T], q: &BTreeMap<String, String>) -> (Vec<T>, bool) {
    let per_page: usize = q.get("per_page").and_then(|s| s.parse().ok()).unwrap_or(30);
    let page: usize = q.get("page").and_then(|s| s.parse().ok()).unwrap_or(1);
    let start = (page - 1) * per_page;
    let items: Vec<T> = all.iter().skip(start).take(per_page).cloned().collect();
    let more = all.len() > start + per_page;
    (items, more)
}

fn ok(body: Value, more: bool) -> ResponseTemplate {
    let mut r = ResponseTemplate::new(200)
        .insert_header("content-type", "application/json")
        .set_body_json(body);
    if more {
        r = r.insert_header("link", "<http://fake/next>; rel=\"next\"");
    }
    r
}

impl Respond for Fake {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut st = self.0.lock().expect("lock");
        let q = params(req);
        let path = req.url.path().to_string();
        st.log
            .push(format!("{}?{}", path, req.url.query().unwrap_or("")));
        let segs: Vec<&str> = path.trim_start_matches("/api/v2/").split('/').collect();
        match segs.as_slice() {
            ["tickets"] => {
                let Some(since) = q
                    .get("updated_since")
                    .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                else {
                    return ResponseTemplate::new(400)
                        .set_body_json(json!({"description": "no updated_since in this fake"}));
                };
                let filter = q.get("filter").cloned().unwrap_or_default();
                let mut all: Vec<FakeTicket> = st
                    .tickets
                    .values()
                    .filter(|t| t.updated_at >= since)
                    .filter(|t| match filter.as_str() {
                        "deleted" => t.deleted,
                        "spam" => t.spam,
                        _ => !t.deleted && !t.spam,
                    })
                    .cloned()
                    .collect();
                all.sort_by_key(|t| (t.updated_at, t.id));
                let (items, more) = page_of(&all, &q);
                let body = Value::Array(items.iter().map(|t| ticket_json(t, false)).collect());
                st.ticket_list_calls += 1;
                let n = st.ticket_list_calls;
                if let Some(mut hook) = st.after_ticket_list.take() {
                    hook(&mut st.tickets, n);
                    st.after_ticket_list = Some(hook);
                }
                ok(body, more)
            }
            ["tickets", id] => match id.parse::<i64>().ok().and_then(|i| st.tickets.get(&i)) {
                Some(t) => ok(ticket_json(t, true), false),
                None => ResponseTemplate::new(404),
            },
            ["tickets", id, "conversations"] => {
                let all = id
                    .parse::<i64>()
                    .ok()
                    .and_then(|i| st.conversations.get(&i))
                    .cloned()
                    .unwrap_or_default();
                let (items, more) = page_of(&all, &q);
                ok(Value::Array(items), more)
            }
            ["companies"] => {
                let all = st.companies.clone();
                let (items, more) = page_of(&all, &q);
                st.company_calls += 1;
                let n = st.company_calls;
                if let Some(mut hook) = st.after_companies.take() {
                    hook(&mut st.companies, n);
                    st.after_companies = Some(hook);
                }
                ok(Value::Array(items), more)
            }
            ["contacts"] => {
                let all = match q.get("state").map(String::as_str) {
                    Some("deleted") => st.deleted_contacts.clone(),
                    // As Freshdesk: blocked or deleted.
                    Some("blocked") => {
                        [st.blocked_contacts.clone(), st.deleted_contacts.clone()].concat()
                    }
                    _ => st.contacts.clone(),
                };
                let (items, more) = page_of(&all, &q);
                ok(Value::Array(items), more)
            }
            _ => ResponseTemplate::new(404).set_body_string(" "),
        }
    }
}

pub fn config(server_uri: &str) -> FreshdeskConfig {
    let url = url::Url::parse(server_uri).expect("uri");
    let host = format!(
        "{}://{}:{}",
        url.scheme(),
        url.host_str().expect("host"),
        url.port().expect("port")
    );
    let mut c = FreshdeskConfig::new(
        LA,
        server_uri.to_string(),
        SecretString::from(KEY.to_string()),
    );
    c.allowed_hosts = vec![host];
    c.http = http_client();
    c.budget = Arc::new(RateBudget::with_window(Duration::from_secs(60)));
    c.request_timeout = Duration::from_secs(5);
    c.retry_base_delay = Duration::from_millis(10);
    c.incremental_overlap = Duration::from_secs(60);
    c
}

pub fn provider(server_uri: &str) -> FreshdeskProvider {
    FreshdeskProvider::new(config(server_uri)).expect("provider")
}
