//! Comments and attachments of changed tickets. A ticket's upsert queues it
//! (`ticket_children_due`); rounds of [`CHILD_BATCH`] queued tickets are fetched and written,
//! the fetch of round k+1 running while round k is written and both beside the stream's next
//! pages, and a ticket leaves the queue only if it was not queued again since its round was
//! read.

use std::collections::VecDeque;
use std::sync::Arc;

use deskbridge_model::{ModelKind, record_id};
use deskbridge_provider::{NormalizedRecord, ProviderError, TicketingProvider};
use deskbridge_store::children_queue::DueTicket;
use deskbridge_store::{LinkedAccountId, Store};
use futures::StreamExt;
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::write::{AbortOnDrop, Counts, Known, SyncError, fence, write_records_owned};

/// Tickets whose children one round fetches (and then writes in one batch per model).
const CHILD_BATCH: i64 = 100;

/// Tickets whose children are fetched at the same time. The adapter's rate budget paces the
/// calls; this only keeps enough of them in flight to use the budget (and the database) fully.
const CHILD_CONCURRENCY: usize = 16;

/// Pages a stream may write while its children walk has not finished a round.
const PAGES_AHEAD: usize = 2;

/// The walk of the children queue that runs beside a stream's page writes; dropping it
/// cancels it.
pub(crate) struct ChildrenTask {
    task: AbortOnDrop<Result<Counts, SyncError>>,
    pages: mpsc::Sender<()>,
}

impl ChildrenTask {
    pub(crate) fn spawn(
        store: &Store,
        provider: &Arc<dyn TicketingProvider>,
        linked_account: LinkedAccountId,
        run: Uuid,
        known: &Known,
    ) -> Self {
        let store = store.clone();
        let known = known.clone();
        let provider = Arc::clone(provider);
        let (pages, rx) = mpsc::channel(PAGES_AHEAD);
        let task = AbortOnDrop(tokio::spawn(async move {
            let mut counts = Counts::new();
            sync_children(
                &store,
                &provider,
                linked_account,
                run,
                Some(rx),
                &mut counts,
                &known,
            )
            .await?;
            Ok(counts)
        }));
        ChildrenTask { task, pages }
    }

    /// Tells the walk that a page (and the tickets it queued) is committed. Waits while the
    /// walk has not finished a round during the last [`PAGES_AHEAD`] pages, so the children
    /// stay close behind their tickets.
    pub(crate) async fn page_written(self, counts: &mut Counts) -> Result<Self, SyncError> {
        if self.pages.send(()).await.is_ok() {
            return Ok(self);
        }
        // The walk stopped before being told to: it failed.
        self.finish(counts).await?;
        Err(ProviderError::Transient("the children walk stopped early".into()).into())
    }

    /// Lets the walk empty the queue, waits for it and adds its counts to the run's.
    pub(crate) async fn finish(self, counts: &mut Counts) -> Result<(), SyncError> {
        let ChildrenTask { task, pages } = self;
        drop(pages);
        let theirs = task
            .join()
            .await
            .map_err(|e| ProviderError::Transient(format!("the children fetch stopped: {e}")))??;
        add_counts(counts, theirs);
        Ok(())
    }
}

/// A round's write, in a task of its own: its counts, or why it failed.
type Write = AbortOnDrop<Result<Counts, SyncError>>;

/// What one round's fetch brought, ticket by ticket.
type Fetched = Vec<(DueTicket, Result<Vec<NormalizedRecord>, ProviderError>)>;

/// Fetches one round's children in a task of its own, so that it proceeds while the previous
/// round is written.
fn spawn_fetch(
    provider: &Arc<dyn TicketingProvider>,
    round: Vec<DueTicket>,
) -> AbortOnDrop<Fetched> {
    let provider = Arc::clone(provider);
    AbortOnDrop(tokio::spawn(async move {
        futures::stream::iter(round.into_iter().map(|ticket| {
            let provider = Arc::clone(&provider);
            async move {
                let children = match provider.fetch_ticket_children(&ticket.remote_id).await {
                    // The ticket vanished meanwhile: the deletion sweeps will see it.
                    Err(ProviderError::NotFound) => Ok(Vec::new()),
                    other => other,
                };
                (ticket, children)
            }
        }))
        .buffer_unordered(CHILD_CONCURRENCY)
        .collect()
        .await
    }))
}

/// Rounds written at the same time. One writer left the cores about a fifth idle while a
/// round's statements ran (docs/BENCHMARKS.md §2); a second overlaps one round's statements
/// with the next's. Rounds are disjoint sets of tickets, so their writes touch disjoint rows
/// (shells are inserted in sorted order, so two writers cannot deadlock on them).
const WRITERS: usize = 2;

