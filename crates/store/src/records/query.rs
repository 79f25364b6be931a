//! The read side of the records: keyset-paged lists with filters, lookups by id and counts,
//! all starting from a tenant-scoped SELECT.

use chrono::{DateTime, Utc};
use deskbridge_model::ModelKind;
use sqlx::{AssertSqlSafe, FromRow, Postgres, QueryBuilder, Row};
use uuid::Uuid;

use super::{FieldFilter, ListQuery, RawRecord, StoredRecord, table};
use crate::ids::{LinkedAccountId, OrgId};
use crate::keyset;
use crate::{Store, StoreError};

impl Store {
    /// Lists records of a linked account in the query's keyset order.
    pub async fn list_records(
        &self,
        org: OrgId,
        linked_account: LinkedAccountId,
        kind: ModelKind,
        q: &ListQuery,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        self.list_records_as(org, linked_account, kind, q).await
    }

    /// [`Store::list_records`] with the JSON columns as text.
    pub async fn list_records_raw(
        &self,
        org: OrgId,
        linked_account: LinkedAccountId,
        kind: ModelKind,
        q: &ListQuery,
    ) -> Result<Vec<RawRecord>, StoreError> {
        self.list_records_as(org, linked_account, kind, q).await
    }

    /// [`Store::records_by_ids`] with the JSON columns as text.
    pub async fn records_by_ids_raw(
        &self,
        org: OrgId,
        linked_account: LinkedAccountId,
        kind: ModelKind,
        ids: &[Uuid],
    ) -> Result<Vec<RawRecord>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut b = select(org, linked_account, kind, false);
        b.push(" AND r.id = ANY(").push_bind(ids.to_vec()).push(")");
        Ok(b.build_query_as::<RawRecord>()
            .fetch_all(&self.pool)
            .await?)
    }

    async fn list_records_as<R>(
        &self,
        org: OrgId,
        linked_account: LinkedAccountId,
        kind: ModelKind,
        q: &ListQuery,
    ) -> Result<Vec<R>, StoreError>
    where
        R: for<'r> FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
    {
        let mut b = select(org, linked_account, kind, q.with_remote_data);
        if !q.include_deleted {
            b.push(" AND NOT r.remote_was_deleted");
        }
        if !q.include_shell {
            b.push(" AND NOT r.is_shell");
        }
        push_time(&mut b, "r.created_at >", q.created_after);
        push_time(&mut b, "r.created_at <", q.created_before);
        push_time(&mut b, "r.modified_at >", q.modified_after);
        push_time(&mut b, "r.modified_at <", q.modified_before);
        if let Some(rid) = &q.remote_id {
            b.push(" AND r.remote_id = ").push_bind(rid.clone());
        }
        for f in &q.filters {
            push_filter(&mut b, f);
        }
        Ok(keyset::fetch_page_by(b, &self.pool, "r.", q.order, q.after, q.before, q.limit).await?)
    }

    /// Fetches records by id (for retrieve and `expand`), shells and deleted ones included.
    pub async fn records_by_ids(
        &self,
        org: OrgId,
        linked_account: LinkedAccountId,
        kind: ModelKind,
        ids: &[Uuid],
        with_remote_data: bool,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut b = select(org, linked_account, kind, with_remote_data);
        b.push(" AND r.id = ANY(").push_bind(ids.to_vec()).push(")");
        Ok(b.build_query_as::<StoredRecord>()
            .fetch_all(&self.pool)
            .await?)
    }

    /// Fetches records of several models by id in one statement (every relation an `expand`
    /// names, at once, instead of one statement per relation): `groups[i]` is a model and
    /// ids, and each row comes back with the index of its group. Shells and deleted records
    /// are included, without remote data, as [`Store::records_by_ids`] answers them.
    pub async fn records_by_ids_grouped<R>(
        &self,
        org: OrgId,
        linked_account: LinkedAccountId,
        groups: &[(ModelKind, Vec<Uuid>)],
    ) -> Result<Vec<(usize, R)>, StoreError>
    where
        R: for<'r> FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
    {
        let mut b = QueryBuilder::<Postgres>::new("");
        let mut parts = 0;
        for (i, (kind, ids)) in groups.iter().enumerate() {
            if ids.is_empty() {
                continue;
            }
            if parts > 0 {
                b.push(" UNION ALL ");
            }
            parts += 1;
            b.push(format!(
                "(SELECT {i}::int4 AS grp, r.id, r.remote_id, r.fields, NULL::jsonb AS remote_data,
                         r.is_shell, r.remote_was_deleted, r.created_at, r.modified_at
                  FROM {} r JOIN linked_accounts la ON la.id = r.linked_account_id
                  WHERE la.organization_id = ",
                table(*kind)
            ));
            b.push_bind(org)
                .push(" AND r.linked_account_id = ")
                .push_bind(linked_account)
                .push(" AND r.id = ANY(")
                .push_bind(ids.clone())
                .push("))");
        }
        if parts == 0 {
            return Ok(Vec::new());
        }
        let rows = b.build().fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                let group: i32 = row.try_get("grp")?;
                let group = usize::try_from(group)
                    .map_err(|_| StoreError::Other("a negative expand group".into()))?;
                Ok((group, R::from_row(row)?))
            })
            .collect()
    }

    /// Counts the live records of each model of a linked account.
    pub async fn count_records(
        &self,
        linked_account: LinkedAccountId,
        kind: ModelKind,
    ) -> Result<i64, StoreError> {
        let sql = format!(
            "SELECT count(*) FROM {} WHERE linked_account_id = $1 AND NOT is_shell",
            table(kind)
        );
        Ok(sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(linked_account)
            .fetch_one(&self.pool)
            .await?)
    }
}

