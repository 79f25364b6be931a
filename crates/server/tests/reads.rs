//! The read surface beyond plain lists: Freshdesk's own enum labels, custom fields and their
//! classes, attachment downloads, expansions, shells, deletions, stable paging while records
//! change, viewers, and clear answers for what Freshdesk cannot offer.

mod common;

use std::collections::BTreeSet;

use common::TestApp;
use deskbridge_freshdesk_sim::SimConfig;
use serde_json::{Value, json};

async fn synced(tickets: usize) -> (TestApp, String, deskbridge_store::LinkedAccountId) {
    let app = TestApp::start(SimConfig {
        seed: 41,
        accounts: 1,
        tickets,
        conversations_per_ticket: 2.0,
        ..SimConfig::default()
    })
    .await;
    let (token, la) = app.link(0).await;
    assert_eq!(app.wait_synced(la).await, "DONE");
    (app, token, la)
}

#[tokio::test]
async fn enum_origins_custom_fields_and_remote_field_classes() {
    let (app, token, _) = synced(200).await;
    let (sub, _) = app.sim_account(0);
    let snap = app.sim.control().snapshot(&sub).expect("snapshot");
    let status_field = snap
        .ticket_fields
        .iter()
        .find(|f| f["name"] == "status")
        .expect("status field");
    let custom = snap
        .tickets
        .iter()
        .find(|t| {
            t["status"].as_i64().is_some_and(|s| s >= 6)
                && t.get("deleted").is_none()
                && t["spam"] == json!(false)
        })
        .expect("a custom status");
    let rid = custom["id"].to_string();
    let label = status_field["choices"][custom["status"].to_string()][0].clone();

    let (_, plain) = app
        .get(
            &format!("/api/ticketing/v1/tickets?remote_id={rid}"),
            Some(&token),
        )
        .await;
    assert_eq!(plain["results"][0]["status"], json!("IN_PROGRESS"));
    let (_, shown) = app
        .get(
            &format!("/api/ticketing/v1/tickets?remote_id={rid}&show_enum_origins=status,priority"),
            Some(&token),
        )
        .await;
    let t = &shown["results"][0];
    assert_eq!(
        t["status"], label,
        "Freshdesk's own label of the custom status"
    );
    let priority = ["Low", "Medium", "High", "Urgent"]
        [custom["priority"].as_u64().expect("priority") as usize - 1];
    assert_eq!(t["priority"], json!(priority));
    assert_eq!(
        t["remote_data"],
        Value::Null,
        "raw data stays hidden unless asked"
    );

    let id = t["id"].as_str().expect("id");
    let (_, one) = app
        .get(
            &format!("/api/ticketing/v1/tickets/{id}?include_remote_fields=true"),
            Some(&token),
        )
        .await;
    let fields = one["remote_fields"].as_array().expect("remote_fields");
    assert_eq!(
        fields.len(),
        custom["custom_fields"].as_object().expect("cf").len()
    );
    let (_, classes) = app
        .get(
            "/api/ticketing/v1/tickets/remote-field-classes",
            Some(&token),
        )
        .await;
    let class_ids: BTreeSet<&str> = classes["results"]
        .as_array()
        .expect("classes")
        .iter()
        .map(|c| c["id"].as_str().expect("id"))
        .collect();
    for f in fields {
        assert!(
            class_ids.contains(f["remote_field_class"].as_str().expect("class")),
            "{f}"
        );
    }
    let names: BTreeSet<&str> = classes["results"]
        .as_array()
        .expect("classes")
        .iter()
        .map(|c| c["remote_key_name"].as_str().expect("name"))
        .collect();
    for k in custom["custom_fields"].as_object().expect("cf").keys() {
        assert!(names.contains(k.as_str()), "{k} described");
    }
    let (status, _) = app
        .get(
            "/api/ticketing/v1/tickets?show_enum_origins=colour",
            Some(&token),
        )
        .await;
    assert_eq!(status, 400);
    app.stop().await;
}

