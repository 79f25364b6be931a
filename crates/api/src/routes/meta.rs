//! Health endpoints.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;

/// A health answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` or what is wrong.
    pub status: String,
}

/// Liveness: the process serves HTTP.
#[utoipa::path(get, path = "/health/live", tag = "health",
    responses((status = 200, description = "Alive", body = Health)))]
pub async fn health_live() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
    })
}

/// Readiness: the database answers and every migration is applied.
#[utoipa::path(get, path = "/health/ready", tag = "health",
    responses(
        (status = 200, description = "Ready", body = Health),
        (status = 503, description = "Not ready", body = Health,
            example = json!({"status": "database unavailable"})),
    ))]
pub async fn health_ready(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    match state.store.ready().await {
        Ok(true) => (
            StatusCode::OK,
            Json(Health {
                status: "ok".into(),
            }),
        ),
        Ok(false) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Health {
                status: "migrations pending".into(),
            }),
        ),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Health {
                status: "database unavailable".into(),
            }),
        ),
    }
}
