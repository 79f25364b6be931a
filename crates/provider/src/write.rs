//! Writes to a provider: requests with relations already resolved to the provider's ids, and
//! what a write reports back (the record as written, warnings, and the calls made).

use bytes::Bytes;
use chrono::{DateTime, Utc};
use deskbridge_model::{Patch, PriorityEnum, TicketStatusEnum};
use serde_json::{Map, Value};

use crate::NormalizedRecord;

/// What the caller knows about the linked account that a write may need.
#[derive(Debug, Clone, Default)]
pub struct WriteContext {
    /// Stored provider metadata by key (Freshdesk: `ticket_fields`), as
    /// [`crate::TicketingProvider::metadata`] produced it at the last sync.
    pub metadata: Map<String, Value>,
}

/// A custom field value to write, with where it came from in the request.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomFieldWrite {
    /// The provider's key of the field (Freshdesk: `cf_region`).
    pub key: String,
    /// The value.
    pub value: Value,
    /// JSON pointer of the value in the request body, e.g. `/model/remote_fields/0/value`.
    pub pointer: String,
}

/// A ticket to create (absent fields are not sent) or to change (Merge's PATCH semantics:
/// a field present is set, `null` clears it, a list replaces the whole list).
///
/// Relations are the provider's remote ids. Merge fields that some providers cannot carry are
/// kept so that the adapter can warn about them.
#[derive(Debug, Clone, Default)]
pub struct TicketWrite {
    /// Subject.
    pub name: Patch<String>,
    /// Description (HTML where the provider supports it).
    pub description: Patch<String>,
    /// Normalised status.
    pub status: Patch<TicketStatusEnum>,
    /// Normalised priority.
    pub priority: Patch<PriorityEnum>,
    /// The provider's ticket type.
    pub ticket_type: Patch<String>,
    /// Due date.
    pub due_date: Patch<DateTime<Utc>>,
    /// Remote ids of the users to assign.
    pub assignees: Patch<Vec<String>>,
    /// Remote ids of the teams to assign.
    pub assigned_teams: Patch<Vec<String>>,
    /// Remote id of the requesting contact.
    pub contact: Patch<String>,
    /// Remote id of the account (company).
    pub account: Patch<String>,
    /// Remote id of the parent ticket.
    pub parent_ticket: Patch<String>,
    /// Tag names.
    pub tags: Patch<Vec<String>>,
    /// Custom field values (from `remote_fields` and `integration_params.custom_fields`).
    pub custom_fields: Vec<CustomFieldWrite>,
    /// `integration_params` without `custom_fields`: extra provider fields, sent as given.
    pub integration_params: Map<String, Value>,
    /// Names of the Merge fields sent that have no place in this struct (e.g.
    /// `collections`, `access_level`, `roles`, `creator`, `completed_at`, `ticket_url`,
    /// `attachments`, `linked_account_params`): the adapter warns about them.
    pub unsupported: Vec<String>,
}

/// Who writes a comment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum CommentAuthor {
    /// Not given: the provider's default (Freshdesk: the agent whose key is used).
    #[default]
    Default,
    /// An agent, by remote id.
    User(String),
    /// A contact, by remote id.
    Contact(String),
}

/// A comment to add to a ticket.
#[derive(Debug, Clone, Default)]
pub struct CommentWrite {
    /// Remote id of the ticket; `None` when the request named none.
    pub ticket: Option<String>,
    /// Plain-text body.
    pub body: Option<String>,
    /// HTML body (preferred when both are given).
    pub html_body: Option<String>,
    /// Whether only agents may see it; `None` when not given.
    pub is_private: Option<bool>,
    /// The author.
    pub author: CommentAuthor,
    /// Extra provider fields, sent as given.
    pub integration_params: Map<String, Value>,
    /// Names of Merge fields sent that the adapter should warn about.
    pub unsupported: Vec<String>,
}

/// A contact to create.
#[derive(Debug, Clone, Default)]
pub struct ContactWrite {
    /// Name.
    pub name: Option<String>,
    /// Email address.
    pub email_address: Option<String>,
    /// Phone number.
    pub phone_number: Option<String>,
    /// Notes.
    pub details: Option<String>,
    /// Remote id of the account (company).
    pub account: Option<String>,
    /// Extra provider fields, sent as given.
    pub integration_params: Map<String, Value>,
    /// Names of Merge fields sent that the adapter should warn about.
    pub unsupported: Vec<String>,
}

/// A problem that did not stop a write, in Merge's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteWarning {
    /// JSON pointer into the request body, e.g. `/model/assignees/1`.
    pub pointer: Option<String>,
    /// Machine-readable kind, e.g. `UNSUPPORTED_FIELD`.
    pub problem_type: String,
    /// Short title.
    pub title: String,
    /// What happened.
    pub detail: String,
}

/// One HTTP call made to the provider (for `is_debug_mode` logs). Never holds credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderCall {
    /// HTTP method.
    pub method: String,
    /// The URL called (no credentials: they travel in headers).
    pub url: String,
    /// The provider's HTTP status; 0 when no answer came.
    pub status: u16,
}

/// What a successful write returns.
#[derive(Debug, Clone)]
pub struct WriteOutcome {
    /// The record as the provider stored it.
    pub record: NormalizedRecord,
    /// Records that came with it (e.g. tags of a ticket).
    pub related: Vec<NormalizedRecord>,
    /// Fields that were not written, and other non-fatal problems.
    pub warnings: Vec<WriteWarning>,
    /// The calls made, in order.
    pub calls: Vec<ProviderCall>,
}

/// A raw request for the passthrough endpoint.
#[derive(Debug, Clone)]
pub struct PassthroughRequest {
    /// HTTP method (upper case).
    pub method: String,
    /// Path relative to the provider's API root (confined by the adapter).
    pub path: String,
    /// JSON body, if any.
    pub body: Option<Value>,
}

/// The provider's raw answer to a passthrough request.
#[derive(Debug, Clone)]
pub struct PassthroughResponse {
    /// The URL called (no credentials).
    pub url: String,
    /// HTTP status.
    pub status: u16,
    /// Response headers that are safe to hand back (never authentication or cookies).
    pub headers: Vec<(String, String)>,
    /// Response body.
    pub body: Bytes,
}
