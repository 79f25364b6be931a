//! Bulk writes: does binary `COPY` into a staging table, then one merge, write a sync's
//! batches faster than the one `INSERT … SELECT FROM UNNEST($arrays) ON CONFLICT` statement
//! the store sends? Both write the same comment rows (read from a database `ingest` left
//! behind) into empty tables shaped like `comments`, in batches of the size a children round
//! writes, in transactions with the sync's relaxed commit, alternating which goes first. Each
//! method has its own connection, so its backend's CPU is read from `/proc` (this machine's
//! PostgreSQL). A second pass writes the same rows again (unchanged: nothing to update), as an
//! incremental sync does.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use bytes::{BufMut, BytesMut};
use clap::Args;
use serde_json::json;
use serde_json::value::RawValue;
use sqlx::types::Json;
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

use crate::common::{self, Global};
use crate::ingest::round;

/// Options of `bulk-write`.
#[derive(Debug, Clone, Args)]
pub struct BulkArgs {
    /// Common options.
    #[command(flatten)]
    pub global: Global,
    /// The database `ingest` filled (read only; the scratch tables are dropped at the end).
    #[arg(long, default_value = "deskbridge_bench_100k")]
    pub db_name: String,
    /// Comment rows written by each method.
    #[arg(long, default_value_t = 100_000)]
    pub rows: i64,
    /// Rows per batch (a children round of 100 tickets writes about 400 comments).
    #[arg(long, default_value_t = 400)]
    pub batch: usize,
}

/// One comment row as the sync writes it.
#[derive(sqlx::FromRow)]
struct Row {
    linked_account_id: Uuid,
    id: Uuid,
    remote_id: String,
    fields: String,
    remote_data: String,
    content_hash: Vec<u8>,
    remote_was_deleted: bool,
}

const COLUMNS: &str =
    "linked_account_id, id, remote_id, fields, remote_data, content_hash, remote_was_deleted";

/// The merge both methods end with: the store's `ON CONFLICT` clause and `RETURNING`.
fn merge_tail() -> &'static str {
    "ON CONFLICT (linked_account_id, remote_id) DO UPDATE SET
         fields = EXCLUDED.fields, remote_data = EXCLUDED.remote_data,
         content_hash = EXCLUDED.content_hash, modified_at = clock_timestamp()
     WHERE r.content_hash IS DISTINCT FROM EXCLUDED.content_hash
     RETURNING r.id, (xmax = 0) AS inserted"
}

