//! Targeted syncs: the worker that reads back the tickets pushes marked dirty, one ticket with
//! its comments and attachments at a time, through the same adapter (and so the same
//! per-account rate budget and reserve) and the same store path as the periodic sync.
//!
//! Priority: the periodic sync stays the safety net and must not starve. The budget is shared
//! per account in the process; when anything is waiting on it (the periodic sync at the
//! reserve, or a 429's pause), targeted fetches of that account step back and retry a little
//! later rather than queue behind it. At most [`PER_ACCOUNT`] tickets of one account are
//! fetched per round, so one busy helpdesk cannot hold the worker.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use deskbridge_model::{ModelKind, record_id};
use deskbridge_provider::{ProviderError, TicketingProvider};
use deskbridge_store::push::DirtyTicket;
use deskbridge_store::{LinkedAccountId, StoreError};
use tokio::sync::watch;
use tracing::{debug, info, warn};

use crate::engine::{Counts, write_records};
use crate::worker::SyncEngine;

/// Tickets of one account fetched per round.
const PER_ACCOUNT: i64 = 8;
/// Tickets claimed per round in all.
const PER_ROUND: i64 = 64;
/// Attempts before a failing ticket is left to the periodic sync.
const MAX_ATTEMPTS: i32 = 6;
/// How long a claim lasts (a dead worker's tickets are claimed again after it).
const LEASE: Duration = Duration::from_secs(60);
/// How long an account whose budget is busy waits before its tickets are tried again.
const STEP_BACK: Duration = Duration::from_secs(2);

/// What became of one dirty ticket.
enum Done {
    /// Written (or found deleted): the row goes.
    Fetched,
    /// Try again at this delay.
    Later(Duration, bool),
    /// Leave it to the periodic sync.
    Drop(String),
}

impl SyncEngine {
    /// Claims and fetches dirty tickets until `shutdown` turns true.
    pub async fn run_push_worker(&self, worker_id: String, mut shutdown: watch::Receiver<bool>) {
        loop {
            if *shutdown.borrow() {
                return;
            }
            let claimed = self
                .store
                .claim_dirty_tickets(&worker_id, PER_ACCOUNT, PER_ROUND, LEASE)
                .await;
            let tickets = match claimed {
                Ok(t) => t,
                Err(e) => {
                    warn!(error = %e, "cannot claim dirty tickets; retrying");
                    Vec::new()
                }
            };
            if tickets.is_empty() {
                tokio::select! {
                    _ = tokio::time::sleep(self.settings.poll) => {}
                    _ = shutdown.changed() => {}
                }
                continue;
            }
            let mut by_account: std::collections::BTreeMap<LinkedAccountId, Vec<DirtyTicket>> =
                std::collections::BTreeMap::new();
            for t in tickets {
                by_account.entry(t.linked_account_id).or_default().push(t);
            }
            let rounds = by_account
                .into_iter()
                .map(|(la, list)| self.account_round(&worker_id, la, list));
            futures::future::join_all(rounds).await;
        }
    }

    /// Fetches the claimed tickets of one account, one after the other.
    async fn account_round(&self, worker: &str, la: LinkedAccountId, tickets: Vec<DirtyTicket>) {
        let provider = match self.push_provider(la).await {
            Ok(p) => p,
            Err(why) => {
                for t in &tickets {
                    self.settle(worker, t, Done::Drop(why.clone())).await;
                }
                return;
            }
        };
        for t in &tickets {
            let done = if provider.0.usage().waiting {
                Done::Later(STEP_BACK, false)
            } else {
                self.fetch_one(&provider, la, &t.remote_id).await
            };
            self.settle(worker, t, done).await;
        }
    }

