//! Readings: waiting for sync runs, memory, rows, CPUs, load, connections, and the results file.

use super::*;

/// A finished sync run.
#[derive(Debug, Clone)]
pub struct Run {
    /// `DONE` or `FAILED`.
    pub status: String,
    /// Its wall time (started → finished, by the database clock).
    pub secs: f64,
    /// Calls, credits and 429s the worker counted.
    pub calls: i64,
    /// Credits spent.
    pub credits: i64,
    /// 429s met.
    pub rate_limited: i64,
    /// Per-model counts.
    pub counts: Value,
}

/// Waits until the account has `n` finished runs and no active job; returns the latest.
/// `tick` is called about every second while waiting.
pub async fn wait_runs(
    pool: &PgPool,
    la: deskbridge_store::LinkedAccountId,
    n: i64,
    timeout: Duration,
    mut tick: impl FnMut(),
) -> anyhow::Result<Run> {
    let until = Instant::now() + timeout;
    let mut last_tick = Instant::now();
    loop {
        let finished: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM sync_runs WHERE linked_account_id = $1 AND finished_at IS NOT NULL",
        )
        .bind(la)
        .fetch_one(pool)
        .await?;
        let active: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM jobs WHERE linked_account_id = $1 AND status IN ('queued','running')",
        )
        .bind(la)
        .fetch_one(pool)
        .await?;
        if finished >= n && active == 0 {
            let (status, secs, calls, credits, rate_limited, counts): (String, f64, i64, i64, i64, Value) =
                sqlx::query_as(
                    "SELECT status, extract(epoch FROM finished_at - started_at)::float8, calls, credits,
                            rate_limited, counts
                     FROM sync_runs WHERE linked_account_id = $1 ORDER BY started_at DESC LIMIT 1",
                )
                .bind(la)
                .fetch_one(pool)
                .await?;
            return Ok(Run {
                status,
                secs,
                calls,
                credits,
                rate_limited,
                counts,
            });
        }
        if Instant::now() > until {
            bail!("the sync did not finish within {timeout:?}");
        }
        if last_tick.elapsed() >= Duration::from_secs(1) {
            tick();
            last_tick = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// `VmHWM` and `VmRSS` of a process in MiB.
pub fn memory_mib(pid: u32) -> Option<(f64, f64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
    };
    Some((field("VmHWM:")?, field("VmRSS:")?))
}

/// Rows of every model table of a linked account (shells included).
pub async fn record_rows(
    pool: &PgPool,
    la: deskbridge_store::LinkedAccountId,
) -> anyhow::Result<i64> {
    let mut total = 0;
    for t in [
        "tickets",
        "comments",
        "users",
        "contacts",
        "accounts",
        "teams",
        "tags",
        "roles",
        "attachments",
        "collections",
        "projects",
    ] {
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM {t} WHERE linked_account_id = $1"
        )))
        .bind(la)
        .fetch_one(pool)
        .await?;
        total += n;
    }
    Ok(total)
}

/// The number of CPUs, for the results.
pub fn cpus() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// Appends one result (with the machine and the time) to `results.jsonl` and prints it.
pub fn record(g: &Global, bench: &str, mut result: Value) -> anyhow::Result<()> {
    std::fs::create_dir_all(&g.state_dir)?;
    if let Value::Object(m) = &mut result {
        m.insert("bench".into(), json!(bench));
        m.insert("cpus".into(), json!(cpus()));
        m.insert("loadavg_1m_at_end".into(), json!(loadavg()));
        m.insert("at".into(), json!(chrono::Utc::now().to_rfc3339()));
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(g.state_dir.join("results.jsonl"))?;
    writeln!(f, "{result}")?;
    println!("{}", serde_json::to_string_pretty(&result)?);
    Ok(())
}

/// Connections to database `name` right now (pg_stat_activity).
pub async fn db_connections(pool: &PgPool, name: &str) -> anyhow::Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = $1")
            .bind(name)
            .fetch_one(pool)
            .await?,
    )
}

/// The 1-minute load average (other work on the machine shows here).
pub fn loadavg() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|t| t.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(0.0)
}

/// CPU seconds (user + system) a process has used so far, from `/proc/PID/stat`.
pub fn cpu_secs(pid: u32) -> Option<f64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces: count fields after its closing ')'.
    let rest = &text[text.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    // proc(5) counts these in clock ticks of sysconf(_SC_CLK_TCK), which Linux fixes at 100
    // (USER_HZ) for user space on the architectures we run on.
    Some(ticks / 100.0)
}

/// The CPU the PostgreSQL backends of one database used: each backend's latest reading by
/// pid, so a backend read twice counts once and one gone before a later reading keeps its last.
#[derive(Debug, Default)]
pub struct CpuTally {
    by_pid: std::collections::HashMap<i32, f64>,
}

impl CpuTally {
    /// Reads the CPU of every backend connected to database `name` now (the reading's own
    /// connection included: it is idle, a few milliseconds).
    pub async fn add_backends(&mut self, pool: &PgPool, name: &str) -> anyhow::Result<()> {
        let pids: Vec<i32> =
            sqlx::query_scalar("SELECT pid FROM pg_stat_activity WHERE datname = $1")
                .bind(name)
                .fetch_all(pool)
                .await?;
        for pid in pids {
            if let Some(s) = cpu_secs(pid as u32) {
                self.by_pid.insert(pid, s);
            }
        }
        Ok(())
    }

    /// Their total.
    pub fn secs(&self) -> f64 {
        self.by_pid.values().sum()
    }
}

/// Seconds from the first of the accounts' latest runs starting to the last one finishing
/// (by the database clock).
pub async fn runs_span_secs(
    pool: &PgPool,
    las: &[deskbridge_store::LinkedAccountId],
) -> anyhow::Result<f64> {
    let ids: Vec<uuid::Uuid> = las.iter().map(|la| la.as_uuid()).collect();
    Ok(sqlx::query_scalar(
        "SELECT extract(epoch FROM max(finished_at) - min(started_at))::float8 FROM (
             SELECT DISTINCT ON (linked_account_id) started_at, finished_at FROM sync_runs
             WHERE linked_account_id = ANY($1) ORDER BY linked_account_id, started_at DESC) r",
    )
    .bind(ids)
    .fetch_one(pool)
    .await?)
}
