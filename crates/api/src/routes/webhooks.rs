//! Webhook receiver endpoints of the organization (Deskbridge's extension path
//! `/api/deskbridge/v1/webhook-endpoints`; Merge's `/webhook-receivers` is another thing):
//! list, create (the signing secret is shown once), change, delete, and the delivery log.
//! Events and payloads are described in `docs/WEBHOOKS.md`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use deskbridge_model::common::ErrorDetail;
use deskbridge_store::webhooks::{DeliveryRow, WebhookEndpoint as StoredEndpoint};
use deskbridge_store::{LinkedAccountId, WebhookEndpointId};
use deskbridge_webhooks::{check_receiver_url_resolved, event_names, new_secret};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::cursor::{Cursor, bounds, paginate};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, OrgAuth, Parsed};
use crate::params::{self, FromQuery};
use crate::state::AppState;

/// A receiver endpoint (its secret is shown only when it is created).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhookEndpoint {
    /// Its id (`hook.id` in payloads).
    #[schema(value_type = Uuid)]
    pub id: WebhookEndpointId,
    /// Where events are POSTed.
    pub url: String,
    /// The events it receives; empty: every event.
    pub events: Vec<String>,
    /// A label.
    pub description: Option<String>,
    /// False once disabled after sustained failure (create a new endpoint to resume).
    pub is_active: bool,
    /// Why it was disabled.
    pub disabled_reason: Option<String>,
    /// Since when it has been failing (null after a success).
    pub failing_since: Option<DateTime<Utc>>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Also receives the changed-data events (`{Model}.added`, …) of an account's initial
    /// sync, one per record; false: only changes after the first sync completed.
    pub include_initial_sync: bool,
}

impl From<StoredEndpoint> for WebhookEndpoint {
    fn from(e: StoredEndpoint) -> Self {
        WebhookEndpoint {
            id: e.id,
            url: e.url,
            events: e.events,
            description: e.description,
            is_active: e.is_active,
            disabled_reason: e.disabled_reason,
            failing_since: e.failing_since,
            created_at: e.created_at,
            include_initial_sync: e.include_initial_sync,
        }
    }
}

/// A new endpoint.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(example = json!({"url": "https://app.example.com/merge-webhooks", "events": ["LinkedAccount.sync_completed", "Ticket.changed", "Comment.added"], "include_initial_sync": false}))]
pub struct WebhookEndpointRequest {
    /// An absolute http(s) URL on a public address (private and loopback addresses only
    /// when allowed with `DESKBRIDGE_ALLOW_WEBHOOK_HOSTS`).
    pub url: String,
    /// Events to receive (see docs/WEBHOOKS.md); absent or empty: every event.
    #[serde(default)]
    pub events: Option<Vec<String>>,
    /// A label.
    #[serde(default)]
    pub description: Option<String>,
    /// Also receive the changed-data events (`{Model}.added`, …) of an account's initial
    /// sync: one event per record of the helpdesk. Default false: only changes made after
    /// the account's first sync completed.
    #[serde(default)]
    pub include_initial_sync: Option<bool>,
}

/// Changes to an endpoint; absent members keep their value.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(example = json!({"events": ["Ticket.added", "Ticket.changed", "Ticket.removed"], "include_initial_sync": true}))]
pub struct WebhookEndpointPatch {
    /// Events to receive (see docs/WEBHOOKS.md); empty: every event.
    #[serde(default)]
    pub events: Option<Vec<String>>,
    /// A label (blank: none).
    #[serde(default)]
    pub description: Option<String>,
    /// Also receive the changed-data events of accounts' initial syncs (from now on).
    #[serde(default)]
    pub include_initial_sync: Option<bool>,
}

/// A created endpoint, with its signing secret (shown this once).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhookEndpointCreated {
    /// The endpoint.
    #[serde(flatten)]
    pub endpoint: WebhookEndpoint,
    /// The signing secret (`whsec_…`): the key of `X-Merge-Webhook-Signature` (the whole
    /// string) and of the Standard Webhooks `webhook-signature` (its base64 part).
    pub secret: String,
}

/// The organization's endpoints.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhookEndpointList {
    /// Oldest first.
    pub results: Vec<WebhookEndpoint>,
}

