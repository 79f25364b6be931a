//! The bookmark walk over `GET /tickets?updated_since=…&order_by=updated_at&order_type=asc`.
//!
//! Page numbers shift when tickets are edited during a walk, so the walk never pages through
//! a result set. After each page the bookmark moves to the last item's `updated_at` and the
//! query restarts at page 1 from there; the ids already emitted at (or, after a completed
//! walk, shortly before) the bookmark are remembered and skipped. Only when a whole page
//! shares one `updated_at` second (a bulk update) does the walk page within that second, and
//! it then overlaps each page with the previous one by [`TIE_OVERLAP`] items (choosing
//! `page`/`per_page` so that the window starts just before the last item already read), so
//! that items shifting up while a ticket of that second is edited are not skipped.
//!
//! A completed walk (a page shorter than `per_page`) rewinds the bookmark by the configured
//! overlap and keeps the ids emitted in that overlap, so that a ticket whose write became
//! visible late is still found by the next run, and nothing is emitted twice for the same
//! `updated_at`.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use deskbridge_provider::ProviderError;
use serde_json::{Map, Value, json};

use crate::mapping::{format_ts, parse_ts};

/// Items per page in the walk.
pub const PER_PAGE: u32 = 100;
/// Items re-read at the start of each page while paging within one second.
pub const TIE_OVERLAP: u32 = 10;
/// Smallest `per_page` used to create the overlap.
const MIN_PER_PAGE: u32 = 50;
/// Freshdesk refuses `page` > 300 on the ticket list.
pub const MAX_PAGE: u32 = 300;
/// At most this many remembered ids (those at the bookmark itself are always kept).
const SEEN_CAP: usize = 5_000;

/// Where the ticket walk stands. Serialised as the stream checkpoint:
///
/// ```json
/// {"bookmark": "2024-12-01T13:04:41Z", "seen_ids_at_bookmark": [7, 9],
///  "seen_after": {"12": "2024-12-01T13:04:50Z"}, "page": 1, "per_page": 100}
/// ```
///
/// `seen_ids_at_bookmark` are the ids already emitted whose `updated_at` equals the
/// bookmark; `seen_after` maps other ids already emitted at or after `bookmark` (only after
/// the rewind of a completed walk) to the `updated_at` they were emitted with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketCheckpoint {
    /// `updated_since` of the next query.
    pub bookmark: DateTime<Utc>,
    /// Emitted ids → the `updated_at` they were emitted with.
    pub seen: BTreeMap<i64, DateTime<Utc>>,
    /// `page` of the next query (1 unless paging within one second).
    pub page: u32,
    /// `per_page` of the next query.
    pub per_page: u32,
}

/// What one page did to the walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advance {
    /// Indices (into the page) of the items to emit.
    pub emit: Vec<usize>,
    /// The next checkpoint.
    pub next: TicketCheckpoint,
    /// True when the walk reached the end.
    pub done: bool,
}

impl Default for TicketCheckpoint {
    fn default() -> Self {
        Self::start()
    }
}

impl TicketCheckpoint {
    /// The start of a walk: `1970-01-01T00:00:00Z` (never Freshdesk's 30-day default).
    pub fn start() -> Self {
        TicketCheckpoint {
            bookmark: DateTime::<Utc>::UNIX_EPOCH,
            seen: BTreeMap::new(),
            page: 1,
            per_page: PER_PAGE,
        }
    }

    /// Reads a stored checkpoint (`None` or JSON null: the start).
    pub fn from_json(v: Option<&Value>) -> Result<Self, ProviderError> {
        let Some(v) = v.filter(|v| !v.is_null()) else {
            return Ok(Self::start());
        };
        let bad = || ProviderError::Protocol("unreadable tickets checkpoint".into());
        let bookmark = v.get("bookmark").and_then(parse_ts).ok_or_else(bad)?;
        let mut seen = BTreeMap::new();
        if let Some(ids) = v.get("seen_ids_at_bookmark").and_then(Value::as_array) {
            for id in ids {
                let id = as_i64(id).ok_or_else(bad)?;
                seen.insert(id, bookmark);
            }
        }
        if let Some(after) = v.get("seen_after").and_then(Value::as_object) {
            for (id, ts) in after {
                let id = id.parse::<i64>().map_err(|_| bad())?;
                seen.insert(id, parse_ts(ts).ok_or_else(bad)?);
            }
        }
        let page = v
            .get("page")
            .and_then(Value::as_u64)
            .unwrap_or(1)
            .clamp(1, MAX_PAGE.into()) as u32;
        let per_page = v
            .get("per_page")
            .and_then(Value::as_u64)
            .unwrap_or(PER_PAGE.into())
            .clamp(1, 100) as u32;
        Ok(TicketCheckpoint {
            bookmark,
            seen,
            page,
            per_page,
        })
    }

