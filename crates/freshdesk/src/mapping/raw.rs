//! Conversations and their attachments mapped straight from the answer's text.
//!
//! Why: conversations are four in five of the records an initial sync reads. Parsing each
//! into a `serde_json::Value` tree (an allocation per key and per string) and serialising it
//! again into the database parameter was most of the worker's CPU. Here an object is split
//! into its members, each borrowed from the response buffer as raw text; only the few members
//! the mapping reads ([`COMMENT_READS`], [`ATTACHMENT_READS`]) are decoded, and the raw data
//! is the members copied verbatim, keys sorted as [`canonical_raw`](super::canonical_raw)
//! sorts them. The fields and the content hash are the same as the `Value` path's (a test
//! compares both on the recorded samples).

use std::borrow::Cow;
use std::collections::HashSet;

use deskbridge_model::ModelKind;
use deskbridge_provider::{NormalizedRecord, ProviderError, RemoteData};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::{
    ATTACHMENT_READS, ATTACHMENT_VOLATILE_KEYS, COMMENT_READS, EMBEDDED_ATTACHMENT_VOLATILE_KEYS,
    Parts, attachment_parts, comment_parts,
};

/// A member name, borrowed from the text unless it has escapes.
#[derive(Deserialize, PartialEq, Eq, PartialOrd, Ord)]
struct Key<'a>(#[serde(borrow)] Cow<'a, str>);

/// An object's members, sorted by name, the last of duplicates kept (as a parsed `Value`
/// keeps it).
pub(crate) struct Members<'a>(Vec<(Key<'a>, &'a RawValue)>);

impl<'a> Members<'a> {
    /// `None` when the text is not an object.
    pub(crate) fn of(raw: &'a RawValue) -> Option<Self> {
        let mut m: Vec<(Key<'a>, &'a RawValue)> =
            serde_json::from_str::<MemberList<'a>>(raw.get()).ok()?.0;
        // Stable: among equal names the later member comes last; keep that one.
        m.sort_by(|a, b| a.0.cmp(&b.0));
        m.reverse();
        m.dedup_by(|later, earlier| later.0 == earlier.0);
        m.reverse();
        Some(Members(m))
    }

    fn get(&self, key: &str) -> Option<&'a RawValue> {
        self.0
            .binary_search_by(|(k, _)| k.0.as_ref().cmp(key))
            .ok()
            .map(|i| self.0[i].1)
    }

    /// The members named in `keys`, decoded, as the object the `Value` mapping reads.
    fn decoded(&self, keys: &[&str]) -> Value {
        let mut m = Map::with_capacity(keys.len());
        for k in keys {
            if let Some(v) = self.get(k).and_then(|r| serde_json::from_str(r.get()).ok()) {
                m.insert((*k).to_string(), v);
            }
        }
        Value::Object(m)
    }

    fn remote_data(&self, path: &str) -> RemoteData {
        RemoteData::from_members(path, self.0.iter().map(|(k, v)| (k.0.as_ref(), *v)))
    }
}

/// Deserialises an object into its members in their order, borrowing names and values.
struct MemberList<'a>(Vec<(Key<'a>, &'a RawValue)>);

impl<'de> Deserialize<'de> for MemberList<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = MemberList<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<MemberList<'de>, A::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(24));
                while let Some(entry) = map.next_entry::<Key<'de>, &'de RawValue>()? {
                    out.push(entry);
                }
                Ok(MemberList(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// The items of a JSON array answer, each borrowed as raw text.
pub(crate) fn array_items<'a>(
    body: &'a [u8],
    what: &str,
) -> Result<Vec<&'a RawValue>, ProviderError> {
    serde_json::from_slice(body)
        .map_err(|_| ProviderError::Protocol(format!("the {what} list is not a JSON array")))
}

