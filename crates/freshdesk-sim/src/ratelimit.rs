//! Per-account rate limiting: fixed per-minute windows like Freshdesk's Redis counters.
//!
//! Each request first adds 1 to the account bucket (and to its sub-bucket, if any); it is
//! refused with 429 when a counter exceeds its limit. After the request is served, the extra
//! credits of `include` are added. Windows start with the first request and last one scaled
//! minute; `Retry-After` is the time left in the window (at least 1 s).

use std::time::{Duration, Instant};

use crate::config::{Plan, PlanLimits};

/// `X-RateLimit-Total` when no plan is set: large, so clients never wait.
pub const UNTHROTTLED_TOTAL: u64 = 1_000_000;

/// Operations with their own per-minute sub-limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sub {
    /// `POST /tickets`.
    TicketCreate,
    /// `PUT /tickets/{id}`.
    TicketUpdate,
    /// `GET /tickets`.
    TicketsList,
    /// `GET /contacts`.
    ContactsList,
}

impl Sub {
    fn index(self) -> usize {
        match self {
            Sub::TicketCreate => 1,
            Sub::TicketUpdate => 2,
            Sub::TicketsList => 3,
            Sub::ContactsList => 4,
        }
    }

    fn limit(self, l: &PlanLimits) -> Option<u64> {
        match self {
            Sub::TicketCreate => l.ticket_create,
            Sub::TicketUpdate => l.ticket_update,
            Sub::TicketsList => l.tickets_list,
            Sub::ContactsList => l.contacts_list,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Window {
    start: Instant,
    count: u64,
}

/// The counters of one account.
#[derive(Debug, Default)]
pub struct Limiter {
    windows: [Option<Window>; 5],
}

/// Outcome of the pre-check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    /// Served; the limit for the headers.
    Allowed {
        /// `X-RateLimit-Total`.
        total: u64,
    },
    /// Refused; wait this long.
    Limited(Duration),
}

fn limits(plan: Option<Plan>) -> PlanLimits {
    plan.map(Plan::limits).unwrap_or(PlanLimits {
        total: UNTHROTTLED_TOTAL,
        ticket_create: None,
        ticket_update: None,
        tickets_list: None,
        contacts_list: None,
    })
}

impl Limiter {
    fn bump(&mut self, i: usize, by: u64, now: Instant, window: Duration) -> Window {
        let w = match self.windows[i] {
            Some(w) if now.duration_since(w.start) < window => Window {
                count: w.count + by,
                ..w
            },
            _ => Window {
                start: now,
                count: by,
            },
        };
        self.windows[i] = Some(w);
        w
    }

    /// Counts one call and decides whether it is served.
    pub fn admit(
        &mut self,
        plan: Option<Plan>,
        sub: Option<Sub>,
        now: Instant,
        window: Duration,
    ) -> Admit {
        let l = limits(plan);
        let mut wait: Option<Duration> = None;
        let w = self.bump(0, 1, now, window);
        if w.count > l.total {
            wait = Some(window.saturating_sub(now.duration_since(w.start)));
        }
        if let Some(s) = sub {
            let w = self.bump(s.index(), 1, now, window);
            if let Some(limit) = s.limit(&l)
                && w.count > limit
            {
                let left = window.saturating_sub(now.duration_since(w.start));
                wait = Some(wait.map_or(left, |x| x.max(left)));
            }
        }
        match wait {
            Some(d) => Admit::Limited(d),
            None => Admit::Allowed { total: l.total },
        }
    }

    /// Adds the extra credits of a served call.
    pub fn charge_extra(&mut self, sub: Option<Sub>, extra: u64, now: Instant, window: Duration) {
        if extra == 0 {
            return;
        }
        self.bump(0, extra, now, window);
        if let Some(s) = sub {
            self.bump(s.index(), extra, now, window);
        }
    }

    /// Credits left in the account window.
    pub fn remaining(&self, total: u64, now: Instant, window: Duration) -> u64 {
        match self.windows[0] {
            Some(w) if now.duration_since(w.start) < window => total.saturating_sub(w.count),
            _ => total,
        }
    }

    /// Forgets all windows.
    pub fn reset(&mut self) {
        self.windows = [None; 5];
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
    fn counts_before_and_charges_after() {
        let mut l = Limiter::default();
        let t0 = Instant::now();
        let w = Duration::from_secs(60);
        for _ in 0..50 {
            assert_eq!(
                l.admit(Some(Plan::Trial), None, t0, w),
                Admit::Allowed { total: 50 }
            );
        }
        assert!(matches!(
            l.admit(Some(Plan::Trial), None, t0, w),
            Admit::Limited(_)
        ));
        assert_eq!(
            l.admit(Some(Plan::Trial), None, t0 + w, w),
            Admit::Allowed { total: 50 }
        );
        l.charge_extra(None, 4, t0 + w, w);
        assert_eq!(l.remaining(50, t0 + w, w), 45);
        assert!(matches!(
            l.admit(Some(Plan::Free), None, t0 + w, w),
            Admit::Limited(_)
        ));
        assert_eq!(retry_after_secs(Duration::from_millis(10)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1500)), 2);
    }
}
