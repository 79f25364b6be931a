//! `Ticket`: the central ticketing model.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::common::{Expandable, FieldMappings, RemoteData};
use crate::enums::{EnumOrString, PriorityEnum, TicketAccessLevelEnum, TicketStatusEnum};
use crate::fields::common_model;
use crate::schema::{enum_or_string, relation, relation_list};
use crate::{Account, Attachment, Collection, Contact, Permission, RemoteField, Team, User};

/// A ticket, issue or task (`ticketing.Ticket`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "0958cbc6-6040-430a-848e-aafacbadf4ae",
    "remote_id": "19202938",
    "created_at": "2021-09-15T00:00:00Z",
    "modified_at": "2021-10-16T00:00:00Z",
    "name": "Please add more integrations",
    "assignees": ["17a54124-287f-494d-965e-3c5b330c9a68"],
    "assigned_teams": ["28b54125-287f-494d-965e-3c5b330c9a68"],
    "creator": "0358cbc6-2040-430a-848e-aafacbadf3aa",
    "due_date": "2022-10-11T00:00:00Z",
    "status": "OPEN",
    "description": "Can you please add more integrations? It'll make syncing data much easier!",
    "collections": ["563c5e6f-3b04-4a60-a3d1-7bc9e5c9c74b"],
    "ticket_type": "incident",
    "account": "0958cbc6-6040-430a-848e-aafacbadf4ae",
    "contact": "65c345ba-6870-4974-87ba-dd31509c367a",
    "parent_ticket": "75b33d04-30d2-4f3e-be45-27838bc94342",
    "attachments": ["17a54124-287f-494d-965e-3c5b330c9a68"],
    "access_level": "COMPANY",
    "permissions": [],
    "tags": ["enterprise", "other_tag"],
    "roles": ["admin"],
    "ticket_url": "https://acme.freshdesk.com/a/tickets/19202938",
    "priority": "HIGH",
    "remote_created_at": "2020-03-31T00:00:00Z",
    "remote_updated_at": "2020-03-31T00:00:00Z",
    "completed_at": null,
    "remote_was_deleted": false,
    "field_mappings": {"organization_defined_targets": {}, "linked_account_defined_targets": {}},
    "remote_data": null
}))]
pub struct Ticket {
    /// Merge's id of the record.
    pub id: Uuid,
    /// The third party's id.
    #[serde(default)]
    pub remote_id: Option<String>,
    /// When Deskbridge first stored the record.
    pub created_at: DateTime<Utc>,
    /// When Deskbridge last changed the record.
    pub modified_at: DateTime<Utc>,
    /// The ticket's subject.
    #[serde(default)]
    pub name: Option<String>,
    /// The users the ticket is assigned to.
    #[serde(default)]
    #[schema(schema_with = relation_list::<User>)]
    pub assignees: Option<Vec<Expandable<User>>>,
    /// The teams the ticket is assigned to.
    #[serde(default)]
    #[schema(schema_with = relation_list::<Team>)]
    pub assigned_teams: Option<Vec<Expandable<Team>>>,
    /// The user who created the ticket.
    #[serde(default)]
    #[schema(schema_with = relation::<User>)]
    pub creator: Option<Expandable<User>>,
    /// When the ticket is due.
    #[serde(default)]
    pub due_date: Option<DateTime<Utc>>,
    /// The ticket's status; the third party's own label under `show_enum_origins=status`.
    #[serde(default)]
    #[schema(schema_with = enum_or_string::<TicketStatusEnum>)]
    pub status: Option<EnumOrString<TicketStatusEnum>>,
    /// The ticket's description (HTML where the platform supports it).
    #[serde(default)]
    pub description: Option<String>,
    /// The collections (projects, lists) the ticket belongs to.
    #[serde(default)]
    #[schema(schema_with = relation_list::<Collection>)]
    pub collections: Option<Vec<Expandable<Collection>>>,
    /// The third party's ticket type.
    #[serde(default)]
    pub ticket_type: Option<String>,
    /// The account the ticket belongs to.
    #[serde(default)]
    #[schema(schema_with = relation::<Account>)]
    pub account: Option<Expandable<Account>>,
    /// The contact who raised the ticket.
    #[serde(default)]
    #[schema(schema_with = relation::<Contact>)]
    pub contact: Option<Expandable<Contact>>,
    /// The parent ticket.
    #[serde(default)]
    #[schema(schema_with = relation::<Ticket>)]
    pub parent_ticket: Option<Expandable<Ticket>>,
    /// The ticket's attachments.
    #[serde(default)]
    #[schema(schema_with = relation_list::<Attachment>)]
    pub attachments: Option<Vec<Expandable<Attachment>>>,
    /// Who can see the ticket.
    #[serde(default)]
    pub access_level: Option<TicketAccessLevelEnum>,
    /// The ticket's permissions.
    #[serde(default)]
    pub permissions: Option<Vec<Permission>>,
    /// The ticket's tags (names).
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    /// The roles that can see the ticket.
    #[serde(default)]
    pub roles: Option<Vec<String>>,
    /// The ticket's URL in the third party's UI.
    #[serde(default)]
    pub ticket_url: Option<String>,
    /// The ticket's priority; the third party's own label under `show_enum_origins=priority`.
    #[serde(default)]
    #[schema(schema_with = enum_or_string::<PriorityEnum>)]
    pub priority: Option<EnumOrString<PriorityEnum>>,
    /// When the third party created the ticket.
    #[serde(default)]
    pub remote_created_at: Option<DateTime<Utc>>,
    /// When the third party last updated the ticket.
    #[serde(default)]
    pub remote_updated_at: Option<DateTime<Utc>>,
    /// When the ticket was completed.
    #[serde(default)]
    pub completed_at: Option<DateTime<Utc>>,
    /// Whether the third party deleted the record.
    pub remote_was_deleted: bool,
    /// Field-mapping targets.
    #[serde(default)]
    pub field_mappings: Option<FieldMappings>,
    /// Raw third-party data; null unless `include_remote_data=true`.
    #[serde(default)]
    pub remote_data: Option<Vec<RemoteData>>,
    /// Custom fields; present only with `include_remote_fields=true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_fields: Option<Vec<RemoteField>>,
}

common_model!(Ticket, Ticket, PaginatedTicketList);
