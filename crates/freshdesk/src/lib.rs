//! Freshdesk API v2 adapter for Deskbridge.
//!
//! [`FreshdeskProvider`] implements [`deskbridge_provider::TicketingProvider`] for one linked
//! Freshdesk account: it resolves and confines the account's base URL ([`resolve_base_url`]),
//! spends from a shared per-account [`RateBudget`], walks tickets with an `updated_since`
//! bookmark (never page numbers, see [`walk`]), and maps Freshdesk objects to Merge's common
//! models with pure functions ([`mapping`]). The full field mapping and its gaps are written
//! down in `docs/providers/freshdesk.md`.

pub mod budget;
pub mod domain;
pub mod files;
pub mod http;
pub mod integration;
pub mod mapping;
pub mod provider;
pub mod push;
pub mod ticket_fields;
pub mod walk;
pub mod writes;

pub use budget::{BudgetStats, RateBudget};
pub use domain::{origin_allowed, provider_origin, resolve_base_url, ticket_url};
pub use http::{
    RawResponse, call_credits, classify_status, confine_path, http_client, install_crypto_provider,
};
pub use integration::FreshdeskIntegration;
pub use mapping::{
    comment_author_kind, map_account, map_attachment, map_comment, map_contact, map_role, map_tag,
    map_team, map_ticket, map_user, ticket_custom_fields, ticket_priority, ticket_status,
};
pub use provider::{FreshdeskConfig, FreshdeskProvider, stream};
pub use walk::TicketCheckpoint;
