//! A Zendesk account linked through the plug-in seam (`POST /linked-accounts` with
//! `"integration": "zendesk"`), synced by the engine and served by the API: every model
//! checked field by field against the simulator's own data (the mapping table of
//! `docs/providers/zendesk.md`, never the adapter's code), the refusals of bad credentials
//! (nothing stored), and a write to a closed ticket.

mod common;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use common::TestApp;
use common::zendesk::{Zd, start_zendesk};
use serde_json::{Value, json};

const LINK: &str = "/api/ticketing/v1/linked-accounts";

async fn start(tickets: usize) -> (TestApp, Zd) {
    start_zendesk(deskbridge_zendesk_sim::SimConfig {
        tickets,
        accounts: 2,
        ..Default::default()
    })
    .await
}

fn rid(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn time(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str().and_then(|s| s.parse().ok())
}

/// Deskbridge id → `kind/remote_id` of every record served, and the records by kind.
struct Served {
    names: HashMap<String, String>,
    by_kind: HashMap<&'static str, HashMap<String, Value>>,
}

async fn served(app: &TestApp, token: &str) -> Served {
    let mut names = HashMap::new();
    let mut by_kind = HashMap::new();
    for (path, kind) in [
        ("tickets", "ticket"),
        ("comments", "comment"),
        ("users", "user"),
        ("contacts", "contact"),
        ("accounts", "account"),
        ("teams", "team"),
        ("roles", "role"),
        ("tags", "tag"),
    ] {
        let all = app
            .list_all(
                &format!("/api/ticketing/v1/{path}?page_size=100&include_remote_data=true"),
                token,
            )
            .await;
        let mut m = HashMap::new();
        for r in all {
            let remote = rid(&r["remote_id"]);
            names.insert(rid(&r["id"]), format!("{kind}/{remote}"));
            m.insert(remote, r);
        }
        by_kind.insert(kind, m);
    }
    Served { names, by_kind }
}

impl Served {
    fn rel(&self, v: &Value) -> Value {
        match v {
            Value::Null => Value::Null,
            Value::Array(a) => Value::Array(a.iter().map(|x| self.rel(x)).collect()),
            other => json!(self.names.get(&rid(other)).cloned().unwrap_or(rid(other))),
        }
    }
}

fn status_of(category: &str) -> Value {
    match category {
        "new" | "open" => json!("OPEN"),
        "pending" | "hold" => json!("ON_HOLD"),
        "solved" | "closed" => json!("CLOSED"),
        _ => Value::Null,
    }
}

fn rel(kind: &str, id: &Value) -> Value {
    if id.is_null() {
        Value::Null
    } else {
        json!(format!("{kind}/{}", rid(id)))
    }
}

fn rel_list(kind: &str, id: &Value) -> Value {
    if id.is_null() {
        json!([])
    } else {
        json!([rel(kind, id)])
    }
}

#[tokio::test]
async fn every_model_is_served_field_by_field_as_the_simulator_holds_it() {
    let (app, zd) = start(300).await;
    let (token, la) = app.link_zendesk(&zd, 0).await;
    assert_eq!(app.wait_synced(la).await, "DONE");
    let data = zd.data(0).await;
    let s = served(&app, &token).await;

    let users: HashMap<String, &Value> = data["users"]
        .as_array()
        .expect("users")
        .iter()
        .map(|u| (rid(&u["id"]), u))
        .collect();
    let staff = |id: &Value| users.get(&rid(id)).is_some_and(|u| u["role"] != "end-user");
    let categories: HashMap<String, String> = data["custom_statuses"]
        .as_array()
        .expect("statuses")
        .iter()
        .map(|c| {
            (
                rid(&c["id"]),
                c["status_category"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();

    // Tickets: every live one (archived included), every mapped field.
    let live: Vec<&Value> = data["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .filter(|t| t["status"] != "deleted")
        .collect();
    assert_eq!(s.by_kind["ticket"].len(), live.len(), "ticket count");
    let mut checked = 0;
    for t in &live {
        let got = &s.by_kind["ticket"][&rid(&t["id"])];
        let category = categories
            .get(&rid(&t["custom_status_id"]))
            .cloned()
            .unwrap_or_else(|| t["status"].as_str().unwrap_or("").to_string());
        let want = [
            ("name", t["subject"].clone()),
            ("description", t["description"].clone()),
            ("ticket_type", t["type"].clone()),
            ("tags", t["tags"].clone()),
            ("status", status_of(&category)),
            (
                "priority",
                t["priority"]
                    .as_str()
                    .map_or(Value::Null, |p| json!(p.to_uppercase())),
            ),
            ("assignees", rel_list("user", &t["assignee_id"])),
            ("assigned_teams", rel_list("team", &t["group_id"])),
            ("account", rel("account", &t["organization_id"])),
            ("parent_ticket", rel("ticket", &t["problem_id"])),
            (
                "contact",
                if staff(&t["requester_id"]) {
                    Value::Null
                } else {
                    rel("contact", &t["requester_id"])
                },
            ),
            (
                "creator",
                if staff(&t["submitter_id"]) {
                    rel("user", &t["submitter_id"])
                } else {
                    Value::Null
                },
            ),
            ("collections", json!([])),
        ];
        for (field, want) in want {
            let have = match field {
                "assignees" | "assigned_teams" | "account" | "parent_ticket" | "contact"
                | "creator" => s.rel(&got[field]),
                _ => got[field].clone(),
            };
            assert_eq!(have, want, "ticket {} field {field}", t["id"]);
            checked += 1;
        }
        for (field, raw) in [
            ("remote_created_at", "created_at"),
            ("remote_updated_at", "updated_at"),
            ("due_date", "due_at"),
        ] {
            assert_eq!(
                time(&got[field]),
                time(&t[raw]),
                "ticket {} field {field}",
                t["id"]
            );
        }
        assert_eq!(
            got["remote_data"][0]["data"]["id"], t["id"],
            "remote_data holds the raw ticket"
        );
    }

    // Comments of every live ticket.
    let mut n_comments = 0;
    for t in &live {
        for c in data["comments"][rid(&t["id"])]
            .as_array()
            .into_iter()
            .flatten()
        {
            n_comments += 1;
            let got = &s.by_kind["comment"][&rid(&c["id"])];
            let body = if c["plain_body"].is_null() {
                &c["body"]
            } else {
                &c["plain_body"]
            };
            assert_eq!(&got["body"], body, "comment {}", c["id"]);
            assert_eq!(got["html_body"], c["html_body"], "comment {}", c["id"]);
            assert_eq!(
                got["is_private"],
                json!(!c["public"].as_bool().unwrap_or(true))
            );
            assert_eq!(s.rel(&got["ticket"]), rel("ticket", &t["id"]));
            let (u, k) = if staff(&c["author_id"]) {
                (rel("user", &c["author_id"]), Value::Null)
            } else {
                (Value::Null, rel("contact", &c["author_id"]))
            };
            assert_eq!(
                (s.rel(&got["user"]), s.rel(&got["contact"])),
                (u, k),
                "comment author"
            );
            assert_eq!(time(&got["remote_created_at"]), time(&c["created_at"]));
        }
    }
    assert_eq!(s.by_kind["comment"].len(), n_comments, "comment count");

    // Users (agents and admins) and contacts (end-users); inactive ones are deleted.
    let (mut n_users, mut n_contacts) = (0, 0);
    for u in users.values().filter(|u| u["active"] == json!(true)) {
        let kind = if u["role"] == "end-user" {
            "contact"
        } else {
            "user"
        };
        let got = &s.by_kind[kind][&rid(&u["id"])];
        assert_eq!(got["name"], u["name"], "{kind} {}", u["id"]);
        assert_eq!(got["email_address"], u["email"], "{kind} {}", u["id"]);
        if kind == "user" {
            n_users += 1;
            assert_eq!(got["is_active"], json!(u["suspended"] != json!(true)));
        } else {
            n_contacts += 1;
            assert_eq!(got["phone_number"], u["phone"]);
            assert_eq!(got["details"], u["details"]);
            assert_eq!(
                s.rel(&got["account"]),
                rel("account", &u["organization_id"])
            );
        }
    }
    assert_eq!(
        (s.by_kind["user"].len(), s.by_kind["contact"].len()),
        (n_users, n_contacts)
    );

    // Accounts (organizations) and teams (groups).
    for o in data["organizations"].as_array().expect("orgs") {
        let got = &s.by_kind["account"][&rid(&o["id"])];
        assert_eq!(got["name"], o["name"]);
        assert_eq!(got["domains"], o["domain_names"]);
    }
    let groups: Vec<&Value> = data["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .filter(|g| g["deleted"] != json!(true))
        .collect();
    assert_eq!(s.by_kind["team"].len(), groups.len());
    for g in groups {
        let got = &s.by_kind["team"][&rid(&g["id"])];
        assert_eq!(
            (&got["name"], &got["description"]),
            (&g["name"], &g["description"])
        );
    }
    // Every tag of a live ticket is a Tag; roles fall back to the built-in ones off Enterprise.
    for t in &live {
        for tag in t["tags"].as_array().into_iter().flatten() {
            assert!(s.by_kind["tag"].contains_key(&rid(tag)), "tag {tag}");
        }
    }
    assert!(s.by_kind["role"].contains_key("agent") && s.by_kind["role"].contains_key("admin"));
    assert!(checked > 0 && n_comments > 0);

    // Sync status per model; `show_enum_origins` gives Zendesk's own status label.
    let (status, body) = app.get("/api/ticketing/v1/sync-status", Some(&token)).await;
    assert_eq!(status, 200, "{body}");
    for r in body["results"].as_array().expect("results") {
        assert!(r["status"] == "DONE" || r["status"] == "DISABLED", "{r}");
    }
    let (status, body) = app
        .get(
            "/api/ticketing/v1/tickets?page_size=1&show_enum_origins=status,priority",
            Some(&token),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["results"][0]["status"].is_string(), "{body}");
    app.stop().await;
}

#[tokio::test]
async fn bad_zendesk_credentials_get_a_clear_400_and_nothing_is_stored() {
    let (app, zd) = start(5).await;
    let a = zd.account(0);
    let count = |app: &TestApp| {
        let pool = app.db.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM linked_accounts")
                .fetch_one(&pool)
                .await
                .expect("count")
        }
    };
    let cases = [
        (
            "wrong subdomain",
            {
                let mut b = zd.link_body(0);
                b["credentials"]["subdomain"] = json!(format!("{}/d/nosuch", zd.handle.base_url));
                b
            },
            "No Zendesk account exists",
        ),
        (
            "bad token",
            zd.link_body_as(0, &a.admin_email, "not-the-token"),
            "rejected the email and API token",
        ),
        (
            "end-user token",
            zd.link_body_as(0, &a.end_user_email, &a.api_token),
            "end-user",
        ),
        (
            "not allowed",
            {
                let mut b = zd.link_body(0);
                b["credentials"]["subdomain"] = json!("http://10.9.8.7:9000");
                b
            },
            "is not allowed",
        ),
        (
            "not a subdomain",
            {
                let mut b = zd.link_body(0);
                b["credentials"]["subdomain"] = json!("acme corp!");
                b
            },
            "is not allowed",
        ),
        (
            "no token",
            {
                let mut b = zd.link_body(0);
                b["credentials"]
                    .as_object_mut()
                    .expect("credentials")
                    .remove("api_token");
                b
            },
            "api_token",
        ),
        (
            "empty email",
            {
                let mut b = zd.link_body(0);
                b["credentials"]["email"] = json!("");
                b
            },
            "credentials.email",
        ),
    ];
    for (what, body, says) in cases {
        let (status, got) = app.post(LINK, None, &body).await;
        assert_eq!(status, 400, "{what}: {got}");
        let text = got.to_string();
        assert!(text.contains(says), "{what}: {got}");
        assert!(!text.contains(&a.api_token), "{what}: the token is echoed");
        assert_eq!(count(&app).await, 0, "{what}: something was stored");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_write_to_a_closed_ticket_is_a_400_quoting_zendesk() {
    let (app, zd) = start(40).await;
    let (token, la) = app.link_zendesk(&zd, 0).await;
    assert_eq!(app.wait_synced(la).await, "DONE");
    let data = zd.data(0).await;
    let closed = data["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .find(|t| t["status"] == "closed")
        .map(|t| rid(&t["id"]));
    let closed = closed.expect("the simulator has a closed ticket");
    let (_, list) = app
        .get(
            &format!("/api/ticketing/v1/tickets?remote_id={closed}"),
            Some(&token),
        )
        .await;
    let id = rid(&list["results"][0]["id"]);
    let (status, body) = app
        .client()
        .call(
            reqwest::Method::PATCH,
            &format!("/api/ticketing/v1/tickets/{id}"),
            Some(&token),
            Some(&json!({"model": {"name": "renamed"}})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let detail = body["errors"][0]["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("Status closed prevents ticket update"),
        "Zendesk's reason is quoted: {body}"
    );
    assert!(body["errors"][0]["title"].is_string(), "{body}");
    assert!(!body.to_string().contains(&zd.account(0).api_token));
    // A comment on it is refused alike.
    let (status, body) = app
        .post(
            "/api/ticketing/v1/comments",
            Some(&token),
            &json!({"model": {"ticket": id, "body": "one more thing", "is_private": true}}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["errors"][0]["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("Status closed prevents ticket update"),
        "{body}"
    );
    // Nothing changed, in Zendesk or in the store.
    let after = zd.data(0).await;
    let before_t = data["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .find(|t| rid(&t["id"]) == closed)
        .cloned();
    let after_t = after["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .find(|t| rid(&t["id"]) == closed)
        .cloned();
    assert_eq!(before_t, after_t, "the closed ticket changed in Zendesk");
    assert_eq!(
        data["comments"][&closed], after["comments"][&closed],
        "a comment reached Zendesk"
    );
    let (_, stored) = app
        .get(&format!("/api/ticketing/v1/tickets/{id}"), Some(&token))
        .await;
    assert_eq!(stored["name"], list["results"][0]["name"], "{stored}");
    let comments: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM comments WHERE linked_account_id = $1 AND fields->>'ticket' = $2",
    )
    .bind(la)
    .bind(&id)
    .fetch_one(&app.db.pool)
    .await
    .expect("comments");
    let expected = data["comments"][&closed].as_array().map_or(0, Vec::len) as i64;
    assert_eq!(comments, expected, "a comment was stored");
    app.stop().await;
}

#[tokio::test]
async fn a_plan_without_custom_roles_links_and_falls_back_to_the_built_in_roles() {
    let (app, zd) = start(10).await;
    zd.control(0, reqwest::Method::PUT, "/plan", &json!({"plan": "team"}))
        .await;
    let (token, la) = app.link_zendesk(&zd, 0).await;
    assert_eq!(app.wait_synced(la).await, "DONE");
    let roles = app
        .list_all("/api/ticketing/v1/roles?page_size=100", &token)
        .await;
    let mut names: Vec<String> = roles.iter().map(|r| rid(&r["remote_id"])).collect();
    names.sort();
    assert_eq!(names, vec!["admin", "agent"]);
    let role_ids: Vec<Value> = roles.iter().map(|r| r["id"].clone()).collect();
    for u in app
        .list_all("/api/ticketing/v1/users?page_size=100", &token)
        .await
    {
        for r in u["roles"].as_array().into_iter().flatten() {
            assert!(role_ids.contains(r), "user {} has role {r}", u["remote_id"]);
        }
    }
    app.stop().await;
}
