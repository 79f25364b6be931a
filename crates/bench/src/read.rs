//! The read path: `GET /api/ticketing/v1/tickets?page_size=100` (plain, with
//! `expand=assignees,contact`, with `modified_after` matching half and 1 % of the rows) under
//! wrk, and the same keyset query straight to PostgreSQL under pgbench, at the same
//! connection counts.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use clap::Args;
use serde_json::{Value, json};

use crate::common::{self, Global};
use crate::ingest::{self, IngestArgs, Ingested, round};

/// Options of `read`.
#[derive(Debug, Clone, Args)]
pub struct ReadArgs {
    /// Common options.
    #[command(flatten)]
    pub global: Global,
    /// The database of a previous `ingest` (built with `--tickets` when missing).
    #[arg(long, default_value = "deskbridge_bench_100k")]
    pub db_name: String,
    /// Tickets to ingest when the database must be built.
    #[arg(long, default_value_t = 100_000)]
    pub tickets: usize,
    /// Seconds per measurement.
    #[arg(long, default_value_t = 15)]
    pub duration: u64,
    /// Connection counts.
    #[arg(long, value_delimiter = ',', default_value = "1,8,64")]
    pub connections: Vec<u32>,
    /// Database connections of the API process (`DESKBRIDGE_DB_CONNECTIONS`).
    #[arg(long, default_value_t = 10)]
    pub db_connections: u32,
    /// Folder of the wrk and pgbench scripts.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../bench"))]
    pub scripts: PathBuf,
    /// Variants to measure (plain, expand, modified_after, modified_1pct); all by default.
    #[arg(long, value_delimiter = ',')]
    pub variants: Vec<String>,
    /// Serve the API with another `deskbridge-bench` build (e.g. the previous commit's), to
    /// measure before and after on the same database in one session.
    #[arg(long)]
    pub server_exe: Option<PathBuf>,
}

impl ReadArgs {
    /// The defaults with these common options.
    pub fn with_global(global: Global) -> Self {
        ReadArgs {
            global,
            db_name: "deskbridge_bench_100k".into(),
            tickets: 100_000,
            duration: 15,
            connections: vec![1, 8, 64],
            db_connections: 10,
            scripts: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../bench")),
            variants: Vec::new(),
            server_exe: None,
        }
    }
}

/// One load measurement.
#[derive(Debug, Clone, Default)]
struct Load {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
    requests: u64,
}

impl Load {
    fn json(&self) -> Value {
        json!({"rps": round(self.rps), "p50_ms": round(self.p50_ms), "p99_ms": round(self.p99_ms),
               "requests": self.requests, "errors": self.errors})
    }
}

async fn ensure_db(a: &ReadArgs) -> anyhow::Result<Ingested> {
    let state_file = a.global.state_dir.join(format!("{}.json", a.db_name));
    if let Ok(text) = std::fs::read_to_string(&state_file)
        && let Ok(state) = serde_json::from_str::<Ingested>(&text)
        && let Ok(db) =
            common::open_db(&a.global, &state.db_name, &state.master_key, &state.api_key).await
    {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM tickets WHERE linked_account_id = $1 AND NOT is_shell",
        )
        .bind(state.linked_account)
        .fetch_one(&db.pool)
        .await
        .unwrap_or(0);
        // The simulator's trashed and spam tickets are not synced as rows: compare what was asked.
        if state.tickets >= a.tickets && n > 0 {
            println!("reusing {} ({n} tickets)", a.db_name);
            return Ok(state);
        }
    }
    println!(
        "building {} with {} tickets (once; later runs reuse it)",
        a.db_name, a.tickets
    );
    ingest::ingest(&IngestArgs {
        global: a.global.clone(),
        tickets: a.tickets,
        conversations_per_ticket: 1.0,
        contacts: None,
        accounts: 1,
        db_name: a.db_name.clone(),
        server_exe: None,
    })
    .await
}

