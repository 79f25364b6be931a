//! The `/_sim/…` JSON control API: no authentication, no faults, no rate limits. Tests use it
//! to change data behind the API's back (as agents in the Zendesk UI would), to read the
//! simulator's own data for field-by-field comparisons, and to tune plans, faults and time.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{delete, get, post, put};
use serde_json::{Map, Value, json};

use crate::config::{FaultConfig, Plan};
use crate::errors::{ApiError, empty, json_response};
use crate::render;
use crate::routes::{apply_update, create_ticket, create_user};
use crate::sim::{AccountCell, OAuthToken, Settings, Simulator, lock, read, write};
use crate::time::now_secs;

type S = State<Simulator>;
type Out = Result<Response, Fail>;

/// A control failure: boxed, so that results stay small.
struct Fail(Box<Response>);

impl axum::response::IntoResponse for Fail {
    fn into_response(self) -> Response {
        *self.0
    }
}

/// Routes mounted under `/_sim`.
pub fn routes() -> Router<Simulator> {
    Router::new()
        .route("/accounts", get(accounts))
        .route("/faults", get(get_faults).put(set_faults))
        .route("/settings", get(get_settings).put(set_settings))
        .route("/accounts/{sub}/data", get(data))
        .route("/accounts/{sub}/stats", get(crate::stats::handler))
        .route("/accounts/{sub}/counters", get(counters))
        .route("/accounts/{sub}/counters/reset", post(reset_counters))
        .route("/accounts/{sub}/plan", put(set_plan))
        .route("/accounts/{sub}/api_token/rotate", post(rotate_token))
        .route("/accounts/{sub}/api_token/disable", post(disable_token))
        .route("/accounts/{sub}/oauth_tokens", post(new_oauth))
        .route("/accounts/{sub}/oauth_tokens/{token}", delete(revoke_oauth))
        .route("/accounts/{sub}/tickets", post(new_ticket))
        .route(
            "/accounts/{sub}/tickets/{id}",
            put(update_ticket).delete(delete_ticket),
        )
        .route("/accounts/{sub}/tickets/{id}/archive", post(archive_ticket))
        .route("/accounts/{sub}/tickets/{id}/restore", post(restore_ticket))
        .route("/accounts/{sub}/tickets/{id}/scrub", post(scrub_ticket))
        .route("/accounts/{sub}/tickets/{id}/touch", post(touch_ticket))
        .route("/accounts/{sub}/users", post(new_user))
        .route(
            "/accounts/{sub}/users/{id}",
            put(update_user).delete(delete_user),
        )
        .route("/accounts/{sub}/organizations", post(new_org))
        .route("/accounts/{sub}/groups", post(new_group))
        .route("/accounts/{sub}/groups/{id}", delete(delete_group))
        .merge(crate::control_push::routes())
}

fn err(e: ApiError) -> Fail {
    Fail(Box::new(e.into_response()))
}

fn account(sim: &Simulator, sub: &str) -> Result<Arc<AccountCell>, Fail> {
    sim.by_subdomain(sub).ok_or_else(|| {
        Fail(Box::new(json_response(
            404,
            &json!({"error": format!("unknown account {sub}")}),
        )))
    })
}

fn body(b: &Bytes) -> Map<String, Value> {
    serde_json::from_slice::<Value>(b)
        .ok()
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default()
}

fn inner(b: &Bytes, root: &str) -> Map<String, Value> {
    let m = body(b);
    match m.get(root) {
        Some(Value::Object(o)) => o.clone(),
        _ => m,
    }
}

async fn accounts(State(sim): S) -> Response {
    let list: Vec<Value> = sim
        .inner
        .accounts
        .iter()
        .map(|a| {
            let mut v = serde_json::to_value(sim.account_info(a)).unwrap_or(Value::Null);
            v["plan"] = json!(read(&a.meta).plan.map(Plan::name));
            v["site"] = json!(sim.ctx(a).site);
            v
        })
        .collect();
    json_response(200, &Value::Array(list))
}

async fn get_faults(State(sim): S) -> Response {
    let c = lock(&sim.inner.faults).cfg.clone();
    json_response(
        200,
        &json!({"error_rate": c.error_rate, "slow_rate": c.slow_rate,
            "slow_delay_ms": c.slow_delay.as_millis() as u64, "drop_rate": c.drop_rate}),
    )
}

