//! Normalised records and the batches an adapter returns.

use deskbridge_model::ModelKind;
use serde_json::{Map, Value};

use crate::RemoteData;

/// A reference from one record to another (used to create shell records).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RecordRef {
    /// The referenced model.
    pub kind: ModelKind,
    /// The referenced remote id.
    pub remote_id: String,
}

/// One record in the common model, as an adapter produced it.
#[derive(Debug, Clone, PartialEq)]
pub struct NormalizedRecord {
    /// The model.
    pub kind: ModelKind,
    /// The provider's id, as a string.
    pub remote_id: String,
    /// The model's own fields in Merge's wire format (no `id`, `remote_id`, timestamps,
    /// `remote_was_deleted`, `field_mappings` or `remote_data`); relations are Deskbridge ids.
    pub fields: Map<String, Value>,
    /// The raw provider objects, as Merge's `[{path, data}]`.
    pub remote_data: RemoteData,
    /// Keys whose values change on every fetch (signed URLs); ignored when detecting change.
    pub volatile_keys: &'static [&'static str],
    /// Records this one points to.
    pub refs: Vec<RecordRef>,
    /// Whether the provider reports the record deleted.
    pub remote_was_deleted: bool,
}

/// How a stream is synced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamMode {
    /// Only changes since the last run are fetched; the checkpoint survives runs.
    Incremental,
    /// Everything is listed every run; records not seen in a complete run were deleted.
    Full,
    /// Lists records the provider reports deleted (sweeps); the checkpoint survives runs.
    Deletions,
}

/// A stream of records a sync walks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncStream {
    /// Stable name, stored with checkpoints, e.g. `tickets`.
    pub name: &'static str,
    /// The models whose records the stream yields.
    pub kinds: Vec<ModelKind>,
    /// How it is synced.
    pub mode: StreamMode,
}

/// A record the provider reports deleted (trashed, spam, gone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deletion {
    /// The model.
    pub kind: ModelKind,
    /// The provider's id.
    pub remote_id: String,
    /// The provider's `updated_at` of the record as it reported the deletion
    /// (`YYYY-MM-DDTHH:MM:SSZ`), when the listing gives one: a flagged record takes it as its
    /// `remote_updated_at`, since being deleted or marked spam is its last change.
    pub remote_updated_at: Option<String>,
}

impl From<RecordRef> for Deletion {
    fn from(r: RecordRef) -> Self {
        Deletion {
            kind: r.kind,
            remote_id: r.remote_id,
            remote_updated_at: None,
        }
    }
}

/// One batch of a stream.
#[derive(Debug, Clone, Default)]
pub struct FetchBatch {
    /// Records to upsert.
    pub records: Vec<NormalizedRecord>,
    /// Records the provider reports deleted.
    pub deleted: Vec<Deletion>,
    /// Where to resume after this batch.
    pub checkpoint: Option<Value>,
    /// True when the stream has nothing more for now.
    pub done: bool,
}
