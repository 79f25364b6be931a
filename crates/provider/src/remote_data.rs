//! Merge's `remote_data` list (`[{path, data}]`), kept as JSON text.
//!
//! Why text and not a `serde_json::Value` tree: an initial sync reads hundreds of thousands
//! of provider objects, and building a tree of each (an allocation per key and per string)
//! only to serialise it again into the database parameter was most of the worker's CPU. An
//! adapter can instead copy the members it received, verbatim, from the response buffer
//! ([`RemoteData::from_members`]); PostgreSQL parses the text into `jsonb` either way, so
//! what is stored and served is the same.

use serde_json::Value;
use serde_json::value::RawValue;

/// The JSON text of a `[{path, data}]` list.
#[derive(Debug, Clone)]
pub struct RemoteData(Box<RawValue>);

impl RemoteData {
    /// No entries (`[]`).
    pub fn empty() -> Self {
        Self::from_values(&[])
    }

    /// The list of the given entries.
    pub fn from_values(entries: &[Value]) -> Self {
        // Serialising a `Value` cannot fail (string keys, finite numbers); `null` is the
        // harmless fallback the type system asks for.
        RemoteData(
            serde_json::value::to_raw_value(entries).unwrap_or_else(|_| RawValue::NULL.to_owned()),
        )
    }

    /// One entry: `data` read at `path`.
    pub fn entry(path: &str, data: &Value) -> Self {
        let mut buf = Vec::with_capacity(64);
        buf.extend_from_slice(b"[{\"path\":");
        push_json_str(&mut buf, path);
        buf.extend_from_slice(b",\"data\":");
        // Writing a `Value` into a vector cannot fail.
        let _ = serde_json::to_writer(&mut buf, data);
        buf.extend_from_slice(b"}]");
        Self::from_buffer(buf)
    }

    /// One entry whose `data` is an object made of `members`, each value copied verbatim
    /// from the provider's answer (keys are written in the order given, duplicates are the
    /// caller's to remove).
    pub fn from_members<'a>(
        path: &str,
        members: impl IntoIterator<Item = (&'a str, &'a RawValue)>,
    ) -> Self {
        let mut buf = Vec::with_capacity(1024);
        buf.extend_from_slice(b"[{\"path\":");
        push_json_str(&mut buf, path);
        buf.extend_from_slice(b",\"data\":{");
        for (i, (k, v)) in members.into_iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            push_json_str(&mut buf, k);
            buf.push(b':');
            buf.extend_from_slice(v.get().as_bytes());
        }
        buf.extend_from_slice(b"}}]");
        Self::from_buffer(buf)
    }

    fn from_buffer(buf: Vec<u8>) -> Self {
        // The buffer is made of JSON strings written by serde_json and of raw values that
        // were valid JSON; a failure here is a bug, and the list degrades to `null`.
        let raw = String::from_utf8(buf)
            .map_err(|e| e.to_string())
            .and_then(|s| RawValue::from_string(s).map_err(|e| e.to_string()));
        RemoteData(raw.unwrap_or_else(|_| RawValue::NULL.to_owned()))
    }

    /// The JSON text.
    pub fn as_raw(&self) -> &RawValue {
        &self.0
    }

    /// The JSON text, owned (what the store binds).
    pub fn into_raw(self) -> Box<RawValue> {
        self.0
    }

    /// The entries as values (tests and the rare paths that inspect them).
    pub fn to_values(&self) -> Vec<Value> {
        serde_json::from_str(self.0.get()).unwrap_or_default()
    }
}

impl PartialEq for RemoteData {
    fn eq(&self, other: &Self) -> bool {
        self.0.get() == other.0.get()
    }
}

impl From<Vec<Value>> for RemoteData {
    fn from(entries: Vec<Value>) -> Self {
        Self::from_values(&entries)
    }
}

fn push_json_str(buf: &mut Vec<u8>, s: &str) {
    // Writing a string into a vector cannot fail.
    let _ = serde_json::to_writer(&mut *buf, s);
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn members_are_copied_verbatim() {
        let body = r#"{"b": [1, 2.50], "a": "\u00e9"}"#;
        let members: Vec<(&str, &RawValue)> =
            serde_json::from_str::<std::collections::BTreeMap<&str, &RawValue>>(body)
                .unwrap()
                .into_iter()
                .collect();
        let rd = RemoteData::from_members("/x\"", members);
        assert_eq!(
            rd.as_raw().get(),
            r#"[{"path":"/x\"","data":{"a":"\u00e9","b":[1, 2.50]}}]"#
        );
        assert_eq!(
            rd.to_values(),
            vec![json!({"path": "/x\"", "data": {"a": "é", "b": [1, 2.5]}})]
        );
    }

    #[test]
    fn entries_match_their_values() {
        let v = json!({"path": "/t", "data": {"z": 1, "a": [null]}});
        assert_eq!(
            RemoteData::entry("/t", &v["data"]),
            RemoteData::from_values(std::slice::from_ref(&v))
        );
        assert_eq!(RemoteData::empty().as_raw().get(), "[]");
        assert_eq!(RemoteData::from(vec![v.clone()]).to_values(), vec![v]);
    }
}