async fn set_faults(State(sim): S, b: Bytes) -> Response {
    let m = body(&b);
    let f = |k: &str| m.get(k).and_then(Value::as_f64).unwrap_or(0.0);
    lock(&sim.inner.faults).cfg = FaultConfig {
        error_rate: f("error_rate"),
        slow_rate: f("slow_rate"),
        slow_delay: Duration::from_millis(
            m.get("slow_delay_ms")
                .and_then(Value::as_u64)
                .unwrap_or(5000),
        ),
        drop_rate: f("drop_rate"),
    };
    get_faults(State(sim)).await
}

async fn get_settings(State(sim): S) -> Response {
    json_response(
        200,
        &serde_json::to_value(sim.settings()).unwrap_or(Value::Null),
    )
}

async fn set_settings(State(sim): S, b: Bytes) -> Response {
    match serde_json::from_slice::<Settings>(&b) {
        Ok(s) => {
            *write(&sim.inner.settings) = s;
            get_settings(State(sim)).await
        }
        Err(e) => json_response(400, &json!({"error": e.to_string()})),
    }
}

/// Everything the account holds, in API shapes: tickets in the export shape (deleted and
/// archived included, listed by id in `deleted_ticket_ids` / `archived_ticket_ids`), comments
/// per ticket, users, organizations, groups, memberships, custom statuses, fields and roles.
async fn data(State(sim): S, Path(sub): Path<String>) -> Out {
    let a = account(&sim, &sub)?;
    let c = sim.ctx(&a);
    let d = read(&a.data);
    let comments: Map<String, Value> = d
        .tickets
        .values()
        .map(|t| {
            (
                t.id.to_string(),
                t.comments.iter().map(|k| render::comment(&c, k)).collect(),
            )
        })
        .collect();
    let ids = |f: &dyn Fn(&crate::store::Ticket) -> bool| -> Vec<i64> {
        d.tickets.values().filter(|t| f(t)).map(|t| t.id).collect()
    };
    Ok(json_response(
        200,
        &json!({
            "tickets": d.tickets.values().map(|t| render::export_ticket(&c, &d, t)).collect::<Vec<_>>(),
            "archived_ticket_ids": ids(&|t| t.archived),
            "deleted_ticket_ids": ids(&|t| t.deleted.is_some()),
            "scrubbed_ticket_ids": ids(&|t| t.scrubbed),
            "comments": comments,
            "users": d.users.values().map(|u| render::user(&c, u)).collect::<Vec<_>>(),
            "organizations": d.organizations.values().map(|o| render::organization(&c, o)).collect::<Vec<_>>(),
            "groups": d.groups.values().map(|g| render::group(&c, g)).collect::<Vec<_>>(),
            "group_memberships": d.memberships.values().map(|m| render::membership(&c, m)).collect::<Vec<_>>(),
            "custom_statuses": d.custom_statuses.values().map(|s| render::custom_status(&c, s)).collect::<Vec<_>>(),
            "ticket_fields": d.ticket_fields.values().map(|f| render::ticket_field(&c, f)).collect::<Vec<_>>(),
            "custom_roles": d.custom_roles.values().map(|r| render::custom_role(r, 0)).collect::<Vec<_>>(),
        }),
    ))
}

async fn counters(State(sim): S, Path(sub): Path<String>) -> Out {
    let a = account(&sim, &sub)?;
    let c = *lock(&a.counters);
    Ok(json_response(
        200,
        &serde_json::to_value(c).unwrap_or(Value::Null),
    ))
}

async fn reset_counters(State(sim): S, Path(sub): Path<String>) -> Out {
    let a = account(&sim, &sub)?;
    *lock(&a.counters) = Default::default();
    lock(&a.limiter).reset();
    Ok(empty(204))
}

async fn set_plan(State(sim): S, Path(sub): Path<String>, b: Bytes) -> Out {
    let a = account(&sim, &sub)?;
    let plan = match body(&b).get("plan") {
        Some(Value::String(s)) => Some(Plan::parse(s).ok_or_else(|| {
            Fail(Box::new(json_response(
                400,
                &json!({"error": "unknown plan"}),
            )))
        })?),
        _ => None,
    };
    write(&a.meta).plan = plan;
    lock(&a.limiter).reset();
    Ok(empty(204))
}

async fn rotate_token(State(sim): S, Path(sub): Path<String>) -> Out {
    let a = account(&sim, &sub)?;
    let token = uuid::Uuid::new_v4().simple().to_string() + "zd01";
    write(&a.meta).api_token = Some(token.clone());
    Ok(json_response(200, &json!({"api_token": token})))
}

async fn disable_token(State(sim): S, Path(sub): Path<String>) -> Out {
    let a = account(&sim, &sub)?;
    write(&a.meta).api_token = None;
    Ok(empty(204))
}

