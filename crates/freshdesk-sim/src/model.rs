//! In-memory records of one simulated account, close to Freshdesk's own columns.

use std::borrow::Cow;

use serde_json::Value;

mod fields;
mod org;

pub use fields::*;
pub use org::*;

/// Text that is usually a static template and sometimes user input.
pub type Text = Cow<'static, str>;

/// Shape features of an account: Freshdesk's output differs with the account's features and age.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Profile {
    /// `ticket_bcc_emails` is rendered (2024+ accounts).
    pub bcc: bool,
    /// `association_type` (and `associated_tickets_count` in lists) is rendered (parent-child feature).
    pub association: bool,
    /// `source_additional_info` is rendered in the ticket view.
    pub source_info: bool,
    /// Ticket forms enabled: `form_id` is rendered with this value.
    pub form_id: Option<i64>,
    /// Conversations carry `delivery_details` (late 2024 accounts).
    pub delivery_details: bool,
}

impl Profile {
    /// The profile of the account at `index`: accounts cycle through three recorded shapes.
    pub fn for_index(index: usize, form_id: i64) -> Profile {
        match index % 3 {
            0 => Profile {
                bcc: true,
                association: true,
                source_info: true,
                form_id: None,
                delivery_details: true,
            },
            1 => Profile {
                bcc: false,
                association: true,
                source_info: true,
                form_id: None,
                delivery_details: true,
            },
            _ => Profile {
                bcc: true,
                association: false,
                source_info: false,
                form_id: Some(form_id),
                delivery_details: false,
            },
        }
    }
}

/// A file attached to a ticket or a conversation.
#[derive(Debug, Clone)]
pub struct Attachment {
    /// Attachment id.
    pub id: i64,
    /// File name.
    pub name: Text,
    /// MIME type.
    pub content_type: &'static str,
    /// Size in bytes (the served content has exactly this size).
    pub size: i64,
    /// Creation time.
    pub created_at: i64,
    /// Update time.
    pub updated_at: i64,
}

/// Ticket statistics (`include=stats`).
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Last agent reply.
    pub agent_responded_at: Option<i64>,
    /// Last requester reply.
    pub requester_responded_at: Option<i64>,
    /// First agent reply.
    pub first_responded_at: Option<i64>,
    /// Last status change.
    pub status_updated_at: Option<i64>,
    /// Last reopening.
    pub reopened_at: Option<i64>,
    /// Resolution time (falls back to `updated_at` for status 4/5 when rendered).
    pub resolved_at: Option<i64>,
    /// Closing time (falls back to `updated_at` for status 4/5 when rendered).
    pub closed_at: Option<i64>,
    /// Since when the ticket is pending.
    pub pending_since: Option<i64>,
}

