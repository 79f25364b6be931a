//! Users, organizations, groups, memberships, tags, ticket fields, custom statuses, custom
//! roles and attachments.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::Answer;
use crate::errors::{ApiError, json_response};
use crate::pagination::{self, Key};
use crate::render;
use crate::request::Req;
use crate::sim::{AccountCell, read};

/// `GET /users` (cursor `id` or offset): end-users, agents and admins in one list;
/// `role=` or `role[]=` filters.
pub fn users(acct: &Arc<AccountCell>, req: &Req) -> Answer {
    let roles: Vec<&str> = req
        .query
        .iter()
        .filter(|(k, _)| k == "role" || k == "role[]")
        .map(|(_, v)| v.as_str())
        .collect();
    let ext = req.q("external_id");
    let d = read(&acct.data);
    let items = d
        .users
        .values()
        .filter(|u| roles.is_empty() || roles.contains(&u.role.as_str()))
        .filter(|u| ext.is_none() || u.external_id.as_deref() == ext)
        .map(|u| (vec![Key::I(u.id)], render::user(&req.ctx, u)))
        .collect();
    let body = pagination::list(req, "users", "users", "id", items, &|_| Map::new())?;
    Ok(json_response(200, &body))
}

/// `GET /users/{id}`.
pub fn user(acct: &Arc<AccountCell>, req: &Req, id: i64) -> Answer {
    let d = read(&acct.data);
    let u = d.users.get(&id).ok_or(ApiError::NotFound)?;
    Ok(json_response(
        200,
        &json!({"user": render::user(&req.ctx, u)}),
    ))
}

/// `GET /organizations` (cursor `id` or offset).
pub fn organizations(acct: &Arc<AccountCell>, req: &Req) -> Answer {
    let d = read(&acct.data);
    let items = d
        .organizations
        .values()
        .map(|o| (vec![Key::I(o.id)], render::organization(&req.ctx, o)))
        .collect();
    let body = pagination::list(req, "organizations", "organizations", "id", items, &|_| {
        Map::new()
    })?;
    Ok(json_response(200, &body))
}

/// `GET /organizations/{id}`.
pub fn organization(acct: &Arc<AccountCell>, req: &Req, id: i64) -> Answer {
    let d = read(&acct.data);
    let o = d.organizations.get(&id).ok_or(ApiError::NotFound)?;
    Ok(json_response(
        200,
        &json!({"organization": render::organization(&req.ctx, o)}),
    ))
}

/// `GET /groups` (cursor `name,id` or offset); deleted groups are listed with
/// `deleted: true` unless `exclude_deleted=true`.
pub fn groups(acct: &Arc<AccountCell>, req: &Req) -> Answer {
    let exclude = req.q("exclude_deleted") == Some("true");
    let d = read(&acct.data);
    let mut items: Vec<(Vec<Key>, Value)> = d
        .groups
        .values()
        .filter(|g| !(exclude && g.deleted))
        .map(|g| {
            (
                vec![Key::S(g.name.clone()), Key::I(g.id)],
                render::group(&req.ctx, g),
            )
        })
        .collect();
    items.sort_by(|a, b| a.0.cmp(&b.0));
    let body = pagination::list(req, "groups", "groups", "name,id", items, &|_| Map::new())?;
    Ok(json_response(200, &body))
}

/// `GET /groups/{id}`.
pub fn group(acct: &Arc<AccountCell>, req: &Req, id: i64) -> Answer {
    let d = read(&acct.data);
    let g = d.groups.get(&id).ok_or(ApiError::NotFound)?;
    Ok(json_response(
        200,
        &json!({"group": render::group(&req.ctx, g)}),
    ))
}

/// `GET /group_memberships` (cursor `id` or offset).
pub fn memberships(acct: &Arc<AccountCell>, req: &Req) -> Answer {
    let d = read(&acct.data);
    let items = d
        .memberships
        .values()
        .map(|m| (vec![Key::I(m.id)], render::membership(&req.ctx, m)))
        .collect();
    let body = pagination::list(
        req,
        "group_memberships",
        "group_memberships",
        "id",
        items,
        &|_| Map::new(),
    )?;
    Ok(json_response(200, &body))
}

/// `GET /tags`: `{name, count}` over live tickets, most popular first (cursor `-score,id`).
/// Zendesk limits this to the 20,000 most popular tags of the last 60 days; the simulator
/// counts every live ticket.
pub fn tags(acct: &Arc<AccountCell>, req: &Req) -> Answer {
    let d = read(&acct.data);
    let mut counts: BTreeMap<String, i64> = BTreeMap::new();
    for t in d.tickets.values().filter(|t| t.deleted.is_none()) {
        for tag in &t.tags {
            *counts.entry(tag.clone()).or_default() += 1;
        }
    }
    let mut items: Vec<(Vec<Key>, Value)> = counts
        .into_iter()
        .map(|(name, n)| {
            (
                vec![Key::I(-n), Key::S(name.clone())],
                json!({"name": name, "count": n}),
            )
        })
        .collect();
    items.sort_by(|a, b| a.0.cmp(&b.0));
    let body = pagination::list(req, "tags", "tags", "-score,id", items, &|_| Map::new())?;
    Ok(json_response(200, &body))
}

