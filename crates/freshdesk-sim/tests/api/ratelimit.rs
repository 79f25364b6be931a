//! Plans, per-minute windows with a time scale, sub-limits and include credits.

use std::time::Duration;

use deskbridge_freshdesk_sim::{Plan, SimConfig};

use crate::common::start;

const LIMITED: &str = r#"{"message":"You have exceeded the limit of requests per minute"}"#;

#[tokio::test]
async fn bucket_empties_429_then_refills_after_the_scaled_window() {
    // Trial: 50 calls per minute; time scale 30: a minute lasts 2 s.
    let env = start(SimConfig {
        seed: 1,
        tickets: 10,
        plan: Some(Plan::Trial),
        time_scale: 30.0,
        ..SimConfig::default()
    })
    .await;
    let key = env.key(0);
    for i in 0..50u64 {
        let r = env.get("/api/v2/agents/me", &key).await;
        assert_eq!(r.status, 200, "call {i}");
        assert_eq!(r.header("x-ratelimit-total").as_deref(), Some("50"));
        assert_eq!(
            r.header("x-ratelimit-remaining"),
            Some((49 - i).to_string())
        );
        assert_eq!(
            r.header("x-ratelimit-used-currentrequest").as_deref(),
            Some("1")
        );
    }
    let r = env.get("/api/v2/agents/me", &key).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.text, LIMITED);
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry), "retry-after {retry}");
    assert!(r.header("x-ratelimit-remaining").is_none() && r.header("x-ratelimit-total").is_none());
    // invalid and unauthenticated calls count too (the throttler runs first)
    assert_eq!(
        env.get("/d/sim1/api/v2/agents/me", "wrong").await.status,
        429
    );
    let c = env.sim.control().counters("sim1").unwrap();
    assert_eq!((c.requests, c.credits, c.rate_limited), (52, 50, 2));
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let r = env.get("/api/v2/agents/me", &key).await;
    assert_eq!(r.status, 200, "refilled after the scaled window");
    assert_eq!(r.header("x-ratelimit-remaining").as_deref(), Some("49"));
    env.sim.control().reset_counters("sim1").unwrap();
    assert_eq!(env.sim.control().counters("sim1").unwrap().requests, 0);
}

#[tokio::test]
async fn sub_limits_and_include_credits() {
    let env = start(SimConfig {
        seed: 1,
        tickets: 30,
        plan: Some(Plan::Growth),
        time_scale: 6.0,
        ..SimConfig::default()
    })
    .await;
    let key = env.key(0);
    // include on a list: +2 each
    let r = env
        .get("/api/v2/tickets?include=requester,stats", &key)
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("x-ratelimit-used-currentrequest").as_deref(),
        Some("5")
    );
    assert_eq!(r.header("x-ratelimit-total").as_deref(), Some("200"));
    assert_eq!(r.header("x-ratelimit-remaining").as_deref(), Some("195"));
    // include on a view: +1 each
    let r = env
        .get("/api/v2/tickets/3?include=conversations,requester", &key)
        .await;
    assert_eq!(
        r.header("x-ratelimit-used-currentrequest").as_deref(),
        Some("3")
    );
    assert_eq!(r.header("x-ratelimit-remaining").as_deref(), Some("192"));
    // a failed call costs 1, without surcharge
    let r = env.get("/api/v2/tickets?include=bogus", &key).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.header("x-ratelimit-used-currentrequest").as_deref(),
        Some("1")
    );
    // tickets-list sub-limit: 20 per minute (credits included) while other calls pass
    let mut statuses = Vec::new();
    for _ in 0..16 {
        statuses.push(env.get("/api/v2/tickets", &key).await.status);
    }
    let first_429 = statuses
        .iter()
        .position(|s| *s == 429)
        .expect("tickets list sub-limit reached");
    assert_eq!(
        first_429, 14,
        "5 + 1 + 14 list credits = 20 = the limit; the next one exceeds: {statuses:?}"
    );
    assert_eq!(
        env.get("/api/v2/agents/me", &key).await.status,
        200,
        "account bucket still has credits"
    );
    assert_eq!(env.get("/api/v2/contacts", &key).await.status, 200);
    let c = env.sim.control().counters("sim1").unwrap();
    assert!(c.rate_limited >= 1);

    // Free plan: every call is refused; unthrottled: a large total
    env.sim
        .control()
        .set_plan("sim1", Some(Plan::Free))
        .unwrap();
    let r = env.get("/api/v2/agents/me", &key).await;
    assert_eq!(r.status, 429);
    assert!(r.header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);
    env.sim.control().set_plan("sim1", None).unwrap();
    let r = env.get("/api/v2/agents/me", &key).await;
    assert_eq!(r.header("x-ratelimit-total").as_deref(), Some("1000000"));
}
