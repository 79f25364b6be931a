//! Changed-data webhooks (Merge's `{Model}.added`, `{Model}.changed`, `{Model}.removed`):
//! queued by the record writes themselves (`records`), in the transaction of the change, so
//! every path that writes records — the periodic sync, the children of changed tickets,
//! writes through the API, targeted syncs — sends them without doing anything.
//!
//! A batch costs one extra query when nobody listens (nothing is rendered or queued) and one
//! `INSERT … SELECT FROM UNNEST` for all its events when someone does. Each event's `data` is
//! the record rendered by [`deskbridge_model::render::record_json`], the renderer of
//! `GET /{model}/{id}` (without `remote_data`, as that answers by default).
//!
//! Until an account's first sync has completed, its changes are the initial load: those
//! events are marked `from_initial_sync` and are queued only if an endpoint opted in with
//! `include_initial_sync` (the fan-out then skips the others), so linking a helpdesk of 100k
//! tickets does not queue 100k events for endpoints that did not ask for them.

use chrono::{DateTime, Utc};
use deskbridge_model::ModelKind;
use deskbridge_model::render::{RecordParts, record_json};
use serde_json::Value;
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

use crate::StoreError;
use crate::accounts::{COLUMNS, LinkedAccount};
use crate::ids::LinkedAccountId;

/// What happened to a record, as a changed-data event names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordChange {
    /// New (or a shell that became a record, or a record back from deletion).
    Added,
    /// Its content changed.
    Changed,
    /// Deleted at the provider.
    Removed,
}

impl RecordChange {
    /// Every kind of change.
    pub const ALL: [RecordChange; 3] = [
        RecordChange::Added,
        RecordChange::Changed,
        RecordChange::Removed,
    ];

    /// The event name, e.g. `Ticket.changed`.
    pub fn event(self, kind: ModelKind) -> String {
        let suffix = match self {
            RecordChange::Added => "added",
            RecordChange::Changed => "changed",
            RecordChange::Removed => "removed",
        };
        format!("{}.{suffix}", kind.name())
    }
}

/// Who listens to one model's changed-data events of one account, read in the transaction of
/// the change.
pub(crate) struct Listeners {
    account: LinkedAccount,
    initial: bool,
    /// The subscribed event names among the model's three.
    events: Vec<String>,
}

impl Listeners {
    /// Whether any endpoint wants this change.
    pub(crate) fn wants(&self, kind: ModelKind, change: RecordChange) -> bool {
        self.events.contains(&change.event(kind))
    }
}

/// The listeners of `kind`'s changed-data events of `linked_account`, or `None` when no
/// active endpoint of its organization wants any of them (nothing to render or queue).
pub(crate) async fn listeners(
    conn: &mut PgConnection,
    linked_account: LinkedAccountId,
    kind: ModelKind,
) -> Result<Option<Listeners>, StoreError> {
    let names: Vec<String> = RecordChange::ALL.iter().map(|c| c.event(kind)).collect();
    let found: Option<(bool, Vec<String>)> = sqlx::query_as(
        "WITH la AS (
             SELECT a.organization_id,
                    NOT EXISTS (SELECT 1 FROM sync_runs s
                                WHERE s.linked_account_id = a.id AND s.status = 'DONE') AS initial
             FROM linked_accounts a WHERE a.id = $1)
         SELECT la.initial,
                ARRAY(SELECT n FROM UNNEST($2::text[]) AS n
                      WHERE EXISTS (SELECT 1 FROM webhook_endpoints e
                                    WHERE e.organization_id = la.organization_id AND e.is_active
                                      AND (cardinality(e.events) = 0 OR n = ANY(e.events))
                                      AND (e.include_initial_sync OR NOT la.initial)))
         FROM la",
    )
    .bind(linked_account)
    .bind(&names)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((initial, events)) = found.filter(|(_, events)| !events.is_empty()) else {
        return Ok(None);
    };
    // The account may have been deleted since (its records go with it): nothing to send.
    let account: Option<LinkedAccount> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM linked_accounts WHERE id = $1"
    )))
    .bind(linked_account)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(account.map(|account| Listeners {
        account,
        initial,
        events,
    }))
}

/// A record as a write left it, with what it was before.
#[derive(Debug, Clone, FromRow)]
pub(crate) struct WrittenRecord {
    pub id: Uuid,
    pub remote_id: String,
    pub fields: Value,
    pub remote_was_deleted: bool,
    pub created_at: DateTime<Utc>,
    pub modified_at: DateTime<Utc>,
    /// Written by an insert (it did not exist).
    pub inserted: bool,
    /// It was a shell before (`None`: it did not exist).
    pub was_shell: Option<bool>,
    /// It was deleted before (`None`: it did not exist).
    pub was_deleted: Option<bool>,
}

impl WrittenRecord {
    /// The change an event reports, if any: a new record or a revived shell is added, a
    /// record back from deletion is added again, a live record that changed is changed, a
    /// live record now deleted is removed. A record first seen deleted, and a deleted record
    /// that changed again, send nothing (the product never had it, or already dropped it).
    pub(crate) fn change(&self) -> Option<RecordChange> {
        let was_live =
            !self.inserted && self.was_shell == Some(false) && self.was_deleted == Some(false);
        match (was_live, self.remote_was_deleted) {
            (true, true) => Some(RecordChange::Removed),
            (true, false) => Some(RecordChange::Changed),
            (false, false) => Some(RecordChange::Added),
            (false, true) => None,
        }
    }
}

/// Queues the changed-data events of `written` records of `kind` that someone listens to,
/// in one statement, on the connection (the transaction) that wrote them.
pub(crate) async fn queue(
    conn: &mut PgConnection,
    listeners: &Listeners,
    kind: ModelKind,
    written: &[WrittenRecord],
) -> Result<(), StoreError> {
    let mut events = Vec::new();
    let mut data = Vec::new();
    for r in written {
        let Some(change) = r.change().filter(|c| listeners.wants(kind, *c)) else {
            continue;
        };
        let record = record_json(
            kind,
            &RecordParts {
                id: r.id,
                remote_id: &r.remote_id,
                fields: &r.fields,
                is_shell: false,
                remote_was_deleted: r.remote_was_deleted,
                created_at: r.created_at,
                modified_at: r.modified_at,
                remote_data: None,
            },
        );
        events.push(change.event(kind));
        data.push(Value::Object(record));
    }
    if events.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO webhook_events (organization_id, id, event, linked_account_id,
             linked_account, data, from_initial_sync)
         SELECT $1, gen_random_uuid(), u.event, $2, $3, u.data, $4
         FROM UNNEST($5::text[], $6::jsonb[]) WITH ORDINALITY AS u(event, data, n)
         ORDER BY u.n",
    )
    .bind(listeners.account.organization_id)
    .bind(listeners.account.id)
    .bind(listeners.account.webhook_json())
    .bind(listeners.initial)
    .bind(&events)
    .bind(&data)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