#[tokio::test]
async fn attachments_download_through_a_fresh_url() {
    let (app, token, _) = synced(120).await;
    let (_, page) = app
        .get("/api/ticketing/v1/attachments?page_size=1", Some(&token))
        .await;
    let att = &page["results"][0];
    let id = att["id"].as_str().expect("an attachment");
    let res = app.download(id, &token).await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(
        res.headers()["content-type"].to_str().expect("ct"),
        att["content_type"].as_str().expect("ct")
    );
    let bytes = res.bytes().await.expect("bytes");
    let raw = &att["remote_data"];
    assert!(raw.is_null());
    let (_, with_raw) = app
        .get(
            &format!("/api/ticketing/v1/attachments/{id}?include_remote_data=true"),
            Some(&token),
        )
        .await;
    assert_eq!(
        bytes.len() as u64,
        with_raw["remote_data"][0]["data"]["size"]
            .as_u64()
            .expect("size")
    );
    let (status, _) = app
        .get(
            "/api/ticketing/v1/attachments/00000000-0000-0000-0000-000000000000/download",
            Some(&token),
        )
        .await;
    assert_eq!(status, 404);
    app.stop().await;
}

#[tokio::test]
async fn expansions_shells_and_deleted_records() {
    let (app, token, la) = synced(120).await;
    let (_, page) = app.get("/api/ticketing/v1/tickets?page_size=50&expand=contact,assignees,account,assigned_teams,attachments", Some(&token)).await;
    let results = page["results"].as_array().expect("results");
    let with_contact = results
        .iter()
        .find(|t| t["contact"].is_object())
        .expect("expanded contact");
    assert!(
        with_contact["contact"]["id"].is_string()
            && with_contact["contact"].get("email_address").is_some()
    );
    assert!(results.iter().any(|t| {
        t["assignees"]
            .as_array()
            .is_some_and(|a| a.iter().any(Value::is_object))
    }));
    let (_, comments) = app
        .get(
            "/api/ticketing/v1/comments?page_size=20&expand=ticket,user,contact",
            Some(&token),
        )
        .await;
    assert!(
        comments["results"]
            .as_array()
            .expect("c")
            .iter()
            .all(|c| c["ticket"].is_object())
    );

    // A contact known only as a reference (deleted in Freshdesk) is a shell: hidden unless asked.
    let (sub, _) = app.sim_account(0);
    let c = app.sim.control();
    let snap = c.snapshot(&sub).expect("snapshot");
    let t = snap
        .tickets
        .iter()
        .find(|t| t.get("deleted").is_none() && t["spam"] == json!(false))
        .expect("ticket");
    let requester = t["requester_id"].as_i64().expect("requester");
    c.delete_contact(&sub, requester).expect("delete contact");
    c.delete_ticket(&sub, t["id"].as_i64().expect("id"))
        .expect("delete ticket");
    let (_, _) = app
        .post(
            "/api/ticketing/v1/sync-status/resync",
            Some(&token),
            &json!({}),
        )
        .await;
    app.wait_runs(la, 2).await;
    let (_, hidden) = app
        .get(
            &format!("/api/ticketing/v1/tickets?remote_id={}", t["id"]),
            Some(&token),
        )
        .await;
    assert_eq!(hidden["results"], json!([]));
    let (_, shown) = app
        .get(
            &format!(
                "/api/ticketing/v1/tickets?remote_id={}&include_deleted_data=true",
                t["id"]
            ),
            Some(&token),
        )
        .await;
    assert_eq!(shown["results"][0]["remote_was_deleted"], json!(true));
    let (_, deleted_contact) = app
        .get(
            &format!("/api/ticketing/v1/contacts?remote_id={requester}&include_deleted_data=true"),
            Some(&token),
        )
        .await;
    assert_eq!(
        deleted_contact["results"][0]["remote_was_deleted"],
        json!(true),
        "{deleted_contact}"
    );

    // Shells: references to records that were never synced (include_shell_data shows them with null fields).
    let (_, all) = app.get("/api/ticketing/v1/tickets?include_shell_data=true&include_deleted_data=true&page_size=100", Some(&token)).await;
    let (_, live) = app
        .get("/api/ticketing/v1/tickets?page_size=100", Some(&token))
        .await;
    assert!(
        all["results"].as_array().expect("a").len() >= live["results"].as_array().expect("l").len()
    );
    app.stop().await;
}

