//! The `TicketingProvider` trait every helpdesk adapter implements, and its error type.
//!
//! An adapter is built for one linked account. It turns the provider's objects into
//! [`NormalizedRecord`]s (Merge's common model fields, relations already as Deskbridge ids)
//! and keeps the provider's rate limit as a budget on its own.

pub mod display;
mod error;
pub mod integration;
pub mod push;
mod record;
pub mod registry;
mod remote_data;
mod write;

pub use display::RemoteFieldClassDef;
pub use error::{FieldProblem, ProviderError};
pub use integration::{
    CredentialField, CredentialProblem, Credentials, Integration, Look, Refusals, check_fields,
};
pub use push::{InstalledPush, PushHint, PushRefusal, PushRequest, PushSetup, PushVerified};
pub use record::{Deletion, FetchBatch, NormalizedRecord, RecordRef, StreamMode, SyncStream};
pub use registry::Registry;
pub use remote_data::RemoteData;
pub use write::{
    CommentAuthor, CommentWrite, ContactWrite, CustomFieldWrite, PassthroughRequest,
    PassthroughResponse, ProviderCall, TicketWrite, WriteContext, WriteOutcome, WriteWarning,
};

use async_trait::async_trait;
use deskbridge_model::ModelKind;
use serde_json::Value;

/// What an adapter has spent on the provider's API.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProviderUsage {
    /// HTTP calls made.
    pub calls: u64,
    /// Rate-limit credits spent.
    pub credits: u64,
    /// 429 answers met.
    pub rate_limited: u64,
    /// True while waiting for the rate budget.
    pub waiting: bool,
}

/// Static facts about an integration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntegrationInfo {
    /// Merge's slug, e.g. `freshdesk`.
    pub slug: &'static str,
    /// Display name, e.g. `Freshdesk`.
    pub name: &'static str,
}

/// A helpdesk adapter bound to one linked account.
#[async_trait]
pub trait TicketingProvider: Send + Sync {
    /// Which integration this is.
    fn integration(&self) -> IntegrationInfo;

    /// Checks the credentials with one cheap call. Used when an account is linked.
    async fn check_credentials(&self) -> Result<(), ProviderError>;

    /// Which helpdesk the credentials lead to (for Freshdesk its resolved base URL), so that
    /// a relink can tell a new helpdesk from new credentials of the same one: record ids
    /// restart in every helpdesk, and records of two must never be mixed.
    fn instance_url(&self) -> Option<String> {
        None
    }

    /// The streams a sync walks, in order.
    fn streams(&self) -> Vec<SyncStream>;

    /// The models this provider can fill at all (the others are `DISABLED` in sync status).
    fn supported_models(&self) -> Vec<ModelKind>;

    /// Fetches the next batch of a stream from a checkpoint (`None`: from the start).
    ///
    /// The returned checkpoint is opaque JSON that the engine stores after the batch is
    /// written; passing it back resumes exactly after that batch.
    async fn fetch(
        &self,
        stream: &str,
        checkpoint: Option<&Value>,
    ) -> Result<FetchBatch, ProviderError>;

    /// Every remote id of a model that the provider still has (for the periodic id
    /// reconciliation that catches deletions no sweep reports).
    async fn list_all_ids(&self, kind: ModelKind) -> Result<Vec<String>, ProviderError> {
        let _ = kind;
        Err(ProviderError::Unsupported("id reconciliation"))
    }

    /// What this adapter has spent so far (calls, credits, 429s met) and whether it is
    /// waiting on the rate budget right now.
    fn usage(&self) -> ProviderUsage {
        ProviderUsage::default()
    }

    /// Provider metadata to keep per linked account, as `(key, value)` pairs (Freshdesk:
    /// `ticket_fields`, for enum labels, custom fields and write schemas).
    async fn metadata(&self) -> Result<Vec<(String, Value)>, ProviderError> {
        Ok(Vec::new())
    }

    /// Fetches the child records (comments, attachments) of one ticket whose content changed.
    async fn fetch_ticket_children(
        &self,
        ticket_remote_id: &str,
    ) -> Result<Vec<NormalizedRecord>, ProviderError>;

