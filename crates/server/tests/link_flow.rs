//! The Link flow end to end (link token → hosted page → public token → account token), its
//! failures in plain words, relinking, named API keys, the audit trail, and deleting an account.

mod common;

use std::time::Duration;

use common::{Options, TestApp};
use deskbridge_freshdesk_sim::SimConfig;
use reqwest::header::{CONTENT_SECURITY_POLICY, LOCATION, RETRY_AFTER};
use serde_json::{Value, json};

fn sim(tickets: usize) -> SimConfig {
    SimConfig {
        seed: 11,
        accounts: 2,
        tickets,
        conversations_per_ticket: 1.0,
        ..SimConfig::default()
    }
}

fn end_user(origin: &str) -> Value {
    json!({
        "end_user_origin_id": origin,
        "end_user_organization_name": format!("Org of {origin}"),
        "end_user_email_address": format!("it@{origin}.example"),
        "categories": ["ticketing"],
    })
}

/// `POST /link-token` with `extra` merged into the end user's body; the answer.
async fn link_token(app: &TestApp, origin: &str, extra: Value) -> Value {
    let mut body = end_user(origin);
    for (k, v) in extra.as_object().expect("object") {
        body[k] = v.clone();
    }
    let (status, token) = app.post("/api/ticketing/v1/link-token", None, &body).await;
    assert_eq!(status, 200, "{token}");
    token
}

/// Opens the Link page; status and HTML.
async fn open_page(app: &TestApp, token: &str, query: &str) -> (u16, String) {
    let res = app
        .http
        .get(format!("{}/link/{token}{query}", app.base))
        .send()
        .await
        .expect("page");
    (res.status().as_u16(), res.text().await.expect("html"))
}

