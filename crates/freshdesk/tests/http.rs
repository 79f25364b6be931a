//! The HTTP layer: retries, 429s, the budget, credential checks, domains, secrecy.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{KEY, LA, config, provider};
use deskbridge_freshdesk::{FreshdeskConfig, FreshdeskProvider, RateBudget, resolve_base_url};
use deskbridge_provider::{ProviderError, TicketingProvider};
use reqwest::Method;
use secrecy::SecretString;
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn no_key(e: &ProviderError) {
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains(KEY), "the key leaked: {shown}");
}

fn fields_ok() -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("x-ratelimit-total", "100")
        .insert_header("x-ratelimit-remaining", "90")
        .insert_header("x-ratelimit-used-currentrequest", "1")
        .set_body_json(json!([{"name": "status", "type": "default_status",
            "choices": {"2": ["Open", "Open"], "6": ["Waiting on customer", "Waiting"]}}]))
}

#[tokio::test]
async fn basic_auth_with_key_as_user() {
    let server = MockServer::start().await;
    // base64("SeCrEt-KeY-4f9a7c:X")
    let expected = format!("Basic {}", base64_encode(&format!("{KEY}:X")));
    Mock::given(method("GET"))
        .and(path("/api/v2/ticket_fields"))
        .and(header("authorization", expected.as_str()))
        .respond_with(fields_ok())
        .expect(1)
        .mount(&server)
        .await;
    let p = provider(&server.uri());
    p.ticket_fields().await.expect("fields");
    assert_eq!(p.status_label(6).as_deref(), Some("Waiting on customer"));
    assert_eq!(
        p.status_label(5).as_deref(),
        Some("Closed"),
        "default label"
    );
}

fn base64_encode(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[tokio::test]
async fn retry_after_is_honoured_then_succeeds() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v2/ticket_fields"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "1")
                .set_body_string(
                    "{\"message\":\"You have exceeded the limit of requests per hour\"}",
                ),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path("/api/v2/ticket_fields"))
        .respond_with(fields_ok())
        .mount(&server)
        .await;
    let p = provider(&server.uri());
    let t0 = Instant::now();
    p.ticket_fields().await.expect("fields");
    assert!(
        t0.elapsed() >= Duration::from_millis(950),
        "waited {:?}",
        t0.elapsed()
    );
    let stats = p.budget().stats();
    assert_eq!(stats.rate_limited, 1);
    assert_eq!(stats.calls, 2);
    assert_eq!(stats.retries, 0, "429s are counted apart from retries");
}

#[tokio::test]
async fn server_error_is_retried() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v2/ticket_fields"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path("/api/v2/ticket_fields"))
        .respond_with(fields_ok())
        .mount(&server)
        .await;
    let p = provider(&server.uri());
    p.ticket_fields().await.expect("fields");
    assert_eq!(p.budget().retries(), 1);
    assert_eq!(p.budget().calls(), 2);
}

#[tokio::test]
async fn invalid_json_is_retried_then_reported() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v2/ticket_fields"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>oops"))
        .expect(3)
        .mount(&server)
        .await;
    let mut c = config(&server.uri());
    c.max_retries = 2;
    let p = FreshdeskProvider::new(c).expect("provider");
    let e = p.ticket_fields().await.expect_err("not json");
    assert!(matches!(e, ProviderError::Protocol(_)), "{e:?}");
}

