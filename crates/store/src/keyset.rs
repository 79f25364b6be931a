//! Keyset pagination over `(created_at, id)`, written once for every paged list (records,
//! linked accounts, audit events, webhook deliveries): stable under concurrent inserts and
//! as cheap on the thousandth page as on the first, unlike `OFFSET`.

use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{FromRow, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

/// A position in a keyset order: a row's `(created_at, id)`.
pub type Position = (DateTime<Utc>, Uuid);

/// Where a page starts and how long it is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Page {
    /// Rows strictly after this position (a next page).
    pub after: Option<Position>,
    /// Rows strictly before this position (a previous page); wins over `after`.
    pub before: Option<Position>,
    /// Rows fetched at most.
    pub limit: i64,
}

/// Finishes `q` (a `SELECT … WHERE …` whose rows carry `{alias}created_at` and `{alias}id`)
/// with the page's keyset condition, order and limit, and fetches it oldest first. A previous
/// page is read newest first (so that `LIMIT` keeps the rows nearest the cursor) and turned
/// round.
pub(crate) async fn fetch_page<R>(
    mut q: QueryBuilder<Postgres>,
    pool: &PgPool,
    alias: &str,
    page: Page,
) -> Result<Vec<R>, sqlx::Error>
where
    R: for<'r> FromRow<'r, PgRow> + Send + Unpin,
{
    let (position, op, order) = match (page.before, page.after) {
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
    q.push_bind(page.limit);
    let mut rows = q.build_query_as::<R>().fetch_all(pool).await?;
    if page.before.is_some() {
        rows.reverse();
    }
    Ok(rows)
}
