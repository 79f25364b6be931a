//! End to end against the simulator (`deskbridge-freshdesk-sim`): a full sync of every
//! stream yields exactly the simulator's tickets, each once.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use deskbridge_freshdesk::{FreshdeskConfig, FreshdeskProvider, RateBudget, http_client};
use deskbridge_freshdesk_sim::{FaultConfig, Plan, SimConfig, Simulator, scaled_minute};
use deskbridge_model::ModelKind;
use deskbridge_provider::{FetchBatch, ProviderError, StreamMode, TicketingProvider};
use secrecy::SecretString;
use serde_json::Value;
use uuid::Uuid;

struct Synced {
    batches: BTreeMap<&'static str, Vec<FetchBatch>>,
}

impl Synced {
    fn records(&self, kind: ModelKind) -> Vec<&deskbridge_provider::NormalizedRecord> {
        self.batches
            .values()
            .flatten()
            .flat_map(|b| b.records.iter())
            .filter(|r| r.kind == kind)
            .collect()
    }
    fn deleted(&self, stream: &str) -> Vec<String> {
        self.batches[stream]
            .iter()
            .flat_map(|b| b.deleted.iter())
            .map(|r| r.remote_id.clone())
            .collect()
    }
}

/// One sync of every stream; incremental and deletion streams resume from `stored`, and
/// their final checkpoints are stored back (as the engine does).
async fn sync(p: &FreshdeskProvider, stored: &mut BTreeMap<&'static str, Value>) -> Synced {
    let mut batches = BTreeMap::new();
    for s in p.streams() {
        let keep = s.mode != StreamMode::Full;
        let mut cp: Option<Value> = if keep {
            stored.get(s.name).cloned()
        } else {
            None
        };
        let mut out = Vec::new();
        for _ in 0..10_000 {
            let b = p
                .fetch(s.name, cp.as_ref())
                .await
                .unwrap_or_else(|e| panic!("{}: {e:?}", s.name));
            cp = b.checkpoint.clone();
            let done = b.done;
            out.push(b);
            if done {
                break;
            }
        }
        assert!(out.last().is_some_and(|b| b.done), "{} finished", s.name);
        if keep && let Some(c) = cp {
            stored.insert(s.name, c);
        }
        batches.insert(s.name, out);
    }
    Synced { batches }
}

fn provider_for(base_url: &str, sub: &str, key: &str, budget: RateBudget) -> FreshdeskProvider {
    let url = url::Url::parse(base_url).expect("url");
    let host = format!(
        "{}://{}:{}",
        url.scheme(),
        url.host_str().expect("host"),
        url.port().expect("port")
    );
    let mut c = FreshdeskConfig::new(
        Uuid::from_u128(42),
        format!("{base_url}/d/{sub}"),
        SecretString::from(key.to_string()),
    );
    c.allowed_hosts = vec![host];
    c.http = http_client();
    c.budget = Arc::new(budget);
    c.retry_base_delay = Duration::from_millis(20);
    c.request_timeout = Duration::from_secs(10);
    c.max_retries = 8;
    FreshdeskProvider::new(c).expect("provider")
}

