//! A faithful, in-memory simulator of the Zendesk Support API v2 for tests, benchmarks and the
//! demo, written from the reference and real recorded responses (`testdata/zendesk`).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use deskbridge_zendesk_sim::{SimConfig, Simulator};
//! let sim = Simulator::new(SimConfig { accounts: 2, tickets: 500, ..SimConfig::default() });
//! let handle = sim.spawn("127.0.0.1:0".parse().expect("address")).await?;
//! let a = &sim.accounts()[0];
//! // Basic auth: "{email}/token" as user, the API token as password.
//! println!("{}/api/v2/tickets.json as {}/token:{}", handle.site(&a.subdomain), a.admin_email, a.api_token);
//! # Ok(()) }
//! ```
//!
//! # Addressing accounts (tests run on 127.0.0.1, so there are no real subdomains)
//! Like the Freshdesk simulator, an account is addressed by a path prefix:
//! - `{base}/d/{subdomain}/api/v2/…` is the account's canonical site (`https://{sub}.zendesk.com`
//!   in production); `links`, `next_page`, `url`, `content_url` and `Location` all point there.
//!   An unknown subdomain answers 404 with the "No help desk at {sub}.zendesk.com" body.
//! - `Host: {subdomain}.localhost` (or `{subdomain}.zendesk.com`) also selects the account.
//! - `{base}/api/v2/…` without either picks the account that owns the credentials.
//! - `{site}/attachments/token/{token}/?name=…` (`content_url`) answers 302 to the content
//!   host ([`SimHandle::content_url`], a second port standing for `*.zdusercontent.com`).
//! - `/_sim/…`: the control API (see `control.rs`): no authentication, faults or rate limits.
//!
//! # Authentication
//! - `Authorization: Basic base64("{email}/token:{api_token}")`: the token is the account's,
//!   the email picks the user the request acts as (admin, agent or end-user; suspended or
//!   deleted users cannot authenticate). Anything else answers the recorded 401
//!   `{"error":"Couldn't authenticate you"}` (37 bytes). `email:password` is not supported.
//! - `Authorization: Bearer {token}`: OAuth tokens with scopes (`read`, `write`,
//!   `{resource}:read|write`); bad tokens get the recorded `invalid_token` 401 and missing
//!   scopes the string-form 403.
//! - End-users get the object-form 403 everywhere but `/users/me`, `/custom_statuses` and
//!   `/ticket_fields`; incremental exports are admin-only.
//!
//! # Order of checks for an API request
//! account lookup → credentials identify the account (else 401) → counted → fault injection
//! (never changes state) → authentication (401) → OAuth scope (403) → rate limits (edge,
//! account, endpoint bucket: 429) → role checks and route. Every answer carries
//! `x-zendesk-api-version`, `x-request-id`, `x-runtime`, `x-zendesk-origin-server` and the
//! rate-limit headers of the account's header generation (2024 names on zsim1, zsim3, …; the
//! 2023 names on zsim2, zsim4, …: both were recorded).
//!
//! # Account shapes
//! Account 3, 6, … is an "older" account: users carry `chat_only`, tickets
//! `satisfaction_probability` (as in the 2019 recording), and its `Category` tagger field is
//! required, so solving a ticket without it answers the recorded 422.

mod config;
mod content;
mod control;
mod datagen;
mod errors;
mod faults;
mod http;
mod pagination;
mod ratelimit;
mod render;
mod routes;
mod server;
mod sim;
mod store;
mod time;

pub use config::{FaultConfig, Plan, SimConfig, scaled_minute};
pub use server::SimHandle;
pub use sim::{Counters, SimAccount, Simulator};
