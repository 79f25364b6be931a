//! The API's own writes, signed attachment URLs and deterministic generation.

use deskbridge_freshdesk_sim::{SimConfig, Simulator};
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{small, start};

#[tokio::test]
async fn api_writes() {
    let env = start(small(1, 20)).await;
    let key = env.key(0);
    let body = json!({"email": "jjin@molex.com", "subject": "Printer on fire", "description": "<div>Help!</div>", "priority": 4, "status": 6, "tags": ["vip"], "custom_fields": {"cf_region": "EMEA"}});
    let r = env
        .send(Method::POST, "/api/v2/tickets", Some(&key), Some(body))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let t = r.json();
    assert_eq!(
        (
            t["id"].as_i64(),
            t["status"].as_i64(),
            t["description_text"].as_str()
        ),
        (Some(21), Some(6), Some("Help!"))
    );
    assert_eq!(
        t["custom_fields"],
        json!({"cf_order_id": null, "cf_region": "EMEA", "cf_vip": false})
    );
    let requester = t["requester_id"].as_i64().unwrap();
    assert!(
        env.get(&format!("/api/v2/contacts/{requester}"), &key)
            .await
            .status
            == 200,
        "requester created from email"
    );
    let r = env
        .send(
            Method::PUT,
            "/api/v2/tickets/21",
            Some(&key),
            Some(json!({})),
        )
        .await;
    assert_eq!(
        r.text,
        r#"{"code":"missing_params","message":"Your update call does not have any parameter. Atleast one parameter is required."}"#
    );
    let r = env
        .send(
            Method::PUT,
            "/api/v2/tickets/21",
            Some(&key),
            Some(json!({"custom_fields": {"cf_nope": 1, "cf_vip": "yes"}})),
        )
        .await;
    assert_eq!(
        r.text,
        r#"{"description":"Validation failed","errors":[{"field":"cf_nope","message":"Unexpected/invalid field in request","code":"invalid_field"},{"field":"custom_fields.cf_vip","message":"Value set is of type String.It should be a/an Boolean","code":"datatype_mismatch"}]}"#
    );
    let r = env
        .send(
            Method::PUT,
            "/api/v2/tickets/21",
            Some(&key),
            Some(json!({"status": 5})),
        )
        .await;
    assert_eq!(r.status, 200);
    let r = env
        .send(
            Method::POST,
            "/api/v2/tickets/21/reply",
            Some(&key),
            Some(json!({"body": "<div>Done</div>"})),
        )
        .await;
    assert_eq!(r.status, 201);
    let keys: Vec<String> = r.json().as_object().unwrap().keys().cloned().collect();
    assert_eq!(
        keys,
        [
            "id",
            "user_id",
            "from_email",
            "cc_emails",
            "bcc_emails",
            "body",
            "body_text",
            "ticket_id",
            "to_emails",
            "attachments",
            "source_additional_info",
            "created_at",
            "updated_at"
        ]
    );
    let r = env
        .send(
            Method::POST,
            "/api/v2/tickets/21/notes",
            Some(&key),
            Some(json!({"private": true})),
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.text.contains(r#""field":"body""#));
    let r = env
        .send(Method::DELETE, "/api/v2/tickets/21", Some(&key), None)
        .await;
    assert_eq!((r.status, r.text.as_str()), (204, ""));
    assert_eq!(
        env.send(Method::DELETE, "/api/v2/tickets/21", Some(&key), None)
            .await
            .status,
        404
    );
    let r = env
        .send(
            Method::POST,
            "/api/v2/contacts",
            Some(&key),
            Some(json!({"name": "No Channel"})),
        )
        .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn company_create_and_duplicate() {
    let env = start(small(1, 5)).await;
    let key = env.key(0);
    let body = json!({"name": "Beacon", "domains": ["beacon.example"], "custom_fields": {"support_plan": "Premium"}});
    let r = env
        .send(
            Method::POST,
            "/api/v2/companies",
            Some(&key),
            Some(body.clone()),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let c = r.json();
    assert_eq!(c["custom_fields"], json!({"support_plan": "Premium"}));
    assert!(c["org_company_id"].is_string());
    let r = env
        .send(Method::POST, "/api/v2/companies", Some(&key), Some(body))
        .await;
    assert_eq!(r.status, 409);
    assert_eq!(
        r.text,
        format!(
            r#"{{"description":"Validation failed","errors":[{{"field":"name","additional_info":{{"company_id":{}}},"message":"It should be a unique value","code":"duplicate_value"}}]}}"#,
            c["id"]
        )
    );
    assert_eq!(
        env.get(&format!("/api/v2/companies/{}", c["id"]), &key)
            .await
            .json(),
        c
    );
}

#[tokio::test]
async fn attachment_urls_are_signed_and_expire() {
    // time scale 300: the 5-minute validity lasts 1 s.
    let env = start(SimConfig {
        seed: 2,
        tickets: 200,
        time_scale: 300.0,
        ..SimConfig::default()
    })
    .await;
    let key = env.key(0);
    let snap = env.sim.control().snapshot("sim1").unwrap();
    let t = snap
        .tickets
        .iter()
        .find(|t| !t["attachments"].as_array().unwrap().is_empty())
        .expect("a ticket with attachments");
    let path = format!("/api/v2/tickets/{}", t["id"]);
    let a1 = env.get(&path, &key).await.json()["attachments"][0].clone();
    let a2 = env.get(&path, &key).await.json()["attachments"][0].clone();
    let keys: Vec<&String> = a1.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "id",
            "content_type",
            "size",
            "name",
            "attachment_url",
            "created_at",
            "updated_at"
        ]
    );
    let url = a1["attachment_url"].as_str().unwrap();
    assert_ne!(
        url,
        a2["attachment_url"].as_str().unwrap(),
        "freshly signed on every render"
    );
    assert!(
        url.starts_with(&env.handle.base_url)
            && url.contains("Expires=")
            && url.contains("Signature=")
    );
    let r = env.http.get(url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        a1["content_type"].as_str().unwrap()
    );
    let bytes = r.bytes().await.unwrap();
    assert_eq!(bytes.len() as i64, a1["size"].as_i64().unwrap());
    let again = env
        .http
        .get(a2["attachment_url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(bytes, again, "deterministic content");
    let tampered = url.replace("Signature=", "Signature=0");
    assert_eq!(env.http.get(&tampered).send().await.unwrap().status(), 403);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(
        env.http.get(url).send().await.unwrap().status(),
        403,
        "expired"
    );
}

#[test]
fn same_seed_same_data() {
    let cfg = SimConfig {
        seed: 42,
        accounts: 2,
        tickets: 150,
        ..SimConfig::default()
    };
    let (a, b) = (Simulator::new(cfg.clone()), Simulator::new(cfg));
    assert_eq!(a.accounts(), b.accounts());
    let (sa, sb) = (
        a.control().snapshot("sim2").unwrap(),
        b.control().snapshot("sim2").unwrap(),
    );
    let pick = |s: &deskbridge_freshdesk_sim::Snapshot| -> Vec<(Value, Value, Value, Value)> {
        s.tickets
            .iter()
            .map(|t| {
                (
                    t["id"].clone(),
                    t["subject"].clone(),
                    t["requester_id"].clone(),
                    t["status"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(pick(&sa), pick(&sb));
    let ids = |v: &[Value]| v.iter().map(|x| x["id"].clone()).collect::<Vec<_>>();
    assert_eq!(ids(&sa.contacts), ids(&sb.contacts));
    assert_eq!(
        sa.conversations.values().map(Vec::len).sum::<usize>(),
        sb.conversations.values().map(Vec::len).sum::<usize>()
    );
    let other = Simulator::new(SimConfig {
        seed: 43,
        accounts: 2,
        tickets: 150,
        ..SimConfig::default()
    });
    assert_ne!(other.accounts(), a.accounts());
}
