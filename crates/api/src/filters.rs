//! Each model's own query parameters, parsed into store filters with clear 400s.

use std::marker::PhantomData;

use deskbridge_store::records::FieldFilter;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use utoipa::IntoParams;

use crate::error::{ApiError, ApiResult};
use crate::params::{self, FromQuery};

/// A model's own query parameters (as sent), which become store filters.
pub trait FilterParams: DeserializeOwned + Send {
    /// The store filters, or a 400 naming the first bad value.
    fn filters(&self) -> ApiResult<Vec<FieldFilter>>;
}

/// A model's own filters, parsed at the edge from the parameters `F`.
#[derive(Debug)]
pub struct Filters<F>(pub Vec<FieldFilter>, pub PhantomData<F>);

impl<F: FilterParams> FromQuery for Filters<F> {
    type Raw = F;

    fn parse(raw: F) -> Result<Self, ApiError> {
        raw.filters().map(|f| Filters(f, PhantomData))
    }
}

/// The ticket list's own parameters, parsed: store filters and display options.
#[derive(Debug)]
pub struct TicketQuery {
    /// The store filters.
    pub filters: Vec<FieldFilter>,
    /// How to show each ticket.
    pub display: TicketDisplay,
}

impl FromQuery for TicketQuery {
    type Raw = TicketFilters;

    fn parse(raw: TicketFilters) -> Result<Self, ApiError> {
        let (filters, display) = raw.filters_and_display()?;
        Ok(TicketQuery { filters, display })
    }
}

/// Allowed ticket statuses (Merge's `TicketStatusEnum`, plus the empty string).
pub const STATUSES: &[&str] = &["OPEN", "CLOSED", "IN_PROGRESS", "ON_HOLD", ""];
/// Allowed priorities.
pub const PRIORITIES: &[&str] = &["HIGH", "LOW", "NORMAL", "URGENT"];
/// Fields `show_enum_origins` and `remote_fields` accept.
pub const ENUM_FIELDS: &[&str] = &["priority", "status", "ticket_type"];

/// Ticket filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TicketFilters {
    /// Only tickets with this status (OPEN, CLOSED, IN_PROGRESS, ON_HOLD).
    pub status: Option<String>,
    /// Only tickets with this priority (HIGH, LOW, NORMAL, URGENT).
    pub priority: Option<String>,
    /// Only tickets of this account (UUID).
    #[param(value_type = Option<uuid::Uuid>)]
    pub account_id: Option<String>,
    /// Only tickets of this contact (UUID).
    #[param(value_type = Option<uuid::Uuid>)]
    pub contact_id: Option<String>,
    /// Only tickets assigned to any of these users (comma-separated UUIDs).
    pub assignee_ids: Option<String>,
    /// Only tickets created by this user (UUID).
    #[param(value_type = Option<uuid::Uuid>)]
    pub creator_id: Option<String>,
    /// Only tickets created by any of these users (comma-separated UUIDs).
    pub creator_ids: Option<String>,
    /// Only tickets in any of these collections (comma-separated UUIDs).
    pub collection_ids: Option<String>,
    /// Only tickets with any of these tags (comma-separated).
    pub tags: Option<String>,
    /// Only tickets of this type.
    pub ticket_type: Option<String>,
    /// Only tickets with this name.
    pub name: Option<String>,
    /// Only tickets with this parent ticket (UUID).
    #[param(value_type = Option<uuid::Uuid>)]
    pub parent_ticket_id: Option<String>,
    /// Only tickets with any of these remote ids (comma-separated).
    pub remote_ids: Option<String>,
    /// Only tickets due after.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    pub due_after: Option<String>,
    /// Only tickets due before.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    pub due_before: Option<String>,
    /// Only tickets completed after.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    pub completed_after: Option<String>,
    /// Only tickets completed before.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    pub completed_before: Option<String>,
    /// Only tickets created in the third party after.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    pub remote_created_after: Option<String>,
    /// Only tickets created in the third party before.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    pub remote_created_before: Option<String>,
    /// Only tickets updated in the third party after.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    pub remote_updated_after: Option<String>,
    /// Only tickets updated in the third party before.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    pub remote_updated_before: Option<String>,
    /// Only tickets whose URL contains this text.
    pub ticket_url: Option<String>,
    /// Show the third party's own values for these enum fields (comma-separated subset of priority, status, ticket_type).
    pub show_enum_origins: Option<String>,
    /// Deprecated alias of `show_enum_origins`.
    pub remote_fields: Option<String>,
    /// Include `remote_fields` (the ticket's custom fields).
    #[param(value_type = Option<bool>)]
    pub include_remote_fields: Option<String>,
}

