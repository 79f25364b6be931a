//! One sync run of one linked account: every stream, page by page, with a checkpoint after
//! each page, exact upserts, shells for references, children of changed tickets, and
//! deletions applied only when the whole run succeeded.

use std::collections::BTreeMap;
use std::sync::Arc;

use deskbridge_model::{ModelKind, record_id};
use deskbridge_provider::{
    Deletion, FetchBatch, NormalizedRecord, ProviderError, StreamMode, TicketingProvider,
};
use deskbridge_store::records::RecordInput;
use deskbridge_store::sync_state::RunTotals;
use deskbridge_store::{LinkedAccountId, Store, StoreError};
use futures::StreamExt;
use serde::Serialize;
use tracing::{info, instrument};
use uuid::Uuid;

use crate::hash::content_hash;

/// Per-model counts of a run.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct ModelCounts {
    /// Records received from the provider.
    pub fetched: u64,
    /// New records written.
    pub created: u64,
    /// Records whose content changed.
    pub updated: u64,
    /// Records marked deleted.
    pub deleted: u64,
}

/// Why a sync stopped.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The provider failed.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The run was deleted meanwhile (the account was relinked to another helpdesk, or
    /// deleted): it stops before writing anything more.
    #[error("the run was superseded (the account was relinked or deleted)")]
    Superseded,
}

/// Stops a run whose row is gone: a relink to another helpdesk deletes the account's runs
/// with its records, and a run of the old helpdesk must not write any of them back.
async fn fence(store: &Store, linked_account: LinkedAccountId, run: Uuid) -> Result<(), SyncError> {
    if store.run_is_live(linked_account, run).await? {
        Ok(())
    } else {
        Err(SyncError::Superseded)
    }
}

