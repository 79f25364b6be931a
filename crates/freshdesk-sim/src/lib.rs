//! A faithful, in-memory simulator of the Freshdesk REST API v2 for tests, benchmarks and the demo.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use deskbridge_freshdesk_sim::{SimConfig, Simulator};
//! let sim = Simulator::new(SimConfig { accounts: 2, tickets: 500, ..SimConfig::default() });
//! let handle = sim.spawn("127.0.0.1:0".parse().expect("address")).await?;
//! let key = &sim.accounts()[0].api_key; // Basic auth: key as user, any password
//! println!("{}/api/v2/tickets with key {key}", handle.base_url);
//! # Ok(()) }
//! ```
//!
//! # Endpoints (under `/api/v2`)
//! `GET/POST /tickets`, `GET/PUT/DELETE /tickets/{id}`, `PUT /tickets/{id}/restore`,
//! `GET /tickets/{id}/conversations`, `POST /tickets/{id}/reply`, `POST /tickets/{id}/notes`,
//! `GET /search/tickets`, `GET/POST /contacts`, `GET/PUT/DELETE /contacts/{id}`,
//! `DELETE /contacts/{id}/hard_delete`, `PUT /contacts/{id}/restore`, `GET /agents`,
//! `GET /agents/{id}`, `GET /agents/me`, `GET/POST /companies`, `GET /companies/{id}`,
//! `GET /groups[/{id}]`, `GET /roles[/{id}]`, `GET /ticket_fields`, `GET /time_entries`,
//! `GET/POST /automations/{type}/rules`, `GET/PUT/DELETE /automations/{type}/rules/{id}`
//! (type 1 ticket creation, 3 hourly, 4 ticket updates). Ticket creates, updates and new
//! conversations (API and control) run the rules; a "Trigger webhook" action sends its request
//! from a background task (`automations.rs`, `push.rs`).
//!
//! # Addressing
//! - `/api/v2/…`: the account is chosen by the API key (HTTP Basic, key as user name).
//! - `/d/{subdomain}/api/v2/…`: the subdomain picks the account (unknown → 404, body `" "`);
//!   the key must belong to that account (else 401).
//! - `/_attachments/{id}/{name}?Expires=…&Nonce=…&Signature=…`: signed attachment URLs,
//!   valid 5 scaled minutes; expired or tampered → 403.
//! - `/_sim/…`: the control API below (no authentication, no faults, no rate limit).
//!
//! # Order of checks for an API request
//! account lookup (subdomain, else key; unknown key → 401) → fault injection (acts like the
//! network: never changes state) → rate limit (like Freshdesk's Rack throttler, before the app,
//! so 401/403/400 answers count too) → suspension (403 `account_suspended`) → authentication
//! (401) → route. As in the server source, `X-Freshdesk-API-Version` is set on every answer
//! except 404s and 429s (the throttler adds it only when a route was dispatched and the
//! status is not 404); injected 5xx answers come from the edge and carry none either. Every
//! API answer has an `X-Request-Id`.
//!
//! # Choices where Freshdesk is not recorded
//! - Free plan: 0 calls per minute, so every call gets 429 with `Retry-After` (the remaining
//!   time of the window), as a literal reading of the published limit table.
//! - 429 body: `{"message":"You have exceeded the limit of requests per minute"}`, adapted from
//!   the legacy hourly throttler's literal (no recording of the per-minute body exists).
//! - Unthrottled (no plan): rate headers are still sent, with `X-RateLimit-Total: 1000000`.
//! - Account shapes differ like real accounts of different ages/features: account 1, 4, …
//!   render `ticket_bcc_emails` and associations (2024 sandbox), account 2, 5, … have no
//!   `ticket_bcc_emails` (Dec 2024 sandbox), account 3, 6, … have ticket forms (`form_id`),
//!   no association fields and conversations without `delivery_details` (older shape).
//! - `include=company` with no company renders `{}`; view sideload order follows the server
//!   source (`source_additional_info, deleted, associated_tickets_list, requester, stats,
//!   company, conversations`), then `nr_due_by, nr_escalated` as recorded.
//! - Multipart bodies (attachment upload) are not supported: 400 `invalid_multipart`.
//! - Every company has the required custom dropdown `support_plan` (Basic, Premium,
//!   Enterprise); `POST /companies` without it answers the recorded `custom_fields.…` error.
//! - `/search/tickets` results are ordered by `created_at` descending and cost 1 credit.
//! - Customer keys (control API) authenticate and then get 403 `access_denied`.
//! - `DELETE /contacts/{id}/hard_delete` works without `force` and also removes the contact's
//!   tickets.
//!
//! # Control API (`/_sim`, JSON)
//! | Method & path | Effect |
//! |---|---|
//! | `GET /_sim/accounts` | `[{subdomain, api_key, suspended, plan}]` |
//! | `GET /_sim/faults`, `PUT /_sim/faults` | `{error_rate, slow_rate, slow_delay_ms, malformed_rate, drop_rate}` |
//! | `GET /_sim/accounts/{sub}/data` | snapshot: tickets (view shape), conversations per ticket, contacts, agents, companies, groups, roles, ticket_fields, time_entries |
//! | `GET /_sim/accounts/{sub}/counters`, `POST …/counters/reset` | `{requests, credits, rate_limited, faults}`; reset also restarts the rate window |
//! | `POST …/key/revoke`, `POST …/key/rotate` | revoke (401 afterwards) / new key `{api_key}` |
//! | `POST …/agent-key` | a non-admin agent's key `{api_key, agent_id}` (automation rules answer it 403) |
//! | `POST …/suspend`, `POST …/unsuspend` | 403 `account_suspended` |
//! | `PUT …/plan` | `{"plan": <name>}` with free, trial, growth, pro, enterprise, or null (unthrottled) |
//! | `POST …/tickets`, `PUT …/tickets/{id}`, `DELETE …/tickets/{id}` | create / update (API bodies and validation) / soft delete |
//! | `POST …/tickets/{id}/spam`, `POST …/tickets/{id}/restore`, `DELETE …/tickets/{id}/purge` | spam / undelete+unspam / hard delete |
//! | `POST …/tickets/{id}/reply`, `POST …/tickets/{id}/notes`, `DELETE …/conversations/{id}` | conversations (bump the ticket) |
//! | `POST …/contacts`, `PUT …/contacts/{id}`, `DELETE …/contacts/{id}`, `DELETE …/contacts/{id}/hard` | contacts |
//! | `POST …/contacts/{id}/key` | `{api_key}` of a customer: authenticates, then 403 `access_denied` |
//! | `POST …/agents`, `DELETE …/agents/{id}` (same for `groups`, `companies`) | directory records |
//! | `POST …/automations/{type}/rules`, `GET …/automations`, `DELETE …/automations/rules/{id}` | automation rules as set up in the admin UI (API body and validation) |
//! | `GET/PUT /_sim/push` | webhook delivery: `{delay_ms, loss_rate, seed, retry_delays_ms: [3]}` (missing keys → defaults; the loss sequence restarts from `seed`) |
//! | `GET /_sim/push/counters`, `POST /_sim/push/counters/reset` | `{fired, dropped, delivered, failed, attempts, pending}` (all accounts) |
//!
//! `…` stands for `/_sim/accounts/{sub}`. Successful mutations without a result answer 204.

mod automations;
mod config;
mod control;
mod control_http;
mod datagen;
mod errors;
mod faults;
mod http;
mod model;
mod push;
mod ratelimit;
mod render;
mod req;
mod routes;
mod search;
mod server;
mod sign;
mod sim;
mod store;
mod time;

pub use config::{FaultConfig, Plan, PlanLimits, SimConfig, scaled_minute};
pub use control::{Control, ControlError, ControlResult, Snapshot};
pub use push::{PushCounters, PushSettings};
pub use server::SimHandle;
pub use sim::{Counters, SimAccount, Simulator};