#[tokio::test]
async fn persistent_5xx_gives_transient_after_max_retries() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v2/ticket_fields"))
        .respond_with(ResponseTemplate::new(503))
        .expect(4)
        .mount(&server)
        .await;
    let mut c = config(&server.uri());
    c.max_retries = 3;
    let p = FreshdeskProvider::new(c).expect("provider");
    let e = p.ticket_fields().await.expect_err("503");
    assert!(matches!(e, ProviderError::Transient(_)), "{e:?}");
    assert_eq!(p.budget().retries(), 3);
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v2/ticket_fields"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"description": "Validation failed",
            "errors": [{"field": "per_page", "message": "It should be a Positive Integer less than or equal to 100", "code": "invalid_value"}]})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/api/v2/tickets"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"code": "invalid_credentials", "message": "You have to be logged in to perform this action."})))
        .expect(1)
        .mount(&server)
        .await;
    let p = provider(&server.uri());
    let e = p.ticket_fields().await.expect_err("400");
    match &e {
        ProviderError::Validation(p) => assert_eq!(p[0].field, "per_page"),
        other => panic!("{other:?}"),
    }
    no_key(&e);
    let e = p.fetch("tickets", None).await.expect_err("401");
    assert!(matches!(e, ProviderError::Unauthorized), "{e:?}");
    assert!(e.needs_relink());
    no_key(&e);
    assert_eq!(p.budget().retries(), 0);
}

#[tokio::test]
async fn reserve_makes_the_call_wait_for_the_window() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v2/ticket_fields"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-RateLimit-Total", "100")
                .insert_header("X-RateLimit-Remaining", "20")
                .insert_header("X-RateLimit-Used-CurrentRequest", "1")
                .set_body_json(json!([])),
        )
        .mount(&server)
        .await;
    let mut c = config(&server.uri());
    c.budget = Arc::new(RateBudget::with_window(Duration::from_millis(600)));
    c.reserve_share = 0.2;
    let p = FreshdeskProvider::new(c).expect("provider");
    let t0 = Instant::now();
    p.ticket_fields().await.expect("first");
    let first = t0.elapsed();
    assert!(first < Duration::from_millis(400), "{first:?}");
    // 20 of 100 left = the reserve: the next call waits until the window resets.
    assert!(p.budget().try_acquire_now(1).is_err());
    p.ticket_fields().await.expect("second");
    assert!(
        t0.elapsed() >= Duration::from_millis(550),
        "{:?}",
        t0.elapsed()
    );
    assert_eq!(p.budget().credits_spent(), 2);
    assert_eq!(p.budget().total(), Some(100));
}

#[tokio::test]
async fn credential_classification() {
    type Case = (ResponseTemplate, fn(&ProviderError) -> bool);
    let cases: Vec<Case> = vec![
        (
            ResponseTemplate::new(200).set_body_json(json!({"id": 1, "contact": {"name": "A"}})),
            |_| false,
        ),
        (
            ResponseTemplate::new(401).set_body_json(json!({"code": "invalid_credentials", "message": "You have to be logged in to perform this action."})),
            |e| matches!(e, ProviderError::Unauthorized),
        ),
        (
            ResponseTemplate::new(403).set_body_json(json!({"code": "account_suspended", "message": "Your account has been suspended."})),
            |e| matches!(e, ProviderError::Suspended),
        ),
        (
            ResponseTemplate::new(403).set_body_json(json!({"code": "require_feature", "message": "The API feature(s) is/are not supported in your plan. Please upgrade your account to use it."})),
            |e| matches!(e, ProviderError::NoApiAccess),
        ),
        (
            ResponseTemplate::new(403).set_body_json(json!({"code": "access_denied", "message": "You are not authorized to perform this action."})),
            |e| matches!(e, ProviderError::Forbidden(m) if m.contains("not authorized")),
        ),
        (
            ResponseTemplate::new(404).insert_header("content-type", "application/json").set_body_string(" "),
            |e| matches!(e, ProviderError::UnknownAccount),
        ),
        (ResponseTemplate::new(404), |e| matches!(e, ProviderError::UnknownAccount)),
        (
            ResponseTemplate::new(429).insert_header("retry-after", "60").insert_header("x-ratelimit-total", "0"),
            |e| matches!(e, ProviderError::NoApiAccess),
        ),
        (
            // Free plan: the first call of a window is refused for the whole window.
            ResponseTemplate::new(429).insert_header("retry-after", "60"),
            |e| matches!(e, ProviderError::NoApiAccess),
        ),
        (
            ResponseTemplate::new(429).insert_header("retry-after", "7"),
            |e| matches!(e, ProviderError::RateLimited { retry_after } if *retry_after == Duration::from_secs(7)),
        ),
    ];
    for (i, (response, check)) in cases.into_iter().enumerate() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/api/v2/agents/me"))
            .respond_with(response)
            .expect(1)
            .mount(&server)
            .await;
        let p = provider(&server.uri());
        let t0 = Instant::now();
        match p.check_credentials().await {
            Ok(()) => assert_eq!(i, 0, "case {i} should fail"),
            Err(e) => {
                assert!(check(&e), "case {i}: {e:?}");
                no_key(&e);
            }
        }
        assert!(
            t0.elapsed() < Duration::from_secs(3),
            "case {i} did not wait for Retry-After"
        );
    }
}

