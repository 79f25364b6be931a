//! Every file in `testdata/zendesk` is matched by simulator output.
//!
//! A sample's shape is the set of (path, JSON type) pairs it contains, recursively (array items
//! share the path `[]`; `null` is a type of its own). The simulator's answers to the same call
//! must contain every pair: every key the sample has, with every type and every null the sample
//! shows at that place. Maps keyed by account data (`user_fields`, `organization_fields`,
//! `metadata.custom`, `via.source.from/to`) are compared by type only. Error samples are
//! provoked and compared by value where the body is a recording and by shape where it holds
//! account data; the headers sample is checked by header names; the request sample is sent.

use std::collections::BTreeSet;
use std::path::PathBuf;

use deskbridge_zendesk_sim::{Plan, SimConfig};
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{Auth, Env, start};

const DYNAMIC_MAPS: &[&str] = &["user_fields", "organization_fields", "custom", "from", "to"];

fn samples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/zendesk")
}

fn text(name: &str) -> String {
    std::fs::read_to_string(samples_dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn sample(name: &str) -> Value {
    serde_json::from_str(&text(name)).unwrap()
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Collects the (path, type) pairs of a value.
pub fn shape(v: &Value, path: &str, out: &mut BTreeSet<(String, &'static str)>) {
    out.insert((path.to_owned(), kind(v)));
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = format!("{path}.{k}");
                if DYNAMIC_MAPS.contains(&k.as_str()) {
                    out.insert((p, kind(x)));
                } else {
                    shape(x, &p, out);
                }
            }
        }
        Value::Array(a) => {
            for x in a {
                shape(x, &format!("{path}[]"), out);
            }
        }
        _ => {}
    }
}

/// Panics unless the candidates hold every (path, type) pair of the sample.
pub fn assert_covers(name: &str, sample: &Value, candidates: &[Value]) {
    let mut want = BTreeSet::new();
    shape(sample, "$", &mut want);
    let mut have = BTreeSet::new();
    for c in candidates {
        shape(c, "$", &mut have);
    }
    let missing: Vec<_> = want.difference(&have).collect();
    assert!(missing.is_empty(), "{name}: simulator lacks {missing:#?}");
}

fn covers(covered: &mut Vec<String>, name: &str, candidates: &[Value]) {
    assert_covers(name, &sample(name), candidates);
    covered.push(name.to_owned());
}

async fn api(
    env: &Env,
    i: usize,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> crate::common::Resp {
    env.send(
        method,
        &env.site(i, &format!("/api/v2{path}")),
        &env.admin(i),
        body,
    )
    .await
}

#[tokio::test]
async fn every_sample_matches_simulator_output() {
    let env = start(SimConfig {
        seed: 11,
        accounts: 3,
        tickets: 150,
        plan: Some(Plan::Enterprise),
        ..SimConfig::default()
    })
    .await;
    let mut covered: Vec<String> = Vec::new();
    let c = &mut covered;

    // Lists, cursor and offset.
    let mut pages = Vec::new();
    for i in 0..3 {
        pages.push(env.get_ok(i, "/tickets.json?page[size]=1").await);
        let mut url = env.site(i, "/api/v2/tickets.json?page[size]=100");
        loop {
            let v = env.get(&url, &env.admin(i)).await.json();
            let more = v["meta"]["has_more"].as_bool().unwrap();
            url = v["links"]["next"].as_str().unwrap().to_owned();
            pages.push(v);
            if !more {
                break;
            }
        }
    }
    covers(c, "tickets_list_cursor_page_size1.json", &pages);
    covers(c, "tickets_list_cursor_last_page.json", &pages);
    let offset = vec![
        env.get_ok(0, "/tickets.json").await,
        env.get_ok(0, "/tickets.json?page=2").await,
    ];
    covers(c, "tickets_list_offset_page.json", &offset);

    let mut exports = Vec::new();
    for i in 0..3 {
        for q in [
            "/incremental/tickets/cursor.json?start_time=0",
            "/incremental/tickets/cursor.json?per_page=1&start_time=0",
        ] {
            exports.push(env.get_ok(i, q).await);
        }
    }
    covers(c, "incremental_tickets_cursor_page.json", &exports);
    covers(
        c,
        "incremental_tickets_cursor_page_per_page1.json",
        &exports,
    );
    let mut times = Vec::new();
    for i in 0..3 {
        times.push(
            env.get_ok(i, "/incremental/tickets.json?start_time=0")
                .await,
        );
        times.push(
            env.get_ok(i, "/incremental/tickets.json?per_page=1&start_time=0")
                .await,
        );
    }
    covers(c, "incremental_tickets_time_based_page.json", &times);
    covers(
        c,
        "incremental_tickets_time_based_per_page1_boundary.json",
        &times,
    );
    let users_time = vec![
        env.get_ok(0, "/incremental/users.json?per_page=1&start_time=0")
            .await,
        env.get_ok(1, "/incremental/users.json?start_time=0").await,
    ];
    covers(
        c,
        "incremental_users_time_based_per_page1.json",
        &users_time,
    );
    let users_cursor = vec![
        env.get_ok(0, "/incremental/users/cursor.json?start_time=0&per_page=1")
            .await,
        env.get_ok(2, "/incremental/users/cursor.json?start_time=0")
            .await,
    ];
    covers(c, "incremental_users_cursor_per_page1.json", &users_cursor);

    let mut comments = Vec::new();
    for id in 1..=60 {
        let r = api(
            &env,
            0,
            Method::GET,
            &format!("/tickets/{id}/comments.json?include_inline_images=false&page[size]=100"),
            None,
        )
        .await;
        if r.status == 200 {
            comments.push(r.json());
        }
    }
    covers(c, "ticket_comments_cursor_page.json", &comments);

    let mut users = Vec::new();
    for i in 0..2 {
        users.push(env.get_ok(i, "/users.json?page[size]=1").await);
        users.push(env.get_ok(i, "/users.json?page[size]=100").await);
    }
    covers(c, "users_list_cursor_page_size1.json", &users);
    covers(c, "users_list_cursor_page.json", &users);
    for (name, path) in [
        (
            "organizations_list_cursor_page.json",
            "/organizations.json?page[size]=100",
        ),
        (
            "groups_list_cursor_page.json",
            "/groups.json?page[size]=100",
        ),
        (
            "group_memberships_list_cursor_page.json",
            "/group_memberships.json?page[size]=100",
        ),
        ("tags_list_cursor_page.json", "/tags.json?page[size]=100"),
        ("custom_statuses_list.json", "/custom_statuses"),
        ("ticket_fields_list.json", "/ticket_fields"),
    ] {
        let got = vec![env.get_ok(0, path).await, env.get_ok(1, path).await];
        covers(c, name, &got);
    }

    // Custom role (Enterprise): the system Admin role.
    let roles = env.get_ok(0, "/custom_roles").await;
    let admin_role = roles["custom_roles"][0]["id"].as_i64().unwrap();
    covers(
        c,
        "custom_role_show.json",
        &[env
            .get_ok(0, &format!("/custom_roles/{admin_role}.json"))
            .await],
    );

    // Side-loads on the older account (zsim3).
    let mut shows = Vec::new();
    for id in 1..=40 {
        let r = api(
            &env,
            2,
            Method::GET,
            &format!("/tickets/{id}.json?include=users,groups,dates"),
            None,
        )
        .await;
        if r.status == 200 {
            shows.push(r.json());
        }
    }
    covers(c, "ticket_show_sideload_users_groups.json", &shows);

    // Writes: the recorded requests, with our upload token.
    let r = env
        .http
        .post(env.site(0, "/api/v2/uploads.json?filename=README.md"))
        .basic_auth(
            format!("{}/token", env.account(0).admin_email),
            Some(env.account(0).api_token),
        )
        .header("content-type", "application/binary")
        .body("# readme\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let upload: Value = r.json().await.unwrap();
    covers(
        c,
        "upload_create_response_201.json",
        std::slice::from_ref(&upload),
    );
    let mut req = sample("ticket_create_request.json");
    req["ticket"]["comment"]["uploads"] = upload["upload"]["token"].clone();
    let created = api(&env, 0, Method::POST, "/tickets.json", Some(&req)).await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert!(created.header("location").unwrap().ends_with(".json"));
    covers(c, "ticket_create_request.json", &[req.clone()]);
    covers(c, "ticket_create_response_201.json", &[created.json()]);
    let id = created.json()["ticket"]["id"].as_i64().unwrap();
    let body = json!({"ticket": {"subject": "test changed", "description": "ignored", "id": id}});
    let updated = api(
        &env,
        0,
        Method::PUT,
        &format!("/tickets/{id}.json"),
        Some(&body),
    )
    .await;
    assert_eq!(updated.status, 200, "{}", updated.text);
    covers(c, "ticket_update_response_200.json", &[updated.json()]);
    let user = api(
        &env,
        0,
        Method::POST,
        "/users.json",
        Some(&json!({"user": {"name": "testUser"}})),
    )
    .await;
    assert_eq!(user.status, 201, "{}", user.text);
    covers(c, "user_create_response_201.json", &[user.json()]);
    let cs = api(&env, 0, Method::POST, "/custom_statuses.json", Some(&json!({"custom_status": {"status_category": "open", "agent_label": "agent", "end_user_label": "end"}}))).await;
    assert_eq!(cs.status, 201, "{}", cs.text);
    covers(c, "custom_status_create_response.json", &[cs.json()]);
    let wh = api(&env, 0, Method::POST, "/webhooks", Some(&json!({"webhook": {"name": "Example Webhook", "description": "Description", "status": "active", "subscriptions": ["conditional_ticket_events"], "endpoint": "https://example.com", "http_method": "GET", "request_format": "json", "authentication": {"type": "basic_auth", "data": {"username": "john_smith", "password": "secret"}, "add_position": "header"}}}))).await;
    assert_eq!(wh.status, 201, "{}", wh.text);
    let wid = wh.json()["webhook"]["id"].as_str().unwrap().to_owned();
    assert_eq!(wid.len(), 26);
    let shown = env.get_ok(0, &format!("/webhooks/{wid}")).await;
    assert!(
        shown["webhook"]["authentication"]["data"]
            .get("password")
            .is_none()
    );
    covers(c, "webhook_show.json", &[shown]);

    crate::conformance_errors::errors_and_headers(&env, c).await;

    let mut all: Vec<String> = std::fs::read_dir(samples_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n != "README.md")
        .collect();
    all.sort();
    let missing: Vec<_> = all.iter().filter(|n| !covered.contains(n)).collect();
    assert!(missing.is_empty(), "samples not covered: {missing:?}");
    let _ = Auth::None;
}

/// Sample text, for the error checks.
pub fn sample_text(name: &str) -> String {
    text(name)
}

/// Parsed sample, for the error checks.
pub fn sample_json(name: &str) -> Value {
    sample(name)
}