/// `{"user_id": …, "scopes": ["read"]}` → `{"access_token": …}` (defaults: owner, read write).
async fn new_oauth(State(sim): S, Path(sub): Path<String>, b: Bytes) -> Out {
    let a = account(&sim, &sub)?;
    let m = body(&b);
    let user_id = m
        .get("user_id")
        .and_then(Value::as_i64)
        .unwrap_or(a.owner_id);
    let scopes = m
        .get("scopes")
        .and_then(Value::as_array)
        .map(|s| {
            s.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_else(|| vec!["read".to_owned(), "write".to_owned()]);
    let token =
        uuid::Uuid::new_v4().simple().to_string() + &uuid::Uuid::new_v4().simple().to_string();
    write(&a.meta).oauth.push(OAuthToken {
        token: token.clone(),
        user_id,
        scopes,
    });
    Ok(json_response(201, &json!({"access_token": token})))
}

async fn revoke_oauth(State(sim): S, Path((sub, token)): Path<(String, String)>) -> Out {
    let a = account(&sim, &sub)?;
    write(&a.meta).oauth.retain(|t| t.token != token);
    Ok(empty(204))
}

fn owner(a: &AccountCell, as_user: Option<i64>) -> Result<crate::store::User, Fail> {
    let d = read(&a.data);
    d.users
        .get(&as_user.unwrap_or(a.owner_id))
        .cloned()
        .ok_or_else(|| err(ApiError::NotFound))
}

/// `{"ticket": {…}, "as_user_id": …}`: created like `POST /tickets` (same validation).
async fn new_ticket(State(sim): S, Path(sub): Path<String>, b: Bytes) -> Out {
    let a = account(&sim, &sub)?;
    let me = owner(&a, body(&b).get("as_user_id").and_then(Value::as_i64))?;
    let (ticket, audit) =
        create_ticket(&a, &sim.ctx(&a), &inner(&b, "ticket"), &me).map_err(err)?;
    Ok(json_response(
        201,
        &json!({"ticket": ticket, "audit": audit}),
    ))
}

/// Updated like `PUT /tickets/{id}` (closed tickets stay immutable).
async fn update_ticket(State(sim): S, Path((sub, id)): Path<(String, i64)>, b: Bytes) -> Out {
    let a = account(&sim, &sub)?;
    let me = owner(&a, body(&b).get("as_user_id").and_then(Value::as_i64))?;
    let (ticket, audit) =
        apply_update(&a, &sim.ctx(&a), id, &inner(&b, "ticket"), &me).map_err(err)?;
    Ok(json_response(
        200,
        &json!({"ticket": ticket, "audit": audit}),
    ))
}

async fn delete_ticket(State(sim): S, Path((sub, id)): Path<(String, i64)>) -> Out {
    let a = account(&sim, &sub)?;
    crate::routes::soft_delete(&a, id, a.owner_id).map_err(err)?;
    Ok(empty(204))
}

/// Closes and archives a ticket now (Zendesk archives about 120 days after closing).
async fn archive_ticket(State(sim): S, Path((sub, id)): Path<(String, i64)>) -> Out {
    let a = account(&sim, &sub)?;
    let mut d = write(&a.data);
    let closed = d.default_status("closed");
    let t = d
        .tickets
        .get_mut(&id)
        .filter(|t| t.deleted.is_none())
        .ok_or_else(|| err(ApiError::NotFound))?;
    if t.status != "closed" {
        let now = now_secs();
        t.status = "closed".into();
        t.custom_status_id = closed;
        t.solved_at = t.solved_at.or(Some(now));
        t.updated_at = now;
        t.generated_ts = t.generated_ts.max(now);
    }
    t.archived = true;
    Ok(empty(204))
}

async fn restore_ticket(State(sim): S, Path((sub, id)): Path<(String, i64)>) -> Out {
    let a = account(&sim, &sub)?;
    crate::routes::restore_ticket(&a, id).map_err(err)
}

/// Permanently deletes (scrubs) a ticket, soft-deleting it first if needed.
async fn scrub_ticket(State(sim): S, Path((sub, id)): Path<(String, i64)>) -> Out {
    let a = account(&sim, &sub)?;
    let deleted = read(&a.data).tickets.get(&id).map(|t| t.deleted.is_some());
    if deleted == Some(false) {
        crate::routes::soft_delete(&a, id, a.owner_id).map_err(err)?;
    }
    crate::routes::scrub(&a, id).map_err(err)?;
    Ok(empty(204))
}

/// A system update: `generated_timestamp` moves (to `{"generated_timestamp": …}` or now),
/// `updated_at` does not.
async fn touch_ticket(State(sim): S, Path((sub, id)): Path<(String, i64)>, b: Bytes) -> Out {
    let a = account(&sim, &sub)?;
    let at = body(&b)
        .get("generated_timestamp")
        .and_then(Value::as_i64)
        .unwrap_or_else(now_secs);
    let mut d = write(&a.data);
    let t = d
        .tickets
        .get_mut(&id)
        .ok_or_else(|| err(ApiError::NotFound))?;
    t.generated_ts = at;
    Ok(empty(204))
}

async fn new_user(State(sim): S, Path(sub): Path<String>, b: Bytes) -> Out {
    let a = account(&sim, &sub)?;
    let user = create_user(&a, &sim.ctx(&a), &inner(&b, "user")).map_err(err)?;
    Ok(json_response(201, &json!({ "user": user })))
}

/// `{"user": {name, email, role, suspended, active, organization_id, phone}}`.
async fn update_user(State(sim): S, Path((sub, id)): Path<(String, i64)>, b: Bytes) -> Out {
    let a = account(&sim, &sub)?;
    let o = inner(&b, "user");
    let mut d = write(&a.data);
    let u = d
        .users
        .get_mut(&id)
        .ok_or_else(|| err(ApiError::NotFound))?;
    let s = |k: &str| o.get(k).and_then(Value::as_str).map(str::to_owned);
    if let Some(v) = s("name") {
        u.name = v;
    }
    if o.contains_key("email") {
        u.email = s("email");
    }
    if o.contains_key("phone") {
        u.phone = s("phone");
    }
    if let Some(v) = s("role") {
        u.role_type = (v == "admin").then_some(4);
        u.role = v;
    }
    if let Some(v) = o.get("suspended").and_then(Value::as_bool) {
        u.suspended = v;
    }
    if let Some(v) = o.get("active").and_then(Value::as_bool) {
        u.active = v;
    }
    if o.contains_key("organization_id") {
        u.organization_id = o.get("organization_id").and_then(Value::as_i64);
    }
    u.updated_at = now_secs();
    let v = render::user(&sim.ctx(&a), u);
    Ok(json_response(200, &json!({ "user": v })))
}

/// Soft delete: `active: false`.
async fn delete_user(State(sim): S, Path((sub, id)): Path<(String, i64)>) -> Out {
    let a = account(&sim, &sub)?;
    let mut d = write(&a.data);
    let u = d
        .users
        .get_mut(&id)
        .ok_or_else(|| err(ApiError::NotFound))?;
    u.active = false;
    u.updated_at = now_secs();
    Ok(empty(204))
}

async fn new_org(State(sim): S, Path(sub): Path<String>, b: Bytes) -> Out {
    let a = account(&sim, &sub)?;
    let o = inner(&b, "organization");
    let name = o
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let mut d = write(&a.data);
    if name.is_empty() || d.organizations.values().any(|x| x.name == name) {
        return Err(err(ApiError::Invalid(
            json!({"name": [{"description": "Name: has already been taken", "error": "DuplicateValue"}]}),
        )));
    }
    let now = now_secs();
    let org = crate::store::Organization {
        id: d.next_id(),
        name,
        created_at: now,
        updated_at: now,
        domain_names: Vec::new(),
        details: None,
        group_id: None,
        external_id: o
            .get("external_id")
            .and_then(Value::as_str)
            .map(str::to_owned),
        tags: Vec::new(),
    };
    d.organizations.insert(org.id, org.clone());
    Ok(json_response(
        201,
        &json!({"organization": render::organization(&sim.ctx(&a), &org)}),
    ))
}

async fn new_group(State(sim): S, Path(sub): Path<String>, b: Bytes) -> Out {
    let a = account(&sim, &sub)?;
    let o = inner(&b, "group");
    let mut d = write(&a.data);
    let now = now_secs();
    let g = crate::store::Group {
        id: d.next_id(),
        name: o
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("New group")
            .to_owned(),
        description: o
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
        default: false,
        deleted: false,
        created_at: now,
        updated_at: now,
    };
    d.groups.insert(g.id, g.clone());
    Ok(json_response(
        201,
        &json!({"group": render::group(&sim.ctx(&a), &g)}),
    ))
}

/// Groups are never removed: they keep `deleted: true`.
async fn delete_group(State(sim): S, Path((sub, id)): Path<(String, i64)>) -> Out {
    let a = account(&sim, &sub)?;
    let mut d = write(&a.data);
    let g = d
        .groups
        .get_mut(&id)
        .ok_or_else(|| err(ApiError::NotFound))?;
    g.deleted = true;
    g.updated_at = now_secs();
    Ok(empty(204))
}
