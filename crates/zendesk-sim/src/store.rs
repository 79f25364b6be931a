//! In-memory records of one account. Fields mirror what the recordings show; renders live in
//! `render.rs`, so the store keeps only what the simulator needs to reason about.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

/// A ticket. `id` is the per-account "nice id" (1, 2, …), as in every recording.
#[derive(Debug, Clone)]
pub struct Ticket {
    /// Nice id.
    pub id: i64,
    /// `external_id`.
    pub external_id: Option<String>,
    /// `via.channel` (`web`, `email`, `api`, `sample_ticket`).
    pub channel: String,
    /// Epoch seconds.
    pub created_at: i64,
    /// Epoch seconds.
    pub updated_at: i64,
    /// The export's sort key: bumps on every change, including system updates that leave
    /// `updated_at` alone.
    pub generated_ts: i64,
    /// `type`: problem, incident, question, task.
    pub kind: Option<String>,
    /// Subject.
    pub subject: String,
    /// Plain text of the first comment.
    pub description: String,
    /// low, normal, high, urgent.
    pub priority: Option<String>,
    /// new, open, pending, hold, solved, closed.
    pub status: String,
    /// Requester (mandatory).
    pub requester_id: i64,
    /// Submitter.
    pub submitter_id: i64,
    /// The single assignee.
    pub assignee_id: Option<i64>,
    /// Organization.
    pub organization_id: Option<i64>,
    /// Group.
    pub group_id: Option<i64>,
    /// CCs.
    pub collaborator_ids: Vec<i64>,
    /// Followers.
    pub follower_ids: Vec<i64>,
    /// Problem of an incident.
    pub problem_id: Option<i64>,
    /// Due date of a task.
    pub due_at: Option<i64>,
    /// Tags.
    pub tags: Vec<String>,
    /// Custom field values by field id.
    pub custom_fields: Vec<(i64, Value)>,
    /// Custom status.
    pub custom_status_id: i64,
    /// Set when the ticket changed status last.
    pub status_updated_at: i64,
    /// First assignment.
    pub assigned_at: Option<i64>,
    /// Last solve.
    pub solved_at: Option<i64>,
    /// Archived: hidden from `GET /tickets`, still shown by id and in exports.
    pub archived: bool,
    /// Soft deletion, if any.
    pub deleted: Option<Deletion>,
    /// Permanently deleted: the export keeps the id with `SCRUBBED` / `X`.
    pub scrubbed: bool,
    /// Comments, oldest first.
    pub comments: Vec<Comment>,
}

/// A soft deletion (`/deleted_tickets`).
#[derive(Debug, Clone)]
pub struct Deletion {
    /// When.
    pub at: i64,
    /// Who.
    pub actor_id: i64,
    /// Status before deletion.
    pub previous_state: String,
}

/// A ticket comment. Comments have no `updated_at`: they are immutable.
#[derive(Debug, Clone)]
pub struct Comment {
    /// 14-digit id.
    pub id: i64,
    /// Author.
    pub author_id: i64,
    /// Plain body.
    pub body: String,
    /// Public or internal note.
    pub public: bool,
    /// Attachments.
    pub attachments: Vec<Attachment>,
    /// Audit of the change that added it.
    pub audit_id: i64,
    /// Channel.
    pub channel: String,
    /// Epoch seconds.
    pub created_at: i64,
}

/// An attachment, downloadable through `content_url` (which redirects off-host).
#[derive(Debug, Clone)]
pub struct Attachment {
    /// 14-digit id.
    pub id: i64,
    /// Download token in `content_url`.
    pub token: String,
    /// File name, with extension.
    pub file_name: String,
    /// MIME type.
    pub content_type: String,
    /// The bytes.
    pub bytes: Vec<u8>,
    /// Image size, for images.
    pub dims: Option<(i64, i64)>,
}

