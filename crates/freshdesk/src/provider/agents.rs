//! The agents stream: the list every run, a view only for agents that are new or whose
//! `updated_at` moved, and a view of each agent that was known but not listed (404: deleted).

use super::*;

/// How often every agent is viewed anyway, whatever its `updated_at` says: Freshdesk may
/// change an agent's groups or roles without moving the agent's `updated_at` (not
/// documented either way), and this bounds how long such a change can go unseen.
pub(super) const FULL_VIEWS_EVERY: chrono::Duration = chrono::Duration::hours(24);

/// Checkpoint of the agents stream, kept across runs:
/// `{"known": {id: version}, "seen": {id: version}, "page": n, "views_at": ts|null,
/// "view_all": bool}`.
/// `known` is what the last complete walk saw, `seen` what this walk saw so far; a version is
/// the agent's `updated_at` and its contact's (`contact.updated_at`: a name or email change
/// moves only that one).
#[derive(Debug, Clone, Default)]
pub(super) struct AgentsCheckpoint {
    pub(super) known: BTreeMap<String, String>,
    pub(super) seen: BTreeMap<String, String>,
    pub(super) page: u32,
    pub(super) views_at: Option<DateTime<Utc>>,
    /// This walk views every agent (decided on its first page).
    pub(super) view_all: bool,
}

fn string_map(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

impl AgentsCheckpoint {
    pub(super) fn from_json(v: Option<&Value>) -> Self {
        let Some(v) = v.filter(|v| v.is_object()) else {
            return AgentsCheckpoint {
                page: 1,
                ..Default::default()
            };
        };
        AgentsCheckpoint {
            known: string_map(v.get("known")),
            seen: string_map(v.get("seen")),
            page: v.get("page").and_then(Value::as_u64).unwrap_or(1).max(1) as u32,
            views_at: v.get("views_at").and_then(parse_ts),
            view_all: v.get("view_all").and_then(Value::as_bool).unwrap_or(false),
        }
    }

    pub(super) fn to_json(&self) -> Value {
        json!({
            "known": self.known,
            "seen": self.seen,
            "page": self.page,
            "views_at": self.views_at.map(format_ts),
            "view_all": self.view_all,
        })
    }
}

/// The version of an agent list item: its `updated_at` and its contact's.
pub(super) fn agent_version(item: &Value) -> String {
    let at = |v: &Value| {
        v.get("updated_at")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    format!(
        "{}|{}",
        at(item),
        item.get("contact").map(at).unwrap_or_default()
    )
}

impl FreshdeskProvider {
    /// One page of `GET /agents` (1 credit). Agents that are new or changed since the last
    /// complete walk are viewed (`GET /agents/{id}`, 1 credit each: only the view has
    /// `group_ids` and `role_ids`); the others are not emitted, their stored record stays as
    /// it is. After the last page, each agent the last walk knew but this one did not list
    /// is viewed: a 404 means deleted (reported as such), an answer means the list shifted
    /// under the walk (a concurrent delete) and the agent is emitted from the view. Every
    /// [`FULL_VIEWS_EVERY`] one walk views every agent.
    pub(super) async fn fetch_agents(
        &self,
        checkpoint: Option<&Value>,
    ) -> Result<FetchBatch, ProviderError> {
        let mut cp = AgentsCheckpoint::from_json(checkpoint);
        let now = Utc::now();
        if cp.page == 1 {
            cp.view_all = cp.views_at.is_none_or(|t| now - t >= FULL_VIEWS_EVERY);
        }
        let view_all = cp.view_all;
        let (body, headers) = self
            .http
            .get_json(&format!("agents?per_page={PER_PAGE}&page={}", cp.page), 1)
            .await?;
        let items = into_array(body, "agents")?;
        let more = has_next_link(&headers) || items.len() as u32 >= PER_PAGE;
        let mut to_view = Vec::new();
        let mut listed = Vec::new();
        for item in items {
            let Some(id) = remote_id_of(&item) else {
                continue;
            };
            let version = agent_version(&item);
            listed.push(id.clone());
            let changed = cp.known.get(&id) != Some(&version);
            cp.seen.insert(id, version);
            if view_all || changed {
                to_view.push(item);
            }
        }
        self.known_agents
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .extend(listed);
        let mut records = self.agents_with_views(to_view).await?;
        let mut deleted = Vec::new();
        if more {
            cp.page += 1;
        } else {
            let missing: Vec<String> = cp
                .known
                .keys()
                .filter(|id| !cp.seen.contains_key(*id))
                .cloned()
                .collect();
            for id in missing {
                match self.http.get_json(&format!("agents/{id}"), 1).await {
                    Ok((view, _)) if view.is_object() => {
                        let version = agent_version(&view);
                        records.push(map_user(self.la, &view)?);
                        self.known_agents
                            .write()
                            .unwrap_or_else(|e| e.into_inner())
                            .insert(id.clone());
                        cp.seen.insert(id, version);
                    }
                    Ok(_) | Err(ProviderError::NotFound) => deleted.push(Deletion {
                        kind: ModelKind::User,
                        remote_id: id,
                        remote_updated_at: None,
                    }),
                    Err(e) => return Err(e),
                }
            }
            cp = AgentsCheckpoint {
                known: std::mem::take(&mut cp.seen),
                seen: BTreeMap::new(),
                page: 1,
                views_at: if view_all { Some(now) } else { cp.views_at },
                view_all: false,
            };
        }
        Ok(FetchBatch {
            records,
            deleted,
            checkpoint: Some(cp.to_json()),
            done: !more,
        })
    }
}