/// Submits credentials as JSON, as the page's script does.
async fn submit(app: &TestApp, token: &str, domain: &str, key: &str) -> (u16, Value) {
    let res = app
        .http
        .post(format!("{}/link/{token}", app.base))
        .header("accept", "application/json")
        .json(&json!({"integration": "freshdesk", "domain": domain, "api_key": key}))
        .send()
        .await
        .expect("submit");
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

/// `application/x-www-form-urlencoded` of these pairs.
fn form(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                b' ' => "+".to_string(),
                b => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Submits credentials as a plain HTML form (no JavaScript).
async fn submit_form(app: &TestApp, token: &str, domain: &str, key: &str) -> reqwest::Response {
    app.http
        .post(format!("{}/link/{token}?integration=freshdesk", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("integration", "freshdesk"),
            ("domain", domain),
            ("api_key", key),
        ]))
        .send()
        .await
        .expect("form")
}

async fn exchange(app: &TestApp, public_token: &str) -> (u16, Value) {
    app.get(
        &format!("/api/ticketing/v1/account-token/{public_token}"),
        None,
    )
    .await
}

async fn audit(app: &TestApp, query: &str) -> Vec<Value> {
    let (status, body) = app
        .get(&format!("/api/ticketing/v1/audit-trail{query}"), None)
        .await;
    assert_eq!(status, 200, "{body}");
    body["results"].as_array().expect("results").clone()
}

fn detail(body: &Value) -> &str {
    body["detail"]
        .as_str()
        .unwrap_or_else(|| panic!("no detail in {body}"))
}

#[tokio::test]
async fn link_flow_from_magic_link_to_listing_tickets() {
    let app = TestApp::start(sim(30)).await;
    let (_, key) = app.sim_account(0);
    let domain = app.sim_handle.base_url.clone();

    let lt = link_token(
        &app,
        "cust-1",
        json!({"integration": "freshdesk", "should_create_magic_link_url": true}),
    )
    .await;
    let token = lt["link_token"].as_str().expect("link_token");
    assert!(token.starts_with("dblt_") && token.len() >= 45, "{token}");
    assert_eq!(lt["integration_name"], json!("Freshdesk"));
    let magic = lt["magic_link_url"].as_str().expect("magic link");
    assert_eq!(magic, format!("{}/link/{token}", app.base));

    // The page: server-rendered, self-contained, says where the key is.
    let res = app.http.get(magic).send().await.expect("page");
    assert_eq!(res.status().as_u16(), 200);
    let csp = res.headers()[CONTENT_SECURITY_POLICY]
        .to_str()
        .expect("csp")
        .to_string();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    let html = res.text().await.expect("html");
    for needle in [
        "Connect Freshdesk",
        "Profile settings",
        "View API Key",
        "<label for=\"api_key\">",
        "test-org will read your Freshdesk tickets",
        "create and update\ntickets and comments",
    ] {
        assert!(html.contains(needle), "{needle} missing");
    }
    assert!(
        !html.contains("http://") && !html.contains("https://") && !html.contains("//cdn"),
        "no external asset"
    );
    let css = app
        .http
        .get(format!("{}/link/assets/link.css", app.base))
        .send()
        .await
        .expect("css");
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    let js = app
        .http
        .get(format!("{}/link/assets/link.js", app.base))
        .send()
        .await
        .expect("js");
    assert_eq!(js.status().as_u16(), 200);

    // A wrong key is explained, as JSON and as a form answer; the link stays usable.
    let (status, body) = submit(&app, token, &domain, "wrong-key-0000000000").await;
    assert_eq!(status, 400);
    assert!(detail(&body).contains("rejected the API key"), "{body}");
    let res = submit_form(&app, token, &domain, "wrong-key-0000000000").await;
    assert_eq!(res.status().as_u16(), 400);
    let html = res.text().await.expect("html");
    assert!(
        html.contains("rejected the API key") && html.contains(&domain),
        "the error and the typed domain"
    );
    assert!(
        !html.contains("wrong-key-0000000000"),
        "the key is never echoed"
    );

    // The right key links, queues the sync and hands over a public token.
    let (status, done) = submit(&app, token, &domain, &key).await;
    assert_eq!(status, 200, "{done}");
    let public = done["public_token"].as_str().expect("public_token");
    assert!(public.starts_with("dbpt_"));
    assert_eq!(
        (
            done["integration"].as_str(),
            done["integration_name"].as_str()
        ),
        (Some("freshdesk"), Some("Freshdesk"))
    );
    assert_eq!(done["redirect_url"], Value::Null);

    // Link tokens are single use.
    assert_eq!(open_page(&app, token, "").await.0, 410);
    assert_eq!(submit(&app, token, &domain, &key).await.0, 410);

    // The exchange needs the API key, works once, and gives the account token.
    let res = app
        .http
        .get(format!(
            "{}/api/ticketing/v1/account-token/{public}",
            app.base
        ))
        .send()
        .await
        .expect("send");
    assert_eq!(res.status().as_u16(), 401);
    assert_eq!(exchange(&app, "dbpt_guess").await.0, 404);
    let (status, acct) = exchange(&app, public).await;
    assert_eq!(status, 200, "{acct}");
    assert_eq!(acct["integration"]["name"], json!("Freshdesk"));
    assert_eq!(acct["integration"]["slug"], json!("freshdesk"));
    let (status, again) = exchange(&app, public).await;
    assert_eq!(status, 404, "single use: {again}");

    let account_token = acct["account_token"].as_str().expect("account_token");
    let id: deskbridge_store::LinkedAccountId =
        acct["id"].as_str().expect("id").parse().expect("uuid");
    assert_eq!(app.wait_synced(id).await, "DONE");
    let tickets = app
        .list_all("/api/ticketing/v1/tickets", account_token)
        .await;
    assert!(tickets.len() >= 20, "tickets listed: {}", tickets.len());
    let (_, details) = app
        .get("/api/ticketing/v1/account-details", Some(account_token))
        .await;
    assert_eq!(details["end_user_origin_id"], json!("cust-1"));
    assert_eq!(
        details["end_user_email_address"],
        json!("it@cust-1.example")
    );

    // Only keyed hashes are stored.
    let hashes: Vec<Vec<u8>> = sqlx::query_scalar(
        "SELECT token_hash FROM link_tokens UNION ALL SELECT token_hash FROM public_tokens",
    )
    .fetch_all(&app.db.pool)
    .await
    .expect("hashes");
    assert!(
        !hashes.is_empty()
            && hashes
                .iter()
                .all(|h| h.len() == 32 && !h.windows(5).any(|w| w == b"dblt_" || w == b"dbpt_"))
    );

    // The audit trail names the end user and the magic link.
    let events = audit(&app, "").await;
    let types: Vec<&str> = events
        .iter()
        .filter_map(|e| e["event_type"].as_str())
        .collect();
    assert!(
        types.contains(&"GENERATED_MAGIC_LINK") && types.contains(&"ENABLED_INTEGRATION"),
        "{types:?}"
    );
    let linked = audit(&app, "?user_email=it@cust-1.example").await;
    assert_eq!(linked.len(), 1);
    assert!(
        linked[0]["event_description"]
            .as_str()
            .expect("text")
            .contains("linked through the Link page")
    );
    assert_eq!(linked[0]["ip_address"], json!("127.0.0.1"));
    app.stop().await;
}

#[tokio::test]
async fn picker_first_when_the_link_names_no_integration_and_form_posts_redirect() {
    let opts = Options {
        link_redirect_url: Some("https://app.example.com/linked?x=1".into()),
        ..Options::default()
    };
    let app = TestApp::start_with(sim(5), opts).await;
    let (_, key) = app.sim_account(0);
    let lt = link_token(&app, "cust-2", json!({})).await;
    assert_eq!(lt["integration_name"], Value::Null);
    assert_eq!(lt["magic_link_url"], Value::Null);
    let token = lt["link_token"].as_str().expect("token");

    let (status, html) = open_page(&app, token, "").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Connect your helpdesk") && html.contains("href=\"?integration=freshdesk\""),
        "picker"
    );
    let (status, html) = open_page(&app, token, "?integration=freshdesk").await;
    assert_eq!(status, 200);
    assert!(html.contains("Connect Freshdesk") && html.contains("Choose another helpdesk"));
    let (status, html) = open_page(&app, token, "?integration=zendesk").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Connect your helpdesk"),
        "unknown integration: back to the picker"
    );

    // Without JavaScript a successful form post goes to the redirect URL with the token.
    let res = submit_form(&app, token, &app.sim_handle.base_url, &key).await;
    assert_eq!(res.status().as_u16(), 303);
    let location = res.headers()[LOCATION]
        .to_str()
        .expect("location")
        .to_string();
    assert!(
        location.starts_with("https://app.example.com/linked?x=1&public_token=dbpt_"),
        "{location}"
    );
    assert!(
        location.contains("&integration=freshdesk&end_user_origin_id=cust-2"),
        "{location}"
    );
    let public = location
        .split("public_token=")
        .nth(1)
        .and_then(|r| r.split('&').next())
        .expect("token");
    let (status, acct) = exchange(&app, public).await;
    assert_eq!(status, 200, "{acct}");
    app.stop().await;
}

