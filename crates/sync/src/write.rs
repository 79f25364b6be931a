//! What a run writes and reports, shared by the run itself ([`crate::engine`]), its children
//! rounds ([`crate::children`]) and pushes: a batch of provider records turned into exact
//! upserts and shells, the run's counts and errors, and the fence that stops a superseded run.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

use deskbridge_model::{ModelKind, record_id};
use deskbridge_provider::{Deletion, NormalizedRecord, ProviderError};
use deskbridge_store::records::RecordInput;
use deskbridge_store::{LinkedAccountId, Store, StoreError};
use serde::Serialize;
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

/// Counts by model, as stored with the run.
pub type Counts = BTreeMap<ModelKind, ModelCounts>;

/// Stops a run whose row is gone: a relink to another helpdesk deletes the account's runs
/// with its records, and a run of the old helpdesk must not write any of them back.
pub(crate) async fn fence(
    store: &Store,
    linked_account: LinkedAccountId,
    run: Uuid,
) -> Result<(), SyncError> {
    if store.run_is_live(linked_account, run).await? {
        Ok(())
    } else {
        Err(SyncError::Superseded)
    }
}

/// A spawned task that is cancelled when its handle is dropped (a sync stopped or failed
/// meanwhile), so no page fetch outlives its run.
pub(crate) struct AbortOnDrop<T>(pub(crate) tokio::task::JoinHandle<T>);

impl<T> AbortOnDrop<T> {
    /// Waits for the task's result.
    pub(crate) async fn join(mut self) -> Result<T, tokio::task::JoinError> {
        (&mut self.0).await
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Converts a provider record into a row, moving its values (no copy of the JSON).
fn to_input(linked_account: LinkedAccountId, r: NormalizedRecord) -> RecordInput {
    let content_hash = content_hash(&r);
    RecordInput {
        id: record_id(linked_account.as_uuid(), r.kind, &r.remote_id),
        remote_id: r.remote_id,
        fields: serde_json::Value::Object(r.fields),
        remote_data: r.remote_data.into_raw(),
        content_hash,
        remote_was_deleted: r.remote_was_deleted,
    }
}

/// Records a run knows to exist because it wrote them or ensured them as shells, by
/// Deskbridge id. Why: every batch references records (a ticket's contact, a comment's ticket
/// and author) that are mostly stored already, and the shell statement that ensures them was
/// about a tenth of an initial sync's statement time; references to known records skip it.
/// Records are never removed during a run (deletions only flag them; a relink or an account
/// deletion supersedes the run), so a known record stays known. Bounded: cleared at
/// [`KNOWN_CAP`] ids (about 4 MiB), after which references are ensured again.
#[derive(Debug, Clone, Default)]
pub(crate) struct Known(Arc<Mutex<HashSet<Uuid>>>);

/// Ids a run's [`Known`] holds at most.
const KNOWN_CAP: usize = 200_000;

impl Known {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<Uuid>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn add(&self, ids: impl IntoIterator<Item = Uuid>) {
        let mut known = self.lock();
        for id in ids {
            if known.len() >= KNOWN_CAP {
                known.clear();
            }
            known.insert(id);
        }
    }

    fn unknown(&self, refs: Vec<(Uuid, String)>) -> Vec<(Uuid, String)> {
        let known = self.lock();
        refs.into_iter()
            .filter(|(id, _)| !known.contains(id))
            .collect()
    }
}

/// Writes one batch: upserts by model, shells for references, deletions.
pub async fn write_records(
    store: &Store,
    linked_account: LinkedAccountId,
    records: &[NormalizedRecord],
    counts: &mut Counts,
) -> Result<(), StoreError> {
    let known = Known::default();
    write_records_owned(store, linked_account, records.to_vec(), counts, &known).await
}

/// [`write_records`] taking the records by value: the sync's pages are written once, so
/// their JSON is moved into the rows instead of copied (a copy per record was a good part of
/// the per-row CPU of an initial sync).
pub(crate) async fn write_records_owned(
    store: &Store,
    linked_account: LinkedAccountId,
    records: Vec<NormalizedRecord>,
    counts: &mut Counts,
    known: &Known,
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
        known.add(rows.iter().map(|r| r.id));
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
        let list = known.unknown(list);
        if list.is_empty() {
            continue;
        }
        store.ensure_shells(linked_account, kind, &list).await?;
        known.add(list.into_iter().map(|(id, _)| id));
    }
    Ok(())
}

pub(crate) async fn write_batch(
    store: &Store,
    linked_account: LinkedAccountId,
    records: Vec<NormalizedRecord>,
    deletions: Vec<Deletion>,
    counts: &mut Counts,
    known: &Known,
) -> Result<(), StoreError> {
    write_records_owned(store, linked_account, records, counts, known).await?;
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

/// The `linked_account` label of per-account metrics: the first 16 hex digits of the
/// SHA-256 of the linked account's id, so `/metrics` never exposes a tenant's id (an operator
/// computes the label from the id to find an account's series).
pub fn metrics_label(linked_account: LinkedAccountId) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(linked_account.to_string().as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}