/// A conversation as a Comment, followed by its attachments (read at `/tickets/{id}/
/// conversations`), as [`super::map_comment`] and [`super::map_attachment`] map them.
pub(crate) fn map_conversation(
    linked_account_id: Uuid,
    ticket_remote_id: &str,
    raw: &RawValue,
    known_agents: Option<&HashSet<String>>,
    attachments_path: &str,
) -> Result<Vec<NormalizedRecord>, ProviderError> {
    let no_id = || ProviderError::Protocol("a conversation without an id".into());
    let members = Members::of(raw).ok_or_else(no_id)?;
    let parts = comment_parts(
        linked_account_id,
        &members.decoded(COMMENT_READS),
        known_agents,
    )?;
    let mut out = vec![record(
        ModelKind::Comment,
        &members,
        parts,
        EMBEDDED_ATTACHMENT_VOLATILE_KEYS,
        None,
    )];
    if let Some(list) = members.get("attachments") {
        // Not an array (never seen): no attachments, as the `Value` path reads it.
        let items: Vec<&RawValue> = serde_json::from_str(list.get()).unwrap_or_default();
        for att in items {
            let members = Members::of(att)
                .ok_or_else(|| ProviderError::Protocol("an attachment without an id".into()))?;
            let parts = attachment_parts(
                linked_account_id,
                ticket_remote_id,
                &members.decoded(ATTACHMENT_READS),
            )?;
            out.push(record(
                ModelKind::Attachment,
                &members,
                parts,
                ATTACHMENT_VOLATILE_KEYS,
                Some(attachments_path),
            ));
        }
    }
    Ok(out)
}

fn record(
    kind: ModelKind,
    members: &Members<'_>,
    parts: Parts,
    volatile_keys: &'static [&'static str],
    path: Option<&str>,
) -> NormalizedRecord {
    NormalizedRecord {
        kind,
        remote_data: members.remote_data(path.unwrap_or(&parts.path)),
        remote_id: parts.remote_id,
        fields: parts.fields,
        volatile_keys,
        refs: parts.refs,
        remote_was_deleted: false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::mapping::{map_attachment, map_comment};

    const LA: Uuid = Uuid::from_u128(0x1234);

    /// What the content hash and the store see of a record: everything, with the raw data in
    /// its serialised order.
    fn seen(r: &NormalizedRecord) -> (String, String, String, String, bool) {
        (
            format!("{:?}/{}", r.kind, r.remote_id),
            serde_json::to_string(&r.fields).unwrap(),
            serde_json::to_string(&r.remote_data.to_values()).unwrap(),
            format!("{:?}{:?}", r.refs, r.volatile_keys),
            r.remote_was_deleted,
        )
    }

    fn by_values(text: &str, agents: Option<&HashSet<String>>) -> Vec<NormalizedRecord> {
        let items: Vec<Value> = serde_json::from_str(text).unwrap();
        let mut out = vec![];
        for it in &items {
            out.push(map_comment(LA, it, agents).unwrap());
            for att in it["attachments"].as_array().into_iter().flatten() {
                out.push(map_attachment(LA, "7", att, "/tickets/7/conversations").unwrap());
            }
        }
        out
    }

    fn by_text(text: &str, agents: Option<&HashSet<String>>) -> Vec<NormalizedRecord> {
        let mut out = vec![];
        for it in array_items(text.as_bytes(), "conversations").unwrap() {
            out.extend(map_conversation(LA, "7", it, agents, "/tickets/7/conversations").unwrap());
        }
        out
    }

    #[test]
    fn text_mapping_equals_value_mapping() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/freshdesk");
        let synthetic = r#"[{"id": 9, "ticket_id": 7, "user_id": "42", "incoming": true,
            "b\u00e9": "\u003cp\u003e \/", "body": "x", "body": "last wins", "private": 1,
            "created_at": "2024-01-02T03:04:05+01:00", "zz": {"attachment_url": "s", "k": 1.50},
            "attachments": [{"id": 5, "name": "a.txt", "attachment_url": "https://s?sig=1",
                "size": 3, "content_type": null, "created_at": "2024-01-02T03:04:05Z"}]}]"#;
        let agents: HashSet<String> = ["42".to_string()].into();
        let mut cases = vec![synthetic.to_string()];
        for name in [
            "conversations_list.json",
            "conversation_feedback_list_item.json",
        ] {
            let text = std::fs::read_to_string(dir.join(name)).unwrap();
            // The feedback sample is one item, not a list.
            cases.push(if text.trim_start().starts_with('[') {
                text
            } else {
                format!("[{text}]")
            });
        }
        for text in &cases {
            for agents in [None, Some(&agents)] {
                let a: Vec<_> = by_values(text, agents).iter().map(seen).collect();
                let b: Vec<_> = by_text(text, agents).iter().map(seen).collect();
                assert!(!a.is_empty());
                assert_eq!(a, b);
            }
        }
    }

    #[test]
    fn bad_answers_are_protocol_errors() {
        assert!(array_items(b"{\"a\": 1}", "conversations").is_err());
        let items = array_items(b"[1, {\"id\": 2, \"attachments\": [3]}]", "x").unwrap();
        for it in items {
            assert!(matches!(
                map_conversation(LA, "7", it, None, "/p"),
                Err(ProviderError::Protocol(_))
            ));
        }
    }
}
