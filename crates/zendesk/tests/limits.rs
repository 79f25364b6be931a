//! Faults and rate limits against the simulator: a share of 5xx answers, dropped
//! connections and slow answers still ends with exactly the simulator's data; each of the
//! three 429 shapes (incremental JSON, account plain text, edge JSON) is waited out.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use common::{Env, sid, start, sync};
use deskbridge_model::ModelKind;
use deskbridge_provider::TicketingProvider;
use deskbridge_zendesk::{ZendeskProvider, stream};
use reqwest::Method;
use serde_json::{Value, json};

fn ids(data: &Value, key: &str) -> BTreeSet<String> {
    data[key].as_array().expect(key).iter().map(sid).collect()
}

fn fast(env: &Env) -> ZendeskProvider {
    let mut c = env.config(0);
    c.incremental_limit = 10_000;
    c.export_page_size = 9;
    c.list_page_size = 7;
    c.request_timeout = Duration::from_millis(700);
    c.max_retries = 30;
    ZendeskProvider::new(c).expect("provider")
}

async fn set_time_scale(env: &Env, scale: f64, edge: Option<u64>) {
    let (s, _) = env
        .call(
            Method::PUT,
            "settings",
            json!({"time_scale": scale, "edge_per_second": edge}),
        )
        .await;
    assert_eq!(s, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_still_end_exact() {
    let env = start(common::config(1, 50)).await;
    let sub = env.account(0).subdomain;
    let data = env.data(&sub).await;
    let (s, _) = env
        .call(
            Method::PUT,
            "faults",
            json!({"error_rate": 0.25, "drop_rate": 0.05, "slow_rate": 0.03, "slow_delay_ms": 1500}),
        )
        .await;
    assert_eq!(s, 200);
    let p = fast(&env);
    let synced = sync(&p, &mut BTreeMap::new()).await;
    let tickets: Vec<String> = synced
        .records(ModelKind::Ticket)
        .iter()
        .map(|r| r.remote_id.clone())
        .collect();
    let unique: BTreeSet<String> = tickets.iter().cloned().collect();
    assert_eq!(
        tickets.len(),
        unique.len(),
        "each ticket once despite retries"
    );
    assert_eq!(unique, ids(&data, "tickets"));
    let people: BTreeSet<String> = synced
        .latest(ModelKind::User)
        .into_keys()
        .chain(synced.latest(ModelKind::Contact).into_keys())
        .collect();
    assert_eq!(people, ids(&data, "users"));
    assert_eq!(
        synced
            .latest(ModelKind::Team)
            .into_keys()
            .collect::<BTreeSet<_>>(),
        ids(&data, "groups")
    );
    let id = sid(&data["tickets"][0]);
    let children = p.fetch_ticket_children(&id).await.expect("children");
    let n = data["comments"][&id].as_array().map_or(0, Vec::len);
    assert_eq!(
        children
            .iter()
            .filter(|r| r.kind == ModelKind::Comment)
            .count(),
        n
    );
    let faults = env.counters(&sub).await["faults"].as_u64().unwrap_or(0);
    assert!(faults > 0, "faults were injected");
    assert!(p.budget().stats().retries > 0, "and retried");
    env.call(Method::PUT, "faults", json!({})).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incremental_429_is_waited_out() {
    let env = start(common::config(1, 60)).await;
    let sub = env.account(0).subdomain;
    env.call(
        Method::PUT,
        &format!("accounts/{sub}/plan"),
        json!({"plan": "team"}),
    )
    .await;
    // One simulated minute lasts two seconds.
    set_time_scale(&env, 30.0, None).await;
    let mut c = env.config(0);
    c.export_page_size = 4;
    c.rate_window = Duration::from_secs(2);
    // Deliberately more than Zendesk's 10 per minute: the simulator must answer 429.
    c.incremental_limit = 40;
    let p = ZendeskProvider::new(c).expect("provider");
    let mut cp: Option<Value> = None;
    let mut seen = BTreeSet::new();
    loop {
        let b = p
            .fetch(stream::TICKETS, cp.as_ref())
            .await
            .expect("tickets");
        seen.extend(
            b.records
                .iter()
                .filter(|r| r.kind == ModelKind::Ticket)
                .map(|r| r.remote_id.clone()),
        );
        cp = b.checkpoint;
        if b.done {
            break;
        }
    }
    let data = env.data(&sub).await;
    assert_eq!(seen, ids(&data, "tickets"));
    assert!(p.usage().rate_limited > 0, "the incremental 429 was met");
    assert!(env.counters(&sub).await["rate_limited"].as_u64() > Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_budget_keeps_the_incremental_reserve() {
    let env = start(common::config(1, 40)).await;
    let sub = env.account(0).subdomain;
    env.call(
        Method::PUT,
        &format!("accounts/{sub}/plan"),
        json!({"plan": "team"}),
    )
    .await;
    set_time_scale(&env, 30.0, None).await;
    let mut c = env.config(0);
    c.export_page_size = 3;
    c.rate_window = Duration::from_secs(2);
    let p = ZendeskProvider::new(c).expect("provider");
    let mut cp: Option<Value> = None;
    for _ in 0..100 {
        let b = p
            .fetch(stream::TICKETS, cp.as_ref())
            .await
            .expect("tickets");
        cp = b.checkpoint;
        if b.done {
            break;
        }
    }
    assert_eq!(p.usage().rate_limited, 0, "8 of 10 per window: never a 429");
    assert!(p.budget().stats().incremental_calls > 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_plain_text_429_is_waited_out() {
    let env = start(common::config(1, 10)).await;
    let a = env.account(0);
    env.call(
        Method::PUT,
        &format!("accounts/{}/plan", a.subdomain),
        json!({"plan": "team"}),
    )
    .await;
    // One simulated minute lasts ten seconds.
    set_time_scale(&env, 6.0, None).await;
    env.reset_counters(&a.subdomain).await;
    // Another app of the customer spends the whole account limit (200 per minute).
    let url = format!("{}/api/v2/users/me.json", env.handle.site(&a.subdomain));
    let mut limited = false;
    for _ in 0..2000 {
        let status = env
            .http
            .get(&url)
            .basic_auth(format!("{}/token", a.admin_email), Some(&a.api_token))
            .send()
            .await
            .expect("request")
            .status()
            .as_u16();
        if status == 429 {
            limited = true;
            break;
        }
    }
    assert!(limited, "the account limit is spent");
    let mut c = env.config(0);
    c.rate_window = Duration::from_secs(10);
    let p = ZendeskProvider::new(c).expect("provider");
    let b = p
        .fetch(stream::GROUPS, None)
        .await
        .expect("groups after the wait");
    assert!(!b.records.is_empty());
    assert_eq!(
        p.usage().rate_limited,
        1,
        "one plain-text 429, then Retry-After"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edge_429_is_waited_out() {
    let env = start(common::config(1, 20)).await;
    let sub = env.account(0).subdomain;
    set_time_scale(&env, 1.0, Some(4)).await;
    let mut c = env.config(0);
    c.incremental_limit = 10_000;
    c.export_page_size = 5;
    c.list_page_size = 5;
    let p = ZendeskProvider::new(c).expect("provider");
    let synced = sync(&p, &mut BTreeMap::new()).await;
    let data = env.data(&sub).await;
    assert_eq!(
        synced
            .latest(ModelKind::Ticket)
            .into_keys()
            .collect::<BTreeSet<_>>(),
        ids(&data, "tickets")
    );
    assert!(p.usage().rate_limited > 0, "edge protection answered 429");
}
