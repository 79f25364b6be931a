//! The targeted fetch of one ticket after a push: one view with `include=conversations,stats`
//! (3 credits; `stats` only when the tickets stream includes it too), which embeds the ticket's attachments and its first ten conversations; only a
//! ticket with ten or more conversations has them listed in full (1 credit per 100).

use super::*;

/// The most conversations a view embeds (reference §2.3, `MAX_INCLUDE`).
const VIEW_CONVERSATIONS: usize = 10;

impl FreshdeskProvider {
    pub(super) async fn fetch_one_ticket(
        &self,
        id: &str,
    ) -> Result<Vec<NormalizedRecord>, ProviderError> {
        if id.is_empty() || id.len() > 20 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ProviderError::NotFound);
        }
        // `stats` as the tickets stream asks for it: `completed_at` comes from it.
        let path = if self.include_stats {
            format!("tickets/{id}?include=conversations,stats")
        } else {
            format!("tickets/{id}?include=conversations")
        };
        let (mut view, _) = self.http.get_json(&path, call_credits(&path)).await?;
        let conversations = view
            .as_object_mut()
            .and_then(|o| o.remove("conversations"))
            .and_then(|c| match c {
                Value::Array(a) => Some(a),
                _ => None,
            })
            .unwrap_or_default();
        let mut records = vec![map_ticket(self.la, &self.http.base, &view)?];
        for t in view
            .get("tags")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(t) = t.as_str() {
                records.push(map_tag(self.la, t));
            }
        }
        let attachments = view
            .get("attachments")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if conversations.len() >= VIEW_CONVERSATIONS {
            // More may exist: list them all, with the ticket's attachments from this view.
            self.ticket_attachments
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(id.to_string(), attachments, view_cache::VIEW_CACHE_CAP);
            records.extend(TicketingProvider::fetch_ticket_children(self, id).await?);
            return Ok(records);
        }
        let agents = self.known_agents();
        let path = format!("/tickets/{id}/conversations");
        for raw in &conversations {
            records.push(map_comment(self.la, raw, Some(&agents))?);
            for att in raw
                .get("attachments")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                records.push(map_attachment(self.la, id, att, &path)?);
            }
        }
        let tpath = format!("/tickets/{id}");
        for att in &attachments {
            records.push(map_attachment(self.la, id, att, &tpath)?);
        }
        Ok(records)
    }
}
