//! Cursor and offset lists, archived tickets, ids, suffixes and side-loads.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::Value;

use crate::common::{Env, small, start};

fn ids(items: &[Value]) -> Vec<i64> {
    items.iter().map(|t| t["id"].as_i64().unwrap()).collect()
}

async fn snapshot(env: &Env, i: usize) -> Value {
    env.control(
        Method::GET,
        &format!("/accounts/{}/data", env.account(i).subdomain),
        None,
    )
    .await
    .json()
}

#[tokio::test]
async fn cursor_walk_sees_every_record_once() {
    let env = start(small(1, 60)).await;
    let data = snapshot(&env, 0).await;
    let hidden: BTreeSet<i64> = data["archived_ticket_ids"]
        .as_array()
        .unwrap()
        .iter()
        .chain(data["deleted_ticket_ids"].as_array().unwrap())
        .map(|v| v.as_i64().unwrap())
        .collect();
    let expected: Vec<i64> = ids(data["tickets"].as_array().unwrap())
        .into_iter()
        .filter(|id| !hidden.contains(id))
        .collect();
    let walked = ids(&env.walk(0, "/tickets.json?page[size]=7", "tickets").await);
    assert_eq!(walked, expected, "each live ticket once, in nice_id order");
    for (path, root, n) in [
        (
            "/users.json?page[size]=9",
            "users",
            data["users"].as_array().unwrap().len(),
        ),
        (
            "/groups.json?page[size]=1",
            "groups",
            data["groups"].as_array().unwrap().len(),
        ),
        (
            "/organizations.json?page[size]=2",
            "organizations",
            data["organizations"].as_array().unwrap().len(),
        ),
        (
            "/group_memberships.json?page[size]=3",
            "group_memberships",
            data["group_memberships"].as_array().unwrap().len(),
        ),
    ] {
        let got = ids(&env.walk(0, path, root).await);
        let unique: BTreeSet<i64> = got.iter().copied().collect();
        assert_eq!(got.len(), n, "{path}");
        assert_eq!(unique.len(), n, "{path}: duplicates");
    }
    // Groups are ordered by name, then id.
    let groups = env.walk(0, "/groups.json?page[size]=2", "groups").await;
    let names: Vec<&str> = groups.iter().map(|g| g["name"].as_str().unwrap()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    // Comments of a ticket, one per page.
    let t = expected[0];
    let all = env.get_ok(0, &format!("/tickets/{t}/comments.json")).await["comments"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(
        env.walk(
            0,
            &format!("/tickets/{t}/comments.json?page[size]=1"),
            "comments"
        )
        .await
        .len(),
        all
    );
}

#[tokio::test]
async fn cursor_pages_link_both_ways_and_keep_next_on_the_last_page() {
    let env = start(small(1, 30)).await;
    let first = env.get_ok(0, "/tickets.json?page[size]=5").await;
    assert_eq!(first["meta"]["has_more"], true);
    let next = env
        .get(first["links"]["next"].as_str().unwrap(), &env.admin(0))
        .await
        .json();
    let prev = env
        .get(next["links"]["prev"].as_str().unwrap(), &env.admin(0))
        .await
        .json();
    assert_eq!(
        ids(prev["tickets"].as_array().unwrap()),
        ids(first["tickets"].as_array().unwrap())
    );
    let site = env.handle.site(&env.account(0).subdomain);
    assert!(
        first["links"]["next"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{site}/api/v2/tickets.json?page%5Bafter%5D="))
    );
    let last = env.get_ok(0, "/tickets.json?page[size]=100").await;
    assert_eq!(last["meta"]["has_more"], false);
    assert!(
        last["links"]["next"].is_string(),
        "links.next stays on the last page"
    );
    let big = env
        .get(
            &env.site(0, "/api/v2/tickets.json?page[size]=101"),
            &env.admin(0),
        )
        .await;
    assert_eq!(big.status, 400);
    let bad = env
        .get(
            &env.site(0, "/api/v2/tickets.json?page[size]=5&page[after]=xyz"),
            &env.admin(0),
        )
        .await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn offset_paging_answers_400_past_10000_records() {
    let env = start(small(1, 30)).await;
    let page = env.get_ok(0, "/tickets.json?per_page=10").await;
    assert!(page["count"].as_i64().unwrap() > 10);
    assert!(page["next_page"].as_str().unwrap().contains("page=2"));
    assert!(page["previous_page"].is_null());
    let ok = env
        .get(
            &env.site(0, "/api/v2/tickets.json?page=100&per_page=100"),
            &env.admin(0),
        )
        .await;
    assert_eq!(ok.status, 200);
    for q in [
        "page=101&per_page=100",
        "page=201&per_page=50",
        "page=10001&per_page=1",
    ] {
        let r = env
            .get(
                &env.site(0, &format!("/api/v2/tickets.json?{q}")),
                &env.admin(0),
            )
            .await;
        assert_eq!(r.status, 400, "{q}");
        assert_eq!(r.json()["error"], "InvalidPaginationParameter");
        let r = env
            .get(
                &env.site(0, &format!("/api/v2/users.json?{q}")),
                &env.admin(0),
            )
            .await;
        assert_eq!(r.status, 400, "{q}");
    }
}

#[tokio::test]
async fn archived_ticket_vanishes_from_the_list_but_not_from_show_or_exports() {
    let env = start(small(1, 20)).await;
    let sub = env.account(0).subdomain;
    let id = env.get_ok(0, "/tickets.json?page[size]=1").await["tickets"][0]["id"]
        .as_i64()
        .unwrap();
    let r = env
        .control(
            Method::POST,
            &format!("/accounts/{sub}/tickets/{id}/archive"),
            None,
        )
        .await;
    assert_eq!(r.status, 204);
    let listed = ids(&env.walk(0, "/tickets.json?page[size]=100", "tickets").await);
    assert!(!listed.contains(&id));
    let offset = ids(env.get_ok(0, "/tickets.json").await["tickets"]
        .as_array()
        .unwrap());
    assert!(!offset.contains(&id));
    let shown = env.get_ok(0, &format!("/tickets/{id}.json")).await;
    assert_eq!(shown["ticket"]["status"], "closed");
    let export = env
        .get_ok(0, "/incremental/tickets/cursor.json?start_time=0")
        .await;
    assert!(ids(export["tickets"].as_array().unwrap()).contains(&id));
    let time = env
        .get_ok(0, "/incremental/tickets.json?start_time=0")
        .await;
    assert!(ids(time["tickets"].as_array().unwrap()).contains(&id));
}

#[tokio::test]
async fn ids_suffixes_and_side_loads() {
    let env = start(small(1, 20)).await;
    let users = env.get_ok(0, "/users.json?page[size]=100").await;
    let roles: BTreeSet<&str> = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["role"].as_str().unwrap())
        .collect();
    assert_eq!(
        roles,
        BTreeSet::from(["admin", "agent", "end-user"]),
        "one list for all roles"
    );
    for u in users["users"].as_array().unwrap() {
        assert_eq!(u["id"].as_i64().unwrap().to_string().len(), 14);
    }
    for path in [
        "/groups.json",
        "/organizations.json",
        "/group_memberships.json",
    ] {
        let v = env.get_ok(0, path).await;
        let root = path.trim_start_matches('/').trim_end_matches(".json");
        assert_eq!(
            v[root][0]["id"].as_i64().unwrap().to_string().len(),
            14,
            "{path}"
        );
    }
    let with = env.get_ok(0, "/tickets/3.json").await;
    let without = env.get_ok(0, "/tickets/3").await;
    assert_eq!(with, without);
    assert_eq!(with["ticket"]["id"], 3);
    let c = env.get_ok(0, "/tickets/3/comments.json").await;
    assert_eq!(
        c["comments"][0]["id"].as_i64().unwrap().to_string().len(),
        14
    );
    let s = env.get_ok(0, "/tickets/3.json?include=users,groups").await;
    let t = &s["ticket"];
    let user_ids: Vec<i64> = ids(s["users"].as_array().unwrap());
    assert!(user_ids.contains(&t["requester_id"].as_i64().unwrap()));
    assert!(s["groups"].is_array());
    let statuses = env.get_ok(0, "/custom_statuses").await;
    let cats: BTreeSet<&str> = statuses["custom_statuses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status_category"].as_str().unwrap())
        .collect();
    assert_eq!(
        cats,
        BTreeSet::from(["hold", "new", "open", "pending", "solved"])
    );
    let open = env
        .get_ok(0, "/custom_statuses?status_categories=open&active=true")
        .await;
    assert!(
        open["custom_statuses"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["status_category"] == "open")
    );
    let r = env
        .get(&env.site(0, "/api/v2/tickets/999999.json"), &env.admin(0))
        .await;
    assert_eq!(r.status, 404);
}
