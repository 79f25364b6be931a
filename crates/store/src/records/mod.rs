//! Synced records of every common model: exact batch upserts and keyset listing.

use chrono::{DateTime, Utc};
use deskbridge_model::ModelKind;
use serde_json::Value;
use serde_json::value::RawValue;
use sqlx::AssertSqlSafe;
use sqlx::FromRow;
use sqlx::types::Json;
use uuid::Uuid;

use crate::changed_data::{self, WrittenRecord};
use crate::ids::LinkedAccountId;
pub use crate::keyset::KeysetOrder;
use crate::{Store, StoreError};

mod json_text;
mod query;

pub use json_text::JsonText;

/// What the statements that mark records deleted return: the records as they are now, for
/// the `{Model}.removed` events (they were live before: the statements skip deleted ones).
const DELETED_RETURNING: &str = "RETURNING id, remote_id, fields, remote_was_deleted, created_at,
    modified_at, false AS inserted, is_shell AS was_shell, false AS was_deleted";

/// Queues the `{Model}.removed` events of records just marked deleted (if anyone listens),
/// commits, and returns how many were marked.
async fn finish_deletions(
    mut tx: sqlx::Transaction<'_, sqlx::Postgres>,
    listeners: Option<changed_data::Listeners>,
    kind: ModelKind,
    written: &[WrittenRecord],
) -> Result<u64, StoreError> {
    if let Some(l) = &listeners {
        changed_data::queue(&mut tx, l, kind, written).await?;
    }
    tx.commit().await?;
    Ok(written.len() as u64)
}

/// The table of a model (a fixed identifier, never user input).
pub fn table(kind: ModelKind) -> &'static str {
    match kind {
        ModelKind::Ticket => "tickets",
        ModelKind::Comment => "comments",
        ModelKind::User => "users",
        ModelKind::Contact => "contacts",
        ModelKind::Account => "accounts",
        ModelKind::Team => "teams",
        ModelKind::Tag => "tags",
        ModelKind::Role => "roles",
        ModelKind::Attachment => "attachments",
        ModelKind::Collection => "collections",
        ModelKind::Project => "projects",
    }
}

/// One record to write.
#[derive(Debug, Clone)]
pub struct RecordInput {
    /// Deskbridge id (derived from account, model and remote id).
    pub id: Uuid,
    /// Provider id.
    pub remote_id: String,
    /// The model's own fields.
    pub fields: Value,
    /// `[{path, data}]`, as the adapter's JSON text (bound verbatim).
    pub remote_data: Box<RawValue>,
    /// Hash of the content that counts as change (volatile values stripped).
    pub content_hash: Vec<u8>,
    /// Deleted at the provider.
    pub remote_was_deleted: bool,
}

/// What an upsert changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpsertOutcome {
    /// Remote ids of new records.
    pub created: Vec<String>,
    /// Remote ids of records whose content changed.
    pub updated: Vec<String>,
}

/// A stored record.
#[derive(Debug, Clone, FromRow)]
pub struct StoredRecord {
    /// Deskbridge id.
    pub id: Uuid,
    /// Provider id.
    pub remote_id: String,
    /// The model's own fields.
    pub fields: Value,
    /// Raw provider data, when it was asked for.
    pub remote_data: Option<Value>,
    /// Known only as a reference.
    pub is_shell: bool,
    /// Deleted at the provider.
    pub remote_was_deleted: bool,
    /// When Deskbridge created it.
    pub created_at: DateTime<Utc>,
    /// When Deskbridge last changed it.
    pub modified_at: DateTime<Utc>,
}

/// A stored record whose JSON columns are kept as the text PostgreSQL sent, for rendering
/// pages without building JSON trees (the list hot path).
#[derive(Debug, Clone, FromRow)]
pub struct RawRecord {
    /// Deskbridge id.
    pub id: Uuid,
    /// Provider id.
    pub remote_id: String,
    /// The model's own fields, as JSON text.
    pub fields: JsonText,
    /// Raw provider data as JSON text, when it was asked for.
    pub remote_data: Option<JsonText>,
    /// Known only as a reference.
    pub is_shell: bool,
    /// Deleted at the provider.
    pub remote_was_deleted: bool,
    /// When Deskbridge created it.
    pub created_at: DateTime<Utc>,
    /// When Deskbridge last changed it.
    pub modified_at: DateTime<Utc>,
}