    /// The checkpoint JSON.
    pub fn to_json(&self) -> Value {
        let at: Vec<i64> = self
            .seen
            .iter()
            .filter(|(_, t)| **t == self.bookmark)
            .map(|(id, _)| *id)
            .collect();
        let mut after = Map::new();
        for (id, t) in self.seen.iter().filter(|(_, t)| **t != self.bookmark) {
            after.insert(id.to_string(), Value::String(format_ts(*t)));
        }
        json!({
            "bookmark": format_ts(self.bookmark),
            "seen_ids_at_bookmark": at,
            "seen_after": after,
            "page": self.page,
            "per_page": self.per_page,
        })
    }

    /// The query parameters of the next page (`updated_since`, `page`, `per_page`).
    pub fn query(&self) -> String {
        let mut q = format!(
            "updated_since={}&order_by=updated_at&order_type=asc&per_page={}",
            format_ts(self.bookmark),
            self.per_page
        );
        if self.page > 1 {
            q.push_str(&format!("&page={}", self.page));
        }
        q
    }

    fn count_at(&self, seen: &BTreeMap<i64, DateTime<Utc>>, t: DateTime<Utc>) -> u32 {
        let _ = self;
        seen.values().filter(|v| **v == t).count() as u32
    }

    /// Applies one page of `(id, updated_at)` (in the order received).
    pub fn advance(
        &self,
        items: &[(i64, DateTime<Utc>)],
        overlap: Duration,
    ) -> Result<Advance, ProviderError> {
        let overlap = chrono::Duration::from_std(overlap).unwrap_or(chrono::Duration::zero());
        let mut seen = self.seen.clone();
        let mut emit = Vec::new();
        for (i, (id, ts)) in items.iter().enumerate() {
            if seen.get(id).is_some_and(|prev| prev >= ts) {
                continue;
            }
            seen.insert(*id, *ts);
            emit.push(i);
        }
        let Some(last) = items.iter().map(|(_, t)| *t).max() else {
            // Nothing at or after the bookmark: the walk is complete.
            let mut next = self.clone();
            next.page = 1;
            next.per_page = PER_PAGE;
            next.seen = prune(seen, self.bookmark, self.bookmark);
            return Ok(Advance {
                emit,
                next,
                done: true,
            });
        };
        let full = items.len() as u32 >= self.per_page;
        if !full {
            let bookmark = (last - overlap).max(DateTime::<Utc>::UNIX_EPOCH);
            let next = TicketCheckpoint {
                bookmark,
                seen: prune(seen, bookmark, bookmark),
                page: 1,
                per_page: PER_PAGE,
            };
            return Ok(Advance {
                emit,
                next,
                done: true,
            });
        }
        let next = if last > self.bookmark {
            let seen = prune(seen, last - overlap, last);
            let (page, per_page) = plan(self.count_at(&seen, last));
            TicketCheckpoint {
                bookmark: last,
                seen,
                page,
                per_page,
            }
        } else {
            // A whole page within one second: page within it.
            let before = self.count_at(&self.seen, self.bookmark);
            let after = self.count_at(&seen, self.bookmark);
            let (page, per_page) = if after > before {
                plan(after)
            } else {
                (self.page + 1, self.per_page)
            };
            if page > MAX_PAGE {
                return Err(ProviderError::Protocol(format!(
                    "more than {MAX_PAGE} pages of tickets share the second {}",
                    format_ts(self.bookmark)
                )));
            }
            TicketCheckpoint {
                bookmark: self.bookmark,
                seen: prune(seen, self.bookmark - overlap, self.bookmark),
                page,
                per_page,
            }
        };
        Ok(Advance {
            emit,
            next,
            done: false,
        })
    }
}

