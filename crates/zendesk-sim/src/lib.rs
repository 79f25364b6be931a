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
//! # Endpoints (under `/api/v2`, `.json` optional)
//! `GET/POST /tickets`, `GET/PUT/DELETE /tickets/{id}`, `GET /tickets/show_many`,
//! `GET /tickets/count`, `POST /tickets/create_many`, `GET /tickets/{id}/comments`,
//! `GET/PUT/POST/DELETE /tickets/{id}/tags`, `GET /deleted_tickets`,
//! `PUT /deleted_tickets/{id}/restore`, `DELETE /deleted_tickets/{id}`,
//! `GET /incremental/tickets/cursor`, `GET /incremental/tickets`, `GET /incremental/users/cursor`,
//! `GET /incremental/users`, `GET /incremental/organizations`, `GET/POST /users`,
//! `GET /users/{id}`, `GET /users/me`, `GET /organizations[/{id}]`, `GET /groups[/{id}]`,
//! `GET /group_memberships`, `GET /tags`, `GET /ticket_fields`, `GET/POST /custom_statuses`,
//! `GET /custom_roles[/{id}]`, `GET /ticket_forms`, `GET /attachments/{id}`, `POST /uploads`,
//! `GET/POST /webhooks`, `GET/PUT/PATCH/DELETE /webhooks/{id}`,
//! `GET/POST /webhooks/{id}/signing_secret`, `GET/POST /triggers`, `GET/PUT/DELETE /triggers/{id}`
//! (admin only). Ticket creates and updates (API and control) run the active triggers; a
//! `notification_webhook` action sends the webhook's signed request from a background task
//! (`push.rs`, `triggers.rs`).
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
//!
//! # Control API (`/_sim`, JSON; `…` = `/_sim/accounts/{sub}`)
//! | Method & path | Effect |
//! |---|---|
//! | `GET /_sim/accounts` | `[{subdomain, api_token, admin_email, agent_email, end_user_email, oauth_token, plan, site}]` |
//! | `GET/PUT /_sim/faults` | `{error_rate, slow_rate, slow_delay_ms, drop_rate}` |
//! | `GET/PUT /_sim/settings` | `{time_scale, edge_per_second}` |
//! | `GET/PUT /_sim/push` | webhook delivery: `{delay_ms, loss_rate, seed, retry_delay_ms}` (missing keys → defaults; the loss sequence restarts from `seed`) |
//! | `GET /_sim/push/counters`, `POST /_sim/push/counters/reset` | `{fired, dropped, delivered, failed, attempts, pending}` (all accounts) |
//! | `GET …/data` | everything in API shapes: tickets (export shape, deleted and archived included, with `archived_ticket_ids`, `deleted_ticket_ids`, `scrubbed_ticket_ids`), `comments` per ticket, users, organizations, groups, group_memberships, custom_statuses, ticket_fields, custom_roles |
//! | `GET …/stats` | sizes only (tickets deleted/scrubbed/archived, a histogram of comments per live ticket, users by role, directory counts): cheap at 100,000 tickets |
//! | `GET …/counters`, `POST …/counters/reset` | `{requests, rate_limited, faults, downloads, credentials_off_host}`; reset also restarts the rate windows |
//! | `PUT …/plan` | `{"plan": "team" \| "growth" \| "professional" \| "enterprise" \| "enterprise_plus" \| null}` |
//! | `POST …/api_token/rotate`, `POST …/api_token/disable` | `{api_token}` / token access off (401) |
//! | `POST …/oauth_tokens`, `DELETE …/oauth_tokens/{token}` | `{user_id?, scopes?}` → `{access_token}` / revoke |
//! | `POST …/tickets`, `PUT …/tickets/{id}`, `DELETE …/tickets/{id}` | create / update (API bodies and validation, optional `as_user_id`) / soft delete |
//! | `POST …/tickets/{id}/archive`, `…/restore`, `…/scrub`, `…/touch` | close and archive / undelete / permanent delete / system update (`{generated_timestamp?}`, `updated_at` unchanged) |
//! | `POST …/users`, `PUT …/users/{id}`, `DELETE …/users/{id}` | create / change (`name, email, role, suspended, active, organization_id, phone`) / `active: false` |
//! | `POST …/organizations`, `POST …/groups`, `DELETE …/groups/{id}` | directory records (groups keep `deleted: true`) |
//!
//! # Choices where Zendesk is not recorded
//! - `page[size]` > 100, a bad cursor, and offsets past 10,000 records answer 400
//!   `{"error":"InvalidPaginationParameter","description":…}` (the status is documented, the body
//!   is not). An empty cursor page has null cursors and null links.
//! - 429 from the endpoint buckets other than incremental (tickets index 100, ticket updates
//!   100, ticket create 300 per minute) reuse the plain-text account body.
//! - Plans without custom roles answer 403 (the reference allows 403 or 404); unthrottled
//!   simulators (no plan) report a limit of 1,000,000.
//! - 409 safe-update, 422 duplicate email / blank name / invalid enumerations, and the 5000
//!   comment limit use plausible wording; the 5xx bodies are Cloudflare-style pages.
//! - The content host refuses requests that carry `Authorization` with a 400 (object-store
//!   style); signed URLs live 300 real seconds.
//! - `create_many` creates at once and answers a completed `job_status`.

mod config;
mod content;
mod control;
mod control_push;
mod datagen;
mod errors;
mod faults;
mod http;
mod pagination;
mod push;
mod ratelimit;
mod render;
mod req;
mod routes;
mod server;
mod sim;
mod stats;
mod store;
mod time;
mod triggers;

pub use config::{FaultConfig, Plan, SimConfig, scaled_minute};
pub use push::{PushCounters, PushSettings, signature as webhook_signature};
pub use server::SimHandle;
pub use sim::{Counters, SimAccount, Simulator};