async fn unnest_batch(conn: &mut PgConnection, rows: &[Row]) -> anyhow::Result<usize> {
    let sql = format!(
        "INSERT INTO bulk_unnest AS r ({COLUMNS}, is_shell, created_at, modified_at)
         SELECT u.*, false, clock_timestamp(), clock_timestamp()
         FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::jsonb[], $5::jsonb[], $6::bytea[],
                     $7::bool[]) AS u {}",
        merge_tail()
    );
    let raw =
        |s: &str| -> anyhow::Result<Box<RawValue>> { Ok(RawValue::from_string(s.to_string())?) };
    let fields = rows
        .iter()
        .map(|r| raw(&r.fields))
        .collect::<Result<Vec<_>, _>>()?;
    let data = rows
        .iter()
        .map(|r| raw(&r.remote_data))
        .collect::<Result<Vec<_>, _>>()?;
    let mut tx = conn.begin().await?;
    let out = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(rows.iter().map(|r| r.linked_account_id).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.id).collect::<Vec<_>>())
        .bind(
            rows.iter()
                .map(|r| r.remote_id.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(fields.iter().map(|f| Json(&**f)).collect::<Vec<_>>())
        .bind(data.iter().map(|f| Json(&**f)).collect::<Vec<_>>())
        .bind(
            rows.iter()
                .map(|r| r.content_hash.as_slice())
                .collect::<Vec<_>>(),
        )
        .bind(
            rows.iter()
                .map(|r| r.remote_was_deleted)
                .collect::<Vec<_>>(),
        )
        .fetch_all(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(out.len())
}

/// PostgreSQL's binary `COPY` format of the rows (header, tuples, trailer).
fn copy_binary(rows: &[Row]) -> BytesMut {
    let mut b = BytesMut::with_capacity(rows.len() * 3_000);
    b.put_slice(b"PGCOPY\n\xff\r\n\0");
    b.put_i32(0);
    b.put_i32(0);
    for r in rows {
        b.put_i16(7);
        for uuid in [r.linked_account_id, r.id] {
            b.put_i32(16);
            b.put_slice(uuid.as_bytes());
        }
        b.put_i32(r.remote_id.len() as i32);
        b.put_slice(r.remote_id.as_bytes());
        for json in [&r.fields, &r.remote_data] {
            // jsonb's binary form: a version byte, then the text.
            b.put_i32(json.len() as i32 + 1);
            b.put_u8(1);
            b.put_slice(json.as_bytes());
        }
        b.put_i32(r.content_hash.len() as i32);
        b.put_slice(&r.content_hash);
        b.put_i32(1);
        b.put_u8(u8::from(r.remote_was_deleted));
    }
    b.put_i16(-1);
    b
}

async fn copy_batch(conn: &mut PgConnection, rows: &[Row]) -> anyhow::Result<usize> {
    let mut tx = conn.begin().await?;
    let mut copy = tx
        .copy_in_raw(&format!(
            "COPY bulk_stage ({COLUMNS}) FROM STDIN (FORMAT binary)"
        ))
        .await?;
    copy.send(copy_binary(rows)).await?;
    copy.finish().await?;
    let sql = format!(
        "INSERT INTO bulk_copy AS r ({COLUMNS}, is_shell, created_at, modified_at)
         SELECT {COLUMNS}, false, clock_timestamp(), clock_timestamp() FROM bulk_stage {}",
        merge_tail()
    );
    let out = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *tx)
        .await?;
    // The staging table is `ON COMMIT DELETE ROWS`.
    tx.commit().await?;
    Ok(out.len())
}

/// CPU seconds a backend has used so far (`/proc/<pid>/stat`, utime + stime).
fn backend_cpu(pid: i32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

async fn connect(url: &str) -> anyhow::Result<(PgConnection, i32)> {
    let mut c = PgConnection::connect(url).await?;
    sqlx::query("SET synchronous_commit = off")
        .execute(&mut c)
        .await?;
    let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut c)
        .await?;
    Ok((c, pid))
}

/// Per method: wall time and backend CPU over the passes.
#[derive(Default, Clone, Copy)]
struct Tally {
    wall: Duration,
    cpu: f64,
}

/// `deskbridge-bench bulk-write`.
pub async fn run(a: BulkArgs) -> anyhow::Result<()> {
    let url = deskbridge_store::pg::with_database(&a.global.pg, &a.db_name);
    let (mut setup, _) = connect(&url)
        .await
        .context("connect to the database `ingest` filled (--db-name)")?;
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT linked_account_id, id, remote_id, fields::text AS fields,
                remote_data::text AS remote_data, content_hash, remote_was_deleted
         FROM comments WHERE NOT is_shell ORDER BY linked_account_id, remote_id LIMIT $1",
    )
    .bind(a.rows)
    .fetch_all(&mut setup)
    .await?;
    anyhow::ensure!(
        !rows.is_empty(),
        "no comments in {}: run `ingest` first",
        a.db_name
    );
    for t in ["bulk_unnest", "bulk_copy"] {
        for sql in [
            format!("DROP TABLE IF EXISTS {t}"),
            format!("CREATE TABLE {t} (LIKE comments INCLUDING ALL)"),
        ] {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut setup)
                .await?;
        }
    }
    let (mut un, un_pid) = connect(&url).await?;
    let (mut cp, cp_pid) = connect(&url).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE TEMP TABLE bulk_stage ON COMMIT DELETE ROWS AS
         SELECT {COLUMNS} FROM comments WITH NO DATA"
    )))
    .execute(&mut cp)
    .await?;
    let mut passes = Vec::new();
    for pass in ["insert", "unchanged"] {
        let (mut tu, mut tc) = (Tally::default(), Tally::default());
        let mut written = (0, 0);
        for (i, batch) in rows.chunks(a.batch).enumerate() {
            for first_unnest in [i % 2 == 0, i % 2 != 0] {
                if first_unnest {
                    let (t0, c0) = (Instant::now(), backend_cpu(un_pid));
                    written.0 += unnest_batch(&mut un, batch).await?;
                    tu.wall += t0.elapsed();
                    tu.cpu += backend_cpu(un_pid) - c0;
                } else {
                    let (t0, c0) = (Instant::now(), backend_cpu(cp_pid));
                    written.1 += copy_batch(&mut cp, batch).await?;
                    tc.wall += t0.elapsed();
                    tc.cpu += backend_cpu(cp_pid) - c0;
                }
            }
        }
        anyhow::ensure!(
            written.0 == written.1,
            "the two methods wrote different rows"
        );
        let n = rows.len() as f64;
        let per = |t: Tally| {
            json!({
                "rows_per_sec": round(n / t.wall.as_secs_f64()),
                "ms_per_batch": round(t.wall.as_secs_f64() * 1e3 / n * a.batch as f64),
                "backend_cpu_us_per_row": round(t.cpu * 1e6 / n),
            })
        };
        passes.push(json!({
            "pass": pass,
            "rows_returned": written.0,
            "unnest_upsert": per(tu),
            "copy_then_merge": per(tc),
            "copy_over_unnest": round(tu.wall.as_secs_f64() / tc.wall.as_secs_f64()),
        }));
    }
    for t in ["bulk_unnest", "bulk_copy"] {
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP TABLE {t}")))
            .execute(&mut setup)
            .await?;
    }
    let result = json!({
        "rows": rows.len(),
        "batch": a.batch,
        "passes": passes,
        "command": format!(
            "deskbridge-bench bulk-write --db-name {} --rows {} --batch {}",
            a.db_name, a.rows, a.batch
        ),
    });
    common::record(&a.global, "bulk-write", result)
}