/// A user: end-users, agents and admins share one list.
#[derive(Debug, Clone)]
pub struct User {
    /// 14-digit id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Primary email (null for users created without one).
    pub email: Option<String>,
    /// Epoch seconds.
    pub created_at: i64,
    /// Epoch seconds.
    pub updated_at: i64,
    /// `end-user`, `agent` or `admin`.
    pub role: String,
    /// Default organization.
    pub organization_id: Option<i64>,
    /// Phone.
    pub phone: Option<String>,
    /// External id.
    pub external_id: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// `false` once deleted.
    pub active: bool,
    /// Blocked.
    pub suspended: bool,
    /// Verified identity.
    pub verified: bool,
    /// Last login.
    pub last_login_at: Option<i64>,
    /// `4` for admins, null otherwise (non-Enterprise agents).
    pub role_type: Option<i64>,
    /// Custom role (admins point to the system "Admin" role).
    pub custom_role_id: Option<i64>,
    /// Default group of an agent.
    pub default_group_id: Option<i64>,
    /// Alias shown to end-users instead of the name.
    pub alias: Option<String>,
    /// Details.
    pub details: Option<String>,
    /// Notes.
    pub notes: Option<String>,
    /// Has a profile photo.
    pub photo_id: Option<i64>,
    /// `two_factor_auth_enabled`: null in lists, `false` on a fresh create (as recorded).
    pub two_factor: Option<bool>,
}

/// An organization.
#[derive(Debug, Clone)]
pub struct Organization {
    /// 14-digit id.
    pub id: i64,
    /// Unique name.
    pub name: String,
    /// Epoch seconds.
    pub created_at: i64,
    /// Epoch seconds.
    pub updated_at: i64,
    /// Domains.
    pub domain_names: Vec<String>,
    /// Details.
    pub details: Option<String>,
    /// Group.
    pub group_id: Option<i64>,
    /// External id.
    pub external_id: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
}

/// A group (Merge team).
#[derive(Debug, Clone)]
pub struct Group {
    /// 14-digit id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Description (empty string when unset).
    pub description: String,
    /// Default group.
    pub default: bool,
    /// Deleted groups keep `deleted: true`.
    pub deleted: bool,
    /// Epoch seconds.
    pub created_at: i64,
    /// Epoch seconds.
    pub updated_at: i64,
}

/// A group membership.
#[derive(Debug, Clone)]
pub struct Membership {
    /// 14-digit id.
    pub id: i64,
    /// Agent.
    pub user_id: i64,
    /// Group.
    pub group_id: i64,
    /// The agent's default group.
    pub default: bool,
    /// Epoch seconds.
    pub created_at: i64,
}

/// A custom ticket status.
#[derive(Debug, Clone)]
pub struct CustomStatus {
    /// 14-digit id.
    pub id: i64,
    /// new, open, pending, hold, solved.
    pub category: String,
    /// Agent label.
    pub agent_label: String,
    /// End-user label.
    pub end_user_label: String,
    /// Description.
    pub description: Option<String>,
    /// Active.
    pub active: bool,
    /// The category's default status.
    pub default: bool,
    /// Epoch seconds.
    pub created_at: i64,
}

/// A ticket field definition (system or custom).
#[derive(Debug, Clone)]
pub struct TicketField {
    /// 14-digit id.
    pub id: i64,
    /// subject, description, status, tickettype, priority, group, assignee, or a custom type.
    pub kind: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Position.
    pub position: i64,
    /// Required to solve (agents).
    pub required: bool,
    /// Shown to end-users.
    pub visible_in_portal: bool,
    /// `custom_field_options` of tagger/multiselect: (id, name, value).
    pub options: Vec<(i64, String, String)>,
    /// `system_field_options`: (name, value).
    pub system_options: Vec<(String, String)>,
    /// Regexp of a `regexp` field.
    pub regexp: Option<String>,
    /// Epoch seconds.
    pub created_at: i64,
}

impl TicketField {
    /// Whether this is a custom field (values live in `custom_fields`).
    pub fn is_custom(&self) -> bool {
        !matches!(
            self.kind.as_str(),
            "subject" | "description" | "status" | "tickettype" | "priority" | "group" | "assignee"
        )
    }
}

/// A custom role (Enterprise).
#[derive(Debug, Clone)]
pub struct CustomRole {
    /// 14-digit id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// 0 custom, 1 light agent, 4 admin, …
    pub role_type: i64,
    /// Permissions.
    pub configuration: Value,
    /// Epoch seconds.
    pub created_at: i64,
}

/// A pending upload (`POST /uploads`), referenced by token in a comment.
#[derive(Debug, Clone)]
pub struct Upload {
    /// Attachments.
    pub attachments: Vec<Attachment>,
    /// Expiry.
    pub expires_at: i64,
}