/// One attempt to deliver an event.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhookAttempt {
    /// 1 for the first attempt.
    pub attempt: i32,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// How long it took, in milliseconds.
    pub duration_ms: i32,
    /// The receiver's HTTP status, if it answered.
    pub response_status: Option<i32>,
    /// Why it failed without an answer.
    pub error: Option<String>,
    /// The start of the receiver's answer (at most 1 KiB).
    pub response_body: Option<String>,
    /// A 2xx answer.
    pub succeeded: bool,
}

/// One event for the endpoint, with every attempt.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhookDelivery {
    /// Its id: the `webhook-id` header of every attempt.
    pub id: Uuid,
    /// The event name.
    pub event: String,
    /// The linked account it is about.
    #[schema(value_type = Option<Uuid>)]
    pub linked_account_id: Option<LinkedAccountId>,
    /// `pending`, `delivered`, `failed` (schedule exhausted) or `cancelled` (endpoint disabled).
    pub status: String,
    /// Attempts made.
    pub attempts: i32,
    /// When the next attempt is due (while pending).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The last failure.
    pub last_error: Option<String>,
    /// When the event was queued for the endpoint.
    pub created_at: DateTime<Utc>,
    /// When it was delivered or given up.
    pub finished_at: Option<DateTime<Utc>>,
    /// Every attempt, in order.
    pub attempt_log: Vec<WebhookAttempt>,
}

/// A page of deliveries, oldest first; schema `PaginatedWebhookDeliveryList`.
pub type PaginatedWebhookDeliveryList = deskbridge_model::common::Paginated<WebhookDelivery>;

/// Words the delivery page's schema as it was before it became a `Paginated`: a log read
/// oldest first, whose cursors are Deskbridge's own (the Merge-style cursor example of the
/// model's pages is left out).
pub fn describe_deliveries_page(api: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::Schema;
    let page = api
        .components
        .as_mut()
        .and_then(|c| c.schemas.get_mut("PaginatedWebhookDeliveryList"));
    let Some(RefOr::T(Schema::Object(page))) = page else {
        return;
    };
    page.description = Some("A page of deliveries.".into());
    for (name, text) in [
        ("next", "Cursor of the next page."),
        ("previous", "Cursor of the previous page."),
        ("results", "Oldest first."),
    ] {
        match page.properties.get_mut(name) {
            Some(RefOr::T(Schema::Object(o))) => {
                o.description = Some(text.into());
                o.examples.clear();
            }
            Some(RefOr::T(Schema::Array(a))) => a.description = Some(text.into()),
            _ => {}
        }
    }
}

/// Paging of the delivery log.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryParams {
    /// The pagination cursor (`next` or `previous` of a page).
    pub cursor: Option<String>,
    /// Page size (1–100, default 100).
    #[param(value_type = Option<i32>, minimum = 1, maximum = 100)]
    pub page_size: Option<String>,
}

/// The delivery log's paging, parsed.
#[derive(Debug)]
pub struct DeliveryQuery {
    limit: i64,
    cursor: Option<Cursor>,
}

impl FromQuery for DeliveryQuery {
    type Raw = DeliveryParams;

    fn parse(p: DeliveryParams) -> Result<Self, ApiError> {
        Ok(DeliveryQuery {
            limit: params::page_size(&p.page_size)?,
            cursor: Cursor::from_param(&p.cursor)?,
        })
    }
}

fn no_such_endpoint() -> ApiError {
    ApiError::NotFound("No webhook endpoint matches the given id.".into())
}

fn endpoint_id(id: &str) -> ApiResult<WebhookEndpointId> {
    id.parse().map_err(|_| no_such_endpoint())
}

/// A store error about one endpoint: a missing endpoint is named as such (not "Not found.").
fn endpoint_error(e: deskbridge_store::StoreError) -> ApiError {
    match e {
        deskbridge_store::StoreError::NotFound => no_such_endpoint(),
        other => other.into(),
    }
}

