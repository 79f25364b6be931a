//! Writes in Merge's shapes: tickets, replies, notes, contacts and patches reach the simulated
//! Freshdesk first and our reads show them at once; rejected writes are Merge-style 400s that
//! create nothing; Idempotency-Key; debug logs; per-account write schemas.

mod common;

use common::TestApp;
use deskbridge_freshdesk_sim::SimConfig;
use serde_json::{Value, json};
use uuid::Uuid;

async fn synced(accounts: usize) -> (TestApp, String, deskbridge_store::LinkedAccountId) {
    let app = TestApp::start(SimConfig {
        seed: 61,
        accounts,
        tickets: 20,
        conversations_per_ticket: 1.0,
        ..SimConfig::default()
    })
    .await;
    let (token, la) = app.link(0).await;
    assert_eq!(app.wait_synced(la).await, "DONE");
    (app, token, la)
}

/// A request with a JSON body and optional extra headers; returns status, headers and body.
async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: &Value,
    headers: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, Value) {
    let method_name = method.as_str().to_string();
    let method_name = method_name.as_str();
    let mut req = app.client().request(method, path, Some(token), Some(body));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = req.send().await.expect("request");
    let h = res.headers().clone();
    let (status, body) = common::checked(method_name, path, res).await;
    (status, h, body)
}

async fn post(app: &TestApp, path: &str, token: &str, body: &Value) -> (u16, Value) {
    let (s, _, b) = send(app, reqwest::Method::POST, path, token, body, &[]).await;
    (s, b)
}

async fn patch(app: &TestApp, path: &str, token: &str, body: &Value) -> (u16, Value) {
    let (s, _, b) = send(app, reqwest::Method::PATCH, path, token, body, &[]).await;
    (s, b)
}

/// `POST /tickets` with extra headers (an `Idempotency-Key`); status, headers and body.
async fn post_ticket_with(
    app: &TestApp,
    token: &str,
    body: &Value,
    headers: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, Value) {
    let path = "/api/ticketing/v1/tickets";
    send(app, reqwest::Method::POST, path, token, body, headers).await
}

/// The first live record of a list endpoint.
async fn first(app: &TestApp, path: &str, token: &str) -> Value {
    let (status, body) = app.get(&format!("{path}?page_size=5"), Some(token)).await;
    assert_eq!(status, 200, "{body}");
    body["results"][0].clone()
}

fn sim_ticket(app: &TestApp, remote_id: &str) -> Value {
    let (sub, _) = app.sim_account(0);
    let snap = app.sim.control().snapshot(&sub).expect("snapshot");
    snap.tickets
        .into_iter()
        .find(|t| t["id"].as_i64().map(|i| i.to_string()).as_deref() == Some(remote_id))
        .expect("the ticket is in the simulator")
}

fn sim_conversations(app: &TestApp, ticket: &str) -> Vec<Value> {
    let (sub, _) = app.sim_account(0);
    let snap = app.sim.control().snapshot(&sub).expect("snapshot");
    snap.conversations
        .get(&ticket.parse::<i64>().expect("id"))
        .cloned()
        .unwrap_or_default()
}

fn sim_counts(app: &TestApp) -> (usize, usize) {
    let (sub, _) = app.sim_account(0);
    let snap = app.sim.control().snapshot(&sub).expect("snapshot");
    let conversations = snap.conversations.values().map(Vec::len).sum();
    (snap.tickets.len() + snap.contacts.len(), conversations)
}

async fn db_counts(app: &TestApp) -> i64 {
    sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM tickets) + (SELECT count(*) FROM comments) + (SELECT count(*) FROM contacts)",
    )
    .fetch_one(&app.db.pool)
    .await
    .expect("count")
}

