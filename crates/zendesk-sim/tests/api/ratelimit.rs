//! Plan limits, header generations, endpoint buckets, 429 shapes, time scale, plan gates and
//! faults.

use std::time::Duration;

use deskbridge_zendesk_sim::{Plan, SimConfig};
use reqwest::Method;
use serde_json::json;

use crate::common::{Auth, small, start};

#[tokio::test]
async fn rate_limit_headers_follow_the_plan_and_the_account_generation() {
    let env = start(SimConfig {
        plan: Some(Plan::Enterprise),
        ..small(2, 10)
    })
    .await;
    let r1 = env
        .get(
            &env.site(0, "/api/v2/tickets.json?page[size]=5"),
            &env.admin(0),
        )
        .await;
    let r2 = env
        .get(
            &env.site(0, "/api/v2/tickets.json?page[size]=5"),
            &env.admin(0),
        )
        .await;
    assert_eq!(r1.header("x-rate-limit").unwrap(), "700");
    assert_eq!(r1.header("ratelimit-limit").unwrap(), "700");
    assert_eq!(r1.header("x-rate-limit-remaining").unwrap(), "699");
    assert_eq!(r2.header("ratelimit-remaining").unwrap(), "698");
    assert!(
        r1.header("ratelimit-reset")
            .unwrap()
            .parse::<u64>()
            .unwrap()
            <= 60
    );
    assert_eq!(
        r2.header("zendesk-ratelimit-tickets-index")
            .unwrap()
            .split(';')
            .next()
            .unwrap(),
        "total=100"
    );
    assert!(
        r2.header("zendesk-ratelimit-tickets-index")
            .unwrap()
            .contains("remaining=98")
    );
    assert_eq!(r1.header("x-zendesk-api-version").unwrap(), "v2");
    assert!(r1.header("x-zendesk-origin-server").is_some() && r1.header("x-runtime").is_some());
    // zsim2 speaks the 2023 header names.
    let old = env
        .get(&env.site(1, "/api/v2/tickets.json"), &env.admin(1))
        .await;
    assert_eq!(old.header("rate-limit").unwrap(), "700");
    assert!(
        old.header("rate-limit-remaining").is_some() && old.header("ratelimit-limit").is_none()
    );
    assert!(old.header("zendesk-rate-limit-tickets-index").is_some());
    for (plan, n) in [
        ("team", "200"),
        ("growth", "400"),
        ("professional", "400"),
        ("enterprise_plus", "2500"),
    ] {
        env.control(
            Method::PUT,
            &format!("/accounts/{}/plan", env.account(0).subdomain),
            Some(&json!({"plan": plan})),
        )
        .await;
        let r = env
            .get(&env.site(0, "/api/v2/users/me.json"), &env.admin(0))
            .await;
        assert_eq!(r.header("x-rate-limit").unwrap(), n, "{plan}");
    }
}

#[tokio::test]
async fn account_limit_answers_plain_text_429_until_the_scaled_minute_ends() {
    // time_scale 30: a "minute" lasts 2 s.
    let env = start(SimConfig {
        plan: Some(Plan::Team),
        time_scale: 30.0,
        ..small(1, 5)
    })
    .await;
    let mut limited = None;
    for n in 0..210 {
        let r = env
            .get(&env.site(0, "/api/v2/users/me.json"), &env.admin(0))
            .await;
        if r.status == 429 {
            limited = Some((n, r));
            break;
        }
    }
    let (n, r) = limited.expect("429");
    assert_eq!(n, 200, "the 201st request of the minute is refused");
    assert_eq!(r.text, "Number of allowed API requests per minute exceeded");
    let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=2).contains(&wait));
    tokio::time::sleep(Duration::from_secs(wait)).await;
    let again = env
        .get(&env.site(0, "/api/v2/users/me.json"), &env.admin(0))
        .await;
    assert_eq!(again.status, 200);
    let counters = env
        .control(
            Method::GET,
            &format!("/accounts/{}/counters", env.account(0).subdomain),
            None,
        )
        .await
        .json();
    assert_eq!(counters["rate_limited"], 1);
}