/// `GET /ticket_fields`: every field ordered by `position` in one offset-shaped answer, or
/// ordered by id with `page[size]`. End-users see only `visible_in_portal` fields.
pub fn ticket_fields(acct: &Arc<AccountCell>, req: &Req) -> Answer {
    let d = read(&acct.data);
    let staff = req.is_staff();
    let fields: Vec<_> = d
        .ticket_fields
        .values()
        .filter(|f| staff || f.visible_in_portal)
        .collect();
    if pagination::is_cursor(req) {
        let items = fields
            .iter()
            .map(|f| (vec![Key::I(f.id)], render::ticket_field(&req.ctx, f)))
            .collect();
        let body = pagination::list(req, "ticket_fields", "ticket_fields", "id", items, &|_| {
            Map::new()
        })?;
        return Ok(json_response(200, &body));
    }
    let mut sorted = fields;
    sorted.sort_by_key(|f| (f.position, f.id));
    let list: Vec<Value> = sorted
        .iter()
        .map(|f| render::ticket_field(&req.ctx, f))
        .collect();
    let count = list.len();
    Ok(json_response(
        200,
        &json!({"ticket_fields": list, "next_page": null, "previous_page": null, "count": count}),
    ))
}

/// `GET /custom_statuses`: everything in one answer (no pagination); filters
/// `status_categories=`, `active=`, `default=`.
pub fn custom_statuses(acct: &Arc<AccountCell>, req: &Req) -> Answer {
    let cats: Option<Vec<&str>> = req.q("status_categories").map(|c| c.split(',').collect());
    let flag = |name: &str| req.q(name).map(|v| v == "true");
    let (active, default) = (flag("active"), flag("default"));
    let d = read(&acct.data);
    let list: Vec<Value> = d
        .custom_statuses
        .values()
        .filter(|s| {
            cats.as_ref()
                .is_none_or(|c| c.contains(&s.category.as_str()))
        })
        .filter(|s| active.is_none_or(|a| a == s.active))
        .filter(|s| default.is_none_or(|x| x == s.default))
        .map(|s| render::custom_status(&req.ctx, s))
        .collect();
    Ok(json_response(200, &json!({"custom_statuses": list})))
}

/// `GET /custom_roles[/{id}]`: Enterprise plans only (403 otherwise); the list is
/// offset-shaped with no cursor support.
pub fn custom_roles(acct: &Arc<AccountCell>, _req: &Req, id: Option<i64>) -> Answer {
    let plan = read(&acct.meta).plan;
    if !plan.is_some_and(crate::config::Plan::has_custom_roles) {
        return Err(ApiError::Restricted);
    }
    let d = read(&acct.data);
    let members = |rid: i64| {
        d.users
            .values()
            .filter(|u| u.custom_role_id == Some(rid))
            .count()
    };
    if let Some(id) = id {
        let r = d.custom_roles.get(&id).ok_or(ApiError::NotFound)?;
        return Ok(json_response(
            200,
            &json!({"custom_role": render::custom_role(r, members(r.id))}),
        ));
    }
    let list: Vec<Value> = d
        .custom_roles
        .values()
        .map(|r| render::custom_role(r, members(r.id)))
        .collect();
    let count = list.len();
    Ok(json_response(
        200,
        &json!({"custom_roles": list, "next_page": null, "previous_page": null, "count": count}),
    ))
}

/// `GET /attachments/{id}`.
pub fn attachment(acct: &Arc<AccountCell>, req: &Req, id: i64) -> Answer {
    let d = read(&acct.data);
    let a = d.attachment_by_id(id).ok_or(ApiError::NotFound)?;
    Ok(json_response(
        200,
        &json!({"attachment": render::attachment(&req.ctx, a)}),
    ))
}

/// `GET /ticket_forms`: the default form on Enterprise plans, 403 on others (reference §10).
pub fn ticket_forms(acct: &Arc<AccountCell>, req: &Req) -> Answer {
    let plan = read(&acct.meta).plan;
    if !plan.is_some_and(crate::config::Plan::has_custom_roles) {
        return Err(ApiError::Restricted);
    }
    let d = read(&acct.data);
    let ids: Vec<i64> = d.ticket_fields.keys().copied().collect();
    let created = d
        .ticket_fields
        .values()
        .map(|f| f.created_at)
        .min()
        .unwrap_or(0);
    let form = json!({"url": format!("{}/ticket_forms/{}.json", req.ctx.api(), d.ticket_form_id),
        "id": d.ticket_form_id, "name": "Default Ticket Form", "raw_name": "Default Ticket Form",
        "display_name": "Default Ticket Form", "raw_display_name": "Default Ticket Form",
        "end_user_visible": true, "position": 0, "ticket_field_ids": ids, "active": true,
        "default": true, "created_at": crate::time::ts(created), "updated_at": crate::time::ts(created),
        "in_all_brands": true, "restricted_brand_ids": [], "end_user_conditions": [],
        "agent_conditions": []});
    Ok(json_response(
        200,
        &json!({"ticket_forms": [form], "next_page": null, "previous_page": null, "count": 1}),
    ))
}
