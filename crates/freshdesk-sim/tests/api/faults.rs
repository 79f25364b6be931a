//! Fault injection: errors, truncated bodies, dropped connections, slow answers; no state change.

use std::time::{Duration, Instant};

use deskbridge_freshdesk_sim::{FaultConfig, SimConfig};
use reqwest::Method;
use serde_json::json;

use crate::common::{small, start};

fn ticket_count(env: &crate::common::Env) -> usize {
    env.sim.control().snapshot("sim1").unwrap().tickets.len()
}

#[tokio::test]
async fn error_rate_one_fails_everything_and_zero_nothing() {
    let env = start(SimConfig {
        faults: FaultConfig {
            error_rate: 1.0,
            ..FaultConfig::default()
        },
        ..small(1, 10)
    })
    .await;
    let key = env.key(0);
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..30 {
        let r = env.get("/api/v2/tickets", &key).await;
        assert!([500, 502, 503].contains(&r.status), "{}", r.status);
        if r.status == 500 {
            assert_eq!(
                r.text,
                r#"{"code":"internal_error","message":"We're sorry, but something went wrong."}"#
            );
        } else {
            assert!(
                r.text.contains("<html>")
                    && r.header("content-type").unwrap().starts_with("text/html")
            );
        }
        seen.insert(r.status);
    }
    assert_eq!(seen.len(), 3, "all three statuses appear: {seen:?}");
    let before = ticket_count(&env);
    let r = env
        .send(
            Method::POST,
            "/api/v2/tickets",
            Some(&key),
            Some(json!({"email": "a@b.com", "subject": "s", "description": "d"})),
        )
        .await;
    assert!(r.status >= 500);
    assert_eq!(ticket_count(&env), before, "a failed POST created nothing");
    assert_eq!(env.sim.control().counters("sim1").unwrap().faults, 31);

    env.sim.control().set_faults(FaultConfig::default());
    for _ in 0..30 {
        assert_eq!(env.get("/api/v2/tickets", &key).await.status, 200);
    }
}

#[tokio::test]
async fn malformed_dropped_and_slow() {
    let env = start(small(1, 10)).await;
    let key = env.key(0);
    let control = env.sim.control();
    let before = ticket_count(&env);

    control.set_faults(FaultConfig {
        malformed_rate: 1.0,
        ..FaultConfig::default()
    });
    for path in [
        "/api/v2/tickets?updated_since=2000-01-01T00:00:00Z",
        "/api/v2/tickets/1",
        "/api/v2/agents",
    ] {
        let r = env.get(path, &key).await;
        assert_eq!(r.status, 200);
        assert!(!r.text.is_empty());
        assert!(
            serde_json::from_str::<serde_json::Value>(&r.text).is_err(),
            "{path} body parses: {}",
            r.text
        );
    }
    let r = env
        .send(
            Method::POST,
            "/api/v2/tickets",
            Some(&key),
            Some(json!({"email": "a@b.com", "subject": "s", "description": "d"})),
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(serde_json::from_str::<serde_json::Value>(&r.text).is_err());
    assert_eq!(ticket_count(&env), before);

    control.set_faults(FaultConfig {
        drop_rate: 1.0,
        ..FaultConfig::default()
    });
    let err = env
        .http
        .get(env.url("/api/v2/tickets"))
        .basic_auth(&key, Some("X"))
        .send()
        .await;
    assert!(
        err.is_err(),
        "connection dropped without a response: {err:?}"
    );
    let err = env
        .http
        .post(env.url("/api/v2/tickets"))
        .basic_auth(&key, Some("X"))
        .header("content-type", "application/json")
        .body(json!({"email": "a@b.com", "subject": "s", "description": "d"}).to_string())
        .send()
        .await;
    assert!(err.is_err());
    assert_eq!(ticket_count(&env), before);

    control.set_faults(FaultConfig {
        slow_rate: 1.0,
        slow_delay: Duration::from_millis(300),
        ..FaultConfig::default()
    });
    let t = Instant::now();
    assert_eq!(env.get("/api/v2/tickets/1", &key).await.status, 200);
    assert!(t.elapsed() >= Duration::from_millis(300));

    control.set_faults(FaultConfig::default());
    assert_eq!(env.get("/api/v2/tickets/1", &key).await.status, 200);
    // the control API is never faulty
    control.set_faults(FaultConfig {
        error_rate: 1.0,
        ..FaultConfig::default()
    });
    let r = env.send(Method::GET, "/_sim/accounts", None, None).await;
    assert_eq!(r.status, 200);
    let r = env
        .send(
            Method::PUT,
            "/_sim/faults",
            None,
            Some(json!({"error_rate": 0.0})),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(env.get("/api/v2/tickets/1", &key).await.status, 200);
}
