//! The incremental exports (reference §3.3, §8, §9): tickets and users through the
//! **cursor-based** exports only, organizations through the time-based export (it has no
//! cursor mode) with a loop guard.
//!
//! * Cursor exports resume from the stored `after_cursor`; a first run starts at
//!   `start_time=0`. A run that returned no cursor keeps its `start_time`. A page may be
//!   empty while `end_of_stream` is false; a page that returns the cursor it was given and
//!   nothing else ends the walk for now instead of spinning.
//! * Results are never filtered by `updated_at` (the cursor follows `generated_timestamp`,
//!   which system updates move) and are de-duplicated by id within a page.
//! * `start_time` is kept at least 65 s in the past (Zendesk answers 422 "Too recent
//!   start_time" otherwise).
//! * The time-based organizations export repeats the same `start_time` when more than 1000
//!   items share one second; the walk then lists `GET /organizations` once (cursor) and goes
//!   on from the next second.
//!
//! Every export call spends from the incremental lane of the budget (10 per minute).

use std::collections::{BTreeSet, HashMap};

use base64::Engine;
use deskbridge_model::ModelKind;
use deskbridge_provider::{Deletion, FetchBatch, NormalizedRecord, ProviderError, RecordRef};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::budget::Lane;
use crate::fields::remote_id_of;
use crate::lists::{
    array, custom_roles_available, encode_query, list_page, memberships, status_categories,
};
use crate::mapping::{Lookups, is_staff, map_account, map_contact, map_tag, map_ticket, map_user};
use crate::provider::ZendeskProvider;

/// How far in the past a `start_time` must be.
const START_TIME_MARGIN: i64 = 65;

fn safe_start(start: i64) -> i64 {
    start.clamp(0, chrono::Utc::now().timestamp() - START_TIME_MARGIN)
}

/// Keeps the last copy of each id (pages may repeat an item at a boundary).
fn dedupe(items: Vec<Value>) -> Vec<Value> {
    let mut last: HashMap<String, usize> = HashMap::new();
    for (i, it) in items.iter().enumerate() {
        if let Some(id) = remote_id_of(it) {
            last.insert(id, i);
        }
    }
    items
        .into_iter()
        .enumerate()
        .filter(|(i, it)| remote_id_of(it).is_none_or(|id| last.get(&id) == Some(i)))
        .map(|(_, it)| it)
        .collect()
}

/// A cursor export checkpoint: `{"cursor": str|null, "start_time": epoch}` plus the users
/// stream's `digest`, `phase` and `after`.
#[derive(Debug, Clone, Default)]
struct ExportCp {
    cursor: Option<String>,
    start_time: i64,
    digest: Option<String>,
    phase_staff: bool,
    after: Option<String>,
}

