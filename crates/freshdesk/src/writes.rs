//! Writes to Freshdesk: Merge's write requests mapped to Freshdesk bodies, Freshdesk's
//! validation errors mapped back to pointers into the Merge request, the answers mapped with
//! the read mapping, and the per-account write schemas (`/…/meta/…`).
//!
//! Every write is sent once (no retry after it was sent, so a timeout never creates a
//! ticket twice); only a spent rate budget or a 429 (nothing was done) is waited out, for at
//! most [`MAX_BUDGET_WAIT`]. The full mapping is in `docs/providers/freshdesk.md`.

use std::time::Duration;

use deskbridge_model::{ModelKind, Patch, PriorityEnum, TicketStatusEnum};
use deskbridge_provider::{
    CommentAuthor, CommentWrite, ContactWrite, FieldProblem, PassthroughRequest,
    PassthroughResponse, ProviderCall, ProviderError, TicketWrite, WriteContext, WriteOutcome,
    WriteWarning,
};
use reqwest::Method;
use serde_json::{Map, Value, json};

use crate::http::{classify_status, confine_path};
use crate::mapping::{format_ts, map_comment, map_contact, map_tag, map_ticket, remote_id_of};
use crate::provider::FreshdeskProvider;

/// The longest a write waits for the account's rate budget before answering 429.
pub const MAX_BUDGET_WAIT: Duration = Duration::from_secs(10);

/// Problem type of a Merge field Freshdesk has no place for (a warning).
pub const UNSUPPORTED_FIELD: &str = "UNSUPPORTED_FIELD";
/// Problem type of a value replaced by another (a warning).
pub const VALUE_SUBSTITUTED: &str = "VALUE_SUBSTITUTED";

/// Response headers the passthrough endpoint hands back; everything else (cookies,
/// authentication challenges, anything unknown) is dropped.
pub const SAFE_RESPONSE_HEADERS: &[&str] = &[
    "content-type",
    "content-length",
    "date",
    "etag",
    "last-modified",
    "link",
    "location",
    "retry-after",
    "x-request-id",
    "x-freshdesk-api-version",
    "x-ratelimit-total",
    "x-ratelimit-remaining",
    "x-ratelimit-used-currentrequest",
];
mod bodies;
mod schema;
mod send;
#[cfg(test)]
mod tests;

pub use bodies::*;
pub use schema::write_schema;
pub(crate) use send::{create_comment, create_contact, create_ticket, passthrough, update_ticket};
