//! Rust-side control of a running simulator (mutations, keys, plan, faults, counters, snapshots).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::config::{FaultConfig, Plan};
use crate::errors::{ApiError, validation_body};
use crate::model::{Agent, AgentContact, Company, Group};
use crate::render::{self, Ctx, Includes};
use crate::routes::contacts as contact_ops;
use crate::routes::conversations::{self as conv_ops, NewKind};
use crate::routes::ticket_write;
use crate::sim::{AccountCell, Counters, Simulator, lock, read, write};
use crate::store::{AccountData, IdKind};

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
                let status = if errors.iter().any(|e| e.code == "duplicate_value") { 409 } else { 400 };
                ControlError::Invalid(status, validation_body(&errors))
            }
            ApiError::Request(status, code, message) => {
                ControlError::Invalid(status, serde_json::json!({ "code": code, "message": message }))
            }
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

fn obj(v: Value) -> ControlResult<Map<String, Value>> {
    match v {
        Value::Object(m) => Ok(m),
        _ => Err(ControlError::from(ApiError::invalid_json())),
    }
}

fn str_of(m: &Map<String, Value>, k: &str) -> Option<String> {
    m.get(k).and_then(Value::as_str).map(str::to_owned)
}

fn ids_of(m: &Map<String, Value>, k: &str) -> Vec<i64> {
    m.get(k).and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_i64).collect()).unwrap_or_default()
}

impl Control {
    /// A control handle for `sim`.
    pub fn new(sim: Simulator) -> Self {
        Self { sim }
    }

    fn acct(&self, sub: &str) -> ControlResult<Arc<AccountCell>> {
        self.sim.by_subdomain(sub).ok_or_else(|| ControlError::UnknownAccount(sub.to_owned()))
    }

