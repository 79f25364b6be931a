//! Reading the account's `ticket_fields` (kept as metadata by every sync) for reads: the
//! labels of status and priority codes (`show_enum_origins`), and the custom fields as Merge
//! remote field classes.

use deskbridge_provider::RemoteFieldClassDef;
use serde_json::{Map, Value, json};

/// The metadata key the listing is kept under.
pub const KEY: &str = "ticket_fields";

fn listing(metadata: &Map<String, Value>) -> Option<&Vec<Value>> {
    metadata.get(KEY).and_then(Value::as_array)
}

/// Freshdesk's label of a status code, from the account's `ticket_fields` (the defaults when
/// the listing has none).
pub fn status_label(metadata: &Map<String, Value>, code: &Value) -> Option<String> {
    let code = code.as_i64()?.to_string();
    let from_meta = listing(metadata)
        .and_then(|a| a.iter().find(|f| f["name"] == "status"))
        .and_then(|f| f["choices"].get(&code))
        .and_then(|c| c.get(0).or(Some(c)))
        .and_then(|v| v.as_str().map(String::from));
    from_meta.or_else(|| {
        match code.as_str() {
            "2" => Some("Open"),
            "3" => Some("Pending"),
            "4" => Some("Resolved"),
            "5" => Some("Closed"),
            _ => None,
        }
        .map(String::from)
    })
}

/// Freshdesk's label of a priority code, from the account's `ticket_fields`.
pub fn priority_label(metadata: &Map<String, Value>, code: &Value) -> Option<String> {
    let n = code.as_i64()?;
    let from_meta = listing(metadata)
        .and_then(|a| a.iter().find(|f| f["name"] == "priority"))
        .and_then(|f| f["choices"].as_object())
        .and_then(|c| {
            c.iter()
                .find(|(_, v)| v.as_i64() == Some(n))
                .map(|(k, _)| k.clone())
        });
    from_meta.or_else(|| {
        ["Low", "Medium", "High", "Urgent"]
            .get(usize::try_from(n - 1).ok()?)
            .map(|s| s.to_string())
    })
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

/// The account's ticket custom fields as remote field classes.
pub fn remote_field_classes(metadata: &Map<String, Value>) -> Vec<RemoteFieldClassDef> {
    let mut out = Vec::new();
    for f in listing(metadata).into_iter().flatten() {
        let kind = f["type"].as_str().unwrap_or_default();
        let custom =
            f["default"] == json!(false) || kind.starts_with("custom_") || kind == "nested_field";
        if !custom {
            continue;
        }
        let Some(name) = f["name"].as_str() else {
            continue;
        };
        let (field_type, field_format) = field_type(kind);
        let choices = match &f["choices"] {
            Value::Array(a) => a
                .iter()
                .map(|c| {
                    let shown = c
                        .as_str()
                        .map(String::from)
                        .unwrap_or_else(|| c.to_string());
                    (c.clone(), shown)
                })
                .collect(),
            Value::Object(m) => m.keys().map(|k| (json!(k), k.clone())).collect(),
            _ => Vec::new(),
        };
        out.push(RemoteFieldClassDef {
            remote_key_name: name.to_string(),
            display_name: f["label"].clone(),
            description: f["description"].clone(),
            is_required: f["required_for_agents"].as_bool().unwrap_or(false),
            field_type,
            field_format,
            choices,
        });
    }
    out
}

/// A ticket's custom field values from its raw data.
pub fn custom_field_values(raw: &Value) -> Vec<(String, Value)> {
    raw["custom_fields"]
        .as_object()
        .map(|cf| cf.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}
