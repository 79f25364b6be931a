//! Simulator configuration: data sizes, plan (rate limits), edge protection and faults.

use std::time::Duration;

/// Configuration of a [`crate::Simulator`].
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Seed of every random choice; the same seed and counts give the same data.
    pub seed: u64,
    /// Number of accounts (subdomains `zsim1`, `zsim2`, …).
    pub accounts: usize,
    /// Tickets per account (nice ids 1..=n).
    pub tickets: usize,
    /// Average number of comments per ticket (at least one: the description).
    pub comments_per_ticket: f64,
    /// End-users per account.
    pub end_users: usize,
    /// Agents per account (besides the owner admin).
    pub agents: usize,
    /// Organizations per account.
    pub organizations: usize,
    /// Groups per account.
    pub groups: usize,
    /// Plan of every account; `None` means unthrottled (still sends rate headers).
    pub plan: Option<Plan>,
    /// Speed of the rate-limit clock: a "minute" lasts `60 / time_scale` real seconds.
    pub time_scale: f64,
    /// Requests per scaled second above which the edge answers its JSON 429; `None`: off.
    pub edge_per_second: Option<u64>,
    /// Faults injected into API responses.
    pub faults: FaultConfig,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            seed: 1,
            accounts: 1,
            tickets: 100,
            comments_per_ticket: 3.0,
            end_users: 40,
            agents: 5,
            organizations: 6,
            groups: 4,
            plan: None,
            time_scale: 1.0,
            edge_per_second: None,
            faults: FaultConfig::default(),
        }
    }
}

impl SimConfig {
    /// Real length of one rate-limit "minute".
    pub fn window(&self) -> Duration {
        scaled_minute(self.time_scale)
    }
}

/// Real duration of a simulated minute for a time scale (non-positive scales count as 1).
pub fn scaled_minute(time_scale: f64) -> Duration {
    let scale = if time_scale.is_finite() && time_scale > 0.0 {
        time_scale
    } else {
        1.0
    };
    Duration::from_secs_f64(60.0 / scale)
}

/// Zendesk plans and their account-wide limits per minute (reference §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Plan {
    /// Suite/Support Team: 200 per minute.
    Team,
    /// Suite Growth: 400 per minute.
    Growth,
    /// Suite/Support Professional: 400 per minute.
    Professional,
    /// Suite/Support Enterprise: 700 per minute; the only plan with custom roles.
    Enterprise,
    /// Suite Enterprise Plus (or the High Volume add-on): 2500 per minute.
    EnterprisePlus,
}

impl Plan {
    /// Account-wide requests per minute.
    pub fn per_minute(self) -> u64 {
        match self {
            Plan::Team => 200,
            Plan::Growth | Plan::Professional => 400,
            Plan::Enterprise => 700,
            Plan::EnterprisePlus => 2500,
        }
    }

    /// Whether custom roles (`/custom_roles`) are available (Enterprise and above).
    pub fn has_custom_roles(self) -> bool {
        matches!(self, Plan::Enterprise | Plan::EnterprisePlus)
    }

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Plan::Team => "team",
            Plan::Growth => "growth",
            Plan::Professional => "professional",
            Plan::Enterprise => "enterprise",
            Plan::EnterprisePlus => "enterprise_plus",
        }
    }

    /// Parses a plan name.
    pub fn parse(name: &str) -> Option<Plan> {
        match name.to_ascii_lowercase().replace('-', "_").as_str() {
            "team" => Some(Plan::Team),
            "growth" => Some(Plan::Growth),
            "professional" | "pro" => Some(Plan::Professional),
            "enterprise" => Some(Plan::Enterprise),
            "enterprise_plus" | "high_volume" => Some(Plan::EnterprisePlus),
            _ => None,
        }
    }
}

impl std::str::FromStr for Plan {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Plan::parse(s).ok_or_else(|| {
            format!("unknown plan {s:?} (team, growth, professional, enterprise, enterprise_plus)")
        })
    }
}

/// Fault injection probabilities; each API request draws once from a seeded RNG.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultConfig {
    /// Share of requests answered 500, 502, 503 or 524 (Cloudflare timeout page).
    pub error_rate: f64,
    /// Share of requests answered only after `slow_delay` (client timeouts).
    pub slow_rate: f64,
    /// Delay of a slow answer.
    pub slow_delay: Duration,
    /// Share of requests whose connection is closed without a response (resets).
    pub drop_rate: f64,
}