/// A ticket.
#[derive(Debug, Clone)]
pub struct Ticket {
    /// Display id (small, sequential per account).
    pub id: i64,
    /// Subject.
    pub subject: Text,
    /// Plain-text description.
    pub description_text: Text,
    /// HTML description; `None` renders `<div>text</div>`.
    pub description_html: Option<String>,
    /// Status id (2..5 or custom ≥ 6).
    pub status: i64,
    /// Priority 1..4.
    pub priority: i64,
    /// Source id.
    pub source: i64,
    /// Ticket type.
    pub ticket_type: Option<Text>,
    /// Requester (a contact id).
    pub requester_id: i64,
    /// Assigned agent.
    pub responder_id: Option<i64>,
    /// Group.
    pub group_id: Option<i64>,
    /// Company.
    pub company_id: Option<i64>,
    /// Product.
    pub product_id: Option<i64>,
    /// Email configuration (support mailbox).
    pub email_config_id: Option<i64>,
    /// Support mailbox address.
    pub support_email: Option<String>,
    /// Recipients.
    pub to_emails: Option<Vec<String>>,
    /// CC addresses.
    pub cc_emails: Option<Vec<String>>,
    /// Forward addresses.
    pub fwd_emails: Option<Vec<String>>,
    /// Reply CC addresses.
    pub reply_cc_emails: Option<Vec<String>>,
    /// Ticket CC addresses.
    pub ticket_cc_emails: Option<Vec<String>>,
    /// Ticket BCC addresses.
    pub ticket_bcc_emails: Vec<String>,
    /// First response SLA escalated.
    pub fr_escalated: bool,
    /// Resolution SLA escalated.
    pub is_escalated: bool,
    /// Next response SLA escalated.
    pub nr_escalated: bool,
    /// Marked as spam.
    pub spam: bool,
    /// In the trash (soft-deleted).
    pub deleted: bool,
    /// Resolution due.
    pub due_by: Option<i64>,
    /// First response due.
    pub fr_due_by: Option<i64>,
    /// Next response due.
    pub nr_due_by: Option<i64>,
    /// Custom field values, aligned with the account's custom field definitions.
    pub custom: Vec<Value>,
    /// Creation time.
    pub created_at: i64,
    /// Last update time.
    pub updated_at: i64,
    /// Tags.
    pub tags: Vec<Text>,
    /// Attachments (view only).
    pub attachments: Vec<Attachment>,
    /// 1 parent, 2 child, 3 tracker, 4 related.
    pub association_type: Option<i64>,
    /// Associated ticket ids (children of a parent, or the parent of a child).
    pub associated: Vec<i64>,
    /// Statistics.
    pub stats: Stats,
    /// Agents watching the ticket.
    pub watchers: Vec<i64>,
}

/// A reply or note.
#[derive(Debug, Clone)]
pub struct Conversation {
    /// Conversation id.
    pub id: i64,
    /// Ticket display id.
    pub ticket_id: i64,
    /// Author (agent or contact id).
    pub user_id: i64,
    /// Plain text.
    pub body_text: Text,
    /// HTML; `None` renders `<div>text</div>`.
    pub body_html: Option<String>,
    /// Came from outside.
    pub incoming: bool,
    /// Private note.
    pub private: bool,
    /// Conversation source (0 reply, 2 note, 6 feedback, …).
    pub source: i64,
    /// Category (1 customer, 2 private, 3 public, 7 feedback, …).
    pub category: i64,
    /// Support mailbox.
    pub support_email: Option<String>,
    /// Recipients.
    pub to_emails: Option<Vec<String>>,
    /// Sender.
    pub from_email: Option<String>,
    /// CC.
    pub cc_emails: Option<Vec<String>>,
    /// BCC.
    pub bcc_emails: Option<Vec<String>>,
    /// Creation time.
    pub created_at: i64,
    /// Update time.
    pub updated_at: i64,
    /// Attachments.
    pub attachments: Vec<Attachment>,
    /// Addresses that bounced.
    pub failed_emails: Vec<String>,
}

/// A contact (customer).
#[derive(Debug, Clone)]
pub struct Contact {
    /// User id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Primary email.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Mobile.
    pub mobile: Option<String>,
    /// Twitter handle.
    pub twitter_id: Option<String>,
    /// Facebook id.
    pub facebook_id: Option<String>,
    /// External id.
    pub unique_external_id: Option<String>,
    /// Address.
    pub address: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Job title.
    pub job_title: Option<String>,
    /// Language code.
    pub language: Text,
    /// Rails time zone name.
    pub time_zone: Text,
    /// Verified.
    pub active: bool,
    /// Blocked.
    pub blocked: bool,
    /// Soft-deleted.
    pub deleted: bool,
    /// Primary company.
    pub company_id: Option<i64>,
    /// May view all the company's tickets.
    pub view_all_tickets: bool,
    /// Other companies.
    pub other_companies: Vec<i64>,
    /// Last CSAT rating.
    pub csat_rating: Option<i64>,
    /// Preferred channel.
    pub preferred_source: Option<Text>,
    /// Twitter profile status.
    pub twitter_profile_status: bool,
    /// Twitter followers.
    pub twitter_followers_count: Option<i64>,
    /// Tags.
    pub tags: Vec<String>,
    /// Other emails.
    pub other_emails: Vec<String>,
    /// Creation time.
    pub created_at: i64,
    /// Update time.
    pub updated_at: i64,
}