/// Display options of tickets parsed from [`TicketFilters`] (list) or retrieve parameters.
#[derive(Debug, Default, Clone)]
pub struct TicketDisplay {
    /// Enum fields to show with the provider's own values.
    pub enum_origins: Vec<String>,
    /// Include custom fields.
    pub remote_fields: bool,
}

impl TicketFilters {
    /// The store filters and display options.
    fn filters_and_display(&self) -> ApiResult<(Vec<FieldFilter>, TicketDisplay)> {
        let mut f = Vec::new();
        if let Some(s) = params::choice("status", &self.status, STATUSES)?.filter(|s| !s.is_empty())
        {
            f.push(FieldFilter::Eq("status", s));
        }
        if let Some(p) = params::choice("priority", &self.priority, PRIORITIES)? {
            f.push(FieldFilter::Eq("priority", p));
        }
        if let Some(id) = params::uuid("account_id", &self.account_id)? {
            f.push(FieldFilter::Eq("account", id.to_string()));
        }
        if let Some(id) = params::uuid("contact_id", &self.contact_id)? {
            f.push(FieldFilter::Eq("contact", id.to_string()));
        }
        if let Some(ids) = params::uuid_csv("assignee_ids", &self.assignee_ids)? {
            f.push(FieldFilter::ArrayHasAny("assignees", ids));
        }
        if let Some(id) = params::uuid("creator_id", &self.creator_id)? {
            f.push(FieldFilter::Eq("creator", id.to_string()));
        }
        if let Some(ids) = params::uuid_csv("creator_ids", &self.creator_ids)? {
            f.push(FieldFilter::In("creator", ids));
        }
        if let Some(ids) = params::uuid_csv("collection_ids", &self.collection_ids)? {
            f.push(FieldFilter::ArrayHasAny("collections", ids));
        }
        if let Some(tags) = params::csv(&self.tags) {
            f.push(FieldFilter::ArrayHasAny("tags", tags));
        }
        if let Some(t) = self.ticket_type.clone().filter(|t| !t.is_empty()) {
            f.push(FieldFilter::Eq("ticket_type", t));
        }
        if let Some(n) = self.name.clone().filter(|t| !t.is_empty()) {
            f.push(FieldFilter::Eq("name", n));
        }
        if let Some(id) = params::uuid("parent_ticket_id", &self.parent_ticket_id)? {
            f.push(FieldFilter::Eq("parent_ticket", id.to_string()));
        }
        if let Some(ids) = params::csv(&self.remote_ids) {
            f.push(FieldFilter::RemoteIdIn(ids));
        }
        let times: [(&str, &Option<String>, &'static str, bool); 8] = [
            ("due_after", &self.due_after, "due_date", true),
            ("due_before", &self.due_before, "due_date", false),
            (
                "completed_after",
                &self.completed_after,
                "completed_at",
                true,
            ),
            (
                "completed_before",
                &self.completed_before,
                "completed_at",
                false,
            ),
            (
                "remote_created_after",
                &self.remote_created_after,
                "remote_created_at",
                true,
            ),
            (
                "remote_created_before",
                &self.remote_created_before,
                "remote_created_at",
                false,
            ),
            (
                "remote_updated_after",
                &self.remote_updated_after,
                "remote_updated_at",
                true,
            ),
            (
                "remote_updated_before",
                &self.remote_updated_before,
                "remote_updated_at",
                false,
            ),
        ];
        for (name, v, field, after) in times {
            if let Some(t) = params::datetime(name, v)? {
                f.push(if after {
                    FieldFilter::TimeAfter(field, t)
                } else {
                    FieldFilter::TimeBefore(field, t)
                });
            }
        }
        if let Some(u) = self.ticket_url.clone().filter(|t| !t.is_empty()) {
            f.push(FieldFilter::Contains("ticket_url", u));
        }
        let mut enum_origins =
            params::choices("show_enum_origins", &self.show_enum_origins, ENUM_FIELDS)?;
        enum_origins.extend(params::choices(
            "remote_fields",
            &self.remote_fields,
            ENUM_FIELDS,
        )?);
        let display = TicketDisplay {
            enum_origins,
            remote_fields: params::boolean("include_remote_fields", &self.include_remote_fields)?,
        };
        Ok((f, display))
    }
}

/// Comment and attachment filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TicketChildFilters {
    /// Only records of this ticket (UUID).
    #[param(value_type = Option<uuid::Uuid>)]
    pub ticket_id: Option<String>,
    /// Only records created in the third party after.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    pub remote_created_after: Option<String>,
}

