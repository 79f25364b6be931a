//! Sync status of a linked account's models (`/sync-status`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::common::Paginated;
use crate::enums::wire_enum;

wire_enum! {
    /// The status of a model's sync, and the result of its last sync.
    SyncStatusEnum {
        /// `SYNCING`
        Syncing = "SYNCING",
        /// `DONE`
        Done = "DONE",
        /// `FAILED`
        Failed = "FAILED",
        /// `DISABLED`
        Disabled = "DISABLED",
        /// `PAUSED`
        Paused = "PAUSED",
        /// `PARTIALLY_SYNCED`
        PartiallySynced = "PARTIALLY_SYNCED",
    }
}

wire_enum! {
    /// Why a sync is in its status.
    SyncStatusReasonEnum {
        /// `RATE_LIMITED`
        RateLimited = "RATE_LIMITED",
        /// `WAITING_ON_OTHER_MODELS`
        WaitingOnOtherModels = "WAITING_ON_OTHER_MODELS",
    }
}

wire_enum! {
    /// Which sync uses the selective-sync configuration.
    SelectiveSyncConfigurationsUsageEnum {
        /// `IN_NEXT_SYNC`
        InNextSync = "IN_NEXT_SYNC",
        /// `IN_LAST_SYNC`
        InLastSync = "IN_LAST_SYNC",
    }
}

/// The sync state of one model of a linked account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "model_name": "Ticket",
    "model_id": "ticketing.Ticket",
    "last_sync_start": "2021-03-30T19:44:18.695973Z",
    "next_sync_start": "2021-03-30T20:44:18.662942Z",
    "last_sync_result": "DONE",
    "last_sync_finished": "2021-03-30T19:45:01.123456Z",
    "data_fresh_as_of": "2021-03-30T19:44:18.695973Z",
    "historical_data_since": null,
    "status": "DONE",
    "sync_status_reason": null,
    "is_initial_sync": false
}))]
pub struct SyncStatus {
    /// The model's name, e.g. `Ticket`.
    pub model_name: String,
    /// The model's id, e.g. `ticketing.Ticket`.
    pub model_id: String,
    /// When the last sync started.
    #[serde(default)]
    pub last_sync_start: Option<DateTime<Utc>>,
    /// When the next sync is due to start.
    #[serde(default)]
    pub next_sync_start: Option<DateTime<Utc>>,
    /// How the last sync ended.
    #[serde(default)]
    pub last_sync_result: Option<SyncStatusEnum>,
    /// When the last sync finished.
    #[serde(default)]
    pub last_sync_finished: Option<DateTime<Utc>>,
    /// The data is up to date as of this time.
    #[serde(default)]
    pub data_fresh_as_of: Option<DateTime<Utc>>,
    /// The oldest data synced is from this time.
    #[serde(default)]
    pub historical_data_since: Option<DateTime<Utc>>,
    /// The sync's current status.
    pub status: SyncStatusEnum,
    /// Why the sync is in its status.
    #[serde(default)]
    pub sync_status_reason: Option<SyncStatusReasonEnum>,
    /// Whether the first full sync is still running.
    pub is_initial_sync: bool,
    /// Which sync uses the selective-sync configuration; omitted when none does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selective_sync_configurations_usage: Option<SelectiveSyncConfigurationsUsageEnum>,
}

/// A page of sync statuses; schema `PaginatedSyncStatusList`.
pub type PaginatedSyncStatusList = Paginated<SyncStatus>;
