//! Merge's official Python SDK (`mergepythonclient`, pinned), pointed at Deskbridge with only
//! its base URL changed, lists and pages through every model, retrieves one of each with
//! `expand`, and checks values against the simulator's own data.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

use common::TestApp;
use deskbridge_freshdesk_sim::SimConfig;
use serde_json::{Value, json};

const SDK: &str = "mergepythonclient==4.2.1";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Serialises the set-up: the tests of this file run at once, and two `python3 -m venv` on
/// one folder make one of them fail on a fresh checkout.
static SETUP: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A virtual environment with the SDK, created once under `target/`.
fn python() -> PathBuf {
    if let Ok(p) = std::env::var("DESKBRIDGE_SDK_PYTHON") {
        return p.into();
    }
    let _setup = SETUP.lock().unwrap_or_else(|e| e.into_inner());
    let venv = repo().join("target/merge-sdk-venv");
    let py = venv.join("bin/python");
    let ok = py.exists()
        && Command::new(&py)
            .args(["-c", "import merge"])
            .status()
            .is_ok_and(|s| s.success());
    if !ok {
        let status = Command::new("python3")
            .arg("-m")
            .arg("venv")
            .arg(&venv)
            .status()
            .expect("python3 -m venv");
        assert!(
            status.success(),
            "cannot create a virtual environment (install python3-venv)"
        );
        let status = Command::new(&py)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                SDK,
            ])
            .status()
            .expect("pip");
        assert!(status.success(), "cannot install {SDK} from PyPI");
    }
    py
}

