//! Incremental syncs cost what changed (issue 15): with nothing changed each listing is
//! called once (contacts twice) and no agent is viewed; an agent whose `updated_at` moved,
//! a new one and a deleted one are the only agents viewed. Fidelity: a ticket deleted or
//! marked spam after it was synced takes the helpdesk's `updated_at`; a child ticket whose
//! parent was spam from the start points to a stored, flagged parent.

mod common;

use std::collections::BTreeMap;

use common::TestApp;
use deskbridge_freshdesk_sim::SimConfig;
use serde_json::{Value, json};

/// Calls by resource the simulator served since its counters were reset.
fn calls(app: &TestApp, sub: &str) -> BTreeMap<String, u64> {
    app.sim.control().calls(sub).expect("calls")
}

/// The agents viewed (`GET agents/{id}`, not `agents/me`), with how often.
fn agent_views(c: &BTreeMap<String, u64>) -> BTreeMap<i64, u64> {
    c.iter()
        .filter_map(|(k, n)| Some((k.strip_prefix("GET agents/")?.parse().ok()?, *n)))
        .collect()
}

#[tokio::test]
async fn an_unchanged_incremental_sync_lists_each_model_once_and_views_no_agent() {
    let app = TestApp::start(SimConfig {
        seed: 31,
        accounts: 1,
        tickets: 80,
        conversations_per_ticket: 1.0,
        agents: 12,
        ..SimConfig::default()
    })
    .await;
    let (token, la) = app.link(0).await;
    assert_eq!(app.wait_synced(la).await, "DONE");
    let (sub, _) = app.sim_account(0);
    // The first incremental sync may re-read the last minute's tickets; the second is the
    // steady state of an idle account.
    assert_eq!(app.resync(&token, la).await, "DONE");
    app.sim.control().reset_counters(&sub).expect("reset");
    assert_eq!(app.resync(&token, la).await, "DONE");
    let c = calls(&app, &sub);
    println!("calls of an unchanged incremental sync: {c:?}");
    let expected: BTreeMap<String, u64> = [
        ("GET agents", 1),
        ("GET companies", 1),
        ("GET contacts", 1),
        ("GET contacts state=blocked", 1),
        ("GET groups", 1),
        ("GET roles", 1),
        ("GET ticket_fields", 1),
        ("GET tickets", 1),
        ("GET tickets filter=deleted", 1),
        ("GET tickets filter=spam", 1),
    ]
    .into_iter()
    .map(|(k, n)| (k.to_string(), n))
    .collect();
    assert_eq!(
        c, expected,
        "one call per listing, two for contacts, no views"
    );
    app.stop().await;
}

#[tokio::test]
async fn only_new_changed_and_vanished_agents_are_viewed() {
    let app = TestApp::start(SimConfig {
        seed: 32,
        accounts: 1,
        tickets: 30,
        conversations_per_ticket: 1.0,
        agents: 12,
        ..SimConfig::default()
    })
    .await;
    let (token, la) = app.link(0).await;
    assert_eq!(app.wait_synced(la).await, "DONE");
    let (sub, _) = app.sim_account(0);
    let ctl = app.sim.control();
    let initial = agent_views(&calls(&app, &sub));
    assert_eq!(
        initial.len(),
        12,
        "the first sync views every agent: {initial:?}"
    );
    let snap = ctl.snapshot(&sub).expect("snapshot");
    let ids: Vec<i64> = snap
        .agents
        .iter()
        .map(|a| a["id"].as_i64().expect("id"))
        .collect();
    let roles: Vec<i64> = snap
        .roles
        .iter()
        .map(|r| r["id"].as_i64().expect("id"))
        .collect();
    let (changed, removed) = (ids[3], ids[5]);
    let old_roles = snap.agents[3]["role_ids"].clone();
    let new_role = roles
        .iter()
        .copied()
        .find(|r| old_roles.as_array().is_none_or(|o| !o.contains(&json!(r))))
        .expect("a role the agent does not have");
    // Its roles change (only the view has them) and its updated_at moves.
    ctl.update_agent(&sub, changed, json!({"role_ids": [new_role]}))
        .expect("update agent");
    let added = ctl
        .add_agent(
            &sub,
            json!({"name": "Nora New", "email": "nora@example.com"}),
        )
        .expect("add agent")["id"]
        .as_i64()
        .expect("id");
    ctl.remove_agent(&sub, removed).expect("remove agent");
    ctl.reset_counters(&sub).expect("reset");
    assert_eq!(app.resync(&token, la).await, "DONE");
    let c = calls(&app, &sub);
    let want = BTreeMap::from([(changed, 1), (added, 1), (removed, 1)]);
    assert_eq!(
        agent_views(&c),
        want,
        "only the changed, the new and the vanished agent are viewed: {c:?}"
    );
    assert_eq!(c.get("GET agents"), Some(&1), "{c:?}");

    let users = app
        .list_all("/api/ticketing/v1/users?include_deleted_data=true", &token)
        .await;
    let by_remote: BTreeMap<String, Value> = users
        .iter()
        .map(|u| (u["remote_id"].as_str().expect("rid").to_string(), u.clone()))
        .collect();
    let changed_user = &by_remote[&changed.to_string()];
    let (_, role) = app
        .get(
            &format!("/api/ticketing/v1/roles?remote_id={new_role}"),
            Some(&token),
        )
        .await;
    assert_eq!(
        changed_user["roles"],
        json!([role["results"][0]["id"].clone()]),
        "the changed agent's roles follow the view"
    );
    assert_eq!(by_remote[&added.to_string()]["name"], json!("Nora New"));
    assert_eq!(
        by_remote[&added.to_string()]["remote_was_deleted"],
        json!(false)
    );
    assert_eq!(
        by_remote[&removed.to_string()]["remote_was_deleted"],
        json!(true)
    );
    let unchanged = &by_remote[&ids[0].to_string()];
    assert_eq!(unchanged["remote_was_deleted"], json!(false));
    assert!(
        !unchanged["roles"].as_array().expect("roles").is_empty(),
        "{unchanged}"
    );
    app.stop().await;
}

