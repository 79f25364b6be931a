//! Incremental exports: time-based pages never split a second, cursor exports end with
//! `end_of_stream`, deleted tickets, too-recent start times, admin only.

use std::collections::{BTreeMap, BTreeSet};

use deskbridge_zendesk_sim::SimConfig;
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{Auth, Env, small, start};

fn gts(t: &Value) -> i64 {
    t["generated_timestamp"].as_i64().unwrap()
}

async fn all_export_tickets(env: &Env) -> Vec<Value> {
    env.control(
        Method::GET,
        &format!("/accounts/{}/data", env.account(0).subdomain),
        None,
    )
    .await
    .json()["tickets"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn time_based_export_never_splits_a_second() {
    let env = start(small(1, 80)).await;
    let all = all_export_tickets(&env).await;
    let mut per_second: BTreeMap<i64, usize> = BTreeMap::new();
    for t in &all {
        *per_second.entry(gts(t)).or_default() += 1;
    }
    assert!(
        per_second.values().any(|n| *n >= 5),
        "the data has crowded seconds"
    );
    let mut url = env.site(
        0,
        "/api/v2/incremental/tickets.json?per_page=2&start_time=0",
    );
    let mut seen = BTreeSet::new();
    let mut bigger_than_per_page = false;
    for _ in 0..200 {
        let v = env.get(&url, &env.admin(0)).await.json();
        let page = v["tickets"].as_array().unwrap();
        assert_eq!(v["count"].as_u64().unwrap() as usize, page.len());
        bigger_than_per_page |= page.len() > 2;
        let mut on_page: BTreeMap<i64, usize> = BTreeMap::new();
        for t in page {
            *on_page.entry(gts(t)).or_default() += 1;
            seen.insert(t["id"].as_i64().unwrap());
        }
        for (second, n) in on_page {
            assert_eq!(n, per_second[&second], "second {second} split across pages");
        }
        let end_time = v["end_time"].as_i64().unwrap();
        assert!(
            v["next_page"]
                .as_str()
                .unwrap()
                .ends_with(&format!("start_time={end_time}"))
        );
        if v["end_of_stream"] == true {
            assert_eq!(
                end_time,
                page.iter().map(gts).max().unwrap(),
                "end_time = last second at the end"
            );
            break;
        }
        url = v["next_page"].as_str().unwrap().to_owned();
    }
    assert!(
        bigger_than_per_page,
        "a crowded second makes a page exceed per_page"
    );
    assert_eq!(seen.len(), all.len(), "every ticket exported");
}

#[tokio::test]
async fn more_than_1000_items_in_one_second_repeat_the_same_start_time() {
    let env = start(SimConfig {
        tickets: 1005,
        comments_per_ticket: 1.0,
        end_users: 5,
        ..small(1, 1005)
    })
    .await;
    let sub = env.account(0).subdomain;
    let second = 1_600_000_000;
    for id in 1..=1003 {
        env.control(
            Method::POST,
            &format!("/accounts/{sub}/tickets/{id}/touch"),
            Some(&json!({"generated_timestamp": second})),
        )
        .await;
    }
    let v = env
        .get_ok(0, &format!("/incremental/tickets.json?start_time={second}"))
        .await;
    assert_eq!(v["count"], 1000);
    assert_eq!(v["end_time"], second);
    assert_eq!(v["end_of_stream"], false);
    assert!(
        v["next_page"]
            .as_str()
            .unwrap()
            .ends_with(&format!("start_time={second}")),
        "the loop clients must guard against"
    );
    // The cursor export gets past it.
    let c = env
        .get_ok(
            0,
            &format!("/incremental/tickets/cursor.json?start_time={second}"),
        )
        .await;
    assert_eq!(c["tickets"].as_array().unwrap().len(), 1000);
    let next = env
        .get(c["after_url"].as_str().unwrap(), &env.admin(0))
        .await
        .json();
    assert!(next["tickets"].as_array().unwrap().len() >= 3);
}

#[tokio::test]
async fn cursor_export_walks_to_end_of_stream_and_resumes() {
    let env = start(small(1, 50)).await;
    let all = all_export_tickets(&env).await;
    let mut url = env.site(
        0,
        "/api/v2/incremental/tickets/cursor.json?per_page=7&start_time=0",
    );
    let mut seen = Vec::new();
    let mut last_cursor = String::new();
    loop {
        let v = env.get(&url, &env.admin(0)).await.json();
        let page = v["tickets"].as_array().unwrap();
        seen.extend(page.iter().map(|t| t["id"].as_i64().unwrap()));
        last_cursor = v["after_cursor"]
            .as_str()
            .unwrap_or(&last_cursor)
            .to_owned();
        if v["end_of_stream"] == true {
            break;
        }
        assert_eq!(page.len(), 7, "exactly per_page items");
        url = v["after_url"].as_str().unwrap().to_owned();
        assert!(url.contains("per_page=7"));
    }
    assert_eq!(seen.len(), all.len());
    assert_eq!(
        seen.iter().collect::<BTreeSet<_>>().len(),
        all.len(),
        "each once"
    );
    let deleted = all.iter().filter(|t| t["status"] == "deleted").count();
    assert!(
        deleted >= 2,
        "deleted tickets are exported with status deleted"
    );
    assert!(
        all.iter()
            .any(|t| t["subject"] == "SCRUBBED" && t["description"] == "X")
    );
    let kept = env
        .get_ok(
            0,
            "/incremental/tickets/cursor.json?start_time=0&exclude_deleted=true",
        )
        .await;
    assert_eq!(
        kept["tickets"].as_array().unwrap().len(),
        all.len() - deleted
    );
    // Resume: nothing new, then an update shows up after the stored cursor.
    let resume = format!(
        "/incremental/tickets/cursor.json?cursor={}",
        urlencode(&last_cursor)
    );
    let v = env.get_ok(0, &resume).await;
    assert_eq!(v["tickets"].as_array().unwrap().len(), 0);
    assert_eq!(v["end_of_stream"], true);
    assert_eq!(v["after_cursor"], last_cursor.as_str());
    let open = crate::conformance_errors::open_ticket(&env, 0).await;
    let r = env
        .send(
            Method::PUT,
            &env.site(0, &format!("/api/v2/tickets/{open}.json")),
            &env.admin(0),
            Some(&json!({"ticket": {"priority": "urgent"}})),
        )
        .await;
    assert_eq!(r.status, 200);
    let v = env.get_ok(0, &resume).await;
    assert_eq!(ids(&v), vec![open]);
}

fn urlencode(s: &str) -> String {
    s.replace('=', "%3D")
        .replace('+', "%2B")
        .replace('/', "%2F")
}

pub fn ids(v: &Value) -> Vec<i64> {
    v["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn too_recent_start_time_and_admin_only() {
    let env = start(small(1, 10)).await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    for q in [
        format!("start_time={}", now - 30),
        format!("start_time={}", now + 3600),
    ] {
        let r = env
            .get(
                &env.site(0, &format!("/api/v2/incremental/tickets/cursor.json?{q}")),
                &env.admin(0),
            )
            .await;
        assert_eq!(r.status, 422, "{q}");
        assert_eq!(r.json()["error"], "InvalidValue");
    }
    let ok = env
        .get(
            &env.site(
                0,
                &format!(
                    "/api/v2/incremental/users/cursor.json?start_time={}",
                    now - 120
                ),
            ),
            &env.admin(0),
        )
        .await;
    assert_eq!(ok.status, 200);
    let a = env.account(0);
    let agent = Auth::Token(a.agent_email, a.api_token);
    let r = env
        .get(
            &env.site(0, "/api/v2/incremental/tickets.json?start_time=0"),
            &agent,
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(
        env.get(&env.site(0, "/api/v2/tickets.json"), &agent)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn system_updates_move_generated_timestamp_but_not_updated_at() {
    let env = start(small(1, 10)).await;
    let sub = env.account(0).subdomain;
    let before = env.get_ok(0, "/tickets/2.json").await["ticket"]["updated_at"].clone();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    env.control(
        Method::POST,
        &format!("/accounts/{sub}/tickets/2/touch"),
        Some(&json!({"generated_timestamp": now - 100})),
    )
    .await;
    let v = env
        .get_ok(
            0,
            &format!("/incremental/tickets/cursor.json?start_time={}", now - 110),
        )
        .await;
    let t = v["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == 2)
        .unwrap()
        .clone();
    assert_eq!(
        t["updated_at"], before,
        "updated_at may be older than start_time"
    );
    assert_eq!(t["generated_timestamp"], now - 100);
}