#[tokio::test]
async fn relinking_updates_the_account_and_yields_the_same_token() {
    let app = TestApp::start(sim(5)).await;
    let (_, key) = app.sim_account(0);
    let (token, id) = app.link(0).await;
    let (sub, _) = app.sim_account(0);
    app.wait_synced(id).await;
    app.store
        .set_account_status(id, "RELINK_NEEDED", Some("the key was refused"))
        .await
        .expect("status");

    let lt = link_token(
        &app,
        &format!("customer-{sub}"),
        json!({"integration": "freshdesk"}),
    )
    .await;
    let (status, done) = submit(
        &app,
        lt["link_token"].as_str().expect("token"),
        &app.sim_handle.base_url,
        &key,
    )
    .await;
    assert_eq!(status, 200, "{done}");
    let (status, acct) = exchange(&app, done["public_token"].as_str().expect("public")).await;
    assert_eq!(status, 200);
    assert_eq!(
        acct["account_token"],
        json!(token),
        "the same account token"
    );
    assert_eq!(acct["id"], json!(id.to_string()));

    let la = app
        .store
        .linked_account(app.org, id)
        .await
        .expect("account");
    assert_eq!((la.status.as_str(), la.status_detail), ("COMPLETE", None));
    assert_eq!(
        la.end_user_organization_name,
        format!("Org of customer-{sub}"),
        "details updated"
    );
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM linked_accounts")
        .fetch_one(&app.db.pool)
        .await
        .expect("n");
    assert_eq!(n, 1);
    let events = audit(&app, "?event_type=ENABLED_INTEGRATION").await;
    let texts: Vec<&str> = events
        .iter()
        .filter_map(|e| e["event_description"].as_str())
        .collect();
    assert!(
        texts[0].contains("was linked with credentials sent by the API"),
        "{texts:?}"
    );
    assert!(
        texts[1].contains("was relinked through the Link page"),
        "{texts:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn refused_credentials_and_bad_links_are_explained_in_plain_words() {
    let app = TestApp::start(sim(3)).await;
    let (sub0, key0) = app.sim_account(0);
    let (sub1, key1) = app.sim_account(1);
    let base = app.sim_handle.base_url.clone();
    let lt = link_token(&app, "cust-3", json!({"integration": "freshdesk"})).await;
    let token = lt["link_token"].as_str().expect("token");

    let (status, body) = submit(&app, token, &format!("{base}/d/nosuch"), &key0).await;
    assert_eq!(status, 400);
    assert!(
        detail(&body).contains("No Freshdesk account exists at this domain"),
        "{body}"
    );
    let (status, body) = submit(&app, token, "http://10.9.8.7:9000", &key0).await;
    assert_eq!(status, 400);
    assert!(detail(&body).contains("is not allowed"), "{body}");
    let (status, body) = submit(&app, token, "", &key0).await;
    assert_eq!(status, 400);
    assert!(
        detail(&body).contains("Enter your Freshdesk domain"),
        "{body}"
    );
    let (status, body) = submit(&app, token, &base, " ").await;
    assert_eq!(status, 400);
    assert!(
        detail(&body).contains("Enter your Freshdesk API key"),
        "{body}"
    );

    app.sim
        .control()
        .set_suspended(&sub0, true)
        .expect("suspend");
    let (status, body) = submit(&app, token, &base, &key0).await;
    assert_eq!(status, 400);
    assert!(detail(&body).contains("suspended"), "{body}");

    app.sim
        .control()
        .set_plan(&sub1, Some(deskbridge_freshdesk_sim::Plan::Free))
        .expect("plan");
    let (status, body) = submit(&app, token, &base, &key1).await;
    assert_eq!(status, 400);
    assert!(
        detail(&body).contains("does not include API access"),
        "{body}"
    );

    // Unknown and expired links.
    let (status, html) = open_page(&app, "dblt_doesnotexist", "").await;
    assert_eq!(status, 404);
    assert!(html.contains("This link is not valid"));
    let expired = app
        .store
        .create_link_token(
            app.org,
            &deskbridge_store::link_tokens::NewLinkToken {
                integration: None,
                end_user_origin_id: "late".into(),
                end_user_organization_name: "Late Inc.".into(),
                end_user_email_address: "late@example.com".into(),
                expires_at: chrono::Utc::now() - chrono::Duration::minutes(1),
            },
        )
        .await
        .expect("expired token");
    let (status, html) = open_page(&app, &expired, "").await;
    assert_eq!(status, 410);
    assert!(
        html.contains("This link has expired. Ask test-org for a new one."),
        "{html}"
    );

    // Freshdesk unreachable (every connection dropped).
    app.sim
        .control()
        .set_suspended(&sub0, false)
        .expect("reactivate");
    app.sim
        .control()
        .set_faults(deskbridge_freshdesk_sim::FaultConfig {
            drop_rate: 1.0,
            ..Default::default()
        });
    let (status, body) = submit(&app, token, &base, &key0).await;
    assert_eq!(status, 502, "{body}");
    assert!(detail(&body).contains("could not be reached"), "{body}");
    app.sim
        .control()
        .set_faults(deskbridge_freshdesk_sim::FaultConfig::default());
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM linked_accounts")
        .fetch_one(&app.db.pool)
        .await
        .expect("n");
    assert_eq!(n, 0, "nothing linked");
    app.stop().await;
}

#[tokio::test]
async fn link_token_requests_are_validated() {
    let app = TestApp::start(sim(1)).await;
    let bad = [
        (
            json!({"categories": ["hris"]}),
            "Unsupported category `hris`",
        ),
        (
            json!({"integration": "zendesk"}),
            "Unknown integration `zendesk`",
        ),
        (json!({"link_expiry_mins": 10}), "link_expiry_mins"),
        (json!({"link_expiry_mins": 721}), "link_expiry_mins"),
        (
            json!({"end_user_origin_id": "  "}),
            "`end_user_origin_id` must not be empty",
        ),
    ];
    for (extra, expected) in bad {
        let mut body = end_user("cust-4");
        for (k, v) in extra.as_object().expect("object") {
            body[k] = v.clone();
        }
        let (status, answer) = app.post("/api/ticketing/v1/link-token", None, &body).await;
        assert_eq!(status, 400, "{extra}: {answer}");
        assert!(detail(&answer).contains(expected), "{extra}: {answer}");
    }
    let mut body = end_user("cust-4");
    body.as_object_mut()
        .expect("object")
        .remove("end_user_email_address");
    let (status, answer) = app.post("/api/ticketing/v1/link-token", None, &body).await;
    assert_eq!(status, 400);
    assert!(
        detail(&answer).contains("end_user_email_address"),
        "{answer}"
    );
    let res = app
        .http
        .post(format!("{}/api/ticketing/v1/link-token", app.base))
        .json(&end_user("x"))
        .send()
        .await
        .expect("send");
    assert_eq!(res.status().as_u16(), 401);

    // A magic link lasts 7 days unless told otherwise; a plain link 30 minutes.
    link_token(
        &app,
        "cust-5",
        json!({"should_create_magic_link_url": true}),
    )
    .await;
    link_token(&app, "cust-6", json!({})).await;
    let mins: Vec<f64> = sqlx::query_scalar(
        "SELECT round(extract(epoch FROM expires_at - created_at) / 60)::float8 FROM link_tokens ORDER BY end_user_origin_id",
    )
    .fetch_all(&app.db.pool)
    .await
    .expect("expiry");
    assert_eq!(mins, vec![10080.0, 30.0]);
    app.stop().await;
}

#[tokio::test]
async fn generate_and_regenerate_named_keys_with_an_audit_trail() {
    let app = TestApp::start(sim(1)).await;
    let (status, body) = app
        .post("/api/ticketing/v1/generate-key", None, &json!({}))
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = app
        .post(
            "/api/ticketing/v1/generate-key",
            None,
            &json!({"name": " "}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, first) = app
        .post(
            "/api/ticketing/v1/generate-key",
            None,
            &json!({"name": "ci"}),
        )
        .await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["name"], json!("ci"));
    let first_key = first["key"].as_str().expect("key").to_string();
    let with = |key: &str| {
        let req = app
            .http
            .get(format!("{}/api/ticketing/v1/linked-accounts", app.base))
            .bearer_auth(key.to_string());
        async move { req.send().await.expect("send").status().as_u16() }
    };
    assert_eq!(with(&first_key).await, 200);

    let (status, second) = app
        .post(
            "/api/ticketing/v1/regenerate-key",
            None,
            &json!({"name": "ci"}),
        )
        .await;
    assert_eq!(status, 200, "{second}");
    let second_key = second["key"].as_str().expect("key");
    assert_ne!(second_key, first_key);
    assert_eq!(with(&first_key).await, 401, "the old key is revoked");
    assert_eq!(with(second_key).await, 200);
    let (status, body) = app
        .post(
            "/api/ticketing/v1/regenerate-key",
            None,
            &json!({"name": "nope"}),
        )
        .await;
    assert_eq!(status, 404, "{body}");

    // Keys are stored as hashes only.
    let stored: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM api_keys WHERE key_hash = convert_to($1, 'UTF8') OR prefix = $1",
    )
    .bind(&first_key)
    .fetch_one(&app.db.pool)
    .await
    .expect("count");
    assert_eq!(stored, 0);

    let events = audit(&app, "").await;
    let types: Vec<&str> = events
        .iter()
        .filter_map(|e| e["event_type"].as_str())
        .collect();
    assert_eq!(
        types,
        [
            "CREATED_REMOTE_PRODUCTION_API_KEY",
            "REGENERATED_PRODUCTION_API_KEY"
        ]
    );
    assert_eq!(events[0]["role"], json!("API"));
    assert!(
        events[0]["user_name"]
            .as_str()
            .expect("name")
            .starts_with("API key test (dbk_"),
        "{}",
        events[0]
    );
    for e in &events {
        assert!(
            !e.to_string().contains(&first_key) && !e.to_string().contains(second_key),
            "no key in the trail"
        );
    }

    // Filters and paging.
    let page = audit(&app, "?event_type=REGENERATED_PRODUCTION_API_KEY").await;
    assert_eq!(page.len(), 1);
    let (status, body) = app
        .get("/api/ticketing/v1/audit-trail?event_type=NOT_A_TYPE", None)
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = app
        .get("/api/ticketing/v1/audit-trail?start_date=soon", None)
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(audit(&app, "?start_date=2999-01-01").await.is_empty());
    assert_eq!(audit(&app, "?end_date=2999-01-01").await.len(), 2);
    let (_, one) = app
        .get("/api/ticketing/v1/audit-trail?page_size=1", None)
        .await;
    assert_eq!(
        one["results"][0]["event_type"],
        json!("CREATED_REMOTE_PRODUCTION_API_KEY")
    );
    let next = one["next"].as_str().expect("next");
    let (_, two) = app
        .get(
            &format!("/api/ticketing/v1/audit-trail?page_size=1&cursor={next}"),
            None,
        )
        .await;
    assert_eq!(
        two["results"][0]["event_type"],
        json!("REGENERATED_PRODUCTION_API_KEY")
    );
    assert_eq!(two["next"], Value::Null);
    app.stop().await;
}