    /// Fetches one ticket with its comments and attachments, for a targeted sync after a push
    /// (the ticket first, then its children). A ticket the helpdesk no longer has is
    /// [`ProviderError::NotFound`]; a deleted one that the helpdesk still shows comes back
    /// with `remote_was_deleted`.
    async fn fetch_ticket(&self, remote_id: &str) -> Result<Vec<NormalizedRecord>, ProviderError> {
        let _ = remote_id;
        Err(ProviderError::Unsupported("targeted ticket fetches"))
    }

    /// Tells the adapter the remote ids of the account's Users (agents) stored by earlier
    /// syncs, before a targeted fetch: an adapter that learns them from a whole sync (to
    /// attribute comments) then maps a lone ticket exactly as the sync would.
    fn prime_known_users(&self, user_remote_ids: Vec<String>) {
        let _ = user_remote_ids;
    }

    /// Installs the push in the helpdesk (e.g. a webhook and the trigger that fires it) so
    /// that it calls `url`, presenting `secret`. `Ok(None)`: this integration (or this
    /// credential) cannot install it; the account shows the manual steps instead.
    async fn install_push(
        &self,
        url: &str,
        secret: &str,
    ) -> Result<Option<InstalledPush>, ProviderError> {
        let _ = (url, secret);
        Ok(None)
    }

    /// Removes what [`TicketingProvider::install_push`] created (its `remote_ids`). Gone
    /// already is success.
    async fn remove_push(&self, remote_ids: &Value) -> Result<(), ProviderError> {
        let _ = remote_ids;
        Ok(())
    }

    /// Creates a ticket at the provider and returns it as the provider stored it.
    ///
    /// Writes are made once (never retried after the request was sent). A rejection is
    /// [`ProviderError::Validation`] whose problems carry, in `field`, a JSON pointer into the
    /// Merge request body (e.g. `/model/status`, or `/model` when no field is to blame), in
    /// `message` the provider's own field and message, and in `code` the provider's code.
    async fn create_ticket(
        &self,
        ticket: &TicketWrite,
        ctx: &WriteContext,
    ) -> Result<WriteOutcome, ProviderError> {
        let _ = (ticket, ctx);
        Err(ProviderError::Unsupported("creating tickets"))
    }

    /// Changes a ticket (Merge's PATCH semantics, see [`TicketWrite`]). Errors as for
    /// [`TicketingProvider::create_ticket`].
    async fn update_ticket(
        &self,
        remote_id: &str,
        ticket: &TicketWrite,
        ctx: &WriteContext,
    ) -> Result<WriteOutcome, ProviderError> {
        let _ = (remote_id, ticket, ctx);
        Err(ProviderError::Unsupported("updating tickets"))
    }

    /// Adds a comment to a ticket. Errors as for [`TicketingProvider::create_ticket`].
    async fn create_comment(
        &self,
        comment: &CommentWrite,
        ctx: &WriteContext,
    ) -> Result<WriteOutcome, ProviderError> {
        let _ = (comment, ctx);
        Err(ProviderError::Unsupported("creating comments"))
    }

    /// Creates a contact. Errors as for [`TicketingProvider::create_ticket`].
    async fn create_contact(
        &self,
        contact: &ContactWrite,
        ctx: &WriteContext,
    ) -> Result<WriteOutcome, ProviderError> {
        let _ = (contact, ctx);
        Err(ProviderError::Unsupported("creating contacts"))
    }

    /// The JSON-schema-like `request_schema` of a write (`patch`: PATCH rather than POST) of
    /// `kind` for this account, built from its stored metadata (Merge's `MetaResponse`).
    fn write_schema(
        &self,
        kind: ModelKind,
        patch: bool,
        ctx: &WriteContext,
    ) -> Result<serde_json::Map<String, Value>, ProviderError> {
        let _ = (kind, patch, ctx);
        Err(ProviderError::Unsupported("writes"))
    }

    /// Sends an authenticated raw request under the provider's API root, charged to the
    /// account's rate budget without waiting (a spent budget is
    /// [`ProviderError::RateLimited`] at once). The path is confined to the API root; any
    /// HTTP status is returned as it came.
    async fn passthrough(
        &self,
        request: &PassthroughRequest,
    ) -> Result<PassthroughResponse, ProviderError> {
        let _ = request;
        Err(ProviderError::Unsupported("passthrough requests"))
    }
}
