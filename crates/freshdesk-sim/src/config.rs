//! Simulator configuration: data sizes, plan (rate limit) and fault injection.

use std::time::Duration;

/// Configuration of a [`crate::Simulator`].
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Seed of every random choice; the same seed and counts give the same data.
    pub seed: u64,
    /// Number of accounts (subdomains `sim1`, `sim2`, …).
    pub accounts: usize,
    /// Tickets per account.
    pub tickets: usize,
    /// Average number of conversations per ticket.
    pub conversations_per_ticket: f64,
    /// Contacts per account; `None` means `max(10, tickets / 2)`.
    pub contacts: Option<usize>,
    /// Agents per account.
    pub agents: usize,
    /// Companies per account.
    pub companies: usize,
    /// Groups per account.
    pub groups: usize,
    /// Rate-limit plan of every account; `None` means unthrottled.
    pub plan: Option<Plan>,
    /// Speed of the rate-limit clock: a "minute" lasts `60 / time_scale` real seconds.
    pub time_scale: f64,
    /// Faults injected into API responses.
    pub faults: FaultConfig,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            seed: 1,
            accounts: 1,
            tickets: 100,
            conversations_per_ticket: 4.0,
            contacts: None,
            agents: 8,
            companies: 6,
            groups: 4,
            plan: None,
            time_scale: 1.0,
            faults: FaultConfig::default(),
        }
    }
}

impl SimConfig {
    /// The number of contacts generated per account.
    pub fn contact_count(&self) -> usize {
        self.contacts.unwrap_or_else(|| (self.tickets / 2).max(10))
    }

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

/// Freshdesk plans and their per-minute API limits (reference §4, support article of March 2024).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Plan {
    /// 0 calls per minute: every call gets 429.
    Free,
    /// 50 calls per minute, no published sub-limits.
    Trial,
    /// 200/min; ticket create 80, update 80, tickets list 20, contacts list 20.
    Growth,
    /// 400/min; ticket create 160, update 160, tickets list 100, contacts list 100.
    Pro,
    /// 700/min; ticket create 280, update 280, tickets list 200, contacts list 200.
    Enterprise,
}

/// Per-minute limits of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanLimits {
    /// Calls (credits) per minute for the whole account.
    pub total: u64,
    /// Ticket create sub-limit.
    pub ticket_create: Option<u64>,
    /// Ticket update sub-limit.
    pub ticket_update: Option<u64>,
    /// Tickets list sub-limit.
    pub tickets_list: Option<u64>,
    /// Contacts list sub-limit.
    pub contacts_list: Option<u64>,
}

impl Plan {
    /// The plan's per-minute limits.
    pub fn limits(self) -> PlanLimits {
        let (total, create, update, tickets, contacts) = match self {
            Plan::Free => (0, Some(0), Some(0), Some(0), Some(0)),
            Plan::Trial => (50, None, None, None, None),
            Plan::Growth => (200, Some(80), Some(80), Some(20), Some(20)),
            Plan::Pro => (400, Some(160), Some(160), Some(100), Some(100)),
            Plan::Enterprise => (700, Some(280), Some(280), Some(200), Some(200)),
        };
        PlanLimits {
            total,
            ticket_create: create,
            ticket_update: update,
            tickets_list: tickets,
            contacts_list: contacts,
        }
    }

    /// Lower-case name (`free`, `trial`, `growth`, `pro`, `enterprise`).
    pub fn name(self) -> &'static str {
        match self {
            Plan::Free => "free",
            Plan::Trial => "trial",
            Plan::Growth => "growth",
            Plan::Pro => "pro",
            Plan::Enterprise => "enterprise",
        }
    }

    /// Parses a lower-case plan name.
    pub fn parse(name: &str) -> Option<Plan> {
        match name.to_ascii_lowercase().as_str() {
            "free" | "sprout" => Some(Plan::Free),
            "trial" => Some(Plan::Trial),
            "growth" => Some(Plan::Growth),
            "pro" => Some(Plan::Pro),
            "enterprise" => Some(Plan::Enterprise),
            _ => None,
        }
    }
}

impl std::str::FromStr for Plan {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Plan::parse(s)
            .ok_or_else(|| format!("unknown plan {s:?} (free, trial, growth, pro, enterprise)"))
    }
}

/// Fault injection probabilities; each API request draws once from a seeded RNG.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultConfig {
    /// Share of requests answered 500, 502 or 503.
    pub error_rate: f64,
    /// Share of requests answered only after `slow_delay`.
    pub slow_rate: f64,
    /// Delay of a slow answer.
    pub slow_delay: std::time::Duration,
    /// Share of requests answered 200 with a truncated (invalid) JSON body.
    pub malformed_rate: f64,
    /// Share of requests whose connection is closed without a response.
    pub drop_rate: f64,
}
