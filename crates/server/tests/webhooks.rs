//! Outbound webhooks: Merge's payloads, signed (Merge and Standard Webhooks), delivered at
//! least once from a durable outbox across a server restart, retried on a schedule, every
//! attempt logged; sync events with counts and a bookmark; receivers checked; a receiver
//! failing without end is disabled.

mod common;
mod hooks;

use std::time::Duration;

use hooks::{Harness, Receiver, assert_signed};
use serde_json::{Value, json};

/// The status of a bodiless call with the organization's key only (no account token).
async fn org_status(h: &Harness, method: reqwest::Method, path: &str) -> u16 {
    h.call(method, path, None, None).await.0
}

#[tokio::test]
async fn a_failing_receiver_gets_the_event_on_the_fourth_attempt_across_a_restart() {
    let receiver = Receiver::start(3).await;
    // Retries after 0.2 s, 0.2 s, then 2.5 s: the restart happens before the fourth attempt.
    let mut h = Harness::new(
        vec![receiver.host.clone()],
        &[0.2, 0.2, 2.5, 1.0],
        Duration::from_secs(3600),
    )
    .await;
    let (status, ep) = h
        .endpoint(&receiver.url, Some(&["LinkedAccount.linked"]))
        .await;
    assert_eq!(status, 201, "{ep}");
    let secret = ep["secret"].as_str().expect("secret").to_string();
    let endpoint = ep["id"].as_str().expect("id").to_string();
    assert!(secret.starts_with("whsec_"));
    let (_, listed) = h.list_endpoints().await;
    assert!(
        listed["results"][0].get("secret").is_none(),
        "the secret is shown once"
    );

    let (_, la) = h.link().await;
    let first_three = receiver.wait_for(3, Duration::from_secs(10)).await;
    h.stop().await;
    let (status, log) = {
        let pending: (String, i32) =
            sqlx::query_as("SELECT status, attempts FROM webhook_deliveries")
                .fetch_one(&h.db.pool)
                .await
                .expect("delivery");
        (pending.0, pending.1)
    };
    assert_eq!(
        (status.as_str(), log),
        ("pending", 3),
        "kept in the outbox while the server is down"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        receiver.received().len(),
        3,
        "nothing is sent while the server is down"
    );

    h.start().await;
    let all = receiver.wait_for(4, Duration::from_secs(15)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let all_now = receiver.received();
    assert_eq!(
        all_now.len(),
        4,
        "delivered once it succeeded: no more attempts"
    );
    assert_eq!(first_three.len(), 3);
    let ids: Vec<_> = all
        .iter()
        .map(|r| r.headers["webhook-id"].clone())
        .collect();
    assert!(
        ids.iter().all(|i| *i == ids[0]),
        "one webhook-id for every attempt"
    );
    assert!(
        all.iter().all(|r| r.body == all[0].body),
        "the same body every time"
    );
    let last = &all[3];
    assert_signed(last, &secret);
    let payload: Value = serde_json::from_str(&last.body).expect("json");
    assert_eq!(
        payload["hook"],
        json!({"id": endpoint, "event": "LinkedAccount.linked", "target": receiver.url})
    );
    assert_eq!(payload["linked_account"]["id"], json!(la));
    assert_eq!(
        payload["linked_account"]["integration_slug"],
        json!("freshdesk")
    );
    assert_eq!(
        payload["linked_account"]["end_user_origin_id"],
        json!("customer-1")
    );
    assert_eq!(payload["data"], json!({"is_relink": false}));
    assert!(
        !last.body.contains(&h.sim_key),
        "no credentials in payloads"
    );
    assert!(
        !last.body.contains("dbat_") && !last.body.contains("account_token"),
        "no account token"
    );

    // The attempt log.
    let log = h.deliveries(&endpoint).await;
    let d = &log["results"][0];
    assert_eq!(log["results"].as_array().map(Vec::len), Some(1), "{log}");
    assert_eq!(
        (
            d["status"].clone(),
            d["attempts"].clone(),
            d["event"].clone()
        ),
        (json!("delivered"), json!(4), json!("LinkedAccount.linked"))
    );
    let attempts = d["attempt_log"].as_array().expect("attempts");
    let statuses: Vec<_> = attempts
        .iter()
        .map(|a| (a["response_status"].clone(), a["succeeded"].clone()))
        .collect();
    assert_eq!(
        statuses,
        vec![
            (json!(500), json!(false)),
            (json!(500), json!(false)),
            (json!(500), json!(false)),
            (json!(200), json!(true))
        ]
    );
    assert_eq!(attempts[0]["response_body"], json!("not now"));
    h.stop().await;
}

#[tokio::test]
async fn sync_events_carry_counts_and_a_bookmark_and_account_events_follow_the_account() {
    let receiver = Receiver::start(0).await;
    let mut h = Harness::new(
        vec![receiver.host.clone()],
        &[0.2, 0.2],
        Duration::from_secs(3600),
    )
    .await;
    let (status, ep) = h.endpoint(&receiver.url, None).await;
    assert_eq!(status, 201, "{ep}");
    let secret = ep["secret"].as_str().expect("secret").to_string();
    let (token, la) = h.link().await;
    h.wait_runs(la, 1).await;

    let events = |want: &str| {
        receiver
            .received()
            .into_iter()
            .filter_map(|r| serde_json::from_str::<Value>(&r.body).ok())
            .filter(|p| p["hook"]["event"] == json!(want))
            .collect::<Vec<Value>>()
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while events("Ticket.synced").is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "no Ticket.synced");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for r in receiver.received() {
        assert_signed(&r, &secret);
    }
    assert_eq!(events("LinkedAccount.linked").len(), 1);
    let done = &events("LinkedAccount.sync_completed")[0];
    assert_eq!(done["data"]["status"], json!("DONE"));
    assert_eq!(done["data"]["is_initial_sync"], json!(true));
    let tickets = &events("Ticket.synced")[0]["data"];
    let (_, page) = h
        .call(
            reqwest::Method::GET,
            "/api/ticketing/v1/tickets?page_size=100&include_deleted_data=true",
            Some(&token),
            None,
        )
        .await;
    let stored = page["results"].as_array().expect("tickets").len() as u64;
    assert_eq!(tickets["model_name"], json!("Ticket"));
    assert_eq!(
        tickets["created"].as_u64().expect("created"),
        stored,
        "{tickets}"
    );
    assert_eq!(
        done["data"]["models"]["Ticket"]["created"],
        tickets["created"]
    );
    let bookmark = tickets["modified_after"]
        .as_str()
        .expect("bookmark")
        .to_string();

    // A change in Freshdesk: the next sync reports it, and the bookmark finds it.
    let (sub, rid) = {
        let snap = h
            .sim
            .control()
            .snapshot(&h.sim.accounts()[0].subdomain)
            .expect("snapshot");
        let t = snap
            .tickets
            .iter()
            .find(|t| t["deleted"] != json!(true) && t["spam"] != json!(true))
            .expect("ticket")
            .clone();
        (
            h.sim.accounts()[0].subdomain.clone(),
            t["id"].as_i64().expect("id"),
        )
    };
    h.sim
        .control()
        .update_ticket(
            &sub,
            rid,
            json!({"priority": 4, "subject": "Changed upstream"}),
        )
        .expect("update");
    assert_eq!(h.client().resync(&token).await, 200);
    h.wait_runs(la, 2).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while events("Ticket.synced").len() < 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no second Ticket.synced"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let second = &events("Ticket.synced")[1]["data"];
    assert_eq!(second["is_initial_sync"], json!(false));
    assert!(
        second["updated"].as_u64().expect("updated") >= 1,
        "{second}"
    );
    assert_eq!(second["created"], json!(0));
    let since = second["modified_after"].as_str().expect("bookmark");
    assert!(since > bookmark.as_str());
    let encoded = since.replace('+', "%2B");
    let (_, changed) = h
        .call(
            reqwest::Method::GET,
            &format!("/api/ticketing/v1/tickets?modified_after={encoded}"),
            Some(&token),
            None,
        )
        .await;
    assert!(
        changed["results"]
            .as_array()
            .expect("results")
            .iter()
            .any(|t| t["remote_id"] == json!(rid.to_string())),
        "{changed}"
    );

    // The key is revoked: relink needed. Then the account is deleted.
    h.sim.control().revoke_key(&sub).expect("revoke");
    h.client().resync(&token).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while events("LinkedAccount.relink_needed").is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "no relink_needed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        events("LinkedAccount.relink_needed")[0]["linked_account"]["status"],
        json!("RELINK_NEEDED")
    );
    assert_eq!(h.client().delete_account(&token).await, 200);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while events("LinkedAccount.deleted").is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "no deleted event");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        events("LinkedAccount.deleted")[0]["linked_account"]["id"],
        json!(la)
    );
    h.stop().await;
}

