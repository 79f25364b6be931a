//! The read parameters on a Zendesk-linked account (each answer checked against the committed
//! spec by `TestApp::get`): filters, expansion, remote data and fields, enum origins, paging.

mod common;

use common::zendesk::start_zendesk;
use serde_json::json;

#[tokio::test]
async fn every_read_parameter_works_on_a_zendesk_account() {
    let (app, zd) = start_zendesk(deskbridge_zendesk_sim::SimConfig {
        seed: 7,
        tickets: 60,
        ..Default::default()
    })
    .await;
    let (token, la) = app.link_zendesk(&zd, 0).await;
    assert_eq!(app.wait_synced(la).await, "DONE");
    let get = |q: String| {
        let app = &app;
        let token = token.clone();
        async move {
            let (status, body) = app.get(&q, Some(&token)).await;
            assert_eq!(status, 200, "{q}: {body}");
            body
        }
    };
    let v1 = "/api/ticketing/v1";
    let page = get(format!("{v1}/tickets?page_size=10")).await;
    assert_eq!(page["results"].as_array().expect("results").len(), 10);
    let next = page["next"].as_str().expect("next cursor");
    let page2 = get(format!("{v1}/tickets?page_size=10&cursor={next}")).await;
    assert_ne!(page2["results"][0]["id"], page["results"][0]["id"]);

    let open = get(format!("{v1}/tickets?status=OPEN&page_size=100")).await;
    assert!(
        open["results"]
            .as_array()
            .expect("results")
            .iter()
            .all(|t| t["status"] == "OPEN")
    );
    let one = &page["results"][0];
    let rid = one["remote_id"].as_str().expect("remote id");
    let by_rid = get(format!("{v1}/tickets?remote_id={rid}")).await;
    assert_eq!(by_rid["results"][0]["id"], one["id"]);

    let expanded = get(format!(
        "{v1}/tickets?page_size=20&expand=contact,assignees,account,assigned_teams"
    ))
    .await;
    let with_contact = expanded["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|t| t["contact"].is_object())
        .expect("an expanded contact");
    assert!(with_contact["contact"]["email_address"].is_string());

    let id = one["id"].as_str().expect("id");
    let full = get(format!(
        "{v1}/tickets/{id}?include_remote_data=true&include_remote_fields=true&show_enum_origins=status,priority"
    ))
    .await;
    assert_eq!(full["remote_data"][0]["data"]["id"].to_string(), rid);
    assert!(full["remote_fields"].is_array(), "{full}");
    let raw = &full["remote_data"][0]["data"];
    if raw["priority"].is_string() {
        assert_eq!(full["priority"], raw["priority"], "enum origin of priority");
    }

    let since = get(format!("{v1}/tickets?modified_after=2100-01-01T00:00:00Z")).await;
    assert_eq!(since["results"], json!([]));
    let comments = get(format!(
        "{v1}/comments?ticket_id={id}&expand=ticket,user,contact"
    ))
    .await;
    for c in comments["results"].as_array().expect("results") {
        assert_eq!(c["ticket"]["id"], json!(id), "{c}");
    }
    app.stop().await;
}