/// Lists the organization's webhook endpoints.
#[utoipa::path(
    get,
    path = "/api/deskbridge/v1/webhook-endpoints",
    tag = "webhook-endpoints",
    responses(
        (status = 200, description = "The endpoints", body = WebhookEndpointList),
    ),
    security(("bearerAuth" = []))
)]
pub async fn webhook_endpoints_list(
    State(state): State<AppState>,
    auth: OrgAuth,
) -> ApiResult<Json<WebhookEndpointList>> {
    let rows = state.store.list_webhook_endpoints(auth.org.id).await?;
    Ok(Json(WebhookEndpointList {
        results: rows.into_iter().map(Into::into).collect(),
    }))
}

/// The longest accepted endpoint description, in characters (it is shown in lists).
const MAX_DESCRIPTION: usize = 1024;
/// Endpoints per organization: each event is delivered to each endpoint, so their number
/// bounds the work one organization's event makes.
const MAX_ENDPOINTS: i64 = 50;

/// The events sorted, once each, all known (a 400 listing the known ones otherwise).
fn checked_events(mut events: Vec<String>) -> ApiResult<Vec<String>> {
    let known = event_names();
    events.sort();
    events.dedup();
    if let Some(bad) = events.iter().find(|e| !known.contains(e)) {
        return Err(ApiError::bad(format!(
            "Unknown event `{bad}`; known events: {}.",
            known.join(", ")
        )));
    }
    Ok(events)
}

/// The description trimmed (none when blank), at most [`MAX_DESCRIPTION`] characters.
fn checked_description(description: Option<&str>) -> ApiResult<Option<&str>> {
    let description = description.map(str::trim).filter(|d| !d.is_empty());
    if description.is_some_and(|d| d.chars().count() > MAX_DESCRIPTION) {
        return Err(ApiError::bad(format!(
            "`description` must be at most {MAX_DESCRIPTION} characters."
        )));
    }
    Ok(description)
}

/// Creates a webhook endpoint (at most 50 per organization; a description of at most 1,024
/// characters). The answer holds its signing secret, shown this once.
#[utoipa::path(
    post,
    path = "/api/deskbridge/v1/webhook-endpoints",
    tag = "webhook-endpoints",
    request_body = WebhookEndpointRequest,
    responses(
        (status = 201, description = "Created; keep the secret", body = WebhookEndpointCreated),
        (status = 400, description = "A URL that is not allowed, an unknown event, a description over 1,024 characters, or the organization's 50 endpoints reached; the detail names the field", body = ErrorDetail),
    ),
    security(("bearerAuth" = []))
)]
pub async fn webhook_endpoints_create(
    State(state): State<AppState>,
    auth: OrgAuth,
    ApiJson(body): ApiJson<WebhookEndpointRequest>,
) -> ApiResult<(StatusCode, Json<WebhookEndpointCreated>)> {
    let url = check_receiver_url_resolved(&body.url, &state.config.webhook_allowed_hosts)
        .await
        .map_err(|why| ApiError::bad(format!("The webhook URL is not allowed: {why}.")))?;
    let events = checked_events(body.events.clone().unwrap_or_default())?;
    let secret = new_secret();
    let description = checked_description(body.description.as_deref())?;
    let stored = state
        .store
        .create_webhook_endpoint_with(
            auth.org.id,
            url.as_str(),
            &events,
            description,
            body.include_initial_sync.unwrap_or(false),
            &secret,
            MAX_ENDPOINTS,
        )
        .await?
        .ok_or_else(|| {
            ApiError::bad(format!(
                "An organization has at most {MAX_ENDPOINTS} webhook endpoints; delete one first."
            ))
        })?;
    Ok((
        StatusCode::CREATED,
        Json(WebhookEndpointCreated {
            endpoint: stored.into(),
            secret,
        }),
    ))
}

