//! Merge's remote field classes of a Zendesk account, from its stored `ticket_fields`
//! metadata, keyed like [`crate::ticket_custom_fields`] (the field id) so that a ticket's
//! `remote_fields` and the classes agree.

use deskbridge_provider::RemoteFieldClassDef;
use serde_json::{Map, Value, json};

use crate::fields::id_string;

/// Merge's `(field_type, field_format)` of a Zendesk field `type`. Both come from Merge's
/// closed lists (`string`, `number`, `date`, `datetime`, `bool`, `list`): a drop-down is a
/// string with `field_choices`, a multi-select a list of them (as for Freshdesk's drop-downs).
fn field_type(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "integer" | "decimal" => ("number", "number"),
        "checkbox" => ("bool", "bool"),
        "date" => ("date", "date"),
        "multiselect" => ("list", "list"),
        _ => ("string", "string"),
    }
}

/// The account's custom ticket fields (Zendesk marks them `removable`; system fields such as
/// status or priority are not) as remote field classes.
pub fn remote_field_classes(metadata: &Map<String, Value>) -> Vec<RemoteFieldClassDef> {
    let Some(fields) = metadata.get("ticket_fields").and_then(Value::as_array) else {
        return Vec::new();
    };
    fields
        .iter()
        .filter(|f| f["removable"] == json!(true))
        .filter_map(|f| {
            let id = id_string(&f["id"])?;
            let (field_type, field_format) = field_type(f["type"].as_str().unwrap_or_default());
            let choices = f["custom_field_options"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|o| {
                    let name = o["name"].as_str().unwrap_or_default().to_string();
                    (o["value"].clone(), name)
                })
                .collect();
            Some(RemoteFieldClassDef {
                remote_key_name: id,
                display_name: f["title"].clone(),
                description: f["description"].clone(),
                is_required: f["required"].as_bool().unwrap_or(false),
                field_type,
                field_format,
                choices,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_custom_fields_become_classes_keyed_by_id() {
        let md = json!({"ticket_fields": [
            {"id": 1, "type": "status", "title": "Status", "removable": false},
            {"id": 360001, "type": "tagger", "title": "Region", "description": "Where",
             "required": true, "removable": true,
             "custom_field_options": [{"id": 9, "name": "Europe", "value": "eu"}]}
        ]});
        let classes = remote_field_classes(md.as_object().expect("object"));
        assert_eq!(classes.len(), 1);
        assert_eq!(classes[0].remote_key_name, "360001");
        assert_eq!(
            (classes[0].field_type, classes[0].field_format),
            ("string", "string")
        );
        assert!(classes[0].is_required);
        assert_eq!(
            classes[0].choices,
            vec![(json!("eu"), "Europe".to_string())]
        );
    }
}
