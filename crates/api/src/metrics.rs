//! Prometheus metrics at `GET /metrics` (text exposition format 0.0.4).
//!
//! Recorded through the [`metrics`] facade into one process-wide Prometheus recorder:
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `deskbridge_http_requests_total` | counter | `method`, `route` (the matched route template, `unmatched` otherwise), `status` |
//! | `deskbridge_http_request_duration_seconds` | histogram | `method`, `route`, `status` |
//! | `deskbridge_sync_runs_total` | counter | `linked_account`, `status` (`DONE`, `FAILED`, `RETRY`) |
//! | `deskbridge_sync_records_written_total` | counter | `linked_account`, `model` (records created or changed) |
//! | `deskbridge_provider_calls_total` | counter | `linked_account` |
//! | `deskbridge_provider_credits_total` | counter | `linked_account` |
//! | `deskbridge_provider_rate_limited_total` | counter | `linked_account` (429s met) |
//! | `deskbridge_jobs_due` / `deskbridge_jobs_running` | gauge | – (queue depth, read at scrape time) |
//! | `deskbridge_jobs_oldest_due_seconds` | gauge | – (age of the oldest due job) |
//! | `deskbridge_db_pool_connections` | gauge | `state` (`idle`, `in_use`) |
//! | `deskbridge_db_up` | gauge | – (1 when the queue figures could be read) |
//!
//! The sync counters are incremented by the sync workers of the same process (`serve`, or
//! `deskbridge worker --metrics-listen`).

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use deskbridge_store::Store;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::error::ApiError;
use crate::state::AppState;

/// The content type of the exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Latency buckets in seconds (1 ms to 10 s).
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process-wide Prometheus recorder, installed on first use. When another global
/// recorder was installed first, metrics render empty.
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let builder = || {
            PrometheusBuilder::new().set_buckets_for_metric(
                Matcher::Full("deskbridge_http_request_duration_seconds".into()),
                LATENCY_BUCKETS,
            )
        };
        let installed = builder().and_then(|b| b.install_recorder());
        match installed {
            Ok(h) => h,
            Err(e) => {
                tracing::warn!(error = %e, "cannot install the metrics recorder; /metrics stays empty");
                PrometheusBuilder::new().build_recorder().handle()
            }
        }
    })
}

/// Middleware counting every request and its latency by method, matched route and status.
pub async fn track(req: Request, next: Next) -> Response {
    let _ = handle();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let method = req.method().as_str().to_string();
    let started = Instant::now();
    let res = next.run(req).await;
    let labels = [
        ("method", method),
        ("route", route),
        ("status", res.status().as_u16().to_string()),
    ];
    metrics::counter!("deskbridge_http_requests_total", &labels).increment(1);
    metrics::histogram!("deskbridge_http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    res
}

/// Sets the queue and pool gauges from the database (at most `limit` spent on it).
pub async fn refresh_gauges(store: &Store, limit: Duration) {
    let pool = &store.pool;
    let size = f64::from(pool.size());
    let idle = pool.num_idle() as f64;
    metrics::gauge!("deskbridge_db_pool_connections", "state" => "idle").set(idle);
    metrics::gauge!("deskbridge_db_pool_connections", "state" => "in_use")
        .set((size - idle).max(0.0));
    match tokio::time::timeout(limit, store.queue_stats()).await {
        Ok(Ok(q)) => {
            metrics::gauge!("deskbridge_jobs_due").set(q.due as f64);
            metrics::gauge!("deskbridge_jobs_running").set(q.running as f64);
            metrics::gauge!("deskbridge_jobs_oldest_due_seconds").set(q.oldest_due_secs);
            metrics::gauge!("deskbridge_db_up").set(1.0);
        }
        _ => metrics::gauge!("deskbridge_db_up").set(0.0),
    }
}

/// The metrics as Prometheus text.
pub fn render() -> Response {
    let h = handle();
    h.run_upkeep();
    let mut res = (StatusCode::OK, h.render()).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    res
}

/// Prometheus metrics of this process.
///
/// Requests and latency by route and status, sync runs, records written, provider calls,
/// credits and 429s by linked account, job queue depth and age, database pool use. Its labels
/// name linked accounts of every organization, so it answers only
/// `Authorization: Bearer <DESKBRIDGE_METRICS_TOKEN>` (401 otherwise) and is off (404) when no
/// token is set. Always 200 for the token, whatever the database (its state is
/// `deskbridge_db_up`).
#[utoipa::path(get, path = "/metrics", tag = "health",
    responses(
        (status = 200, description = "Prometheus text exposition format 0.0.4", body = String,
            content_type = "text/plain; version=0.0.4; charset=utf-8",
            example = "# TYPE deskbridge_jobs_due gauge\ndeskbridge_jobs_due 0\n"),
        (status = 404, description = "Metrics are off (no DESKBRIDGE_METRICS_TOKEN)", body = deskbridge_model::common::ErrorDetail,
            example = json!({"detail": "Metrics are off: set DESKBRIDGE_METRICS_TOKEN to serve them."})),
    ))]
pub async fn metrics_text(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(expected) = state.config.metrics_token.as_deref() else {
        return ApiError::NotFound(
            "Metrics are off: set DESKBRIDGE_METRICS_TOKEN to serve them.".into(),
        )
        .into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
        .unwrap_or("");
    if !same(given.as_bytes(), expected.as_bytes()) {
        return ApiError::Unauthorized(
            "Use `Authorization: Bearer <DESKBRIDGE_METRICS_TOKEN>`.".into(),
        )
        .into_response();
    }
    refresh_gauges(&state.store, Duration::from_secs(2)).await;
    render()
}

/// Equality that takes the same time wherever the first difference is.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
