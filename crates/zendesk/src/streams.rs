//! The small streams (metadata, roles, groups, memberships, tags, the deleted-tickets sweep),
//! cursor list paging, and the id listings of the periodic reconciliation. The exports
//! (tickets, users, organizations) are in [`crate::export`].
//! Cursor list paging and the shared directories are in [`crate::lists`].

use std::collections::BTreeSet;

use deskbridge_model::ModelKind;
use deskbridge_provider::{Deletion, FetchBatch, ProviderError};
use serde_json::{Value, json};

use crate::fields::remote_id_of;
use crate::lists::{custom_statuses, list_page, memberships, roles, ticket_fields, walk_list};
use crate::mapping::{map_tag, map_team};
use crate::provider::{ZendeskProvider, stream};

fn done(records: Vec<deskbridge_provider::NormalizedRecord>) -> FetchBatch {
    FetchBatch {
        records,
        deleted: vec![],
        checkpoint: None,
        done: true,
    }
}

fn after_of(cp: Option<&Value>) -> Option<String> {
    cp.and_then(|c| c.get("after"))
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// Dispatches a stream.
pub(crate) async fn fetch(
    p: &ZendeskProvider,
    name: &str,
    cp: Option<&Value>,
) -> Result<FetchBatch, ProviderError> {
    match name {
        stream::TICKET_FIELDS => {
            ticket_fields(p).await?;
            Ok(done(vec![]))
        }
        stream::CUSTOM_STATUSES => {
            custom_statuses(p).await?;
            Ok(done(vec![]))
        }
        stream::ROLES => Ok(done(roles(p).await?)),
        stream::GROUP_MEMBERSHIPS => {
            memberships(p).await?;
            Ok(done(vec![]))
        }
        stream::GROUPS => {
            let page = list_page(p, "groups.json", "", "groups", after_of(cp).as_deref()).await?;
            let records = page
                .items
                .iter()
                .map(map_team)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(paged(records, page.next))
        }
        stream::TAGS => {
            let page = list_page(p, "tags.json", "", "tags", after_of(cp).as_deref()).await?;
            let records = page
                .items
                .iter()
                .filter_map(|t| t.get("name").and_then(Value::as_str))
                .map(map_tag)
                .collect();
            Ok(paged(records, page.next))
        }
        stream::TICKETS_DELETED => deleted_sweep(p, cp).await,
        stream::TICKETS => crate::export::tickets(p, cp).await,
        stream::USERS => crate::export::users(p, cp).await,
        stream::ORGANIZATIONS => crate::export::organizations(p, cp).await,
        _ => Err(ProviderError::Unsupported("unknown Zendesk stream")),
    }
}

/// A batch of a cursor-list stream: resumes after `next`; done (no checkpoint, so the next
/// run starts over) on the last page.
fn paged(records: Vec<deskbridge_provider::NormalizedRecord>, next: Option<String>) -> FetchBatch {
    FetchBatch {
        records,
        deleted: vec![],
        done: next.is_none(),
        checkpoint: next.map(|n| json!({ "after": n })),
    }
}

/// The backstop sweep of `GET /deleted_tickets`: the ticket export already reports deleted
/// tickets (`status: "deleted"`); this list also catches what an export cursor skipped. It
/// is paced by `deleted_sweep_interval` (a spent interval costs no call), and the deleted
/// list has its own 10/min limit on Zendesk. Checkpoint: `{"last_sweep": epoch, "after":
/// cursor|null, "started": epoch|null}`.
async fn deleted_sweep(
    p: &ZendeskProvider,
    cp: Option<&Value>,
) -> Result<FetchBatch, ProviderError> {
    let now = chrono::Utc::now().timestamp();
    let get = |k: &str| cp.and_then(|c| c.get(k)).and_then(Value::as_i64);
    let last = get("last_sweep");
    let after = after_of(cp);
    let interval = p.deleted_sweep_interval.as_secs() as i64;
    if after.is_none() && last.is_some_and(|l| now - l < interval) {
        return Ok(FetchBatch {
            records: vec![],
            deleted: vec![],
            checkpoint: cp.cloned(),
            done: true,
        });
    }
    let started = if after.is_some() {
        get("started").unwrap_or(now)
    } else {
        now
    };
    let page = list_page(
        p,
        "deleted_tickets.json",
        "",
        "deleted_tickets",
        after.as_deref(),
    )
    .await?;
    // A deleted ticket's last change is its deletion: `deleted_at` becomes its
    // `remote_updated_at` (the export, which reports most deletions, carries `updated_at`).
    let deleted = page
        .items
        .iter()
        .filter_map(|t| {
            Some(Deletion {
                kind: ModelKind::Ticket,
                remote_id: remote_id_of(t)?,
                remote_updated_at: t
                    .get("deleted_at")
                    .and_then(Value::as_str)
                    .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
                    .map(|d| {
                        d.with_timezone(&chrono::Utc)
                            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                    }),
            })
        })
        .collect();
    let (checkpoint, done) = match page.next {
        Some(n) => (
            json!({"last_sweep": last, "after": n, "started": started}),
            false,
        ),
        None => (
            json!({"last_sweep": started, "after": null, "started": null}),
            true,
        ),
    };
    Ok(FetchBatch {
        records: vec![],
        deleted,
        checkpoint: Some(checkpoint),
        done,
    })
}

/// Every remote id of a model that Zendesk has now, for the periodic reconciliation.
/// Tickets come from the cursor export with `exclude_deleted=true` (so archived tickets,
/// which `GET /tickets` hides, count as present); users and contacts from `GET /users` by
/// role (inactive users left out); accounts, teams (deleted groups left out) and roles from
/// their lists. Tags cannot be listed completely (`GET /tags` keeps 60 days).
pub(crate) async fn list_all_ids(
    p: &ZendeskProvider,
    kind: ModelKind,
) -> Result<Vec<String>, ProviderError> {
    let ids = |items: Vec<Value>| -> Vec<String> {
        let set: BTreeSet<String> = items
            .iter()
            .filter(|i| i.get("active").and_then(Value::as_bool) != Some(false))
            .filter(|i| i.get("deleted").and_then(Value::as_bool) != Some(true))
            .filter_map(remote_id_of)
            .collect();
        set.into_iter().collect()
    };
    match kind {
        ModelKind::Ticket => crate::export::all_ticket_ids(p).await,
        ModelKind::User => Ok(ids(walk_list(
            p,
            "users.json",
            "role%5B%5D=agent&role%5B%5D=admin",
            "users",
        )
        .await?)),
        ModelKind::Contact => Ok(ids(
            walk_list(p, "users.json", "role=end-user", "users").await?
        )),
        ModelKind::Account => Ok(ids(
            walk_list(p, "organizations.json", "", "organizations").await?
        )),
        ModelKind::Team => Ok(ids(walk_list(
            p,
            "groups.json",
            "exclude_deleted=true",
            "groups",
        )
        .await?)),
        ModelKind::Role => Ok(roles(p).await?.into_iter().map(|r| r.remote_id).collect()),
        _ => Err(ProviderError::Unsupported(
            "this model cannot be listed completely from Zendesk",
        )),
    }
}
