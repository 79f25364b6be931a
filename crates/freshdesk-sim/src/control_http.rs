//! The `/_sim/…` JSON control API (same operations as [`crate::Control`]).

use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use serde_json::{Value, json};

use crate::config::{FaultConfig, Plan};
use crate::control::{ControlError, ControlResult};
use crate::errors::json_response;
use crate::push::PushSettings;
use crate::sim::{Simulator, read};

type S = State<Simulator>;

/// Routes mounted under `/_sim`.
pub fn routes() -> Router<Simulator> {
    Router::new()
        .route("/accounts", get(accounts))
        .route("/faults", get(get_faults).put(set_faults))
        .route("/push", get(get_push).put(set_push))
        .route("/push/counters", get(push_counters))
        .route("/push/counters/reset", post(reset_push_counters))
        .route("/accounts/{sub}/automations", get(automation_rules))
        .route(
            "/accounts/{sub}/automations/{kind}/rules",
            post(add_automation_rule),
        )
        .route(
            "/accounts/{sub}/automations/rules/{id}",
            delete(delete_automation_rule),
        )
        .route("/accounts/{sub}/data", get(data))
        .route("/accounts/{sub}/counters", get(counters))
        .route("/accounts/{sub}/counters/reset", post(reset_counters))
        .route("/accounts/{sub}/key/revoke", post(revoke))
        .route("/accounts/{sub}/key/rotate", post(rotate))
        .route("/accounts/{sub}/agent-key", post(agent_key))
        .route("/accounts/{sub}/suspend", post(suspend))
        .route("/accounts/{sub}/unsuspend", post(unsuspend))
        .route("/accounts/{sub}/plan", put(plan))
        .route("/accounts/{sub}/tickets", post(create_ticket))
        .route(
            "/accounts/{sub}/tickets/{id}",
            put(update_ticket).delete(delete_ticket),
        )
        .route("/accounts/{sub}/tickets/{id}/spam", post(spam_ticket))
        .route("/accounts/{sub}/tickets/{id}/restore", post(restore_ticket))
        .route("/accounts/{sub}/tickets/{id}/purge", delete(purge_ticket))
        .route("/accounts/{sub}/tickets/{id}/reply", post(add_reply))
        .route("/accounts/{sub}/tickets/{id}/notes", post(add_note))
        .route(
            "/accounts/{sub}/conversations/{id}",
            delete(delete_conversation),
        )
        .route("/accounts/{sub}/contacts", post(create_contact))
        .route(
            "/accounts/{sub}/contacts/{id}",
            put(update_contact).delete(delete_contact),
        )
        .route(
            "/accounts/{sub}/contacts/{id}/hard",
            delete(hard_delete_contact),
        )
        .route("/accounts/{sub}/contacts/{id}/key", post(contact_key))
        .route("/accounts/{sub}/agents", post(add_agent))
        .route("/accounts/{sub}/agents/{id}", delete(remove_agent))
        .route("/accounts/{sub}/groups", post(add_group))
        .route("/accounts/{sub}/groups/{id}", delete(remove_group))
        .route("/accounts/{sub}/companies", post(add_company))
        .route("/accounts/{sub}/companies/{id}", delete(remove_company))
}

fn reply<T: serde::Serialize>(r: ControlResult<T>, ok: u16) -> Response {
    match r {
        Ok(v) => match serde_json::to_value(v) {
            Ok(Value::Null) => StatusCode::NO_CONTENT.into_response(),
            Ok(v) => json_response(ok, &v),
            Err(e) => json_response(500, &json!({ "error": e.to_string() })),
        },
        Err(ControlError::Invalid(status, body)) => json_response(status, &body),
        Err(e @ (ControlError::NotFound | ControlError::UnknownAccount(_))) => {
            json_response(404, &json!({ "error": e.to_string() }))
        }
    }
}

fn body(b: &Bytes) -> Value {
    if b.is_empty() {
        json!({})
    } else {
        serde_json::from_slice(b).unwrap_or(Value::Null)
    }
}

