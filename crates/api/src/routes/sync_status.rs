//! Merge's `/sync-status` and `/sync-status/resync`.

use axum::Json;
use axum::extract::State;
use chrono::Utc;
use deskbridge_model::common::ErrorDetail;
use deskbridge_model::sync::{SyncStatus, SyncStatusEnum, SyncStatusReasonEnum};
use deskbridge_model::{ModelKind, PaginatedSyncStatusList, WireEnum};
use deskbridge_store::jobs::SYNC;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::audit;
use crate::client_ip::ClientIp;
use crate::error::{ApiError, ApiResult};
use crate::extract::{AccountAuth, OrgAuth, Parsed};
use crate::params::{self, FromQuery};
use crate::state::AppState;
use deskbridge_model::audit::EventTypeEnum;

/// Paging of `/sync-status` (every model fits one page).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SyncStatusParams {
    /// The pagination cursor (unused: one page holds every model).
    pub cursor: Option<String>,
    /// Page size (1–100).
    #[param(value_type = Option<i32>, minimum = 1, maximum = 100)]
    pub page_size: Option<String>,
}

/// `/sync-status`'s query, parsed: only checked, as one page holds every model.
pub struct SyncStatusQuery;

impl FromQuery for SyncStatusQuery {
    type Raw = SyncStatusParams;

    fn parse(p: SyncStatusParams) -> Result<Self, ApiError> {
        params::page_size(&p.page_size)?;
        Ok(SyncStatusQuery)
    }
}

/// The sync status of each model of the account.
pub async fn statuses(state: &AppState, auth: &AccountAuth) -> ApiResult<Vec<SyncStatus>> {
    let la = &auth.account;
    let runs = state.store.recent_runs(auth.org.id, la.id, 20).await?;
    let supported = state.providers.supported_models(&la.integration);
    let active = state.store.active_jobs(la.id).await?;
    let next_job = state.store.next_job_at(la.id).await?;
    let current = runs.first();
    let last_finished = runs.iter().find(|r| r.finished_at.is_some());
    let last_done = runs.iter().find(|r| r.status == "DONE");
    let interval = chrono::Duration::from_std(state.config.sync_interval).unwrap_or_default();
    let next_sync_start = next_job.or_else(|| current.map(|r| r.started_at + interval));
    let mut out = Vec::new();
    for kind in ModelKind::ALL {
        let model_name = kind.name().to_string();
        let model_id = kind.model_id();
        if !supported.contains(&kind) {
            out.push(SyncStatus {
                model_name,
                model_id,
                last_sync_start: None,
                next_sync_start: None,
                last_sync_result: None,
                last_sync_finished: None,
                data_fresh_as_of: None,
                historical_data_since: None,
                status: SyncStatusEnum::Disabled,
                sync_status_reason: None,
                is_initial_sync: false,
                selective_sync_configurations_usage: None,
            });
            continue;
        }
        let running = current.filter(|r| r.finished_at.is_none());
        let status = match (running, current) {
            (Some(_), _) => SyncStatusEnum::Syncing,
            (None, Some(r)) if la.status == "RELINK_NEEDED" || r.status == "FAILED" => {
                SyncStatusEnum::Failed
            }
            (None, Some(r)) => {
                SyncStatusEnum::parse_wire(&r.status).unwrap_or(SyncStatusEnum::Done)
            }
            (None, None) if active > 0 => SyncStatusEnum::Syncing,
            (None, None) => SyncStatusEnum::Paused,
        };
        let reason = running
            .and_then(|r| r.reason.as_deref())
            .and_then(|r| SyncStatusReasonEnum::parse_wire(r).ok());
        out.push(SyncStatus {
            model_name,
            model_id,
            last_sync_start: current.map(|r| r.started_at),
            next_sync_start,
            last_sync_result: last_finished
                .and_then(|r| SyncStatusEnum::parse_wire(&r.status).ok()),
            last_sync_finished: last_finished.and_then(|r| r.finished_at),
            data_fresh_as_of: last_done.map(|r| r.started_at),
            historical_data_since: None,
            status,
            sync_status_reason: reason,
            is_initial_sync: current
                .map(|r| r.is_initial && r.finished_at.is_none())
                .unwrap_or(active > 0),
            selective_sync_configurations_usage: None,
        });
    }
    Ok(out)
}

/// The sync status of every model of the linked account. Poll it until `DONE`.
#[utoipa::path(
    get,
    path = "/api/ticketing/v1/sync-status",
    tag = "sync-status",
    params(SyncStatusParams),
    responses(
        (status = 200, description = "Every model's sync status", body = PaginatedSyncStatusList),
        (status = 400, description = "A query value is invalid", body = ErrorDetail),
    ),
    security(("bearerAuth" = [], "accountToken" = []))
)]
pub async fn sync_status_list(
    State(state): State<AppState>,
    auth: AccountAuth,
    Parsed(SyncStatusQuery): Parsed<SyncStatusQuery>,
) -> ApiResult<Json<PaginatedSyncStatusList>> {
    let results = statuses(&state, &auth).await?;
    Ok(Json(PaginatedSyncStatusList {
        next: None,
        previous: None,
        results,
    }))
}

/// Queues a sync of the linked account now and answers at once.
#[utoipa::path(
    post,
    path = "/api/ticketing/v1/sync-status/resync",
    tag = "force-resync",
    responses(
        (status = 200, description = "The sync is queued; the models' statuses", body = Vec<SyncStatus>),
    ),
    security(("bearerAuth" = [], "accountToken" = []))
)]
pub async fn sync_status_resync_create(
    State(state): State<AppState>,
    auth: AccountAuth,
    key: OrgAuth,
    ClientIp(ip): ClientIp,
) -> ApiResult<Json<Vec<SyncStatus>>> {
    state
        .store
        .enqueue_job(auth.account.id, SYNC, Utc::now())
        .await?;
    let description = format!("Forced a resync of linked account {}.", auth.account.id);
    let event = EventTypeEnum::ForcedLinkedAccountResync;
    audit::record_by_key(&state, &key, ip, event, description).await;
    let mut list = statuses(&state, &auth).await?;
    for s in &mut list {
        if s.status != SyncStatusEnum::Disabled {
            s.status = SyncStatusEnum::Syncing;
        }
    }
    Ok(Json(list))
}