#[tokio::test]
async fn incremental_bucket_is_ten_a_minute_with_json_429() {
    let env = start(SimConfig {
        plan: Some(Plan::Enterprise),
        ..small(1, 5)
    })
    .await;
    for _ in 0..10 {
        let r = env
            .get(
                &env.site(0, "/api/v2/incremental/users/cursor.json?start_time=0"),
                &env.admin(0),
            )
            .await;
        assert_eq!(r.status, 200);
    }
    let r = env
        .get(
            &env.site(0, "/api/v2/incremental/tickets.json?start_time=0"),
            &env.admin(0),
        )
        .await;
    assert_eq!(r.status, 429);
    assert_eq!(r.json()["error"], "APIRateLimitExceeded");
    assert!(r.header("retry-after").is_some());
    // Other endpoints still work.
    assert_eq!(
        env.get(&env.site(0, "/api/v2/users/me.json"), &env.admin(0))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn edge_protection_answers_json_429() {
    let env = start(SimConfig {
        edge_per_second: Some(3),
        ..small(1, 5)
    })
    .await;
    let mut codes = Vec::new();
    for _ in 0..6 {
        codes.push(
            env.get(&env.site(0, "/api/v2/organizations.json"), &env.admin(0))
                .await,
        );
    }
    let r = codes.iter().find(|r| r.status == 429).expect("edge 429");
    assert_eq!(r.json()["title"], "Automated response");
    assert!(r.header("retry-after").is_some());
}

#[tokio::test]
async fn custom_roles_are_enterprise_only() {
    let env = start(SimConfig {
        plan: Some(Plan::Professional),
        ..small(1, 5)
    })
    .await;
    let r = env
        .get(&env.site(0, "/api/v2/custom_roles.json"), &env.admin(0))
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["error"]["title"], "Forbidden");
    env.control(
        Method::PUT,
        &format!("/accounts/{}/plan", env.account(0).subdomain),
        Some(&json!({"plan": "enterprise"})),
    )
    .await;
    let r = env
        .get(&env.site(0, "/api/v2/custom_roles.json"), &env.admin(0))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["custom_roles"][0]["name"], "Admin");
}

#[tokio::test]
async fn faults_inject_server_errors_and_resets() {
    let env = start(small(1, 5)).await;
    env.control(Method::PUT, "/faults", Some(&json!({"error_rate": 1.0})))
        .await;
    let r = env
        .get(&env.site(0, "/api/v2/users/me.json"), &env.admin(0))
        .await;
    assert!([500, 502, 503, 524].contains(&r.status), "{}", r.status);
    env.control(Method::PUT, "/faults", Some(&json!({"drop_rate": 1.0})))
        .await;
    let dropped = env
        .http
        .get(env.site(0, "/api/v2/users/me.json"))
        .send()
        .await;
    assert!(dropped.is_err(), "connection reset");
    env.control(
        Method::PUT,
        "/faults",
        Some(&json!({"slow_rate": 1.0, "slow_delay_ms": 300})),
    )
    .await;
    let slow = env
        .http
        .get(env.site(0, "/api/v2/users/me.json"))
        .timeout(Duration::from_millis(100))
        .send()
        .await;
    assert!(slow.unwrap_err().is_timeout());
    env.control(Method::PUT, "/faults", Some(&json!({}))).await;
    assert_eq!(
        env.get(&env.site(0, "/api/v2/users/me.json"), &env.admin(0))
            .await
            .status,
        200
    );
    // Control calls are never faulted.
    let counters = env
        .control(
            Method::GET,
            &format!("/accounts/{}/counters", env.account(0).subdomain),
            None,
        )
        .await
        .json();
    assert_eq!(counters["faults"], 3);
    let _ = Auth::None;
}

#[tokio::test]
async fn thirty_updates_per_ticket_and_user_then_429() {
    let env = start(SimConfig {
        plan: Some(Plan::EnterprisePlus),
        ..small(1, 10)
    })
    .await;
    let id = crate::conformance_errors::open_ticket(&env, 0).await;
    let url = env.site(0, &format!("/api/v2/tickets/{id}.json"));
    for n in 0..30 {
        let r = env
            .send(
                Method::PUT,
                &url,
                &env.admin(0),
                Some(&json!({"ticket": {"subject": format!("s{n}")}})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let h = r.header("zendesk-ratelimit-per-ticket-updates").unwrap();
        assert!(
            h.starts_with(&format!("total=30; remaining={}", 29 - n)),
            "{h}"
        );
    }
    let r = env
        .send(
            Method::PUT,
            &url,
            &env.admin(0),
            Some(&json!({"ticket": {"subject": "too many"}})),
        )
        .await;
    assert_eq!(r.status, 429);
    assert!(r.header("retry-after").unwrap().parse::<u64>().unwrap() > 60);
    // Another ticket is fine.
    let other = env
        .send(
            Method::PUT,
            &env.site(0, &format!("/api/v2/tickets/{}.json", id + 1)),
            &env.admin(0),
            Some(&json!({"ticket": {"priority": "low"}})),
        )
        .await;
    assert_ne!(other.status, 429);
}

#[tokio::test]
async fn ticket_forms_are_gated_like_custom_roles() {
    let env = start(SimConfig {
        plan: Some(Plan::Team),
        ..small(1, 5)
    })
    .await;
    assert_eq!(
        env.get(&env.site(0, "/api/v2/ticket_forms.json"), &env.admin(0))
            .await
            .status,
        403
    );
    env.control(
        Method::PUT,
        &format!("/accounts/{}/plan", env.account(0).subdomain),
        Some(&json!({"plan": "enterprise"})),
    )
    .await;
    let forms = env.get_ok(0, "/ticket_forms.json").await;
    let t = env.get_ok(0, "/tickets/1.json").await;
    assert_eq!(
        forms["ticket_forms"][0]["id"],
        t["ticket"]["ticket_form_id"]
    );
}