#[tokio::test]
async fn unreachable_hosts() {
    // Nothing listens on this port.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let p = provider(&format!("http://127.0.0.1:{port}"));
    let e = p.check_credentials().await.expect_err("refused");
    assert!(matches!(e, ProviderError::Unreachable(_)), "{e:?}");
    no_key(&e);

    // TLS to a plain-HTTP server.
    let server = MockServer::start().await;
    let https = server.uri().replace("http://", "https://");
    let p = provider(&https);
    let e = p.check_credentials().await.expect_err("tls");
    assert!(matches!(e, ProviderError::Unreachable(_)), "{e:?}");
    no_key(&e);

    // DNS failure.
    let mut c = FreshdeskConfig::new(
        LA,
        "http://no-such-host.invalid",
        SecretString::from(KEY.to_string()),
    );
    c.allowed_hosts = vec!["http://no-such-host.invalid:80".into()];
    let p = FreshdeskProvider::new(c).expect("provider");
    let e = p.check_credentials().await.expect_err("dns");
    assert!(matches!(e, ProviderError::Unreachable(_)), "{e:?}");
    no_key(&e);
}

#[test]
fn domain_rules() {
    let none: Vec<String> = vec![];
    for d in [
        "acme",
        "acme.freshdesk.com",
        "https://acme.freshdesk.com",
        "https://acme.freshdesk.com/",
        " ACME ",
    ] {
        assert_eq!(
            resolve_base_url(d, &none).expect(d).as_str(),
            "https://acme.freshdesk.com/",
            "{d}"
        );
    }
    let allowed = vec![
        "http://127.0.0.1:9000".to_string(),
        "http://sim.local:8080".to_string(),
    ];
    assert_eq!(
        resolve_base_url("http://127.0.0.1:9000", &allowed)
            .expect("allowed")
            .as_str(),
        "http://127.0.0.1:9000/"
    );
    assert_eq!(
        resolve_base_url("http://127.0.0.1:9000/d/sim1", &allowed)
            .expect("prefix")
            .as_str(),
        "http://127.0.0.1:9000/d/sim1/"
    );
    assert_eq!(
        resolve_base_url("http://sim.local:8080/x/", &allowed)
            .expect("another origin")
            .as_str(),
        "http://sim.local:8080/x/"
    );
    for bad in [
        "http://127.0.0.1:9001",
        "http://127.0.0.2:9000",
        "https://evil.com",
        "evil.com",
        "acme.freshdesk.com.evil.com",
        "a.b.freshdesk.com",
        "-acme",
        "ac_me",
        "",
        "https://user:pass@127.0.0.1:9000",
        "ftp://127.0.0.1:9000",
        "http://127.0.0.1:9000/?x=1",
        "https://acme.freshdesk.com:444",
        "https://127.0.0.1:9000",
        "http://sim.local",
    ] {
        assert!(
            matches!(
                resolve_base_url(bad, &allowed),
                Err(ProviderError::HostNotAllowed(_))
            ),
            "{bad} must be refused"
        );
    }
    let mut c = FreshdeskConfig::new(LA, "https://evil.com", SecretString::from(KEY.to_string()));
    c.allowed_hosts = vec![];
    assert!(matches!(
        FreshdeskProvider::new(c),
        Err(ProviderError::HostNotAllowed(_))
    ));
}