/// Counts by model, as stored with the run.
pub type Counts = BTreeMap<ModelKind, ModelCounts>;

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
    for stream in provider.streams() {
        match stream.mode {
            StreamMode::Incremental | StreamMode::Deletions => {
                let cp = store.checkpoint(linked_account, stream.name).await?;
                let mut batch = provider.fetch(stream.name, cp.as_ref()).await?;
                // The children of page n are fetched and written, in a task of their own, while
                // page n+1 is written: the worker's CPU, the database and the helpdesk's
                // answers overlap instead of taking turns. One such task at a time, so no two
                // take the same flagged tickets; the flags are the durable queue, so the
                // checkpoint need not wait for the children.
                let mut children: Option<ChildrenTask> = None;
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
                    write_batch(store, linked_account, records, deleted, counts).await?;
                    if let Some(task) = children.take() {
                        task.join(counts).await?;
                    }
                    children = Some(ChildrenTask::spawn(store, provider, linked_account, run));
                    store
                        .save_checkpoint(linked_account, stream.name, checkpoint.as_ref(), run)
                        .await?;
                    let Some(next) = next else {
                        if let Some(task) = children.take() {
                            task.join(counts).await?;
                        }
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
                    write_batch(store, linked_account, batch.records, batch.deleted, counts)
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
    sync_children(store, provider, linked_account, run, counts).await?;
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

/// A spawned task that is cancelled when its handle is dropped (a sync stopped or failed
/// meanwhile), so no page fetch outlives its run.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> AbortOnDrop<T> {
    /// Waits for the task's result.
    async fn join(mut self) -> Result<T, tokio::task::JoinError> {
        (&mut self.0).await
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A round of [`sync_children`] running beside the page writes; dropping it cancels it.
struct ChildrenTask(AbortOnDrop<Result<Counts, SyncError>>);

impl ChildrenTask {
    fn spawn(
        store: &Store,
        provider: &Arc<dyn TicketingProvider>,
        linked_account: LinkedAccountId,
        run: Uuid,
    ) -> Self {
        let store = store.clone();
        let provider = Arc::clone(provider);
        ChildrenTask(AbortOnDrop(tokio::spawn(async move {
            let mut counts = Counts::new();
            sync_children(&store, &provider, linked_account, run, &mut counts).await?;
            Ok(counts)
        })))
    }

    /// Waits for it and adds its counts to the run's.
    async fn join(self, counts: &mut Counts) -> Result<(), SyncError> {
        let theirs =
            self.0.join().await.map_err(|e| {
                ProviderError::Transient(format!("the children fetch stopped: {e}"))
            })??;
        for (kind, c) in theirs {
            let mine = counts.entry(kind).or_default();
            mine.fetched += c.fetched;
            mine.created += c.created;
            mine.updated += c.updated;
            mine.deleted += c.deleted;
        }
        Ok(())
    }
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

/// Converts a provider record into a row, moving its values (no copy of the JSON).
fn to_input(linked_account: LinkedAccountId, r: NormalizedRecord) -> RecordInput {
    let content_hash = content_hash(&r);
    RecordInput {
        id: record_id(linked_account.as_uuid(), r.kind, &r.remote_id),
        remote_id: r.remote_id,
        fields: serde_json::Value::Object(r.fields),
        remote_data: serde_json::Value::Array(r.remote_data),
        content_hash,
        remote_was_deleted: r.remote_was_deleted,
    }
}

/// Writes one batch: upserts by model, shells for references, deletions.
pub async fn write_records(
    store: &Store,
    linked_account: LinkedAccountId,
    records: &[NormalizedRecord],
    counts: &mut Counts,
) -> Result<(), StoreError> {
    write_records_owned(store, linked_account, records.to_vec(), counts).await
}

/// [`write_records`] taking the records by value: the sync's pages are written once, so
/// their JSON is moved into the rows instead of copied (a copy per record was a good part of
/// the per-row CPU of an initial sync).
pub async fn write_records_owned(
    store: &Store,
    linked_account: LinkedAccountId,
    records: Vec<NormalizedRecord>,
    counts: &mut Counts,
) -> Result<(), StoreError> {
    let mut by_kind: BTreeMap<ModelKind, Vec<RecordInput>> = BTreeMap::new();
    let mut refs: BTreeMap<ModelKind, Vec<(Uuid, String)>> = BTreeMap::new();
    for mut r in records {
        for rf in std::mem::take(&mut r.refs) {
            refs.entry(rf.kind).or_default().push((
                record_id(linked_account.as_uuid(), rf.kind, &rf.remote_id),
                rf.remote_id,
            ));
        }
        by_kind
            .entry(r.kind)
            .or_default()
            .push(to_input(linked_account, r));
    }
    for (kind, mut rows) in by_kind {
        // One row per remote id in a statement (ON CONFLICT cannot touch a row twice).
        rows.sort_by(|a, b| a.remote_id.cmp(&b.remote_id));
        rows.dedup_by(|a, b| a.remote_id == b.remote_id);
        let c = counts.entry(kind).or_default();
        c.fetched += rows.len() as u64;
        let out = store
            .upsert_records(linked_account, kind, &rows, kind == ModelKind::Ticket)
            .await?;
        c.created += out.created.len() as u64;
        c.updated += out.updated.len() as u64;
        metrics::counter!(
            "deskbridge_sync_records_written_total",
            "linked_account" => metrics_label(linked_account),
            "model" => kind.name(),
        )
        .increment((out.created.len() + out.updated.len()) as u64);
    }
    for (kind, mut list) in refs {
        list.sort();
        list.dedup();
        store.ensure_shells(linked_account, kind, &list).await?;
    }
    Ok(())
}

async fn write_batch(
    store: &Store,
    linked_account: LinkedAccountId,
    records: Vec<NormalizedRecord>,
    deletions: Vec<Deletion>,
    counts: &mut Counts,
) -> Result<(), StoreError> {
    write_records_owned(store, linked_account, records, counts).await?;
    let mut deleted: BTreeMap<ModelKind, Vec<(String, Option<String>)>> = BTreeMap::new();
    for d in deletions {
        deleted
            .entry(d.kind)
            .or_default()
            .push((d.remote_id, d.remote_updated_at));
    }
    for (kind, ids) in deleted {
        let n = store.mark_deleted_at(linked_account, kind, &ids).await?;
        counts.entry(kind).or_default().deleted += n;
    }
    Ok(())
}

/// Tickets whose children one round fetches (and then writes in one batch per model).
const CHILD_BATCH: i64 = 100;

/// Tickets whose children are fetched at the same time. The adapter's rate budget paces the
/// calls; this only keeps enough of them in flight to use the budget (and the database) fully.
const CHILD_CONCURRENCY: usize = 16;

/// Fetches comments and attachments of every ticket flagged as changed: a round takes up to
/// [`CHILD_BATCH`] flagged tickets, fetches their children concurrently, writes them in one
/// batch per model, marks missing children deleted and clears the flags of the tickets done.
/// When a fetch fails, what the other tickets of the round brought is still written (and their
/// flags cleared) before the error is returned, so a retry does not fetch it again.
async fn sync_children(
    store: &Store,
    provider: &Arc<dyn TicketingProvider>,
    linked_account: LinkedAccountId,
    run: Uuid,
    counts: &mut Counts,
) -> Result<(), SyncError> {
    loop {
        let ids = store
            .tickets_needing_children(linked_account, CHILD_BATCH)
            .await?;
        if ids.is_empty() {
            return Ok(());
        }
        // A short round took every flagged ticket: no query is needed to learn that none is left.
        let last_round = ids.len() < CHILD_BATCH as usize;
        let fetched: Vec<(String, Result<Vec<NormalizedRecord>, ProviderError>)> =
            futures::stream::iter(ids.into_iter().map(|ticket| async move {
                let children = match provider.fetch_ticket_children(&ticket).await {
                    // The ticket vanished meanwhile: the deletion sweeps will see it.
                    Err(ProviderError::NotFound) => Ok(Vec::new()),
                    other => other,
                };
                (ticket, children)
            }))
            .buffer_unordered(CHILD_CONCURRENCY)
            .collect()
            .await;
        let mut done = Vec::with_capacity(fetched.len());
        let mut children = Vec::new();
        let mut failure = None;
        for (ticket, result) in fetched {
            match result {
                Ok(c) => {
                    children.extend(c);
                    done.push(ticket);
                }
                Err(e) => failure = failure.or(Some(e)),
            }
        }
        fence(store, linked_account, run).await?;
        let seen_of = |kind: ModelKind| -> Vec<String> {
            children
                .iter()
                .filter(|c| c.kind == kind)
                .map(|c| c.remote_id.clone())
                .collect()
        };
        let seen = [
            (ModelKind::Comment, seen_of(ModelKind::Comment)),
            (ModelKind::Attachment, seen_of(ModelKind::Attachment)),
        ];
        write_records_owned(store, linked_account, children, counts).await?;
        let parents: Vec<Uuid> = done
            .iter()
            .map(|t| record_id(linked_account.as_uuid(), ModelKind::Ticket, t))
            .collect();
        for (kind, seen) in seen {
            let n = store
                .mark_missing_children(linked_account, kind, "ticket", &parents, &seen)
                .await?;
            counts.entry(kind).or_default().deleted += n;
        }
        store.children_synced(linked_account, &done).await?;
        if let Some(e) = failure {
            return Err(e.into());
        }
        if last_round {
            return Ok(());
        }
    }
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

/// The `linked_account` label of per-account metrics: the first 16 hex digits of the
/// SHA-256 of the linked account's id, so `/metrics` never exposes a tenant's id (an operator
/// computes the label from the id to find an account's series).
pub fn metrics_label(linked_account: LinkedAccountId) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(linked_account.to_string().as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}
