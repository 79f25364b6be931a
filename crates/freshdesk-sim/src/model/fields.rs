//! Ticket field definitions (with their choices) and time entries.

use super::*;

/// How a ticket field's `choices` are rendered.
#[derive(Debug, Clone)]
pub enum Choices {
    /// No `choices` key.
    None,
    /// Statuses: `{"2":["Open","Being Processed"],…}`.
    Status,
    /// Name → id from a fixed list.
    NameToId(Vec<(&'static str, i64)>),
    /// Groups, name → id.
    Groups,
    /// Agents, name → id.
    Agents,
    /// Products, name → id.
    Products,
    /// A list of strings.
    List(Vec<&'static str>),
}

/// A ticket field definition.
#[derive(Debug, Clone)]
pub struct TicketField {
    /// Id.
    pub id: i64,
    /// Name (`cf_` prefix for custom fields).
    pub name: &'static str,
    /// Agent label.
    pub label: &'static str,
    /// Description.
    pub description: &'static str,
    /// Position.
    pub position: i64,
    /// Required when closing.
    pub required_for_closure: bool,
    /// Required for agents.
    pub required_for_agents: bool,
    /// Field type (`default_status`, `custom_text`, …).
    pub field_type: &'static str,
    /// Built-in field.
    pub default: bool,
    /// Customers can edit.
    pub customers_can_edit: bool,
    /// Customer label.
    pub label_for_customers: &'static str,
    /// Required for customers.
    pub required_for_customers: bool,
    /// Shown to customers.
    pub displayed_to_customers: bool,
    /// Creation time.
    pub created_at: i64,
    /// Update time.
    pub updated_at: i64,
    /// Choices.
    pub choices: Choices,
}

/// The JSON type a custom field accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomKind {
    /// Single-line text.
    Text,
    /// Dropdown from a list.
    Dropdown(&'static [&'static str]),
    /// Checkbox.
    Checkbox,
}

/// A time entry.
#[derive(Debug, Clone)]
pub struct TimeEntry {
    /// Id.
    pub id: i64,
    /// Billable.
    pub billable: bool,
    /// Note.
    pub note: Text,
    /// Timer running.
    pub timer_running: bool,
    /// Agent.
    pub agent_id: i64,
    /// Ticket display id.
    pub ticket_id: i64,
    /// Company.
    pub company_id: Option<i64>,
    /// Seconds spent.
    pub seconds: i64,
    /// Execution date.
    pub executed_at: i64,
    /// Timer start.
    pub start_time: i64,
    /// Creation time.
    pub created_at: i64,
    /// Update time.
    pub updated_at: i64,
}
