//! The event catalogue, Merge-format payloads, and the queueing of sync events into the outbox.

use chrono::{SecondsFormat, Utc};
use deskbridge_model::ModelKind;
use deskbridge_store::WebhookEndpointId;
use deskbridge_store::accounts::LinkedAccount;
use deskbridge_store::changed_data::RecordChange;
use deskbridge_store::sync_state::SyncRun;
use deskbridge_store::webhooks::PendingEvent;
use deskbridge_store::{Store, StoreError};
use serde_json::{Value, json};
use tracing::warn;

/// Linked-account events (Merge's names).
pub const LINKED_ACCOUNT_EVENTS: &[&str] = &[
    "LinkedAccount.linked",
    "LinkedAccount.sync_completed",
    "LinkedAccount.deleted",
    "LinkedAccount.relink_needed",
    "LinkedAccount.helpdesk_changed",
];

/// Every event name an endpoint may subscribe to: the linked-account events, and for every
/// common model `{Model}.synced` and the changed-data events `{Model}.added`,
/// `{Model}.changed` and `{Model}.removed` (queued by the store's record writes).
pub fn event_names() -> Vec<String> {
    let mut out: Vec<String> = LINKED_ACCOUNT_EVENTS
        .iter()
        .map(|s| s.to_string())
        .collect();
    out.extend(
        ModelKind::ALL
            .iter()
            .map(|k| format!("{}.synced", k.name())),
    );
    for kind in ModelKind::ALL {
        out.extend(RecordChange::ALL.iter().map(|c| c.event(kind)));
    }
    out
}

/// Merge's `linked_account` object of a payload (identifying fields only).
pub fn linked_account_json(la: &LinkedAccount) -> Value {
    la.webhook_json()
}

fn ts(t: chrono::DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// What one sync run changed in one model, as the sync events report it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ModelChanges {
    /// New records written.
    pub created: u64,
    /// Records whose content changed.
    pub updated: u64,
    /// Records marked deleted.
    pub deleted: u64,
}

/// Queues `LinkedAccount.sync_completed` for a finished run, and `{Model}.synced` for every
/// model the run created, updated or deleted records of (every model on the initial sync),
/// each with the counts and a `modified_after` bookmark (the run's start: pass it as
/// `modified_after` to read exactly what changed since). Failures are logged, not returned:
/// a sync never fails because of its webhooks.
pub async fn sync_completed(
    store: &Store,
    account: &LinkedAccount,
    run: &SyncRun,
    changes: &[(ModelKind, ModelChanges)],
) {
    if let Err(e) = queue_sync_events(store, account, run, changes).await {
        warn!(error = %e, linked_account = %account.id, "cannot queue sync webhooks");
    }
}

async fn queue_sync_events(
    store: &Store,
    account: &LinkedAccount,
    run: &SyncRun,
    changes: &[(ModelKind, ModelChanges)],
) -> Result<(), StoreError> {
    let la = linked_account_json(account);
    let bookmark = ts(run.started_at);
    let finished = ts(Utc::now());
    let models: serde_json::Map<String, Value> = changes
        .iter()
        .map(|(k, c)| {
            (
                k.name().to_string(),
                json!({"created": c.created, "updated": c.updated, "deleted": c.deleted}),
            )
        })
        .collect();
    let data = json!({
        "sync_run_id": run.id,
        "status": "DONE",
        "is_initial_sync": run.is_initial,
        "started_at": bookmark,
        "finished_at": finished,
        "modified_after": bookmark,
        "models": models,
    });
    let queued = store
        .enqueue_webhook_event(
            account.organization_id,
            "LinkedAccount.sync_completed",
            Some(account.id),
            &la,
            &data,
        )
        .await?;
    if !queued {
        return Ok(()); // nobody listens
    }
    for (kind, c) in changes {
        if c.created + c.updated + c.deleted == 0 && !run.is_initial {
            continue;
        }
        let data = json!({
            "model_name": kind.name(),
            "model_id": kind.model_id(),
            "sync_run_id": run.id,
            "is_initial_sync": run.is_initial,
            "created": c.created,
            "updated": c.updated,
            "deleted": c.deleted,
            "modified_after": bookmark,
        });
        let event = format!("{}.synced", kind.name());
        store
            .enqueue_webhook_event(
                account.organization_id,
                &event,
                Some(account.id),
                &la,
                &data,
            )
            .await?;
    }
    Ok(())
}

/// Merge's payload: `{hook: {id, event, target}, linked_account, data}`.
pub fn payload(ev: &PendingEvent, endpoint: WebhookEndpointId, url: &str) -> String {
    json!({
        "hook": {"id": endpoint, "event": ev.event, "target": url},
        "linked_account": ev.linked_account,
        "data": ev.data,
    })
    .to_string()
}
