//! Walks against the simulator: resuming from a checkpoint mid-stream (in a new adapter, as
//! after a restart), edits made during a walk, deletions, archived and scrubbed tickets.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use common::{Env, sid, start, sync};
use deskbridge_model::ModelKind;
use deskbridge_provider::{FetchBatch, TicketingProvider};
use deskbridge_zendesk::{ZendeskProvider, stream};
use reqwest::Method;
use serde_json::{Value, json};

fn small_pages(env: &Env) -> ZendeskProvider {
    let mut c = env.config(0);
    c.export_page_size = 7;
    c.list_page_size = 5;
    c.deleted_sweep_interval = Duration::ZERO;
    // The simulator is unthrottled here: let the incremental lane run freely.
    c.incremental_limit = 10_000;
    ZendeskProvider::new(c).expect("provider")
}

async fn batch(p: &ZendeskProvider, name: &str, cp: Option<&Value>) -> FetchBatch {
    p.fetch(name, cp)
        .await
        .unwrap_or_else(|e| panic!("{name}: {e:?}"))
}

/// Walks `name` to its end from `cp`, switching to a fresh adapter (checkpoint through JSON
/// text) every `switch_every` batches. Returns the remote ids of each kind in order.
async fn walk_with_restarts(
    env: &Env,
    name: &str,
    switch_every: usize,
) -> BTreeMap<ModelKind, Vec<String>> {
    let mut p = small_pages(env);
    let mut cp: Option<Value> = None;
    let mut out: BTreeMap<ModelKind, Vec<String>> = BTreeMap::new();
    for i in 1..10_000 {
        let b = batch(&p, name, cp.as_ref()).await;
        for r in &b.records {
            out.entry(r.kind).or_default().push(r.remote_id.clone());
        }
        cp = b
            .checkpoint
            .map(|c| serde_json::from_str(&c.to_string()).expect("json"));
        if b.done {
            return out;
        }
        if i % switch_every == 0 {
            p = small_pages(env);
        }
    }
    panic!("{name} did not end");
}

