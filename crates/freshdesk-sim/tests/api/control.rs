//! Control operations (Rust and HTTP) and the API's own mutations.

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{Env, small, start};

const ALL: &str = "/api/v2/tickets?updated_since=2000-01-01T00:00:00Z&per_page=100&order_by=updated_at&order_type=desc";

async fn list_ids(env: &Env, path: &str) -> Vec<i64> {
    env.get_all(path, &env.key(0))
        .await
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect()
}

fn now_str() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[tokio::test]
async fn ticket_mutations_show_up_in_listings() {
    let env = start(small(1, 60)).await;
    let c = env.sim.control();
    let key = env.key(0);
    let visible = list_ids(&env, ALL).await;
    let id = *visible.last().unwrap();
    let before = env.get(&format!("/api/v2/tickets/{id}"), &key).await.json();
    let t0 = now_str();
    let updated = c
        .update_ticket("sim1", id, json!({"priority": 4, "status": 3}))
        .unwrap();
    assert_eq!(updated["priority"], 4);
    assert!(updated["updated_at"].as_str().unwrap() >= t0.as_str());
    assert!(updated["updated_at"].as_str().unwrap() > before["updated_at"].as_str().unwrap());
    let first = env.get_all(ALL, &key).await[0].clone();
    assert_eq!(first["id"], id, "most recently updated first");
    let since = env
        .get_all(&format!("/api/v2/tickets?updated_since={t0}"), &key)
        .await;
    assert_eq!(
        since
            .iter()
            .map(|t| t["id"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        vec![id]
    );

    // soft delete: hidden, listed with filter=deleted, viewable with "deleted": true
    c.delete_ticket("sim1", id).unwrap();
    assert!(!list_ids(&env, ALL).await.contains(&id));
    assert!(
        list_ids(&env, "/api/v2/tickets?filter=deleted&per_page=100")
            .await
            .contains(&id)
    );
    let v = env.get(&format!("/api/v2/tickets/{id}"), &key).await.json();
    assert_eq!(v["deleted"], true);
    assert_eq!(
        env.send(
            Method::PUT,
            &format!("/api/v2/tickets/{id}/restore"),
            Some(&key),
            None
        )
        .await
        .status,
        204
    );
    assert!(list_ids(&env, ALL).await.contains(&id));
    assert!(
        env.get(&format!("/api/v2/tickets/{id}"), &key)
            .await
            .json()
            .get("deleted")
            .is_none()
    );

    // spam
    c.spam_ticket("sim1", id).unwrap();
    assert!(!list_ids(&env, ALL).await.contains(&id));
    let spam = env
        .get_all("/api/v2/tickets?filter=spam&per_page=100", &key)
        .await;
    assert!(spam.iter().any(|t| t["id"] == id && t["spam"] == true));
    c.restore_ticket("sim1", id).unwrap();
    assert!(list_ids(&env, ALL).await.contains(&id));

    // conversations bump the ticket
    let other = visible[0];
    let t1 = now_str();
    let conv = c
        .add_conversation("sim1", other, true, json!({"body": "<p>Hello</p>"}))
        .unwrap();
    assert_eq!(conv["source"], 0);
    assert_eq!(conv["body_text"], "Hello");
    let v = env
        .get(&format!("/api/v2/tickets/{other}"), &key)
        .await
        .json();
    assert!(v["updated_at"].as_str().unwrap() >= t1.as_str());
    let convs = env
        .get_all(&format!("/api/v2/tickets/{other}/conversations"), &key)
        .await;
    assert_eq!(convs.last().unwrap()["id"], conv["id"]);
    c.delete_conversation("sim1", conv["id"].as_i64().unwrap())
        .unwrap();
    let convs = env
        .get_all(&format!("/api/v2/tickets/{other}/conversations"), &key)
        .await;
    assert!(convs.iter().all(|x| x["id"] != conv["id"]));

    // purge: gone for good
    c.purge_ticket("sim1", id).unwrap();
    assert_eq!(
        env.get(&format!("/api/v2/tickets/{id}"), &key).await.status,
        404
    );

    // create through control; key order of the view
    let created = c.create_ticket("sim1", json!({"email": "new.customer@example.org", "subject": "Hi", "description": "<div>Help</div>", "priority": 2})).unwrap();
    let new_id = created["id"].as_i64().unwrap();
    assert_eq!(new_id, 61, "display ids continue the sequence");
    assert!(
        list_ids(&env, "/api/v2/tickets").await.contains(&new_id),
        "new tickets are inside the 30-day window"
    );
    let err = c
        .create_ticket("sim1", json!({"subject": "x", "description": "y"}))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("Please fill at least 1 of requester_id")
    );
}

#[tokio::test]
async fn contacts_directory_keys_and_snapshot() {
    let env = start(small(1, 20)).await;
    let c = env.sim.control();
    let key = env.key(0);
    let contact = c
        .create_contact(
            "sim1",
            json!({"name": "Aaron Aardvark", "email": "aaron@example.org"}),
        )
        .unwrap();
    let cid = contact["id"].as_i64().unwrap();
    assert!(cid > 1 << 32);
    let first = env.get("/api/v2/contacts", &key).await.json()[0].clone();
    assert_eq!(first["id"], cid, "sorted by name");
    let dup = env
        .send(
            Method::POST,
            "/api/v2/contacts",
            Some(&key),
            Some(json!({"name": "X", "email": "aaron@example.org"})),
        )
        .await;
    assert_eq!(dup.status, 409);
    assert_eq!(
        dup.text,
        format!(
            r#"{{"description":"Validation failed","errors":[{{"field":"email","additional_info":{{"user_id":{cid}}},"message":"It should be a unique value","code":"duplicate_value"}}]}}"#
        )
    );
    c.update_contact("sim1", cid, json!({"job_title": "CTO"}))
        .unwrap();
    assert_eq!(
        env.get(&format!("/api/v2/contacts/{cid}"), &key)
            .await
            .json()["job_title"],
        "CTO"
    );
    c.delete_contact("sim1", cid).unwrap();
    let listed = env.get_all("/api/v2/contacts?per_page=100", &key).await;
    assert!(listed.iter().all(|x| x["id"] != cid));
    let deleted = env.get_all("/api/v2/contacts?state=deleted", &key).await;
    assert!(
        deleted
            .iter()
            .any(|x| x["id"] == cid && x["deleted"] == true)
    );
    assert_eq!(
        env.get(&format!("/api/v2/contacts/{cid}"), &key)
            .await
            .json()["deleted"],
        true
    );
    c.hard_delete_contact("sim1", cid).unwrap();
    assert_eq!(
        env.get(&format!("/api/v2/contacts/{cid}"), &key)
            .await
            .status,
        404
    );

    // agents, groups, companies
    let agent = c
        .add_agent(
            "sim1",
            json!({"name": "Zed Agent", "email": "zed@example.org"}),
        )
        .unwrap();
    let group = c
        .add_group(
            "sim1",
            json!({"name": "AAA Group", "agent_ids": [agent["id"]]}),
        )
        .unwrap();
    let company = c
        .add_company(
            "sim1",
            json!({"name": "AAA Corp", "domains": ["aaa.example"]}),
        )
        .unwrap();
    assert_eq!(
        env.get("/api/v2/groups", &key).await.json()[0]["id"],
        group["id"]
    );
    assert_eq!(
        env.get("/api/v2/companies", &key).await.json()[0]["id"],
        company["id"]
    );
    assert_eq!(
        env.get(&format!("/api/v2/agents/{}", agent["id"]), &key)
            .await
            .json()["group_ids"],
        json!([group["id"]])
    );
    c.remove_agent("sim1", agent["id"].as_i64().unwrap())
        .unwrap();
    c.remove_group("sim1", group["id"].as_i64().unwrap())
        .unwrap();
    c.remove_company("sim1", company["id"].as_i64().unwrap())
        .unwrap();
    assert_eq!(
        env.get(&format!("/api/v2/agents/{}", agent["id"]), &key)
            .await
            .status,
        404
    );
    assert_eq!(
        env.get(&format!("/api/v2/groups/{}", group["id"]), &key)
            .await
            .status,
        404
    );

    // snapshot equals the API's rendering (attachment URLs are re-signed on every render)
    let snap = c.snapshot("sim1").unwrap();
    let strip = |mut v: Value| {
        if let Some(a) = v.get_mut("attachments").and_then(Value::as_array_mut) {
            for x in a {
                x.as_object_mut().unwrap().remove("attachment_url");
            }
        }
        v
    };
    for t in snap.tickets.iter().take(20) {
        let api = env
            .get(&format!("/api/v2/tickets/{}", t["id"]), &key)
            .await
            .json();
        assert_eq!(strip(api).to_string(), strip(t.clone()).to_string());
    }
    assert_eq!(snap.roles.len(), 4);
    assert!(
        !snap.ticket_fields.is_empty() && !snap.agents.is_empty() && !snap.conversations.is_empty()
    );

    // keys
    let old = key.clone();
    let new = c.rotate_key("sim1").unwrap();
    assert_eq!(env.get("/api/v2/agents/me", &old).await.status, 401);
    assert_eq!(env.get("/api/v2/agents/me", &new).await.status, 200);
    c.revoke_key("sim1").unwrap();
    let r = env.get("/api/v2/agents/me", &new).await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.text,
        r#"{"code":"invalid_credentials","message":"You have to be logged in to perform this action."}"#
    );
}

