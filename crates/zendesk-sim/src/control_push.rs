//! `/_sim/push…`: webhook delivery controls (delay, seeded loss, retry wait) and counters,
//! for tests and the benchmark. Kept apart from `control.rs` only for size.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::errors::json_response;
use crate::push::PushSettings;
use crate::sim::Simulator;

type S = State<Simulator>;

/// `GET/PUT /_sim/push`, `GET /_sim/push/counters`, `POST /_sim/push/counters/reset`.
pub fn routes() -> Router<Simulator> {
    Router::new()
        .route("/push", get(get_push).put(set_push))
        .route("/push/counters", get(push_counters))
        .route("/push/counters/reset", post(reset_push_counters))
}

async fn get_push(State(sim): S) -> Response {
    let s = sim.inner.push.settings();
    json_response(200, &serde_json::to_value(s).unwrap_or(Value::Null))
}

/// `PUT /_sim/push` `{delay_ms, loss_rate, seed, retry_delay_ms}`: missing keys take their
/// defaults; the loss sequence restarts from `seed`.
async fn set_push(State(sim): S, b: Bytes) -> Response {
    match serde_json::from_slice::<PushSettings>(&b) {
        Ok(s) => {
            sim.inner.push.set_settings(s);
            get_push(State(sim)).await
        }
        Err(e) => json_response(
            400,
            &json!({"error": format!("invalid push settings: {e}")}),
        ),
    }
}

async fn push_counters(State(sim): S) -> Response {
    let c = sim.inner.push.counters();
    json_response(200, &serde_json::to_value(c).unwrap_or(Value::Null))
}

async fn reset_push_counters(State(sim): S) -> Response {
    sim.inner.push.reset_counters();
    push_counters(State(sim)).await
}
