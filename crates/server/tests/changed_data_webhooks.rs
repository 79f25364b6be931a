//! Changed-data webhooks (`{Model}.added`, `{Model}.changed`, `{Model}.removed`): after an
//! incremental sync (and after a write through the API), a subscribed endpoint receives the changed records — each `data` equal
//! to what `GET /{model}/{id}` answers, signed with both schemes — while an endpoint that did
//! not subscribe receives none; the initial sync sends them only to an endpoint that opted
//! in with `include_initial_sync` (set at creation or by `PATCH`).

mod common;
mod hooks;

use std::collections::BTreeMap;
use std::time::Duration;

use hooks::{Harness, Receiver, assert_signed};
use serde_json::{Value, json};

/// The payloads a receiver got, parsed.
fn payloads(r: &Receiver) -> Vec<Value> {
    r.received()
        .iter()
        .map(|x| serde_json::from_str::<Value>(&x.body).expect("json body"))
        .collect()
}

fn named(r: &Receiver, event: &str) -> Vec<Value> {
    payloads(r)
        .into_iter()
        .filter(|p| p["hook"]["event"] == json!(event))
        .collect()
}

fn is_changed_data(p: &Value) -> bool {
    let e = p["hook"]["event"].as_str().unwrap_or_default();
    e.ends_with(".added") || e.ends_with(".changed") || e.ends_with(".removed")
}

/// Waits until `done` holds for the receiver's payloads.
async fn until(r: &Receiver, what: &str, done: impl Fn(&[Value]) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let got = payloads(r);
        if done(&got) {
            return;
        }
        let names: Vec<&Value> = got.iter().map(|p| &p["hook"]["event"]).collect();
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: got only {names:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn create_endpoint(h: &Harness, r: &Receiver, events: &[&str], initial: bool) -> String {
    let (status, ep) = h
        .call(
            reqwest::Method::POST,
            "/api/deskbridge/v1/webhook-endpoints",
            None,
            Some(&json!({"url": r.url, "events": events, "include_initial_sync": initial})),
        )
        .await;
    assert_eq!(status, 201, "{ep}");
    assert_eq!(ep["include_initial_sync"], json!(initial));
    ep["secret"].as_str().expect("secret").to_string()
}

/// The latest payload whose `data` is the record with this remote id.
fn by_remote_id<'a>(list: &'a [Value], rid: &str) -> Option<&'a Value> {
    list.iter()
        .rev()
        .find(|p| p["data"]["remote_id"] == json!(rid))
}

