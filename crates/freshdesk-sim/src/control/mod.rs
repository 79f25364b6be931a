//! Rust-side control of a running simulator (mutations, keys, plan, faults, counters, snapshots).

mod directory;
mod push;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::config::{FaultConfig, Plan};
use crate::errors::{ApiError, validation_body};
use crate::render::{self, Ctx, Includes};
use crate::routes::contacts as contact_ops;
use crate::routes::conversations::{self as conv_ops, NewKind};
use crate::routes::ticket_write;
use crate::sim::{AccountCell, Counters, Simulator, lock, read, write};
use crate::store::AccountData;

/// Why a control call failed.
#[derive(Debug, Clone, PartialEq)]
pub enum ControlError {
    /// No account with this subdomain.
    UnknownAccount(String),
    /// No such record.
    NotFound,
    /// The request was invalid; `(status, Freshdesk error body)`.
    Invalid(u16, Value),
}

impl std::fmt::Display for ControlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ControlError::UnknownAccount(s) => write!(f, "unknown account {s:?}"),
            ControlError::NotFound => f.write_str("not found"),
            ControlError::Invalid(status, body) => write!(f, "invalid request ({status}): {body}"),
        }
    }
}

impl std::error::Error for ControlError {}

impl From<ApiError> for ControlError {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::NotFound => ControlError::NotFound,
            ApiError::Validation(errors) => {
                let status = if errors.iter().any(|e| e.code == "duplicate_value") {
                    409
                } else {
                    400
                };
                ControlError::Invalid(status, validation_body(&errors))
            }
            ApiError::Request(status, code, message) => ControlError::Invalid(
                status,
                serde_json::json!({ "code": code, "message": message }),
            ),
        }
    }
}

/// Result of a control call.
pub type ControlResult<T> = Result<T, ControlError>;

/// Everything an account holds, rendered exactly as the API renders it.
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    /// Tickets in view shape (deleted and spam included), by id.
    pub tickets: Vec<Value>,
    /// Conversations per ticket id, in list shape, by `created_at`.
    pub conversations: BTreeMap<i64, Vec<Value>>,
    /// Contacts in view shape (deleted included), by id.
    pub contacts: Vec<Value>,
    /// Agents in view shape, by id.
    pub agents: Vec<Value>,
    /// Companies, by id.
    pub companies: Vec<Value>,
    /// Groups in view shape, by id.
    pub groups: Vec<Value>,
    /// Roles, by id.
    pub roles: Vec<Value>,
    /// Ticket fields, by position.
    pub ticket_fields: Vec<Value>,
    /// Time entries.
    pub time_entries: Vec<Value>,
}

/// Control handle (cheap to clone).
#[derive(Debug, Clone)]
pub struct Control {
    sim: Simulator,
}

pub(crate) fn obj(v: Value) -> ControlResult<Map<String, Value>> {
    match v {
        Value::Object(m) => Ok(m),
        _ => Err(ControlError::from(ApiError::invalid_json())),
    }
}

pub(crate) fn str_of(m: &Map<String, Value>, k: &str) -> Option<String> {
    m.get(k).and_then(Value::as_str).map(str::to_owned)
}

pub(crate) fn ids_of(m: &Map<String, Value>, k: &str) -> Vec<i64> {
    m.get(k)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default()
}

impl Control {
    /// A control handle for `sim`.
    pub fn new(sim: Simulator) -> Self {
        Self { sim }
    }

    fn acct(&self, sub: &str) -> ControlResult<Arc<AccountCell>> {
        self.sim
            .by_subdomain(sub)
            .ok_or_else(|| ControlError::UnknownAccount(sub.to_owned()))
    }

