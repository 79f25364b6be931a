//! The checkpoints of the full walks and of the contacts walk, as stored JSON.

use super::*;

/// Checkpoint of a full walk: `{"page": n, "last_ids": [last id of each page read], "backsteps": k}`.
#[derive(Debug, Clone, Default)]
pub(super) struct FullCheckpoint {
    pub(super) page: u32,
    pub(super) last_ids: Vec<String>,
    pub(super) backsteps: u32,
}

impl FullCheckpoint {
    pub(super) fn from_json(v: Option<&Value>) -> Self {
        let Some(v) = v.filter(|v| v.is_object()) else {
            return FullCheckpoint {
                page: 1,
                ..Default::default()
            };
        };
        FullCheckpoint {
            page: v.get("page").and_then(Value::as_u64).unwrap_or(1).max(1) as u32,
            last_ids: v
                .get("last_ids")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
            backsteps: v.get("backsteps").and_then(Value::as_u64).unwrap_or(0) as u32,
        }
    }

    pub(super) fn to_json(&self) -> Value {
        json!({ "page": self.page, "last_ids": self.last_ids, "backsteps": self.backsteps })
    }
}

/// The phases of a contacts walk: two lists, because Freshdesk's default contact list leaves
/// out blocked and deleted contacts and `state` takes one value. Freshdesk's `state=blocked`
/// filter is "blocked, or deleted, and not whitelisted" (its server source), so one filtered
/// list sees both a contact that got blocked and one that got deleted (`deleted: true` tells
/// them apart); `state=deleted` would see only the deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum ContactsPhase {
    /// The default list (neither blocked nor deleted).
    #[default]
    Live,
    /// `state=blocked`: blocked or deleted.
    Blocked,
}

impl ContactsPhase {
    pub(super) fn state(self) -> Option<&'static str> {
        match self {
            ContactsPhase::Live => None,
            ContactsPhase::Blocked => Some("blocked"),
        }
    }

    pub(super) fn next(self) -> Option<Self> {
        match self {
            ContactsPhase::Live => Some(ContactsPhase::Blocked),
            ContactsPhase::Blocked => None,
        }
    }

    pub(super) fn name(self) -> &'static str {
        self.state().unwrap_or("live")
    }
}

/// Checkpoint of the contacts stream:
/// `{"since": ts|null, "page": n, "started": ts|null, "phase": "live"|"blocked"}` (a
/// checkpoint in the former third phase, `"deleted"`, resumes with `blocked` from page 1,
/// which lists the deleted contacts too).
#[derive(Debug, Clone, Default)]
pub(super) struct ContactsCheckpoint {
    pub(super) since: Option<DateTime<Utc>>,
    pub(super) page: u32,
    pub(super) started: Option<DateTime<Utc>>,
    pub(super) phase: ContactsPhase,
}

impl ContactsCheckpoint {
    pub(super) fn from_json(v: Option<&Value>) -> Self {
        let Some(v) = v.filter(|v| v.is_object()) else {
            return ContactsCheckpoint {
                page: 1,
                ..Default::default()
            };
        };
        let (phase, restart) = match v.get("phase").and_then(Value::as_str) {
            Some("blocked") => (ContactsPhase::Blocked, false),
            Some("deleted") => (ContactsPhase::Blocked, true),
            _ => (ContactsPhase::Live, false),
        };
        let page = v.get("page").and_then(Value::as_u64).unwrap_or(1).max(1) as u32;
        ContactsCheckpoint {
            since: v.get("since").and_then(parse_ts),
            page: if restart { 1 } else { page },
            started: v.get("started").and_then(parse_ts),
            phase,
        }
    }

    pub(super) fn to_json(&self) -> Value {
        json!({
            "since": self.since.map(format_ts),
            "page": self.page,
            "started": self.started.map(format_ts),
            "phase": self.phase.name(),
        })
    }
}
