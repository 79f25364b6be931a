//! The account's staff and organisation: agents, companies, groups and roles.

use super::*;

/// The user part of an agent.
#[derive(Debug, Clone)]
pub struct AgentContact {
    /// Verified.
    pub active: bool,
    /// Email.
    pub email: String,
    /// Job title.
    pub job_title: Option<String>,
    /// Language.
    pub language: Text,
    /// Last login.
    pub last_login_at: Option<i64>,
    /// Mobile.
    pub mobile: Option<String>,
    /// Name.
    pub name: String,
    /// Phone.
    pub phone: Option<String>,
    /// Time zone.
    pub time_zone: Text,
    /// Creation time.
    pub created_at: i64,
    /// Update time.
    pub updated_at: i64,
}

/// An agent.
#[derive(Debug, Clone)]
pub struct Agent {
    /// User id.
    pub id: i64,
    /// Available for assignment.
    pub available: bool,
    /// Occasional agent.
    pub occasional: bool,
    /// 1 global, 2 group, 3 restricted.
    pub ticket_scope: i64,
    /// Creation time.
    pub created_at: i64,
    /// Update time.
    pub updated_at: i64,
    /// Last activity.
    pub last_active_at: Option<i64>,
    /// Available since.
    pub available_since: Option<i64>,
    /// `support_agent`, `field_agent` or `collaborator`.
    pub agent_type: Text,
    /// User details.
    pub contact: AgentContact,
    /// HTML signature.
    pub signature: Option<String>,
    /// Groups.
    pub group_ids: Vec<i64>,
    /// Roles.
    pub role_ids: Vec<i64>,
    /// Skills.
    pub skill_ids: Vec<i64>,
}

/// A company.
#[derive(Debug, Clone)]
pub struct Company {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Note.
    pub note: Option<String>,
    /// Domains.
    pub domains: Vec<String>,
    /// Creation time.
    pub created_at: i64,
    /// Update time.
    pub updated_at: i64,
    /// Health score.
    pub health_score: Option<Text>,
    /// Account tier.
    pub account_tier: Option<Text>,
    /// Renewal date.
    pub renewal_date: Option<i64>,
    /// Industry.
    pub industry: Option<Text>,
    /// Org id (digits as a string).
    pub org_company_id: String,
    /// Custom field `support_plan` (a required dropdown, see [`SUPPORT_PLANS`]).
    pub support_plan: Option<Text>,
}

/// Choices of the required company custom dropdown `support_plan`.
pub const SUPPORT_PLANS: &[&str] = &["Basic", "Premium", "Enterprise"];

/// A group.
#[derive(Debug, Clone)]
pub struct Group {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Escalation agent.
    pub escalate_to: Option<i64>,
    /// Unassigned-for escalation delay.
    pub unassigned_for: Option<Text>,
    /// Business hours.
    pub business_hour_id: Option<i64>,
    /// Group type.
    pub group_type: Text,
    /// Creation time.
    pub created_at: i64,
    /// Update time.
    pub updated_at: i64,
    /// Round-robin (recorded as 0/1).
    pub auto_ticket_assign: i64,
    /// Members.
    pub agent_ids: Vec<i64>,
}

/// A role.
#[derive(Debug, Clone)]
pub struct Role {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: Text,
    /// Description.
    pub description: Text,
    /// Built-in role.
    pub default: bool,
    /// Creation time.
    pub created_at: i64,
    /// Update time.
    pub updated_at: i64,
}