/// Deletes a webhook endpoint with its pending deliveries and its delivery log.
#[utoipa::path(
    delete,
    path = "/api/deskbridge/v1/webhook-endpoints/{id}",
    tag = "webhook-endpoints",
    params(("id" = Uuid, Path, description = "The endpoint's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such endpoint", body = ErrorDetail),
    ),
    security(("bearerAuth" = []))
)]
pub async fn webhook_endpoints_destroy(
    State(state): State<AppState>,
    auth: OrgAuth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id = endpoint_id(&id)?;
    state
        .store
        .delete_webhook_endpoint(auth.org.id, id)
        .await
        .map_err(endpoint_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Changes what a webhook endpoint receives: its events, its description, and whether it
/// receives the changed-data events of accounts' initial syncs. Events already queued for it
/// are delivered as they were.
#[utoipa::path(
    patch,
    path = "/api/deskbridge/v1/webhook-endpoints/{id}",
    tag = "webhook-endpoints",
    params(("id" = Uuid, Path, description = "The endpoint's id")),
    request_body = WebhookEndpointPatch,
    responses(
        (status = 200, description = "The endpoint as changed", body = WebhookEndpoint),
        (status = 400, description = "An unknown event or a description over 1,024 characters; the detail names the field", body = ErrorDetail),
        (status = 404, description = "No such endpoint", body = ErrorDetail),
    ),
    security(("bearerAuth" = []))
)]
pub async fn webhook_endpoints_partial_update(
    State(state): State<AppState>,
    auth: OrgAuth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<WebhookEndpointPatch>,
) -> ApiResult<Json<WebhookEndpoint>> {
    let id = endpoint_id(&id)?;
    let events = body.events.clone().map(checked_events).transpose()?;
    let description = match body.description.as_deref() {
        Some(d) => Some(checked_description(Some(d))?),
        None => None,
    };
    let stored = state
        .store
        .update_webhook_endpoint(
            auth.org.id,
            id,
            events.as_deref(),
            description,
            body.include_initial_sync,
        )
        .await
        .map_err(endpoint_error)?;
    Ok(Json(stored.into()))
}

fn delivery(d: DeliveryRow, attempts: Vec<WebhookAttempt>) -> WebhookDelivery {
    WebhookDelivery {
        id: d.id,
        event: d.event,
        linked_account_id: d.linked_account_id,
        next_attempt_at: (d.status == "pending").then_some(d.next_attempt_at),
        status: d.status,
        attempts: d.attempts,
        last_error: d.last_error,
        created_at: d.created_at,
        finished_at: d.finished_at,
        attempt_log: attempts,
    }
}

/// The endpoint's deliveries, each with every attempt (status, duration, error, the start
/// of the answer), oldest first.
#[utoipa::path(
    get,
    path = "/api/deskbridge/v1/webhook-endpoints/{id}/deliveries",
    tag = "webhook-endpoints",
    params(("id" = Uuid, Path, description = "The endpoint's id"), DeliveryParams),
    responses(
        (status = 200, description = "A page of deliveries", body = PaginatedWebhookDeliveryList),
        (status = 400, description = "A query value is invalid", body = ErrorDetail),
        (status = 404, description = "No such endpoint", body = ErrorDetail),
    ),
    security(("bearerAuth" = []))
)]
pub async fn webhook_endpoints_deliveries_list(
    State(state): State<AppState>,
    auth: OrgAuth,
    Path(id): Path<String>,
    Parsed(DeliveryQuery { limit, cursor }): Parsed<DeliveryQuery>,
) -> ApiResult<Json<PaginatedWebhookDeliveryList>> {
    let id = endpoint_id(&id)?;
    state
        .store
        .webhook_endpoint(auth.org.id, id)
        .await
        .map_err(endpoint_error)?;
    let (after, before) = bounds(cursor);
    let rows = state
        .store
        .webhook_deliveries(auth.org.id, id, after, before, limit + 1)
        .await?;
    let (rows, next, previous) =
        paginate(rows, limit, cursor, |d: &DeliveryRow| (d.created_at, d.id));
    let ids: Vec<Uuid> = rows.iter().map(|d| d.id).collect();
    let attempts = state.store.webhook_attempts(auth.org.id, &ids).await?;
    let results = rows
        .into_iter()
        .map(|d| {
            let mine: Vec<WebhookAttempt> = attempts
                .iter()
                .filter(|a| a.delivery_id == d.id)
                .map(|a| WebhookAttempt {
                    attempt: a.attempt,
                    started_at: a.started_at,
                    duration_ms: a.duration_ms,
                    response_status: a.response_status,
                    error: a.error.clone(),
                    response_body: a.response_body.clone(),
                    succeeded: a.succeeded,
                })
                .collect();
            delivery(d, mine)
        })
        .collect();
    Ok(Json(PaginatedWebhookDeliveryList {
        next,
        previous,
        results,
    }))
}