fn ids_of(data: &Value, key: &str) -> BTreeSet<String> {
    data[key]
        .as_array()
        .expect(key)
        .iter()
        .map(|v| if v.is_object() { sid(v) } else { v.to_string() })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkpoints_resume_exactly_in_a_new_adapter() {
    let env = start(common::config(1, 60)).await;
    let data = env.data(&env.account(0).subdomain).await;
    for (name, kinds, keys) in [
        (stream::TICKETS, vec![ModelKind::Ticket], vec!["tickets"]),
        (
            stream::USERS,
            vec![ModelKind::User, ModelKind::Contact],
            vec!["users"],
        ),
        (stream::GROUPS, vec![ModelKind::Team], vec!["groups"]),
        (
            stream::ORGANIZATIONS,
            vec![ModelKind::Account],
            vec!["organizations"],
        ),
    ] {
        let got = walk_with_restarts(&env, name, 2).await;
        let mut all: Vec<String> = kinds
            .iter()
            .flat_map(|k| got.get(k).cloned().unwrap_or_default())
            .collect();
        let n = all.len();
        all.sort();
        all.dedup();
        if name != stream::ORGANIZATIONS {
            assert_eq!(n, all.len(), "{name}: every record exactly once");
        }
        let expected: BTreeSet<String> = keys.iter().flat_map(|k| ids_of(&data, k)).collect();
        assert_eq!(all.into_iter().collect::<BTreeSet<_>>(), expected, "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_during_a_walk_are_not_missed() {
    let env = start(common::config(1, 50)).await;
    let sub = env.account(0).subdomain;
    let p = small_pages(&env);
    let first = batch(&p, stream::TICKETS, None).await;
    let seen: BTreeSet<String> = first
        .records
        .iter()
        .filter(|r| r.kind == ModelKind::Ticket)
        .map(|r| r.remote_id.clone())
        .collect();
    let data = env.data(&sub).await;
    let deleted = ids_of(&data, "deleted_ticket_ids");
    let live = |id: &String| !deleted.contains(id);
    let editable = |t: &&Value| t["status"] != "closed" && t["status"] != "deleted";
    let tickets = data["tickets"].as_array().expect("tickets");
    let before = tickets
        .iter()
        .filter(editable)
        .find(|t| seen.contains(&sid(t)) && live(&sid(t)))
        .map(sid)
        .expect("a seen ticket");
    let after = tickets
        .iter()
        .filter(editable)
        .find(|t| !seen.contains(&sid(t)) && live(&sid(t)))
        .map(sid)
        .expect("an unseen ticket");
    for id in [&before, &after] {
        let (s, _) = env
            .call(
                Method::PUT,
                &format!("accounts/{sub}/tickets/{id}"),
                json!({"ticket": {"subject": format!("edited {id}")}}),
            )
            .await;
        assert_eq!(s, 200, "edit {id}");
    }
    let mut cp = first.checkpoint;
    let mut last: BTreeMap<String, Value> = BTreeMap::new();
    loop {
        let b = batch(&p, stream::TICKETS, cp.as_ref()).await;
        for r in b.records.iter().filter(|r| r.kind == ModelKind::Ticket) {
            last.insert(r.remote_id.clone(), r.fields["name"].clone());
        }
        cp = b.checkpoint;
        if b.done {
            break;
        }
    }
    assert_eq!(
        last[&before],
        json!(format!("edited {before}")),
        "edited behind the walk"
    );
    assert_eq!(
        last[&after],
        json!(format!("edited {after}")),
        "edited ahead of the walk"
    );
    // A system update moves `generated_timestamp` only: the ticket comes again, unchanged.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (s, _) = env
        .call(
            Method::POST,
            &format!("accounts/{sub}/tickets/{before}/touch"),
            json!({}),
        )
        .await;
    assert!((200..300).contains(&s));
    let b = batch(&p, stream::TICKETS, cp.as_ref()).await;
    assert!(
        b.records.iter().any(|r| r.remote_id == before),
        "not filtered by updated_at"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletions_archives_and_deactivations() {
    let env = start(common::config(1, 40)).await;
    let sub = env.account(0).subdomain;
    let p = small_pages(&env);
    let mut stored = BTreeMap::new();
    let first = sync(&p, &mut stored).await;
    let data = env.data(&sub).await;
    let live: Vec<String> = data["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .filter(|t| t["status"] != "deleted" && t["status"] != "closed")
        .map(sid)
        .collect();
    let (del, arch, scrub) = (&live[0], &live[1], &live[2]);
    let user = data["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["role"] == "end-user" && u["active"] == true)
        .map(sid)
        .expect("an end-user");
    let promoted = data["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter(|u| u["role"] == "end-user" && u["active"] == true)
        .map(sid)
        .find(|u| *u != user)
        .expect("another end-user");
    let group = data["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["deleted"] == false)
        .map(sid)
        .expect("a group");
    let already: BTreeSet<String> = first.deleted(stream::TICKETS_DELETED).into_iter().collect();
    let scrubbed = ids_of(&data, "scrubbed_ticket_ids");
    let expected: BTreeSet<String> = ids_of(&data, "deleted_ticket_ids")
        .difference(&scrubbed)
        .cloned()
        .collect();
    assert_eq!(already, expected, "first sweep: deleted, not yet scrubbed");

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (s, _) = env
        .call(
            Method::PUT,
            &format!("accounts/{sub}/users/{promoted}"),
            json!({"user": {"role": "agent"}}),
        )
        .await;
    assert_eq!(s, 200);
    for (method, path) in [
        (Method::DELETE, format!("accounts/{sub}/tickets/{del}")),
        (Method::DELETE, format!("accounts/{sub}/users/{user}")),
        (Method::DELETE, format!("accounts/{sub}/groups/{group}")),
        (
            Method::POST,
            format!("accounts/{sub}/tickets/{arch}/archive"),
        ),
        (
            Method::POST,
            format!("accounts/{sub}/tickets/{scrub}/scrub"),
        ),
    ] {
        let (s, _) = env.call(method, &path, json!({})).await;
        assert!((200..300).contains(&s), "{path}: {s}");
    }

    let next = sync(&p, &mut stored).await;
    let tickets = next.latest(ModelKind::Ticket);
    assert!(
        tickets[del].remote_was_deleted,
        "deleted ticket flagged by the export"
    );
    assert!(tickets[scrub].remote_was_deleted, "scrubbed ticket flagged");
    assert_eq!(tickets[scrub].fields["name"], "SCRUBBED");
    let archived = &tickets[arch];
    assert!(!archived.remote_was_deleted, "archived tickets are kept");
    assert_eq!(archived.fields["status"], "CLOSED");
    let swept: BTreeSet<String> = next.deleted(stream::TICKETS_DELETED).into_iter().collect();
    assert!(swept.contains(del), "the sweep lists the deleted ticket");
    assert!(!swept.contains(arch));
    assert!(
        !swept.contains(scrub),
        "scrubbed tickets leave the deleted list"
    );
    assert!(next.latest(ModelKind::Contact)[&user].remote_was_deleted);
    assert!(next.latest(ModelKind::Team)[&group].remote_was_deleted);
    // An end-user made agent: now a User, and its Contact is reported deleted.
    assert!(next.latest(ModelKind::User).contains_key(&promoted));
    let gone: Vec<_> = next.batches[stream::USERS]
        .iter()
        .flat_map(|b| b.deleted.iter())
        .filter(|r| r.kind == ModelKind::Contact)
        .map(|r| r.remote_id.clone())
        .collect();
    assert!(gone.contains(&promoted));
    let ids: BTreeSet<String> = p
        .list_all_ids(ModelKind::Ticket)
        .await
        .expect("ids")
        .into_iter()
        .collect();
    assert!(ids.contains(arch) && !ids.contains(del) && !ids.contains(scrub));
    let teams: BTreeSet<String> = p
        .list_all_ids(ModelKind::Team)
        .await
        .expect("teams")
        .into_iter()
        .collect();
    assert!(!teams.contains(&group));
    let contacts = p.list_all_ids(ModelKind::Contact).await.expect("contacts");
    assert!(!contacts.contains(&user));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_memberships_re_emit_the_agents() {
    let env = start(common::config(1, 10)).await;
    let sub = env.account(0).subdomain;
    let p = small_pages(&env);
    let mut stored = BTreeMap::new();
    sync(&p, &mut stored).await;
    let quiet = sync(&p, &mut stored).await;
    assert!(quiet.records(ModelKind::User).is_empty(), "nothing changed");
    // The memberships digest stored with the users checkpoint no longer matches (as after
    // an agent joined a group): the agents are listed again with their teams.
    let digest = stored[stream::USERS]["digest"].clone();
    assert!(digest.is_string());
    stored
        .get_mut(stream::USERS)
        .expect("users checkpoint")
        .as_object_mut()
        .expect("object")
        .insert("digest".into(), json!("stale"));
    let again = sync(&p, &mut stored).await;
    let data = env.data(&sub).await;
    let staff: BTreeSet<String> = data["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter(|u| u["role"] != "end-user")
        .map(sid)
        .collect();
    let users: BTreeSet<String> = again.latest(ModelKind::User).into_keys().collect();
    assert_eq!(users, staff);
    assert_eq!(stored[stream::USERS]["digest"], digest);
    assert_eq!(stored[stream::USERS]["phase"], "export");
}
