//! "What changed since T": lists filtered by `modified_after` page in `(modified_at, id)`
//! order (served by one index whatever share of rows matches). A walk misses nothing and
//! repeats no version of a record, even when records change mid-walk (a changed record comes
//! again, with its new state, at the end); `previous` goes back over the same order; and a
//! cursor minted under the other order is a 400, not a silently wrong position.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::TestApp;
use deskbridge_freshdesk_sim::SimConfig;
use serde_json::{Value, json};

const PAGE: usize = 7;

async fn patch_name(app: &TestApp, token: &str, id: &str, name: &str) {
    let path = format!("/api/ticketing/v1/tickets/{id}");
    let res = app
        .http
        .patch(format!("{}{path}", app.base))
        .bearer_auth(&app.api_key)
        .header("X-Account-Token", token)
        .json(&json!({"model": {"name": name}}))
        .send()
        .await
        .expect("patch");
    let (status, body) = common::checked("PATCH", &path, res).await;
    assert_eq!(status, 200, "{body}");
}

fn key(t: &Value) -> (String, String) {
    (
        t["modified_at"].as_str().expect("modified_at").to_string(),
        t["id"].as_str().expect("id").to_string(),
    )
}

fn ids(page: &Value) -> Vec<String> {
    page["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|t| t["id"].as_str().expect("id").to_string())
        .collect()
}

#[tokio::test]
async fn modified_after_walk_misses_nothing_and_refuses_foreign_cursors() {
    let app = TestApp::start(SimConfig {
        seed: 77,
        accounts: 1,
        tickets: 40,
        conversations_per_ticket: 0.5,
        ..SimConfig::default()
    })
    .await;
    let (token, la) = app.link(0).await;
    assert_eq!(app.wait_synced(la).await, "DONE");

    // T: the 10th oldest modification, so most (not all) tickets match.
    let all = app.list_all("/api/ticketing/v1/tickets", &token).await;
    let mut by_modified: Vec<(String, String)> = all.iter().map(key).collect();
    by_modified.sort();
    assert!(by_modified.len() >= 30, "{} tickets", by_modified.len());
    let t = by_modified[9].0.clone();
    let matching: BTreeSet<String> = by_modified
        .iter()
        .filter(|(m, _)| *m > t)
        .map(|(_, id)| id.clone())
        .collect();
    let not_matching: Vec<String> = by_modified
        .iter()
        .filter(|(m, _)| *m <= t)
        .map(|(_, id)| id.clone())
        .collect();
    assert!(matching.len() > 3 * PAGE && !not_matching.is_empty());
    let path = format!(
        "/api/ticketing/v1/tickets?page_size={PAGE}&modified_after={}",
        t.replace('+', "%2B")
    );

    // A cursor from the created_at order is refused under the modified_at order, and back.
    let (_, plain) = app
        .get(
            &format!("/api/ticketing/v1/tickets?page_size={PAGE}"),
            Some(&token),
        )
        .await;
    let plain_next = plain["next"].as_str().expect("plain next").to_string();
    let (status, body) = app
        .get(&format!("{path}&cursor={plain_next}"), Some(&token))
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("cursor"), "{body}");

    // The walk. After its first page, three tickets change: one already returned, one not yet
    // returned, and one that did not match T at all.
    let (status, first) = app.get(&path, Some(&token)).await;
    assert_eq!(status, 200, "{first}");
    let first_next = first["next"].as_str().expect("next").to_string();
    let (status, body) = app
        .get(
            &format!("/api/ticketing/v1/tickets?page_size={PAGE}&cursor={first_next}"),
            Some(&token),
        )
        .await;
    assert_eq!(status, 400, "a modified_at cursor on a plain list: {body}");
    let (status, body) = app
        .get(
            &format!("/api/ticketing/v1/contacts?page_size={PAGE}&cursor={first_next}"),
            Some(&token),
        )
        .await;
    assert_eq!(status, 400, "on another model's plain list: {body}");

    let first_ids = ids(&first);
    let returned_early = first_ids[0].clone();
    let not_yet = matching
        .iter()
        .find(|id| !first_ids.contains(id))
        .expect("a matching ticket past page 1")
        .clone();
    let newly_matching = not_matching[0].clone();
    let changed: BTreeMap<String, String> = [&returned_early, &not_yet, &newly_matching]
        .into_iter()
        .enumerate()
        .map(|(i, id)| (id.clone(), format!("changed mid-walk {i}")))
        .collect();

    let mut seen: Vec<Value> = first["results"].as_array().expect("results").clone();
    let mut cursor = Some(first_next);
    let mut pages = 1;
    let mut second: Option<(Value, String)> = None;
    while let Some(c) = cursor {
        if pages == 1 {
            for (id, name) in &changed {
                patch_name(&app, &token, id, name).await;
            }
        }
        let (status, page) = app.get(&format!("{path}&cursor={c}"), Some(&token)).await;
        assert_eq!(status, 200, "{page}");
        pages += 1;
        if pages == 2 {
            second = Some((page.clone(), c.clone()));
        }
        seen.extend(page["results"].as_array().expect("results").iter().cloned());
        cursor = page["next"].as_str().map(String::from);
    }

    // In (modified_at, id) order, each version of a record at most once.
    let keys: Vec<(String, String)> = seen.iter().map(key).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "pages come in (modified_at, id) order");
    let versions: BTreeSet<&(String, String)> = keys.iter().collect();
    assert_eq!(versions.len(), keys.len(), "no version repeated");
    assert!(
        keys.iter().all(|(m, _)| *m > t),
        "only records modified after T"
    );

    // Nothing missed: every record that matched at the start, and every record changed
    // during the walk, in its final state.
    let seen_ids: BTreeSet<String> = keys.iter().map(|(_, id)| id.clone()).collect();
    let expected: BTreeSet<String> = matching.iter().chain(changed.keys()).cloned().collect();
    assert_eq!(seen_ids, expected);
    for (id, name) in &changed {
        let last = seen
            .iter()
            .rev()
            .find(|r| r["id"].as_str() == Some(id))
            .expect("changed ticket seen");
        assert_eq!(last["name"], json!(name), "{id} in its final state");
    }
    // Repeated: only the ticket that had been returned before it changed.
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, id) in &keys {
        *counts.entry(id.as_str()).or_default() += 1;
    }
    let repeated: Vec<&str> = counts
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(id, _)| *id)
        .collect();
    assert_eq!(repeated, vec![returned_early.as_str()]);

    // `previous` from the second page goes back over the same order. Page 1 as it is now:
    // the ticket that changed has moved to the end, so the rest of page 1 comes back.
    let (second, _) = second.expect("a second page");
    let prev = second["previous"].as_str().expect("previous").to_string();
    let (status, back) = app
        .get(&format!("{path}&cursor={prev}"), Some(&token))
        .await;
    assert_eq!(status, 200, "{back}");
    let expected_back: Vec<String> = first_ids
        .iter()
        .filter(|id| !changed.contains_key(*id))
        .cloned()
        .collect();
    assert_eq!(ids(&back), expected_back);
    assert!(back["previous"].is_null(), "nothing before the first page");

    // modified_before pages in the same order, and its cursors work with it.
    let before = by_modified[20].0.clone();
    let walk = app
        .list_all(
            &format!(
                "/api/ticketing/v1/tickets?page_size=4&modified_before={}",
                before.replace('+', "%2B")
            ),
            &token,
        )
        .await;
    let walk_keys: Vec<(String, String)> = walk.iter().map(key).collect();
    let mut expected_keys: Vec<(String, String)> = by_modified
        .iter()
        .filter(|(m, id)| *m < before && !changed.contains_key(id))
        .cloned()
        .collect();
    expected_keys.sort();
    assert_eq!(walk_keys, expected_keys);
    app.stop().await;
}