#[tokio::test]
async fn paging_is_stable_while_records_change() {
    let (app, token, la) = synced(300).await;
    let (sub, _) = app.sim_account(0);
    let c = app.sim.control();
    let (_, first) = app
        .get("/api/ticketing/v1/tickets?page_size=50", Some(&token))
        .await;
    let mut seen: Vec<String> = first["results"]
        .as_array()
        .expect("r")
        .iter()
        .map(|t| t["remote_id"].as_str().expect("rid").to_string())
        .collect();
    let before: BTreeSet<String> = app
        .list_all("/api/ticketing/v1/tickets?page_size=100", &token)
        .await
        .iter()
        .map(|t| t["remote_id"].as_str().expect("rid").to_string())
        .collect();
    // Between pages: edit records already seen and not yet seen, and add new ones.
    let snap = c.snapshot(&sub).expect("snapshot");
    for t in snap
        .tickets
        .iter()
        .filter(|t| t.get("deleted").is_none() && t["spam"] == json!(false))
        .step_by(7)
        .take(30)
    {
        c.update_ticket(&sub, t["id"].as_i64().expect("id"), json!({"priority": 4}))
            .expect("edit");
    }
    let requester = snap.contacts[0]["id"].as_i64().expect("contact");
    for i in 0..5 {
        c.create_ticket(
            &sub,
            json!({"subject": format!("new {i}"), "description": "x", "requester_id": requester}),
        )
        .expect("create");
    }
    app.resync(&token, la).await;
    let mut cursor = first["next"].as_str().map(String::from);
    while let Some(cur) = cursor {
        let (_, page) = app
            .get(
                &format!("/api/ticketing/v1/tickets?page_size=50&cursor={cur}"),
                Some(&token),
            )
            .await;
        seen.extend(
            page["results"]
                .as_array()
                .expect("r")
                .iter()
                .map(|t| t["remote_id"].as_str().expect("rid").to_string()),
        );
        cursor = page["next"].as_str().map(String::from);
    }
    let unique: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "no record repeated");
    assert!(before.is_subset(&unique), "no record skipped");
    assert_eq!(
        unique.len(),
        before.len() + 5,
        "new records appear at the end"
    );
    app.stop().await;
}

#[tokio::test]
async fn viewers_and_what_freshdesk_cannot_offer() {
    let (app, token, _) = synced(20).await;
    let (_, page) = app
        .get("/api/ticketing/v1/tickets?page_size=1", Some(&token))
        .await;
    let id = page["results"][0]["id"].as_str().expect("id");
    let (status, viewers) = app
        .get(
            &format!("/api/ticketing/v1/tickets/{id}/viewers"),
            Some(&token),
        )
        .await;
    assert_eq!((status, viewers["results"].clone()), (200, json!([])));
    for path in ["collections", "projects"] {
        let (status, body) = app
            .get(&format!("/api/ticketing/v1/{path}"), Some(&token))
            .await;
        assert_eq!(
            (status, body["results"].clone()),
            (200, json!([])),
            "{path}"
        );
    }
    for path in [
        "tickets/live-search",
        "field-mappings",
        "issues",
        "webhook-receivers",
        "available-actions",
    ] {
        let (status, body) = app
            .get(&format!("/api/ticketing/v1/{path}"), Some(&token))
            .await;
        assert_eq!(status, 404, "{path}");
        assert!(
            body["detail"]
                .as_str()
                .expect("detail")
                .contains("not supported"),
            "{path}: {body}"
        );
    }
    for (path, q) in [
        ("comments", "ticket_id=nope"),
        ("users", "team=nope"),
        ("contacts", "created_after=soon"),
        ("attachments", "remote_created_after=x"),
        ("collections", "collection_type=BOX"),
    ] {
        let (status, body) = app
            .get(&format!("/api/ticketing/v1/{path}?{q}"), Some(&token))
            .await;
        assert_eq!(status, 400, "{path}?{q}: {body}");
    }
    app.stop().await;
}