fn parse_time_ms(s: &str) -> Option<f64> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| c.is_ascii_alphabetic())?);
    let v: f64 = num.parse().ok()?;
    Some(match unit {
        "us" => v / 1000.0,
        "ms" => v,
        "s" => v * 1000.0,
        "m" => v * 60_000.0,
        _ => return None,
    })
}

fn wrk(
    a: &ReadArgs,
    base: &str,
    path: &str,
    st: &Ingested,
    c: u32,
    secs: u64,
) -> anyhow::Result<Load> {
    let out = Command::new("wrk")
        .arg(format!("-t{}", c.min(2)))
        .arg(format!("-c{c}"))
        .arg(format!("-d{secs}s"))
        .arg("--latency")
        .arg("--timeout")
        .arg("30s")
        .arg("-s")
        .arg(a.scripts.join("read.lua"))
        .arg(base)
        .env("BENCH_PATH", path)
        .env("BENCH_API_KEY", &st.api_key)
        .env("BENCH_ACCOUNT_TOKEN", &st.account_token)
        .output()
        .context("cannot run wrk (Debian: apt-get install -y wrk)")?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    if !out.status.success() {
        bail!("wrk failed: {text}{}", String::from_utf8_lossy(&out.stderr));
    }
    let mut load = Load::default();
    for line in text.lines() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        match parts.as_slice() {
            ["50%", t] => load.p50_ms = parse_time_ms(t).unwrap_or_default(),
            ["99%", t] => load.p99_ms = parse_time_ms(t).unwrap_or_default(),
            ["Requests/sec:", v] => load.rps = v.parse().unwrap_or_default(),
            ["Non-2xx", "or", "3xx", "responses:", n] => {
                load.errors += n.parse::<u64>().unwrap_or(0)
            }
            [n, "requests", "in", ..] => load.requests = n.parse().unwrap_or(0),
            _ if line.contains("Socket errors") => {
                load.errors += line
                    .split(|c: char| !c.is_ascii_digit())
                    .filter_map(|x| x.parse::<u64>().ok())
                    .sum::<u64>();
            }
            _ => {}
        }
    }
    Ok(load)
}

#[allow(clippy::too_many_arguments)]
fn pgbench(
    url: &str,
    script: &Path,
    vars: &[(&str, String)],
    c: u32,
    secs: u64,
    logdir: &Path,
) -> anyhow::Result<Load> {
    let _ = std::fs::remove_dir_all(logdir);
    std::fs::create_dir_all(logdir)?;
    let prefix = logdir.join("pgbench");
    let mut cmd = Command::new("pgbench");
    cmd.arg("-n")
        .arg("-M")
        .arg("prepared")
        .arg("-c")
        .arg(c.to_string())
        .arg("-j")
        .arg(c.min(2).to_string())
        .arg("-T")
        .arg(secs.to_string())
        .arg("-f")
        .arg(script)
        .arg("-l")
        .arg(format!("--log-prefix={}", prefix.display()));
    for (k, v) in vars {
        cmd.arg("-D").arg(format!("{k}={v}"));
    }
    let out = cmd
        .arg(url)
        .output()
        .context("cannot run pgbench (comes with postgresql)")?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    if !out.status.success() {
        bail!(
            "pgbench failed: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut load = Load::default();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("tps = ") {
            load.rps = rest
                .split_whitespace()
                .next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_default();
        }
        if let Some(rest) = line.strip_prefix("number of failed transactions: ") {
            load.errors = rest
                .split_whitespace()
                .next()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
        }
    }
    let mut lat: Vec<f64> = Vec::new();
    for entry in std::fs::read_dir(logdir)? {
        let text = std::fs::read_to_string(entry?.path())?;
        for l in text.lines() {
            if let Some(us) = l
                .split_whitespace()
                .nth(2)
                .and_then(|v| v.parse::<f64>().ok())
            {
                lat.push(us / 1000.0);
            }
        }
    }
    lat.sort_by(f64::total_cmp);
    load.requests = lat.len() as u64;
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .copied()
    };
    load.p50_ms = pct(0.5).unwrap_or_default();
    load.p99_ms = pct(0.99).unwrap_or_default();
    let _ = std::fs::remove_dir_all(logdir);
    Ok(load)
}

