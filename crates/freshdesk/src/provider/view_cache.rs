//! The ticket attachments the walk's views read, kept until the ticket's children round takes
//! them (so the round needs no second view).
//!
//! Bounded, oldest first out. Why not cleared at once when full: a ticket whose content did
//! not change is viewed (the walk re-reads its overlap) but never queued for children, so its
//! entry is never taken; clearing everything at the cap also dropped the entries of tickets
//! whose rounds were about to run, and each of those was viewed a second time. Evicting the
//! oldest keeps the newest, which are the tickets the next rounds take.

use std::collections::{HashMap, VecDeque};

use serde_json::Value;

/// Entries kept at most.
pub(super) const VIEW_CACHE_CAP: usize = 20_000;

/// Attachments by ticket id, in insertion order.
#[derive(Debug, Default)]
pub(super) struct ViewCache {
    /// Ticket id → (insertion number, attachments).
    entries: HashMap<String, (u64, Vec<Value>)>,
    /// Insertion numbers and ids, oldest first; an id whose entry was taken or replaced
    /// stays here until it reaches the front or the queue is compacted.
    order: VecDeque<(u64, String)>,
    next: u64,
}

impl ViewCache {
    /// Keeps `attachments` for `id` (replacing an older entry), evicting the oldest entries
    /// beyond `cap`.
    pub(super) fn insert(&mut self, id: String, attachments: Vec<Value>, cap: usize) {
        let n = self.next;
        self.next += 1;
        self.entries.insert(id.clone(), (n, attachments));
        self.order.push_back((n, id));
        while self.entries.len() > cap {
            let Some((n, id)) = self.order.pop_front() else {
                break;
            };
            if self.entries.get(&id).is_some_and(|(m, _)| *m == n) {
                self.entries.remove(&id);
            }
        }
        // Taken entries leave their ids behind: compact before the queue outgrows the map.
        if self.order.len() > 2 * cap.max(1) {
            let entries = &self.entries;
            self.order
                .retain(|(n, id)| entries.get(id).is_some_and(|(m, _)| m == n));
        }
    }

    /// Takes the entry of `id`.
    pub(super) fn take(&mut self, id: &str) -> Option<Vec<Value>> {
        self.entries.remove(id).map(|(_, a)| a)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_oldest_go_first_and_taken_ones_do_not_count() {
        let mut c = ViewCache::default();
        for i in 0..5 {
            c.insert(i.to_string(), vec![json!(i)], 3);
        }
        assert_eq!(c.take("0"), None);
        assert_eq!(c.take("1"), None);
        assert_eq!(c.take("4"), Some(vec![json!(4)]));
        // 2 and 3 remain; a replaced entry is not evicted by its older position.
        c.insert("2".into(), vec![json!("new")], 3);
        c.insert("5".into(), vec![], 3);
        c.insert("6".into(), vec![], 3);
        assert_eq!(c.take("3"), None, "the oldest left");
        assert_eq!(c.take("2"), Some(vec![json!("new")]));
        for i in 100..200 {
            c.insert(i.to_string(), vec![], 3);
            c.take(&i.to_string());
        }
        assert!(
            c.order.len() <= 7,
            "taken ids are compacted away: {}",
            c.order.len()
        );
    }
}
