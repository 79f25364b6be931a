//! The small streams (metadata, roles, groups, memberships, tags, the deleted-tickets sweep),
//! cursor list paging, and the id listings of the periodic reconciliation. The exports
//! (tickets, users, organizations) are in [`crate::export`].
//!
//! Cursor lists (`page[size]`, `meta.has_more`, `meta.after_cursor`) resume from the stored
//! `after_cursor`, never from `links.next`: links name the account's canonical host, which
//! may differ from the one called (reference §3.1).

use std::collections::{BTreeSet, HashMap};

use deskbridge_model::ModelKind;
use deskbridge_provider::{FetchBatch, ProviderError, RecordRef};
use serde_json::{Value, json};

use crate::fields::{id_string, remote_id_of};
use crate::mapping::{builtin_roles, map_role, map_tag, map_team};
use crate::provider::{ZendeskProvider, stream};

/// One page of a cursor list.
pub(crate) struct Page {
    pub(crate) items: Vec<Value>,
    pub(crate) body: Value,
    /// The cursor of the next page, when there is one.
    pub(crate) next: Option<String>,
}

/// GETs one page of a cursor list: `{path}?{query}&page[size]=N[&page[after]=…]`.
pub(crate) async fn list_page(
    p: &ZendeskProvider,
    path: &str,
    query: &str,
    root: &str,
    after: Option<&str>,
) -> Result<Page, ProviderError> {
    let size = p.list_page_size.to_string();
    let mut pairs = vec![("page[size]", size.as_str())];
    if let Some(a) = after {
        pairs.push(("page[after]", a));
    }
    let sep = if query.is_empty() { "" } else { "&" };
    let rel = format!("{path}?{query}{sep}{}", encode_query(&pairs));
    let (body, _) = p.http.get_json(&rel).await?;
    let items = array(&body, root)?;
    let meta = body.get("meta");
    let has_more = meta
        .and_then(|m| m.get("has_more"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let next = meta
        .and_then(|m| m.get("after_cursor"))
        .and_then(Value::as_str)
        .filter(|c| has_more && !c.is_empty() && Some(*c) != after)
        .map(str::to_string);
    Ok(Page { items, body, next })
}

/// A query string from pairs (encoded).
pub(crate) fn encode_query(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// Every item of a cursor list (small sets: fields, memberships, reconciliation).
pub(crate) async fn walk_list(
    p: &ZendeskProvider,
    path: &str,
    query: &str,
    root: &str,
) -> Result<Vec<Value>, ProviderError> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..100_000 {
        let page = list_page(p, path, query, root, after.as_deref()).await?;
        out.extend(page.items);
        match page.next {
            Some(n) => after = Some(n),
            None => return Ok(out),
        }
    }
    Err(ProviderError::Protocol(format!(
        "the {root} list did not end"
    )))
}

/// The array under `root`.
pub(crate) fn array(body: &Value, root: &str) -> Result<Vec<Value>, ProviderError> {
    body.get(root)
        .and_then(Value::as_array)
        .cloned()
        .ok_or_else(|| ProviderError::Protocol(format!("the answer has no `{root}` list")))
}

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

/// `GET /ticket_fields` (cursor, by id), kept sorted by `position` for the schemas.
pub(crate) async fn ticket_fields(p: &ZendeskProvider) -> Result<Vec<Value>, ProviderError> {
    let mut fields = walk_list(p, "ticket_fields.json", "", "ticket_fields").await?;
    fields.sort_by_key(|f| {
        (
            f.get("position").and_then(Value::as_i64).unwrap_or(0),
            f.get("id").and_then(Value::as_i64).unwrap_or(0),
        )
    });
    p.learn().ticket_fields = Some(fields.clone());
    Ok(fields)
}

/// `GET /custom_statuses` (one answer, no paging). An account without the feature (403 or
/// 404) has no custom statuses: tickets then map by their `status`.
pub(crate) async fn custom_statuses(p: &ZendeskProvider) -> Result<Vec<Value>, ProviderError> {
    let list = match p.http.get_json("custom_statuses.json").await {
        Ok((body, _)) => array(&body, "custom_statuses")?,
        Err(ProviderError::Forbidden(_) | ProviderError::NotFound) => Vec::new(),
        Err(e) => return Err(e),
    };
    p.learn().custom_statuses = Some(list.clone());
    Ok(list)
}

/// Custom status id → category, loading the statuses when this run has not yet.
pub(crate) async fn status_categories(
    p: &ZendeskProvider,
) -> Result<HashMap<String, String>, ProviderError> {
    let known = p.learnt().custom_statuses.clone();
    let list = match known {
        Some(l) => l,
        None => custom_statuses(p).await?,
    };
    Ok(list
        .iter()
        .filter_map(|s| {
            Some((
                remote_id_of(s)?,
                s.get("status_category")?.as_str()?.to_string(),
            ))
        })
        .collect())
}

/// Roles: `GET /custom_roles` (offset-shaped, pages followed by number) on plans that have
/// them, plus the built-in `agent` and `admin`. A 403 or 404 means the plan has no custom
/// roles (reference §9.8): that is not an authentication failure.
async fn roles(
    p: &ZendeskProvider,
) -> Result<Vec<deskbridge_provider::NormalizedRecord>, ProviderError> {
    let mut records = builtin_roles();
    let mut custom = Vec::new();
    let mut page = 1u32;
    let available = loop {
        match p
            .http
            .get_json(&format!("custom_roles.json?page={page}"))
            .await
        {
            Ok((body, _)) => {
                custom.extend(array(&body, "custom_roles")?);
                let more = body.get("next_page").is_some_and(|n| !n.is_null());
                if !more || page >= 100 {
                    break true;
                }
                page += 1;
            }
            Err(ProviderError::Forbidden(_) | ProviderError::NotFound) => break false,
            Err(e) => return Err(e),
        }
    };
    p.learn().custom_roles = Some(available);
    for r in &custom {
        records.push(map_role(r)?);
    }
    Ok(records)
}

/// Whether the account has custom roles, asking once when this run has not yet.
pub(crate) async fn custom_roles_available(p: &ZendeskProvider) -> Result<bool, ProviderError> {
    if let Some(known) = p.learnt().custom_roles {
        return Ok(known);
    }
    roles(p).await?;
    Ok(p.learnt().custom_roles.unwrap_or(false))
}

/// `GET /group_memberships` → user id → group ids (sorted).
pub(crate) async fn memberships(
    p: &ZendeskProvider,
) -> Result<HashMap<String, Vec<String>>, ProviderError> {
    let items = walk_list(p, "group_memberships.json", "", "group_memberships").await?;
    let mut map: HashMap<String, BTreeSet<String>> = HashMap::new();
    for m in &items {
        if let (Some(u), Some(g)) = (
            m.get("user_id").and_then(id_string),
            m.get("group_id").and_then(id_string),
        ) {
            map.entry(u).or_default().insert(g);
        }
    }
    let map: HashMap<String, Vec<String>> = map
        .into_iter()
        .map(|(u, g)| (u, g.into_iter().collect()))
        .collect();
    p.learn().memberships = Some(map.clone());
    Ok(map)
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
    let deleted = page
        .items
        .iter()
        .filter_map(remote_id_of)
        .map(|remote_id| RecordRef {
            kind: ModelKind::Ticket,
            remote_id,
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
