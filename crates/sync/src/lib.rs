//! Deskbridge's sync engine: durable jobs in Postgres, workers, a scheduler, and the run of
//! one linked account's sync (exact, resumable, deletion-aware).

mod children;
pub mod download;
pub mod engine;
mod hash;
pub mod push;
mod transcode;
pub mod worker;
mod write;

pub use deskbridge_provider::Registry;
pub use download::Downloader;
pub use engine::{Counts, ModelCounts, SyncError, sync_account, write_records};
pub use hash::content_hash;
pub use worker::{SyncEngine, SyncSettings, backoff};

/// Installs rustls' ring crypto provider once per process, before any HTTP client is built
/// (reqwest is built without a default provider).
pub fn install_crypto_provider() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let _already_installed = rustls::crypto::ring::default_provider().install_default();
    });
}