fn as_i64(v: &Value) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

/// Keeps the ids emitted at or after `from`, at most [`SEEN_CAP`] (never dropping those at
/// `keep`, the bookmark).
fn prune(
    mut seen: BTreeMap<i64, DateTime<Utc>>,
    from: DateTime<Utc>,
    keep: DateTime<Utc>,
) -> BTreeMap<i64, DateTime<Utc>> {
    seen.retain(|_, t| *t >= from);
    if seen.len() > SEEN_CAP {
        let mut times: Vec<DateTime<Utc>> = seen.values().copied().filter(|t| *t != keep).collect();
        times.sort();
        let excess = seen.len() - SEEN_CAP;
        if let Some(cut) = times.get(excess.min(times.len().saturating_sub(1))) {
            let cut = *cut;
            seen.retain(|_, t| *t == keep || *t >= cut);
        }
    }
    seen
}

/// Chooses `page` and `per_page` for a query whose first `consumed` items (all sharing the
/// bookmark second) were already read: the window starts at least [`TIE_OVERLAP`] items
/// before the end of what was read and brings as many new items as possible.
pub fn plan(consumed: u32) -> (u32, u32) {
    if consumed <= TIE_OVERLAP {
        return (1, PER_PAGE);
    }
    let x = consumed - TIE_OVERLAP;
    let mut best: Option<(i64, u32, u32)> = None;
    for pp in (MIN_PER_PAGE..=PER_PAGE).rev() {
        let page0 = x / pp;
        if page0 + 1 > MAX_PAGE {
            continue;
        }
        let gain = i64::from(page0 * pp + pp) - i64::from(consumed);
        if best.is_none_or(|(g, _, _)| gain > g) {
            best = Some((gain, page0 + 1, pp));
        }
    }
    match best {
        Some((gain, page, pp)) if gain > 0 => (page, pp),
        _ => ((consumed / PER_PAGE + 1).min(MAX_PAGE), PER_PAGE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_700_000_000 + s, 0).expect("ts")
    }

    #[test]
    fn plan_overlaps() {
        assert_eq!(plan(0), (1, 100));
        assert_eq!(plan(30), (1, 100));
        let (page, pp) = plan(100);
        let start = (page - 1) * pp;
        assert!(start <= 90 && start + pp > 100, "{page} {pp}");
        for c in [150u32, 500, 1234, 9_999, 20_000] {
            let (page, pp) = plan(c);
            let start = (page - 1) * pp;
            assert!(
                start + TIE_OVERLAP <= c,
                "c={c}: window starts after the overlap"
            );
            assert!(start + pp > c, "c={c}: window brings something new");
            assert!(page <= MAX_PAGE);
        }
    }

    #[test]
    fn moves_bookmark_and_dedupes() {
        let cp = TicketCheckpoint::start();
        let mut page: Vec<(i64, DateTime<Utc>)> = (0..100).map(|i| (i, t(i / 10))).collect();
        page[99] = (99, t(9));
        let a = cp.advance(&page, Duration::from_secs(0)).expect("advance");
        assert_eq!(a.emit.len(), 100);
        assert!(!a.done);
        assert_eq!(a.next.bookmark, t(9));
        assert_eq!(a.next.count_at(&a.next.seen, t(9)), 10);
        assert_eq!((a.next.page, a.next.per_page), (1, 100));
        // The next page starts with the 10 already seen at t(9).
        let page2: Vec<(i64, DateTime<Utc>)> = (90..120).map(|i| (i, t(i / 10))).collect();
        let b = a
            .next
            .advance(&page2, Duration::from_secs(0))
            .expect("advance");
        assert_eq!(b.emit.len(), 20);
        assert!(b.done);
    }

    #[test]
    fn json_round_trip() {
        let mut cp = TicketCheckpoint::start();
        cp.bookmark = t(5);
        cp.seen.insert(1, t(5));
        cp.seen.insert(2, t(7));
        cp.page = 3;
        cp.per_page = 90;
        let back = TicketCheckpoint::from_json(Some(&cp.to_json())).expect("parse");
        assert_eq!(back, cp);
    }
}
