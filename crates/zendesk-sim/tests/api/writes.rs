//! Ticket and user writes, comments, warnings, conflicts and attachments.

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{Auth, Env, small, start};

async fn api(env: &Env, method: Method, path: &str, body: Option<&Value>) -> crate::common::Resp {
    env.send(
        method,
        &env.site(0, &format!("/api/v2{path}")),
        &env.admin(0),
        body,
    )
    .await
}

#[tokio::test]
async fn create_then_comment_privately_as_another_author() {
    let env = start(small(1, 10)).await;
    let users = env.get_ok(0, "/users.json?role=end-user").await;
    let requester = users["users"][0]["id"].as_i64().unwrap();
    let agents = env.get_ok(0, "/users.json?role=agent").await;
    let agent = agents["users"][0]["id"].as_i64().unwrap();
    let body = json!({"ticket": {"subject": "Printer on fire", "comment": {"body": "It burns"}, "requester_id": requester, "priority": "high", "tags": ["fire"]}});
    let r = api(&env, Method::POST, "/tickets.json", Some(&body)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let v = r.json();
    let id = v["ticket"]["id"].as_i64().unwrap();
    assert_eq!(id, 11, "nice ids continue after the generated ones");
    assert_eq!(
        r.header("location").unwrap(),
        env.site(0, &format!("/api/v2/tickets/{id}.json"))
    );
    assert_eq!(v["ticket"]["status"], "new");
    assert_eq!(v["ticket"]["description"], "It burns");
    assert_eq!(v["ticket"]["generated_timestamp"], 0);
    let types: Vec<&str> = v["audit"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(types[0], "Comment");
    assert!(types.contains(&"Create") && types.contains(&"Notification"));

    let upd = json!({"ticket": {"comment": {"body": "internal note", "public": false, "author_id": agent}, "status": "pending"}});
    let r = api(
        &env,
        Method::PUT,
        &format!("/tickets/{id}.json"),
        Some(&upd),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let v = r.json();
    assert_eq!(v["ticket"]["status"], "pending");
    assert!(
        v["audit"]["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["type"] == "Change" && e["field_name"] == "status")
    );
    let comments = env.get_ok(0, &format!("/tickets/{id}/comments.json")).await;
    let list = comments["comments"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[1]["public"], false);
    assert_eq!(list[1]["author_id"], agent);
    assert_eq!(
        list[0]["author_id"],
        json!(env.get_ok(0, "/users/me.json").await["user"]["id"])
    );
    // The export sees the change.
    let export = env
        .get_ok(0, "/incremental/tickets/cursor.json?start_time=0")
        .await;
    let t = export["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .unwrap()
        .clone();
    assert_eq!(t["status"], "pending");
    assert!(t["generated_timestamp"].as_i64().unwrap() > 0);
}

#[tokio::test]
async fn ignored_keys_are_reported_and_description_is_silently_ignored() {
    let env = start(small(1, 10)).await;
    let id = crate::conformance_errors::open_ticket(&env, 0).await;
    let before =
        env.get_ok(0, &format!("/tickets/{id}.json")).await["ticket"]["description"].clone();
    let r = api(
        &env,
        Method::PUT,
        &format!("/tickets/{id}.json"),
        Some(&json!({"ticket": {"id": id, "description": "new", "bogus": 1, "subject": "s2"}})),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("x-zendesk-api-warn").unwrap(),
        r#"{:allowed_parameters=>{:controller=>"tickets", :action=>"update", :unpermitted_keys=>["ticket.id", "ticket.bogus"], :invalid_values=>[]}}"#
    );
    let after = env.get_ok(0, &format!("/tickets/{id}.json")).await["ticket"].clone();
    assert_eq!(after["description"], before);
    assert_eq!(after["subject"], "s2");
    let clean = api(
        &env,
        Method::PUT,
        &format!("/tickets/{id}.json"),
        Some(&json!({"ticket": {"subject": "s3"}})),
    )
    .await;
    assert!(clean.header("x-zendesk-api-warn").is_none());
}

#[tokio::test]
async fn closed_is_immutable_safe_update_conflicts_and_validation() {
    let env = start(small(1, 10)).await;
    let id = crate::conformance_errors::open_ticket(&env, 0).await;
    let t = env.get_ok(0, &format!("/tickets/{id}.json")).await["ticket"].clone();
    let stale = json!({"ticket": {"subject": "x", "safe_update": true, "updated_stamp": "2001-01-01T00:00:00Z"}});
    assert_eq!(
        api(
            &env,
            Method::PUT,
            &format!("/tickets/{id}.json"),
            Some(&stale)
        )
        .await
        .status,
        409
    );
    let fresh =
        json!({"ticket": {"subject": "x", "safe_update": true, "updated_stamp": t["updated_at"]}});
    assert_eq!(
        api(
            &env,
            Method::PUT,
            &format!("/tickets/{id}.json"),
            Some(&fresh)
        )
        .await
        .status,
        200
    );
    let bad = api(
        &env,
        Method::PUT,
        &format!("/tickets/{id}.json"),
        Some(&json!({"ticket": {"priority": "extreme"}})),
    )
    .await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.json()["error"], "RecordInvalid");
    assert_eq!(
        api(
            &env,
            Method::PUT,
            &format!("/tickets/{id}.json"),
            Some(&json!({"ticket": {"status": "closed"}}))
        )
        .await
        .status,
        200
    );
    for body in [
        json!({"ticket": {"status": "open"}}),
        json!({"ticket": {"comment": {"body": "hello?"}}}),
    ] {
        let r = api(
            &env,
            Method::PUT,
            &format!("/tickets/{id}.json"),
            Some(&body),
        )
        .await;
        assert_eq!(r.status, 422);
        assert_eq!(
            r.json()["details"]["status"][0]["description"],
            "Status closed prevents ticket update"
        );
    }
}

#[tokio::test]
async fn create_user_defaults_to_end_user() {
    let env = start(small(1, 5)).await;
    let r = api(
        &env,
        Method::POST,
        "/users.json",
        Some(&json!({"user": {"name": "Jane", "email": "jane@example.net"}})),
    )
    .await;
    assert_eq!(r.status, 201);
    let u = r.json()["user"].clone();
    assert_eq!(u["role"], "end-user");
    assert!(
        r.header("location")
            .unwrap()
            .ends_with(&format!("/users/{}.json", u["id"]))
    );
    let dup = api(
        &env,
        Method::POST,
        "/users.json",
        Some(&json!({"user": {"name": "Jane 2", "email": "jane@example.net"}})),
    )
    .await;
    assert_eq!(dup.status, 422);
    let blank = api(
        &env,
        Method::POST,
        "/users.json",
        Some(&json!({"user": {"email": "x@example.net"}})),
    )
    .await;
    assert_eq!(blank.status, 422);
    let got = env.get_ok(0, &format!("/users/{}.json", u["id"])).await;
    assert_eq!(got["user"]["email"], "jane@example.net");
}

#[tokio::test]
async fn attachments_redirect_off_host_and_refuse_forwarded_credentials() {
    let env = start(small(1, 40)).await;
    let r = env
        .http
        .post(env.site(0, "/api/v2/uploads.json?filename=notes.txt"))
        .basic_auth(
            format!("{}/token", env.account(0).admin_email),
            Some(env.account(0).api_token),
        )
        .body("hello attachment")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let token = r.json::<Value>().await.unwrap()["upload"]["token"].clone();
    let created = api(&env, Method::POST, "/tickets.json", Some(&json!({"ticket": {"subject": "with file", "comment": {"body": "see file", "uploads": [token]}}}))).await;
    let id = created.json()["ticket"]["id"].as_i64().unwrap();
    let comments = env.get_ok(0, &format!("/tickets/{id}/comments.json")).await;
    let att = comments["comments"][0]["attachments"][0].clone();
    let content_url = att["content_url"].as_str().unwrap().to_owned();
    assert!(content_url.starts_with(&env.site(0, "/attachments/token/")));
    let hop = env.get(&content_url, &Auth::None).await;
    assert_eq!(hop.status, 302);
    let location = hop.header("location").unwrap();
    assert!(
        location.starts_with(&env.handle.content_url),
        "redirects to the content host"
    );
    assert_ne!(env.handle.content_url, env.handle.base_url);
    let plain = env.get(&location, &Auth::None).await;
    assert_eq!(plain.status, 200);
    assert_eq!(plain.text, "hello attachment");
    let leaked = env.get(&location, &env.admin(0)).await;
    assert_eq!(leaked.status, 400, "credentials sent off-host are refused");
    let counters = env
        .control(
            Method::GET,
            &format!("/accounts/{}/counters", env.account(0).subdomain),
            None,
        )
        .await
        .json();
    assert_eq!(counters["credentials_off_host"], 1);
    assert_eq!(counters["downloads"], 1);
    let tampered = location.replace("signature=", "signature=00");
    assert_eq!(env.get(&tampered, &Auth::None).await.status, 403);
    let shown = env
        .get_ok(0, &format!("/attachments/{}.json", att["id"]))
        .await;
    assert_eq!(shown["attachment"]["file_name"], "notes.txt");
}

#[tokio::test]
async fn ticket_tags_add_replace_remove_and_closed_tickets_refuse() {
    let env = start(small(1, 10)).await;
    let id = crate::conformance_errors::open_ticket(&env, 0).await;
    let path = format!("/tickets/{id}/tags.json");
    let r = api(
        &env,
        Method::POST,
        &path,
        Some(&json!({"tags": ["a", "b"]})),
    )
    .await;
    assert_eq!(r.json()["tags"], json!(["a", "b"]));
    let r = api(&env, Method::PUT, &path, Some(&json!({"tags": ["b", "c"]}))).await;
    assert_eq!(r.json()["tags"], json!(["a", "b", "c"]));
    let r = api(&env, Method::DELETE, &path, Some(&json!({"tags": ["a"]}))).await;
    assert_eq!(r.json()["tags"], json!(["b", "c"]));
    assert_eq!(env.get_ok(0, &path).await["tags"], json!(["b", "c"]));
    api(
        &env,
        Method::PUT,
        &format!("/tickets/{id}.json"),
        Some(&json!({"ticket": {"status": "closed"}})),
    )
    .await;
    assert_eq!(
        api(&env, Method::PUT, &path, Some(&json!({"tags": ["d"]})))
            .await
            .status,
        422
    );
}

#[tokio::test]
async fn side_loads_cover_the_page_only() {
    let env = start(small(1, 30)).await;
    let page = env
        .get_ok(
            0,
            "/tickets.json?page[size]=2&include=users,groups,organizations",
        )
        .await;
    let tickets = page["tickets"].as_array().unwrap();
    let mut wanted: Vec<i64> = tickets
        .iter()
        .flat_map(|t| {
            let mut v = vec![
                t["requester_id"].as_i64().unwrap(),
                t["submitter_id"].as_i64().unwrap(),
            ];
            v.extend(t["assignee_id"].as_i64());
            v.extend(
                t["collaborator_ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(Value::as_i64),
            );
            v.extend(
                t["follower_ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(Value::as_i64),
            );
            v
        })
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    let got: Vec<i64> = page["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_i64().unwrap())
        .collect();
    assert_eq!(got, wanted);
    assert!(page["groups"].as_array().unwrap().len() <= 2);
    let export = env
        .get_ok(
            0,
            "/incremental/tickets/cursor.json?start_time=0&per_page=1&include=users",
        )
        .await;
    assert!(export["users"].as_array().unwrap().len() <= 4);
}
