//! Per-account in-memory store with the indexes the list endpoints need.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rand::Rng;
use rand::rngs::StdRng;
use serde_json::Value;

use crate::model::{
    Agent, Company, Contact, Conversation, CustomKind, Group, Profile, Role, Ticket, TicketField,
    TimeEntry,
};
use crate::time::now_secs;

/// Kinds of ids, each drawn from its own irregularly spaced sequence above 2^32.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdKind {
    /// Email configurations.
    EmailConfig,
    /// Products.
    Product,
    /// Groups.
    Group,
    /// Ticket fields.
    Field,
    /// Roles.
    Role,
    /// Companies.
    Company,
    /// Time entries.
    TimeEntry,
    /// Users (contacts and agents share one sequence, as in Freshdesk).
    User,
    /// Conversations.
    Conversation,
    /// Attachments.
    Attachment,
}

impl IdKind {
    fn offset(self) -> i64 {
        match self {
            IdKind::EmailConfig => 135_000_000,
            IdKind::Product => 122_000_000,
            IdKind::Group => 435_000_000,
            IdKind::Field => 439_000_000,
            IdKind::Role => 600_000_000,
            IdKind::Company => 1_367_000_000,
            IdKind::TimeEntry => 11_181_000_000,
            IdKind::User => 22_557_000_000,
            IdKind::Conversation => 75_655_000_000,
            IdKind::Attachment => 90_000_000_000,
        }
    }
}

/// Allocates ids per kind: `153000000000 + account * 200000000000 + kind offset`, then irregular steps.
#[derive(Debug, Clone)]
pub struct IdAlloc {
    base: i64,
    last: HashMap<IdKind, i64>,
}

impl IdAlloc {
    /// Allocator of the account at `index`.
    pub fn new(index: usize) -> Self {
        let index = i64::try_from(index).unwrap_or(0);
        Self {
            base: 153_000_000_000 + index * 200_000_000_000,
            last: HashMap::new(),
        }
    }

    /// Next id of `kind`.
    pub fn next(&mut self, kind: IdKind, rng: &mut StdRng) -> i64 {
        let step: i64 = if rng.gen_bool(0.8) {
            rng.gen_range(1..=40)
        } else {
            rng.gen_range(41..=900)
        };
        let base = self.base + kind.offset();
        let last = self.last.entry(kind).or_insert(base);
        *last += step;
        *last
    }
}

