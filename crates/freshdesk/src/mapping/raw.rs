//! Tickets, conversations and attachments mapped straight from the answer's text.
//!
//! Why: an initial sync reads each ticket twice (list item and view) and four conversations
//! per ticket on average. Parsing each
//! into a `serde_json::Value` tree (an allocation per key and per string) and serialising it
//! again into the database parameter was most of the worker's CPU. Here an object is split
//! into its members, each borrowed from the response buffer as raw text; only the few members
//! the mapping reads ([`TICKET_READS`], [`COMMENT_READS`], [`ATTACHMENT_READS`]) are decoded, and the raw data
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
use url::Url;
use uuid::Uuid;

use super::{
    ATTACHMENT_READS, ATTACHMENT_VOLATILE_KEYS, COMMENT_READS, EMBEDDED_ATTACHMENT_VOLATILE_KEYS,
    Parts, TICKET_NOT_STORED, TICKET_READS, attachment_parts, comment_parts, ticket_parts,
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

    pub(crate) fn get(&self, key: &str) -> Option<&'a RawValue> {
        self.0
            .binary_search_by(|(k, _)| k.0.as_ref().cmp(key))
            .ok()
            .map(|i| self.0[i].1)
    }

    /// The members named in `keys` (sorted), decoded, as the object the `Value` mapping
    /// reads.
    pub(crate) fn decoded(&self, keys: &[&str]) -> Value {
        decoded(self.0.iter().map(|(k, v)| (k.0.as_ref(), *v)), keys)
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

/// A ticket of the walk: its list item merged with its view, as [`merge_ticket`] makes it.
pub(crate) struct WalkTicket {
    /// The members that [`ticket_parts`] and the walk read, decoded.
    pub(crate) reads: Value,
    /// The merged object as Merge's raw data (`/tickets`).
    pub(crate) remote_data: RemoteData,
    /// The view's `attachments`, when the view was read (for the ticket's children round).
    pub(crate) view_attachments: Option<Vec<Value>>,
}

/// Merges a ticket's list item with its view (`None`: the view was gone), as
/// `FreshdeskProvider::enrich_ticket` documents: the view's members, with the list item's
/// values winning, plus the `list_includes` of the list item; without the members a stored
/// ticket never keeps ([`TICKET_NOT_STORED`]). A view that is not an object leaves the list
/// item as it is.
pub(crate) fn merge_ticket(
    item: &Members<'_>,
    view: Option<&RawValue>,
    list_includes: &[&str],
) -> WalkTicket {
    let view_members = view.and_then(Members::of);
    let view_attachments = view.map(|_| {
        view_members
            .as_ref()
            .and_then(|v| v.get("attachments"))
            .and_then(|a| serde_json::from_str::<Vec<Value>>(a.get()).ok())
            .unwrap_or_default()
    });
    let mut merged: Vec<(&str, &RawValue)> = match &view_members {
        Some(v) => {
            let mut m: Vec<(&str, &RawValue)> =
                v.0.iter()
                    .map(|(k, raw)| (k.0.as_ref(), item.get(&k.0).unwrap_or(raw)))
                    .collect();
            for k in list_includes {
                if v.get(k).is_none()
                    && let Some(raw) = item.get(k)
                {
                    m.push((k, raw));
                }
            }
            m
        }
        None => item.0.iter().map(|(k, raw)| (k.0.as_ref(), *raw)).collect(),
    };
    merged.retain(|(k, _)| !TICKET_NOT_STORED.contains(k));
    merged.sort_by(|a, b| a.0.cmp(b.0));
    let reads = decoded(merged.iter().copied(), TICKET_READS);
    WalkTicket {
        reads,
        remote_data: RemoteData::from_members("/tickets", merged),
        view_attachments,
    }
}

/// A merged ticket as a Ticket record.
pub(crate) fn map_walk_ticket(
    linked_account_id: Uuid,
    base_url: &Url,
    t: WalkTicket,
) -> Result<NormalizedRecord, ProviderError> {
    let (parts, deleted) = ticket_parts(linked_account_id, base_url, &t.reads)?;
    Ok(NormalizedRecord {
        kind: ModelKind::Ticket,
        remote_id: parts.remote_id,
        fields: parts.fields,
        remote_data: t.remote_data,
        volatile_keys: EMBEDDED_ATTACHMENT_VOLATILE_KEYS,
        refs: parts.refs,
        remote_was_deleted: deleted,
    })
}

/// The members named in `keys` (sorted members, sorted keys), decoded into an object.
fn decoded<'a>(members: impl Iterator<Item = (&'a str, &'a RawValue)>, keys: &[&str]) -> Value {
    let mut m = Map::with_capacity(keys.len());
    let mut members = members.peekable();
    for k in keys {
        while members.next_if(|(name, _)| name < k).is_some() {}
        if let Some((_, raw)) = members.next_if(|(name, _)| name == k)
            && let Ok(v) = serde_json::from_str(raw.get())
        {
            m.insert((*k).to_string(), v);
        }
    }
    Value::Object(m)
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

    /// The walk's merge as the `Value` path did it (list item values win, view keys only,
    /// plus `stats` from the list).
    fn merge_values(list: &Value, view: Option<&Value>) -> Value {
        match (list, view) {
            (Value::Object(l), Some(Value::Object(v))) => {
                let mut l = l.clone();
                let mut merged: Map<String, Value> = v
                    .iter()
                    .map(|(k, v)| (k.clone(), l.remove(k).unwrap_or(v.clone())))
                    .collect();
                if let Some(v) = l.remove("stats") {
                    merged.insert("stats".into(), v);
                }
                Value::Object(merged)
            }
            _ => list.clone(),
        }
    }

    #[test]
    fn ticket_merge_equals_value_merge() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/freshdesk");
        let read = |n: &str| std::fs::read_to_string(dir.join(n)).unwrap();
        let base = Url::parse("https://acme.freshdesk.com/").unwrap();
        let list_page = read("tickets_list_page.json");
        let mut items: Vec<String> = serde_json::from_str::<Vec<&RawValue>>(&list_page)
            .unwrap()
            .iter()
            .map(|r| r.get().to_string())
            .collect();
        items.push(
            r#"{"id": 7, "updated_at": "2024-01-01T00:00:00Z", "subject": "list wins",
                "stats": {"closed_at": null}, "associated_tickets_count": 2, "spam": true,
                "tags": ["a\u00e9"], "association_type": 2}"#
                .into(),
        );
        let views = [
            None,
            Some(read("ticket_view.json")),
            Some(read("ticket_view_2025.json")),
            Some(read("ticket_view_association_parent.json")),
            Some(read("ticket_view_include_stats.json")),
            Some("[1]".to_string()),
        ];
        let mut compared = 0;
        for item in &items {
            for view in &views {
                let list_v: Value = serde_json::from_str(item).unwrap();
                let view_v: Option<Value> =
                    view.as_deref().map(|v| serde_json::from_str(v).unwrap());
                let old = crate::mapping::map_ticket_owned(
                    LA,
                    &base,
                    merge_values(&list_v, view_v.as_ref()),
                )
                .unwrap();
                let item_raw: &RawValue = serde_json::from_str(item).unwrap();
                let view_raw: Option<&RawValue> =
                    view.as_deref().map(|v| serde_json::from_str(v).unwrap());
                let t = merge_ticket(&Members::of(item_raw).unwrap(), view_raw, &["stats"]);
                let expected_attachments = view_v.as_ref().map(|v| {
                    v.get("attachments")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default()
                });
                assert_eq!(t.view_attachments, expected_attachments);
                let new = map_walk_ticket(LA, &base, t).unwrap();
                assert_eq!(seen(&old), seen(&new));
                compared += 1;
            }
        }
        assert!(compared > 6);
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
