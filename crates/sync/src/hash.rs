//! Content hashes: what counts as a change of a record.

use deskbridge_provider::NormalizedRecord;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Removes volatile keys anywhere in a JSON value.
fn strip(v: &Value, volatile: &[&str]) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !volatile.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), strip(v, volatile)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|v| strip(v, volatile)).collect()),
        other => other.clone(),
    }
}

/// SHA-256 over the record's fields, raw data and deletion flag, volatile values left out.
pub fn content_hash(r: &NormalizedRecord) -> Vec<u8> {
    let fields = strip(&Value::Object(r.fields.clone()), r.volatile_keys);
    let raw = strip(&Value::Array(r.remote_data.clone()), r.volatile_keys);
    let mut h = Sha256::new();
    h.update(fields.to_string().as_bytes());
    h.update([0u8]);
    h.update(raw.to_string().as_bytes());
    h.update([u8::from(r.remote_was_deleted)]);
    h.finalize().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use deskbridge_model::ModelKind;
    use serde_json::json;

    fn rec(url: &str) -> NormalizedRecord {
        let fields = json!({"file_name": "a.txt", "file_url": url});
        NormalizedRecord {
            kind: ModelKind::Attachment,
            remote_id: "1".into(),
            fields: fields.as_object().cloned().unwrap_or_default(),
            remote_data: vec![json!({"path": "/x", "data": {"attachment_url": url, "size": 3}})],
            volatile_keys: &["file_url", "attachment_url"],
            refs: vec![],
            remote_was_deleted: false,
        }
    }

    #[test]
    fn volatile_values_do_not_count() {
        assert_eq!(
            content_hash(&rec("https://a?sig=1")),
            content_hash(&rec("https://a?sig=2"))
        );
        let mut other = rec("https://a?sig=1");
        other.fields.insert("file_name".into(), json!("b.txt"));
        assert_ne!(content_hash(&rec("https://a?sig=1")), content_hash(&other));
    }
}