/// Takes the children queue in rounds until it is empty and, while `pages` is open, waits
/// for more: each round's children are fetched concurrently, in a task of their own while the
/// previous rounds are written, then written in one batch per model, up to [`WRITERS`] rounds
/// at once; missing children are marked deleted and the round's tickets leave the queue. The
/// next round is read excluding the rounds in flight and being written, so no ticket is
/// fetched twice at once.
/// When a fetch fails, what the other tickets of the round brought is still written (and they
/// leave the queue) before the error is returned, so a retry does not fetch it again.
pub(crate) async fn sync_children(
    store: &Store,
    provider: &Arc<dyn TicketingProvider>,
    linked_account: LinkedAccountId,
    run: Uuid,
    mut pages: Option<mpsc::Receiver<()>>,
    counts: &mut Counts,
    known: &Known,
) -> Result<(), SyncError> {
    let mut in_flight: Option<(Vec<DueTicket>, AbortOnDrop<Fetched>)> = None;
    let mut writing: VecDeque<(Vec<DueTicket>, Write)> = VecDeque::new();
    loop {
        let busy: Vec<&str> = in_flight
            .iter()
            .map(|(round, _)| round)
            .chain(writing.iter().map(|(round, _)| round))
            .flat_map(|round| round.iter().map(|t| t.remote_id.as_str()))
            .collect();
        let next = store
            .tickets_needing_children(linked_account, &busy, CHILD_BATCH)
            .await?;
        let next = (!next.is_empty()).then(|| {
            let fetch = spawn_fetch(provider, next.clone());
            (next, fetch)
        });
        match in_flight.take() {
            Some((round, fetch)) => {
                let fetched = fetch.join().await.map_err(|e| {
                    ProviderError::Transient(format!("the children fetch stopped: {e}"))
                })?;
                if writing.len() >= WRITERS
                    && let Some((_, written)) = writing.pop_front()
                {
                    add_counts(counts, join_write(written).await?);
                }
                let task = {
                    let (store, known) = (store.clone(), known.clone());
                    AbortOnDrop(tokio::spawn(async move {
                        let mut counts = Counts::new();
                        write_round(&store, linked_account, run, fetched, &mut counts, &known)
                            .await?;
                        Ok(counts)
                    }))
                };
                writing.push_back((round, task));
                // One page's signal per round: a stream that writes pages faster than their
                // children are stored waits in `page_written` instead of running ahead.
                if let Some(rx) = pages.as_mut()
                    && let Err(mpsc::error::TryRecvError::Disconnected) = rx.try_recv()
                {
                    pages = None;
                }
            }
            None if next.is_none() => {
                // The rounds being written are still queued: the queue is empty only once
                // they are stored.
                if let Some((_, written)) = writing.pop_front() {
                    add_counts(counts, join_write(written).await?);
                    continue;
                }
                match pages.as_mut() {
                    // Nothing queued, nothing in flight: wait for the next page (or the end).
                    Some(rx) => {
                        if rx.recv().await.is_none() {
                            pages = None;
                        }
                    }
                    None => return Ok(()),
                }
            }
            None => {}
        }
        in_flight = next;
    }
}

async fn join_write(task: Write) -> Result<Counts, SyncError> {
    task.join()
        .await
        .map_err(|e| ProviderError::Transient(format!("the children write stopped: {e}")))?
}

fn add_counts(mine: &mut Counts, theirs: Counts) {
    for (kind, c) in theirs {
        let m = mine.entry(kind).or_default();
        m.fetched += c.fetched;
        m.created += c.created;
        m.updated += c.updated;
        m.deleted += c.deleted;
    }
}

/// Writes what one round fetched, then returns the round's first failure, if any.
async fn write_round(
    store: &Store,
    linked_account: LinkedAccountId,
    run: Uuid,
    fetched: Fetched,
    counts: &mut Counts,
    known: &Known,
) -> Result<(), SyncError> {
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
    write_records_owned(store, linked_account, children, counts, known).await?;
    let parents: Vec<Uuid> = done
        .iter()
        .map(|t| record_id(linked_account.as_uuid(), ModelKind::Ticket, &t.remote_id))
        .collect();
    for (kind, seen) in seen {
        let n = store
            .mark_missing_children(linked_account, kind, "ticket", &parents, &seen)
            .await?;
        counts.entry(kind).or_default().deleted += n;
    }
    store.children_synced(linked_account, &done).await?;
    match failure {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}
