//! The generic read path of every common model: keyset pages, filters, `expand`, shells,
//! deletions and `remote_data`, rendered in Merge's shapes.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, SecondsFormat, Utc};
use deskbridge_model::common::Paginated;
use deskbridge_model::render::RecordParts;
use deskbridge_model::{ModelKind, model_fields, relation_fields};
use deskbridge_store::records::{FieldFilter, KeysetOrder, ListQuery, RawRecord, StoredRecord};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use utoipa::IntoParams;
use uuid::Uuid;

use crate::cursor::{Cursor, bounds, paginate_in};
use crate::error::{ApiError, ApiResult};
use crate::extract::AccountAuth;
use crate::params;
use crate::state::AppState;

mod raw;

pub use raw::{RawPage, list_page};

/// Query parameters every list endpoint takes.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CommonListParams {
    /// The pagination cursor value (`next` or `previous` of a page).
    pub cursor: Option<String>,
    /// Number of results to return per page (1–100, default 100).
    #[param(value_type = Option<i32>, minimum = 1, maximum = 100)]
    pub page_size: Option<String>,
    /// Only objects created (in Deskbridge) after this date-time.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    pub created_after: Option<String>,
    /// Only objects created before this date-time.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    pub created_before: Option<String>,
    /// Only objects modified (in Deskbridge) after this date-time. With this parameter or
    /// `modified_before`, pages come in `modified_at` order (oldest change first), so a walk
    /// ends with the latest changes; a record modified during the walk comes again, with its
    /// new state, near the end.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    pub modified_after: Option<String>,
    /// Only objects modified before this date-time (pages in `modified_at` order, as with
    /// `modified_after`).
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    pub modified_before: Option<String>,
    /// The third party's id of the object.
    pub remote_id: Option<String>,
    /// Include the raw third-party data as `remote_data`.
    #[param(value_type = Option<bool>)]
    pub include_remote_data: Option<String>,
    /// Include objects deleted in the third party.
    #[param(value_type = Option<bool>)]
    pub include_deleted_data: Option<String>,
    /// Include shell records (known only as references; other fields are null).
    #[param(value_type = Option<bool>)]
    pub include_shell_data: Option<String>,
    /// Relations to return as nested objects, comma-separated.
    pub expand: Option<String>,
}

/// Query parameters of every retrieve endpoint.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GetParams {
    /// Include the raw third-party data as `remote_data`.
    #[param(value_type = Option<bool>)]
    pub include_remote_data: Option<String>,
    /// Return the record even if it is only a shell.
    #[param(value_type = Option<bool>)]
    pub include_shell_data: Option<String>,
    /// Relations to return as nested objects, comma-separated.
    pub expand: Option<String>,
}

/// The relations `expand` accepts for a model.
pub fn expandable(kind: ModelKind) -> &'static [&'static str] {
    match kind {
        ModelKind::Ticket => &[
            "account",
            "assigned_teams",
            "assignees",
            "attachments",
            "collections",
            "contact",
            "creator",
            "parent_ticket",
            "permissions",
        ],
        ModelKind::Comment => &["contact", "ticket", "user"],
        ModelKind::User => &["roles", "teams"],
        ModelKind::Contact => &["account"],
        ModelKind::Attachment => &["ticket"],
        ModelKind::Collection => &["parent_collection", "permissions"],
        _ => &[],
    }
}

/// A stored record in Merge's shape (relations as ids), rendered by the model's one renderer
/// (which the changed-data webhooks use too, so their `data` is what this answers).
pub fn record_json(kind: ModelKind, r: &StoredRecord) -> Map<String, Value> {
    deskbridge_model::render::record_json(
        kind,
        &RecordParts {
            id: r.id,
            remote_id: &r.remote_id,
            fields: &r.fields,
            is_shell: r.is_shell,
            remote_was_deleted: r.remote_was_deleted,
            created_at: r.created_at,
            modified_at: r.modified_at,
            remote_data: r.remote_data.as_ref(),
        },
    )
}

