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

/// The phases of a contacts walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum ContactsPhase {
    /// The default list (neither blocked nor deleted).
    #[default]
    Live,
    /// `state=blocked`.
    Blocked,
    /// `state=deleted`.
    Deleted,
}

impl ContactsPhase {
    pub(super) fn state(self) -> Option<&'static str> {
        match self {
            ContactsPhase::Live => None,
            ContactsPhase::Blocked => Some("blocked"),
            ContactsPhase::Deleted => Some("deleted"),
        }
    }

    pub(super) fn next(self) -> Option<Self> {
        match self {
            ContactsPhase::Live => Some(ContactsPhase::Blocked),
            ContactsPhase::Blocked => Some(ContactsPhase::Deleted),
            ContactsPhase::Deleted => None,
        }
    }

    pub(super) fn name(self) -> &'static str {
        self.state().unwrap_or("live")
    }
}

/// Checkpoint of the contacts stream:
/// `{"since": ts|null, "page": n, "started": ts|null, "phase": "live"|"blocked"|"deleted"}`.
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
        let phase = match v.get("phase").and_then(Value::as_str) {
            Some("blocked") => ContactsPhase::Blocked,
            Some("deleted") => ContactsPhase::Deleted,
            _ => ContactsPhase::Live,
        };
        ContactsCheckpoint {
            since: v.get("since").and_then(parse_ts),
            page: v.get("page").and_then(Value::as_u64).unwrap_or(1).max(1) as u32,
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