#[tokio::test]
async fn changed_records_reach_subscribed_endpoints_as_the_api_serves_them() {
    let changes = Receiver::start(0).await;
    let other = Receiver::start(0).await;
    let initial = Receiver::start(0).await;
    let h = Harness::new(
        vec![
            changes.host.clone(),
            other.host.clone(),
            initial.host.clone(),
        ],
        &[0.2, 0.2],
        Duration::from_secs(3600),
    )
    .await;
    let secret = create_endpoint(
        &h,
        &changes,
        &[
            "Ticket.added",
            "Ticket.changed",
            "Ticket.removed",
            "Comment.added",
        ],
        false,
    )
    .await;
    create_endpoint(&h, &other, &["LinkedAccount.sync_completed"], false).await;
    // The third endpoint opts in to the initial sync by a change after its creation.
    create_endpoint(&h, &initial, &["Ticket.changed"], false).await;
    let (_, list) = h.list_endpoints().await;
    let third = list["results"][2]["id"].as_str().expect("id").to_string();
    let (status, patched) = h
        .call(
            reqwest::Method::PATCH,
            &format!("/api/deskbridge/v1/webhook-endpoints/{third}"),
            None,
            Some(&json!({"events": ["Ticket.added"], "include_initial_sync": true})),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(
        (
            patched["events"].clone(),
            patched["include_initial_sync"].clone()
        ),
        (json!(["Ticket.added"]), json!(true))
    );
    assert_eq!(patched["description"], list["results"][2]["description"]);

    // The initial sync: one Ticket.added per live ticket for the endpoint that opted in, each
    // the record as the list serves it; nothing for the endpoint that did not.
    let (token, la) = h.link().await;
    h.wait_runs(la, 1).await;
    let (status, page) = h
        .call(
            reqwest::Method::GET,
            "/api/ticketing/v1/tickets?page_size=100",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, 200, "{page}");
    let listed: BTreeMap<String, Value> = page["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|t| (t["id"].as_str().expect("id").to_string(), t.clone()))
        .collect();
    assert!(listed.len() >= 5, "the simulator has tickets: {page}");
    until(&initial, "one Ticket.added per ticket", |got| {
        got.len() >= listed.len()
    })
    .await;
    until(&other, "the initial sync_completed", |got| !got.is_empty()).await;
    let added: BTreeMap<String, Value> = named(&initial, "Ticket.added")
        .into_iter()
        .map(|p| {
            assert_eq!(p["linked_account"]["id"], json!(la));
            (
                p["data"]["id"].as_str().expect("id").to_string(),
                p["data"].clone(),
            )
        })
        .collect();
    assert_eq!(
        added, listed,
        "initial Ticket.added carry the listed records"
    );
    assert_eq!(
        initial.received().len(),
        listed.len(),
        "one event per ticket"
    );
    assert!(
        changes.received().is_empty(),
        "no initial-sync changes without include_initial_sync"
    );

    // Changes in the helpdesk: an edited ticket, a new comment on another, a deleted third.
    let sub = h.sim.accounts()[0].subdomain.clone();
    let control = h.sim.control();
    let snap = control.snapshot(&sub).expect("snapshot");
    let live: Vec<i64> = snap
        .tickets
        .iter()
        .filter(|t| t.get("deleted").is_none() && t["spam"] == json!(false))
        .map(|t| t["id"].as_i64().expect("id"))
        .collect();
    let (edited, chatty, deleted) = (live[0], live[1], live[2]);
    control
        .update_ticket(
            &sub,
            edited,
            json!({"subject": "Changed upstream", "priority": 4}),
        )
        .expect("update");
    let note = control
        .add_conversation(
            &sub,
            chatty,
            false,
            json!({"body": "<div>A new note</div>", "private": true}),
        )
        .expect("note");
    control.delete_ticket(&sub, deleted).expect("delete");
    assert_eq!(h.client().resync(&token).await, 200);
    h.wait_runs(la, 2).await;
    let note_rid = note["id"].to_string();
    until(&changes, "the incremental sync's changes", |got| {
        let find = |event: &str, rid: &str| {
            got.iter()
                .any(|p| p["hook"]["event"] == json!(event) && p["data"]["remote_id"] == json!(rid))
        };
        find("Ticket.changed", &edited.to_string())
            && find("Ticket.removed", &deleted.to_string())
            && find("Comment.added", &note_rid)
    })
    .await;
    until(&other, "the second sync_completed", |got| got.len() >= 2).await;

    // Each event's data is what the API answers for the record now.
    for (event, rid, path) in [
        ("Ticket.changed", edited.to_string(), "tickets"),
        ("Ticket.removed", deleted.to_string(), "tickets"),
        ("Comment.added", note_rid.clone(), "comments"),
    ] {
        let list = named(&changes, event);
        let p = by_remote_id(&list, &rid).expect("event");
        assert_eq!(p["hook"]["event"], json!(event));
        assert_eq!(p["linked_account"]["id"], json!(la));
        let id = p["data"]["id"].as_str().expect("id");
        let (status, served) = h
            .call(
                reqwest::Method::GET,
                &format!("/api/ticketing/v1/{path}/{id}"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(status, 200, "{served}");
        assert_eq!(p["data"], served, "{event} carries the served record");
    }
    let changed = named(&changes, "Ticket.changed");
    let edited_now = by_remote_id(&changed, &edited.to_string()).expect("changed");
    assert_eq!(edited_now["data"]["name"], json!("Changed upstream"));
    let removed = named(&changes, "Ticket.removed");
    let gone = by_remote_id(&removed, &deleted.to_string()).expect("removed");
    assert_eq!(gone["data"]["remote_was_deleted"], json!(true));
    assert!(
        named(&changes, "Ticket.added").is_empty(),
        "no ticket was added"
    );
    for r in changes.received() {
        assert_signed(&r, &secret);
    }
    // Only what each endpoint subscribed to.
    assert!(
        payloads(&other).iter().all(|p| !is_changed_data(p)),
        "an endpoint that did not subscribe gets no changed-data event"
    );
    assert!(
        payloads(&changes).iter().all(|p| {
            let e = p["hook"]["event"].as_str().unwrap_or_default();
            [
                "Ticket.added",
                "Ticket.changed",
                "Ticket.removed",
                "Comment.added",
            ]
            .contains(&e)
        }),
        "only the subscribed events"
    );
    assert_eq!(
        named(&initial, "Ticket.added").len(),
        listed.len(),
        "no Ticket.added after the initial sync: no ticket was added"
    );

    // A write through the API: the comment the helpdesk returned is added.
    let (_, users) = h
        .call(
            reqwest::Method::GET,
            "/api/ticketing/v1/users?page_size=1",
            Some(&token),
            None,
        )
        .await;
    let ticket = edited_now["data"]["id"].clone();
    let (status, written) = h
        .call(
            reqwest::Method::POST,
            "/api/ticketing/v1/comments",
            Some(&token),
            Some(&json!({"model": {"ticket": ticket, "user": users["results"][0]["id"], "html_body": "<p>Via the API</p>", "is_private": true}})),
        )
        .await;
    assert_eq!(status, 201, "{written}");
    let comment = written["model"]["id"].as_str().expect("id").to_string();
    until(&changes, "Comment.added of the API write", |got| {
        got.iter().any(|p| {
            p["hook"]["event"] == json!("Comment.added") && p["data"]["id"] == json!(comment)
        })
    })
    .await;
    let (_, served) = h
        .call(
            reqwest::Method::GET,
            &format!("/api/ticketing/v1/comments/{comment}"),
            Some(&token),
            None,
        )
        .await;
    let added = named(&changes, "Comment.added");
    let event = added
        .iter()
        .rev()
        .find(|p| p["data"]["id"] == json!(comment))
        .expect("event");
    assert_eq!(event["data"], served, "the written comment as served");
}