fn pointers(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("problems")
        .iter()
        .filter_map(|p| p["source"]["pointer"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn create_reply_note_and_patch_reach_freshdesk_and_show_at_once() {
    let (app, token, _) = synced(1).await;
    let contact = first(&app, "/api/ticketing/v1/contacts", &token).await;
    let (_, users) = app
        .get("/api/ticketing/v1/users?page_size=5", Some(&token))
        .await;
    let (agent, agent2) = (users["results"][0].clone(), users["results"][1].clone());
    let team = first(&app, "/api/ticketing/v1/teams", &token).await;

    // Create: Freshdesk holds it, mapped; what Freshdesk cannot carry is a warning.
    let body = json!({"model": {
        "name": "Printer on fire",
        "description": "<p>Smoke everywhere</p>",
        "contact": contact["id"],
        "assignees": [agent["id"], agent2["id"]],
        "assigned_teams": [team["id"]],
        "status": "OPEN",
        "priority": "HIGH",
        "ticket_type": "Incident",
        "tags": ["hardware", "urgent"],
        "collections": [Uuid::new_v4()],
        "access_level": "PRIVATE",
        "roles": ["admin"],
        "surprise": 1
    }});
    let (status, created) = post(&app, "/api/ticketing/v1/tickets", &token, &body).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["errors"], json!([]));
    let mut warned = pointers(&created["warnings"]);
    warned.sort();
    assert_eq!(
        warned,
        vec![
            "/model/access_level",
            "/model/assignees/1",
            "/model/collections",
            "/model/roles",
            "/model/surprise"
        ]
    );
    let model = &created["model"];
    let rid = model["remote_id"].as_str().expect("remote id").to_string();
    let raw = sim_ticket(&app, &rid);
    assert_eq!(raw["subject"], json!("Printer on fire"));
    assert_eq!(
        (raw["status"].clone(), raw["priority"].clone()),
        (json!(2), json!(3))
    );
    assert_eq!(
        raw["responder_id"].to_string(),
        agent["remote_id"].as_str().expect("agent")
    );
    assert_eq!(
        raw["group_id"].to_string(),
        team["remote_id"].as_str().expect("team")
    );
    assert_eq!(
        raw["requester_id"].to_string(),
        contact["remote_id"].as_str().expect("contact")
    );
    assert_eq!(raw["type"], json!("Incident"));
    assert_eq!(raw["tags"], json!(["hardware", "urgent"]));

    // Read at once, no sync in between.
    let id = model["id"].as_str().expect("id").to_string();
    let (status, read) = app
        .get(&format!("/api/ticketing/v1/tickets/{id}"), Some(&token))
        .await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(read["name"], json!("Printer on fire"));
    assert_eq!(read["status"], json!("OPEN"));
    assert_eq!(read["priority"], json!("HIGH"));
    assert_eq!(read["assignees"], json!([agent["id"]]));
    assert_eq!(read["assigned_teams"], json!([team["id"]]));
    assert_eq!(read["contact"], contact["id"]);
    assert_eq!(read["tags"], json!(["hardware", "urgent"]));
    let (_, tags) = app
        .get("/api/ticketing/v1/tags?page_size=100", Some(&token))
        .await;
    assert!(
        tags["results"]
            .as_array()
            .expect("tags")
            .iter()
            .any(|t| t["name"] == json!("hardware"))
    );

    // A public reply by an agent, with debug logs.
    let (status, reply) = post(
        &app,
        "/api/ticketing/v1/comments?is_debug_mode=true",
        &token,
        &json!({"model": {"ticket": id, "user": agent["id"], "body": "We are on it.\nHang on", "is_private": false}}),
    )
    .await;
    assert_eq!(status, 201, "{reply}");
    let log = &reply["logs"][0]["log_summary"];
    assert_eq!(log["method"], json!("POST"));
    assert_eq!(log["status_code"], json!(201));
    assert!(
        log["url"]
            .as_str()
            .expect("url")
            .ends_with(&format!("/api/v2/tickets/{rid}/reply")),
        "{log}"
    );
    assert_eq!(reply["model"]["user"], agent["id"]);
    assert_eq!(reply["model"]["is_private"], json!(false));
    // A private note by an agent.
    let (status, note) = post(
        &app,
        "/api/ticketing/v1/comments",
        &token,
        &json!({"model": {"ticket": id, "user": agent["id"], "html_body": "<p>Internal: call the vendor</p>", "is_private": true}}),
    )
    .await;
    assert_eq!(status, 201, "{note}");
    assert!(note.get("logs").is_none(), "logs only in debug mode");
    // A bad write query is a 400 naming the parameter, checked before the helpdesk is called.
    let (status, bad) = post(
        &app,
        "/api/ticketing/v1/comments?run_async=maybe",
        &token,
        &json!({"model": {"ticket": id, "user": agent["id"], "body": "never sent", "is_private": true}}),
    )
    .await;
    assert_eq!(status, 400, "{bad}");
    assert_eq!(
        bad["detail"],
        json!("Invalid value for `run_async`: `maybe` is not a boolean (use true or false).")
    );
    // A contact's comment: a public note, incoming, by the contact.
    let (status, by_contact) = post(
        &app,
        "/api/ticketing/v1/comments",
        &token,
        &json!({"model": {"ticket": id, "contact": contact["id"], "body": "Any news?"}}),
    )
    .await;
    assert_eq!(status, 201, "{by_contact}");

    let conv = sim_conversations(&app, &rid);
    assert_eq!(conv.len(), 3, "{conv:?}");
    let find = |cid: &Value| {
        conv.iter()
            .find(|c| c["id"].as_i64().map(|i| i.to_string()).as_deref() == cid.as_str())
            .cloned()
            .expect("conversation in the simulator")
    };
    let r = find(&reply["model"]["remote_id"]);
    assert_eq!(
        (
            r["private"].clone(),
            r["incoming"].clone(),
            r["source"].clone()
        ),
        (json!(false), json!(false), json!(0))
    );
    assert_eq!(r["body"], json!("We are on it.<br>Hang on"));
    let n = find(&note["model"]["remote_id"]);
    assert_eq!(
        (n["private"].clone(), n["source"].clone()),
        (json!(true), json!(2))
    );
    assert_eq!(
        n["user_id"].to_string(),
        agent["remote_id"].as_str().expect("agent")
    );
    let c = find(&by_contact["model"]["remote_id"]);
    assert_eq!(
        (c["private"].clone(), c["incoming"].clone()),
        (json!(false), json!(true))
    );
    assert_eq!(
        c["user_id"].to_string(),
        contact["remote_id"].as_str().expect("contact")
    );

    let (_, comments) = app
        .get(
            &format!("/api/ticketing/v1/comments?ticket_id={id}"),
            Some(&token),
        )
        .await;
    let comments = comments["results"].as_array().expect("comments").clone();
    assert_eq!(comments.len(), 3);
    let get = |rid: &Value| {
        comments
            .iter()
            .find(|c| c["remote_id"] == *rid)
            .cloned()
            .expect("comment read")
    };
    assert_eq!(get(&note["model"]["remote_id"])["is_private"], json!(true));
    assert_eq!(get(&note["model"]["remote_id"])["user"], agent["id"]);
    let cc = get(&by_contact["model"]["remote_id"]);
    assert_eq!(
        (
            cc["contact"].clone(),
            cc["user"].clone(),
            cc["is_private"].clone()
        ),
        (contact["id"].clone(), Value::Null, json!(false))
    );

    // Patch: present fields are set, lists replaced, [] clears.
    let (status, patched) = patch(
        &app,
        &format!("/api/ticketing/v1/tickets/{id}"),
        &token,
        &json!({"model": {"status": "ON_HOLD", "priority": "URGENT", "tags": ["vip"], "assignees": []}}),
    )
    .await;
    assert_eq!(status, 200, "{patched}");
    let raw = sim_ticket(&app, &rid);
    assert_eq!(
        (raw["status"].clone(), raw["priority"].clone()),
        (json!(3), json!(4))
    );
    assert_eq!(
        (raw["tags"].clone(), raw["responder_id"].clone()),
        (json!(["vip"]), Value::Null)
    );
    assert_eq!(
        raw["subject"],
        json!("Printer on fire"),
        "absent fields stay"
    );
    let (_, read) = app
        .get(&format!("/api/ticketing/v1/tickets/{id}"), Some(&token))
        .await;
    assert_eq!(
        (read["status"].clone(), read["priority"].clone()),
        (json!("ON_HOLD"), json!("URGENT"))
    );
    assert_eq!(
        (read["tags"].clone(), read["assignees"].clone()),
        (json!(["vip"]), json!([]))
    );

    // IN_PROGRESS is the account's first custom status; CLOSED is 5 and fills completed_at.
    let (status, _) = patch(
        &app,
        &format!("/api/ticketing/v1/tickets/{id}"),
        &token,
        &json!({"model": {"status": "IN_PROGRESS"}}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(sim_ticket(&app, &rid)["status"], json!(6));
    let (status, closed) = patch(
        &app,
        &format!("/api/ticketing/v1/tickets/{id}"),
        &token,
        &json!({"model": {"status": "CLOSED"}}),
    )
    .await;
    assert_eq!(status, 200, "{closed}");
    assert_eq!(sim_ticket(&app, &rid)["status"], json!(5));
    let (_, read) = app
        .get(&format!("/api/ticketing/v1/tickets/{id}"), Some(&token))
        .await;
    assert_eq!(read["status"], json!("CLOSED"));
    assert!(read["completed_at"].is_string(), "{read}");

    // A contact, with its account.
    let account = first(&app, "/api/ticketing/v1/accounts", &token).await;
    let (status, made) = post(
        &app,
        "/api/ticketing/v1/contacts",
        &token,
        &json!({"model": {"name": "Jane Roe", "email_address": "jane.roe@example.com", "phone_number": "+1 555 0100",
                          "details": "VIP", "account": account["id"]}}),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    let cid = made["model"]["id"].as_str().expect("id");
    let (_, read) = app
        .get(&format!("/api/ticketing/v1/contacts/{cid}"), Some(&token))
        .await;
    assert_eq!(
        (read["name"].clone(), read["email_address"].clone()),
        (json!("Jane Roe"), json!("jane.roe@example.com"))
    );
    assert_eq!(read["account"], account["id"]);
    let (sub, _) = app.sim_account(0);
    let snap = app.sim.control().snapshot(&sub).expect("snapshot");
    assert!(
        snap.contacts.iter().any(
            |c| c["email"] == json!("jane.roe@example.com") && c["description"] == json!("VIP")
        )
    );
    app.stop().await;
}

#[tokio::test]
async fn rejected_writes_are_merge_errors_and_create_nothing() {
    let (app, token, la) = synced(1).await;
    let contact = first(&app, "/api/ticketing/v1/contacts", &token).await;
    let ticket = first(&app, "/api/ticketing/v1/tickets", &token).await;
    let (sim_before, conv_before) = sim_counts(&app);
    let db_before = db_counts(&app).await;
    let base = json!({"name": "Broken", "description": "x", "contact": contact["id"]});
    let with = |extra: Value| {
        let mut m = base.clone();
        for (k, v) in extra.as_object().expect("object") {
            m[k] = v.clone();
        }
        json!({"model": m})
    };

    // A type Freshdesk rejects.
    let (status, body) = post(
        &app,
        "/api/ticketing/v1/tickets",
        &token,
        &with(json!({"ticket_type": "Spaceship"})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["warnings"], json!([]));
    assert_eq!(pointers(&body["errors"]), vec!["/model/ticket_type"]);
    assert!(
        body["errors"][0]["detail"]
            .as_str()
            .expect("detail")
            .contains("`type`"),
        "{body}"
    );
    assert!(body.get("model").is_none());

    // A status Freshdesk rejects: the stored ticket_fields name a custom status it no longer has.
    let mut fields = app
        .store
        .metadata(app.org, la, "ticket_fields")
        .await
        .expect("meta")
        .expect("ticket_fields");
    for f in fields.as_array_mut().expect("fields") {
        if f["name"] == "status" {
            let choices = f["choices"].as_object_mut().expect("choices");
            choices.retain(|k, _| k.parse::<i64>().is_ok_and(|c| c < 6));
            choices.insert("9".into(), json!(["Gone", "Gone"]));
        }
    }
    app.store
        .save_metadata(la, "ticket_fields", &fields)
        .await
        .expect("save");
    let (status, body) = post(
        &app,
        "/api/ticketing/v1/tickets",
        &token,
        &with(json!({"status": "IN_PROGRESS"})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(pointers(&body["errors"]), vec!["/model/status"]);
    let (status, body) = patch(
        &app,
        &format!(
            "/api/ticketing/v1/tickets/{}",
            ticket["id"].as_str().expect("id")
        ),
        &token,
        &json!({"model": {"status": "IN_PROGRESS"}}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(pointers(&body["errors"]), vec!["/model/status"]);

    // A custom field value Freshdesk rejects, by remote field class.
    let (_, classes) = app
        .get(
            "/api/ticketing/v1/tickets/remote-field-classes",
            Some(&token),
        )
        .await;
    let region = classes["results"]
        .as_array()
        .expect("classes")
        .iter()
        .find(|c| c["remote_key_name"] == json!("cf_region"))
        .expect("cf_region")["id"]
        .clone();
    let (status, body) = post(
        &app,
        "/api/ticketing/v1/tickets",
        &token,
        &with(json!({"remote_fields": [{"remote_field_class": region, "value": "Mars"}]})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        pointers(&body["errors"]),
        vec!["/model/remote_fields/0/value"]
    );

    // No requester: Freshdesk's missing field, at /model/contact.
    let (status, body) = post(
        &app,
        "/api/ticketing/v1/tickets",
        &token,
        &json!({"model": {"name": "x", "description": "y"}}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(pointers(&body["errors"]), vec!["/model/contact"]);
    assert_eq!(
        body["errors"][0]["problem_type"],
        json!("MISSING_REQUIRED_FIELD")
    );

    // Unknown relations and wrong types never reach Freshdesk.
    let (sub, _) = app.sim_account(0);
    app.sim.control().reset_counters(&sub).expect("reset");
    let (status, body) = post(
        &app,
        "/api/ticketing/v1/tickets",
        &token,
        &with(json!({"assignees": [Uuid::new_v4()]})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(pointers(&body["errors"]), vec!["/model/assignees/0"]);
    let (status, body) = post(
        &app,
        "/api/ticketing/v1/tickets",
        &token,
        &with(json!({"status": "SOMETIMES", "priority": 3})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let mut p = pointers(&body["errors"]);
    p.sort();
    assert_eq!(p, vec!["/model/priority", "/model/status"]);
    assert_eq!(
        body["errors"][0]["problem_type"],
        json!("INCORRECT_FIELD_TYPE")
    );
    let (status, body) = post(
        &app,
        "/api/ticketing/v1/comments",
        &token,
        &json!({"model": {"ticket": Uuid::new_v4(), "body": "x"}}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(pointers(&body["errors"]), vec!["/model/ticket"]);
    let (status, body) = post(
        &app,
        "/api/ticketing/v1/tickets",
        &token,
        &json!({"name": "no model"}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(pointers(&body["errors"]), vec!["/model"]);
    assert_eq!(
        app.sim.control().counters(&sub).expect("counters").requests,
        0,
        "nothing was sent"
    );

    // A contact whose email exists already.
    let email = contact["email_address"].as_str().expect("email");
    let (status, body) = post(
        &app,
        "/api/ticketing/v1/contacts",
        &token,
        &json!({"model": {"name": "Twin", "email_address": email}}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(pointers(&body["errors"]), vec!["/model/email_address"]);
    assert_eq!(
        body["errors"][0]["problem_type"],
        json!("DUPLICATE_MODEL_EXISTS")
    );
    // A comment without a body.
    let (status, body) = post(
        &app,
        "/api/ticketing/v1/comments",
        &token,
        &json!({"model": {"ticket": ticket["id"]}}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(pointers(&body["errors"]), vec!["/model/body"]);

    assert_eq!(
        sim_counts(&app),
        (sim_before, conv_before),
        "nothing created in Freshdesk"
    );
    assert_eq!(db_counts(&app).await, db_before, "nothing stored");
    app.stop().await;
}

#[tokio::test]
async fn idempotency_keys_replay_conflict_and_are_per_account() {
    let (app, token, _) = synced(2).await;
    let (token2, la2) = app.link(1).await;
    app.wait_synced(la2).await;
    let contact = first(&app, "/api/ticketing/v1/contacts", &token).await;
    let body =
        json!({"model": {"name": "Once only", "description": "d", "contact": contact["id"]}});
    let count = |app: &TestApp, i: usize| {
        let (sub, _) = app.sim_account(i);
        app.sim
            .control()
            .snapshot(&sub)
            .expect("snapshot")
            .tickets
            .len()
    };
    let before = count(&app, 0);
    let key = [("Idempotency-Key", "order-123")];
    let (s1, h1, b1) = post_ticket_with(&app, &token, &body, &key).await;
    let (s2, h2, b2) = post_ticket_with(&app, &token, &body, &key).await;
    assert_eq!((s1, s2), (201, 201), "{b1} {b2}");
    assert_eq!(b1, b2, "the first answer, again");
    assert!(h1.get("idempotent-replayed").is_none());
    assert_eq!(
        h2.get("idempotent-replayed").and_then(|v| v.to_str().ok()),
        Some("true")
    );
    assert_eq!(count(&app, 0), before + 1, "one ticket");

    // Another body under the same key: 409, nothing created.
    let other =
        json!({"model": {"name": "Something else", "description": "d", "contact": contact["id"]}});
    let (s, _, b) = post_ticket_with(&app, &token, &other, &key).await;
    assert_eq!(s, 409, "{b}");
    assert_eq!(count(&app, 0), before + 1);

    // Keys are per linked account: the same key on another account is a new request.
    let contact2 = first(&app, "/api/ticketing/v1/contacts", &token2).await;
    let body2 =
        json!({"model": {"name": "Once only", "description": "d", "contact": contact2["id"]}});
    let before2 = count(&app, 1);
    let (s, h, b) = post_ticket_with(&app, &token2, &body2, &key).await;
    assert_eq!(s, 201, "{b}");
    assert!(h.get("idempotent-replayed").is_none());
    assert_eq!(count(&app, 1), before2 + 1);

    // A rejected write is replayed as rejected; a new key runs again.
    let bad = json!({"model": {"name": "x", "description": "d", "contact": contact["id"], "ticket_type": "Nope"}});
    let k2 = [("Idempotency-Key", "bad-1")];
    let (s1, _, b1) = post_ticket_with(&app, &token, &bad, &k2).await;
    let (s2, h2, b2) = post_ticket_with(&app, &token, &bad, &k2).await;
    assert_eq!((s1, s2), (400, 400));
    assert_eq!(b1, b2);
    assert!(h2.get("idempotent-replayed").is_some());
    let (s, _, _) =
        post_ticket_with(&app, &token, &body, &[("Idempotency-Key", "order-124")]).await;
    assert_eq!(s, 201);
    assert_eq!(count(&app, 0), before + 2);
    let (s, _, b) = post_ticket_with(&app, &token, &body, &[("Idempotency-Key", "")]).await;
    assert_eq!(s, 400, "{b}");
    app.stop().await;
}

#[tokio::test]
async fn write_schemas_follow_the_accounts_ticket_fields() {
    let (app, token, _) = synced(1).await;
    let (status, meta) = app
        .get("/api/ticketing/v1/tickets/meta/post", Some(&token))
        .await;
    assert_eq!(status, 200, "{meta}");
    let props = &meta["request_schema"]["properties"];
    assert_eq!(
        props["status"]["enum"],
        json!(["OPEN", "ON_HOLD", "CLOSED", "IN_PROGRESS"])
    );
    assert_eq!(
        props["status"]["x-freshdesk-values"]["IN_PROGRESS"]["code"],
        json!(6)
    );
    assert_eq!(
        props["priority"]["enum"],
        json!(["LOW", "NORMAL", "HIGH", "URGENT"])
    );
    assert!(
        props["ticket_type"]["enum"]
            .as_array()
            .expect("types")
            .contains(&json!("Incident"))
    );
    let custom = &props["integration_params"]["properties"]["custom_fields"]["properties"];
    assert!(
        custom["cf_region"]["enum"]
            .as_array()
            .is_some_and(|e| !e.is_empty()),
        "{custom}"
    );
    assert_eq!(custom["cf_vip"]["type"], json!("boolean"));
    let required = meta["request_schema"]["required"]
        .as_array()
        .expect("required");
    assert!(required.contains(&json!("name")) && required.contains(&json!("description")));
    assert_eq!(
        meta["remote_field_classes"]
            .as_object()
            .expect("classes")
            .len(),
        3
    );
    assert_eq!(
        meta["status"],
        json!({"linked_account_status": "COMPLETE", "can_make_request": true})
    );

    let ticket = first(&app, "/api/ticketing/v1/tickets", &token).await;
    let (status, meta) = app
        .get(
            &format!(
                "/api/ticketing/v1/tickets/meta/patch/{}",
                ticket["id"].as_str().expect("id")
            ),
            Some(&token),
        )
        .await;
    assert_eq!(status, 200);
    assert!(meta["request_schema"].get("required").is_none());
    assert!(
        meta["request_schema"]["properties"]
            .get("parent_ticket")
            .is_none()
    );
    let (status, _) = app
        .get(
            &format!("/api/ticketing/v1/tickets/meta/patch/{}", Uuid::new_v4()),
            Some(&token),
        )
        .await;
    assert_eq!(status, 404);
    for path in [
        "/api/ticketing/v1/comments/meta/post",
        "/api/ticketing/v1/contacts/meta/post",
    ] {
        let (status, meta) = app.get(path, Some(&token)).await;
        assert_eq!(status, 200, "{path}: {meta}");
        assert!(
            meta["request_schema"]["required"].is_array(),
            "{path}: {meta}"
        );
    }
    app.stop().await;
}