/// Everything in one account.
#[derive(Debug, Clone, Default)]
pub struct AccountData {
    /// Tickets by nice id (deleted and archived included).
    pub tickets: BTreeMap<i64, Ticket>,
    /// Users by id.
    pub users: BTreeMap<i64, User>,
    /// Organizations.
    pub organizations: BTreeMap<i64, Organization>,
    /// Groups.
    pub groups: BTreeMap<i64, Group>,
    /// Group memberships.
    pub memberships: BTreeMap<i64, Membership>,
    /// Custom statuses.
    pub custom_statuses: BTreeMap<i64, CustomStatus>,
    /// Ticket fields.
    pub ticket_fields: BTreeMap<i64, TicketField>,
    /// Custom roles.
    pub custom_roles: BTreeMap<i64, CustomRole>,
    /// Uploads by token.
    pub uploads: HashMap<String, Upload>,
    /// Webhooks by ULID, as stored (secrets included; renders hide them).
    pub webhooks: BTreeMap<String, Value>,
    /// Signing secret of each webhook, by ULID (shown only by `…/signing_secret`).
    pub webhook_secrets: BTreeMap<String, String>,
    /// Triggers by id, in API shape.
    pub triggers: BTreeMap<i64, Value>,
    /// Zendesk's numeric account id (`x-zendesk-account-id` on webhook requests).
    pub account_id: i64,
    /// The simulator's delivery engine (shared by all accounts).
    pub push: std::sync::Arc<crate::push::PushHub>,
    /// The brand of every ticket.
    pub brand_id: i64,
    /// The default ticket form.
    pub ticket_form_id: i64,
    /// Last 14-digit id issued.
    pub last_id: i64,
    /// Last nice id issued (never reused, even after purges).
    pub last_nice_id: i64,
    /// Random-ish counter for tokens.
    pub token_seq: u64,
}

impl AccountData {
    /// A new 14-digit id. Zendesk's ids grow in steps of 128 (audit events in one recording).
    pub fn next_id(&mut self) -> i64 {
        self.last_id += 128;
        self.last_id
    }

    /// The next ticket nice id.
    pub fn next_nice_id(&mut self) -> i64 {
        self.last_nice_id += 1;
        self.last_nice_id
    }

    /// A 25-character alphanumeric token like the recorded upload/attachment tokens.
    pub fn next_token(&mut self, salt: u64) -> String {
        const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        self.token_seq += 1;
        let mut x = self
            .token_seq
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(salt.wrapping_mul(0xBF58_476D_1CE4_E5B9));
        (0..25)
            .map(|_| {
                x ^= x >> 31;
                x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
                x ^= x >> 29;
                char::from(ALPHA[(x % ALPHA.len() as u64) as usize])
            })
            .collect()
    }

    /// The attachment with this download token, wherever it lives.
    pub fn attachment_by_token(&self, token: &str) -> Option<&Attachment> {
        let in_comments = self
            .tickets
            .values()
            .flat_map(|t| t.comments.iter())
            .flat_map(|c| c.attachments.iter());
        let in_uploads = self.uploads.values().flat_map(|u| u.attachments.iter());
        in_comments.chain(in_uploads).find(|a| a.token == token)
    }

    /// The attachment with this id.
    pub fn attachment_by_id(&self, id: i64) -> Option<&Attachment> {
        let in_comments = self
            .tickets
            .values()
            .flat_map(|t| t.comments.iter())
            .flat_map(|c| c.attachments.iter());
        let in_uploads = self.uploads.values().flat_map(|u| u.attachments.iter());
        in_comments.chain(in_uploads).find(|a| a.id == id)
    }

    /// The default custom status of a category.
    pub fn default_status(&self, category: &str) -> i64 {
        let cat = if category == "closed" {
            "solved"
        } else {
            category
        };
        self.custom_statuses
            .values()
            .find(|s| s.category == cat && s.default)
            .map(|s| s.id)
            .unwrap_or(0)
    }

    /// The user with this email (case-insensitive).
    pub fn user_by_email(&self, email: &str) -> Option<&User> {
        self.users.values().find(|u| {
            u.email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
        })
    }
}