fn live(t: &Value) -> bool {
    t.get("deleted").and_then(Value::as_bool) != Some(true) && t["spam"] != json!(true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merge_python_sdk_reads_every_model() {
    let py = tokio::task::spawn_blocking(python).await.expect("venv");
    let app = TestApp::start(SimConfig {
        seed: 11,
        accounts: 1,
        tickets: 120,
        conversations_per_ticket: 2.0,
        ..SimConfig::default()
    })
    .await;
    let (token, la) = app.link(0).await;
    assert_eq!(app.wait_synced(la).await, "DONE");

    let (sub, _) = app.sim_account(0);
    let snap = app.sim.control().snapshot(&sub).expect("snapshot");
    let tickets: Vec<&Value> = snap.tickets.iter().filter(|t| live(t)).collect();
    let ids = |v: &mut dyn Iterator<Item = &Value>| -> Vec<String> {
        v.map(|x| x["id"].to_string()).collect()
    };
    let mut comments = Vec::new();
    let mut attachments = BTreeSet::new();
    for t in &tickets {
        for a in t["attachments"].as_array().into_iter().flatten() {
            attachments.insert(a["id"].to_string());
        }
        let tid = t["id"].as_i64().expect("id");
        for c in snap.conversations.get(&tid).into_iter().flatten() {
            comments.push(c["id"].to_string());
            for a in c["attachments"].as_array().into_iter().flatten() {
                attachments.insert(a["id"].to_string());
            }
        }
    }
    let tags: BTreeSet<String> = tickets
        .iter()
        .flat_map(|t| t["tags"].as_array().cloned().unwrap_or_default())
        .filter_map(|t| t.as_str().map(String::from))
        .collect();
    let live_contacts: Vec<&Value> = snap
        .contacts
        .iter()
        .filter(|c| c.get("deleted") != Some(&json!(true)))
        .collect();
    let subjects: BTreeMap<String, Value> = tickets
        .iter()
        .map(|t| (t["id"].to_string(), t["subject"].clone()))
        .collect();
    let emails: BTreeMap<String, Value> = live_contacts
        .iter()
        .map(|c| (c["id"].to_string(), c["email"].clone()))
        .collect();
    let expected = json!({
        "tickets": ids(&mut tickets.iter().copied()),
        "comments": comments,
        "users": ids(&mut snap.agents.iter()),
        "contacts": ids(&mut live_contacts.iter().copied()),
        "accounts": ids(&mut snap.companies.iter()),
        "teams": ids(&mut snap.groups.iter()),
        "tags": tags,
        "roles": ids(&mut snap.roles.iter()),
        "attachments": attachments,
        "collections": [],
        "projects": [],
        "ticket_subjects": subjects,
        "contact_emails": emails,
    });
    let dir = std::env::temp_dir().join(format!("deskbridge-sdk-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("tmp");
    let exp = dir.join("expected.json");
    std::fs::write(&exp, serde_json::to_vec(&expected).expect("json")).expect("write");

    let script = repo().join("tests/sdk/check_merge_sdk.py");
    let base = format!("{}/api", app.base);
    let key = app.api_key.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(py)
            .arg(script)
            .env("DESKBRIDGE_BASE", base)
            .env("DESKBRIDGE_API_KEY", key)
            .env("DESKBRIDGE_ACCOUNT_TOKEN", token)
            .env("DESKBRIDGE_EXPECTED", &exp)
            .output()
            .expect("run the SDK check")
    })
    .await
    .expect("join");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "the SDK check failed:\n{stdout}\n{stderr}"
    );
    let _ = std::fs::remove_dir_all(dir);
    app.stop().await;
}

/// Runs the SDK check script with `expected` against an account; panics with its output.
async fn run_sdk_check(py: PathBuf, app: &TestApp, token: String, slug: &str, expected: &Value) {
    let dir = std::env::temp_dir().join(format!("deskbridge-sdk-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("tmp");
    let exp = dir.join("expected.json");
    std::fs::write(&exp, serde_json::to_vec(expected).expect("json")).expect("write");
    let script = repo().join("tests/sdk/check_merge_sdk.py");
    let base = format!("{}/api", app.base);
    let key = app.api_key.clone();
    let slug = slug.to_string();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(py)
            .arg(script)
            .env("DESKBRIDGE_INTEGRATION", slug)
            .env("DESKBRIDGE_BASE", base)
            .env("DESKBRIDGE_API_KEY", key)
            .env("DESKBRIDGE_ACCOUNT_TOKEN", token)
            .env("DESKBRIDGE_EXPECTED", &exp)
            .output()
            .expect("run the SDK check")
    })
    .await
    .expect("join");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "the SDK check failed:\n{stdout}\n{stderr}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// The same SDK check against a Zendesk-linked account, expectations from the Zendesk
/// simulator's own data (`/_sim/accounts/{sub}/data`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merge_python_sdk_reads_every_model_of_a_zendesk_account() {
    let py = tokio::task::spawn_blocking(python).await.expect("venv");
    let zd = common::zendesk::Zd::start(deskbridge_zendesk_sim::SimConfig {
        seed: 11,
        tickets: 120,
        ..Default::default()
    })
    .await;
    let fd = SimConfig {
        tickets: 5,
        ..SimConfig::default()
    };
    let app = TestApp::start_with(fd, zd.options(std::time::Duration::from_secs(60))).await;
    let (token, la) = app.link_zendesk(&zd, 0).await;
    assert_eq!(app.wait_synced(la).await, "DONE");
    let data = zd.data(0).await;
    let id = |v: &Value| v["id"].to_string();
    let tickets: Vec<&Value> = data["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .filter(|t| t["status"] != "deleted")
        .collect();
    let mut comments = Vec::new();
    let mut attachments = BTreeSet::new();
    for t in &tickets {
        for c in data["comments"][id(t)].as_array().into_iter().flatten() {
            comments.push(id(c));
            for a in c["attachments"].as_array().into_iter().flatten() {
                attachments.insert(id(a));
            }
        }
    }
    let tags: BTreeSet<String> = tickets
        .iter()
        .flat_map(|t| t["tags"].as_array().cloned().unwrap_or_default())
        .filter_map(|t| t.as_str().map(String::from))
        .collect();
    let users: Vec<&Value> = data["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter(|u| u["active"] == json!(true))
        .collect();
    let (staff, end_users): (Vec<&Value>, Vec<&Value>) =
        users.iter().partition(|u| u["role"] != "end-user");
    let groups = data["groups"].as_array().expect("groups");
    let expected = json!({
        "tickets": tickets.iter().map(|t| id(t)).collect::<Vec<_>>(),
        "comments": comments,
        "users": staff.iter().map(|u| id(u)).collect::<Vec<_>>(),
        "contacts": end_users.iter().map(|u| id(u)).collect::<Vec<_>>(),
        "accounts": data["organizations"].as_array().expect("orgs").iter().map(id).collect::<Vec<_>>(),
        "teams": groups.iter().filter(|g| g["deleted"] != json!(true)).map(id).collect::<Vec<_>>(),
        "tags": tags,
        "roles": ["admin", "agent"],
        "attachments": attachments,
        "collections": [],
        "projects": [],
        "ticket_subjects": tickets.iter().map(|t| (id(t), t["subject"].clone())).collect::<BTreeMap<_, _>>(),
        "contact_emails": end_users.iter().map(|u| (id(u), u["email"].clone())).collect::<BTreeMap<_, _>>(),
    });
    run_sdk_check(py, &app, token, "zendesk", &expected).await;
    app.stop().await;
}
