//! The one reader of Freshdesk's `ticket_fields` listing (kept as metadata by every sync):
//! the listing and one field of it, the status labels (for the adapter's own status mapping,
//! the write bodies and schemas, and `show_enum_origins`), the priority labels, and the custom
//! fields as Merge remote field classes.

use deskbridge_provider::RemoteFieldClassDef;
use serde_json::{Map, Value, json};

/// The metadata key the listing is kept under.
pub const KEY: &str = "ticket_fields";

/// The listing kept in an account's metadata (empty when none was kept yet).
pub fn listing(metadata: &Map<String, Value>) -> &[Value] {
    metadata
        .get(KEY)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// The field called `name` in a listing.
pub fn field<'a>(fields: &'a [Value], name: &str) -> Option<&'a Value> {
    fields
        .iter()
        .find(|f| f.get("name").and_then(Value::as_str) == Some(name))
}

/// The status labels of `GET /ticket_fields` (`status.choices`: `{"2": ["Open", "…"]}`),
/// agent label first.
pub fn status_labels(fields: &[Value]) -> Vec<(i64, String)> {
    let mut out = Vec::new();
    for field in fields {
        let is_status = field.get("name").and_then(Value::as_str) == Some("status")
            || field.get("type").and_then(Value::as_str) == Some("default_status");
        if !is_status {
            continue;
        }
        if let Some(choices) = field.get("choices").and_then(Value::as_object) {
            for (code, labels) in choices {
                let Ok(code) = code.parse::<i64>() else {
                    continue;
                };
                let label = match labels {
                    Value::Array(l) => l.first().and_then(Value::as_str),
                    Value::String(s) => Some(s.as_str()),
                    _ => None,
                };
                if let Some(label) = label {
                    out.push((code, label.to_string()));
                }
            }
        }
    }
    out
}

/// Freshdesk's label of a status code, from the account's `ticket_fields` (the defaults when
/// the listing has none).
pub fn status_label(metadata: &Map<String, Value>, code: &Value) -> Option<String> {
    let code = code.as_i64()?;
    let from_meta = field(listing(metadata), "status")
        .map(|f| status_labels(std::slice::from_ref(f)))
        .and_then(|labels| labels.into_iter().find(|(c, _)| *c == code))
        .map(|(_, label)| label);
    from_meta.or_else(|| crate::mapping::default_status_label(code).map(String::from))
}

/// Freshdesk's label of a priority code, from the account's `ticket_fields`.
pub fn priority_label(metadata: &Map<String, Value>, code: &Value) -> Option<String> {
    let n = code.as_i64()?;
    let from_meta = field(listing(metadata), "priority")
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
    for f in listing(metadata) {
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