/// The tenant-scoped SELECT every read starts from: the linked account must belong to `org`.
fn select(
    org: OrgId,
    linked_account: LinkedAccountId,
    kind: ModelKind,
    with_remote_data: bool,
) -> QueryBuilder<Postgres> {
    let rd = if with_remote_data {
        "r.remote_data"
    } else {
        "NULL::jsonb AS remote_data"
    };
    let mut b = QueryBuilder::new(format!(
        "SELECT r.id, r.remote_id, r.fields, {rd}, r.is_shell, r.remote_was_deleted, r.created_at,
                r.modified_at
         FROM {} r JOIN linked_accounts la ON la.id = r.linked_account_id
         WHERE la.organization_id = ",
        table(kind)
    ));
    b.push_bind(org)
        .push(" AND r.linked_account_id = ")
        .push_bind(linked_account);
    b
}

fn push_time(b: &mut QueryBuilder<Postgres>, cond: &str, v: Option<DateTime<Utc>>) {
    if let Some(v) = v {
        b.push(" AND ").push(cond).push(" ").push_bind(v);
    }
}

fn push_filter(b: &mut QueryBuilder<Postgres>, f: &FieldFilter) {
    match f {
        FieldFilter::Eq(k, v) => {
            b.push(format!(" AND r.fields->>'{k}' = "))
                .push_bind(v.clone());
        }
        FieldFilter::EqIgnoreCase(k, v) => {
            b.push(format!(" AND lower(r.fields->>'{k}') = lower("))
                .push_bind(v.clone())
                .push(")");
        }
        FieldFilter::Contains(k, v) => {
            let pattern = format!(
                "%{}%",
                v.replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            );
            b.push(format!(" AND r.fields->>'{k}' ILIKE "))
                .push_bind(pattern);
        }
        FieldFilter::ArrayHasAny(k, vs) => {
            b.push(format!(" AND r.fields->'{k}' ?| "))
                .push_bind(vs.clone());
        }
        FieldFilter::TimeAfter(k, t) => {
            b.push(format!(" AND (r.fields->>'{k}')::timestamptz > "))
                .push_bind(*t);
        }
        FieldFilter::TimeBefore(k, t) => {
            b.push(format!(" AND (r.fields->>'{k}')::timestamptz < "))
                .push_bind(*t);
        }
        FieldFilter::In(k, vs) => {
            b.push(format!(" AND r.fields->>'{k}' = ANY("))
                .push_bind(vs.clone())
                .push(")");
        }
        FieldFilter::RemoteIdIn(ids) => {
            b.push(" AND r.remote_id = ANY(")
                .push_bind(ids.clone())
                .push(")");
        }
    }
}
