//! End to end against the simulator: a sync of every stream compared field by field with
//! the simulator's own data (`/_sim/accounts/{sub}/data`), the children of tickets, custom
//! roles on Enterprise, and the cost of an unchanged incremental sync.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use common::{LA, sid, start, sync};
use deskbridge_model::{ModelKind, record_id};
use deskbridge_provider::TicketingProvider;
use deskbridge_zendesk::stream;
use serde_json::{Value, json};

fn rid(kind: ModelKind, remote: &Value) -> Value {
    match remote {
        Value::Null => Value::Null,
        v => {
            let s = match v {
                Value::Number(n) => n.to_string(),
                Value::String(s) => s.clone(),
                _ => return Value::Null,
            };
            json!(record_id(LA, kind, &s).to_string())
        }
    }
}

fn ids(kind: ModelKind, v: &Value) -> Value {
    match v {
        Value::Null => json!([]),
        Value::Array(a) => Value::Array(a.iter().map(|x| rid(kind, x)).collect()),
        x => json!([rid(kind, x)]),
    }
}

fn status_of(t: &Value, categories: &HashMap<String, String>) -> Value {
    let s = t["status"].as_str().unwrap_or_default();
    let cat = match s {
        "closed" | "deleted" => s.to_string(),
        _ => categories
            .get(&t["custom_status_id"].to_string())
            .cloned()
            .unwrap_or_else(|| s.to_string()),
    };
    match cat.as_str() {
        "new" | "open" => json!("OPEN"),
        "pending" | "hold" => json!("ON_HOLD"),
        "solved" | "closed" => json!("CLOSED"),
        _ => Value::Null,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_stream_matches_the_simulator() {
    let env = start(common::config(1, 120)).await;
    let a = env.account(0);
    let p = env.provider(0);
    p.check_credentials().await.expect("admin credentials");
    let mut stored = BTreeMap::new();
    let synced = sync(&p, &mut stored).await;
    let data = env.data(&a.subdomain).await;

    let users: HashMap<String, &Value> = data["users"]
        .as_array()
        .expect("users")
        .iter()
        .map(|u| (sid(u), u))
        .collect();
    let staff = |v: &Value| {
        users
            .get(&sid(&json!({"id": v})))
            .is_some_and(|u| u["role"] != "end-user")
    };
    let categories: HashMap<String, String> = data["custom_statuses"]
        .as_array()
        .expect("statuses")
        .iter()
        .map(|s| {
            (
                sid(s),
                s["status_category"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let deleted: BTreeSet<String> = data["deleted_ticket_ids"]
        .as_array()
        .expect("deleted")
        .iter()
        .map(|v| v.to_string())
        .collect();
    let archived: BTreeSet<String> = data["archived_ticket_ids"]
        .as_array()
        .expect("archived")
        .iter()
        .map(|v| v.to_string())
        .collect();
    assert!(
        !deleted.is_empty() && !archived.is_empty(),
        "the data has both"
    );

    // Tickets: every ticket once, field by field.
    let tickets = synced.records(ModelKind::Ticket);
    let expected = data["tickets"].as_array().expect("tickets");
    assert_eq!(tickets.len(), expected.len(), "each ticket exactly once");
    let got = synced.latest(ModelKind::Ticket);
    for t in expected {
        let id = sid(t);
        let r = got
            .get(&id)
            .unwrap_or_else(|| panic!("ticket {id} missing"));
        let f = &r.fields;
        assert_eq!(
            r.remote_data.to_values()[0]["data"],
            *t,
            "remote_data is Zendesk's object"
        );
        assert_eq!(r.remote_was_deleted, deleted.contains(&id), "ticket {id}");
        if archived.contains(&id) {
            assert!(!r.remote_was_deleted);
            assert_eq!(f["status"], "CLOSED", "archived ticket {id}");
        }
        assert_eq!(f["name"], t["subject"]);
        assert_eq!(f["description"], t["description"]);
        assert_eq!(f["status"], status_of(t, &categories), "ticket {id}");
        let prio = t["priority"].as_str().map(str::to_ascii_uppercase);
        assert_eq!(f["priority"], json!(prio));
        assert_eq!(f["ticket_type"], t["type"]);
        assert_eq!(f["assignees"], ids(ModelKind::User, &t["assignee_id"]));
        assert_eq!(f["assigned_teams"], ids(ModelKind::Team, &t["group_id"]));
        assert_eq!(f["account"], rid(ModelKind::Account, &t["organization_id"]));
        assert_eq!(f["parent_ticket"], rid(ModelKind::Ticket, &t["problem_id"]));
        let contact = if staff(&t["requester_id"]) {
            Value::Null
        } else {
            rid(ModelKind::Contact, &t["requester_id"])
        };
        assert_eq!(f["contact"], contact, "ticket {id}");
        let creator = if staff(&t["submitter_id"]) {
            rid(ModelKind::User, &t["submitter_id"])
        } else {
            Value::Null
        };
        assert_eq!(f["creator"], creator, "ticket {id}");
        assert_eq!(f["tags"], t["tags"]);
        assert_eq!(f["due_date"], t["due_at"]);
        assert_eq!(f["remote_created_at"], t["created_at"]);
        assert_eq!(f["remote_updated_at"], t["updated_at"]);
        assert_eq!(
            f["ticket_url"],
            json!(format!(
                "{}/agent/tickets/{id}",
                env.handle.site(&a.subdomain)
            ))
        );
    }

    // Users and contacts, with teams from the memberships and built-in roles.
    let mut teams: HashMap<String, BTreeSet<String>> = HashMap::new();
    for m in data["group_memberships"].as_array().expect("memberships") {
        teams
            .entry(m["user_id"].to_string())
            .or_default()
            .insert(m["group_id"].to_string());
    }
    let got_users = synced.latest(ModelKind::User);
    let got_contacts = synced.latest(ModelKind::Contact);
    assert_eq!(got_users.len() + got_contacts.len(), users.len());
    for (id, u) in &users {
        let active = u["active"] != false;
        if u["role"] == "end-user" {
            let r = got_contacts
                .get(id)
                .unwrap_or_else(|| panic!("contact {id}"));
            assert_eq!(r.fields["name"], u["name"]);
            assert_eq!(r.fields["email_address"], u["email"]);
            assert_eq!(r.fields["phone_number"], u["phone"]);
            assert_eq!(r.fields["details"], u["details"]);
            assert_eq!(
                r.fields["account"],
                rid(ModelKind::Account, &u["organization_id"])
            );
            assert_eq!(r.remote_was_deleted, !active);
        } else {
            let r = got_users.get(id).unwrap_or_else(|| panic!("user {id}"));
            assert_eq!(r.fields["name"], u["name"]);
            assert_eq!(r.fields["email_address"], u["email"]);
            assert_eq!(
                r.fields["is_active"],
                json!(active && u["suspended"] != true)
            );
            let t: Vec<Value> = teams
                .get(id)
                .into_iter()
                .flatten()
                .map(|g| json!(record_id(LA, ModelKind::Team, g).to_string()))
                .collect();
            assert_eq!(r.fields["teams"], json!(t), "user {id}");
            let role = u["role"].as_str().expect("role");
            assert_eq!(
                r.fields["roles"],
                json!([rid(ModelKind::Role, &json!(role))])
            );
        }
    }

    // Organizations, groups (deleted ones flagged), roles, tags.
    let accounts = synced.latest(ModelKind::Account);
    for o in data["organizations"].as_array().expect("orgs") {
        let r = accounts.get(&sid(o)).expect("account");
        assert_eq!(r.fields["name"], o["name"]);
        assert_eq!(r.fields["domains"], o["domain_names"]);
    }
    assert_eq!(
        accounts.len(),
        data["organizations"].as_array().map_or(0, Vec::len)
    );
    let team_records = synced.latest(ModelKind::Team);
    for g in data["groups"].as_array().expect("groups") {
        let r = team_records.get(&sid(g)).expect("team");
        assert_eq!(r.fields["name"], g["name"]);
        assert_eq!(r.fields["description"], g["description"]);
        assert_eq!(r.remote_was_deleted, g["deleted"] == true);
    }
    let roles: BTreeSet<String> = synced.latest(ModelKind::Role).into_keys().collect();
    assert_eq!(
        roles,
        BTreeSet::from(["admin".to_string(), "agent".to_string()])
    );
    let tags: BTreeSet<String> = synced.latest(ModelKind::Tag).into_keys().collect();
    let mut expected_tags = BTreeSet::new();
    for t in expected {
        for tag in t["tags"].as_array().into_iter().flatten() {
            expected_tags.insert(tag.as_str().unwrap_or("").to_string());
        }
    }
    assert_eq!(tags, expected_tags);

    // Metadata for the write schemas and labels.
    let meta: BTreeMap<String, Value> = p.metadata().await.expect("metadata").into_iter().collect();
    assert_eq!(
        meta["ticket_fields"].as_array().map(Vec::len),
        data["ticket_fields"].as_array().map(Vec::len)
    );
    assert_eq!(meta["custom_statuses"], data["custom_statuses"]);
    assert!(!p.status_labels().is_empty());

    // Children of some tickets, compared with the simulator's comments.
    let live: Vec<&Value> = expected
        .iter()
        .filter(|t| !deleted.contains(&sid(t)))
        .take(12)
        .collect();
    let mut attachments = 0;
    for t in live {
        let id = sid(t);
        let children = p.fetch_ticket_children(&id).await.expect("children");
        let comments = data["comments"][&id].as_array().expect("comments");
        let got: Vec<_> = children
            .iter()
            .filter(|r| r.kind == ModelKind::Comment)
            .collect();
        assert_eq!(got.len(), comments.len(), "ticket {id}");
        for (r, c) in got.iter().zip(comments) {
            assert_eq!(r.remote_id, sid(c));
            assert_eq!(r.fields["body"], c["plain_body"]);
            assert_eq!(r.fields["html_body"], c["html_body"]);
            assert_eq!(r.fields["is_private"], json!(c["public"] == false));
            assert_eq!(r.fields["ticket"], rid(ModelKind::Ticket, &json!(id)));
            if staff(&c["author_id"]) {
                assert_eq!(r.fields["user"], rid(ModelKind::User, &c["author_id"]));
            } else {
                assert_eq!(
                    r.fields["contact"],
                    rid(ModelKind::Contact, &c["author_id"])
                );
            }
        }
        let n: usize = comments
            .iter()
            .map(|c| c["attachments"].as_array().map_or(0, Vec::len))
            .sum();
        let atts = children
            .iter()
            .filter(|r| r.kind == ModelKind::Attachment)
            .count();
        assert_eq!(atts, n);
        attachments += n;
    }
    let deleted_one = deleted.iter().next().expect("a deleted ticket");
    assert!(matches!(
        p.fetch_ticket_children(deleted_one).await,
        Err(deskbridge_provider::ProviderError::NotFound)
    ));
    let _ = attachments;

    // Reconciliation lists: archived tickets present, deleted ones absent.
    let all = p.list_all_ids(ModelKind::Ticket).await.expect("ids");
    let all: BTreeSet<String> = all.into_iter().collect();
    assert!(archived.iter().all(|i| all.contains(i)));
    assert!(deleted.iter().all(|i| !all.contains(i)));

    // An unchanged incremental sync costs at most one call per stream.
    let again = sync(&p, &mut stored).await;
    for (name, calls) in &again.calls {
        assert!(
            *calls <= 1,
            "{name} cost {calls} calls when nothing changed"
        );
    }
    assert_eq!(
        again.calls[stream::TICKETS_DELETED],
        0,
        "the sweep waits for its interval"
    );
    assert!(
        again.records(ModelKind::Ticket).is_empty(),
        "nothing new in the export"
    );
    assert!(again.records(ModelKind::User).is_empty());
    assert!(again.records(ModelKind::Contact).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_roles_on_enterprise_only() {
    let env = start(common::config(1, 10)).await;
    let a = env.account(0);
    let p = env.provider(0);
    let mut stored = BTreeMap::new();
    let synced = sync(&p, &mut stored).await;
    assert_eq!(
        synced.latest(ModelKind::Role).len(),
        2,
        "built-in roles; 403 is no failure"
    );
    let (s, _) = env
        .call(
            reqwest::Method::PUT,
            &format!("accounts/{}/plan", a.subdomain),
            json!({"plan": "enterprise"}),
        )
        .await;
    assert!((200..300).contains(&s));
    let p = env.provider(0);
    let synced = sync(&p, &mut BTreeMap::new()).await;
    let data = env.data(&a.subdomain).await;
    let roles = synced.latest(ModelKind::Role);
    for r in data["custom_roles"].as_array().expect("roles") {
        let got = roles.get(&sid(r)).expect("custom role");
        assert_eq!(got.fields["name"], r["name"]);
    }
    // Admins now point at their custom role.
    let users = synced.latest(ModelKind::User);
    for u in data["users"].as_array().expect("users") {
        if u["role"] == "admin" && !u["custom_role_id"].is_null() {
            let r = users.get(&sid(u)).expect("admin");
            assert_eq!(
                r.fields["roles"],
                json!([rid(ModelKind::Role, &u["custom_role_id"])])
            );
        }
    }
}