/// A failed pgbench run (e.g. PostgreSQL's `max_connections` reached by other clients) is
/// reported and leaves the reference out instead of ending the benchmark.
fn pgbench_or_report(r: anyhow::Result<Load>) -> Option<Load> {
    match r {
        Ok(l) => Some(l),
        Err(e) => {
            eprintln!("pgbench failed, no SQL reference for this row: {e:#}");
            None
        }
    }
}

/// `deskbridge-bench read`.
pub async fn run(a: ReadArgs) -> anyhow::Result<()> {
    let st = ensure_db(&a).await?;
    let db = common::open_db(&a.global, &st.db_name, &st.master_key, &st.api_key).await?;
    let env = [("DESKBRIDGE_DB_CONNECTIONS", a.db_connections.to_string())];
    let exe = match &a.server_exe {
        Some(e) => e.clone(),
        None => std::env::current_exe()?,
    };
    let (api, base) = {
        // `--rate-limit-per-minute 0`: the caller rate limit is off.
        let port = common::free_port()?;
        let listen = format!("127.0.0.1:{port}");
        let proc = common::spawn_deskbridge_exe(
            &exe,
            &db,
            &[
                "serve",
                "--workers",
                "0",
                "--no-migrate",
                "--rate-limit-per-minute",
                "0",
                "--listen",
                &listen,
            ],
            &env,
        )?;
        let base = format!("http://{listen}");
        let http = reqwest::Client::new();
        let mut ready = false;
        for _ in 0..300 {
            if let Ok(r) = http.get(format!("{base}/health/ready")).send().await
                && r.status().is_success()
            {
                ready = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        if !ready {
            bail!("{} server serve did not become ready", exe.display());
        }
        (proc, base)
    };
    let (base_epoch, span_us, count): (f64, i64, i64) = sqlx::query_as(
        "SELECT extract(epoch FROM min(created_at))::float8,
                (extract(epoch FROM max(created_at) - min(created_at)) * 1e6)::int8,
                count(*)
         FROM tickets WHERE linked_account_id = $1 AND NOT is_shell AND NOT remote_was_deleted",
    )
    .bind(st.linked_account)
    .fetch_one(&db.pool)
    .await?;
    let half = modified_variant(&db, &st, 0.5).await?;
    let one_pct = modified_variant(&db, &st, 0.99).await?;
    let variants = [
        (
            "plain",
            "/api/ticketing/v1/tickets?page_size=100".to_string(),
            Some("keyset.sql"),
        ),
        (
            "expand",
            "/api/ticketing/v1/tickets?page_size=100&expand=assignees,contact".to_string(),
            None,
        ),
        (
            "modified_after",
            half.path.clone(),
            Some("keyset_modified.sql"),
        ),
        (
            "modified_1pct",
            one_pct.path.clone(),
            Some("keyset_modified.sql"),
        ),
    ];
    let variants: Vec<_> = variants
        .into_iter()
        .filter(|(name, _, _)| a.variants.is_empty() || a.variants.iter().any(|v| v == name))
        .collect();
    println!("warming up…");
    let _ = wrk(&a, &base, &variants[0].1, &st, 8, 3)?;
    let vars = vec![
        ("org", st.org.to_string()),
        ("la", st.linked_account.to_string()),
        ("base", format!("{base_epoch:.6}")),
        ("span", span_us.to_string()),
    ];
    let mvars = |m: &Modified| {
        vec![
            ("org", st.org.to_string()),
            ("la", st.linked_account.to_string()),
            ("base", format!("{:.6}", m.base_epoch)),
            ("span", m.span_us.to_string()),
            ("modified", format!("{:.6}", m.epoch)),
        ]
    };
    let (half_vars, one_pct_vars) = (mvars(&half), mvars(&one_pct));
    let mut rows = Vec::new();
    for (name, path, script) in &variants {
        for &c in &a.connections {
            let api_load = wrk(&a, &base, path, &st, c, a.duration)?;
            let load_before = common::loadavg();
            let sql_load = match script {
                Some(s) => pgbench_or_report(pgbench(
                    &db.url,
                    &a.scripts.join(s),
                    match *name {
                        "modified_after" => &half_vars,
                        "modified_1pct" => &one_pct_vars,
                        _ => &vars,
                    },
                    c,
                    a.duration,
                    &a.global.state_dir.join("pgbench-logs"),
                )),
                None => None,
            };
            let ratio = sql_load
                .as_ref()
                .map(|s| round(api_load.rps / s.rps.max(0.001)));
            println!(
                "{name:>15} c={c:<3} API {:>8.1} req/s p50 {:>7.2} ms p99 {:>7.2} ms | SQL {} | API/SQL {}",
                api_load.rps,
                api_load.p50_ms,
                api_load.p99_ms,
                sql_load
                    .as_ref()
                    .map(|s| format!(
                        "{:>8.1} q/s p50 {:>6.2} ms p99 {:>6.2} ms",
                        s.rps, s.p50_ms, s.p99_ms
                    ))
                    .unwrap_or_else(|| "-".into()),
                ratio.map(|r| r.to_string()).unwrap_or_else(|| "-".into()),
            );
            rows.push(json!({
                "variant": name, "connections": c, "api": api_load.json(),
                "loadavg_1m_before_after": [load_before, common::loadavg()],
                "sql": sql_load.as_ref().map(Load::json), "api_over_sql": ratio,
            }));
        }
    }
    drop(api);
    common::record(
        &a.global,
        "read",
        json!({
            "tickets": count,
            "modified_after": half.at,
            "modified_after_matches": half.matches,
            "modified_1pct": one_pct.at,
            "modified_1pct_matches": one_pct.matches,
            "server_exe": exe.display().to_string(),
            "duration_secs": a.duration,
            "api_db_connections": a.db_connections,
            "results": rows,
            "command": format!("deskbridge-bench read --duration {} --connections {}{}", a.duration,
                a.connections.iter().map(u32::to_string).collect::<Vec<_>>().join(","),
                if a.variants.is_empty() { String::new() } else { format!(" --variants {}", a.variants.join(",")) }),
        }),
    )
}

/// A `modified_after` variant: the time T (a quantile of the tickets' `modified_at`), the API
/// path filtering on it, and where pgbench's positions lie (the matching rows' `modified_at`
/// range, where the API's page walk reads).
struct Modified {
    at: String,
    epoch: f64,
    path: String,
    matches: i64,
    base_epoch: f64,
    span_us: i64,
}

async fn modified_variant(
    db: &common::BenchDb,
    st: &Ingested,
    quantile: f64,
) -> anyhow::Result<Modified> {
    let epoch: f64 = sqlx::query_scalar(
        "SELECT extract(epoch FROM percentile_disc($2) WITHIN GROUP (ORDER BY modified_at))::float8
         FROM tickets WHERE linked_account_id = $1 AND NOT is_shell AND NOT remote_was_deleted",
    )
    .bind(st.linked_account)
    .bind(quantile)
    .fetch_one(&db.pool)
    .await?;
    let t =
        chrono::DateTime::from_timestamp_micros((epoch * 1e6) as i64).context("modified_after")?;
    let (matches, base_epoch, span_us): (i64, f64, i64) = sqlx::query_as(
        "SELECT count(*), extract(epoch FROM min(modified_at))::float8,
                (extract(epoch FROM max(modified_at) - min(modified_at)) * 1e6)::int8
         FROM tickets WHERE linked_account_id = $1 AND NOT is_shell
           AND NOT remote_was_deleted AND modified_at > $2",
    )
    .bind(st.linked_account)
    .bind(t)
    .fetch_one(&db.pool)
    .await?;
    let at = t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    Ok(Modified {
        path: format!(
            "/api/ticketing/v1/tickets?page_size=100&modified_after={}",
            at.replace('+', "%2B")
        ),
        at,
        epoch,
        matches,
        base_epoch,
        span_us,
    })
}