/// All data of one account.
#[derive(Debug)]
pub struct AccountData {
    /// Account index (0-based).
    pub index: usize,
    /// Rendering features.
    pub profile: Profile,
    /// Products `(id, name)`.
    pub products: Vec<(i64, &'static str)>,
    /// Support mailboxes `(email_config_id, address)`.
    pub email_configs: Vec<(i64, String)>,
    /// Custom ticket fields `(name, kind)`, in `custom_fields` order.
    pub custom_defs: Vec<(&'static str, CustomKind)>,
    tickets: Vec<Option<Ticket>>,
    by_updated: BTreeSet<(i64, i64)>,
    by_created: BTreeSet<(i64, i64)>,
    conversations: HashMap<i64, Vec<Conversation>>,
    conv_ticket: HashMap<i64, i64>,
    contacts: BTreeMap<i64, Contact>,
    contacts_by_name: BTreeSet<(String, i64)>,
    /// Agents by id.
    pub agents: BTreeMap<i64, Agent>,
    /// Companies by id.
    pub companies: BTreeMap<i64, Company>,
    /// Groups by id.
    pub groups: BTreeMap<i64, Group>,
    /// Roles by id.
    pub roles: BTreeMap<i64, Role>,
    /// Ticket fields in position order.
    pub ticket_fields: Vec<TicketField>,
    /// Time entries.
    pub time_entries: Vec<TimeEntry>,
    /// Attachment id → (content type, size), for serving attachment URLs.
    pub attachment_index: HashMap<i64, (&'static str, i64)>,
    /// The agent that owns the account's API key (`/agents/me`).
    pub admin_agent_id: i64,
    /// Id allocator.
    pub ids: IdAlloc,
    /// RNG for runtime choices (ids of created records).
    pub rng: StdRng,
    /// Automation rules by id, in API shape (`automation_type_id` 1, 3 or 4).
    pub automations: BTreeMap<i64, Value>,
    /// The simulator's webhook delivery engine (shared by all accounts).
    pub push: std::sync::Arc<crate::push::PushHub>,
    last_ts: i64,
}

impl AccountData {
    /// An empty account.
    pub fn new(index: usize, profile: Profile, rng: StdRng) -> Self {
        Self {
            index,
            profile,
            products: Vec::new(),
            email_configs: Vec::new(),
            custom_defs: Vec::new(),
            tickets: Vec::new(),
            by_updated: BTreeSet::new(),
            by_created: BTreeSet::new(),
            conversations: HashMap::new(),
            conv_ticket: HashMap::new(),
            contacts: BTreeMap::new(),
            contacts_by_name: BTreeSet::new(),
            agents: BTreeMap::new(),
            companies: BTreeMap::new(),
            groups: BTreeMap::new(),
            roles: BTreeMap::new(),
            ticket_fields: Vec::new(),
            time_entries: Vec::new(),
            attachment_index: HashMap::new(),
            admin_agent_id: 0,
            ids: IdAlloc::new(index),
            rng,
            automations: BTreeMap::new(),
            push: std::sync::Arc::default(),
            last_ts: 0,
        }
    }

    /// Current time for a mutation: wall clock, never earlier than any earlier mutation.
    pub fn now(&mut self) -> i64 {
        self.last_ts = self.last_ts.max(now_secs());
        self.last_ts
    }

    /// Raises the monotonic clock floor (used by generation).
    pub fn observe_time(&mut self, ts: i64) {
        self.last_ts = self.last_ts.max(ts);
    }

    /// Next id of a kind.
    pub fn next_id(&mut self, kind: IdKind) -> i64 {
        self.ids.next(kind, &mut self.rng)
    }

    // ----- tickets -----

    /// The next display id.
    pub fn next_ticket_id(&self) -> i64 {
        i64::try_from(self.tickets.len()).unwrap_or(i64::MAX - 1) + 1
    }

    /// A ticket by display id (deleted and spam included).
    pub fn ticket(&self, id: i64) -> Option<&Ticket> {
        let idx = usize::try_from(id.checked_sub(1)?).ok()?;
        self.tickets.get(idx)?.as_ref()
    }

    /// Number of ticket slots (including purged ones).
    pub fn ticket_slots(&self) -> usize {
        self.tickets.len()
    }

    /// All existing tickets in id order.
    pub fn tickets(&self) -> impl Iterator<Item = &Ticket> {
        self.tickets.iter().flatten()
    }

    /// Inserts a ticket whose id must be [`Self::next_ticket_id`].
    pub fn insert_ticket(&mut self, t: Ticket) {
        self.by_updated.insert((t.updated_at, t.id));
        self.by_created.insert((t.created_at, t.id));
        self.tickets.push(Some(t));
    }

    /// Changes a ticket and keeps the indexes right.
    pub fn update_ticket<R>(&mut self, id: i64, f: impl FnOnce(&mut Ticket) -> R) -> Option<R> {
        let idx = usize::try_from(id.checked_sub(1)?).ok()?;
        let t = self.tickets.get_mut(idx)?.as_mut()?;
        let (u, c) = (t.updated_at, t.created_at);
        let r = f(t);
        if t.updated_at != u {
            self.by_updated.remove(&(u, id));
            self.by_updated.insert((t.updated_at, id));
        }
        if t.created_at != c {
            self.by_created.remove(&(c, id));
            self.by_created.insert((t.created_at, id));
        }
        Some(r)
    }

    /// Removes a ticket for good, with its conversations.
    pub fn purge_ticket(&mut self, id: i64) -> bool {
        let Some(idx) = id.checked_sub(1).and_then(|i| usize::try_from(i).ok()) else {
            return false;
        };
        let Some(slot) = self.tickets.get_mut(idx) else {
            return false;
        };
        let Some(t) = slot.take() else { return false };
        self.by_updated.remove(&(t.updated_at, id));
        self.by_created.remove(&(t.created_at, id));
        for c in self.conversations.remove(&id).unwrap_or_default() {
            self.conv_ticket.remove(&c.id);
        }
        self.time_entries.retain(|e| e.ticket_id != id);
        true
    }

    /// `(updated_at, id)` index.
    pub fn by_updated(&self) -> &BTreeSet<(i64, i64)> {
        &self.by_updated
    }

    /// `(created_at, id)` index.
    pub fn by_created(&self) -> &BTreeSet<(i64, i64)> {
        &self.by_created
    }

    // ----- conversations -----

    /// Conversations of a ticket, by `created_at` then id.
    pub fn conversations(&self, ticket_id: i64) -> &[Conversation] {
        self.conversations
            .get(&ticket_id)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Adds a conversation during generation (no ticket bump).
    pub fn push_conversation(&mut self, c: Conversation) {
        self.conv_ticket.insert(c.id, c.ticket_id);
        let list = self.conversations.entry(c.ticket_id).or_default();
        let pos = list.partition_point(|x| (x.created_at, x.id) <= (c.created_at, c.id));
        list.insert(pos, c);
    }

    /// Removes a conversation; returns its ticket id.
    pub fn remove_conversation(&mut self, id: i64) -> Option<i64> {
        let ticket_id = self.conv_ticket.remove(&id)?;
        if let Some(list) = self.conversations.get_mut(&ticket_id) {
            list.retain(|c| c.id != id);
        }
        Some(ticket_id)
    }

    // ----- contacts -----

    /// A contact by id (deleted included).
    pub fn contact(&self, id: i64) -> Option<&Contact> {
        self.contacts.get(&id)
    }

    /// Contacts in id order.
    pub fn contacts(&self) -> impl Iterator<Item = &Contact> {
        self.contacts.values()
    }

    /// Contacts sorted by name, then id.
    pub fn contacts_by_name(&self) -> impl Iterator<Item = &Contact> {
        self.contacts_by_name
            .iter()
            .filter_map(|(_, id)| self.contacts.get(id))
    }

    /// Inserts or replaces a contact.
    pub fn put_contact(&mut self, c: Contact) {
        if let Some(old) = self.contacts.get(&c.id) {
            self.contacts_by_name.remove(&(old.name.clone(), old.id));
        }
        self.contacts_by_name.insert((c.name.clone(), c.id));
        self.contacts.insert(c.id, c);
    }

    /// Removes a contact for good.
    pub fn remove_contact(&mut self, id: i64) -> Option<Contact> {
        let c = self.contacts.remove(&id)?;
        self.contacts_by_name.remove(&(c.name.clone(), c.id));
        Some(c)
    }

    /// The contact with this primary or other email (case-insensitive).
    pub fn contact_by_email(&self, email: &str) -> Option<&Contact> {
        self.contacts.values().find(|c| {
            c.email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
                || c.other_emails.iter().any(|e| e.eq_ignore_ascii_case(email))
        })
    }

    /// Any user (contact or agent) exists with this id.
    pub fn user_exists(&self, id: i64) -> bool {
        self.contacts.contains_key(&id) || self.agents.contains_key(&id)
    }
}
