//! Isolation between a Freshdesk account of one organization and a Zendesk account of
//! another, both served by one Deskbridge: neither organization's key, with either account
//! token, reaches the other's records, and each lists only its own linked account.

mod common;

use std::time::Duration;

use common::TestApp;
use common::zendesk::Zd;
use serde_json::Value;

async fn get(app: &TestApp, key: &str, token: &str, path: &str) -> (u16, Value) {
    let res = app
        .http
        .get(format!("{}{path}", app.base))
        .bearer_auth(key)
        .header("X-Account-Token", token)
        .send()
        .await
        .expect("request");
    common::checked("GET", path, res).await
}

#[tokio::test]
async fn a_freshdesk_org_and_a_zendesk_org_never_see_each_other() {
    let zd = Zd::start(deskbridge_zendesk_sim::SimConfig {
        tickets: 20,
        ..Default::default()
    })
    .await;
    let fd = deskbridge_freshdesk_sim::SimConfig {
        tickets: 20,
        ..Default::default()
    };
    let app = TestApp::start_with(fd, zd.options(Duration::from_secs(60))).await;
    // Organization A: the app's own, with Freshdesk.
    let (fd_token, fd_la) = app.link(0).await;
    // Organization B: its own key, with Zendesk, linked server to server.
    let org_b = app.store.ensure_organization("org-b").await.expect("org b");
    let key_b = app
        .store
        .create_api_key(org_b.id, "b")
        .await
        .expect("key b")
        .key;
    let res = app
        .http
        .post(format!("{}/api/ticketing/v1/linked-accounts", app.base))
        .bearer_auth(&key_b)
        .json(&zd.link_body(0))
        .send()
        .await
        .expect("link");
    let (status, body) = common::checked("POST", "/api/ticketing/v1/linked-accounts", res).await;
    assert!(status == 201 || status == 200, "{status} {body}");
    let zd_token = body["account_token"].as_str().expect("token").to_string();
    let zd_la: deskbridge_store::LinkedAccountId = body["linked_account"]["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid");
    assert_eq!(app.wait_synced(fd_la).await, "DONE");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(240);
    while app
        .store
        .recent_runs(org_b.id, zd_la, 1)
        .await
        .expect("runs")
        .first()
        .is_none_or(|r| r.finished_at.is_none())
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "zendesk sync did not finish"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let key_a = app.api_key.clone();
    let (s, a_tickets) = get(&app, &key_a, &fd_token, "/api/ticketing/v1/tickets").await;
    assert_eq!(s, 200);
    let (s, b_tickets) = get(&app, &key_b, &zd_token, "/api/ticketing/v1/tickets").await;
    assert_eq!(s, 200);
    let a_id = a_tickets["results"][0]["id"]
        .as_str()
        .expect("a ticket")
        .to_string();
    let b_id = b_tickets["results"][0]["id"]
        .as_str()
        .expect("b ticket")
        .to_string();

    // Crossed keys and tokens: refused, never the other's data.
    for (key, token) in [(&key_a, &zd_token), (&key_b, &fd_token)] {
        let (s, body) = get(&app, key, token, "/api/ticketing/v1/tickets").await;
        assert!(s == 401 || s == 404, "{s} {body}");
        assert!(!body.to_string().contains(&a_id) && !body.to_string().contains(&b_id));
    }
    // A record id of the other organization, with one's own token: not found.
    let (s, _) = get(
        &app,
        &key_a,
        &fd_token,
        &format!("/api/ticketing/v1/tickets/{b_id}"),
    )
    .await;
    assert_eq!(s, 404);
    let (s, _) = get(
        &app,
        &key_b,
        &zd_token,
        &format!("/api/ticketing/v1/tickets/{a_id}"),
    )
    .await;
    assert_eq!(s, 404);
    // Each organization lists its own linked account only.
    for (key, token, slug) in [
        (&key_a, &fd_token, "freshdesk"),
        (&key_b, &zd_token, "zendesk"),
    ] {
        let (s, body) = get(&app, key, token, "/api/ticketing/v1/linked-accounts").await;
        assert_eq!(s, 200, "{body}");
        let results = body["results"].as_array().expect("results");
        assert_eq!(results.len(), 1, "{body}");
        assert_eq!(results[0]["integration"]["slug"], slug, "{body}");
    }
    app.stop().await;
}
