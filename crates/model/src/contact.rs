//! `Contact`: a customer who raises tickets.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::Account;
use crate::common::{Expandable, FieldMappings, RemoteData};
use crate::fields::common_model;
use crate::schema::relation;

/// A customer of the ticketing platform's owner (`ticketing.Contact`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "65c345ba-6870-4974-87ba-dd31509c367a",
    "remote_id": "19202938",
    "created_at": "2021-09-15T00:00:00Z",
    "modified_at": "2021-10-16T00:00:00Z",
    "name": "Jane Doe",
    "email_address": "jane@example.com",
    "phone_number": "+1 555 0100",
    "details": "Prefers email",
    "account": "0958cbc6-6040-430a-848e-aafacbadf4ae",
    "remote_was_deleted": false,
    "field_mappings": null,
    "remote_data": null
}))]
pub struct Contact {
    /// Merge's id of the record.
    pub id: Uuid,
    /// The third party's id.
    #[serde(default)]
    pub remote_id: Option<String>,
    /// When Deskbridge first stored the record.
    pub created_at: DateTime<Utc>,
    /// When Deskbridge last changed the record.
    pub modified_at: DateTime<Utc>,
    /// The contact's name.
    #[serde(default)]
    pub name: Option<String>,
    /// The contact's email address.
    #[serde(default)]
    pub email_address: Option<String>,
    /// The contact's phone number.
    #[serde(default)]
    pub phone_number: Option<String>,
    /// Notes about the contact.
    #[serde(default)]
    pub details: Option<String>,
    /// The account (company) the contact belongs to.
    #[serde(default)]
    #[schema(schema_with = relation::<Account>)]
    pub account: Option<Expandable<Account>>,
    /// Whether the third party deleted the record.
    pub remote_was_deleted: bool,
    /// Field-mapping targets.
    #[serde(default)]
    pub field_mappings: Option<FieldMappings>,
    /// Raw third-party data; null unless `include_remote_data=true`.
    #[serde(default)]
    pub remote_data: Option<Vec<RemoteData>>,
}

common_model!(Contact, Contact, PaginatedContactList);