fn id_of(v: &Value) -> String {
    v["id"].as_i64().expect("id").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_sync_of_a_1000_ticket_account() {
    let sim = Simulator::new(SimConfig {
        seed: 11,
        accounts: 1,
        tickets: 1000,
        ..SimConfig::default()
    });
    let handle = sim
        .spawn("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("spawn");
    let acct = sim.accounts()[0].clone();
    let p = provider_for(
        &handle.base_url,
        &acct.subdomain,
        &acct.api_key,
        RateBudget::new(),
    );
    p.check_credentials().await.expect("credentials");

    let mut stored = BTreeMap::new();
    let synced = sync(&p, &mut stored).await;
    let snap = sim.control().snapshot(&acct.subdomain).expect("snapshot");
    let flag = |t: &Value, k: &str| t.get(k).and_then(Value::as_bool).unwrap_or(false);
    let live: BTreeSet<String> = snap
        .tickets
        .iter()
        .filter(|t| !flag(t, "deleted") && !flag(t, "spam"))
        .map(id_of)
        .collect();
    let deleted: BTreeSet<String> = snap
        .tickets
        .iter()
        .filter(|t| flag(t, "deleted"))
        .map(id_of)
        .collect();
    let spam: BTreeSet<String> = snap
        .tickets
        .iter()
        .filter(|t| flag(t, "spam") && !flag(t, "deleted"))
        .map(id_of)
        .collect();
    eprintln!(
        "sim: {} tickets ({} live, {} deleted, {} spam)",
        snap.tickets.len(),
        live.len(),
        deleted.len(),
        spam.len()
    );

    let tickets = synced.records(ModelKind::Ticket);
    let ids: Vec<String> = tickets.iter().map(|r| r.remote_id.clone()).collect();
    let unique: BTreeSet<String> = ids.iter().cloned().collect();
    assert_eq!(ids.len(), unique.len(), "each ticket once");
    assert_eq!(unique, live, "exactly the simulator's live tickets");
    let d: BTreeSet<String> = synced.deleted("tickets_deleted").into_iter().collect();
    assert_eq!(d, deleted);
    let s: BTreeSet<String> = synced.deleted("tickets_spam").into_iter().collect();
    assert!(spam.is_subset(&s), "spam {spam:?} reported {s:?}");

    // Mapped fields agree with the simulator's view of every ticket.
    let views: BTreeMap<String, &Value> = snap.tickets.iter().map(|t| (id_of(t), t)).collect();
    for t in &tickets {
        let v = views[&t.remote_id];
        assert_eq!(t.fields["name"], v["subject"]);
        let att = v
            .get("attachments")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        assert_eq!(
            t.fields["attachments"].as_array().expect("ids").len(),
            att,
            "ticket {}",
            t.remote_id
        );
        if v.get("association_type").and_then(Value::as_i64) == Some(2) {
            assert!(
                t.fields["parent_ticket"].is_string(),
                "child {} has its parent",
                t.remote_id
            );
        }
    }
    let agents: BTreeSet<String> = snap.agents.iter().map(id_of).collect();
    let users: BTreeSet<String> = synced
        .records(ModelKind::User)
        .iter()
        .map(|r| r.remote_id.clone())
        .collect();
    assert_eq!(users, agents);
    let users_with_teams = synced
        .records(ModelKind::User)
        .iter()
        .filter(|u| !u.fields["teams"].as_array().expect("teams").is_empty())
        .count();
    eprintln!("users with teams: {users_with_teams}/{}", users.len());
    assert_eq!(synced.records(ModelKind::Team).len(), snap.groups.len());
    assert_eq!(synced.records(ModelKind::Role).len(), snap.roles.len());
    assert_eq!(
        synced.records(ModelKind::Account).len(),
        snap.companies.len()
    );
    let contacts: BTreeSet<String> = synced
        .records(ModelKind::Contact)
        .iter()
        .map(|r| r.remote_id.clone())
        .collect();
    assert_eq!(
        contacts,
        snap.contacts.iter().map(id_of).collect::<BTreeSet<_>>()
    );
    let tags: BTreeSet<String> = synced
        .records(ModelKind::Tag)
        .iter()
        .map(|r| r.remote_id.clone())
        .collect();
    let sim_tags: BTreeSet<String> = snap
        .tickets
        .iter()
        .filter(|t| !flag(t, "deleted") && !flag(t, "spam"))
        .flat_map(|t| t["tags"].as_array().cloned().unwrap_or_default())
        .filter_map(|t| t.as_str().map(str::to_string))
        .collect();
    assert_eq!(tags, sim_tags);

    // Children of some tickets: every conversation, and every attachment.
    for id in live.iter().take(40) {
        let children = p.fetch_ticket_children(id).await.expect("children");
        let n: i64 = id.parse().expect("id");
        let convs = snap.conversations.get(&n).cloned().unwrap_or_default();
        assert_eq!(
            children
                .iter()
                .filter(|r| r.kind == ModelKind::Comment)
                .count(),
            convs.len(),
            "ticket {id}"
        );
        let conv_atts: usize = convs
            .iter()
            .map(|c| c["attachments"].as_array().map_or(0, Vec::len))
            .sum();
        let ticket_atts = views[id]["attachments"].as_array().map_or(0, Vec::len);
        assert_eq!(
            children
                .iter()
                .filter(|r| r.kind == ModelKind::Attachment)
                .count(),
            conv_atts + ticket_atts
        );
    }

    let counters = sim.control().counters(&acct.subdomain).expect("counters");
    let stats = p.budget().stats();
    eprintln!("sim counters {counters:?}; budget {stats:?}");
    assert_eq!(stats.calls, counters.requests);
    assert_eq!(stats.credits, counters.credits);

    let ids = p.list_all_ids(ModelKind::Ticket).await.expect("ids");
    assert_eq!(ids.into_iter().collect::<BTreeSet<_>>(), live);
    let contact_ids = p
        .list_all_ids(ModelKind::Contact)
        .await
        .expect("contact ids");
    let not_deleted: BTreeSet<String> = snap
        .contacts
        .iter()
        .filter(|c| !flag(c, "deleted"))
        .map(id_of)
        .collect();
    assert_eq!(
        contact_ids.into_iter().collect::<BTreeSet<_>>(),
        not_deleted
    );
    for u in synced.records(ModelKind::User) {
        let view = snap
            .agents
            .iter()
            .find(|a| id_of(a) == u.remote_id)
            .expect("agent");
        let n = |k: &str| view.get(k).and_then(Value::as_array).map_or(0, Vec::len);
        assert_eq!(
            u.fields["teams"].as_array().expect("teams").len(),
            n("group_ids")
        );
        assert_eq!(
            u.fields["roles"].as_array().expect("roles").len(),
            n("role_ids")
        );
    }

    // A second incremental run finds no ticket; after an edit and a deletion, the third run
    // finds exactly those.
    let again = sync(&p, &mut stored).await;
    assert!(
        again.records(ModelKind::Ticket).is_empty(),
        "{}",
        again.records(ModelKind::Ticket).len()
    );
    assert!(again.deleted("tickets_deleted").is_empty());
    let mut it = live.iter();
    let (edited, removed) = (it.next().expect("a").clone(), it.next().expect("b").clone());
    sim.control()
        .update_ticket(
            &acct.subdomain,
            edited.parse().expect("id"),
            serde_json::json!({"subject": "Edited by the test"}),
        )
        .expect("update");
    sim.control()
        .delete_ticket(&acct.subdomain, removed.parse().expect("id"))
        .expect("delete");
    let third = sync(&p, &mut stored).await;
    let t: Vec<_> = third.records(ModelKind::Ticket);
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].remote_id, edited);
    assert_eq!(t[0].fields["name"], "Edited by the test");
    assert_eq!(third.deleted("tickets_deleted"), vec![removed]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_under_faults_and_a_rate_limited_plan() {
    let scale = 30.0; // a "minute" lasts 2 s
    let sim = Simulator::new(SimConfig {
        seed: 5,
        accounts: 1,
        tickets: 250,
        plan: Some(Plan::Growth),
        time_scale: scale,
        faults: FaultConfig {
            error_rate: 0.05,
            malformed_rate: 0.03,
            drop_rate: 0.02,
            ..FaultConfig::default()
        },
        ..SimConfig::default()
    });
    let handle = sim
        .spawn("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("spawn");
    let acct = sim.accounts()[0].clone();
    let p = provider_for(
        &handle.base_url,
        &acct.subdomain,
        &acct.api_key,
        RateBudget::with_window(scaled_minute(scale)),
    );
    let synced = sync(&p, &mut BTreeMap::new()).await;
    let snap = sim.control().snapshot(&acct.subdomain).expect("snapshot");
    let flag = |t: &Value, k: &str| t.get(k).and_then(Value::as_bool).unwrap_or(false);
    let live: BTreeSet<String> = snap
        .tickets
        .iter()
        .filter(|t| !flag(t, "deleted") && !flag(t, "spam"))
        .map(id_of)
        .collect();
    let ids: Vec<String> = synced
        .records(ModelKind::Ticket)
        .iter()
        .map(|r| r.remote_id.clone())
        .collect();
    assert_eq!(ids.len(), live.len(), "each once");
    assert_eq!(ids.into_iter().collect::<BTreeSet<_>>(), live);
    let stats = p.budget().stats();
    let counters = sim.control().counters(&acct.subdomain).expect("counters");
    eprintln!("faulted run: budget {stats:?}; sim {counters:?}");
    assert!(stats.retries > 0, "faults were retried");
    assert_eq!(stats.calls, counters.requests);
    assert_eq!(stats.credits, counters.credits);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credential_failures_against_the_simulator() {
    let sim = Simulator::new(SimConfig {
        seed: 3,
        accounts: 2,
        tickets: 5,
        ..SimConfig::default()
    });
    let handle = sim
        .spawn("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("spawn");
    let accts = sim.accounts();
    let (a, b) = (&accts[0], &accts[1]);
    let check = |sub: &str, key: &str| provider_for(&handle.base_url, sub, key, RateBudget::new());

    check(&a.subdomain, &a.api_key)
        .check_credentials()
        .await
        .expect("ok");
    let e = check(&a.subdomain, "wrong-key")
        .check_credentials()
        .await
        .expect_err("401");
    assert!(matches!(e, ProviderError::Unauthorized), "{e:?}");
    let e = check(&a.subdomain, &b.api_key)
        .check_credentials()
        .await
        .expect_err("other account's key");
    assert!(matches!(e, ProviderError::Unauthorized), "{e:?}");
    let e = check("nosuchaccount", &a.api_key)
        .check_credentials()
        .await
        .expect_err("404");
    assert!(matches!(e, ProviderError::UnknownAccount), "{e:?}");

    sim.control()
        .set_suspended(&a.subdomain, true)
        .expect("suspend");
    let e = check(&a.subdomain, &a.api_key)
        .check_credentials()
        .await
        .expect_err("suspended");
    assert!(matches!(e, ProviderError::Suspended), "{e:?}");
    sim.control()
        .set_suspended(&a.subdomain, false)
        .expect("unsuspend");

    sim.control()
        .set_plan(&b.subdomain, Some(Plan::Free))
        .expect("plan");
    let e = check(&b.subdomain, &b.api_key)
        .check_credentials()
        .await
        .expect_err("free");
    assert!(matches!(e, ProviderError::NoApiAccess), "{e:?}");

    let contact_id = sim.control().snapshot(&a.subdomain).expect("snap").contacts[0]["id"]
        .as_i64()
        .expect("id");
    let customer_key = sim
        .control()
        .issue_contact_key(&a.subdomain, contact_id)
        .expect("key");
    let e = check(&a.subdomain, &customer_key)
        .check_credentials()
        .await
        .expect_err("customer");
    assert!(matches!(e, ProviderError::Forbidden(_)), "{e:?}");
}
