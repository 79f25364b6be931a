//! Schema plumbing of the validator: JSON pointers, media types, and the normalisation that
//! closes objects and turns OpenAPI 3.0's `nullable` into its 3.1 form before compiling.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::pointer_token;

/// Percent-encodes what a URI fragment may not hold (`{id}` in path templates).
pub(super) fn fragment_encode(pointer: &str) -> String {
    let mut out = String::with_capacity(pointer.len());
    for b in pointer.bytes() {
        if b.is_ascii_alphanumeric() || b"#/~-._!$&'()*+,;=:@?".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub(super) fn is_json(media: &str) -> bool {
    media == "application/json" || media.ends_with("+json")
}

/// Whether a documented media range (`text/*`, `*/*`, `application/json`) covers `actual`.
pub(super) fn media_matches(documented: &str, actual: &str) -> bool {
    let documented = documented
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if documented == "*/*" || documented == actual {
        return true;
    }
    match documented.strip_suffix("/*") {
        Some(kind) => actual.split('/').next() == Some(kind),
        None => false,
    }
}

/// `$ref`s and inline schemas that are `allOf` members: closing those would reject the
/// properties their siblings add.
pub(super) fn all_of_members(v: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    fn walk(v: &Value, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(o) => {
                if let Some(Value::Array(items)) = o.get("allOf") {
                    for item in items {
                        if let Some(r) = item.get("$ref").and_then(Value::as_str) {
                            out.insert(r.to_string());
                        }
                    }
                }
                o.values().for_each(|x| walk(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    walk(v, &mut out);
    out
}

/// Converts OpenAPI 3.0 `nullable: true` into 3.1 forms and closes objects (`properties`
/// without `additionalProperties` get `additionalProperties: false`), except `allOf` members.
pub(super) fn normalize(v: &mut Value, no_close: &BTreeSet<String>, pointer: &str) {
    match v {
        Value::Object(o) => {
            let in_all_of = no_close.contains(pointer);
            nullable_to_31(o);
            if !in_all_of
                && o.get("properties").is_some_and(Value::is_object)
                && !o.contains_key("additionalProperties")
                && !o.contains_key("unevaluatedProperties")
            {
                o.insert("additionalProperties".into(), Value::Bool(false));
            }
            for (k, child) in o.iter_mut() {
                if k == "allOf" {
                    // Inline members of allOf stay open.
                    if let Value::Array(items) = child {
                        for (i, item) in items.iter_mut().enumerate() {
                            let p = format!("{pointer}/allOf/{i}");
                            let mut set = no_close.clone();
                            set.insert(p.clone());
                            normalize(item, &set, &p);
                        }
                    }
                    continue;
                }
                // A property map: every value is a schema, whatever its name.
                if matches!(k.as_str(), "properties" | "patternProperties" | "$defs") {
                    if let Value::Object(props) = child {
                        for (name, schema) in props.iter_mut() {
                            let p = format!("{pointer}/{k}/{}", pointer_token(name));
                            normalize(schema, no_close, &p);
                        }
                    }
                    continue;
                }
                // Examples and defaults are data, not schemas.
                if matches!(
                    k.as_str(),
                    "example" | "examples" | "default" | "enum" | "const"
                ) {
                    continue;
                }
                let p = format!("{pointer}/{}", pointer_token(k));
                normalize(child, no_close, &p);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter_mut().enumerate() {
                normalize(x, no_close, &format!("{pointer}/{i}"));
            }
        }
        _ => {}
    }
}

pub(super) fn nullable_to_31(o: &mut Map<String, Value>) {
    if o.remove("nullable") != Some(Value::Bool(true)) {
        return;
    }
    match o.get_mut("type") {
        Some(Value::String(t)) => {
            let t = t.clone();
            o.insert("type".into(), json!([t, "null"]));
        }
        Some(Value::Array(types)) => {
            if !types.iter().any(|t| t == "null") {
                types.push(json!("null"));
            }
        }
        _ => {
            // No type (a `$ref`, `allOf`, …): accept null besides the schema.
            let inner: Map<String, Value> = std::mem::take(o);
            o.insert(
                "anyOf".into(),
                json!([Value::Object(inner), {"type": "null"}]),
            );
        }
    }
    if let Some(Value::Array(values)) = o.get_mut("enum")
        && !values.contains(&Value::Null)
    {
        values.push(Value::Null);
    }
}
