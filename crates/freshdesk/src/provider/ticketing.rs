//! [`TicketingProvider`] for [`FreshdeskProvider`]: the engine's and the API's entry points,
//! delegating to the reads and the writes.

use super::*;

#[async_trait]
impl TicketingProvider for FreshdeskProvider {
    /// See `push_fetch`: one view with conversations and stats (3 credits), more only for
    /// tickets with ten conversations or more.
    async fn fetch_ticket(&self, remote_id: &str) -> Result<Vec<NormalizedRecord>, ProviderError> {
        self.fetch_one_ticket(remote_id).await
    }

    /// See [`crate::push_install::install`]: two automation rules (needs an admin).
    async fn install_push(
        &self,
        url: &str,
        secret: &str,
    ) -> Result<Option<deskbridge_provider::InstalledPush>, ProviderError> {
        crate::push_install::install(self, url, secret)
            .await
            .map(Some)
    }

    /// See [`crate::push_install::remove`].
    async fn remove_push(&self, remote_ids: &Value) -> Result<(), ProviderError> {
        crate::push_install::remove(self, remote_ids).await
    }

    /// The stored agents tell a comment's author apart without reading the agents again.
    fn prime_known_users(&self, user_remote_ids: Vec<String>) {
        self.set_known_agents(user_remote_ids);
    }

    fn integration(&self) -> IntegrationInfo {
        IntegrationInfo {
            slug: "freshdesk",
            name: "Freshdesk",
        }
    }

    fn instance_url(&self) -> Option<String> {
        Some(self.base_url().to_string())
    }

    /// `GET /api/v2/agents/me` (1 credit), classified: 401 → Unauthorized; 403
    /// `account_suspended` → Suspended, `require_feature` → NoApiAccess, other 403 →
    /// Forbidden; 404 → UnknownAccount; 429 on a Free plan (limit 0, see `check`) →
    /// NoApiAccess, other 429 → RateLimited; connection, DNS and TLS failures → Unreachable.
    async fn check_credentials(&self) -> Result<(), ProviderError> {
        self.check().await
    }

    async fn list_all_ids(&self, kind: ModelKind) -> Result<Vec<String>, ProviderError> {
        FreshdeskProvider::list_all_ids(self, kind).await
    }

    fn usage(&self) -> ProviderUsage {
        let s = self.http.budget.stats();
        ProviderUsage {
            calls: s.calls,
            credits: s.credits,
            rate_limited: s.rate_limited,
            waiting: self.http.budget.is_waiting(),
        }
    }

    /// The `ticket_fields` read by this run's `ticket_fields` stream (no extra call).
    async fn metadata(&self) -> Result<Vec<(String, Value)>, ProviderError> {
        let fields = self
            .ticket_fields
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        Ok(fields
            .map(|f| vec![("ticket_fields".to_string(), Value::Array(f))])
            .unwrap_or_default())
    }

    fn streams(&self) -> Vec<SyncStream> {
        use StreamMode::*;
        let s = |name, kinds, mode| SyncStream { name, kinds, mode };
        vec![
            s(stream::TICKET_FIELDS, vec![], Full),
            s(stream::GROUPS, vec![ModelKind::Team], Full),
            s(stream::ROLES, vec![ModelKind::Role], Full),
            // Incremental: the walk keeps each agent's version and views only the changed
            // ones; it reports deleted agents itself (see `fetch_agents`).
            s(stream::AGENTS, vec![ModelKind::User], Incremental),
            s(stream::COMPANIES, vec![ModelKind::Account], Full),
            s(stream::CONTACTS, vec![ModelKind::Contact], Incremental),
            s(
                stream::TICKETS,
                vec![ModelKind::Ticket, ModelKind::Tag],
                Incremental,
            ),
            s(stream::TICKETS_DELETED, vec![ModelKind::Ticket], Deletions),
            s(stream::TICKETS_SPAM, vec![ModelKind::Ticket], Deletions),
        ]
    }

    fn supported_models(&self) -> Vec<ModelKind> {
        vec![
            ModelKind::Ticket,
            ModelKind::Comment,
            ModelKind::User,
            ModelKind::Contact,
            ModelKind::Account,
            ModelKind::Team,
            ModelKind::Tag,
            ModelKind::Role,
            ModelKind::Attachment,
        ]
    }