#[tokio::test]
async fn receivers_are_checked_and_one_that_keeps_failing_is_disabled() {
    let receiver = Receiver::start(usize::MAX).await;
    let mut h = Harness::new(
        vec![receiver.host.clone()],
        &[0.2; 30],
        Duration::from_secs(1),
    )
    .await;
    for (url, why) in [
        ("http://127.0.0.1:9/x", "loopback"),
        ("http://10.0.0.8/x", "private"),
        ("http://169.254.169.254/latest/meta-data", "link-local"),
        ("http://[::1]:8080/x", "loopback v6"),
        ("http://localhost:8080/x", "localhost"),
        ("ftp://example.com/x", "scheme"),
        ("https://user:pw@example.com/x", "user info"),
        ("hooks", "relative"),
    ] {
        let (status, body) = h.endpoint(url, None).await;
        assert_eq!(status, 400, "{why}: {body}");
        assert!(
            body["detail"]
                .as_str()
                .is_some_and(|d| d.contains("not allowed")),
            "{why}: {body}"
        );
    }
    let (status, body) = h.endpoint(&receiver.url, Some(&["Ticket.exploded"])).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .expect("detail")
            .contains("Unknown event")
    );

    let (status, ep) = h
        .endpoint(&receiver.url, Some(&["LinkedAccount.linked"]))
        .await;
    assert_eq!(status, 201, "{ep}");
    let endpoint = ep["id"].as_str().expect("id").to_string();
    h.link().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let disabled = loop {
        let (_, list) = h.list_endpoints().await;
        let e = list["results"][0].clone();
        if e["is_active"] == json!(false) {
            break e;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never disabled: {e}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        disabled["disabled_reason"]
            .as_str()
            .is_some_and(|r| r.contains("HTTP 500")),
        "{disabled}"
    );
    let n = receiver.received().len();
    assert!(n >= 2, "{n} attempts before it was disabled");
    let log = h.deliveries(&endpoint).await;
    assert_eq!(log["results"][0]["status"], json!("cancelled"), "{log}");
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        receiver.received().len(),
        n,
        "a disabled endpoint gets nothing more"
    );

    let path = format!("/api/deskbridge/v1/webhook-endpoints/{endpoint}");
    let (delete, get) = (reqwest::Method::DELETE, reqwest::Method::GET);
    assert_eq!(org_status(&h, delete.clone(), &path).await, 204);
    assert_eq!(org_status(&h, delete, &path).await, 404, "deleted once");
    let deliveries = format!("{path}/deliveries");
    assert_eq!(org_status(&h, get, &deliveries).await, 404);
    let (_, list) = h.list_endpoints().await;
    assert_eq!(list["results"], json!([]));
    // Without an API key, nothing.
    let res = h
        .http
        .get(format!("{}/api/deskbridge/v1/webhook-endpoints", h.base))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status().as_u16(), 401);
    h.stop().await;
}
