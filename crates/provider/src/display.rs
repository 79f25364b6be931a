//! What an integration derives for reads from a ticket's raw data and the account's stored
//! metadata: Merge's `show_enum_origins` labels, remote fields and remote field classes. The
//! API asks the integration, so that only the adapter knows its helpdesk's raw shapes.

use serde_json::Value;

/// A ticket custom field of an account, described for Merge's `RemoteFieldClass` (the API
/// gives it its id, stable per linked account and `remote_key_name`).
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteFieldClassDef {
    /// The provider's field key, e.g. `cf_region`.
    pub remote_key_name: String,
    /// The label shown in the helpdesk.
    pub display_name: Value,
    /// The helpdesk's description of the field.
    pub description: Value,
    /// Whether agents must fill it.
    pub is_required: bool,
    /// Merge's `field_type` (`string`, `bool`, `number`, `date`, …).
    pub field_type: &'static str,
    /// Merge's `field_format`.
    pub field_format: &'static str,
    /// The choices, as `(value, display name)`.
    pub choices: Vec<(Value, String)>,
}
