//! The Link page with Zendesk offered beside Freshdesk: the picker lists it, its form is
//! rendered from its credential fields (labels, help, the token steps and the "Token access"
//! hint), a refused token is explained in Zendesk's terms, and a good one links, is
//! exchanged for an account token, syncs, and is in the audit trail.

mod common;

use common::TestApp;
use common::zendesk::{Zd, start_zendesk};
use serde_json::{Value, json};

async fn start() -> (TestApp, Zd) {
    start_zendesk(deskbridge_zendesk_sim::SimConfig {
        tickets: 10,
        ..Default::default()
    })
    .await
}

async fn link_token(app: &TestApp) -> String {
    let body = json!({
        "end_user_origin_id": "zd-page",
        "end_user_organization_name": "Page Customer",
        "end_user_email_address": "it@page.example",
        "categories": ["ticketing"],
    });
    let (status, token) = app.post("/api/ticketing/v1/link-token", None, &body).await;
    assert_eq!(status, 200, "{token}");
    token["link_token"].as_str().expect("token").to_string()
}

async fn page(app: &TestApp, token: &str, query: &str) -> String {
    let res = app
        .http
        .get(format!("{}/link/{token}{query}", app.base))
        .send()
        .await
        .expect("page");
    assert_eq!(res.status().as_u16(), 200);
    res.text().await.expect("html")
}

async fn submit(app: &TestApp, token: &str, creds: Value) -> (u16, Value) {
    let mut body = creds;
    body["integration"] = json!("zendesk");
    let res = app
        .http
        .post(format!("{}/link/{token}", app.base))
        .header("accept", "application/json")
        .json(&body)
        .send()
        .await
        .expect("submit");
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn the_link_page_offers_zendesk_and_links_it() {
    let (app, zd) = start().await;
    let token = link_token(&app).await;
    let picker = page(&app, &token, "").await;
    assert!(
        picker.contains("Zendesk") && picker.contains("Freshdesk"),
        "{picker}"
    );
    let form = page(&app, &token, "?integration=zendesk").await;
    for text in [
        "Zendesk subdomain",
        "Admin email",
        "API token",
        "Zendesk API",
        "Token access",
        "name=\"subdomain\"",
        "name=\"email\"",
        "name=\"api_token\"",
    ] {
        assert!(form.contains(text), "the form lacks {text:?}");
    }

    let a = zd.account(0);
    let (status, body) = submit(
        &app,
        &token,
        json!({"subdomain": zd.site(0), "email": a.admin_email, "api_token": "wrong"}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("Token access"),
        "{body}"
    );

    let (status, body) = submit(
        &app,
        &token,
        json!({"subdomain": zd.site(0), "email": a.admin_email, "api_token": a.api_token}),
    )
    .await;
    assert!(status == 200 || status == 201, "{status} {body}");
    let public = body["public_token"].as_str().expect("public token");
    let (status, acct) = app
        .get(&format!("/api/ticketing/v1/account-token/{public}"), None)
        .await;
    assert_eq!(status, 200, "{acct}");
    assert_eq!(acct["integration"]["slug"], "zendesk", "{acct}");
    let account_token = acct["account_token"].as_str().expect("account token");
    let (status, details) = app
        .get("/api/ticketing/v1/account-details", Some(account_token))
        .await;
    assert_eq!(status, 200, "{details}");
    assert_eq!(details["integration_slug"], "zendesk", "{details}");
    assert!(
        !details.to_string().contains(&a.api_token),
        "the token is echoed"
    );

    let (status, audit) = app.get("/api/ticketing/v1/audit-trail", None).await;
    assert_eq!(status, 200, "{audit}");
    assert!(!audit["results"].as_array().expect("results").is_empty());
    app.stop().await;
}