    fn with<T>(&self, sub: &str, f: impl FnOnce(&mut AccountData, &Ctx<'_>) -> ControlResult<T>) -> ControlResult<T> {
        let a = self.acct(sub)?;
        let base = self.sim.default_base();
        let ctx = Ctx { base: &base, signer: &self.sim.inner.signer };
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
        self.with(sub, |d, _| if ticket_write::set_deleted(d, id, true) { Ok(()) } else { Err(ControlError::NotFound) })
    }

    /// Marks a ticket as spam.
    pub fn spam_ticket(&self, sub: &str, id: i64) -> ControlResult<()> {
        self.with(sub, |d, _| if ticket_write::set_spam(d, id, true) { Ok(()) } else { Err(ControlError::NotFound) })
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
        self.with(sub, |d, _| if d.purge_ticket(id) { Ok(()) } else { Err(ControlError::NotFound) })
    }

    /// Creates a contact from an API-style body (same validation as `POST /contacts`).
    pub fn create_contact(&self, sub: &str, body: Value) -> ControlResult<Value> {
        let b = obj(body)?;
        self.with(sub, |d, _| {
            let id = contact_ops::create_contact(d, &b)?;
            d.contact(id).map(render::contact_view).ok_or(ControlError::NotFound)
        })
    }

    /// Updates a contact from an API-style body.
    pub fn update_contact(&self, sub: &str, id: i64, body: Value) -> ControlResult<Value> {
        let b = obj(body)?;
        self.with(sub, |d, _| {
            contact_ops::update_contact(d, id, &b)?;
            d.contact(id).map(render::contact_view).ok_or(ControlError::NotFound)
        })
    }

    /// Soft-deletes a contact.
    pub fn delete_contact(&self, sub: &str, id: i64) -> ControlResult<()> {
        self.with(sub, |d, _| if contact_ops::set_contact_deleted(d, id, true) { Ok(()) } else { Err(ControlError::NotFound) })
    }

    /// Deletes a contact and their tickets for good.
    pub fn hard_delete_contact(&self, sub: &str, id: i64) -> ControlResult<()> {
        self.with(sub, |d, _| if contact_ops::hard_delete_contact(d, id) { Ok(()) } else { Err(ControlError::NotFound) })
    }

    /// Adds an agent reply (`reply = true`, body as `POST /reply`) or a note (body as `POST /notes`;
    /// `{"user_id": <contact>, "incoming": true, "private": false}` makes an incoming customer message).
    /// The ticket's `updated_at` is bumped. Returns the conversation in list shape.
    pub fn add_conversation(&self, sub: &str, ticket_id: i64, reply: bool, body: Value) -> ControlResult<Value> {
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
            let t = d.remove_conversation(conversation_id).ok_or(ControlError::NotFound)?;
            let now = d.now();
            d.update_ticket(t, |t| t.updated_at = now);
            Ok(())
        })
    }

    /// Adds an agent: `{"name","email","group_ids"?,"role_ids"?}`; returns the view shape.
    pub fn add_agent(&self, sub: &str, body: Value) -> ControlResult<Value> {
        let b = obj(body)?;
        self.with(sub, |d, _| {
            let now = d.now();
            let id = d.next_id(IdKind::User);
            let name = str_of(&b, "name").unwrap_or_else(|| format!("Agent {id}"));
            let email = str_of(&b, "email").unwrap_or_else(|| format!("agent{id}@example.com"));
            let mut role_ids = ids_of(&b, "role_ids");
            if role_ids.is_empty() {
                role_ids.extend(d.roles.keys().last().copied());
            }
            let group_ids = ids_of(&b, "group_ids");
            for g in &group_ids {
                if let Some(grp) = d.groups.get_mut(g) {
                    grp.agent_ids.push(id);
                    grp.updated_at = now;
                }
            }
            let a = Agent {
                id,
                available: false,
                occasional: false,
                ticket_scope: 1,
                created_at: now,
                updated_at: now,
                last_active_at: None,
                available_since: None,
                agent_type: "support_agent".into(),
                contact: AgentContact {
                    active: false,
                    email,
                    job_title: None,
                    language: "en".into(),
                    last_login_at: None,
                    mobile: None,
                    name,
                    phone: None,
                    time_zone: "Eastern Time (US & Canada)".into(),
                    created_at: now,
                    updated_at: now,
                },
                signature: None,
                group_ids,
                role_ids,
                skill_ids: Vec::new(),
            };
            let v = render::agent(&a, true);
            d.agents.insert(id, a);
            Ok(v)
        })
    }

    /// Removes an agent; their tickets become unassigned (bumped).
    pub fn remove_agent(&self, sub: &str, id: i64) -> ControlResult<()> {
        self.with(sub, |d, _| {
            d.agents.remove(&id).ok_or(ControlError::NotFound)?;
            let now = d.now();
            for g in d.groups.values_mut() {
                g.agent_ids.retain(|a| *a != id);
            }
            let ids: Vec<i64> = d.tickets().filter(|t| t.responder_id == Some(id)).map(|t| t.id).collect();
            for t in ids {
                d.update_ticket(t, |t| {
                    t.responder_id = None;
                    t.updated_at = now;
                });
            }
            Ok(())
        })
    }

    /// Adds a group: `{"name","description"?,"agent_ids"?}`; returns the view shape.
    pub fn add_group(&self, sub: &str, body: Value) -> ControlResult<Value> {
        let b = obj(body)?;
        self.with(sub, |d, _| {
            let now = d.now();
            let id = d.next_id(IdKind::Group);
            let agent_ids: Vec<i64> = ids_of(&b, "agent_ids").into_iter().filter(|a| d.agents.contains_key(a)).collect();
            for a in &agent_ids {
                if let Some(ag) = d.agents.get_mut(a) {
                    ag.group_ids.push(id);
                }
            }
            let g = Group {
                id,
                name: str_of(&b, "name").unwrap_or_else(|| format!("Group {id}")),
                description: str_of(&b, "description"),
                escalate_to: None,
                unassigned_for: None,
                business_hour_id: None,
                group_type: "support_agent_group".into(),
                created_at: now,
                updated_at: now,
                auto_ticket_assign: 0,
                agent_ids,
            };
            let v = render::group(&g, true);
            d.groups.insert(id, g);
            Ok(v)
        })
    }

    /// Removes a group; its tickets lose the group (bumped).
    pub fn remove_group(&self, sub: &str, id: i64) -> ControlResult<()> {
        self.with(sub, |d, _| {
            d.groups.remove(&id).ok_or(ControlError::NotFound)?;
            let now = d.now();
            for a in d.agents.values_mut() {
                a.group_ids.retain(|g| *g != id);
            }
            let ids: Vec<i64> = d.tickets().filter(|t| t.group_id == Some(id)).map(|t| t.id).collect();
            for t in ids {
                d.update_ticket(t, |t| {
                    t.group_id = None;
                    t.updated_at = now;
                });
            }
            Ok(())
        })
    }

    /// Adds a company: `{"name","domains"?,"description"?}`; returns its JSON.
    pub fn add_company(&self, sub: &str, body: Value) -> ControlResult<Value> {
        let b = obj(body)?;
        self.with(sub, |d, _| {
            let now = d.now();
            let id = d.next_id(IdKind::Company);
            let domains = b
                .get("domains")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect())
                .unwrap_or_default();
            let c = Company {
                id,
                name: str_of(&b, "name").unwrap_or_else(|| format!("Company {id}")),
                description: str_of(&b, "description"),
                note: None,
                domains,
                created_at: now,
                updated_at: now,
                health_score: None,
                account_tier: None,
                renewal_date: None,
                industry: None,
                org_company_id: format!("{}", 1_800_000_000_000_000_000i64 + id),
            };
            let v = render::company(&c);
            d.companies.insert(id, c);
            Ok(v)
        })
    }

    /// Removes a company; its contacts and tickets lose it (bumped).
    pub fn remove_company(&self, sub: &str, id: i64) -> ControlResult<()> {
        self.with(sub, |d, _| {
            d.companies.remove(&id).ok_or(ControlError::NotFound)?;
            let now = d.now();
            let contacts: Vec<_> = d.contacts().filter(|c| c.company_id == Some(id) || c.other_companies.contains(&id)).cloned().collect();
            for mut c in contacts {
                if c.company_id == Some(id) {
                    c.company_id = None;
                }
                c.other_companies.retain(|x| *x != id);
                c.updated_at = now;
                d.put_contact(c);
            }
            let ids: Vec<i64> = d.tickets().filter(|t| t.company_id == Some(id)).map(|t| t.id).collect();
            for t in ids {
                d.update_ticket(t, |t| {
                    t.company_id = None;
                    t.updated_at = now;
                });
            }
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

    /// Resets the account's counters and its rate-limit window.
    pub fn reset_counters(&self, sub: &str) -> ControlResult<()> {
        let a = self.acct(sub)?;
        *lock(&a.counters) = Counters::default();
        lock(&a.limiter).reset();
        Ok(())
    }

    /// The account's data exactly as the API renders it (attachment URLs are freshly signed).
    pub fn snapshot(&self, sub: &str) -> ControlResult<Snapshot> {
        let a = self.acct(sub)?;
        let base = self.sim.default_base();
        let ctx = Ctx { base: &base, signer: &self.sim.inner.signer };
        let d = read(&a.data);
        let mut conversations = BTreeMap::new();
        for t in d.tickets() {
            let list: Vec<Value> = d.conversations(t.id).iter().map(|c| render::conversation(&d, c, &ctx)).collect();
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
            ticket_fields: d.ticket_fields.iter().map(|f| render::ticket_field(&d, f)).collect(),
            time_entries: d.time_entries.iter().map(render::time_entry).collect(),
        })
    }
}
