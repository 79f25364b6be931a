//! Parents the ticket walk never emits: a child ticket (`association_type` 2) whose parent is
//! spam or trashed would point to an id that no endpoint serves (spam and trashed tickets
//! are not in the walk, and the deletion sweeps only flag records already stored). Such a
//! parent is viewed and stored as a flagged record (`remote_was_deleted: true`), so the
//! relation resolves with `include_deleted_data=true`.

use super::*;

/// Live ticket ids remembered per adapter to skip the parent check (memory bound).
const LIVE_CAP: usize = 1_000_000;

impl FreshdeskProvider {
    /// Remembers the live tickets a batch emitted.
    pub(super) fn remember_live(&self, tickets: &[&Value]) {
        let mut live = self.live_tickets.lock().unwrap_or_else(|e| e.into_inner());
        if live.len() >= LIVE_CAP {
            live.clear();
        }
        live.extend(
            tickets
                .iter()
                .filter_map(|t| t.get("id").and_then(Value::as_i64)),
        );
    }

    /// The flagged records of the parents of `tickets` that are spam or trashed: each parent
    /// not emitted live by this adapter is viewed (`GET /tickets/{id}`, 1 credit per child
    /// that changed, at most one view per parent and batch); a live parent is left to the walk,
    /// a purged one (404) to nothing.
    pub(super) async fn flagged_parents(
        &self,
        tickets: &[&Value],
    ) -> Result<Vec<NormalizedRecord>, ProviderError> {
        let wanted: BTreeSet<i64> = {
            let live = self.live_tickets.lock().unwrap_or_else(|e| e.into_inner());
            tickets
                .iter()
                .filter(|t| t.get("association_type").and_then(Value::as_i64) == Some(2))
                .filter_map(|t| t.get("associated_tickets_list")?.get(0)?.as_i64())
                .filter(|p| !live.contains(p))
                .collect()
        };
        let views: Vec<Option<Value>> =
            futures::stream::iter(wanted.into_iter().map(|id| async move {
                match self.http.get_json(&format!("tickets/{id}"), 1).await {
                    Ok((v, _)) => Ok(Some(v)),
                    Err(ProviderError::NotFound) => Ok(None),
                    Err(e) => Err(e),
                }
            }))
            .buffered(self.view_concurrency)
            .try_collect()
            .await?;
        let flagged = |v: &Value| {
            ["deleted", "spam"]
                .iter()
                .any(|k| v.get(*k).and_then(Value::as_bool) == Some(true))
        };
        views
            .iter()
            .flatten()
            .filter(|v| flagged(v))
            .map(|v| map_ticket(self.la, &self.http.base, v))
            .collect()
    }
}
