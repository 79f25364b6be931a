//! The `TicketingProvider` face of [`ZendeskProvider`]: each method hands over to the module
//! that does the work (streams and exports, children, writes). Kept apart from
//! [`crate::provider`] so that the provider type does not import the modules that use it.

use async_trait::async_trait;
use deskbridge_model::ModelKind;
use deskbridge_provider::InstalledPush;
use deskbridge_provider::{
    CommentWrite, ContactWrite, FetchBatch, IntegrationInfo, NormalizedRecord, PassthroughRequest,
    PassthroughResponse, ProviderError, ProviderUsage, StreamMode, SyncStream, TicketWrite,
    TicketingProvider, WriteContext, WriteOutcome,
};
use serde_json::Value;

use crate::provider::{ZendeskProvider, stream};

#[async_trait]
impl TicketingProvider for ZendeskProvider {
    /// See [`crate::push::fetch_ticket`]: the ticket, then its comments (2+ calls).
    async fn fetch_ticket(&self, remote_id: &str) -> Result<Vec<NormalizedRecord>, ProviderError> {
        crate::push::fetch_ticket(self, remote_id).await
    }

    /// See [`crate::push::install`]: a webhook and its trigger (needs an admin).
    async fn install_push(
        &self,
        url: &str,
        secret: &str,
    ) -> Result<Option<InstalledPush>, ProviderError> {
        crate::push::install(self, url, secret).await.map(Some)
    }

    /// See [`crate::push::remove`].
    async fn remove_push(&self, remote_ids: &Value) -> Result<(), ProviderError> {
        crate::push::remove(self, remote_ids).await
    }

    fn integration(&self) -> IntegrationInfo {
        IntegrationInfo {
            slug: "zendesk",
            name: "Zendesk",
        }
    }

    /// `GET /api/v2/users/me` (1 call): 401 or an anonymous user → Unauthorized; an end-user
    /// or a non-admin agent → Forbidden (with why, for a person); 403 (e.g. a missing OAuth
    /// scope) → Forbidden; 404 "No help desk" → UnknownAccount; 429 → RateLimited;
    /// connection, DNS and TLS failures → Unreachable.
    async fn check_credentials(&self) -> Result<(), ProviderError> {
        self.check().await
    }

    /// See [`crate::streams::list_all_ids`]: tickets from the export (archived included),
    /// users and contacts by role, accounts, teams, roles.
    async fn list_all_ids(&self, kind: ModelKind) -> Result<Vec<String>, ProviderError> {
        crate::streams::list_all_ids(self, kind).await
    }

    fn usage(&self) -> ProviderUsage {
        let s = self.http.budget.stats();
        ProviderUsage {
            calls: s.calls,
            credits: s.calls,
            rate_limited: s.rate_limited,
            waiting: self.http.budget.is_waiting(),
        }
    }

    /// `ticket_fields` and `custom_statuses` as read by this run (no extra call).
    async fn metadata(&self) -> Result<Vec<(String, Value)>, ProviderError> {
        let learnt = self.learnt();
        let mut out = Vec::new();
        if let Some(f) = &learnt.ticket_fields {
            out.push(("ticket_fields".to_string(), Value::Array(f.clone())));
        }
        if let Some(s) = &learnt.custom_statuses {
            out.push(("custom_statuses".to_string(), Value::Array(s.clone())));
        }
        Ok(out)
    }

    fn streams(&self) -> Vec<SyncStream> {
        use StreamMode::*;
        let s = |name, kinds, mode| SyncStream { name, kinds, mode };
        vec![
            s(stream::TICKET_FIELDS, vec![], Full),
            s(stream::CUSTOM_STATUSES, vec![], Full),
            s(stream::ROLES, vec![ModelKind::Role], Full),
            s(stream::GROUPS, vec![ModelKind::Team], Full),
            s(stream::GROUP_MEMBERSHIPS, vec![], Full),
            s(stream::ORGANIZATIONS, vec![ModelKind::Account], Incremental),
            s(
                stream::USERS,
                vec![ModelKind::User, ModelKind::Contact],
                Incremental,
            ),
            s(
                stream::TICKETS,
                vec![ModelKind::Ticket, ModelKind::Tag],
                Incremental,
            ),
            s(stream::TAGS, vec![ModelKind::Tag], Incremental),
            s(stream::TICKETS_DELETED, vec![ModelKind::Ticket], Deletions),
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
        crate::streams::fetch(self, stream, checkpoint).await
    }

    /// Comments and attachments of one ticket: `GET /tickets/{id}/comments?page[size]=100&
    /// include=users` (see [`crate::children`]).
    async fn fetch_ticket_children(
        &self,
        ticket_remote_id: &str,
    ) -> Result<Vec<NormalizedRecord>, ProviderError> {
        crate::children::fetch_ticket_children(self, ticket_remote_id).await
    }

    async fn create_ticket(
        &self,
        ticket: &TicketWrite,
        ctx: &WriteContext,
    ) -> Result<WriteOutcome, ProviderError> {
        crate::writes::create_ticket(self, ticket, ctx).await
    }

    async fn update_ticket(
        &self,
        remote_id: &str,
        ticket: &TicketWrite,
        ctx: &WriteContext,
    ) -> Result<WriteOutcome, ProviderError> {
        crate::writes::update_ticket(self, remote_id, ticket, ctx).await
    }

    async fn create_comment(
        &self,
        comment: &CommentWrite,
        _ctx: &WriteContext,
    ) -> Result<WriteOutcome, ProviderError> {
        crate::writes::create_comment(self, comment).await
    }

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
        crate::schema::write_schema(kind, patch, ctx)
    }

    async fn passthrough(
        &self,
        request: &PassthroughRequest,
    ) -> Result<PassthroughResponse, ProviderError> {
        crate::writes::passthrough(self, request).await
    }
}
