//! What tickets and their conversations are generated from alike: ticket archetypes, the
//! people pools, attachments and weighted picks (apart from both, which use it).

use rand::Rng;
use rand::rngs::StdRng;

use super::pick;
use super::words::FILES;
use crate::model::Attachment;
use crate::store::{AccountData, IdKind};

/// Null patterns of the recorded samples; every 10th ticket (id ≡ 3 mod 10) follows one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Arch {
    /// `tickets_list_page.json`.
    List,
    /// `ticket_view_include_stats.json`.
    Stats,
    /// `ticket_view.json`.
    View,
    /// `ticket_view_2025.json`.
    Y2025,
    /// `ticket_view_association_parent.json`.
    Parent,
}

pub(super) const ARCHES: [Arch; 5] = [
    Arch::List,
    Arch::Stats,
    Arch::View,
    Arch::Y2025,
    Arch::Parent,
];

pub(super) fn arch_of(id: i64) -> Option<Arch> {
    (id % 10 == 3).then(|| ARCHES[usize::try_from((id / 10) % 5).unwrap_or(0)])
}

/// An attachment with a template name.
pub fn attachment(data: &mut AccountData, rng: &mut StdRng, at: i64) -> Attachment {
    let (name, content_type) = pick(rng, FILES);
    let a = Attachment {
        id: data.next_id(IdKind::Attachment),
        name: name.into(),
        content_type,
        size: rng.gen_range(800..120_000),
        created_at: at,
        updated_at: at,
    };
    data.attachment_index.insert(a.id, (content_type, a.size));
    a
}

/// Picks a value by weight.
pub(super) fn weighted(rng: &mut StdRng, items: &[(i64, u32)]) -> i64 {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut x = rng.gen_range(0..total.max(1));
    for (v, w) in items {
        if x < *w {
            return *v;
        }
        x -= w;
    }
    items.first().map(|i| i.0).unwrap_or(0)
}

/// Ids to draw from.
pub(super) struct Pools {
    /// Agent ids.
    pub agents: Vec<i64>,
    pub(super) groups: Vec<i64>,
    /// `(created_at, id, has_company)` in creation order.
    pub(super) contacts: Vec<(i64, i64, bool)>,
}

impl Pools {
    pub(super) fn eligible(&self, t: i64) -> usize {
        self.contacts
            .partition_point(|c| c.0 <= t)
            .max(2)
            .min(self.contacts.len())
    }

    pub(super) fn requester(&self, rng: &mut StdRng, t: i64, arch: Option<Arch>) -> i64 {
        let n = self.eligible(t);
        match arch {
            None => self.contacts[rng.gen_range(0..n)].1,
            // Archetype contacts (index ≡ 0 mod 7) have the list-item null pattern and a company.
            Some(Arch::List | Arch::View) => {
                let k = rng.gen_range(0..n.div_ceil(7));
                self.contacts[k * 7].1
            }
            Some(_) => {
                for _ in 0..20 {
                    let c = self.contacts[rng.gen_range(0..n)];
                    if !c.2 {
                        return c.1;
                    }
                }
                self.contacts[1].1
            }
        }
    }
}