impl FilterParams for TicketChildFilters {
    fn filters(&self) -> ApiResult<Vec<FieldFilter>> {
        let mut f = Vec::new();
        if let Some(id) = params::uuid("ticket_id", &self.ticket_id)? {
            f.push(FieldFilter::Eq("ticket", id.to_string()));
        }
        if let Some(t) = params::datetime("remote_created_after", &self.remote_created_after)? {
            f.push(FieldFilter::TimeAfter("remote_created_at", t));
        }
        Ok(f)
    }
}

/// User filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserFilters {
    /// Only users with this email address (case-insensitive).
    pub email_address: Option<String>,
    /// Only users in this team (UUID).
    #[param(value_type = Option<uuid::Uuid>)]
    pub team: Option<String>,
    /// Only users in any of these teams (comma-separated UUIDs).
    pub teams: Option<String>,
    /// Only users with any of these roles (comma-separated UUIDs).
    pub roles: Option<String>,
}

impl FilterParams for UserFilters {
    fn filters(&self) -> ApiResult<Vec<FieldFilter>> {
        let mut f = Vec::new();
        if let Some(e) = self.email_address.clone().filter(|e| !e.is_empty()) {
            f.push(FieldFilter::EqIgnoreCase("email_address", e));
        }
        if let Some(id) = params::uuid("team", &self.team)? {
            f.push(FieldFilter::ArrayHasAny("teams", vec![id.to_string()]));
        }
        if let Some(ids) = params::uuid_csv("teams", &self.teams)? {
            f.push(FieldFilter::ArrayHasAny("teams", ids));
        }
        if let Some(ids) = params::uuid_csv("roles", &self.roles)? {
            f.push(FieldFilter::ArrayHasAny("roles", ids));
        }
        Ok(f)
    }
}

/// Contact filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContactFilters {
    /// Only contacts with this email address (case-insensitive).
    pub email_address: Option<String>,
}

impl FilterParams for ContactFilters {
    fn filters(&self) -> ApiResult<Vec<FieldFilter>> {
        Ok(self
            .email_address
            .clone()
            .filter(|e| !e.is_empty())
            .map(|e| vec![FieldFilter::EqIgnoreCase("email_address", e)])
            .unwrap_or_default())
    }
}

/// Collection filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CollectionFilters {
    /// Only collections of this type (LIST, PROJECT).
    pub collection_type: Option<String>,
    /// Only collections with this parent (UUID).
    #[param(value_type = Option<uuid::Uuid>)]
    pub parent_collection_id: Option<String>,
    /// Only collections with this name.
    pub name: Option<String>,
}

impl FilterParams for CollectionFilters {
    fn filters(&self) -> ApiResult<Vec<FieldFilter>> {
        let mut f = Vec::new();
        if let Some(t) = params::choice(
            "collection_type",
            &self.collection_type,
            &["LIST", "PROJECT", ""],
        )?
        .filter(|t| !t.is_empty())
        {
            f.push(FieldFilter::Eq("collection_type", t));
        }
        if let Some(id) = params::uuid("parent_collection_id", &self.parent_collection_id)? {
            f.push(FieldFilter::Eq("parent_collection", id.to_string()));
        }
        if let Some(n) = self.name.clone().filter(|n| !n.is_empty()) {
            f.push(FieldFilter::Eq("name", n));
        }
        Ok(f)
    }
}