    /// The account's adapter with the `completed_at` of its credentials, or why its tickets
    /// are left to the periodic sync.
    async fn push_provider(
        &self,
        la: LinkedAccountId,
    ) -> Result<(Arc<dyn TicketingProvider>, chrono::DateTime<Utc>), String> {
        let account = self
            .store
            .linked_account_for_worker(la)
            .await
            .map_err(|e| e.to_string())?;
        if account.status != "COMPLETE" {
            return Err(format!("the account is {}", account.status));
        }
        let (creds, linked_at) = self
            .store
            .account_credentials_as_of(la)
            .await
            .map_err(|e| e.to_string())?;
        let provider = self
            .registry
            .build(&account.integration, la.as_uuid(), &creds)
            .map_err(|e| e.to_string())?;
        let users = self
            .store
            .live_remote_ids(la, ModelKind::User)
            .await
            .map_err(|e| e.to_string())?;
        provider.prime_known_users(users);
        Ok((provider, linked_at))
    }

    /// Fetches one ticket and writes it like the periodic sync does: content-hashed upserts,
    /// shells for references, children not seen marked deleted; a ticket the helpdesk no
    /// longer has is marked deleted.
    async fn fetch_one(
        &self,
        provider: &(Arc<dyn TicketingProvider>, chrono::DateTime<Utc>),
        la: LinkedAccountId,
        remote_id: &str,
    ) -> Done {
        let fetched = provider.0.fetch_ticket(remote_id).await;
        // A relink to another helpdesk meanwhile: what was read belongs to the old one.
        match self.store.account_credentials_as_of(la).await {
            Ok((_, at)) if at == provider.1 => {}
            Ok(_) => return Done::Drop("the account was relinked".into()),
            Err(e) => return Done::Drop(e.to_string()),
        }
        let result = match fetched {
            Ok(records) => self.write_ticket(la, remote_id, &records).await,
            Err(ProviderError::NotFound) => self
                .store
                .mark_deleted(la, ModelKind::Ticket, &[remote_id.to_string()])
                .await
                .map(|_| ()),
            Err(e) if e.needs_relink() => return Done::Drop(e.to_string()),
            Err(ProviderError::RateLimited { retry_after, .. }) => {
                return Done::Later(retry_after.max(STEP_BACK), false);
            }
            Err(e) if e.is_retryable() => {
                debug!(error = %e, "targeted fetch failed; will retry");
                return Done::Later(STEP_BACK, true);
            }
            Err(e) => return Done::Drop(e.to_string()),
        };
        match result {
            Ok(()) => Done::Fetched,
            Err(e) => {
                warn!(error = %e, "cannot store a pushed ticket; will retry");
                Done::Later(STEP_BACK, true)
            }
        }
    }

    async fn write_ticket(
        &self,
        la: LinkedAccountId,
        remote_id: &str,
        records: &[deskbridge_provider::NormalizedRecord],
    ) -> Result<(), StoreError> {
        let mut counts = Counts::new();
        write_records(&self.store, la, records, &mut counts).await?;
        let parent = [record_id(la.as_uuid(), ModelKind::Ticket, remote_id)];
        for kind in [ModelKind::Comment, ModelKind::Attachment] {
            let seen: Vec<String> = records
                .iter()
                .filter(|r| r.kind == kind)
                .map(|r| r.remote_id.clone())
                .collect();
            self.store
                .mark_missing_children(la, kind, "ticket", &parent, &seen)
                .await?;
        }
        self.store.ticket_children_fetched(la, remote_id).await?;
        Ok(())
    }

    async fn settle(&self, worker: &str, t: &DirtyTicket, done: Done) {
        let store = &self.store;
        let res = match done {
            Done::Fetched => store.finish_dirty_ticket(worker, t).await,
            Done::Later(_, true) if t.attempts + 1 >= MAX_ATTEMPTS => {
                info!("a pushed ticket kept failing; left to the periodic sync");
                store.drop_dirty_ticket(worker, t).await
            }
            Done::Later(wait, failed) => {
                let at = Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
                store.release_dirty_ticket(worker, t, at, failed).await
            }
            Done::Drop(why) => {
                info!(why, "a pushed ticket is left to the periodic sync");
                store.drop_dirty_ticket(worker, t).await
            }
        };
        if let Err(e) = res {
            warn!(error = %e, "cannot settle a dirty ticket; its claim will expire");
        }
    }
}
