//! Deskbridge extensions (not Merge's): linking an account directly with its credentials,
//! instead of through Merge Link's UI.
//!
//! Unlike Merge's bodies these reject unknown fields, so a mistyped credential key is an error
//! rather than a silently failing link.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::json;
use serde_json::{Map, Value};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

use crate::linking::AccountDetailsAndActions;

/// A linked account's credentials: an object whose fields the chosen integration defines
/// (its credential fields, listed per integration in the spec). Values are never printed.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IntegrationCredentials(pub Map<String, Value>);

/// Without a registry the schema is an open object; the API replaces it with a `oneOf` of
/// each offered integration's fields (`deskbridge_api::openapi_for`).
impl PartialSchema for IntegrationCredentials {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(
                "The credentials of the integration named by `integration`.",
            ))
            .additional_properties(Some(ObjectBuilder::new().schema_type(Type::String)))
            .examples([json!({"domain": "acme", "api_key": "abcdefghij1234567890"})])
            .into()
    }
}

impl ToSchema for IntegrationCredentials {}

impl fmt::Debug for IntegrationCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_map();
        for k in self.0.keys() {
            d.entry(k, &"<redacted>");
        }
        d.finish()
    }
}

/// Body of Deskbridge's account-linking endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "integration": "freshdesk",
    "end_user_origin_id": "12345",
    "end_user_organization_name": "Test Organization",
    "end_user_email_address": "example@gmail.com",
    "credentials": {"domain": "acme", "api_key": "abcdefghij1234567890"}
}))]
pub struct LinkAccountRequest {
    /// The integration's slug, e.g. `freshdesk`.
    pub integration: String,
    /// Your id for the end user.
    pub end_user_origin_id: String,
    /// The end user's organization.
    pub end_user_organization_name: String,
    /// The end user's email address.
    pub end_user_email_address: String,
    /// The third party's credentials, with the fields of `integration`.
    pub credentials: IntegrationCredentials,
}

/// Response of Deskbridge's account-linking endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LinkAccountResponse {
    /// The new linked account's token (`X-Account-Token`).
    pub account_token: String,
    /// The new linked account.
    pub linked_account: AccountDetailsAndActions,
}