/// A filter on a model's own fields (JSON keys are fixed names chosen by the API layer).
#[derive(Debug, Clone)]
pub enum FieldFilter {
    /// `fields->>key = value`.
    Eq(&'static str, String),
    /// Case-insensitive equality.
    EqIgnoreCase(&'static str, String),
    /// `fields->>key` contains the text (case-insensitive).
    Contains(&'static str, String),
    /// The JSON array `fields->key` holds any of the values.
    ArrayHasAny(&'static str, Vec<String>),
    /// The timestamp `fields->>key` is strictly after.
    TimeAfter(&'static str, DateTime<Utc>),
    /// The timestamp `fields->>key` is strictly before.
    TimeBefore(&'static str, DateTime<Utc>),
    /// `remote_id` is one of.
    RemoteIdIn(Vec<String>),
    /// `fields->>key` is one of.
    In(&'static str, Vec<String>),
}

/// A list query.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// The keyset order of the page (and of `after` / `before`).
    pub order: KeysetOrder,
    /// Keyset: strictly after this position in `order`.
    pub after: Option<(DateTime<Utc>, Uuid)>,
    /// Keyset: strictly before this position in `order`, for previous pages.
    pub before: Option<(DateTime<Utc>, Uuid)>,
    /// Rows to fetch.
    pub limit: i64,
    /// Created (by Deskbridge) after.
    pub created_after: Option<DateTime<Utc>>,
    /// Created before.
    pub created_before: Option<DateTime<Utc>>,
    /// Modified (by Deskbridge) after.
    pub modified_after: Option<DateTime<Utc>>,
    /// Modified before.
    pub modified_before: Option<DateTime<Utc>>,
    /// Exact remote id.
    pub remote_id: Option<String>,
    /// Include records deleted at the provider.
    pub include_deleted: bool,
    /// Include shell records.
    pub include_shell: bool,
    /// Select `remote_data` too.
    pub with_remote_data: bool,
    /// Model-specific filters.
    pub filters: Vec<FieldFilter>,
}

impl Store {
    /// Writes a batch: inserts new records, updates only those whose content changed (so
    /// `modified_at` moves on real change only), and revives shells. With `mark_children`
    /// (tickets), the new and changed ones are queued for their children to be fetched, in
    /// the same statement, so a run stopped after it still fetches them.
    pub async fn upsert_records(
        &self,
        linked_account: LinkedAccountId,
        kind: ModelKind,
        rows: &[RecordInput],
        mark_children: bool,
    ) -> Result<UpsertOutcome, StoreError> {
        if rows.is_empty() {
            return Ok(UpsertOutcome::default());
        }
        let t = table(kind);
        let mut tx = self.begin_sync_write().await?;
        let listeners = changed_data::listeners(&mut tx, linked_account, kind).await?;
        // `prev` (read only when someone listens) is the rows as they were before this
        // statement, which tells an added record from a changed or removed one.
        let sql = format!(
            "WITH prev AS (
                 SELECT remote_id, is_shell, remote_was_deleted FROM {t}
                 WHERE $9 AND linked_account_id = $1 AND remote_id = ANY($3)),
             up AS (
             INSERT INTO {t} AS r (linked_account_id, id, remote_id, fields, remote_data,
                 content_hash, is_shell, remote_was_deleted, created_at, modified_at)
             SELECT $1, u.id, u.remote_id, u.fields, u.remote_data, u.hash, false, u.deleted,
                    clock_timestamp(), clock_timestamp()
             FROM UNNEST($2::uuid[], $3::text[], $4::jsonb[], $5::jsonb[], $6::bytea[], $7::bool[])
                  AS u(id, remote_id, fields, remote_data, hash, deleted)
             ON CONFLICT (linked_account_id, remote_id) DO UPDATE SET
                 fields = EXCLUDED.fields, remote_data = EXCLUDED.remote_data,
                 content_hash = EXCLUDED.content_hash, is_shell = false,
                 remote_was_deleted = EXCLUDED.remote_was_deleted,
                 modified_at = clock_timestamp()
             WHERE r.content_hash IS DISTINCT FROM EXCLUDED.content_hash
                OR r.is_shell
                OR r.remote_was_deleted IS DISTINCT FROM EXCLUDED.remote_was_deleted
             RETURNING r.id, r.remote_id, r.fields, r.remote_was_deleted, r.created_at,
                       r.modified_at, (xmax = 0) AS inserted),
             due AS (
             INSERT INTO ticket_children_due (linked_account_id, remote_id)
             SELECT $1, remote_id FROM up WHERE $8
             ON CONFLICT (linked_account_id, remote_id)
             DO UPDATE SET flagged = nextval('ticket_children_due_flagged_seq'))
             SELECT up.id, up.remote_id,
                    CASE WHEN $9 THEN up.fields ELSE 'null'::jsonb END AS fields,
                    up.remote_was_deleted, up.created_at, up.modified_at, up.inserted,
                    prev.is_shell AS was_shell, prev.remote_was_deleted AS was_deleted
             FROM up LEFT JOIN prev USING (remote_id)"
        );
        // Borrowed, not copied: the JSON is serialised once, straight into the parameters.
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let remote_ids: Vec<&str> = rows.iter().map(|r| r.remote_id.as_str()).collect();
        let fields: Vec<Json<&Value>> = rows.iter().map(|r| Json(&r.fields)).collect();
        let remote_data: Vec<Json<&RawValue>> =
            rows.iter().map(|r| Json(&*r.remote_data)).collect();
        let hashes: Vec<&[u8]> = rows.iter().map(|r| r.content_hash.as_slice()).collect();
        let deleted: Vec<bool> = rows.iter().map(|r| r.remote_was_deleted).collect();
        let written: Vec<WrittenRecord> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(linked_account)
            .bind(ids)
            .bind(remote_ids)
            .bind(fields)
            .bind(remote_data)
            .bind(hashes)
            .bind(deleted)
            .bind(mark_children)
            .bind(listeners.is_some())
            .fetch_all(&mut *tx)
            .await?;
        if let Some(l) = &listeners {
            changed_data::queue(&mut tx, l, kind, &written).await?;
        }
        tx.commit().await?;
        let mut out = UpsertOutcome::default();
        for r in written {
            if r.inserted {
                out.created.push(r.remote_id);
            } else {
                out.updated.push(r.remote_id);
            }
        }
        Ok(out)
    }

    /// Creates shell records for references not yet synced (no-op for known ones).
    pub async fn ensure_shells(
        &self,
        linked_account: LinkedAccountId,
        kind: ModelKind,
        refs: &[(Uuid, String)],
    ) -> Result<u64, StoreError> {
        if refs.is_empty() {
            return Ok(0);
        }
        let t = table(kind);
        let sql = format!(
            "INSERT INTO {t} (linked_account_id, id, remote_id, is_shell)
             SELECT $1, u.id, u.remote_id, true FROM UNNEST($2::uuid[], $3::text[]) AS u(id, remote_id)
             ON CONFLICT DO NOTHING"
        );
        let ids: Vec<Uuid> = refs.iter().map(|r| r.0).collect();
        let rids: Vec<String> = refs.iter().map(|r| r.1.clone()).collect();
        let mut tx = self.begin_sync_write().await?;
        let done = sqlx::query(AssertSqlSafe(sql))
            .bind(linked_account)
            .bind(ids)
            .bind(rids)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    /// Marks records deleted at the provider; returns how many changed.
    pub async fn mark_deleted(
        &self,
        linked_account: LinkedAccountId,
        kind: ModelKind,
        remote_ids: &[String],
    ) -> Result<u64, StoreError> {
        if remote_ids.is_empty() {
            return Ok(0);
        }
        let sql = format!(
            "UPDATE {} SET remote_was_deleted = true, modified_at = clock_timestamp()
             WHERE linked_account_id = $1 AND remote_id = ANY($2) AND NOT remote_was_deleted
             {DELETED_RETURNING}",
            table(kind)
        );
        let mut tx = self.begin_sync_write().await?;
        let listeners = changed_data::listeners(&mut tx, linked_account, kind).await?;
        let written: Vec<WrittenRecord> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(linked_account)
            .bind(remote_ids)
            .fetch_all(&mut *tx)
            .await?;
        finish_deletions(tx, listeners, kind, &written).await
    }

    /// Marks records deleted at the provider, each with the provider's `updated_at` of the
    /// deletion when known (`(remote_id, remote_updated_at)`): a synced record takes it as its
    /// `remote_updated_at` (its other fields stay as last synced), so a ticket trashed or
    /// marked spam does not keep the time of its last edit. A record already flagged is
    /// touched again only when that time differs. Returns how many rows changed.
    pub async fn mark_deleted_at(
        &self,
        linked_account: LinkedAccountId,
        kind: ModelKind,
        deletions: &[(String, Option<String>)],
    ) -> Result<u64, StoreError> {
        if deletions.is_empty() {
            return Ok(0);
        }
        // `old` (the statement's snapshot) tells a newly removed record from one already
        // flagged whose deletion time moved, which is not a second `{Model}.removed`.
        let sql = format!(
            "WITH u AS (SELECT * FROM UNNEST($2::text[], $3::text[]) AS u(remote_id, at)),
                  old AS (SELECT r.id, r.remote_was_deleted FROM {t} r JOIN u USING (remote_id)
                          WHERE r.linked_account_id = $1)
             UPDATE {t} AS r SET remote_was_deleted = true,
                 fields = CASE WHEN u.at IS NULL OR r.is_shell OR r.fields IS NULL THEN r.fields
                          ELSE jsonb_set(r.fields, '{{remote_updated_at}}', to_jsonb(u.at)) END,
                 modified_at = clock_timestamp()
             FROM u, old o
             WHERE r.linked_account_id = $1 AND r.remote_id = u.remote_id AND o.id = r.id
               AND (NOT r.remote_was_deleted
                    OR (u.at IS NOT NULL AND NOT r.is_shell
                        AND r.fields->>'remote_updated_at' IS DISTINCT FROM u.at))
             RETURNING r.id, r.remote_id, r.fields, r.remote_was_deleted, r.created_at,
                 r.modified_at, false AS inserted, r.is_shell AS was_shell,
                 o.remote_was_deleted AS was_deleted",
            t = table(kind)
        );
        let ids: Vec<String> = deletions.iter().map(|d| d.0.clone()).collect();
        let at: Vec<Option<String>> = deletions.iter().map(|d| d.1.clone()).collect();
        let mut tx = self.begin_sync_write().await?;
        let listeners = changed_data::listeners(&mut tx, linked_account, kind).await?;
        let written: Vec<WrittenRecord> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(linked_account)
            .bind(ids)
            .bind(at)
            .fetch_all(&mut *tx)
            .await?;
        finish_deletions(tx, listeners, kind, &written).await
    }

    /// After a complete listing: marks deleted every synced record not among `seen`.
    pub async fn mark_missing_deleted(
        &self,
        linked_account: LinkedAccountId,
        kind: ModelKind,
        seen: &[String],
    ) -> Result<u64, StoreError> {
        let sql = format!(
            "UPDATE {} AS r SET remote_was_deleted = true, modified_at = clock_timestamp()
             WHERE linked_account_id = $1 AND NOT is_shell AND NOT remote_was_deleted
               AND NOT EXISTS (SELECT 1 FROM UNNEST($2::text[]) AS s(id) WHERE s.id = r.remote_id)
             {DELETED_RETURNING}",
            table(kind)
        );
        let mut tx = self.begin_sync_write().await?;
        let listeners = changed_data::listeners(&mut tx, linked_account, kind).await?;
        let written: Vec<WrittenRecord> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(linked_account)
            .bind(seen)
            .fetch_all(&mut *tx)
            .await?;
        finish_deletions(tx, listeners, kind, &written).await
    }

    /// Remote ids of the live (not deleted, not shell) records of a model.
    pub async fn live_remote_ids(
        &self,
        linked_account: LinkedAccountId,
        kind: ModelKind,
    ) -> Result<Vec<String>, StoreError> {
        let sql = format!(
            "SELECT remote_id FROM {} WHERE linked_account_id = $1 AND NOT is_shell
               AND NOT remote_was_deleted",
            table(kind)
        );
        Ok(sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(linked_account)
            .fetch_all(&self.pool)
            .await?)
    }
}

impl Store {
    /// Marks deleted the live children of the `parents` (by a relation field such as `ticket`)
    /// that are not among `seen`: complete listings of those parents' children no longer have
    /// them. `seen` holds the children seen under any of the parents (remote ids are unique
    /// within a model, so one list serves all parents of a batch). `seen` is joined as a set
    /// (a hash anti-join): `NOT (remote_id = ANY($3))` under a generic plan compared each child
    /// with the whole list, 2.6–3.1 ms against 0.7–1.0 ms for a round of 100 tickets
    /// (docs/BENCHMARKS.md §2).
    pub async fn mark_missing_children(
        &self,
        linked_account: LinkedAccountId,
        kind: ModelKind,
        parent_field: &'static str,
        parents: &[Uuid],
        seen: &[String],
    ) -> Result<u64, StoreError> {
        if parents.is_empty() {
            return Ok(0);
        }
        let sql = format!(
            "UPDATE {} AS r SET remote_was_deleted = true, modified_at = clock_timestamp()
             WHERE linked_account_id = $1 AND NOT is_shell AND NOT remote_was_deleted
               AND fields->>'{parent_field}' = ANY($2)
               AND NOT EXISTS (SELECT 1 FROM UNNEST($3::text[]) AS s(id) WHERE s.id = r.remote_id)
             {DELETED_RETURNING}",
            table(kind)
        );
        let parents: Vec<String> = parents.iter().map(Uuid::to_string).collect();
        let mut tx = self.begin_sync_write().await?;
        let listeners = changed_data::listeners(&mut tx, linked_account, kind).await?;
        let written: Vec<WrittenRecord> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(linked_account)
            .bind(parents)
            .bind(seen)
            .fetch_all(&mut *tx)
            .await?;
        finish_deletions(tx, listeners, kind, &written).await
    }
}
