//! The Link page behind a reverse proxy and inside other sites: failures are counted per
//! client (named by a trusted proxy only; IPv6 by /64), the audit trail names the same client,
//! the token exchange is limited per organization; the page may be framed by, and posts its
//! message to, configured origins only; magic links come from `DESKBRIDGE_PUBLIC_URL` alone.

mod common;

use common::{Options, TestApp};
use deskbridge_freshdesk_sim::SimConfig;
use reqwest::header::{CONTENT_SECURITY_POLICY, HeaderName, X_FRAME_OPTIONS};
use serde_json::{Value, json};

fn sim() -> SimConfig {
    SimConfig {
        seed: 47,
        accounts: 1,
        tickets: 3,
        conversations_per_ticket: 1.0,
        ..SimConfig::default()
    }
}

fn end_user(origin: &str, magic: bool) -> Value {
    json!({"end_user_origin_id": origin, "end_user_organization_name": "Proxied Inc.",
           "end_user_email_address": "it@proxied.example", "categories": ["ticketing"],
           "integration": "freshdesk", "should_create_magic_link_url": magic})
}

async fn link_token(app: &TestApp, origin: &str) -> String {
    let (status, lt) = app
        .post(
            "/api/ticketing/v1/link-token",
            None,
            &end_user(origin, false),
        )
        .await;
    assert_eq!(status, 200, "{lt}");
    lt["link_token"].as_str().expect("token").to_string()
}

/// Opens the Link page of `token` with one extra header (the proxy's); the status.
async fn open(app: &TestApp, token: &str, header: (&str, &str)) -> u16 {
    app.http
        .get(format!("{}/link/{token}", app.base))
        .header(
            HeaderName::from_bytes(header.0.as_bytes()).expect("name"),
            header.1,
        )
        .send()
        .await
        .expect("page")
        .status()
        .as_u16()
}

/// `GET /account-token/{token}` with this API key; the status.
async fn exchange(app: &TestApp, api_key: &str, token: &str) -> u16 {
    let path = format!("/api/ticketing/v1/account-token/{token}");
    let res = app
        .http
        .get(format!("{}{path}", app.base))
        .bearer_auth(api_key)
        .send()
        .await
        .expect("exchange");
    common::checked("GET", &path, res).await.0
}

/// An app that refuses a client address after 3 failed link attempts.
async fn start_limited() -> TestApp {
    let opts = Options {
        link_failure_limit: 3,
        ..Options::default()
    };
    TestApp::start_with(sim(), opts).await
}

#[tokio::test]
async fn behind_a_trusted_proxy_failures_are_counted_per_client_and_ipv6_per_64() {
    let app = TestApp::start_with(
        sim(),
        Options {
            link_failure_limit: 3,
            trusted_proxies: vec!["127.0.0.1/32".into()],
            ..Options::default()
        },
    )
    .await;
    let xff = "x-forwarded-for";
    for _ in 0..3 {
        assert_eq!(open(&app, "dblt_guess", (xff, "203.0.113.7")).await, 404);
    }
    assert_eq!(open(&app, "dblt_guess", (xff, "203.0.113.7")).await, 429);
    // Prepending a made-up hop does not make a new client: the proxy appended the real one.
    assert_eq!(
        open(&app, "dblt_guess", (xff, "10.9.8.7, 203.0.113.7")).await,
        429
    );
    // Another client behind the same proxy is not locked out.
    assert_eq!(open(&app, "dblt_guess", (xff, "198.51.100.9")).await, 404);
    let good = link_token(&app, "cust-1").await;
    assert_eq!(open(&app, &good, (xff, "198.51.100.9")).await, 200);

    // IPv6 (RFC 7239 `Forwarded`): one /64 is one client, whichever /128 it uses.
    let fwd = "forwarded";
    for i in 1..=3 {
        let v = format!("for=\"[2001:db8:1:2::{i}]:4711\";proto=https");
        assert_eq!(open(&app, "dblt_guess", (fwd, &v)).await, 404);
    }
    let same_64 = "for=\"[2001:db8:1:2:ffff::9]\"";
    assert_eq!(open(&app, "dblt_guess", (fwd, same_64)).await, 429);
    let other_64 = "for=\"[2001:db8:1:3::1]\"";
    assert_eq!(open(&app, &good, (fwd, other_64)).await, 200);

    // The audit trail names the client the proxy named.
    let res = app
        .http
        .post(format!("{}/link/{good}", app.base))
        .header(xff, "192.0.2.55")
        .json(&json!({"domain": app.sim_handle.base_url, "api_key": app.sim_account(0).1}))
        .send()
        .await
        .expect("submit");
    assert_eq!(res.status().as_u16(), 200);
    let (status, trail) = app
        .get(
            "/api/ticketing/v1/audit-trail?event_type=ENABLED_INTEGRATION",
            None,
        )
        .await;
    assert_eq!(status, 200, "{trail}");
    assert_eq!(
        trail["results"][0]["ip_address"],
        json!("192.0.2.55"),
        "{trail}"
    );
    app.stop().await;
}

