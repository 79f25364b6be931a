//! The Freshdesk simulator as a benchmark process: its arguments, `bench sim`, and spawning it.

use super::*;

/// Options of the simulator process.
#[derive(Debug, Clone, Args)]
pub struct SimArgs {
    /// Port.
    #[arg(long)]
    pub port: u16,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Accounts.
    #[arg(long, default_value_t = 1)]
    pub accounts: usize,
    /// Tickets per account.
    #[arg(long, default_value_t = 100)]
    pub tickets: usize,
    /// Average conversations per ticket.
    #[arg(long, default_value_t = 4.0)]
    pub conversations_per_ticket: f64,
    /// Contacts per account.
    #[arg(long)]
    pub contacts: Option<usize>,
    /// Agents per account (unset: the simulator's default, 8).
    #[arg(long)]
    pub agents: Option<usize>,
    /// Plan (unthrottled when unset).
    #[arg(long)]
    pub plan: Option<Plan>,
    /// Time scale of the rate-limit clock.
    #[arg(long, default_value_t = 1.0)]
    pub time_scale: f64,
    /// Also print `counts SUB JSON` per account: what a full sync must read.
    #[arg(long)]
    pub counts: bool,
}

/// What a full sync of an account must read, from the simulator's snapshot.
fn data_counts(sim: &Simulator, sub: &str) -> anyhow::Result<Value> {
    let s = sim
        .control()
        .snapshot(sub)
        .map_err(|e| anyhow::anyhow!("snapshot: {e:?}"))?;
    let flag = |v: &Value, k: &str| v[k].as_bool().unwrap_or(false);
    let (mut live, mut deleted, mut spam, mut conv_pages, mut conversations) =
        (0u64, 0u64, 0u64, 0u64, 0u64);
    for t in &s.tickets {
        if flag(t, "deleted") {
            deleted += 1;
        } else if flag(t, "spam") {
            spam += 1;
        } else {
            live += 1;
            let id = t["id"].as_i64().unwrap_or_default();
            let c = s.conversations.get(&id).map(Vec::len).unwrap_or(0) as u64;
            conversations += c;
            // Pages follow while a page is full: c/100 + 1 calls.
            conv_pages += c / 100 + 1;
        }
    }
    let (mut c_live, mut c_blocked, mut c_deleted) = (0u64, 0u64, 0u64);
    for c in &s.contacts {
        if flag(c, "deleted") {
            c_deleted += 1;
        } else if flag(c, "blocked") {
            c_blocked += 1;
        } else {
            c_live += 1;
        }
    }
    Ok(json!({
        "tickets_live": live, "tickets_deleted": deleted, "tickets_spam": spam,
        "conversations": conversations, "conversation_pages": conv_pages,
        "contacts_live": c_live, "contacts_blocked": c_blocked, "contacts_deleted": c_deleted,
        "agents": s.agents.len(), "groups": s.groups.len(), "roles": s.roles.len(),
        "companies": s.companies.len(),
    }))
}

/// Serves a simulator until killed; prints `account SUB KEY BASE_URL` per account, then `ready`.
pub async fn run_sim(a: SimArgs) -> anyhow::Result<()> {
    let sim = Simulator::new(SimConfig {
        seed: a.seed,
        accounts: a.accounts,
        tickets: a.tickets,
        conversations_per_ticket: a.conversations_per_ticket,
        contacts: a.contacts,
        agents: a.agents.unwrap_or(SimConfig::default().agents),
        plan: a.plan,
        time_scale: a.time_scale,
        ..SimConfig::default()
    });
    let handle = sim.spawn(format!("127.0.0.1:{}", a.port).parse()?).await?;
    let mut out = std::io::stdout().lock();
    for acc in sim.accounts() {
        writeln!(
            out,
            "account {} {} {}",
            acc.subdomain, acc.api_key, handle.base_url
        )?;
        if a.counts {
            writeln!(
                out,
                "counts {} {}",
                acc.subdomain,
                data_counts(&sim, &acc.subdomain)?
            )?;
        }
    }
    writeln!(out, "ready")?;
    out.flush()?;
    drop(out);
    std::future::pending::<()>().await;
    Ok(())
}

/// One simulated account.
#[derive(Debug, Clone)]
pub struct SimAccount {
    /// Subdomain (`sim1`, …).
    pub subdomain: String,
    /// API key.
    pub api_key: String,
}

/// A simulator process.
pub struct SimProc {
    /// The process (killed when this is dropped).
    pub _proc: Proc,
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// Its accounts.
    pub accounts: Vec<SimAccount>,
    /// With `--counts`: what a full sync of each account must read.
    pub counts: std::collections::HashMap<String, Value>,
}

impl SimProc {
    /// Its pid.
    pub fn pid(&self) -> u32 {
        self._proc.pid()
    }

    /// The simulator's counters of an account (`requests`, `credits`, `rate_limited`).
    pub async fn counters(&self, http: &reqwest::Client, sub: &str) -> anyhow::Result<Value> {
        Ok(http
            .get(format!("{}/_sim/accounts/{sub}/counters", self.base_url))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?)
    }

    /// Resets an account's counters (and its rate window).
    pub async fn reset_counters(&self, http: &reqwest::Client, sub: &str) -> anyhow::Result<()> {
        http.post(format!(
            "{}/_sim/accounts/{sub}/counters/reset",
            self.base_url
        ))
        .send()
        .await?
        .error_for_status()?;
        Ok(())
    }
}

/// Starts a simulator process and waits until it serves.
pub fn spawn_sim(a: &SimArgs) -> anyhow::Result<SimProc> {
    let exe = std::env::current_exe()?;
    let mut cmd = Command::new(exe);
    cmd.arg("sim")
        .arg("--port")
        .arg(a.port.to_string())
        .arg("--seed")
        .arg(a.seed.to_string())
        .arg("--accounts")
        .arg(a.accounts.to_string())
        .arg("--tickets")
        .arg(a.tickets.to_string())
        .arg("--conversations-per-ticket")
        .arg(a.conversations_per_ticket.to_string())
        .arg("--time-scale")
        .arg(a.time_scale.to_string());
    if let Some(c) = a.contacts {
        cmd.arg("--contacts").arg(c.to_string());
    }
    if let Some(n) = a.agents {
        cmd.arg("--agents").arg(n.to_string());
    }
    if let Some(p) = a.plan {
        cmd.arg("--plan").arg(p.name());
    }
    if a.counts {
        cmd.arg("--counts");
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .env("RUST_LOG", "error")
        .spawn()?;
    let stdout = child.stdout.take().context("simulator stdout")?;
    let proc = Proc { child };
    let mut accounts = Vec::new();
    let mut counts = std::collections::HashMap::new();
    let mut base_url = String::new();
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        let parts: Vec<&str> = line.split_whitespace().collect();
        match parts.as_slice() {
            ["account", sub, key, url] => {
                accounts.push(SimAccount {
                    subdomain: sub.to_string(),
                    api_key: key.to_string(),
                });
                base_url = url.to_string();
            }
            ["counts", sub, data] => {
                counts.insert(sub.to_string(), serde_json::from_str(data)?);
            }
            ["ready"] => break,
            _ => {}
        }
    }
    if accounts.is_empty() {
        bail!("the simulator did not start");
    }
    Ok(SimProc {
        _proc: proc,
        base_url,
        accounts,
        counts,
    })
}
