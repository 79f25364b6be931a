//! One sync run of one linked account: every stream, page by page, with a checkpoint after
//! each page, exact upserts, shells for references, children of changed tickets, and
//! deletions applied only when the whole run succeeded.

use std::collections::BTreeMap;
use std::sync::Arc;

use deskbridge_model::ModelKind;
use deskbridge_provider::{FetchBatch, ProviderError, StreamMode, TicketingProvider};
use deskbridge_store::sync_state::RunTotals;
use deskbridge_store::{LinkedAccountId, Store};
use tracing::{info, instrument};
use uuid::Uuid;

use crate::children::{ChildrenTask, sync_children};
use crate::write::{AbortOnDrop, Known, fence, write_batch};
pub use crate::write::{Counts, ModelCounts, SyncError, metrics_label, write_records};

/// Runs (or resumes) a sync of `linked_account` with `provider`.
#[instrument(skip_all, fields(run = &run.simple().to_string()[..8]))]
pub async fn sync_account(
    store: &Store,
    provider: &Arc<dyn TicketingProvider>,
    linked_account: LinkedAccountId,
    run: Uuid,
    reconcile_every: std::time::Duration,
    counts: &mut Counts,
) -> Result<(), SyncError> {
    let mut deferred: Vec<(ModelKind, Vec<String>)> = Vec::new();
    let known = Known::default();
    for stream in provider.streams() {
        match stream.mode {
            StreamMode::Incremental | StreamMode::Deletions => {
                let cp = store.checkpoint(linked_account, stream.name).await?;
                let mut batch = provider.fetch(stream.name, cp.as_ref()).await?;
                // The children of the tickets each page queues are fetched and written by one
                // walk of the queue, in a task of its own, while the next pages are written:
                // the worker's CPU, the database and the helpdesk's answers overlap instead of
                // taking turns. The queue is durable, so the checkpoint need not wait for them.
                let mut children =
                    ChildrenTask::spawn(store, provider, linked_account, run, &known);
                loop {
                    // The next page is read, in a task of its own (both cores), while this
                    // one is written. The checkpoint is saved only after the page is written,
                    // so a run killed here reads the next page again; a failed write drops
                    // (and so cancels) the read.
                    let next = (!batch.done).then(|| {
                        let provider = Arc::clone(provider);
                        let name = stream.name;
                        let cp = batch.checkpoint.clone();
                        AbortOnDrop(tokio::spawn(async move {
                            provider.fetch(name, cp.as_ref()).await
                        }))
                    });
                    fence(store, linked_account, run).await?;
                    let FetchBatch {
                        records,
                        deleted,
                        checkpoint,
                        ..
                    } = batch;
                    write_batch(store, linked_account, records, deleted, counts, &known).await?;
                    children = children.page_written(counts).await?;
                    store
                        .save_checkpoint(linked_account, stream.name, checkpoint.as_ref(), run)
                        .await?;
                    let Some(next) = next else {
                        children.finish(counts).await?;
                        break;
                    };
                    batch = next.join().await.map_err(|e| {
                        ProviderError::Transient(format!("the page fetch stopped: {e}"))
                    })??;
                }
            }
            StreamMode::Full => {
                let mut cp = None;
                let mut seen: BTreeMap<ModelKind, Vec<String>> = BTreeMap::new();
                loop {
                    let batch = provider.fetch(stream.name, cp.as_ref()).await?;
                    for r in &batch.records {
                        seen.entry(r.kind).or_default().push(r.remote_id.clone());
                    }
                    fence(store, linked_account, run).await?;
                    write_batch(
                        store,
                        linked_account,
                        batch.records,
                        batch.deleted,
                        counts,
                        &known,
                    )
                    .await?;
                    cp = batch.checkpoint;
                    if batch.done {
                        break;
                    }
                }
                for kind in &stream.kinds {
                    deferred.push((*kind, seen.remove(kind).unwrap_or_default()));
                }
            }
        }
        info!(stream = stream.name, "stream synced");
    }
    sync_children(store, provider, linked_account, run, None, counts, &known).await?;
    let metadata = provider.metadata().await?;
    fence(store, linked_account, run).await?;
    for (key, value) in metadata {
        store.save_metadata(linked_account, &key, &value).await?;
    }
    // Only a run that got here completely may conclude that unseen records are gone.
    for (kind, seen) in deferred {
        let n = store
            .mark_missing_deleted(linked_account, kind, &seen)
            .await?;
        counts.entry(kind).or_default().deleted += n;
    }
    reconcile(
        store,
        provider,
        linked_account,
        run,
        reconcile_every,
        counts,
    )
    .await?;
    Ok(())
}

/// The checkpoint stream that remembers the last id reconciliation.
const RECONCILE: &str = "_reconcile";

/// Every `every`, lists the ids the provider still has for the incrementally synced models
/// and marks deleted what it no longer has (purged trash, hard-deleted contacts): deletions
/// that no sweep reports. The first (initial) run only records the time.
async fn reconcile(
    store: &Store,
    provider: &Arc<dyn TicketingProvider>,
    linked_account: LinkedAccountId,
    run: Uuid,
    every: std::time::Duration,
    counts: &mut Counts,
) -> Result<(), SyncError> {
    let now = chrono::Utc::now();
    let last = store
        .checkpoint(linked_account, RECONCILE)
        .await?
        .and_then(|v| {
            v["at"]
                .as_str()
                .and_then(|s| s.parse::<chrono::DateTime<chrono::Utc>>().ok())
        });
    let due =
        last.is_some_and(|t| now - t >= chrono::Duration::from_std(every).unwrap_or_default());
    if due {
        for kind in [ModelKind::Ticket, ModelKind::Contact] {
            let ids = match provider.list_all_ids(kind).await {
                Ok(ids) => ids,
                Err(ProviderError::Unsupported(_)) => continue,
                Err(e) => return Err(e.into()),
            };
            let n = store
                .mark_missing_deleted(linked_account, kind, &ids)
                .await?;
            counts.entry(kind).or_default().deleted += n;
            info!(model = kind.name(), deleted = n, "ids reconciled");
        }
    }
    if due || last.is_none() {
        let at = serde_json::json!({ "at": now.to_rfc3339() });
        store
            .save_checkpoint(linked_account, RECONCILE, Some(&at), run)
            .await?;
    }
    Ok(())
}

/// Turns counts into the JSON stored with the run.
pub fn counts_json(counts: &Counts) -> serde_json::Value {
    serde_json::Value::Object(
        counts
            .iter()
            .map(|(k, v)| {
                (
                    k.name().to_string(),
                    serde_json::to_value(v).unwrap_or_default(),
                )
            })
            .collect(),
    )
}

/// Totals of a finished run.
pub fn totals(status: &str, counts: &Counts, error: Option<String>) -> RunTotals {
    RunTotals {
        status: status.to_string(),
        counts: counts_json(counts),
        calls: 0,
        credits: 0,
        rate_limited: 0,
        error,
    }
}
