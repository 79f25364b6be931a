//! Linked-account machinery: link tokens, account tokens, account details, linked accounts,
//! available actions and remote keys (reference §4).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::common::Paginated;
use crate::enums::{
    AccountDetailsAndActionsStatusEnum, CategoriesEnum, EnabledActionsEnum, LanguageEnum,
};

/// Scope of one common model in a link-token request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CommonModelScopesBodyRequest {
    /// The model's id, e.g. `ticketing.Ticket`.
    pub model_id: String,
    /// The actions enabled on it.
    pub enabled_actions: Vec<EnabledActionsEnum>,
    /// Fields not to sync.
    pub disabled_fields: Vec<String>,
}

/// Whether an action on a model is enabled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ModelPermissionDeserializerRequest {
    /// Whether it is enabled.
    #[serde(default)]
    pub is_enabled: Option<bool>,
}

/// Which fields of a model are synced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FieldPermissionDeserializerRequest {
    /// Fields enabled.
    #[serde(default)]
    pub enabled_fields: Option<Vec<Value>>,
    /// Fields disabled.
    #[serde(default)]
    pub disabled_fields: Option<Vec<Value>>,
}

/// Scope of one common model, per category, in a link-token request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IndividualCommonModelScopeDeserializerRequest {
    /// The model's name, e.g. `Ticket`.
    pub model_name: String,
    /// Permissions by action.
    #[serde(default)]
    pub model_permissions: Option<BTreeMap<String, ModelPermissionDeserializerRequest>>,
    /// Field permissions.
    #[serde(default)]
    pub field_permissions: Option<FieldPermissionDeserializerRequest>,
}

/// Body of POST `/link-token` (Merge's `EndUserDetailsRequest`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "end_user_email_address": "example@gmail.com",
    "end_user_organization_name": "Test Organization",
    "end_user_origin_id": "12345",
    "categories": ["ticketing"],
    "integration": "freshdesk"
}))]
pub struct LinkTokenRequest {
    /// The end user's email address.
    pub end_user_email_address: String,
    /// The end user's organization.
    pub end_user_organization_name: String,
    /// Your id for the end user.
    pub end_user_origin_id: String,
    /// The categories to offer.
    pub categories: Vec<CategoriesEnum>,
    /// The integration's slug, to skip the integration picker.
    #[serde(default)]
    pub integration: Option<String>,
    /// How long the link is valid, in minutes (30–720, or 10080 for a magic link).
    #[serde(default)]
    pub link_expiry_mins: Option<i32>,
    /// Whether to create a magic-link URL.
    #[serde(default)]
    pub should_create_magic_link_url: Option<bool>,
    /// Whether to hide the admin magic link.
    #[serde(default)]
    pub hide_admin_magic_link: Option<bool>,
    /// Scopes by common model.
    #[serde(default)]
    pub common_models: Option<Vec<CommonModelScopesBodyRequest>>,
    /// Scopes by category.
    #[serde(default)]
    pub category_common_model_scopes:
        Option<BTreeMap<String, Option<Vec<IndividualCommonModelScopeDeserializerRequest>>>>,
    /// The linking flow's language.
    #[serde(default)]
    pub language: Option<LanguageEnum>,
    /// Whether syncs are disabled for the account.
    #[serde(default)]
    pub are_syncs_disabled: Option<bool>,
    /// Integration-specific configuration.
    #[serde(default)]
    pub integration_specific_config: Option<Map<String, Value>>,
}

/// Response of POST `/link-token`. Single use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "link_token": "Cs3nfUqX8Wq3d0VsQzjk0Kbn8eYhZIYydTQjoz7MwRb2CkqDnhM4zw",
    "integration_name": "Freshdesk",
    "magic_link_url": null
}))]
pub struct LinkToken {
    /// The token to open the linking flow with.
    pub link_token: String,
    /// The integration's name, if one was chosen.
    #[serde(default)]
    pub integration_name: Option<String>,
    /// The magic-link URL, if one was asked for.
    #[serde(default)]
    pub magic_link_url: Option<String>,
}

/// An integration, as described to API clients.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AccountIntegration {
    /// The integration's name, e.g. `Freshdesk`.
    pub name: String,
    /// A short name.
    #[serde(default)]
    pub abbreviated_name: Option<String>,
    /// Its categories.
    #[serde(default)]
    pub categories: Option<Vec<CategoriesEnum>>,
    /// Its logo.
    #[serde(default)]
    pub image: Option<String>,
    /// Its square logo.
    #[serde(default)]
    pub square_image: Option<String>,
    /// Its brand color, e.g. `#25C16F`.
    #[serde(default)]
    pub color: Option<String>,
    /// Its slug, e.g. `freshdesk`.
    #[serde(default)]
    pub slug: Option<String>,
    /// Documentation URLs of the third-party endpoints used.
    #[serde(default)]
    pub api_endpoints_to_documentation_urls: Option<Map<String, Value>>,
    /// How to set up the integration's webhooks.
    #[serde(default)]
    pub webhook_setup_guide_url: Option<String>,
    /// Beta status by category.
    #[serde(default)]
    pub category_beta_status: Option<Map<String, Value>>,
}

/// Response of GET `/account-token/{public_token}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AccountToken {
    /// The linked account's token (`X-Account-Token`).
    pub account_token: String,
    /// The linked integration.
    pub integration: AccountIntegration,
    /// The linked account's id.
    pub id: Uuid,
}

/// Response of POST `/account-token/regenerate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RegenerateAccountToken {
    /// The linked account's id.
    pub linked_account_id: Uuid,
    /// Its new token; the old one stops working.
    pub account_token: String,
}

