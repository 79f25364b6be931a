//! Per-account rate limiting with fixed windows: the account bucket (plan limit per minute),
//! endpoint buckets (incremental exports 10/min, tickets index, ticket updates, ticket create by
//! user and IP) and the edge protection (requests per second, off unless configured).
//!
//! A request first counts in the edge bucket, then the account bucket, then its endpoint
//! bucket; the first bucket over its limit decides the 429 shape. Windows start with the first
//! request and last one scaled minute (the edge: one scaled second).

use std::time::{Duration, Instant};

use crate::config::Plan;

/// The limit reported when no plan is set: large, so clients never wait.
pub const UNTHROTTLED: u64 = 1_000_000;

/// Endpoints with their own bucket and `Zendesk-RateLimit-{name}` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    /// `/api/v2/incremental/*`: 10 per minute (30 with High Volume, i.e. Enterprise Plus here).
    Incremental,
    /// `GET /tickets`: recorded `total=100`.
    TicketsIndex,
    /// `PUT /tickets/{id}`: 100 per minute per account (Zendesk KB 8638126078234).
    TicketsUpdate,
    /// `POST /tickets`: recorded `total=300`.
    TicketCreate,
}

impl Bucket {
    fn index(self) -> usize {
        match self {
            Bucket::Incremental => 1,
            Bucket::TicketsIndex => 2,
            Bucket::TicketsUpdate => 3,
            Bucket::TicketCreate => 4,
        }
    }

    /// Limit per minute under a plan.
    pub fn limit(self, plan: Option<Plan>) -> u64 {
        match (self, plan) {
            (_, None) => UNTHROTTLED,
            (Bucket::Incremental, Some(Plan::EnterprisePlus)) => 30,
            (Bucket::Incremental, _) => 10,
            (Bucket::TicketsIndex, _) => 100,
            (Bucket::TicketsUpdate, _) => 100,
            (Bucket::TicketCreate, _) => 300,
        }
    }

    /// Header suffix; `None` for buckets Zendesk does not announce in a header (incremental).
    pub fn header(self) -> Option<&'static str> {
        match self {
            Bucket::Incremental => None,
            Bucket::TicketsIndex => Some("tickets-index"),
            Bucket::TicketsUpdate => Some("tickets-update"),
            Bucket::TicketCreate => Some("ticket-request-create-by-user-and-ip"),
        }
    }
}

/// Which limit refused a request: each has its own 429 body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Edge protection: JSON `{detail, status, title}`.
    Edge,
    /// Account limit: plain text.
    Account,
    /// Incremental export limit: JSON `APIRateLimitExceeded`.
    Incremental,
    /// Another endpoint bucket: plain text like the account limit (not recorded).
    Endpoint,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    start: Instant,
    count: u64,
}

/// State of one bucket after counting, for the headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    /// Limit.
    pub total: u64,
    /// Left in this window.
    pub remaining: u64,
    /// Seconds until the window resets (at least 1).
    pub resets: u64,
}

/// Outcome of counting one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    /// Served.
    Allowed {
        /// Account bucket.
        account: Usage,
        /// Endpoint bucket, if any.
        endpoint: Option<(Bucket, Usage)>,
    },
    /// Refused: which limit and how long to wait.
    Limited(Refusal, Duration, Usage),
}

/// Updates of one ticket by one user per ten (scaled) minutes (reference §2.2).
pub const PER_TICKET_UPDATES: u64 = 30;

/// The counters of one account.
#[derive(Debug, Default)]
pub struct Limiter {
    windows: [Option<Window>; 6],
    per_ticket: std::collections::HashMap<(i64, i64), Window>,
}

const EDGE: usize = 5;

impl Limiter {
    fn bump(&mut self, i: usize, now: Instant, window: Duration) -> Window {
        let w = match self.windows[i] {
            Some(w) if now.duration_since(w.start) < window => Window {
                count: w.count + 1,
                ..w
            },
            _ => Window {
                start: now,
                count: 1,
            },
        };
        self.windows[i] = Some(w);
        w
    }

    fn usage(w: Window, total: u64, now: Instant, window: Duration) -> (Usage, Duration) {
        let left = window.saturating_sub(now.duration_since(w.start));
        let usage = Usage {
            total,
            remaining: total.saturating_sub(w.count),
            resets: retry_after_secs(left),
        };
        (usage, left)
    }