#[tokio::test]
async fn forwarding_headers_from_an_untrusted_peer_are_ignored() {
    let app = start_limited().await;
    for i in 0..3 {
        let ip = format!("203.0.113.{i}");
        assert_eq!(
            open(&app, "dblt_guess", ("x-forwarded-for", &ip)).await,
            404
        );
    }
    assert_eq!(
        open(&app, "dblt_guess", ("x-forwarded-for", "198.51.100.1")).await,
        429,
        "a client cannot pick a new address with a header"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_token_exchange_is_limited_per_organization_not_per_address() {
    let app = start_limited().await;
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
    for _ in 0..3 {
        assert_eq!(exchange(&app, &app.api_key, "dbpt_guess").await, 404);
    }
    assert_eq!(exchange(&app, &app.api_key, "dbpt_guess").await, 429);
    // Another organization's backend at the same address, and the Link page, still work.
    assert_eq!(exchange(&app, &other_key, "dbpt_guess").await, 404);
    let good = link_token(&app, "cust-2").await;
    assert_eq!(open(&app, &good, ("accept", "text/html")).await, 200);
    // Wrong API keys are still counted per address.
    for _ in 0..3 {
        assert_eq!(exchange(&app, "dbk_wrong", "dbpt_guess").await, 401);
    }
    assert_eq!(exchange(&app, "dbk_wrong", "dbpt_guess").await, 429);
    app.stop().await;
}

#[tokio::test]
async fn the_link_page_is_framed_by_and_posts_to_configured_origins_only() {
    let app = TestApp::start(sim()).await;
    let token = link_token(&app, "cust-3").await;
    let res = app
        .http
        .get(format!("{}/link/{token}", app.base))
        .send()
        .await
        .expect("page");
    let csp = res.headers()[CONTENT_SECURITY_POLICY]
        .to_str()
        .expect("csp")
        .to_string();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(
        res.headers().get(X_FRAME_OPTIONS).map(|v| v.as_bytes()),
        Some(b"DENY".as_slice())
    );
    let js = app
        .http
        .get(format!("{}/link/assets/link.js", app.base))
        .send()
        .await
        .expect("js")
        .text()
        .await
        .expect("text");
    assert!(js.contains("postMessage"), "the script still hands over");
    assert!(!js.contains("\"*\""), "never postMessage to any origin");
    app.stop().await;

    let app = TestApp::start_with(
        sim(),
        Options {
            link_embed_origins: vec![
                "https://App.Example.com".into(),
                "http://127.0.0.1:3000".into(),
            ],
            ..Options::default()
        },
    )
    .await;
    let token = link_token(&app, "cust-4").await;
    let res = app
        .http
        .get(format!("{}/link/{token}", app.base))
        .send()
        .await
        .expect("page");
    let csp = res.headers()[CONTENT_SECURITY_POLICY]
        .to_str()
        .expect("csp")
        .to_string();
    assert!(
        csp.contains("frame-ancestors https://app.example.com http://127.0.0.1:3000"),
        "{csp}"
    );
    let html = res.text().await.expect("html");
    assert!(
        html.contains("data-embed-origins=\"https://app.example.com http://127.0.0.1:3000\""),
        "the script learns where it may post"
    );
    app.stop().await;
}

#[tokio::test]
async fn magic_links_come_from_the_public_url_never_from_the_host_header() {
    let app = TestApp::start(sim()).await;
    let res = app
        .http
        .post(format!("{}/api/ticketing/v1/link-token", app.base))
        .bearer_auth(&app.api_key)
        .header("host", "evil.example")
        .json(&end_user("cust-5", true))
        .send()
        .await
        .expect("link token");
    let (status, lt) = common::checked("POST", "/api/ticketing/v1/link-token", res).await;
    assert_eq!(status, 200, "{lt}");
    let magic = lt["magic_link_url"].as_str().expect("magic link");
    assert!(
        magic.starts_with(&format!("{}/link/dblt_", app.base)),
        "{magic}"
    );
    app.stop().await;

    let app = TestApp::start_with(
        sim(),
        Options {
            public_url: false,
            ..Options::default()
        },
    )
    .await;
    let (status, body) = app
        .post(
            "/api/ticketing/v1/link-token",
            None,
            &end_user("cust-6", true),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("DESKBRIDGE_PUBLIC_URL"), "{detail}");
    // A link token for a popup or an iframe needs no public URL.
    let (status, body) = app
        .post(
            "/api/ticketing/v1/link-token",
            None,
            &end_user("cust-6", false),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["magic_link_url"], Value::Null);
    app.stop().await;
}
