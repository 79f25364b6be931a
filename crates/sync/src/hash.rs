//! Content hashes: what counts as a change of a record.
//!
//! The hash is SHA-256 over the compact JSON text of the record's fields and of its raw data,
//! volatile keys left out at any depth. The text is streamed into the hasher straight from
//! the record's fields and from the raw data's text (no stripped copy, no tree, no
//! intermediate string): a sync hashes every record it reads, so this sits on the ingestion
//! hot path. The bytes hashed are exactly those of `serde_json::to_string` of the stripped
//! values, so hashes stored by earlier versions stay valid (a changed hash would count every
//! record as changed once). One difference is deliberate: an object with a duplicate key
//! (which no helpdesk sends) hashes both members, where a parsed `Value` kept the last.

use std::io::Write;

use deskbridge_provider::NormalizedRecord;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::transcode::Transcode;

/// A JSON value serialised without the volatile keys of its objects (at any depth).
struct Stripped<'a> {
    value: &'a Value,
    volatile: &'a [&'a str],
}

impl Serialize for Stripped<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.value {
            Value::Object(m) => StrippedMap {
                map: m,
                volatile: self.volatile,
            }
            .serialize(s),
            Value::Array(a) => s.collect_seq(a.iter().map(|value| Stripped {
                value,
                volatile: self.volatile,
            })),
            other => other.serialize(s),
        }
    }
}

/// An object without its volatile keys.
struct StrippedMap<'a> {
    map: &'a Map<String, Value>,
    volatile: &'a [&'a str],
}

impl Serialize for StrippedMap<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        for (k, v) in self.map {
            if self.volatile.contains(&k.as_str()) {
                continue;
            }
            m.serialize_entry(
                k,
                &Stripped {
                    value: v,
                    volatile: self.volatile,
                },
            )?;
        }
        m.end()
    }
}

/// Feeds written bytes to the hasher.
struct HashWriter<'a>(&'a mut Sha256);

impl Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// SHA-256 over the record's fields, raw data and deletion flag, volatile values left out.
pub fn content_hash(r: &NormalizedRecord) -> Vec<u8> {
    let mut h = Sha256::new();
    let fields = StrippedMap {
        map: &r.fields,
        volatile: r.volatile_keys,
    };
    let raw = Transcode {
        text: r.remote_data.as_raw().get(),
        volatile: r.volatile_keys,
    };
    // Writing JSON values into a hasher cannot fail (no I/O, string keys only), and the raw
    // data is valid JSON text by construction (`RemoteData`). Unbuffered: the hasher keeps
    // its own 64-byte block, and a buffer per record was two 8 KiB allocations.
    let _ = serde_json::to_writer(HashWriter(&mut h), &fields);
    h.update([0u8]);
    let _ = serde_json::to_writer(HashWriter(&mut h), &raw);
    h.update([u8::from(r.remote_was_deleted)]);
    h.finalize().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use deskbridge_model::ModelKind;
    use deskbridge_provider::RemoteData;
    use serde_json::json;

    fn rec(url: &str) -> NormalizedRecord {
        let fields = json!({"file_name": "a.txt", "file_url": url});
        NormalizedRecord {
            kind: ModelKind::Attachment,
            remote_id: "1".into(),
            fields: fields.as_object().cloned().unwrap_or_default(),
            remote_data: vec![json!({"path": "/x", "data": {"attachment_url": url, "size": 3}})]
                .into(),
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

    /// The hash as the first version computed it: stripped copies serialised to strings.
    fn reference_hash(r: &NormalizedRecord) -> Vec<u8> {
        use crate::transcode::tests::strip;
        let fields = strip(&Value::Object(r.fields.clone()), r.volatile_keys);
        let raw = strip(&Value::Array(r.remote_data.to_values()), r.volatile_keys);
        let mut h = Sha256::new();
        h.update(fields.to_string().as_bytes());
        h.update([0u8]);
        h.update(raw.to_string().as_bytes());
        h.update([u8::from(r.remote_was_deleted)]);
        h.finalize().to_vec()
    }

    #[test]
    fn streamed_hash_equals_the_stored_ones() {
        let mut r = rec("https://a?sig=1");
        let mut entries = r.remote_data.to_values();
        entries.push(json!({
            "path": "/tickets/7",
            "data": {
                "z": [1, 2.5, -3, null, true, {"thumb_url": "x", "attachment_url": "y", "k": {}}],
                "a": "é \"quoted\" \n\u{1}",
                "m": {"attachment_url": "only volatile"},
                "big": 12345678901234567890u64,
                "e": [],
                "o": {}
            }
        }));
        r.remote_data = entries.into();
        r.fields
            .insert("tags".into(), json!(["x", {"file_url": 1}]));
        assert_eq!(content_hash(&r), reference_hash(&r));
        r.remote_was_deleted = true;
        r.fields = Map::new();
        r.remote_data = RemoteData::empty();
        assert_eq!(content_hash(&r), reference_hash(&r));
    }
}