/// Every relation of a page's `expand` comes from one statement: each expanded field still
/// holds records of its own model, the same as the tree-rendered retrieve of each record.
#[tokio::test]
async fn a_page_with_several_expansions_matches_each_retrieve() {
    let (app, token, _) = synced(60).await;
    for (model, expand) in [
        (
            "tickets",
            "contact,assignees,account,assigned_teams,attachments,creator,parent_ticket,collections",
        ),
        ("comments", "ticket,user,contact"),
    ] {
        let (status, page) = app
            .get(
                &format!("/api/ticketing/v1/{model}?page_size=30&expand={expand}"),
                Some(&token),
            )
            .await;
        assert_eq!(status, 200, "{page}");
        let results = page["results"].as_array().expect("results");
        assert!(!results.is_empty());
        let mut expanded = 0;
        for r in results {
            let id = r["id"].as_str().expect("id");
            let (status, one) = app
                .get(
                    &format!("/api/ticketing/v1/{model}/{id}?expand={expand}"),
                    Some(&token),
                )
                .await;
            assert_eq!(status, 200, "{one}");
            assert_eq!(r, &one, "{model} {id}");
            for field in expand.split(',') {
                match &r[field] {
                    Value::Object(o) => {
                        expanded += 1;
                        assert!(o["id"].is_string(), "{field}: {o:?}");
                    }
                    Value::Array(a) => expanded += a.iter().filter(|x| x.is_object()).count(),
                    _ => {}
                }
            }
        }
        assert!(expanded > 0, "{model}: nothing expanded");
    }
    app.stop().await;
}

/// A page whose `expand` comes in the page's own statement keeps the keyset order both ways:
/// following `next` and then `previous` gives back the first page, member for member.
#[tokio::test]
async fn expanded_pages_walk_back_to_the_same_page() {
    let (app, token, _) = synced(40).await;
    let first_url = "/api/ticketing/v1/tickets?page_size=7&expand=contact,assignees";
    let (status, first) = app.get(first_url, Some(&token)).await;
    assert_eq!(status, 200, "{first}");
    let next = first["next"].as_str().expect("a second page");
    let (_, second) = app
        .get(&format!("{first_url}&cursor={next}"), Some(&token))
        .await;
    let created = |p: &Value| -> Vec<String> {
        p["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| format!("{}{}", r["created_at"], r["id"]))
            .collect()
    };
    let (a, b) = (created(&first), created(&second));
    assert_eq!(a.len(), 7);
    assert!(
        a.windows(2).all(|w| w[0] < w[1]),
        "first page in order: {a:?}"
    );
    assert!(
        b.windows(2).all(|w| w[0] < w[1]),
        "second page in order: {b:?}"
    );
    assert!(a.last() < b.first(), "pages follow each other");
    let previous = second["previous"].as_str().expect("a previous page");
    let (_, back) = app
        .get(&format!("{first_url}&cursor={previous}"), Some(&token))
        .await;
    assert_eq!(back["results"], first["results"]);
    let results = first["results"].as_array().expect("results");
    assert!(
        results.iter().any(|r| r["contact"].is_object()),
        "a contact expanded: {first}"
    );
    app.stop().await;
}
