//! The control API: the simulator's own data matches the API field by field; changes made
//! behind the API's back show up in it.

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{Env, small, start};

#[tokio::test]
async fn data_snapshot_matches_the_api_field_by_field() {
    let env = start(small(1, 30)).await;
    let sub = env.account(0).subdomain;
    let data = env
        .control(Method::GET, &format!("/accounts/{sub}/data"), None)
        .await
        .json();
    let accounts = env.control(Method::GET, "/accounts", None).await.json();
    assert_eq!(accounts[0]["subdomain"], sub.as_str());
    let deleted: Vec<i64> = serde_json::from_value(data["deleted_ticket_ids"].clone()).unwrap();
    for t in data["tickets"].as_array().unwrap() {
        let id = t["id"].as_i64().unwrap();
        if deleted.contains(&id) {
            continue;
        }
        let mut api = env.get_ok(0, &format!("/tickets/{id}.json")).await["ticket"].clone();
        api["generated_timestamp"] = t["generated_timestamp"].clone();
        assert_eq!(&api, t, "ticket {id}");
        let comments =
            env.get_ok(0, &format!("/tickets/{id}/comments.json")).await["comments"].clone();
        assert_eq!(
            comments,
            data["comments"][id.to_string()],
            "comments of {id}"
        );
    }
    for u in data["users"].as_array().unwrap() {
        assert_eq!(
            &env.get_ok(0, &format!("/users/{}.json", u["id"])).await["user"],
            u
        );
    }
    let orgs = env.get_ok(0, "/organizations.json").await["organizations"].clone();
    assert_eq!(orgs, data["organizations"]);
    let fields = env.get_ok(0, "/ticket_fields.json?page[size]=100").await["ticket_fields"].clone();
    assert_eq!(fields, data["ticket_fields"]);
}

/// Creates a `single` through the control API, deletes it again, and returns its id.
async fn create_and_delete(env: &Env, sub: &str, plural: &str, single: &str, body: Value) -> i64 {
    let created = env
        .control(
            Method::POST,
            &format!("/accounts/{sub}/{plural}"),
            Some(&body),
        )
        .await
        .json();
    let id = created[single]["id"].as_i64().unwrap();
    let path = format!("/accounts/{sub}/{plural}/{id}");
    env.control(Method::DELETE, &path, None).await;
    id
}

#[tokio::test]
async fn control_changes_show_up_in_the_api() {
    let env = start(small(1, 20)).await;
    let sub = env.account(0).subdomain;
    let created = env
        .control(
            Method::POST,
            &format!("/accounts/{sub}/tickets"),
            Some(&json!({"ticket": {"subject": "from control", "comment": {"body": "hi"}}})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.json()["ticket"]["id"].as_i64().unwrap();
    assert_eq!(
        env.get_ok(0, &format!("/tickets/{id}.json")).await["ticket"]["subject"],
        "from control"
    );
    let r = env
        .control(
            Method::PUT,
            &format!("/accounts/{sub}/tickets/{id}"),
            Some(&json!({"ticket": {"status": "solved"}})),
        )
        .await;
    assert_eq!(r.status, 200);
    // Delete → deleted list → restore through the API → purge.
    assert_eq!(
        env.control(
            Method::DELETE,
            &format!("/accounts/{sub}/tickets/{id}"),
            None
        )
        .await
        .status,
        204
    );
    assert_eq!(
        env.get(
            &env.site(0, &format!("/api/v2/tickets/{id}.json")),
            &env.admin(0)
        )
        .await
        .status,
        404
    );
    let deleted = env.get_ok(0, "/deleted_tickets.json?page[size]=100").await;
    let entry = deleted["deleted_tickets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .unwrap()
        .clone();
    assert_eq!(entry["previous_state"], "solved");
    assert_eq!(entry["actor"]["id"].as_i64().unwrap().to_string().len(), 14);
    let r = env
        .send(
            Method::PUT,
            &env.site(0, &format!("/api/v2/deleted_tickets/{id}/restore.json")),
            &env.admin(0),
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({}));
    assert_eq!(
        env.get_ok(0, &format!("/tickets/{id}.json")).await["ticket"]["status"],
        "solved"
    );
    env.send(
        Method::DELETE,
        &env.site(0, &format!("/api/v2/tickets/{id}.json")),
        &env.admin(0),
        None,
    )
    .await;
    let purge = env
        .send(
            Method::DELETE,
            &env.site(0, &format!("/api/v2/deleted_tickets/{id}.json")),
            &env.admin(0),
            None,
        )
        .await;
    assert_eq!(purge.json()["job_status"]["status"], "queued");
    let export = env
        .get_ok(0, "/incremental/tickets/cursor.json?start_time=0")
        .await;
    let t: Value = export["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .unwrap()
        .clone();
    assert_eq!(
        (
            t["status"].as_str(),
            t["subject"].as_str(),
            t["description"].as_str()
        ),
        (Some("deleted"), Some("SCRUBBED"), Some("X"))
    );
    let restore = env
        .send(
            Method::PUT,
            &env.site(0, &format!("/api/v2/deleted_tickets/{id}/restore.json")),
            &env.admin(0),
            None,
        )
        .await;
    assert_eq!(restore.status, 404, "purged tickets cannot be restored");
    // Users, groups, organizations.
    let uid = create_and_delete(
        &env,
        &sub,
        "users",
        "user",
        json!({"user": {"name": "Ctl User", "email": "ctl@example.org"}}),
    )
    .await;
    assert_eq!(
        env.get_ok(0, &format!("/users/{uid}.json")).await["user"]["active"],
        false
    );
    let gid = create_and_delete(
        &env,
        &sub,
        "groups",
        "group",
        json!({"group": {"name": "Zeta"}}),
    )
    .await;
    assert_eq!(
        env.get_ok(0, &format!("/groups/{gid}.json")).await["group"]["deleted"],
        true
    );
    let o = env
        .control(
            Method::POST,
            &format!("/accounts/{sub}/organizations"),
            Some(&json!({"organization": {"name": "Ctl Org"}})),
        )
        .await;
    assert_eq!(o.status, 201);
    let dup = env
        .control(
            Method::POST,
            &format!("/accounts/{sub}/organizations"),
            Some(&json!({"organization": {"name": "Ctl Org"}})),
        )
        .await;
    assert_eq!(dup.status, 422);
}
