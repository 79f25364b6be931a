//! The seam, proved: Memdesk, a helpdesk that exists only in this test (`seam/memdesk.rs`),
//! goes the whole way — linked through `POST /linked-accounts` and through the Link page (its
//! form rendered from its credential fields), synced, listed with `expand`, written to and
//! passed through — with one wiring line (`integrations:` below) and no change elsewhere.

mod common;
#[path = "seam/memdesk.rs"]
mod memdesk;

use std::sync::Arc;

use common::{Integrations, Options, TestApp};
use deskbridge_freshdesk_sim::SimConfig;
use serde_json::{Value, json};

fn link_body(origin: &str, token: &str) -> Value {
    json!({
        "integration": "memdesk",
        "end_user_origin_id": origin,
        "end_user_organization_name": "Mem Org",
        "end_user_email_address": "it@mem.example",
        "credentials": {"workspace": "team-a", "api_token": token},
    })
}

#[tokio::test]
async fn a_helpdesk_from_a_test_crate_goes_the_whole_way() {
    let opts = Options {
        // The one wiring line.
        integrations: Integrations(vec![Arc::new(memdesk::Memdesk::default())]),
        ..Options::default()
    };
    let sim = SimConfig {
        accounts: 1,
        tickets: 1,
        ..SimConfig::default()
    };
    let app = TestApp::start_with(sim, opts).await;
    let path = "/api/ticketing/v1/linked-accounts";

    // Server to server: a refusal in Memdesk's words, an unknown field named, then linked.
    let (status, body) = app.post(path, None, &link_body("m-1", "wrong")).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["detail"], "Memdesk rejected the token.");
    let mut extra = link_body("m-1", memdesk::TOKEN);
    extra["credentials"]["domain"] = json!("acme");
    let (status, body) = app.post(path, None, &extra).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("`domain`"),
        "{body}"
    );
    let (status, body) = app
        .post(path, None, &link_body("m-1", memdesk::TOKEN))
        .await;
    assert_eq!(status, 201, "{body}");
    let token = body["account_token"].as_str().expect("token").to_string();
    let integration = &body["linked_account"]["integration"];
    assert_eq!(integration["slug"], "memdesk");
    assert_eq!(integration["name"], "Memdesk");
    assert_eq!(integration["color"], "#123456");
    assert_eq!(body["linked_account"]["subdomain"], "team-a");
    let la: deskbridge_store::LinkedAccountId = body["linked_account"]["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("id");

    // Through the Link page: the picker offers it, its form comes from its fields.
    let mut lt = json!({
        "end_user_origin_id": "m-2",
        "end_user_organization_name": "Mem Org 2",
        "end_user_email_address": "it@mem2.example",
        "categories": ["ticketing"],
    });
    let (status, answer) = app.post("/api/ticketing/v1/link-token", None, &lt).await;
    assert_eq!(status, 200, "{answer}");
    let link_token = answer["link_token"]
        .as_str()
        .expect("link token")
        .to_string();
    let page = |q: &str| {
        let url = format!("{}/link/{link_token}{q}", app.base);
        let http = app.http.clone();
        async move {
            http.get(url)
                .send()
                .await
                .expect("page")
                .text()
                .await
                .expect("html")
        }
    };
    let choose = page("").await;
    assert!(
        choose.contains("?integration=memdesk") && choose.contains("Memdesk"),
        "{choose}"
    );
    let form = page("?integration=memdesk").await;
    for needle in [
        "Connect Memdesk",
        "name=\"workspace\"",
        "<label for=\"api_token\">Memdesk token</label>",
        "type=\"password\"",
        "Where do I find my Memdesk token?",
        "Copy the Memdesk token.",
        "will read your Memdesk tickets",
    ] {
        assert!(form.contains(needle), "{needle} missing: {form}");
    }
    let res = app
        .http
        .post(format!("{}/link/{link_token}", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "integration=memdesk&workspace=team-b&api_token={}",
            memdesk::TOKEN
        ))
        .send()
        .await
        .expect("submit");
    assert_eq!(res.status().as_u16(), 200);
    let done = res.text().await.expect("html");
    assert!(
        done.contains("data-public-token=") && done.contains("Memdesk"),
        "{done}"
    );
    lt["end_user_origin_id"] = json!("m-3");
    let (_, answer) = app.post("/api/ticketing/v1/link-token", None, &lt).await;
    let t2 = answer["link_token"].as_str().expect("link token");
    let res = app
        .http
        .post(format!("{}/link/{t2}?integration=memdesk", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("integration=memdesk&workspace=team-c&api_token=")
        .send()
        .await
        .expect("submit");
    assert_eq!(res.status().as_u16(), 400);
    let again = res.text().await.expect("html");
    assert!(
        again.contains("Enter your Memdesk token.") && again.contains("value=\"team-c\""),
        "{again}"
    );

    // Synced, and listed with `expand`.
    assert_eq!(app.wait_synced(la).await, "DONE");
    let (status, list) = app
        .get(
            "/api/ticketing/v1/tickets?expand=contact&page_size=10",
            Some(&token),
        )
        .await;
    assert_eq!(status, 200, "{list}");
    let results = list["results"].as_array().expect("results");
    assert_eq!(results.len(), 2, "{list}");
    let names: Vec<&str> = results
        .iter()
        .filter_map(|t| t["contact"]["name"].as_str())
        .collect();
    assert!(names.contains(&"Ada") && names.contains(&"Grace"), "{list}");
    let (status, status_body) = app.get("/api/ticketing/v1/sync-status", Some(&token)).await;
    assert_eq!(status, 200, "{status_body}");

    // Written to.
    let res = app
        .http
        .post(format!("{}/api/ticketing/v1/tickets", app.base))
        .bearer_auth(&app.api_key)
        .header("X-Account-Token", &token)
        .json(&json!({"model": {"name": "Written through the seam"}}))
        .send()
        .await
        .expect("write");
    let (status, created) = common::checked("POST", "/api/ticketing/v1/tickets", res).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["model"]["name"], "Written through the seam");

    // Passed through.
    let res = app
        .http
        .post(format!("{}/api/ticketing/v1/passthrough", app.base))
        .bearer_auth(&app.api_key)
        .header("X-Account-Token", &token)
        .json(&json!({"method": "GET", "path": "/anything"}))
        .send()
        .await
        .expect("passthrough");
    let (status, passed) = common::checked("POST", "/api/ticketing/v1/passthrough", res).await;
    assert_eq!(status, 200, "{passed}");
    assert_eq!(passed["response"]["echo"], "/anything", "{passed}");
    app.stop().await;
}
