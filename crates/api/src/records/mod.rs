//! The generic read path of every common model: keyset pages, filters, `expand`, shells,
//! deletions and `remote_data`, rendered in Merge's shapes.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, SecondsFormat, Utc};
use deskbridge_model::common::Paginated;
use deskbridge_model::render::RecordParts;
use deskbridge_model::{ModelKind, model_fields, relation_fields};
use deskbridge_store::records::{KeysetOrder, RawRecord, StoredRecord};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::cursor::paginate_in;
use crate::error::{ApiError, ApiResult};
use crate::extract::AccountAuth;
use crate::state::AppState;

mod query;
mod raw;

pub use query::{CommonListParams, GetParams, GetQuery, ListRequest, Model, kinds};
pub use raw::{RawPage, list_page};

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

/// Lists a model's records as a Merge page.
pub async fn list<M: Model>(
    state: &AppState,
    auth: &AccountAuth,
    req: ListRequest<M>,
) -> ApiResult<(Vec<Map<String, Value>>, Option<String>, Option<String>)> {
    let kind = M::KIND;
    let ListRequest {
        limit,
        expand: expand_list,
        cursor,
        query: q,
        ..
    } = req;
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
pub async fn get<M: Model>(
    state: &AppState,
    auth: &AccountAuth,
    id: &str,
    p: &GetQuery<M>,
) -> ApiResult<Map<String, Value>> {
    let kind = M::KIND;
    let not_found = || ApiError::NotFound(format!("No {} matches the given id.", kind.name()));
    let id: Uuid = id.parse().map_err(|_| not_found())?;
    let (expand_list, with_rd, shells) = (&p.expand, p.with_remote_data, p.include_shell);
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
    expand(state, auth, kind, &mut objects, expand_list).await?;
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
