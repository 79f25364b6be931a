//! Deskbridge's sync engine: durable jobs in Postgres, workers, a scheduler, and the run of
//! one linked account's sync (exact, resumable, deletion-aware).

pub mod download;
pub mod engine;
mod hash;
pub mod registry;
pub mod worker;

pub use engine::{Counts, ModelCounts, SyncError, sync_account, write_records};
pub use hash::content_hash;
pub use registry::ProviderFactory;
pub use worker::{SyncEngine, SyncSettings, backoff};
