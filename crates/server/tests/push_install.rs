//! Push installation end to end, against real Postgres and both simulators: linking an admin
//! with `DESKBRIDGE_PUSH_ON_LINK` installs the push in the helpdesk (Zendesk: a webhook and a
//! trigger; Freshdesk: an update rule and a creation rule), a ticket changed through the
//! simulator's own API then makes the simulator fire a real push at the test server, and the
//! change shows in `GET /tickets/{id}` with no periodic sync run. Unlinking (or rotating the
//! hook) removes what was installed; a non-admin agent links fine and gets the manual set-up;
//! a push the simulator drops is recovered by the next sync.

mod common;

use std::time::Duration;

use common::TestApp;
use common::push::{HOOK, runs, served_name, wait_name};
use common::zendesk::Zd;
use deskbridge_model::{ModelKind, record_id};
use serde_json::{Value, json};

/// Waits until `f` holds of the simulator's push counters; panics after 30 s.
async fn wait_counters<F, Fut>(what: &str, mut read: F, want: impl Fn(&Value) -> bool) -> Value
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Value>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let c = read().await;
        if want(&c) {
            return c;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "push counters never showed {what}: {c}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

// ---- Zendesk ----

async fn zd_api(
    zd: &Zd,
    method: reqwest::Method,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let a = zd.account(0);
    let mut req = reqwest::Client::new()
        .request(method, format!("{}/api/v2/{path}", zd.site(0)))
        .basic_auth(format!("{}/token", a.admin_email), Some(&a.api_token));
    if let Some(b) = body {
        req = req.json(b);
    }
    let res = req.send().await.expect("zendesk sim");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn zd_push(zd: &Zd, method: reqwest::Method, path: &str, body: Option<&Value>) -> Value {
    let mut req =
        reqwest::Client::new().request(method, format!("{}/_sim/push{path}", zd.handle.base_url));
    if let Some(b) = body {
        req = req.json(b);
    }
    let res = req.send().await.expect("sim push control");
    assert!(res.status().is_success(), "{}", res.status());
    res.json().await.unwrap_or(Value::Null)
}

async fn zd_counters(zd: &Zd) -> Value {
    zd_push(zd, reqwest::Method::GET, "/counters", None).await
}

/// Live ticket ids of the Zendesk simulator's account.
async fn zd_tickets(zd: &Zd) -> Vec<i64> {
    let data = zd.data(0).await;
    data["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .filter(|t| t["status"] != json!("closed") && t["status"] != json!("deleted"))
        .filter_map(|t| t["id"].as_i64())
        .collect()
}

async fn zd_rename(zd: &Zd, t: i64, subject: &str) {
    let body = json!({"ticket": {"subject": subject}});
    let (status, answer) = zd_api(
        zd,
        reqwest::Method::PUT,
        &format!("tickets/{t}.json"),
        Some(&body),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
}

#[tokio::test]
async fn a_zendesk_admin_link_installs_the_push_and_the_simulators_pushes_show_changes() {
    let zd = Zd::start(deskbridge_zendesk_sim::SimConfig {
        tickets: 10,
        accounts: 1,
        ..Default::default()
    })
    .await;
    let fd = deskbridge_freshdesk_sim::SimConfig {
        tickets: 2,
        ..Default::default()
    };
    let opts = common::Options {
        push_on_link: true,
        ..zd.options(Duration::from_secs(60))
    };
    let app = TestApp::start_with(fd, opts).await;
    let (token, la) = app.link_zendesk(&zd, 0).await;
    assert_eq!(app.wait_synced(la).await, "DONE");

    // Installed at link time: one webhook calling this server and one trigger firing it.
    let (status, hook) = app.get(HOOK, Some(&token)).await;
    assert_eq!(status, 200, "{hook}");
    assert_eq!(hook["installed"], json!(true), "{hook}");
    let (_, webhooks) = zd_api(&zd, reqwest::Method::GET, "webhooks", None).await;
    let webhooks = webhooks["webhooks"].as_array().expect("webhooks").clone();
    assert_eq!(webhooks.len(), 1, "{webhooks:?}");
    let endpoint = webhooks[0]["endpoint"].as_str().expect("endpoint");
    assert!(
        endpoint.starts_with(&format!("{}/api/deskbridge/v1/inbound/zendesk/", app.base)),
        "{endpoint}"
    );
    let (_, triggers) = zd_api(&zd, reqwest::Method::GET, "triggers", None).await;
    assert_eq!(
        triggers["triggers"].as_array().map(Vec::len),
        Some(1),
        "{triggers}"
    );

    // A change made through Zendesk's API fires the trigger; the signed push makes it visible.
    zd_push(&zd, reqwest::Method::POST, "/counters/reset", None).await;
    let runs_before = runs(&app, la).await;
    let live = zd_tickets(&zd).await;
    let t = live[0];
    zd_rename(&zd, t, "Pushed by the trigger").await;
    let id = record_id(la.as_uuid(), ModelKind::Ticket, &t.to_string());
    wait_name(&app, &token, id, "Pushed by the trigger").await;
    let c = wait_counters(
        "a delivery",
        || zd_counters(&zd),
        |c| c["delivered"].as_u64() >= Some(1),
    )
    .await;
    assert_eq!(c["failed"], json!(0), "{c}");
    assert_eq!(runs(&app, la).await, runs_before, "no periodic sync ran");
    let (_, health) = app.get(HOOK, Some(&token)).await;
    assert!(health["pushes_last_hour"].as_i64() >= Some(1), "{health}");

    // A push the simulator drops: nothing arrives, the next sync finds the change.
    zd_push(
        &zd,
        reqwest::Method::PUT,
        "",
        Some(&json!({"loss_rate": 1.0})),
    )
    .await;
    let lost = live[1];
    let lost_id = record_id(la.as_uuid(), ModelKind::Ticket, &lost.to_string());
    let old = served_name(&app, &token, lost_id).await;
    zd_rename(&zd, lost, "Push lost").await;
    wait_counters(
        "a dropped push",
        || zd_counters(&zd),
        |c| c["dropped"].as_u64() >= Some(1),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        served_name(&app, &token, lost_id).await,
        old,
        "no push came"
    );
    assert_eq!(app.resync(&token, la).await, "DONE");
    assert_eq!(served_name(&app, &token, lost_id).await, json!("Push lost"));
    zd_push(&zd, reqwest::Method::PUT, "", Some(&json!({}))).await;

    // Unlinking removes the webhook and the trigger from the helpdesk.
    let (status, _) = app
        .post("/api/ticketing/v1/delete-account", Some(&token), &json!({}))
        .await;
    assert_eq!(status, 200);
    let (_, webhooks) = zd_api(&zd, reqwest::Method::GET, "webhooks", None).await;
    assert_eq!(webhooks["webhooks"], json!([]), "the webhook is gone");
    let (_, triggers) = zd_api(&zd, reqwest::Method::GET, "triggers", None).await;
    assert_eq!(triggers["triggers"], json!([]), "the trigger is gone");
    app.stop().await;
}

// ---- Freshdesk ----

async fn fd_api(
    app: &TestApp,
    key: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .request(method, format!("{}/api/v2/{path}", app.sim_handle.base_url))
        .basic_auth(key, Some("X"));
    if let Some(b) = body {
        req = req.json(b);
    }
    let res = req.send().await.expect("freshdesk sim");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn fd_counters(app: &TestApp) -> Value {
    serde_json::to_value(app.sim.control().push_counters()).expect("counters")
}

/// The account's automation rules at the simulator, as (type, id, url of the webhook action).
fn fd_rules(app: &TestApp) -> Vec<(i64, i64, String)> {
    let (sub, _) = app.sim_account(0);
    let mut rules: Vec<_> = app
        .sim
        .control()
        .automation_rules(&sub)
        .expect("rules")
        .iter()
        .map(|r| {
            (
                r["automation_type_id"].as_i64().expect("type"),
                r["id"].as_i64().expect("id"),
                r["actions"][0]["url"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect();
    rules.sort();
    rules
}

fn fd_live(app: &TestApp) -> Vec<i64> {
    let (sub, _) = app.sim_account(0);
    let snap = app.sim.control().snapshot(&sub).expect("snapshot");
    snap.tickets
        .iter()
        .filter(|t| t.get("deleted").is_none() && t["spam"] == json!(false))
        .filter_map(|t| t["id"].as_i64())
        .collect()
}

async fn fd_start() -> TestApp {
    let fd = deskbridge_freshdesk_sim::SimConfig {
        seed: 14,
        accounts: 1,
        tickets: 12,
        conversations_per_ticket: 1.0,
        ..Default::default()
    };
    TestApp::start_with(
        fd,
        common::Options {
            push_on_link: true,
            ..Default::default()
        },
    )
    .await
}

#[tokio::test]
async fn a_freshdesk_admin_link_installs_the_rules_and_the_simulators_pushes_show_changes() {
    let app = fd_start().await;
    let (_, key) = app.sim_account(0);
    let (token, la) = app.link(0).await;
    assert_eq!(app.wait_synced(la).await, "DONE");

    // Installed at link time: an update rule and a creation rule calling this server.
    let (status, hook) = app.get(HOOK, Some(&token)).await;
    assert_eq!(status, 200, "{hook}");
    assert_eq!(hook["installed"], json!(true), "{hook}");
    let rules = fd_rules(&app);
    assert_eq!(
        rules.iter().map(|r| r.0).collect::<Vec<_>>(),
        vec![1, 4],
        "{rules:?}"
    );
    let inbound = format!("{}/api/deskbridge/v1/inbound/freshdesk/", app.base);
    assert!(rules.iter().all(|r| r.2.starts_with(&inbound)), "{rules:?}");

    // An update through Freshdesk's API runs the update rule; its push shows the change.
    app.sim.control().reset_push_counters();
    let runs_before = runs(&app, la).await;
    let live = fd_live(&app);
    let t = live[0];
    let body = json!({"subject": "Pushed by the rule"});
    let (status, answer) = fd_api(
        &app,
        &key,
        reqwest::Method::PUT,
        &format!("tickets/{t}"),
        Some(&body),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let id = record_id(la.as_uuid(), ModelKind::Ticket, &t.to_string());
    wait_name(&app, &token, id, "Pushed by the rule").await;

    // A ticket created through the API runs the creation rule.
    let body = json!({"subject": "Created and pushed", "description": "Hello",
        "email": "new.customer@push.example", "status": 2, "priority": 1});
    let (status, created) = fd_api(&app, &key, reqwest::Method::POST, "tickets", Some(&body)).await;
    assert_eq!(status, 201, "{created}");
    let new = created["id"].as_i64().expect("id");
    let new_id = record_id(la.as_uuid(), ModelKind::Ticket, &new.to_string());
    wait_name(&app, &token, new_id, "Created and pushed").await;
    let c = wait_counters(
        "two deliveries",
        || async { fd_counters(&app) },
        |c| c["delivered"].as_u64() >= Some(2),
    )
    .await;
    assert_eq!(c["failed"], json!(0), "{c}");
    assert_eq!(runs(&app, la).await, runs_before, "no periodic sync ran");

    // A push the simulator drops: nothing arrives, the next sync finds the change.
    app.sim
        .control()
        .set_push(deskbridge_freshdesk_sim::PushSettings {
            loss_rate: 1.0,
            ..Default::default()
        });
    let lost = live[1];
    let lost_id = record_id(la.as_uuid(), ModelKind::Ticket, &lost.to_string());
    let old = served_name(&app, &token, lost_id).await;
    let body = json!({"subject": "Push lost"});
    let (status, _) = fd_api(
        &app,
        &key,
        reqwest::Method::PUT,
        &format!("tickets/{lost}"),
        Some(&body),
    )
    .await;
    assert_eq!(status, 200);
    wait_counters(
        "a dropped push",
        || async { fd_counters(&app) },
        |c| c["dropped"].as_u64() >= Some(1),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        served_name(&app, &token, lost_id).await,
        old,
        "no push came"
    );
    assert_eq!(app.resync(&token, la).await, "DONE");
    assert_eq!(served_name(&app, &token, lost_id).await, json!("Push lost"));
    app.sim
        .control()
        .set_push(deskbridge_freshdesk_sim::PushSettings::default());

    // Rotating the hook replaces the rules: the old ones are deleted, new ones call the new URL.
    let (status, rotated) = app.post(HOOK, Some(&token), &json!({})).await;
    assert_eq!(status, 201, "{rotated}");
    assert_eq!(rotated["installed"], json!(true), "{rotated}");
    let new_url = rotated["url"].as_str().expect("url").to_string();
    let after = fd_rules(&app);
    assert_eq!(after.len(), 2, "{after:?}");
    assert!(after.iter().all(|r| r.2 == new_url), "{after:?}");
    assert!(
        after.iter().all(|r| !rules.iter().any(|o| o.1 == r.1)),
        "the old rules are gone: {rules:?} → {after:?}"
    );

    // Unlinking deletes both rules.
    let (status, _) = app
        .post("/api/ticketing/v1/delete-account", Some(&token), &json!({}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(fd_rules(&app), vec![], "the rules are gone");
    app.stop().await;
}

#[tokio::test]
async fn a_freshdesk_agent_without_admin_rights_links_and_gets_the_manual_set_up() {
    let app = fd_start().await;
    let (sub, admin_key) = app.sim_account(0);
    let (agent_key, _) = app.sim.control().issue_agent_key(&sub).expect("agent key");
    // The simulator refuses automation rules to this key, as Freshdesk does.
    let (status, _) = fd_api(
        &app,
        &agent_key,
        reqwest::Method::GET,
        "automations/4/rules",
        None,
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = fd_api(
        &app,
        &admin_key,
        reqwest::Method::GET,
        "automations/4/rules",
        None,
    )
    .await;
    assert_eq!(status, 200);

    let (status, linked) = app
        .post(
            "/api/ticketing/v1/linked-accounts",
            None,
            &app.link_body(0, &agent_key),
        )
        .await;
    assert!(
        status == 200 || status == 201,
        "the link stands: {status} {linked}"
    );
    let token = linked["account_token"].as_str().expect("token").to_string();
    let la: deskbridge_store::LinkedAccountId = linked["linked_account"]["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid");
    assert_eq!(app.wait_synced(la).await, "DONE");
    assert_eq!(fd_rules(&app), vec![], "nothing installed");
    let (status, _) = app.get(HOOK, Some(&token)).await;
    assert_eq!(status, 404, "no hook with an unshown secret is kept");

    // Asking for the hook gives the manual set-up and says why it was not installed.
    let (status, created) = app.post(HOOK, Some(&token), &json!({})).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["installed"], json!(false), "{created}");
    assert!(created["install_error"].is_string(), "{created}");
    let setup = &created["setup"];
    assert_eq!(setup["header_value"], created["secret"], "{created}");
    assert!(
        setup["steps"].as_array().is_some_and(|s| !s.is_empty()),
        "{setup}"
    );

    // The rule pasted by hand (here: by the admin) pushes like an installed one.
    let url = created["url"].as_str().expect("url");
    let secret = created["secret"].as_str().expect("secret");
    let header = setup["header_name"].as_str().expect("header");
    let template = setup["body_template"].as_str().expect("template");
    let rule = json!({"name": "Pasted", "active": true, "performer": {"type": 3},
        "events": [{"field_name": "ticket_action", "value": "update"}], "conditions": [],
        "actions": [{"field_name": "trigger_webhook", "request_type": "POST", "url": url,
            "content_type": "JSON", "content_layout": "2",
            "custom_headers": {header: secret}, "content": template}]});
    let (status, answer) = fd_api(
        &app,
        &admin_key,
        reqwest::Method::POST,
        "automations/4/rules",
        Some(&rule),
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    let t = fd_live(&app)[0];
    let body = json!({"subject": "Pasted rule pushed"});
    let (status, _) = fd_api(
        &app,
        &agent_key,
        reqwest::Method::PUT,
        &format!("tickets/{t}"),
        Some(&body),
    )
    .await;
    assert_eq!(status, 200);
    let id = record_id(la.as_uuid(), ModelKind::Ticket, &t.to_string());
    wait_name(&app, &token, id, "Pasted rule pushed").await;
    app.stop().await;
}

#[tokio::test]
async fn the_link_pages_success_step_says_the_push_was_installed_for_an_admin() {
    let app = fd_start().await;
    let (_, key) = app.sim_account(0);
    let body = json!({
        "end_user_origin_id": "push-installed", "end_user_organization_name": "Push Co",
        "end_user_email_address": "it@push.example", "categories": ["ticketing"],
        "integration": "freshdesk",
    });
    let (status, answer) = app.post("/api/ticketing/v1/link-token", None, &body).await;
    assert_eq!(status, 200, "{answer}");
    let link = answer["link_token"]
        .as_str()
        .expect("link_token")
        .to_string();
    let form =
        json!({"integration": "freshdesk", "domain": app.sim_handle.base_url, "api_key": key});
    let res = app
        .http
        .post(format!("{}/link/{link}", app.base))
        .header("accept", "application/json")
        .json(&form)
        .send()
        .await
        .expect("submit");
    let (status, done) = common::checked("POST", &format!("/link/{link}"), res).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["push_installed"], json!(true), "{done}");
    assert!(done["push_setup"].is_null(), "nothing to paste: {done}");
    assert_eq!(fd_rules(&app).len(), 2);
    app.stop().await;
}
