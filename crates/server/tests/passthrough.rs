//! Passthrough: authenticated raw requests to the linked account's Freshdesk, confined to its
//! `/api/v2/`, never returning our credentials, charged to the account's rate budget and
//! refused at once (429 with Retry-After) when it is spent.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::TestApp;
use deskbridge_freshdesk_sim::{Plan, SimConfig};
use serde_json::{Value, json};

async fn synced() -> (TestApp, String) {
    let app = TestApp::start(SimConfig {
        seed: 71,
        accounts: 1,
        tickets: 15,
        ..SimConfig::default()
    })
    .await;
    let (token, la) = app.link(0).await;
    assert_eq!(app.wait_synced(la).await, "DONE");
    (app, token)
}

/// A server that counts every request it receives (it must receive none).
async fn decoy() -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let app = axum::Router::new().fallback(move || {
        let h = h.clone();
        async move {
            h.fetch_add(1, Ordering::SeqCst);
            "decoy"
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr.to_string(), hits)
}

async fn passthrough(
    app: &TestApp,
    token: &str,
    body: &Value,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let res = app
        .http
        .post(format!("{}/api/ticketing/v1/passthrough", app.base))
        .bearer_auth(&app.api_key)
        .header("X-Account-Token", token)
        .json(body)
        .send()
        .await
        .expect("request");
    let headers = res.headers().clone();
    let (status, body) = common::checked("POST", "/api/ticketing/v1/passthrough", res).await;
    (status, headers, body)
}

#[tokio::test]
async fn passthrough_reaches_only_the_accounts_api_v2() {
    let (app, token) = synced().await;
    let (sub, key) = app.sim_account(0);

    // (Without a filter Freshdesk lists only tickets of the last 30 days.)
    let all = "/tickets?updated_since=2000-01-01T00:00:00Z";
    let (status, _, body) = passthrough(&app, &token, &json!({"method": "GET", "path": all})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], json!(200));
    assert_eq!(body["method"], json!("GET"));
    assert!(
        body["response"].as_array().is_some_and(|a| !a.is_empty()),
        "{body}"
    );
    let headers = body["response_headers"].as_object().expect("headers");
    assert!(headers.contains_key("x-ratelimit-remaining"), "{headers:?}");
    for secret_header in ["authorization", "set-cookie", "www-authenticate"] {
        assert!(
            !headers
                .keys()
                .any(|k| k.eq_ignore_ascii_case(secret_header))
        );
    }
    let text = body.to_string();
    assert!(
        !text.contains(&key),
        "the account's API key never comes back"
    );
    assert!(
        !text.to_ascii_lowercase().contains("basic "),
        "no auth header comes back"
    );

    // The /api/v2/ prefix is accepted too; queries pass.
    let (status, _, body) =
        passthrough(&app, &token, &json!({"method": "GET", "path": "/api/v2/tickets?per_page=2&updated_since=2000-01-01T00:00:00Z"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["response"].as_array().map(Vec::len), Some(2));

    // Freshdesk's own errors come back as they are.
    let (status, _, body) = passthrough(
        &app,
        &token,
        &json!({"method": "GET", "path": "/tickets/999999999"}),
    )
    .await;
    assert_eq!(
        (status, body["status"].clone()),
        (200, json!(404)),
        "{body}"
    );

    // A write through passthrough, with a JSON body.
    let contact = app.sim.control().snapshot(&sub).expect("snapshot").contacts[0]["id"].clone();
    let data = json!({"subject": "Via passthrough", "description": "d", "requester_id": contact})
        .to_string();
    let (status, _, body) = passthrough(
        &app,
        &token,
        &json!({"method": "POST", "path": "tickets", "data": data, "request_format": "JSON",
                "headers": {"Authorization": "Basic bm9wZTpY", "Content-Type": "application/json"}}),
    )
    .await;
    assert_eq!(
        (status, body["status"].clone()),
        (200, json!(201)),
        "{body}"
    );
    assert_eq!(body["response"]["subject"], json!("Via passthrough"));

    // Nothing outside the account's /api/v2/ is reachable, and nothing is sent for it.
    let (decoy_host, hits) = decoy().await;
    app.sim.control().reset_counters(&sub).expect("reset");
    let sim_host = app
        .sim_handle
        .base_url
        .trim_start_matches("http://")
        .to_string();
    let escapes = [
        "../tickets".to_string(),
        "/api/v2/../../_sim/accounts".to_string(),
        "tickets/../../_sim/accounts".to_string(),
        "%2e%2e/%2e%2e/_sim/accounts".to_string(),
        "tickets/..%2f..%2f_sim/accounts".to_string(),
        "//evil.example/api/v2/tickets".to_string(),
        format!("http://{decoy_host}/api/v2/tickets"),
        format!("//{decoy_host}/api/v2/tickets"),
        format!("https:{decoy_host}"),
        format!("@{decoy_host}/x"),
        format!("http://{sim_host}/_sim/accounts"),
        "tickets\\..\\..\\_sim".to_string(),
        "tickets#frag".to_string(),
        "tickets x".to_string(),
        String::new(),
    ];
    for path in &escapes {
        let (status, _, body) =
            passthrough(&app, &token, &json!({"method": "GET", "path": path})).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert!(
            body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{path}: {body}"
        );
    }
    // No host override, whatever the path.
    for base in [
        format!("http://{decoy_host}"),
        "https://evil.example".to_string(),
    ] {
        let (status, _, body) = passthrough(
            &app,
            &token,
            &json!({"method": "GET", "path": "/tickets", "base_url_override": base}),
        )
        .await;
        assert_eq!(status, 400, "{body}");
        assert!(
            body["detail"]
                .as_str()
                .expect("detail")
                .contains("base_url_override")
        );
    }
    // Not JSON: refused before anything is sent.
    let (status, _, _) = passthrough(
        &app,
        &token,
        &json!({"method": "POST", "path": "/tickets", "data": "<xml/>"}),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _, _) = passthrough(
        &app,
        &token,
        &json!({"method": "POST", "path": "/tickets", "data": "x", "request_format": "XML"}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(hits.load(Ordering::SeqCst), 0, "the decoy was never called");
    assert_eq!(
        app.sim.control().counters(&sub).expect("counters").requests,
        0,
        "nothing reached Freshdesk"
    );

    // Without an account token, nothing at all.
    let res = app
        .http
        .post(format!("{}/api/ticketing/v1/passthrough", app.base))
        .bearer_auth(&app.api_key)
        .json(&json!({"method": "GET", "path": "/tickets"}))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status().as_u16(), 401);
    app.stop().await;
}

#[tokio::test]
async fn a_spent_budget_is_a_429_at_once() {
    let (app, token) = synced().await;
    let (sub, _) = app.sim_account(0);
    // 50 calls a minute; the budget keeps 20 % for the customer's other apps.
    app.sim
        .control()
        .set_plan(&sub, Some(Plan::Trial))
        .expect("plan");
    app.sim.control().reset_counters(&sub).expect("reset");
    let mut ok = 0;
    let mut refused = None;
    for _ in 0..60 {
        let t0 = Instant::now();
        let (status, headers, body) = passthrough(
            &app,
            &token,
            &json!({"method": "GET", "path": "/tickets?per_page=1"}),
        )
        .await;
        if status == 429 {
            refused = Some((t0.elapsed(), headers, body));
            break;
        }
        assert_eq!(
            (status, body["status"].clone()),
            (200, json!(200)),
            "{body}"
        );
        ok += 1;
    }
    let (elapsed, headers, body) = refused.expect("the budget runs out within 60 calls");
    assert!(
        elapsed < Duration::from_secs(2),
        "refused at once, not after waiting: {elapsed:?}"
    );
    let retry: u64 = headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=60).contains(&retry), "{retry}");
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("rate limit")),
        "{body}"
    );
    assert!((30..=50).contains(&ok), "{ok} calls before the reserve");
    let counters = app.sim.control().counters(&sub).expect("counters");
    assert_eq!(
        counters.rate_limited, 0,
        "the budget refused before Freshdesk had to"
    );
    app.stop().await;
}