/// The ticket of a remote id as the API serves it with deleted records.
async fn ticket(app: &TestApp, token: &str, remote_id: i64) -> Value {
    let (status, body) = app
        .get(
            &format!("/api/ticketing/v1/tickets?remote_id={remote_id}&include_deleted_data=true"),
            Some(token),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["results"][0].clone()
}

fn instant(v: &Value) -> chrono::DateTime<chrono::Utc> {
    v.as_str()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.with_timezone(&chrono::Utc))
        .unwrap_or_else(|| panic!("not a timestamp: {v}"))
}

#[tokio::test]
async fn a_ticket_trashed_or_spammed_after_its_sync_takes_the_helpdesks_updated_at() {
    let app = TestApp::start(SimConfig {
        seed: 33,
        accounts: 1,
        tickets: 40,
        conversations_per_ticket: 1.0,
        ..SimConfig::default()
    })
    .await;
    let (token, la) = app.link(0).await;
    assert_eq!(app.wait_synced(la).await, "DONE");
    let (sub, _) = app.sim_account(0);
    let ctl = app.sim.control();
    let live: Vec<i64> = ctl
        .snapshot(&sub)
        .expect("snapshot")
        .tickets
        .iter()
        .filter(|t| t.get("deleted").is_none() && t["spam"] == json!(false))
        .map(|t| t["id"].as_i64().expect("id"))
        .collect();
    let (trashed, spammed) = (live[1], live[2]);
    let before = ticket(&app, &token, trashed).await["remote_updated_at"].clone();
    ctl.delete_ticket(&sub, trashed).expect("delete");
    ctl.spam_ticket(&sub, spammed).expect("spam");
    assert_eq!(app.resync(&token, la).await, "DONE");
    let snap = ctl.snapshot(&sub).expect("snapshot");
    for id in [trashed, spammed] {
        let remote = snap
            .tickets
            .iter()
            .find(|t| t["id"] == json!(id))
            .expect("ticket")["updated_at"]
            .clone();
        let stored = ticket(&app, &token, id).await;
        assert_eq!(stored["remote_was_deleted"], json!(true), "{stored}");
        assert_eq!(
            instant(&stored["remote_updated_at"]),
            instant(&remote),
            "ticket {id} takes the helpdesk's updated_at of the deletion"
        );
    }
    assert_ne!(
        instant(&before),
        instant(&ticket(&app, &token, trashed).await["remote_updated_at"]),
        "the time moved"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_child_whose_parent_was_spam_from_the_start_points_to_a_flagged_parent() {
    let app = TestApp::start(SimConfig {
        seed: 34,
        accounts: 1,
        tickets: 20,
        conversations_per_ticket: 1.0,
        ..SimConfig::default()
    })
    .await;
    let (sub, _) = app.sim_account(0);
    let ctl = app.sim.control();
    let requester = ctl.snapshot(&sub).expect("snapshot").contacts[0]["id"]
        .as_i64()
        .expect("contact");
    let parent = ctl
        .create_ticket(
            &sub,
            json!({"subject": "Win a prize", "description": "<p>spam</p>",
                   "requester_id": requester, "status": 2, "priority": 1}),
        )
        .expect("parent")["id"]
        .as_i64()
        .expect("id");
    let child = ctl
        .create_ticket(
            &sub,
            json!({"subject": "Incident", "description": "<p>child</p>",
                   "requester_id": requester, "status": 2, "priority": 2, "parent_id": parent}),
        )
        .expect("child")["id"]
        .as_i64()
        .expect("id");
    ctl.spam_ticket(&sub, parent).expect("spam");
    // Spam before the first sync: the walk never lists the parent.
    let (token, la) = app.link(0).await;
    assert_eq!(app.wait_synced(la).await, "DONE");
    let c = ticket(&app, &token, child).await;
    let p = ticket(&app, &token, parent).await;
    assert!(c["parent_ticket"].is_string(), "{c}");
    assert_eq!(c["parent_ticket"], p["id"], "the relation resolves: {p}");
    assert_eq!(p["remote_was_deleted"], json!(true));
    assert_eq!(p["name"], json!("Win a prize"));
    let (status, one) = app
        .get(
            &format!(
                "/api/ticketing/v1/tickets/{}?include_deleted_data=true",
                p["id"].as_str().expect("id")
            ),
            Some(&token),
        )
        .await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["remote_id"], json!(parent.to_string()));
    // Not among the live tickets.
    let (_, live) = app
        .get(
            &format!("/api/ticketing/v1/tickets?remote_id={parent}"),
            Some(&token),
        )
        .await;
    assert_eq!(live["results"], json!([]));
    app.stop().await;
}
