//! Deskbridge's HTTP API: Merge's Ticketing API wire format under `/api/ticketing/v1`, with
//! every route registered through utoipa's router so the OpenAPI spec cannot drift.

pub mod audit;
pub mod check_throttle;
pub mod client_ip;
pub mod cursor;
pub mod embed;
pub mod error;
pub mod extract;
pub mod failures;
pub mod filters;
pub mod idempotency;
mod limiter;
pub mod link_html;
pub mod linking;
pub mod metrics;
pub mod openapi;
pub mod params;
pub mod push;
pub mod records;
pub mod remote_fields;
pub mod routes;
pub mod state;
pub mod write_query;
pub mod write_responses;
pub mod write_steps;
pub mod writes;

pub use error::{ApiError, ApiResult};
pub use state::{ApiConfig, AppState};

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

/// The complete OpenAPI document (what `/openapi.json` serves and `openapi/` holds).
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, api) = split();
    api
}

/// The API document with the credentials of each integration of `registry` (what `/openapi.json`
/// serves, and what `openapi/` holds for the integrations `deskbridge serve` offers).
pub fn openapi_for(registry: &deskbridge_provider::Registry) -> utoipa::openapi::OpenApi {
    let mut api = openapi();
    openapi::credentials(&mut api, registry);
    api
}

fn split() -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    let mut doc = openapi::ApiDoc::openapi();
    doc.merge(deskbridge_model::ModelSchemas::openapi());
    let (router, mut api) = OpenApiRouter::with_openapi(doc)
        .merge(routes::api_routes())
        .routes(utoipa_axum::routes!(metrics::metrics_text))
        .split_for_parts();
    openapi::finish(&mut api);
    routes::webhooks::describe_deliveries_page(&mut api);
    extract::document_rate_limit_headers(&mut api);
    (router, api)
}

/// Ends a request that takes longer than `limit` with a 503 `{"detail"}` (and `Retry-After`),
/// as documented for every operation.
async fn timeout(
    limit: std::time::Duration,
    req: axum::http::Request<axum::body::Body>,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let path = req.uri().path().to_string();
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        // The health checks answer in their own shape.
        Err(_) if path.starts_with("/health/") => (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({ "status": "request timed out" })),
        )
            .into_response(),
        Err(_) => ApiError::Unavailable.into_response(),
    }
}

/// A documented path with another method: 405 `{"detail"}`.
async fn method_not_allowed(
    method: axum::http::Method,
    uri: axum::http::Uri,
) -> axum::response::Response {
    let detail = format!(
        "Method `{method}` is not allowed on `{}`. See /docs.",
        uri.path()
    );
    (
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        axum::Json(serde_json::json!({ "detail": detail })),
    )
        .into_response()
}

/// A Merge ticketing path no offered integration supports: 404 naming the integrations
/// (each adapter lists its own unsupported paths) and their provider docs.
async fn fallback(
    State(state): State<AppState>,
    method: axum::http::Method,
    uri: axum::http::Uri,
) -> impl IntoResponse {
    let path = uri.path();
    let all = state.providers.all();
    let unsupported = |rest: &str| -> Option<&'static str> {
        let mut found = None;
        for i in all {
            let hit = i
                .unsupported_paths()
                .iter()
                .find(|p| rest == **p || rest.starts_with(&format!("{p}/")))?;
            found = Some(*hit);
        }
        found
    };
    let names = || {
        let names: Vec<&str> = all.iter().map(|i| i.info().name).collect();
        names.join(" and ")
    };
    if let Some(rest) = path.strip_prefix("/api/ticketing/v1/")
        && let Some(what) = unsupported(rest)
    {
        let docs: Vec<String> = all
            .iter()
            .map(|i| format!("docs/providers/{}.md", i.info().slug))
            .collect();
        return ApiError::NotFound(format!(
            "`{method} /api/ticketing/v1/{what}` is not supported by Deskbridge's {} integration;              see {}.",
            names(),
            docs.join(", ")
        ));
    }
    if method == axum::http::Method::POST && path == "/api/ticketing/v1/attachments" {
        return ApiError::NotFound(format!(
            "Creating attachments is not supported by Deskbridge's {} integration.",
            names()
        ));
    }
    ApiError::NotFound(format!(
        "No endpoint `{method} {path}`. See /docs for the endpoints."
    ))
}

async fn index() -> Html<&'static str> {
    Html(include_str!("../assets/index.html"))
}

/// The span of one request: its method and matched route (e.g. `/link/{link_token}`), never
/// the raw path and query of a matched route, which may carry link or public tokens.
fn request_span(req: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let route = match req.extensions().get::<axum::extract::MatchedPath>() {
        Some(p) => p.as_str().to_string(),
        None => req.uri().path().to_string(),
    };
    tracing::debug_span!("request", method = %req.method(), route = %route)
}

/// Builds the whole HTTP application.
pub fn app(state: AppState) -> Router {
    let (router, mut api) = split();
    openapi::credentials(&mut api, &state.providers);
    let body_limit = state.config.body_limit;
    let request_timeout = state.config.request_timeout;
    router
        .route("/", get(index))
        .merge(
            SwaggerUi::new("/docs").url("/openapi.json", api).config(
                // Everything from Deskbridge: no online validator badge.
                utoipa_swagger_ui::Config::default()
                    .validator_url("none")
                    .persist_authorization(false)
                    .display_request_duration(true)
                    .filter(true),
            ),
        )
        .fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn(move |req, next| {
            timeout(request_timeout, req, next)
        }))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(axum::middleware::from_fn(metrics::track))
        .with_state(state)
}
