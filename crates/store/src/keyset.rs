//! Keyset pagination over `(created_at, id)`, written once for every paged list (records,
//! linked accounts, audit events, webhook deliveries): stable under concurrent inserts and
//! as cheap on the thousandth page as on the first, unlike `OFFSET`.

use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{FromRow, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

/// A position in a keyset order: a row's `(created_at, id)`.
pub type Position = (DateTime<Utc>, Uuid);

/// Finishes `q` (a `SELECT … WHERE …` whose rows carry `{alias}created_at` and `{alias}id`)
/// with the keyset condition (rows strictly `after` a position, or strictly `before` one for
/// a previous page; `before` wins), order and limit, and fetches it oldest first. A previous
/// page is read newest first (so that `LIMIT` keeps the rows nearest the cursor) and turned
/// round.
pub(crate) async fn fetch_page<R>(
    mut q: QueryBuilder<Postgres>,
    pool: &PgPool,
    alias: &str,
    after: Option<Position>,
    before: Option<Position>,
    limit: i64,
) -> Result<Vec<R>, sqlx::Error>
where
    R: for<'r> FromRow<'r, PgRow> + Send + Unpin,
{
    let (position, op, order) = match (before, after) {
        (Some(p), _) => (Some(p), "<", "DESC"),
        (None, Some(p)) => (Some(p), ">", "ASC"),
        (None, None) => (None, ">", "ASC"),
    };
    if let Some((created_at, id)) = position {
        q.push(format!(" AND ({alias}created_at, {alias}id) {op} ("))
            .push_bind(created_at)
            .push(", ")
            .push_bind(id)
            .push(")");
    }
    q.push(format!(
        " ORDER BY {alias}created_at {order}, {alias}id {order} LIMIT "
    ));
    q.push_bind(limit);
    let mut rows = q.build_query_as::<R>().fetch_all(pool).await?;
    if before.is_some() {
        rows.reverse();
    }
    Ok(rows)
}