/// An empty-bodied POST with the account token; it must answer 200.
async fn post_ok(app: &TestApp, path: &str, token: &str) {
    let (status, body) = app.post(path, Some(token), &json!({})).await;
    assert_eq!(status, 200, "{path}: {body}");
}

/// No row of the deleted account is left in any table, and no job at all.
async fn assert_nothing_left(app: &TestApp, id: deskbridge_store::LinkedAccountId, jobs_msg: &str) {
    let after = rows_of_account(app, id).await;
    assert!(after.iter().all(|(_, n)| *n == 0), "rows left: {after:?}");
    let jobs: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs")
        .fetch_one(&app.db.pool)
        .await
        .expect("jobs");
    assert_eq!(jobs, 0, "{jobs_msg}");
}

/// Every table holding a linked account's data: the number of its rows there.
async fn rows_of_account(
    app: &TestApp,
    id: deskbridge_store::LinkedAccountId,
) -> Vec<(String, i64)> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.columns
         WHERE table_schema = 'public' AND column_name = 'linked_account_id' ORDER BY 1",
    )
    .fetch_all(&app.db.pool)
    .await
    .expect("tables");
    let mut out = Vec::new();
    for t in tables {
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM \"{t}\" WHERE linked_account_id = $1"
        )))
        .bind(id)
        .fetch_one(&app.db.pool)
        .await
        .expect("count");
        out.push((t, n));
    }
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM linked_accounts WHERE id = $1")
        .bind(id)
        .fetch_one(&app.db.pool)
        .await
        .expect("count");
    out.push(("linked_accounts".into(), n));
    out
}

