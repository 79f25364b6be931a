//! Every recorded sample in `testdata/freshdesk` is matched by simulator output:
//! same keys in the same order and the same JSON type per key (recursively), with at least
//! one generated item per sample item. Maps whose keys are account data (`custom_fields`,
//! `choices`) are compared by type only.

use std::path::PathBuf;

use deskbridge_freshdesk_sim::{Plan, SimConfig};
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{Env, start};

/// Samples this test does not check, with the reason.
const NOT_COVERED: &[(&str, &str)] = &[];

const DYNAMIC_MAPS: &[&str] = &["custom_fields", "choices"];

fn samples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/freshdesk")
}

fn sample(name: &str) -> Value {
    let text =
        std::fs::read_to_string(samples_dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// `Ok` when `got` has the sample's shape.
pub fn same_shape(sample: &Value, got: &Value, path: &str) -> Result<(), String> {
    if kind(sample) != kind(got) {
        return Err(format!("{path}: sample {} vs {}", kind(sample), kind(got)));
    }
    match (sample, got) {
        (Value::Object(s), Value::Object(g)) => {
            let sk: Vec<&String> = s.keys().collect();
            let gk: Vec<&String> = g.keys().collect();
            if sk != gk {
                return Err(format!(
                    "{path}: keys differ\n sample {sk:?}\n got    {gk:?}"
                ));
            }
            for (k, sv) in s {
                if DYNAMIC_MAPS.contains(&k.as_str()) {
                    if kind(sv) != kind(&g[k]) {
                        return Err(format!("{path}.{k}: type"));
                    }
                    continue;
                }
                same_shape(sv, &g[k], &format!("{path}.{k}"))?;
            }
            Ok(())
        }
        (Value::Array(s), Value::Array(g)) => match (s.first(), g.first()) {
            (Some(sf), Some(gf)) => same_shape(sf, gf, &format!("{path}[0]")),
            (Some(_), None) => Err(format!("{path}: sample array non-empty, got empty")),
            _ => Ok(()),
        },
        _ => Ok(()),
    }
}

fn assert_matched(name: &str, sample_item: &Value, candidates: &[Value]) {
    let mut closest = String::new();
    for c in candidates {
        match same_shape(sample_item, c, "$") {
            Ok(()) => return,
            Err(e) if closest.is_empty() || e.len() < closest.len() => closest = e,
            Err(_) => {}
        }
    }
    panic!(
        "{name}: no generated item matches among {} candidates; e.g. {closest}",
        candidates.len()
    );
}

async fn views(env: &Env, acct: usize, query: &str) -> Vec<Value> {
    let key = env.key(acct);
    let mut out = Vec::new();
    for id in 1..=60 {
        let r = env.get(&format!("/api/v2/tickets/{id}{query}"), &key).await;
        if r.status == 200 {
            out.push(r.json());
        }
    }
    out
}

async fn all_accounts(env: &Env, path: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for i in 0..3 {
        out.extend(env.get_all(path, &env.key(i)).await);
    }
    out
}

#[tokio::test]
async fn every_sample_matches_simulator_output() {
    let env = start(SimConfig {
        seed: 11,
        accounts: 3,
        tickets: 120,
        ..SimConfig::default()
    })
    .await;
    let mut covered: Vec<&str> = Vec::new();
    let mut check_list = |name: &'static str, candidates: &[Value]| {
        let s = sample(name);
        let items = match &s {
            Value::Array(a) => a.clone(),
            other => vec![other.clone()],
        };
        for it in &items {
            assert_matched(name, it, candidates);
        }
        covered.push(name);
    };

    let tickets = all_accounts(&env, "/api/v2/tickets?include=description,requester,stats&updated_since=2000-01-01T00:00:00Z&per_page=100").await;
    check_list("tickets_list_page.json", &tickets);
    let mut plain_views = Vec::new();
    for a in 0..3 {
        plain_views.extend(views(&env, a, "").await);
    }
    check_list("ticket_view.json", &plain_views);
    check_list("ticket_view_2025.json", &plain_views);
    check_list("ticket_view_association_parent.json", &plain_views);
    let mut stats_views = Vec::new();
    for a in 0..3 {
        stats_views.extend(views(&env, a, "?include=stats").await);
    }
    check_list("ticket_view_include_stats.json", &stats_views);

    let mut convs = Vec::new();
    for a in 0..3 {
        for id in 1..=120 {
            let r = env
                .get(
                    &format!("/api/v2/tickets/{id}/conversations?per_page=100"),
                    &env.key(a),
                )
                .await;
            if r.status == 200 {
                convs.extend(r.json().as_array().unwrap().iter().cloned());
            }
        }
    }
    check_list("conversations_list.json", &convs);
    check_list("conversation_feedback_list_item.json", &convs);

    let note = env
        .send(
            Method::POST,
            "/api/v2/tickets/5/notes",
            Some(&env.key(1)),
            Some(json!({"body": "<div>Hi Jimmy, Still working on this.</div>", "private": false, "notify_emails": ["david@beaconstrategists.com"]})),
        )
        .await;
    assert_eq!(note.status, 201, "{}", note.text);
    check_list("note_create_response.json", &[note.json()]);

    check_list(
        "contact_list_item.json",
        &all_accounts(&env, "/api/v2/contacts?per_page=100").await,
    );
    check_list(
        "agent_list_item.json",
        &all_accounts(&env, "/api/v2/agents").await,
    );
    check_list(
        "group_list_item.json",
        &all_accounts(&env, "/api/v2/groups").await,
    );
    check_list(
        "companies_list_page.json",
        &all_accounts(&env, "/api/v2/companies").await,
    );
    check_list(
        "time_entry_list_item.json",
        &all_accounts(&env, "/api/v2/time_entries?per_page=100").await,
    );
    let fields = env.get("/api/v2/ticket_fields", &env.key(0)).await.json();
    check_list(
        "ticket_field_status_list_item.json",
        fields.as_array().unwrap(),
    );

    // Errors: compared byte for byte (after normalising whitespace of the pretty-printed files).
    let bad = env.get("/api/v2/tickets", "wrongkey").await;
    assert_eq!(bad.status, 401);
    assert_eq!(
        bad.json().to_string(),
        sample("error_401_invalid_credentials.json").to_string()
    );
    covered.push("error_401_invalid_credentials.json");

    // 403 access_denied: a customer's (contact's) key on the sample's own request.
    let contact_id = env.get("/api/v2/contacts", &env.key(0)).await.json()[0]["id"]
        .as_i64()
        .unwrap();
    let customer_key = env
        .sim
        .control()
        .issue_contact_key("sim1", contact_id)
        .unwrap();
    let denied = env
        .get(
            "/api/v2/tickets?updated_since=2000-01-01T00:00:00Z&include=requester,company,stats",
            &customer_key,
        )
        .await;
    assert_eq!(denied.status, 403);
    assert_eq!(
        denied.json().to_string(),
        sample("error_403_access_denied.json").to_string()
    );
    covered.push("error_403_access_denied.json");

    // 400 on ticket create: the recorded request's invalid fields, on the account whose
    // features match the recording (no parent-child, no shared ownership).
    let invalid = json!({
        "email": "jjin@molex.com", "subject": "x", "description": "y",
        "status": 1, "priority": 9, "internal_group_id": 1, "internal_agent_id": 1, "source": 4,
        "parent_id": 1, "attachments": null, "cc_emails": null, "tags": null, "custom_fields": null,
        "unique_external_id": null, "responder_id": null
    });
    let r = env
        .send(
            Method::POST,
            "/api/v2/tickets",
            Some(&env.key(2)),
            Some(invalid),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json().to_string(),
        sample("error_400_validation_ticket_create.json").to_string()
    );
    covered.push("error_400_validation_ticket_create.json");

    // 429: the per-minute body differs from the hourly source literal only in the period.
    env.sim
        .control()
        .set_plan("sim1", Some(Plan::Free))
        .unwrap();
    let limited = env.get("/api/v2/tickets", &env.key(0)).await;
    assert_eq!(limited.status, 429);
    let hourly = sample("error_429_hourly.FROM_SERVER_SOURCE_NOT_RECORDED.json").to_string();
    assert_eq!(
        limited.json().to_string(),
        hourly.replace("per hour", "per minute")
    );
    covered.push("error_429_hourly.FROM_SERVER_SOURCE_NOT_RECORDED.json");

    let search = env
        .get(
            "/api/v2/search/tickets?query=%22priority:3%22&page=11",
            &env.key(1),
        )
        .await;
    assert_eq!(search.status, 400);
    assert_eq!(
        search.json().to_string(),
        sample("error_400_search_page_limit.json").to_string()
    );
    covered.push("error_400_search_page_limit.json");

    // 400 on company create with the required custom dropdown missing. The quoted sample's
    // choices ("Value A,…") may have been edited by its reporter: same shape, field and code.
    let r = env
        .send(
            Method::POST,
            "/api/v2/companies",
            Some(&env.key(1)),
            Some(json!({"name": "Beacon Strategists"})),
        )
        .await;
    assert_eq!(r.status, 400);
    let s = sample("error_400_company_custom_field.json");
    let got = r.json();
    same_shape(&s, &got, "$").unwrap();
    assert_eq!(got["errors"][0]["field"], s["errors"][0]["field"]);
    assert_eq!(got["errors"][0]["code"], s["errors"][0]["code"]);
    assert!(
        got["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("It should be one of these values: '")
    );
    covered.push("error_400_company_custom_field.json");

    // Every sample file is either covered above or listed with a reason.
    let mut names: Vec<String> = std::fs::read_dir(samples_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    for n in &names {
        let listed = NOT_COVERED.iter().any(|(x, _)| x == n);
        assert!(
            covered.contains(&n.as_str()) || listed,
            "sample {n} is neither covered nor listed"
        );
        assert!(
            !(covered.contains(&n.as_str()) && listed),
            "sample {n} both covered and listed"
        );
    }
    for (n, why) in NOT_COVERED {
        println!("not covered: {n}: {why}");
    }
}

#[test]
fn shape_check_rejects_differences() {
    let s = json!({"a": null, "b": {"c": 1}, "d": ["x"]});
    assert!(same_shape(&s, &json!({"a": null, "b": {"c": 2}, "d": ["y"]}), "$").is_ok());
    assert!(
        same_shape(&s, &json!({"a": 1, "b": {"c": 2}, "d": ["y"]}), "$").is_err(),
        "null vs int"
    );
    assert!(
        same_shape(&s, &json!({"b": {"c": 2}, "a": null, "d": ["y"]}), "$").is_err(),
        "order"
    );
    assert!(
        same_shape(&s, &json!({"a": null, "b": {"c": "2"}, "d": ["y"]}), "$").is_err(),
        "nested type"
    );
    assert!(
        same_shape(&s, &json!({"a": null, "b": {"c": 2}, "d": []}), "$").is_err(),
        "empty array"
    );
    assert!(
        same_shape(
            &s,
            &json!({"a": null, "b": {"c": 2}, "d": ["y"], "e": 1}),
            "$"
        )
        .is_err(),
        "extra key"
    );
}