#[tokio::test]
async fn path_prefix_is_kept() {
    let server = MockServer::start().await;
    Mock::given(path("/d/sim1/api/v2/ticket_fields"))
        .respond_with(fields_ok())
        .expect(1)
        .mount(&server)
        .await;
    let p = provider(&format!("{}/d/sim1", server.uri()));
    p.ticket_fields().await.expect("fields");
}

#[tokio::test]
async fn passthrough_is_confined_and_fails_fast() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v2/tickets/1"))
        .respond_with(ResponseTemplate::new(404).set_body_string(" "))
        .mount(&server)
        .await;
    Mock::given(path("/api/v2/tickets"))
        .respond_with(
            ResponseTemplate::new(201)
                .insert_header("x-ratelimit-total", "10")
                .insert_header("x-ratelimit-remaining", "2")
                .set_body_json(json!({"id": 9})),
        )
        .mount(&server)
        .await;
    let p = provider(&server.uri());
    let raw = p
        .send(Method::GET, "tickets/1", None)
        .await
        .expect("relayed");
    assert_eq!(raw.status.as_u16(), 404, "statuses are relayed");
    let raw = p
        .send(
            Method::POST,
            "/api/v2/tickets",
            Some(&json!({"subject": "x"})),
        )
        .await
        .expect("post");
    assert_eq!(raw.status.as_u16(), 201);
    // 2 of 10 left, reserve 2: fail fast instead of waiting.
    let e = p
        .send(Method::GET, "tickets/1", None)
        .await
        .expect_err("budget");
    assert!(matches!(e, ProviderError::RateLimited { .. }), "{e:?}");
    for bad in [
        "../secrets",
        "//evil.com/api/v2/x",
        "http://evil.com/api/v2/tickets",
        "tickets/%2e%2e/x",
        "https:evil.com",
    ] {
        let e = p.send(Method::GET, bad, None).await.expect_err(bad);
        assert!(matches!(e, ProviderError::Validation(_)), "{bad}: {e:?}");
    }
}

#[tokio::test]
async fn the_key_never_shows() {
    let server = MockServer::start().await;
    Mock::given(path("/api/v2/ticket_fields"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({"code": "access_denied", "message": "You are not authorized to perform this action."})))
        .mount(&server)
        .await;
    let c = config(&server.uri());
    assert!(!format!("{c:?}").contains(KEY), "config Debug");
    let p = FreshdeskProvider::new(c).expect("provider");
    assert!(!format!("{p:?}").contains(KEY), "provider Debug");
    let e = p.ticket_fields().await.expect_err("403");
    no_key(&e);
    // A key pasted into the domain is not echoed either.
    let e = resolve_base_url(&format!("https://{KEY}:X@evil.com"), &[]).expect_err("refused");
    no_key(&e);
    let e = FreshdeskProvider::new(FreshdeskConfig::new(
        LA,
        "nope.example",
        SecretString::from(KEY.to_string()),
    ))
    .expect_err("refused");
    no_key(&e);
}

#[tokio::test]
async fn free_plan_with_short_windows() {
    // A refused call, then the first call of the next window refused too: limit 0.
    let server = MockServer::start().await;
    Mock::given(path("/api/v2/agents/me"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .expect(2)
        .mount(&server)
        .await;
    let p = provider(&server.uri());
    let e = p.check_credentials().await.expect_err("free");
    assert!(matches!(e, ProviderError::NoApiAccess), "{e:?}");

    // A paid account that was merely exhausted passes after the wait.
    let server = MockServer::start().await;
    Mock::given(path("/api/v2/agents/me"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path("/api/v2/agents/me"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": 1})))
        .mount(&server)
        .await;
    let p = provider(&server.uri());
    p.check_credentials().await.expect("paid");
}
