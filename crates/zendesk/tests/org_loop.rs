//! The time-based organizations export repeats its `start_time` when more than a page of
//! organizations share one second (reference §9.1). A small fake Zendesk shows that the walk
//! then lists `GET /organizations` once and goes on from the next second instead of looping.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use deskbridge_provider::TicketingProvider;
use deskbridge_zendesk::{ZendeskConfig, ZendeskProvider, stream};
use serde_json::{Value, json};
use uuid::Uuid;

type Calls = Arc<Mutex<Vec<String>>>;

fn org(id: i64) -> Value {
    json!({"id": id, "name": format!("Org {id}"), "domain_names": [], "updated_at": "2024-01-01T00:00:00Z"})
}

async fn export(
    State(calls): State<Calls>,
    Query(q): Query<HashMap<String, String>>,
) -> axum::Json<Value> {
    let start: i64 = q
        .get("start_time")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    calls.lock().expect("calls").push(format!("export {start}"));
    axum::Json(match start {
        // A page that ends inside second 100.
        s if s < 100 => {
            json!({"organizations": [org(1), org(2)], "count": 2, "end_of_stream": false, "end_time": 100, "next_page": "x"})
        }
        // Second 100 holds more than a page: the same start_time comes back.
        100 => {
            json!({"organizations": [org(3), org(4)], "count": 2, "end_of_stream": false, "end_time": 100, "next_page": "x"})
        }
        _ => {
            json!({"organizations": [org(9)], "count": 1, "end_of_stream": true, "end_time": 101, "next_page": "x"})
        }
    })
}

async fn list(
    State(calls): State<Calls>,
    Query(q): Query<HashMap<String, String>>,
) -> axum::Json<Value> {
    let after = q.get("page[after]").cloned();
    calls
        .lock()
        .expect("calls")
        .push(format!("list {}", after.clone().unwrap_or_default()));
    axum::Json(match after.as_deref() {
        None => {
            json!({"organizations": [org(1), org(2), org(3)], "meta": {"has_more": true, "after_cursor": "c1", "before_cursor": null}})
        }
        _ => {
            json!({"organizations": [org(4), org(5)], "meta": {"has_more": false, "after_cursor": "c2", "before_cursor": null}})
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crowded_second_does_not_loop() {
    let calls: Calls = Arc::default();
    let app = Router::new()
        .route("/api/v2/incremental/organizations.json", get(export))
        .route("/api/v2/organizations.json", get(list))
        .with_state(calls.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let base = format!("http://{addr}");
    let creds = json!({"subdomain": base, "access_token": "t"}).to_string();
    let mut c = ZendeskConfig::from_credentials_json(Uuid::nil(), &creds).expect("creds");
    c.allowed_hosts = vec![base.clone()];
    c.list_page_size = 3;
    let p = ZendeskProvider::new(c).expect("provider");
    let mut cp: Option<Value> = None;
    let mut ids = Vec::new();
    for _ in 0..20 {
        let b = p
            .fetch(stream::ORGANIZATIONS, cp.as_ref())
            .await
            .expect("fetch");
        ids.extend(b.records.iter().map(|r| r.remote_id.clone()));
        cp = b.checkpoint;
        if b.done {
            break;
        }
    }
    let calls = calls.lock().expect("calls").clone();
    assert_eq!(
        calls,
        vec!["export 0", "export 100", "list ", "list c1", "export 101"],
        "one listing, then the next second"
    );
    assert_eq!(ids, vec!["1", "2", "3", "4", "1", "2", "3", "4", "5", "9"]);
    assert_eq!(cp.expect("checkpoint")["start_time"], 101);
}
