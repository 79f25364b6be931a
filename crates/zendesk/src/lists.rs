//! Cursor list paging and the account directories that both the small streams and the
//! exports need (ticket fields, custom statuses, roles, group memberships), each read at most
//! once per run and remembered in the provider's run state. Kept apart from
//! [`crate::streams`] and [`crate::export`] so that neither has to import the other.
//!
//! Cursor lists (`page[size]`, `meta.has_more`, `meta.after_cursor`) resume from the stored
//! `after_cursor`, never from `links.next`: links name the account's canonical host, which
//! may differ from the one called (reference §3.1).

use std::collections::{BTreeSet, HashMap};

use deskbridge_provider::ProviderError;
use serde_json::Value;

use crate::fields::{id_string, remote_id_of};
use crate::mapping::{builtin_roles, map_role};
use crate::provider::ZendeskProvider;

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
pub(crate) async fn roles(
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
