//! Keyset pagination over `(created_at, id)` (or `(modified_at, id)` for record lists filtered
//! by modification time), written once for every paged list (records, linked accounts, audit
//! events, webhook deliveries): stable under concurrent inserts and as cheap on the
//! thousandth page as on the first, unlike `OFFSET`.

use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{FromRow, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

/// A position in a keyset order: a row's `(created_at, id)` or `(modified_at, id)`.
pub type Position = (DateTime<Utc>, Uuid);

/// The timestamp column a keyset order pages by (`id` breaks ties). Record lists filtered by
/// `modified_at` page by it, because only an index on `(linked_account_id, modified_at, id)`
/// serves such a filter and the order together whatever share of rows matches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum KeysetOrder {
    /// `(created_at, id)`: every list unless filtered by modification time.
    #[default]
    CreatedAt,
    /// `(modified_at, id)`: record lists with `modified_after` or `modified_before`.
    ModifiedAt,
}

impl KeysetOrder {
    fn column(self) -> &'static str {
        match self {
            KeysetOrder::CreatedAt => "created_at",
            KeysetOrder::ModifiedAt => "modified_at",
        }
    }
}

/// [`fetch_page_by`] in `(created_at, id)` order.
pub(crate) async fn fetch_page<R>(
    q: QueryBuilder<Postgres>,
    pool: &PgPool,
    alias: &str,
    after: Option<Position>,
    before: Option<Position>,
    limit: i64,
) -> Result<Vec<R>, sqlx::Error>
where
    R: for<'r> FromRow<'r, PgRow> + Send + Unpin,
{
    fetch_page_by(q, pool, alias, KeysetOrder::CreatedAt, after, before, limit).await
}

/// Finishes `q` (a `SELECT … WHERE …` whose rows carry `{alias}id` and the order's column)
/// with the keyset condition (rows strictly `after` a position, or strictly `before` one for
/// a previous page; `before` wins), order and limit, and fetches it oldest first. A previous
/// page is read newest first (so that `LIMIT` keeps the rows nearest the cursor) and turned
/// round.
pub(crate) async fn fetch_page_by<R>(
    mut q: QueryBuilder<Postgres>,
    pool: &PgPool,
    alias: &str,
    order_by: KeysetOrder,
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
    let col = order_by.column();
    if let Some((at, id)) = position {
        q.push(format!(" AND ({alias}{col}, {alias}id) {op} ("))
            .push_bind(at)
            .push(", ")
            .push_bind(id)
            .push(")");
    }
    q.push(format!(
        " ORDER BY {alias}{col} {order}, {alias}id {order} LIMIT "
    ));
    q.push_bind(limit);
    let mut rows = q.build_query_as::<R>().fetch_all(pool).await?;
    if before.is_some() {
        rows.reverse();
    }
    Ok(rows)
}