    /// Counts one request and decides whether it is served.
    pub fn admit(
        &mut self,
        plan: Option<Plan>,
        bucket: Option<Bucket>,
        edge_per_second: Option<u64>,
        now: Instant,
        minute: Duration,
    ) -> Admit {
        if let Some(limit) = edge_per_second {
            let second = minute / 60;
            let w = self.bump(EDGE, now, second);
            if w.count > limit {
                let (u, left) = Self::usage(w, limit, now, second);
                return Admit::Limited(Refusal::Edge, left, u);
            }
        }
        let total = plan.map(Plan::per_minute).unwrap_or(UNTHROTTLED);
        let w = self.bump(0, now, minute);
        let (account, left) = Self::usage(w, total, now, minute);
        if w.count > total {
            return Admit::Limited(Refusal::Account, left, account);
        }
        let endpoint = match bucket {
            Some(b) => {
                let w = self.bump(b.index(), now, minute);
                let limit = b.limit(plan);
                let (u, left) = Self::usage(w, limit, now, minute);
                if w.count > limit {
                    let r = if b == Bucket::Incremental {
                        Refusal::Incremental
                    } else {
                        Refusal::Endpoint
                    };
                    return Admit::Limited(r, left, u);
                }
                Some((b, u))
            }
            None => None,
        };
        Admit::Allowed { account, endpoint }
    }

    /// The account bucket without counting (for answers that are not counted, like 401s).
    pub fn peek(&self, plan: Option<Plan>, now: Instant, minute: Duration) -> Usage {
        let total = plan.map(Plan::per_minute).unwrap_or(UNTHROTTLED);
        match self.windows[0] {
            Some(w) if now.duration_since(w.start) < minute => Self::usage(w, total, now, minute).0,
            _ => Usage {
                total,
                remaining: total,
                resets: retry_after_secs(minute),
            },
        }
    }

    /// Counts an update of `ticket` by `user` (30 per 10 scaled minutes): `Ok` with the usage
    /// for the `…-per-ticket-updates` header, or `Err` with the wait.
    pub fn per_ticket(
        &mut self,
        user: i64,
        ticket: i64,
        now: Instant,
        minute: Duration,
    ) -> Result<Usage, (Duration, Usage)> {
        let window = minute * 10;
        let w = match self.per_ticket.get(&(user, ticket)) {
            Some(w) if now.duration_since(w.start) < window => Window {
                count: w.count + 1,
                ..*w
            },
            _ => Window {
                start: now,
                count: 1,
            },
        };
        self.per_ticket.insert((user, ticket), w);
        let (u, left) = Self::usage(w, PER_TICKET_UPDATES, now, window);
        if w.count > PER_TICKET_UPDATES {
            Err((left, u))
        } else {
            Ok(u)
        }
    }

    /// Forgets all windows.
    pub fn reset(&mut self) {
        self.windows = [None; 6];
        self.per_ticket.clear();
    }
}

/// `Retry-After` in whole seconds, rounded up, at least 1.
pub fn retry_after_secs(d: Duration) -> u64 {
    let s = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    s.max(1)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn account_then_endpoint_buckets() {
        let mut l = Limiter::default();
        let t0 = Instant::now();
        let m = Duration::from_secs(60);
        for _ in 0..10 {
            assert!(matches!(
                l.admit(Some(Plan::Team), Some(Bucket::Incremental), None, t0, m),
                Admit::Allowed { .. }
            ));
        }
        assert!(matches!(
            l.admit(Some(Plan::Team), Some(Bucket::Incremental), None, t0, m),
            Admit::Limited(Refusal::Incremental, _, _)
        ));
        for _ in 0..189 {
            l.admit(Some(Plan::Team), None, None, t0, m);
        }
        assert!(matches!(
            l.admit(Some(Plan::Team), None, None, t0, m),
            Admit::Limited(Refusal::Account, _, _)
        ));
        assert!(matches!(
            l.admit(Some(Plan::Team), None, None, t0 + m, m),
            Admit::Allowed { .. }
        ));
        assert!(matches!(
            l.admit(None, None, Some(1), t0 + m, m),
            Admit::Allowed { .. }
        ));
        assert!(matches!(
            l.admit(None, None, Some(1), t0 + m, m),
            Admit::Limited(Refusal::Edge, _, _)
        ));
    }
}
