//! Length and count caps (issue 13, point 7): end-user fields at most 512 characters, a
//! webhook description at most 1,024, at most 50 webhook endpoints per organization; each
//! answered with a 400 that names the field.

mod common;

use common::TestApp;
use deskbridge_freshdesk_sim::SimConfig;
use serde_json::json;

async fn app() -> TestApp {
    TestApp::start_without_workers(SimConfig {
        seed: 65,
        accounts: 1,
        tickets: 5,
        conversations_per_ticket: 1.0,
        ..SimConfig::default()
    })
    .await
}

#[tokio::test]
async fn end_user_fields_of_a_server_to_server_link_are_capped_at_512() {
    let app = app().await;
    let (_, key) = app.sim_account(0);
    for field in [
        "end_user_origin_id",
        "end_user_organization_name",
        "end_user_email_address",
    ] {
        let mut body = app.link_body(0, &key);
        body[field] = json!("x".repeat(513));
        let (status, answer) = app
            .post("/api/ticketing/v1/linked-accounts", None, &body)
            .await;
        assert_eq!(status, 400, "{field}: {answer}");
        let detail = answer["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(field), "{detail}");
    }
    let linked: i64 = sqlx::query_scalar("SELECT count(*) FROM linked_accounts")
        .fetch_one(&app.db.pool)
        .await
        .expect("count");
    assert_eq!(linked, 0, "nothing linked");
    let mut body = app.link_body(0, &key);
    body["end_user_organization_name"] = json!("y".repeat(512));
    let (status, answer) = app
        .post("/api/ticketing/v1/linked-accounts", None, &body)
        .await;
    assert_eq!(status, 201, "512 characters are fine: {answer}");
    app.stop().await;
}

#[tokio::test]
async fn webhook_descriptions_and_endpoint_counts_are_capped() {
    let app = app().await;
    let path = "/api/deskbridge/v1/webhook-endpoints";
    let url = "https://hooks.example.com/deskbridge";
    let (status, answer) = app
        .post(
            path,
            None,
            &json!({"url": url, "description": "d".repeat(1025)}),
        )
        .await;
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("description"),
        "{answer}"
    );
    for i in 0..50 {
        let description = if i == 0 {
            "d".repeat(1024)
        } else {
            format!("receiver {i}")
        };
        let (status, answer) = app
            .post(path, None, &json!({"url": url, "description": description}))
            .await;
        assert_eq!(status, 201, "endpoint {i}: {answer}");
    }
    let (status, answer) = app.post(path, None, &json!({"url": url})).await;
    assert_eq!(status, 400, "the 51st endpoint: {answer}");
    assert!(
        answer["detail"].as_str().unwrap_or_default().contains("50"),
        "{answer}"
    );
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM webhook_endpoints")
        .fetch_one(&app.db.pool)
        .await
        .expect("count");
    assert_eq!(count, 50);
    app.stop().await;
}

#[tokio::test]
async fn refused_credential_checks_are_throttled_per_organization() {
    let app = app().await;
    let (sub, key) = app.sim_account(0);
    app.sim.control().reset_counters(&sub).expect("reset");
    let path = "/api/ticketing/v1/linked-accounts";
    for i in 0..10 {
        let mut body = app.link_body(0, &format!("wrong-key-{i}"));
        body["end_user_origin_id"] = json!(format!("stuffing-{i}"));
        let (status, answer) = app.post(path, None, &body).await;
        assert_eq!(status, 400, "attempt {i}: {answer}");
    }
    let checked = app.sim.control().counters(&sub).expect("counters").requests;
    // The 11th attempt, even with the right key, is refused without asking Freshdesk.
    let (status, answer) = app.post(path, None, &app.link_body(0, &key)).await;
    assert_eq!(status, 429, "{answer}");
    assert!(
        answer["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("credential"),
        "{answer}"
    );
    assert_eq!(
        app.sim.control().counters(&sub).expect("counters").requests,
        checked,
        "no call reached the helpdesk"
    );
    // Another organization is not affected.
    let other = app
        .store
        .ensure_organization("other-org")
        .await
        .expect("org");
    let other_key = app
        .store
        .create_api_key(other.id, "k")
        .await
        .expect("key")
        .key;
    let res = app
        .http
        .post(format!("{}{path}", app.base))
        .bearer_auth(&other_key)
        .json(&app.link_body(0, &key))
        .send()
        .await
        .expect("request");
    let (status, answer) = common::checked("POST", path, res).await;
    assert_eq!(status, 201, "{answer}");
    app.stop().await;
}