/// Replaces the relation ids named in `expand` by the related records.
pub async fn expand(
    state: &AppState,
    auth: &AccountAuth,
    kind: ModelKind,
    objects: &mut [Map<String, Value>],
    expand: &[String],
) -> ApiResult<()> {
    let (fields, groups) = expand_groups(kind, expand, |field, ids| {
        for o in objects.iter() {
            collect_ids(o.get(field), ids);
        }
    });
    let rows: Vec<(usize, StoredRecord)> = state
        .store
        .records_by_ids_grouped(auth.org.id, auth.account.id, &groups)
        .await?;
    let mut by_field: Vec<HashMap<String, Value>> = vec![HashMap::new(); fields.len()];
    for (group, r) in &rows {
        if let (Some(map), Some((_, target))) = (by_field.get_mut(*group), fields.get(*group)) {
            map.insert(r.id.to_string(), Value::Object(record_json(*target, r)));
        }
    }
    for ((field, _), by_id) in fields.iter().zip(&by_field) {
        for o in objects.iter_mut() {
            if let Some(v) = o.get_mut(*field) {
                replace_ids(v, by_id);
            }
        }
    }
    Ok(())
}

/// The expanded relation fields with their target models, and the (model, ids) groups to
/// fetch for them.
type ExpandGroups = (Vec<(&'static str, ModelKind)>, Vec<(ModelKind, Vec<Uuid>)>);

/// The relation fields of `kind` that `expand` names, each with its target model, and the
/// (model, ids) groups to fetch for them in one statement; `collect` gathers a field's ids.
fn expand_groups(
    kind: ModelKind,
    expand: &[String],
    mut collect: impl FnMut(&str, &mut BTreeSet<Uuid>),
) -> ExpandGroups {
    let mut fields = Vec::new();
    let mut groups = Vec::new();
    for (field, target, _) in relation_fields(kind) {
        if !expand.iter().any(|e| e == field) {
            continue;
        }
        let mut ids = BTreeSet::new();
        collect(field, &mut ids);
        fields.push((*field, *target));
        groups.push((*target, ids.into_iter().collect()));
    }
    (fields, groups)
}

fn collect_ids(v: Option<&Value>, out: &mut BTreeSet<Uuid>) {
    match v {
        Some(Value::String(s)) => {
            if let Ok(id) = s.parse() {
                out.insert(id);
            }
        }
        Some(Value::Array(a)) => a.iter().for_each(|x| collect_ids(Some(x), out)),
        _ => {}
    }
}

fn replace_ids(v: &mut Value, by_id: &HashMap<String, Value>) {
    match v {
        Value::String(s) => {
            if let Some(found) = by_id.get(s.as_str()) {
                *v = found.clone();
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| replace_ids(x, by_id)),
        _ => {}
    }
}

/// Options a model's list handler passes besides the common parameters.
#[derive(Debug, Default)]
pub struct ListExtras {
    /// Model-specific filters.
    pub filters: Vec<FieldFilter>,
}

/// A list request's parameters, checked.
struct ListRequest {
    limit: i64,
    expand: Vec<String>,
    cursor: Option<Cursor>,
    query: ListQuery,
}

/// A row's position in a page's keyset order, for the page's cursors.
fn position(
    order: KeysetOrder,
    created_at: DateTime<Utc>,
    modified_at: DateTime<Utc>,
    id: Uuid,
) -> (DateTime<Utc>, Uuid) {
    match order {
        KeysetOrder::CreatedAt => (created_at, id),
        KeysetOrder::ModifiedAt => (modified_at, id),
    }
}

fn list_request(
    kind: ModelKind,
    p: &CommonListParams,
    extras: ListExtras,
) -> ApiResult<ListRequest> {
    let limit = params::page_size(&p.page_size)?;
    let expand_list = params::choices("expand", &p.expand, expandable(kind))?;
    let modified_after = params::datetime("modified_after", &p.modified_after)?;
    let modified_before = params::datetime("modified_before", &p.modified_before)?;
    // "What changed since T" pages by modification time: only the `(linked_account_id,
    // modified_at, id)` index serves that filter and an order together, whatever share of
    // the rows matches (docs/BENCHMARKS.md §1). Merge promises no order beyond the cursor.
    let order = if modified_after.is_some() || modified_before.is_some() {
        KeysetOrder::ModifiedAt
    } else {
        KeysetOrder::CreatedAt
    };
    let cursor = Cursor::from_param_in(&p.cursor, order)?;
    let mut q = ListQuery {
        order,
        limit: limit + 1,
        created_after: params::datetime("created_after", &p.created_after)?,
        created_before: params::datetime("created_before", &p.created_before)?,
        modified_after,
        modified_before,
        remote_id: p.remote_id.clone().filter(|r| !r.is_empty()),
        include_deleted: params::boolean("include_deleted_data", &p.include_deleted_data)?,
        include_shell: params::boolean("include_shell_data", &p.include_shell_data)?,
        with_remote_data: params::boolean("include_remote_data", &p.include_remote_data)?,
        filters: extras.filters,
        ..ListQuery::default()
    };
    (q.after, q.before) = bounds(cursor);
    Ok(ListRequest {
        limit,
        expand: expand_list,
        cursor,
        query: q,
    })
}

/// Lists a model's records as a Merge page.
pub async fn list(
    state: &AppState,
    auth: &AccountAuth,
    kind: ModelKind,
    p: &CommonListParams,
    extras: ListExtras,
) -> ApiResult<(Vec<Map<String, Value>>, Option<String>, Option<String>)> {
    let ListRequest {
        limit,
        expand: expand_list,
        cursor,
        query: q,
    } = list_request(kind, p, extras)?;
    let rows = state
        .store
        .list_records(auth.org.id, auth.account.id, kind, &q)
        .await?;
    let (rows, next, previous) = paginate_in(rows, limit, cursor, q.order, |r: &StoredRecord| {
        position(q.order, r.created_at, r.modified_at, r.id)
    });
    let mut objects: Vec<Map<String, Value>> = rows.iter().map(|r| record_json(kind, r)).collect();
    expand(state, auth, kind, &mut objects, &expand_list).await?;
    Ok((objects, next, previous))
}

/// Retrieves one record by Deskbridge id.
pub async fn get(
    state: &AppState,
    auth: &AccountAuth,
    kind: ModelKind,
    id: &str,
    p: &GetParams,
) -> ApiResult<Map<String, Value>> {
    let not_found = || ApiError::NotFound(format!("No {} matches the given id.", kind.name()));
    let id: Uuid = id.parse().map_err(|_| not_found())?;
    let expand_list = params::choices("expand", &p.expand, expandable(kind))?;
    let with_rd = params::boolean("include_remote_data", &p.include_remote_data)?;
    let shells = params::boolean("include_shell_data", &p.include_shell_data)?;
    let rows = state
        .store
        .records_by_ids(auth.org.id, auth.account.id, kind, &[id], with_rd)
        .await?;
    let row = rows
        .into_iter()
        .next()
        .filter(|r| shells || !r.is_shell)
        .ok_or_else(not_found)?;
    let mut objects = vec![record_json(kind, &row)];
    expand(state, auth, kind, &mut objects, &expand_list).await?;
    objects.pop().ok_or_else(not_found)
}

/// A page object (the records stay JSON maps: their shape is the model's, rendered from the
/// stored fields).
pub fn page(
    objects: Vec<Map<String, Value>>,
    next: Option<String>,
    previous: Option<String>,
) -> Paginated<Map<String, Value>> {
    Paginated {
        next,
        previous,
        results: objects,
    }
}