    async fn fetch(
        &self,
        stream: &str,
        checkpoint: Option<&Value>,
    ) -> Result<FetchBatch, ProviderError> {
        match stream {
            stream::TICKETS => self.fetch_tickets(checkpoint).await,
            stream::TICKETS_DELETED => self.fetch_deletions("deleted", checkpoint).await,
            stream::TICKETS_SPAM => self.fetch_deletions("spam", checkpoint).await,
            stream::CONTACTS => self.fetch_contacts(checkpoint).await,
            stream::AGENTS => self.fetch_agents(checkpoint).await,
            stream::COMPANIES | stream::GROUPS | stream::ROLES => {
                self.fetch_full(stream, checkpoint).await
            }
            stream::TICKET_FIELDS => {
                self.ticket_fields().await?;
                Ok(FetchBatch {
                    records: vec![],
                    deleted: vec![],
                    checkpoint: None,
                    done: true,
                })
            }
            _ => Err(ProviderError::Unsupported("unknown Freshdesk stream")),
        }
    }

    /// Comments and attachments of one ticket: `GET /tickets/{id}/conversations?per_page=100`
    /// (1 credit per 100 conversations, pages followed while `Link: rel="next"`), plus the
    /// ticket's own attachments, taken from the view the tickets stream already made (no
    /// call), or from `GET /tickets/{id}` (1 credit) when this adapter did not view it.
    async fn fetch_ticket_children(
        &self,
        ticket_remote_id: &str,
    ) -> Result<Vec<NormalizedRecord>, ProviderError> {
        let id = ticket_remote_id;
        if id.is_empty() || id.len() > 20 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ProviderError::NotFound);
        }
        let mut records = Vec::new();
        let agents = self.known_agents();
        let path = format!("/tickets/{id}/conversations");
        let mut page = 1u32;
        loop {
            let q = format!("tickets/{id}/conversations?per_page={PER_PAGE}&page={page}");
            let (body, headers) = self.http.get_body(&q, 1).await?;
            let items = raw::array_items(&body, "conversations")?;
            let n = items.len();
            for item in items {
                records.extend(raw::map_conversation(
                    self.la,
                    id,
                    item,
                    Some(&agents),
                    &path,
                )?);
            }
            if !(has_next_link(&headers) || n as u32 >= PER_PAGE) || page >= 10_000 {
                break;
            }
            page += 1;
        }
        let cached = self
            .ticket_attachments
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take(id);
        let ticket_attachments = match cached {
            Some(a) => a,
            None => {
                let (view, _) = self.http.get_json(&format!("tickets/{id}"), 1).await?;
                view.get("attachments")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default()
            }
        };
        let tpath = format!("/tickets/{id}");
        for att in &ticket_attachments {
            records.push(map_attachment(self.la, id, att, &tpath)?);
        }
        Ok(records)
    }

    /// `POST /tickets` (see [`crate::writes`]).
    async fn create_ticket(
        &self,
        ticket: &TicketWrite,
        ctx: &WriteContext,
    ) -> Result<WriteOutcome, ProviderError> {
        crate::writes::create_ticket(self, ticket, ctx).await
    }

    /// `PUT /tickets/{id}` (see [`crate::writes`]).
    async fn update_ticket(
        &self,
        remote_id: &str,
        ticket: &TicketWrite,
        ctx: &WriteContext,
    ) -> Result<WriteOutcome, ProviderError> {
        crate::writes::update_ticket(self, remote_id, ticket, ctx).await
    }

    /// `POST /tickets/{id}/reply` or `/notes` (see [`crate::writes`]).
    async fn create_comment(
        &self,
        comment: &CommentWrite,
        _ctx: &WriteContext,
    ) -> Result<WriteOutcome, ProviderError> {
        crate::writes::create_comment(self, comment).await
    }

    /// `POST /contacts` (see [`crate::writes`]).
    async fn create_contact(
        &self,
        contact: &ContactWrite,
        _ctx: &WriteContext,
    ) -> Result<WriteOutcome, ProviderError> {
        crate::writes::create_contact(self, contact).await
    }

    fn write_schema(
        &self,
        kind: ModelKind,
        patch: bool,
        ctx: &WriteContext,
    ) -> Result<serde_json::Map<String, Value>, ProviderError> {
        crate::writes::write_schema(kind, patch, ctx)
    }

    /// [`FreshdeskProvider::send`] with only safe response headers kept.
    async fn passthrough(
        &self,
        request: &PassthroughRequest,
    ) -> Result<PassthroughResponse, ProviderError> {
        crate::writes::passthrough(self, request).await
    }
}
