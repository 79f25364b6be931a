//! Remote field classes: the ids and Merge shape of an account's custom ticket fields, shared
//! by the read routes (`/tickets/remote-field-classes`, `remote_fields`) and the write `/meta`.
//! The fields themselves are described by the account's integration from its stored metadata.

use deskbridge_model::{ModelKind, record_id};
use deskbridge_store::LinkedAccountId;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::state::AppState;

/// The id of a custom field's remote field class.
pub fn remote_field_class_id(linked_account: LinkedAccountId, name: &str) -> Uuid {
    record_id(
        linked_account.as_uuid(),
        ModelKind::Ticket,
        &format!("remote-field-class:{name}"),
    )
}

/// The account's ticket custom fields as Merge remote field classes, described by its
/// integration from the account's stored metadata.
pub fn remote_field_classes(
    state: &AppState,
    linked_account: LinkedAccountId,
    integration: &str,
    metadata: &Map<String, Value>,
) -> Vec<Value> {
    let Some(i) = state.providers.get(integration) else {
        return Vec::new();
    };
    i.remote_field_classes(metadata)
        .into_iter()
        .map(|c| {
            let choices: Vec<Value> = c
                .choices
                .into_iter()
                .map(|(value, shown)| json!({"value": value, "display_name": shown}))
                .collect();
            json!({
                "id": remote_field_class_id(linked_account, &c.remote_key_name).to_string(),
                "display_name": c.display_name,
                "remote_key_name": c.remote_key_name,
                "description": c.description,
                "is_custom": true,
                "is_common_model_field": false,
                "is_required": c.is_required,
                "field_type": c.field_type,
                "field_format": c.field_format,
                "field_choices": choices,
                "item_schema": null,
            })
        })
        .collect()
}
