//! Remote field classes: the ids and Merge shape of an account's custom ticket fields, shared
//! by the read routes (`/tickets/remote-field-classes`, `remote_fields`) and the write `/meta`.

use deskbridge_model::{ModelKind, record_id};
use serde_json::{Value, json};
use uuid::Uuid;

/// The id of a custom field's remote field class.
pub fn remote_field_class_id(linked_account: Uuid, name: &str) -> Uuid {
    record_id(
        linked_account,
        ModelKind::Ticket,
        &format!("remote-field-class:{name}"),
    )
}

/// Merge's field type and format of a Freshdesk custom field type.
fn field_type(t: &str) -> (&'static str, &'static str) {
    match t {
        "custom_checkbox" => ("bool", "bool"),
        "custom_number" | "custom_decimal" => ("number", "number"),
        "custom_date" => ("date", "date"),
        _ => ("string", "string"),
    }
}

/// The account's ticket custom fields as Merge remote field classes.
pub fn remote_field_classes(linked_account: Uuid, ticket_fields: Option<&Value>) -> Vec<Value> {
    let mut out = Vec::new();
    for f in ticket_fields
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let kind = f["type"].as_str().unwrap_or_default();
        let custom =
            f["default"] == json!(false) || kind.starts_with("custom_") || kind == "nested_field";
        if !custom {
            continue;
        }
        let Some(name) = f["name"].as_str() else {
            continue;
        };
        let (ft, ff) = field_type(kind);
        let choices: Vec<Value> = match &f["choices"] {
            Value::Array(a) => a.iter().map(|c| json!({"value": c, "display_name": c.as_str().map(String::from).unwrap_or_else(|| c.to_string())})).collect(),
            Value::Object(m) => m.keys().map(|k| json!({"value": k, "display_name": k})).collect(),
            _ => Vec::new(),
        };
        out.push(json!({
            "id": remote_field_class_id(linked_account, name).to_string(),
            "display_name": f["label"],
            "remote_key_name": name,
            "description": f["description"],
            "is_custom": true,
            "is_common_model_field": false,
            "is_required": f["required_for_agents"].as_bool().unwrap_or(false),
            "field_type": ft,
            "field_format": ff,
            "field_choices": choices,
            "item_schema": null,
        }));
    }
    out
}