/// Response of GET `/account-details`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AccountDetails {
    /// The linked account's id.
    pub id: Uuid,
    /// The integration's name.
    #[serde(default)]
    pub integration: Option<String>,
    /// The integration's slug.
    #[serde(default)]
    pub integration_slug: Option<String>,
    /// The category.
    #[serde(default)]
    pub category: Option<CategoriesEnum>,
    /// Your id for the end user.
    #[serde(default)]
    pub end_user_origin_id: Option<String>,
    /// The end user's organization.
    #[serde(default)]
    pub end_user_organization_name: Option<String>,
    /// The end user's email address.
    #[serde(default)]
    pub end_user_email_address: Option<String>,
    /// The linked account's status, e.g. `COMPLETE`.
    #[serde(default)]
    pub status: Option<String>,
    /// Where the third party's webhooks go.
    #[serde(default)]
    pub webhook_listener_url: Option<String>,
    /// Whether another linked account has the same credentials.
    #[serde(default)]
    pub is_duplicate: Option<bool>,
    /// `PRODUCTION` or `TEST`.
    #[serde(default)]
    pub account_type: Option<String>,
    /// When linking completed.
    #[serde(default)]
    pub completed_at: Option<DateTime<Utc>>,
    /// The third-party instance's id (e.g. the Freshdesk subdomain).
    #[serde(default)]
    pub instance_id: Option<String>,
    /// How to show the instance.
    #[serde(default)]
    pub instance_display_value: Option<String>,
}

/// What can be done with one model of an integration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ModelOperation {
    /// The model's name, e.g. `Ticket`.
    pub model_name: String,
    /// The operations, e.g. `FETCH`, `CREATE`.
    pub available_operations: Vec<String>,
    /// Fields required to create it.
    pub required_post_parameters: Vec<String>,
    /// Fields the integration supports.
    pub supported_fields: Vec<String>,
}

/// The integration of a linked account in `/linked-accounts`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AccountDetailsAndActionsIntegration {
    /// The integration's name.
    pub name: String,
    /// Its categories.
    pub categories: Vec<CategoriesEnum>,
    /// Its logo.
    #[serde(default)]
    pub image: Option<String>,
    /// Its square logo.
    #[serde(default)]
    pub square_image: Option<String>,
    /// Its brand color.
    pub color: String,
    /// Its slug.
    pub slug: String,
    /// Whether passthrough requests are available.
    pub passthrough_available: bool,
    /// What can be done with each model.
    #[serde(default)]
    pub available_model_operations: Option<Vec<ModelOperation>>,
}

/// A linked account, as listed by `/linked-accounts`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "0496d4c2-42e6-4072-80b3-7b69bfdc76fd",
    "category": "ticketing",
    "status": "COMPLETE",
    "status_detail": "",
    "end_user_origin_id": "12345",
    "end_user_organization_name": "Test Organization",
    "end_user_email_address": "example@gmail.com",
    "subdomain": "acme",
    "webhook_listener_url": "https://api.example.com/api/integrations/webhook-listener/7fc8d2f6",
    "is_duplicate": false,
    "integration": {
        "name": "Freshdesk",
        "categories": ["ticketing"],
        "image": null,
        "square_image": null,
        "color": "#25C16F",
        "slug": "freshdesk",
        "passthrough_available": true,
        "available_model_operations": [{
            "model_name": "Ticket",
            "available_operations": ["FETCH", "CREATE", "UPDATE"],
            "required_post_parameters": [],
            "supported_fields": ["name", "status", "priority"]
        }]
    },
    "account_type": "PRODUCTION",
    "completed_at": "2021-09-15T00:00:00Z",
    "integration_specific_fields": {}
}))]
pub struct AccountDetailsAndActions {
    /// The linked account's id.
    pub id: Uuid,
    /// The category.
    #[serde(default)]
    pub category: Option<CategoriesEnum>,
    /// The linked account's status.
    pub status: AccountDetailsAndActionsStatusEnum,
    /// More about the status.
    #[serde(default)]
    pub status_detail: Option<String>,
    /// Your id for the end user.
    #[serde(default)]
    pub end_user_origin_id: Option<String>,
    /// The end user's organization.
    pub end_user_organization_name: String,
    /// The end user's email address.
    pub end_user_email_address: String,
    /// The third party's subdomain, if any.
    #[serde(default)]
    pub subdomain: Option<String>,
    /// Where the third party's webhooks go.
    pub webhook_listener_url: String,
    /// Whether another linked account has the same credentials.
    #[serde(default)]
    pub is_duplicate: Option<bool>,
    /// The integration.
    #[serde(default)]
    pub integration: Option<AccountDetailsAndActionsIntegration>,
    /// `PRODUCTION` or `TEST`.
    pub account_type: String,
    /// When linking completed.
    pub completed_at: DateTime<Utc>,
    /// Integration-specific fields.
    #[serde(default)]
    pub integration_specific_fields: Option<Map<String, Value>>,
}

/// A page of linked accounts; schema `PaginatedAccountDetailsAndActionsList`.
pub type PaginatedAccountDetailsAndActionsList = Paginated<AccountDetailsAndActions>;

/// Response of GET `/available-actions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AvailableActions {
    /// The integration.
    pub integration: AccountIntegration,
    /// Whether passthrough requests are available.
    pub passthrough_available: bool,
    /// What can be done with each model.
    #[serde(default)]
    pub available_model_operations: Option<Vec<ModelOperation>>,
}

/// An API key (response of POST `/generate-key` and `/regenerate-key`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RemoteKey {
    /// The key's name.
    pub name: String,
    /// The key; shown only once.
    pub key: String,
}

/// Body of POST `/generate-key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct GenerateRemoteKeyRequest {
    /// The new key's name.
    pub name: String,
}

/// Body of POST `/regenerate-key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RemoteKeyForRegenerationRequest {
    /// The name of the key to regenerate.
    pub name: String,
}