#[tokio::test]
async fn deleting_an_account_leaves_no_row_and_no_job() {
    let app = TestApp::start(sim(20)).await;
    let (_, key) = app.sim_account(0);
    // Linked through the Link flow, so link and public tokens exist too.
    let lt = link_token(&app, "cust-7", json!({"integration": "freshdesk"})).await;
    let (_, done) = submit(
        &app,
        lt["link_token"].as_str().expect("token"),
        &app.sim_handle.base_url,
        &key,
    )
    .await;
    let second = link_token(&app, "cust-7", json!({"integration": "freshdesk"})).await;
    let (_, unexchanged) = submit(
        &app,
        second["link_token"].as_str().expect("token"),
        &app.sim_handle.base_url,
        &key,
    )
    .await;
    assert!(unexchanged["public_token"].is_string());
    let (_, acct) = exchange(&app, done["public_token"].as_str().expect("public")).await;
    let token = acct["account_token"].as_str().expect("token").to_string();
    let id: deskbridge_store::LinkedAccountId =
        acct["id"].as_str().expect("id").parse().expect("uuid");
    assert_eq!(app.wait_synced(id).await, "DONE");
    let before = rows_of_account(&app, id).await;
    assert!(
        before.iter().any(|(t, n)| t == "tickets" && *n > 0),
        "{before:?}"
    );
    assert!(
        before.iter().any(|(t, n)| t == "link_tokens" && *n == 2),
        "{before:?}"
    );
    assert!(
        before.iter().any(|(t, n)| t == "public_tokens" && *n == 1),
        "{before:?}"
    );

    // A queued job, then delete.
    assert_eq!(app.client().resync(&token).await, 200);
    app.store
        .enqueue_job(id, "sync", chrono::Utc::now() + chrono::Duration::hours(1))
        .await
        .expect("job");
    post_ok(&app, "/api/ticketing/v1/delete-account", &token).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_nothing_left(&app, id, "jobs").await;
    let (status, _) = app.get("/api/ticketing/v1/tickets", Some(&token)).await;
    assert_eq!(status, 401, "the token is gone");
    assert_eq!(
        exchange(&app, unexchanged["public_token"].as_str().expect("public"))
            .await
            .0,
        404
    );

    let types: Vec<String> = audit(&app, "")
        .await
        .iter()
        .filter_map(|e| e["event_type"].as_str().map(String::from))
        .collect();
    assert!(
        types.contains(&"FORCED_LINKED_ACCOUNT_RESYNC".into())
            && types.contains(&"DELETED_LINKED_ACCOUNT".into()),
        "{types:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn failed_link_attempts_are_limited_per_client_address() {
    let app = TestApp::start(sim(1)).await;
    let lt = link_token(&app, "cust-8", json!({})).await;
    let token = lt["link_token"].as_str().expect("token");
    for i in 0..20 {
        let (status, _) = open_page(&app, &format!("dblt_guess{i}"), "").await;
        assert_eq!(status, 404);
    }
    let res = app
        .http
        .get(format!("{}/link/dblt_guess20", app.base))
        .send()
        .await
        .expect("send");
    assert_eq!(res.status().as_u16(), 429);
    let retry: u64 = res.headers()[RETRY_AFTER]
        .to_str()
        .expect("retry")
        .parse()
        .expect("secs");
    assert!((1..=60).contains(&retry));
    // Past the limit, even a good token waits; not the exchange (counted per organization).
    assert_eq!(open_page(&app, token, "").await.0, 429);
    let (status, body) = exchange(&app, "dbpt_guess").await;
    assert_eq!(status, 404, "{body}");
    app.stop().await;
}

#[tokio::test]
async fn deleting_during_a_sync_stops_it_and_leaves_nothing() {
    let app = TestApp::start(sim(20)).await;
    let (token, id) = app.link(0).await;
    assert_eq!(app.wait_synced(id).await, "DONE");
    // Every Freshdesk answer now takes 300 ms: the resync is still running when we delete.
    app.sim
        .control()
        .set_faults(deskbridge_freshdesk_sim::FaultConfig {
            slow_rate: 1.0,
            slow_delay: Duration::from_millis(300),
            ..Default::default()
        });
    assert_eq!(app.client().resync(&token).await, 200);
    let mut running = false;
    for _ in 0..100 {
        let runs = app.store.recent_runs(app.org, id, 5).await.expect("runs");
        if runs.len() == 2 && runs[0].finished_at.is_none() {
            running = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(running, "the resync started");
    post_ok(&app, "/api/ticketing/v1/delete-account", &token).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_nothing_left(&app, id, "no job left or re-queued").await;
    app.sim
        .control()
        .set_faults(deskbridge_freshdesk_sim::FaultConfig::default());
    app.stop().await;
}
