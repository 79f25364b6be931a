//! Zendesk Support API v2 adapter for Deskbridge.
//!
//! [`ZendeskProvider`] implements [`deskbridge_provider::TicketingProvider`] for one linked
//! Zendesk account: it resolves and confines the account's site ([`resolve_base_url`]),
//! authenticates with an API token or an OAuth token ([`ZendeskCredentials`]), spends from a
//! shared per-account [`RateBudget`] with a lane for the incremental exports, walks tickets
//! and users through the cursor-based incremental exports ([`export`]), and maps Zendesk
//! objects to Merge's common models with pure functions ([`mapping`]). The mapping, the sync
//! plan and the gaps are written down in `docs/providers/zendesk.md`.

pub mod bodies;
pub mod budget;
pub mod children;
pub mod domain;
pub mod errors;
pub mod export;
pub mod fields;
pub mod http;
pub mod integration;
mod lists;
pub mod mapping;
pub mod provider;
pub mod push;
pub mod remote_fields;
pub mod roles;
pub mod schema;
pub mod streams;
mod ticketing;
pub mod writes;

pub use budget::{BudgetStats, Lane, RateBudget};
pub use domain::{ZendeskAuth, ZendeskCredentials, resolve_base_url, ticket_url};
pub use errors::{classify_status, confine_path, error_parts, field_problems};
pub use http::{RawResponse, http_client, install_crypto_provider};
pub use integration::ZendeskIntegration;
pub use mapping::{
    Lookups, builtin_roles, enum_origin, map_account, map_attachment, map_comment, map_contact,
    map_role, map_tag, map_team, map_ticket, map_user, ticket_custom_fields, ticket_priority,
    ticket_status,
};
pub use provider::{ZendeskConfig, ZendeskProvider, stream};