async fn accounts(State(sim): S) -> Response {
    let list: Vec<Value> = sim
        .inner
        .accounts
        .iter()
        .map(|a| {
            let m = read(&a.meta);
            json!({
                "subdomain": a.subdomain,
                "api_key": m.api_key,
                "suspended": m.suspended,
                "plan": m.plan.map(Plan::name),
            })
        })
        .collect();
    json_response(200, &Value::Array(list))
}

fn faults_json(f: &FaultConfig) -> Value {
    json!({
        "error_rate": f.error_rate,
        "slow_rate": f.slow_rate,
        "slow_delay_ms": u64::try_from(f.slow_delay.as_millis()).unwrap_or(u64::MAX),
        "malformed_rate": f.malformed_rate,
        "drop_rate": f.drop_rate,
    })
}

async fn get_faults(State(sim): S) -> Response {
    json_response(200, &faults_json(&sim.control().faults()))
}

async fn set_faults(State(sim): S, b: Bytes) -> Response {
    let v = body(&b);
    let f = |k: &str| v.get(k).and_then(Value::as_f64).unwrap_or(0.0);
    let cfg = FaultConfig {
        error_rate: f("error_rate"),
        slow_rate: f("slow_rate"),
        slow_delay: Duration::from_millis(
            v.get("slow_delay_ms").and_then(Value::as_u64).unwrap_or(0),
        ),
        malformed_rate: f("malformed_rate"),
        drop_rate: f("drop_rate"),
    };
    sim.control().set_faults(cfg.clone());
    json_response(200, &faults_json(&cfg))
}

async fn get_push(State(sim): S) -> Response {
    reply(Ok(sim.control().push_settings()), 200)
}

/// `{delay_ms, loss_rate, seed, retry_delays_ms}`; missing keys take their defaults.
async fn set_push(State(sim): S, b: Bytes) -> Response {
    match serde_json::from_slice::<PushSettings>(&b) {
        Ok(s) => {
            sim.control().set_push(s);
            get_push(State(sim)).await
        }
        Err(e) => json_response(
            400,
            &json!({"error": format!("invalid push settings: {e}")}),
        ),
    }
}

async fn push_counters(State(sim): S) -> Response {
    reply(Ok(sim.control().push_counters()), 200)
}

async fn reset_push_counters(State(sim): S) -> Response {
    sim.control().reset_push_counters();
    push_counters(State(sim)).await
}

async fn automation_rules(State(sim): S, Path(sub): Path<String>) -> Response {
    reply(sim.control().automation_rules(&sub), 200)
}

async fn add_automation_rule(
    State(sim): S,
    Path((sub, kind)): Path<(String, i64)>,
    b: Bytes,
) -> Response {
    reply(sim.control().add_automation_rule(&sub, kind, body(&b)), 201)
}

async fn delete_automation_rule(State(sim): S, Path((sub, id)): Path<(String, i64)>) -> Response {
    reply(sim.control().delete_automation_rule(&sub, id), 204)
}

async fn data(State(sim): S, Path(sub): Path<String>) -> Response {
    reply(sim.control().snapshot(&sub), 200)
}

async fn counters(State(sim): S, Path(sub): Path<String>) -> Response {
    reply(sim.control().counters(&sub), 200)
}

async fn reset_counters(State(sim): S, Path(sub): Path<String>) -> Response {
    reply(sim.control().reset_counters(&sub), 200)
}

async fn revoke(State(sim): S, Path(sub): Path<String>) -> Response {
    reply(sim.control().revoke_key(&sub), 200)
}

async fn rotate(State(sim): S, Path(sub): Path<String>) -> Response {
    reply(
        sim.control()
            .rotate_key(&sub)
            .map(|k| json!({ "api_key": k })),
        200,
    )
}

/// A key of a non-admin agent (admin endpoints answer it 403).
async fn agent_key(State(sim): S, Path(sub): Path<String>) -> Response {
    reply(
        sim.control()
            .issue_agent_key(&sub)
            .map(|(k, id)| json!({ "api_key": k, "agent_id": id })),
        201,
    )
}