impl ExportCp {
    fn from_json(v: Option<&Value>) -> Self {
        let s = |k: &str| {
            v.and_then(|c| c.get(k))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        ExportCp {
            cursor: s("cursor"),
            start_time: v
                .and_then(|c| c.get("start_time"))
                .and_then(Value::as_i64)
                .unwrap_or(0),
            digest: s("digest"),
            phase_staff: s("phase").as_deref() == Some("staff"),
            after: s("after"),
        }
    }

    fn to_json(&self) -> Value {
        json!({
            "cursor": self.cursor,
            "start_time": self.start_time,
            "digest": self.digest,
            "phase": if self.phase_staff { "staff" } else { "export" },
            "after": self.after,
        })
    }
}

/// One page of a cursor export: the items, the body, the next cursor, end of stream.
async fn cursor_page(
    p: &ZendeskProvider,
    resource: &str,
    cp: &ExportCp,
    extra: &str,
) -> Result<(Vec<Value>, Value, Option<String>, bool), ProviderError> {
    let start = safe_start(cp.start_time).to_string();
    let per_page = p.export_page_size.to_string();
    let first = match &cp.cursor {
        Some(c) => ("cursor", c.as_str()),
        None => ("start_time", start.as_str()),
    };
    let q = encode_query(&[first, ("per_page", per_page.as_str())]);
    let rel = format!("incremental/{resource}/cursor.json?{q}{extra}");
    let url = p.http.api_url(&rel)?;
    let (body, _) = p.http.get_url(url, &Lane::Incremental).await?;
    let items = dedupe(array(&body, resource)?);
    let after = body
        .get("after_cursor")
        .and_then(Value::as_str)
        .filter(|c| !c.is_empty())
        .map(str::to_string);
    let eos = body
        .get("end_of_stream")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    // An empty page that hands back the cursor it was given: nothing more for now.
    let stuck = items.is_empty() && (after.is_none() || after == cp.cursor);
    Ok((
        items,
        body,
        after.or_else(|| cp.cursor.clone()),
        eos || stuck,
    ))
}

/// The tickets stream: `incremental/tickets/cursor.json` with `include=users` (the side-load
/// tells agents from end-users for `creator` and `contact`). Tags of the tickets are
/// emitted too.
pub(crate) async fn tickets(
    p: &ZendeskProvider,
    checkpoint: Option<&Value>,
) -> Result<FetchBatch, ProviderError> {
    let mut cp = ExportCp::from_json(checkpoint);
    let mut lookups = Lookups {
        status_categories: status_categories(p).await?,
        ..Lookups::default()
    };
    let (items, body, next, eos) = cursor_page(p, "tickets", &cp, "&include=users").await?;
    lookups.add_users(body.get("users"));
    let mut records = Vec::with_capacity(items.len());
    let mut tags = BTreeSet::new();
    for raw in &items {
        if let Some(t) = raw.get("tags").and_then(Value::as_array) {
            tags.extend(t.iter().filter_map(Value::as_str).map(str::to_string));
        }
        records.push(map_ticket(p.la, &p.http.base, raw, &lookups)?);
    }
    records.extend(tags.iter().map(|t| map_tag(t)));
    cp.cursor = next;
    Ok(FetchBatch {
        records,
        deleted: vec![],
        checkpoint: Some(cp.to_json()),
        done: eos,
    })
}

/// A digest of the group memberships, so that a change of them re-emits the agents (their
/// `teams`) although the users export does not report it.
fn digest(m: &HashMap<String, Vec<String>>) -> String {
    let mut keys: Vec<&String> = m.keys().collect();
    keys.sort();
    let mut h = Sha256::new();
    for k in keys {
        h.update(k.as_bytes());
        h.update(b":");
        for g in &m[k] {
            h.update(g.as_bytes());
            h.update(b",");
        }
        h.update(b";");
    }
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(&h.finalize()[..12])
}

/// The record of the other kind a user may have left behind when its role changed (an
/// end-user made agent, or back): it is reported deleted (a no-op when there is none).
fn other_kind(raw: &Value) -> Option<RecordRef> {
    Some(RecordRef {
        kind: if is_staff(raw) {
            ModelKind::Contact
        } else {
            ModelKind::User
        },
        remote_id: remote_id_of(raw)?,
    })
}

/// Maps a user to a User (agents, admins) or a Contact (end-users).
fn map_person(
    p: &ZendeskProvider,
    raw: &Value,
    teams: &HashMap<String, Vec<String>>,
    custom_roles: bool,
) -> Result<NormalizedRecord, ProviderError> {
    if is_staff(raw) {
        let id = remote_id_of(raw).unwrap_or_default();
        let t = teams.get(&id).map(Vec::as_slice).unwrap_or(&[]);
        map_user(p.la, raw, t, custom_roles)
    } else {
        map_contact(p.la, raw)
    }
}

/// The users stream: `incremental/users/cursor.json`, split into User and Contact;
/// `active: false` (deleted) users are flagged, and the record of the other kind a role
/// change left behind is reported deleted. When the group memberships changed since the
/// last complete walk, the agents are listed again (`GET /users?role[]=agent&role[]=admin`,
/// phase `staff`) so that their `teams` follow.
pub(crate) async fn users(
    p: &ZendeskProvider,
    checkpoint: Option<&Value>,
) -> Result<FetchBatch, ProviderError> {
    let mut cp = ExportCp::from_json(checkpoint);
    let known = p.learnt().memberships.clone();
    let teams = match known {
        Some(m) => m,
        None => memberships(p).await?,
    };
    let custom_roles = custom_roles_available(p).await?;
    let current = digest(&teams);
    if cp.phase_staff {
        let page = list_page(
            p,
            "users.json",
            "role%5B%5D=agent&role%5B%5D=admin",
            "users",
            cp.after.as_deref(),
        )
        .await?;
        let records = page
            .items
            .iter()
            .filter(|u| is_staff(u))
            .map(|u| map_person(p, u, &teams, custom_roles))
            .collect::<Result<Vec<_>, _>>()?;
        let deleted = page
            .items
            .iter()
            .filter(|u| is_staff(u))
            .filter_map(other_kind)
            .map(Deletion::from)
            .collect();
        let done = page.next.is_none();
        cp.after = page.next;
        if done {
            cp.phase_staff = false;
            cp.digest = Some(current);
        }
        return Ok(FetchBatch {
            records,
            deleted,
            checkpoint: Some(cp.to_json()),
            done,
        });
    }
    let (items, _, next, eos) = cursor_page(p, "users", &cp, "").await?;
    let records = items
        .iter()
        .map(|u| map_person(p, u, &teams, custom_roles))
        .collect::<Result<Vec<_>, _>>()?;
    let deleted = items
        .iter()
        .filter_map(other_kind)
        .map(Deletion::from)
        .collect();
    cp.cursor = next;
    let mut done = eos;
    if eos {
        match &cp.digest {
            Some(d) if *d != current => {
                cp.phase_staff = true;
                cp.after = None;
                done = false;
            }
            _ => cp.digest = Some(current),
        }
    }
    Ok(FetchBatch {
        records,
        deleted,
        checkpoint: Some(cp.to_json()),
        done,
    })
}

/// The organizations stream: `incremental/organizations.json?start_time=` (time-based).
/// Checkpoint: `{"start_time": epoch, "phase": "export"|"list", "after": cursor|null,
/// "resume": epoch|null}`.
pub(crate) async fn organizations(
    p: &ZendeskProvider,
    checkpoint: Option<&Value>,
) -> Result<FetchBatch, ProviderError> {
    let get_i = |k: &str| checkpoint.and_then(|c| c.get(k)).and_then(Value::as_i64);
    let get_s = |k: &str| checkpoint.and_then(|c| c.get(k)).and_then(Value::as_str);
    let start = get_i("start_time").unwrap_or(0);
    if get_s("phase") == Some("list") {
        let resume = get_i("resume").unwrap_or(start);
        let page = list_page(p, "organizations.json", "", "organizations", get_s("after")).await?;
        let records = page
            .items
            .iter()
            .map(map_account)
            .collect::<Result<Vec<_>, _>>()?;
        let cp = match page.next {
            Some(n) => json!({"start_time": start, "phase": "list", "after": n, "resume": resume}),
            None => json!({"start_time": resume, "phase": "export", "after": null, "resume": null}),
        };
        return Ok(FetchBatch {
            records,
            deleted: vec![],
            checkpoint: Some(cp),
            done: false,
        });
    }
    let s = safe_start(start);
    let url = p
        .http
        .api_url(&format!("incremental/organizations.json?start_time={s}"))?;
    let (body, _) = p.http.get_url(url, &Lane::Incremental).await?;
    let items = dedupe(array(&body, "organizations")?);
    let records = items
        .iter()
        .map(map_account)
        .collect::<Result<Vec<_>, _>>()?;
    let eos = body
        .get("end_of_stream")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let end_time = body.get("end_time").and_then(Value::as_i64).unwrap_or(s);
    let (cp, done) = if eos {
        (
            json!({"start_time": end_time.max(s), "phase": "export"}),
            true,
        )
    } else if end_time <= s {
        // More than a page of items share second `s`: the export would repeat itself.
        (
            json!({"start_time": s, "phase": "list", "after": null, "resume": s + 1}),
            false,
        )
    } else {
        (json!({"start_time": end_time, "phase": "export"}), false)
    };
    Ok(FetchBatch {
        records,
        deleted: vec![],
        checkpoint: Some(cp),
        done,
    })
}

/// Every ticket id the export lists without deleted tickets (archived ones included).
pub(crate) async fn all_ticket_ids(p: &ZendeskProvider) -> Result<Vec<String>, ProviderError> {
    let mut cp = ExportCp::default();
    let mut ids = BTreeSet::new();
    for _ in 0..1_000_000 {
        let (items, _, next, eos) = cursor_page(p, "tickets", &cp, "&exclude_deleted=true").await?;
        ids.extend(
            items
                .iter()
                .filter(|t| t.get("status").and_then(Value::as_str) != Some("deleted"))
                .filter_map(remote_id_of),
        );
        cp.cursor = next;
        if eos {
            return Ok(ids.into_iter().collect());
        }
    }
    Err(ProviderError::Protocol(
        "the ticket export did not end".into(),
    ))
}
