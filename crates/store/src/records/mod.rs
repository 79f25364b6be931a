//! Synced records of every common model: exact batch upserts and keyset listing.

use chrono::{DateTime, Utc};
use deskbridge_model::ModelKind;
use serde_json::Value;
use sqlx::AssertSqlSafe;
use sqlx::FromRow;
use uuid::Uuid;

pub use crate::keyset::KeysetOrder;
use crate::{Store, StoreError};

mod query;

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
    /// `[{path, data}]`.
    pub remote_data: Value,
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
    pub fields: sqlx::types::Json<Box<serde_json::value::RawValue>>,
    /// Raw provider data as JSON text, when it was asked for.
    pub remote_data: Option<sqlx::types::Json<Box<serde_json::value::RawValue>>>,
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
    /// `modified_at` moves on real change only), and revives shells. With `mark_children`,
    /// changed records are flagged as needing their children fetched.
    pub async fn upsert_records(
        &self,
        linked_account: Uuid,
        kind: ModelKind,
        rows: &[RecordInput],
        mark_children: bool,
    ) -> Result<UpsertOutcome, StoreError> {
        if rows.is_empty() {
            return Ok(UpsertOutcome::default());
        }
        let t = table(kind);
        let sql = format!(
            "INSERT INTO {t} AS r (linked_account_id, id, remote_id, fields, remote_data,
                 content_hash, is_shell, remote_was_deleted, needs_children, created_at, modified_at)
             SELECT $1, u.id, u.remote_id, u.fields, u.remote_data, u.hash, false, u.deleted, $8,
                    clock_timestamp(), clock_timestamp()
             FROM UNNEST($2::uuid[], $3::text[], $4::jsonb[], $5::jsonb[], $6::bytea[], $7::bool[])
                  AS u(id, remote_id, fields, remote_data, hash, deleted)
             ON CONFLICT (linked_account_id, remote_id) DO UPDATE SET
                 fields = EXCLUDED.fields, remote_data = EXCLUDED.remote_data,
                 content_hash = EXCLUDED.content_hash, is_shell = false,
                 remote_was_deleted = EXCLUDED.remote_was_deleted,
                 needs_children = r.needs_children OR EXCLUDED.needs_children,
                 modified_at = clock_timestamp()
             WHERE r.content_hash IS DISTINCT FROM EXCLUDED.content_hash
                OR r.is_shell
                OR r.remote_was_deleted IS DISTINCT FROM EXCLUDED.remote_was_deleted
             RETURNING r.remote_id, (xmax = 0) AS inserted"
        );
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let remote_ids: Vec<String> = rows.iter().map(|r| r.remote_id.clone()).collect();
        let fields: Vec<Value> = rows.iter().map(|r| r.fields.clone()).collect();
        let remote_data: Vec<Value> = rows.iter().map(|r| r.remote_data.clone()).collect();
        let hashes: Vec<Vec<u8>> = rows.iter().map(|r| r.content_hash.clone()).collect();
        let deleted: Vec<bool> = rows.iter().map(|r| r.remote_was_deleted).collect();
        let changed: Vec<(String, bool)> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(linked_account)
            .bind(ids)
            .bind(remote_ids)
            .bind(fields)
            .bind(remote_data)
            .bind(hashes)
            .bind(deleted)
            .bind(mark_children)
            .fetch_all(&self.pool)
            .await?;
        let mut out = UpsertOutcome::default();
        for (rid, inserted) in changed {
            if inserted {
                out.created.push(rid);
            } else {
                out.updated.push(rid);
            }
        }
        Ok(out)
    }

    /// Creates shell records for references not yet synced (no-op for known ones).
    pub async fn ensure_shells(
        &self,
        linked_account: Uuid,
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
        let done = sqlx::query(AssertSqlSafe(sql))
            .bind(linked_account)
            .bind(ids)
            .bind(rids)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// Marks records deleted at the provider; returns how many changed.
    pub async fn mark_deleted(
        &self,
        linked_account: Uuid,
        kind: ModelKind,
        remote_ids: &[String],
    ) -> Result<u64, StoreError> {
        if remote_ids.is_empty() {
            return Ok(0);
        }
        let sql = format!(
            "UPDATE {} SET remote_was_deleted = true, modified_at = clock_timestamp()
             WHERE linked_account_id = $1 AND remote_id = ANY($2) AND NOT remote_was_deleted",
            table(kind)
        );
        let done = sqlx::query(AssertSqlSafe(sql))
            .bind(linked_account)
            .bind(remote_ids)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// After a complete listing: marks deleted every synced record not among `seen`.
    pub async fn mark_missing_deleted(
        &self,
        linked_account: Uuid,
        kind: ModelKind,
        seen: &[String],
    ) -> Result<u64, StoreError> {
        let sql = format!(
            "UPDATE {} SET remote_was_deleted = true, modified_at = clock_timestamp()
             WHERE linked_account_id = $1 AND NOT is_shell AND NOT remote_was_deleted
               AND NOT (remote_id = ANY($2))",
            table(kind)
        );
        let done = sqlx::query(AssertSqlSafe(sql))
            .bind(linked_account)
            .bind(seen)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// Remote ids of tickets whose children must be fetched.
    pub async fn tickets_needing_children(
        &self,
        linked_account: Uuid,
        limit: i64,
    ) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT remote_id FROM tickets WHERE linked_account_id = $1 AND needs_children
             ORDER BY remote_id LIMIT $2",
        )
        .bind(linked_account)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Clears the children flag once they are synced.
    pub async fn children_synced(
        &self,
        linked_account: Uuid,
        ticket_remote_ids: &[String],
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE tickets SET needs_children = false
             WHERE linked_account_id = $1 AND remote_id = ANY($2)",
        )
        .bind(linked_account)
        .bind(ticket_remote_ids)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Remote ids of the live (not deleted, not shell) records of a model.
    pub async fn live_remote_ids(
        &self,
        linked_account: Uuid,
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
    /// within a model, so one list serves all parents of a batch).
    pub async fn mark_missing_children(
        &self,
        linked_account: Uuid,
        kind: ModelKind,
        parent_field: &'static str,
        parents: &[Uuid],
        seen: &[String],
    ) -> Result<u64, StoreError> {
        if parents.is_empty() {
            return Ok(0);
        }
        let sql = format!(
            "UPDATE {} SET remote_was_deleted = true, modified_at = clock_timestamp()
             WHERE linked_account_id = $1 AND NOT is_shell AND NOT remote_was_deleted
               AND fields->>'{parent_field}' = ANY($2) AND NOT (remote_id = ANY($3))",
            table(kind)
        );
        let parents: Vec<String> = parents.iter().map(Uuid::to_string).collect();
        let done = sqlx::query(AssertSqlSafe(sql))
            .bind(linked_account)
            .bind(parents)
            .bind(seen)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}
