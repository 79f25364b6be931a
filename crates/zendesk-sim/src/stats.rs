//! `GET /_sim/accounts/{sub}/stats`: how much an account holds, by kind, without rendering it.
//!
//! `…/data` renders every record and is meant for field-by-field comparisons on small
//! accounts; benchmarks need only the sizes (to work out the fewest requests a full read of
//! the account takes at Zendesk's page sizes) of accounts with 100,000 tickets, where the
//! rendered data would be hundreds of megabytes.

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::{Value, json};

use crate::errors::json_response;
use crate::sim::{Simulator, read};
use crate::store::AccountData;

/// `GET /_sim/accounts/{sub}/stats`.
pub async fn handler(State(sim): State<Simulator>, Path(sub): Path<String>) -> Response {
    match sim.by_subdomain(&sub) {
        Some(a) => json_response(200, &stats(&read(&a.data))),
        None => json_response(404, &json!({"error": format!("unknown account {sub}")})),
    }
}

/// The sizes of an account's data.
///
/// `comments_per_live_ticket` is a histogram (`{"comments": tickets}`) over the tickets that
/// are neither soft-deleted nor scrubbed (archived ones included): per-ticket comment lists
/// answer only for those, 100 comments a page.
pub fn stats(d: &AccountData) -> Value {
    let mut histogram: BTreeMap<usize, u64> = BTreeMap::new();
    let (mut deleted, mut scrubbed, mut archived, mut comments) = (0u64, 0u64, 0u64, 0u64);
    let mut tags: BTreeSet<&str> = BTreeSet::new();
    for t in d.tickets.values() {
        comments += t.comments.len() as u64;
        if t.scrubbed {
            scrubbed += 1;
        } else if t.deleted.is_some() {
            deleted += 1;
        } else {
            *histogram.entry(t.comments.len()).or_default() += 1;
            tags.extend(t.tags.iter().map(String::as_str));
        }
        if t.archived {
            archived += 1;
        }
    }
    let role = |r: &str| d.users.values().filter(|u| u.role == r).count();
    json!({
        "tickets": d.tickets.len(),
        "tickets_deleted": deleted,
        "tickets_scrubbed": scrubbed,
        "tickets_archived": archived,
        "comments": comments,
        "comments_per_live_ticket": histogram
            .into_iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect::<serde_json::Map<String, Value>>(),
        "live_ticket_tags": tags.len(),
        "users": d.users.len(),
        "end_users": role("end-user"),
        "agents": role("agent"),
        "admins": role("admin"),
        "organizations": d.organizations.len(),
        "groups": d.groups.len(),
        "group_memberships": d.memberships.len(),
        "custom_statuses": d.custom_statuses.len(),
        "ticket_fields": d.ticket_fields.len(),
        "custom_roles": d.custom_roles.len(),
    })
}