    pub(crate) fn with<T>(
        &self,
        sub: &str,
        f: impl FnOnce(&mut AccountData, &Ctx<'_>) -> ControlResult<T>,
    ) -> ControlResult<T> {
        let a = self.acct(sub)?;
        let base = self.sim.default_base();
        let ctx = Ctx {
            base: &base,
            signer: &self.sim.inner.signer,
        };
        let mut d = write(&a.data);
        f(&mut d, &ctx)
    }

    fn ticket_json(d: &AccountData, id: i64, ctx: &Ctx<'_>) -> ControlResult<Value> {
        let t = d.ticket(id).ok_or(ControlError::NotFound)?;
        Ok(render::ticket_view(d, t, &Includes::default(), ctx))
    }

    /// Creates a ticket from an API-style body (same validation as `POST /tickets`).
    pub fn create_ticket(&self, sub: &str, body: Value) -> ControlResult<Value> {
        let b = obj(body)?;
        self.with(sub, |d, ctx| {
            let me = d.admin_agent_id;
            let id = ticket_write::create(d, &b, me)?;
            Self::ticket_json(d, id, ctx)
        })
    }

    /// Updates a ticket from an API-style body (same validation as `PUT /tickets/{id}`).
    pub fn update_ticket(&self, sub: &str, id: i64, body: Value) -> ControlResult<Value> {
        let b = obj(body)?;
        self.with(sub, |d, ctx| {
            d.ticket(id).ok_or(ControlError::NotFound)?;
            ticket_write::update(d, id, &b)?;
            Self::ticket_json(d, id, ctx)
        })
    }

    /// Soft-deletes a ticket (it moves to the trash).
    pub fn delete_ticket(&self, sub: &str, id: i64) -> ControlResult<()> {
        self.with(sub, |d, _| {
            if ticket_write::set_deleted(d, id, true) {
                Ok(())
            } else {
                Err(ControlError::NotFound)
            }
        })
    }

    /// Marks a ticket as spam.
    pub fn spam_ticket(&self, sub: &str, id: i64) -> ControlResult<()> {
        self.with(sub, |d, _| {
            if ticket_write::set_spam(d, id, true) {
                Ok(())
            } else {
                Err(ControlError::NotFound)
            }
        })
    }

    /// Takes a ticket out of the trash and out of spam.
    pub fn restore_ticket(&self, sub: &str, id: i64) -> ControlResult<()> {
        self.with(sub, |d, _| {
            let now = d.now();
            d.update_ticket(id, |t| {
                t.deleted = false;
                t.spam = false;
                t.updated_at = now;
            })
            .ok_or(ControlError::NotFound)
        })
    }

    /// Removes a ticket for good (as after 30 days in the trash): later views give 404.
    pub fn purge_ticket(&self, sub: &str, id: i64) -> ControlResult<()> {
        self.with(sub, |d, _| {
            if d.purge_ticket(id) {
                Ok(())
            } else {
                Err(ControlError::NotFound)
            }
        })
    }

    /// Creates a contact from an API-style body (same validation as `POST /contacts`).
    pub fn create_contact(&self, sub: &str, body: Value) -> ControlResult<Value> {
        let b = obj(body)?;
        self.with(sub, |d, _| {
            let id = contact_ops::create_contact(d, &b)?;
            d.contact(id)
                .map(render::contact_view)
                .ok_or(ControlError::NotFound)
        })
    }

    /// Updates a contact from an API-style body.
    pub fn update_contact(&self, sub: &str, id: i64, body: Value) -> ControlResult<Value> {
        let b = obj(body)?;
        self.with(sub, |d, _| {
            contact_ops::update_contact(d, id, &b)?;
            d.contact(id)
                .map(render::contact_view)
                .ok_or(ControlError::NotFound)
        })
    }

    /// Soft-deletes a contact.
    pub fn delete_contact(&self, sub: &str, id: i64) -> ControlResult<()> {
        self.with(sub, |d, _| {
            if contact_ops::set_contact_deleted(d, id, true) {
                Ok(())
            } else {
                Err(ControlError::NotFound)
            }
        })
    }

    /// Deletes a contact and their tickets for good.
    pub fn hard_delete_contact(&self, sub: &str, id: i64) -> ControlResult<()> {
        self.with(sub, |d, _| {
            if contact_ops::hard_delete_contact(d, id) {
                Ok(())
            } else {
                Err(ControlError::NotFound)
            }
        })
    }

    /// Adds an agent reply (`reply = true`, body as `POST /reply`) or a note (body as `POST /notes`;
    /// `{"user_id": <contact>, "incoming": true, "private": false}` makes an incoming customer message).
    /// The ticket's `updated_at` is bumped. Returns the conversation in list shape.
    pub fn add_conversation(
        &self,
        sub: &str,
        ticket_id: i64,
        reply: bool,
        body: Value,
    ) -> ControlResult<Value> {
        let b = obj(body)?;
        self.with(sub, |d, ctx| {
            d.ticket(ticket_id).ok_or(ControlError::NotFound)?;
            let me = d.admin_agent_id;
            let kind = if reply { NewKind::Reply } else { NewKind::Note };
            let c = conv_ops::add(d, ticket_id, kind, &b, me)?;
            Ok(render::conversation(d, &c, ctx))
        })
    }

    /// Deletes a conversation; the ticket's `updated_at` is bumped.
    pub fn delete_conversation(&self, sub: &str, conversation_id: i64) -> ControlResult<()> {
        self.with(sub, |d, _| {
            let t = d
                .remove_conversation(conversation_id)
                .ok_or(ControlError::NotFound)?;
            let now = d.now();
            d.update_ticket(t, |t| t.updated_at = now);
            Ok(())
        })
    }

    /// Revokes the account's API key: every call with it then gets 401.
    pub fn revoke_key(&self, sub: &str) -> ControlResult<()> {
        write(&self.acct(sub)?.meta).api_key = None;
        Ok(())
    }

    /// Replaces the account's API key; returns the new one (the old one gets 401).
    pub fn rotate_key(&self, sub: &str) -> ControlResult<String> {
        let a = self.acct(sub)?;
        let key = self.sim.new_key();
        write(&a.meta).api_key = Some(key.clone());
        Ok(key)
    }

    /// Issues an API key for a contact (a customer): it authenticates, but every agent API
    /// call answers 403 `access_denied`, as Freshdesk does for customer keys.
    pub fn issue_contact_key(&self, sub: &str, contact_id: i64) -> ControlResult<String> {
        let a = self.acct(sub)?;
        if read(&a.data).contact(contact_id).is_none() {
            return Err(ControlError::NotFound);
        }
        let key = self.sim.new_key();
        write(&a.meta).customer_keys.push((key.clone(), contact_id));
        Ok(key)
    }

    /// Issues an API key for an agent other than the admin: it reads and writes tickets as
    /// that agent, but admin endpoints (automation rules) answer 403 `access_denied`.
    /// Returns the key and the agent's id.
    pub fn issue_agent_key(&self, sub: &str) -> ControlResult<(String, i64)> {
        let a = self.acct(sub)?;
        let agent = {
            let d = read(&a.data);
            d.agents
                .keys()
                .copied()
                .find(|id| *id != d.admin_agent_id)
                .ok_or(ControlError::NotFound)?
        };
        let key = self.sim.new_key();
        write(&a.meta).agent_keys.push((key.clone(), agent));
        Ok((key, agent))
    }

    /// Suspends or reactivates an account (403 account_suspended, checked before authentication).
    pub fn set_suspended(&self, sub: &str, suspended: bool) -> ControlResult<()> {
        write(&self.acct(sub)?.meta).suspended = suspended;
        Ok(())
    }

    /// Sets the account's plan (`None` = unthrottled) and starts a fresh window.
    pub fn set_plan(&self, sub: &str, plan: Option<Plan>) -> ControlResult<()> {
        let a = self.acct(sub)?;
        write(&a.meta).plan = plan;
        lock(&a.limiter).reset();
        Ok(())
    }

    /// Replaces the fault configuration (all accounts).
    pub fn set_faults(&self, faults: FaultConfig) {
        lock(&self.sim.inner.faults).cfg = faults;
    }

    /// Current fault configuration.
    pub fn faults(&self) -> FaultConfig {
        lock(&self.sim.inner.faults).cfg.clone()
    }

    /// The account's counters.
    pub fn counters(&self, sub: &str) -> ControlResult<Counters> {
        Ok(*lock(&self.acct(sub)?.counters))
    }

    /// The account's requests by `METHOD path[ filter=…| state=…]` since the last reset.
    pub fn calls(&self, sub: &str) -> ControlResult<BTreeMap<String, u64>> {
        Ok(lock(&self.acct(sub)?.calls).clone())
    }

    /// Resets the account's counters and its rate-limit window.
    pub fn reset_counters(&self, sub: &str) -> ControlResult<()> {
        let a = self.acct(sub)?;
        *lock(&a.counters) = Counters::default();
        lock(&a.calls).clear();
        lock(&a.limiter).reset();
        Ok(())
    }

    /// The account's data exactly as the API renders it (attachment URLs are freshly signed).
    pub fn snapshot(&self, sub: &str) -> ControlResult<Snapshot> {
        let a = self.acct(sub)?;
        let base = self.sim.default_base();
        let ctx = Ctx {
            base: &base,
            signer: &self.sim.inner.signer,
        };
        let d = read(&a.data);
        let mut conversations = BTreeMap::new();
        for t in d.tickets() {
            let list: Vec<Value> = d
                .conversations(t.id)
                .iter()
                .map(|c| render::conversation(&d, c, &ctx))
                .collect();
            conversations.insert(t.id, list);
        }
        Ok(Snapshot {
            tickets: crate::routes::tickets_all_views(&d, &ctx),
            conversations,
            contacts: d.contacts().map(render::contact_view).collect(),
            agents: d.agents.values().map(|x| render::agent(x, true)).collect(),
            companies: d.companies.values().map(render::company).collect(),
            groups: d.groups.values().map(|g| render::group(g, true)).collect(),
            roles: d.roles.values().map(render::role).collect(),
            ticket_fields: d
                .ticket_fields
                .iter()
                .map(|f| render::ticket_field(&d, f))
                .collect(),
            time_entries: d.time_entries.iter().map(render::time_entry).collect(),
        })
    }
}

/// Defined beside `Control` rather than in `sim`, so that the simulator's state does not
/// import the control layer that drives it.
impl Simulator {
    /// Rust-side control (same operations as the `/_sim` HTTP API).
    pub fn control(&self) -> Control {
        Control::new(self.clone())
    }
}
