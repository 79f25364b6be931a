//! Every mapped field of every record of a 2,000-ticket simulated account, checked against
//! the simulator's own data. The expected values come from the tables below (the mapping of
//! `docs/providers/freshdesk.md`), never from the adapter's code.

mod common;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use common::TestApp;
use deskbridge_freshdesk_sim::SimConfig;
use serde_json::{Value, json};

/// How one Merge field is derived from the raw Freshdesk object.
enum Rule {
    /// The raw value at a JSON pointer, as is (null stays null).
    Same(&'static str),
    /// A timestamp at a pointer (compared as instants).
    Time(&'static str),
    /// A lookup table on the raw value at a pointer.
    Table(&'static str, &'static [(i64, &'static str)]),
    /// A relation to the record of `kind` whose remote id is at the pointer (null: null).
    Rel(&'static str, &'static str),
    /// A list of relations from a scalar-or-array at the pointer (null: empty list).
    RelList(&'static str, &'static str),
    /// A fixed value.
    Fixed(Value),
    /// The first non-null of two pointers.
    Either(&'static str, &'static str),
}

const STATUS: &[(i64, &str)] = &[
    (2, "OPEN"),
    (3, "ON_HOLD"),
    (4, "CLOSED"),
    (5, "CLOSED"),
    (6, "IN_PROGRESS"),
    (7, "IN_PROGRESS"),
];
const PRIORITY: &[(i64, &str)] = &[(1, "LOW"), (2, "NORMAL"), (3, "HIGH"), (4, "URGENT")];

fn ticket_rules() -> Vec<(&'static str, Rule)> {
    use Rule::*;
    vec![
        ("name", Same("/subject")),
        ("description", Same("/description")),
        ("ticket_type", Same("/type")),
        ("due_date", Time("/due_by")),
        ("tags", Same("/tags")),
        ("status", Table("/status", STATUS)),
        ("priority", Table("/priority", PRIORITY)),
        ("assignees", RelList("/responder_id", "user")),
        ("assigned_teams", RelList("/group_id", "team")),
        ("contact", Rel("/requester_id", "contact")),
        ("account", Rel("/company_id", "account")),
        ("remote_created_at", Time("/created_at")),
        ("remote_updated_at", Time("/updated_at")),
        ("creator", Fixed(Value::Null)),
        ("collections", Fixed(json!([]))),
        ("access_level", Fixed(Value::Null)),
        ("roles", Fixed(Value::Null)),
    ]
}

fn comment_rules() -> Vec<(&'static str, Rule)> {
    use Rule::*;
    vec![
        ("body", Same("/body_text")),
        ("html_body", Same("/body")),
        ("is_private", Same("/private")),
        ("ticket", Rel("/ticket_id", "ticket")),
        ("remote_created_at", Time("/created_at")),
    ]
}

fn user_rules() -> Vec<(&'static str, Rule)> {
    use Rule::*;
    vec![
        ("name", Same("/contact/name")),
        ("email_address", Same("/contact/email")),
        ("is_active", Same("/contact/active")),
        ("teams", RelList("/group_ids", "team")),
        ("roles", RelList("/role_ids", "role")),
    ]
}

fn contact_rules() -> Vec<(&'static str, Rule)> {
    use Rule::*;
    vec![
        ("name", Same("/name")),
        ("email_address", Same("/email")),
        ("phone_number", Either("/phone", "/mobile")),
        ("details", Same("/description")),
        ("account", Rel("/company_id", "account")),
    ]
}

fn account_rules() -> Vec<(&'static str, Rule)> {
    vec![
        ("name", Rule::Same("/name")),
        ("domains", Rule::Same("/domains")),
    ]
}

fn team_rules() -> Vec<(&'static str, Rule)> {
    vec![
        ("name", Rule::Same("/name")),
        ("description", Rule::Same("/description")),
    ]
}

fn role_rules() -> Vec<(&'static str, Rule)> {
    vec![("name", Rule::Same("/name"))]
}

fn attachment_rules() -> Vec<(&'static str, Rule)> {
    use Rule::*;
    vec![
        ("file_name", Same("/name")),
        ("content_type", Same("/content_type")),
        ("remote_created_at", Time("/created_at")),
        ("uploaded_by", Fixed(Value::Null)),
    ]
}

/// Deskbridge ids to (model, remote id), from every listed record including shells.
type Index = HashMap<String, (String, String)>;

fn instant(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

fn rel_of(index: &Index, v: &Value) -> Option<(String, String)> {
    v.as_str().and_then(|id| index.get(id).cloned())
}

fn scalar_id(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn check(
    model: &str,
    rules: &[(&str, Rule)],
    raw: &Value,
    ours: &Value,
    index: &Index,
) -> Vec<String> {
    let mut errs = Vec::new();
    let rid = &ours["remote_id"];
    for (field, rule) in rules {
        let got = &ours[*field];
        let ok = match rule {
            Rule::Same(p) => got == raw.pointer(p).unwrap_or(&Value::Null),
            Rule::Time(p) => instant(got) == raw.pointer(p).and_then(instant),
            Rule::Table(p, table) => {
                let want = raw
                    .pointer(p)
                    .and_then(Value::as_i64)
                    .and_then(|c| table.iter().find(|(k, _)| *k == c))
                    .map(|(_, v)| json!(v));
                want.as_ref() == Some(got)
            }
            Rule::Rel(p, kind) => match raw.pointer(p).and_then(scalar_id) {
                None => got.is_null(),
                Some(want) => rel_of(index, got) == Some((kind.to_string(), want)),
            },
            Rule::RelList(p, kind) => {
                let want: Vec<(String, String)> = match raw.pointer(p) {
                    Some(Value::Array(a)) => a
                        .iter()
                        .filter_map(scalar_id)
                        .map(|r| (kind.to_string(), r))
                        .collect(),
                    Some(v) => scalar_id(v)
                        .map(|r| vec![(kind.to_string(), r)])
                        .unwrap_or_default(),
                    None => Vec::new(),
                };
                let have: Vec<(String, String)> = got
                    .as_array()
                    .map(|a| a.iter().filter_map(|v| rel_of(index, v)).collect())
                    .unwrap_or_default();
                let mut w = want.clone();
                let mut h = have.clone();
                w.sort();
                h.sort();
                w == h && got.as_array().is_some_and(|a| a.len() == have.len())
            }
            Rule::Fixed(v) => got == v,
            Rule::Either(a, b) => {
                let first = raw
                    .pointer(a)
                    .filter(|v| !v.is_null())
                    .or_else(|| raw.pointer(b))
                    .unwrap_or(&Value::Null);
                got == first
            }
        };
        if !ok {
            errs.push(format!("{model} {rid} {field}: got {got}"));
        }
    }
    errs
}

fn live(t: &Value) -> bool {
    t.get("deleted").and_then(Value::as_bool) != Some(true) && t["spam"] != json!(true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_field_of_every_record_matches_the_simulator() {
    let app = TestApp::start(SimConfig {
        seed: 5,
        accounts: 1,
        tickets: 2000,
        conversations_per_ticket: 2.0,
        ..SimConfig::default()
    })
    .await;
    let (token, la) = app.link(0).await;
    assert_eq!(app.wait_synced(la).await, "DONE");
    let (sub, key) = app.sim_account(0);
    let snap = app.sim.control().snapshot(&sub).expect("snapshot");

    // Stats come with the list (include=stats); read them straight from the simulator.
    let mut stats: HashMap<String, Value> = HashMap::new();
    for page in 1..=30 {
        let url = format!(
            "{}/api/v2/tickets?updated_since=1970-01-01T00:00:00Z&per_page=100&page={page}&include=stats",
            app.sim_handle.base_url
        );
        let items: Vec<Value> = app
            .http
            .get(url)
            .basic_auth(&key, Some("X"))
            .send()
            .await
            .expect("sim")
            .json()
            .await
            .expect("json");
        for t in &items {
            stats.insert(t["id"].to_string(), t["stats"].clone());
        }
        if items.len() < 100 {
            break;
        }
    }

    let all = |path: &str| {
        format!(
            "/api/ticketing/v1/{path}?page_size=100&include_shell_data=true&include_deleted_data=true"
        )
    };
    let mut lists: HashMap<&str, Vec<Value>> = HashMap::new();
    for (model, path) in [
        ("ticket", "tickets"),
        ("comment", "comments"),
        ("user", "users"),
        ("contact", "contacts"),
        ("account", "accounts"),
        ("team", "teams"),
        ("role", "roles"),
        ("attachment", "attachments"),
        ("tag", "tags"),
    ] {
        lists.insert(model, app.list_all(&all(path), &token).await);
    }
    let mut index: Index = HashMap::new();
    for (model, rows) in &lists {
        for r in rows {
            index.insert(
                r["id"].as_str().expect("id").to_string(),
                (
                    model.to_string(),
                    r["remote_id"].as_str().expect("rid").to_string(),
                ),
            );
        }
    }
    let by_rid = |model: &str| -> HashMap<String, Value> {
        lists[model]
            .iter()
            .filter(|r| {
                r["name"] != Value::Null
                    || model == "comment"
                    || model == "attachment"
                    || !r["remote_was_deleted"].is_boolean()
            })
            .map(|r| (r["remote_id"].as_str().expect("rid").to_string(), r.clone()))
            .collect()
    };

    let mut errors = Vec::new();
    let mut checked = 0usize;
    let mut custom_status = 0usize;

    // Tickets: every live ticket, plus completed_at, parent, attachments and URL.
    let tickets = by_rid("ticket");
    let live_tickets: Vec<&Value> = snap.tickets.iter().filter(|t| live(t)).collect();
    assert!(live_tickets.len() >= 1900, "a 2,000-ticket account");
    for raw in &live_tickets {
        let rid = raw["id"].to_string();
        let Some(ours) = tickets.get(&rid) else {
            errors.push(format!("ticket {rid} missing"));
            continue;
        };
        errors.extend(check("ticket", &ticket_rules(), raw, ours, &index));
        if raw["status"].as_i64().is_some_and(|s| s >= 6) {
            custom_status += 1;
        }
        // completed_at: Resolved → stats.resolved_at, Closed → stats.closed_at (each falling back to the other).
        let st = stats.get(&rid).cloned().unwrap_or(Value::Null);
        let want = match raw["status"].as_i64() {
            Some(4) => st["resolved_at"]
                .clone()
                .as_str()
                .map(String::from)
                .or(st["closed_at"].as_str().map(String::from)),
            Some(5) => st["closed_at"]
                .clone()
                .as_str()
                .map(String::from)
                .or(st["resolved_at"].as_str().map(String::from)),
            _ => None,
        };
        if instant(&ours["completed_at"])
            != want.as_deref().map(|s| json!(s)).as_ref().and_then(instant)
        {
            errors.push(format!(
                "ticket {rid} completed_at: got {}",
                ours["completed_at"]
            ));
        }
        // parent: a child (association_type 2) points at the first associated ticket.
        let want_parent = (raw["association_type"] == json!(2))
            .then(|| raw["associated_tickets_list"][0].to_string());
        let got_parent = rel_of(&index, &ours["parent_ticket"]).map(|(_, r)| r);
        if want_parent != got_parent {
            errors.push(format!(
                "ticket {rid} parent_ticket: got {}",
                ours["parent_ticket"]
            ));
        }
        let mut want_att: Vec<String> = raw["attachments"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| a["id"].to_string())
            .collect();
        let mut got_att: Vec<String> = ours["attachments"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| rel_of(&index, v))
            .map(|(_, r)| r)
            .collect();
        want_att.sort();
        got_att.sort();
        if want_att != got_att {
            errors.push(format!(
                "ticket {rid} attachments: {got_att:?} != {want_att:?}"
            ));
        }
        if !ours["ticket_url"]
            .as_str()
            .is_some_and(|u| u.ends_with(&format!("/a/tickets/{rid}")))
        {
            errors.push(format!("ticket {rid} ticket_url {}", ours["ticket_url"]));
        }
        checked += 1;
    }
    assert_eq!(
        tickets
            .values()
            .filter(|t| t["remote_was_deleted"] == json!(false) && t["name"] != Value::Null)
            .count(),
        live_tickets.len(),
        "no extra tickets"
    );
    assert!(custom_status > 0, "the data must include custom statuses");

    // Comments: author is a user when the simulator's user_id is an agent, else a contact.
    let agents: std::collections::HashSet<String> =
        snap.agents.iter().map(|a| a["id"].to_string()).collect();
    let comments = by_rid("comment");
    let mut html_bodies = 0;
    for raw_t in &live_tickets {
        let tid = raw_t["id"].as_i64().expect("id");
        for raw in snap.conversations.get(&tid).into_iter().flatten() {
            let rid = raw["id"].to_string();
            let Some(ours) = comments.get(&rid) else {
                errors.push(format!("comment {rid} missing"));
                continue;
            };
            errors.extend(check("comment", &comment_rules(), raw, ours, &index));
            let author = raw["user_id"].to_string();
            let (want_user, want_contact) = if agents.contains(&author) {
                (Some(author), None)
            } else {
                (None, Some(author))
            };
            if rel_of(&index, &ours["user"]).map(|(_, r)| r) != want_user
                || rel_of(&index, &ours["contact"]).map(|(_, r)| r) != want_contact
            {
                errors.push(format!(
                    "comment {rid} author: user {} contact {}",
                    ours["user"], ours["contact"]
                ));
            }
            if raw["body"].as_str().is_some_and(|b| b.contains('<')) {
                html_bodies += 1;
            }
            checked += 1;
        }
    }
    assert!(html_bodies > 0);

    for (model, rules, raws) in [
        ("user", user_rules(), snap.agents.iter().collect::<Vec<_>>()),
        (
            "contact",
            contact_rules(),
            snap.contacts
                .iter()
                .filter(|c| c.get("deleted").is_none())
                .collect(),
        ),
        ("account", account_rules(), snap.companies.iter().collect()),
        ("team", team_rules(), snap.groups.iter().collect()),
        ("role", role_rules(), snap.roles.iter().collect()),
    ] {
        let ours = by_rid(model);
        for raw in raws {
            let rid = raw["id"].to_string();
            match ours.get(&rid) {
                Some(o) => errors.extend(check(model, &rules, raw, o, &index)),
                None => errors.push(format!("{model} {rid} missing")),
            }
            checked += 1;
        }
    }

    // Attachments of tickets and of their conversations.
    let atts = by_rid("attachment");
    for raw_t in &live_tickets {
        let tid = raw_t["id"].as_i64().expect("id");
        let convs = snap.conversations.get(&tid).cloned().unwrap_or_default();
        let all_atts = raw_t["attachments"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .chain(
                convs
                    .iter()
                    .flat_map(|c| c["attachments"].as_array().cloned().unwrap_or_default()),
            );
        for raw in all_atts {
            let rid = raw["id"].to_string();
            let Some(ours) = atts.get(&rid) else {
                errors.push(format!("attachment {rid} missing"));
                continue;
            };
            errors.extend(check("attachment", &attachment_rules(), &raw, ours, &index));
            if rel_of(&index, &ours["ticket"]).map(|(_, r)| r) != Some(tid.to_string()) {
                errors.push(format!("attachment {rid} ticket {}", ours["ticket"]));
            }
            if !ours["file_url"]
                .as_str()
                .is_some_and(|u| u.starts_with("http"))
            {
                errors.push(format!("attachment {rid} file_url {}", ours["file_url"]));
            }
            checked += 1;
        }
    }

    // Tags: the distinct tags of live tickets.
    let mut want_tags: Vec<String> = live_tickets
        .iter()
        .flat_map(|t| t["tags"].as_array().cloned().unwrap_or_default())
        .filter_map(|t| t.as_str().map(String::from))
        .collect();
    want_tags.sort();
    want_tags.dedup();
    let mut got_tags: Vec<String> = lists["tag"]
        .iter()
        .map(|t| t["name"].as_str().unwrap_or_default().to_string())
        .collect();
    got_tags.sort();
    assert_eq!(got_tags, want_tags);

    println!(
        "checked {checked} records ({custom_status} tickets with custom statuses, {html_bodies} HTML comment bodies); {} mismatches",
        errors.len()
    );
    assert!(
        errors.is_empty(),
        "{} mismatches, first: {:#?}",
        errors.len(),
        &errors[..errors.len().min(20)]
    );
    app.stop().await;
}
