//! Link headers, the 300-page cap, per_page limits, the 30-day window and updated_since syncs.

use deskbridge_freshdesk_sim::SimConfig;
use serde_json::Value;

use crate::common::start;

fn ts(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn link_header_only_when_a_next_page_exists() {
    let env = start(SimConfig {
        seed: 3,
        tickets: 250,
        ..SimConfig::default()
    })
    .await;
    let key = env.key(0);
    let base = "/api/v2/tickets?updated_since=2000-01-01T00:00:00Z&per_page=7";
    let all = env.get_all(base, &key).await;
    let total = all.len();
    assert!(
        total > 200,
        "most tickets are neither deleted nor spam: {total}"
    );
    let last_page = total.div_ceil(7);
    let r = env.get(&format!("{base}&page={last_page}"), &key).await;
    assert_eq!(r.status, 200);
    assert!(r.header("link").is_none(), "no Link on the last page");
    let r = env
        .get(&format!("{base}&page={}", last_page - 1), &key)
        .await;
    let link = r.header("link").expect("Link before the last page");
    assert_eq!(
        link,
        format!(
            "<{}{base}&page={last_page}>; rel=\"next\"",
            env.handle.base_url
        ),
        "same query in the original order, page replaced"
    );
    // page given first is replaced in place.
    let r = env
        .get(
            "/api/v2/tickets?page=1&updated_since=2000-01-01T00:00:00Z&per_page=7",
            &key,
        )
        .await;
    assert!(
        r.header("link")
            .unwrap()
            .contains("/api/v2/tickets?page=2&updated_since=2000-01-01T00:00:00Z&per_page=7>")
    );
    // an exact multiple: the last full page has no Link.
    let n = env.get_all("/api/v2/agents?per_page=4", &key).await.len();
    assert_eq!(n, 8);
    assert!(
        env.get("/api/v2/agents?per_page=4&page=2", &key)
            .await
            .header("link")
            .is_none()
    );
    assert!(
        env.get("/api/v2/agents?per_page=4&page=1", &key)
            .await
            .header("link")
            .is_some()
    );
    let r = env
        .get("/api/v2/tickets/1/conversations?per_page=100&page=5", &key)
        .await;
    assert_eq!(r.text, "[]");
    assert!(r.header("link").is_none());
}

#[tokio::test]
async fn page_cap_per_page_cap_and_unknown_params() {
    let env = start(SimConfig {
        seed: 3,
        tickets: 20,
        ..SimConfig::default()
    })
    .await;
    let key = env.key(0);
    let r = env.get("/api/v2/tickets?page=301", &key).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.text,
        r#"{"description":"Validation failed","errors":[{"field":"page","message":"You cannot access tickets beyond the 300th page. Please provide a smaller page number.","code":"invalid_value"}]}"#
    );
    assert_eq!(env.get("/api/v2/tickets?page=300", &key).await.status, 200);
    let r = env.get("/api/v2/tickets?per_page=101", &key).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.text,
        r#"{"description":"Validation failed","errors":[{"field":"per_page","message":"It should be a Positive Integer less than or equal to 100","code":"invalid_value"}]}"#
    );
    let r = env.get("/api/v2/contacts?per_page=101", &key).await;
    assert_eq!(r.status, 400);
    let r = env.get("/api/v2/tickets?per_pag=10", &key).await;
    assert_eq!(
        r.text,
        r#"{"description":"Validation failed","errors":[{"field":"per_pag","message":"Unexpected/invalid field in request","code":"invalid_field"}]}"#
    );
    let r = env.get("/api/v2/tickets?per_page=100", &key).await;
    assert!(r.json().as_array().unwrap().len() <= 20);
    // default page size 30
    let env2 = start(SimConfig {
        seed: 3,
        tickets: 80,
        contacts: Some(70),
        ..SimConfig::default()
    })
    .await;
    let r = env2.get("/api/v2/contacts", &env2.key(0)).await;
    assert_eq!(r.json().as_array().unwrap().len(), 30);
}

#[tokio::test]
async fn thirty_day_window_hides_old_tickets() {
    let env = start(SimConfig {
        seed: 5,
        tickets: 400,
        ..SimConfig::default()
    })
    .await;
    let key = env.key(0);
    let default = env.get_all("/api/v2/tickets?per_page=100", &key).await;
    let all = env
        .get_all(
            "/api/v2/tickets?per_page=100&updated_since=2000-01-01T00:00:00Z",
            &key,
        )
        .await;
    assert!(!default.is_empty());
    assert!(
        default.len() * 3 < all.len(),
        "window: {} of {}",
        default.len(),
        all.len()
    );
    let window_start = chrono::Utc::now()
        .date_naive()
        .checked_sub_months(chrono::Months::new(1))
        .unwrap();
    let start = format!("{window_start}T00:00:00Z");
    for t in &default {
        assert!(
            ts(t, "created_at") > start,
            "{} is older than the window",
            ts(t, "created_at")
        );
    }
    let old = all.iter().filter(|t| ts(t, "created_at") <= start).count();
    assert!(old > 0);
    // default order: created_at desc
    let created: Vec<String> = default.iter().map(|t| ts(t, "created_at")).collect();
    let mut sorted = created.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(created, sorted);
    // a filter lifts the window
    let requester = all.last().unwrap()["requester_id"].as_i64().unwrap();
    let mine = env
        .get_all(&format!("/api/v2/tickets?requester_id={requester}"), &key)
        .await;
    assert!(mine.iter().all(|t| t["requester_id"] == requester));
    assert!(
        mine.iter().any(|t| ts(t, "created_at") <= start)
            || mine.len()
                == all
                    .iter()
                    .filter(|t| t["requester_id"] == requester)
                    .count()
    );
}

#[tokio::test]
async fn updated_since_ascending_returns_every_ticket_in_order() {
    let env = start(SimConfig {
        seed: 9,
        tickets: 300,
        ..SimConfig::default()
    })
    .await;
    let key = env.key(0);
    let since = "2000-01-01T00:00:00%2B02:00";
    let items = env.get_all(&format!("/api/v2/tickets?updated_since={since}&order_by=updated_at&order_type=asc&per_page=25"), &key).await;
    let snap = env.sim.control().snapshot("sim1").unwrap();
    let visible: Vec<&Value> = snap
        .tickets
        .iter()
        .filter(|t| t["spam"] == false && t.get("deleted").is_none())
        .collect();
    assert_eq!(items.len(), visible.len());
    let keys: Vec<(String, i64)> = items
        .iter()
        .map(|t| (ts(t, "updated_at"), t["id"].as_i64().unwrap()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "ordered by (updated_at, id)");
    let mut ids: Vec<i64> = keys.iter().map(|k| k.1).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), items.len(), "no duplicates across pages");
    let same_second = keys.windows(2).filter(|w| w[0].0 == w[1].0).count();
    assert!(same_second > 0, "some tickets share an updated_at second");
    // updated_since is inclusive
    let mid = &keys[keys.len() / 2].0;
    let from_mid = env.get_all(&format!("/api/v2/tickets?updated_since={mid}&order_by=updated_at&order_type=asc&per_page=100"), &key).await;
    assert!(from_mid.iter().all(|t| ts(t, "updated_at") >= *mid));
    assert_eq!(from_mid.len(), keys.iter().filter(|k| k.0 >= *mid).count());
    let bad = env
        .get("/api/v2/tickets?updated_since=yesterday", &key)
        .await;
    assert_eq!(bad.status, 400);
}