async fn suspend(State(sim): S, Path(sub): Path<String>) -> Response {
    reply(sim.control().set_suspended(&sub, true), 200)
}

async fn unsuspend(State(sim): S, Path(sub): Path<String>) -> Response {
    reply(sim.control().set_suspended(&sub, false), 200)
}

async fn plan(State(sim): S, Path(sub): Path<String>, b: Bytes) -> Response {
    let v = body(&b);
    let plan = match v.get("plan") {
        None | Some(Value::Null) => None,
        Some(p) => match p.as_str().and_then(Plan::parse) {
            Some(p) => Some(p),
            None => {
                return json_response(
                    400,
                    &json!({ "error": "plan must be free, trial, growth, pro, enterprise or null" }),
                );
            }
        },
    };
    reply(sim.control().set_plan(&sub, plan), 200)
}

/// Handlers of `/accounts/{sub}/…/{id}` that call the control method of the same name and
/// answer 200: one shape, so one definition.
macro_rules! by_id {
    ($($name:ident),* $(,)?) => {
        $(
            async fn $name(State(sim): S, Path((sub, id)): Path<(String, i64)>) -> Response {
                reply(sim.control().$name(&sub, id), 200)
            }
        )*
    };
}

by_id!(
    delete_ticket,
    spam_ticket,
    restore_ticket,
    purge_ticket,
    delete_conversation,
    delete_contact,
    hard_delete_contact,
);

async fn create_ticket(State(sim): S, Path(sub): Path<String>, b: Bytes) -> Response {
    reply(sim.control().create_ticket(&sub, body(&b)), 201)
}

async fn update_ticket(State(sim): S, Path((sub, id)): Path<(String, i64)>, b: Bytes) -> Response {
    reply(sim.control().update_ticket(&sub, id, body(&b)), 200)
}

async fn add_reply(State(sim): S, Path((sub, id)): Path<(String, i64)>, b: Bytes) -> Response {
    reply(
        sim.control().add_conversation(&sub, id, true, body(&b)),
        201,
    )
}

async fn add_note(State(sim): S, Path((sub, id)): Path<(String, i64)>, b: Bytes) -> Response {
    reply(
        sim.control().add_conversation(&sub, id, false, body(&b)),
        201,
    )
}

async fn create_contact(State(sim): S, Path(sub): Path<String>, b: Bytes) -> Response {
    reply(sim.control().create_contact(&sub, body(&b)), 201)
}

async fn update_contact(State(sim): S, Path((sub, id)): Path<(String, i64)>, b: Bytes) -> Response {
    reply(sim.control().update_contact(&sub, id, body(&b)), 200)
}

async fn contact_key(State(sim): S, Path((sub, id)): Path<(String, i64)>) -> Response {
    reply(
        sim.control()
            .issue_contact_key(&sub, id)
            .map(|k| json!({ "api_key": k })),
        201,
    )
}

async fn add_agent(State(sim): S, Path(sub): Path<String>, b: Bytes) -> Response {
    reply(sim.control().add_agent(&sub, body(&b)), 201)
}

async fn remove_agent(State(sim): S, Path((sub, id)): Path<(String, i64)>) -> Response {
    reply(sim.control().remove_agent(&sub, id), 200)
}

async fn add_group(State(sim): S, Path(sub): Path<String>, b: Bytes) -> Response {
    reply(sim.control().add_group(&sub, body(&b)), 201)
}

async fn remove_group(State(sim): S, Path((sub, id)): Path<(String, i64)>) -> Response {
    reply(sim.control().remove_group(&sub, id), 200)
}

async fn add_company(State(sim): S, Path(sub): Path<String>, b: Bytes) -> Response {
    reply(sim.control().add_company(&sub, body(&b)), 201)
}

async fn remove_company(State(sim): S, Path((sub, id)): Path<(String, i64)>) -> Response {
    reply(sim.control().remove_company(&sub, id), 200)
}