#[tokio::test]
async fn http_control_api() {
    let env = start(small(2, 15)).await;
    let r = env.send(Method::GET, "/_sim/accounts", None, None).await;
    assert_eq!(r.json().as_array().unwrap().len(), 2);
    let r = env
        .send(
            Method::PUT,
            "/_sim/accounts/sim2/tickets/3",
            None,
            Some(json!({"status": 5})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["status"], 5);
    let r = env
        .send(Method::DELETE, "/_sim/accounts/sim2/tickets/3", None, None)
        .await;
    assert_eq!(r.status, 204);
    let r = env
        .send(
            Method::POST,
            "/_sim/accounts/sim2/tickets/4/notes",
            None,
            Some(json!({"body": "internal"})),
        )
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.json()["private"], true);
    let r = env
        .send(
            Method::PUT,
            "/_sim/accounts/sim2/plan",
            None,
            Some(json!({"plan": "free"})),
        )
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(env.get("/api/v2/tickets", &env.key(1)).await.status, 429);
    env.send(
        Method::PUT,
        "/_sim/accounts/sim2/plan",
        None,
        Some(json!({"plan": null})),
    )
    .await;
    let r = env
        .send(Method::GET, "/_sim/accounts/sim2/counters", None, None)
        .await;
    assert_eq!(r.json()["rate_limited"], 1);
    let r = env
        .send(Method::POST, "/_sim/accounts/sim2/key/rotate", None, None)
        .await;
    let new_key = r.json()["api_key"].as_str().unwrap().to_owned();
    assert_eq!(env.get("/api/v2/agents/me", &new_key).await.status, 200);
    let r = env
        .send(Method::GET, "/_sim/accounts/sim2/data", None, None)
        .await;
    let data = r.json();
    assert!(
        data["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == 3 && t["deleted"] == true)
    );
    for k in [
        "conversations",
        "contacts",
        "agents",
        "companies",
        "groups",
        "roles",
        "ticket_fields",
    ] {
        assert!(
            !data[k]
                .as_array()
                .map(Vec::is_empty)
                .unwrap_or_else(|| data[k].as_object().unwrap().is_empty()),
            "{k}"
        );
    }
    let r = env
        .send(
            Method::PUT,
            "/_sim/accounts/sim2/tickets/4",
            None,
            Some(json!({"priority": 7})),
        )
        .await;
    assert_eq!(r.status, 400);
    let r = env
        .send(Method::POST, "/_sim/accounts/nope/suspend", None, None)
        .await;
    assert_eq!(r.status, 404);
}
