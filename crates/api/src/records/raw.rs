//! The hot path of every list endpoint: a Merge page rendered straight from the stored JSON
//! text, without building JSON trees.

use super::*;

/// A page already rendered as JSON text, answered as `application/json`.
#[derive(Debug)]
pub struct RawPage(pub Vec<u8>);

impl axum::response::IntoResponse for RawPage {
    fn into_response(self) -> axum::response::Response {
        (
            [(
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("application/json"),
            )],
            self.0,
        )
            .into_response()
    }
}

/// Lists a model's records as a Merge page rendered straight from the stored JSON text,
/// without building JSON trees: the same answer as [`list`] + [`page`], at a fraction of the
/// CPU (the hot path of every list endpoint).
pub async fn list_page<M: Model>(
    state: &AppState,
    auth: &AccountAuth,
    req: ListRequest<M>,
) -> ApiResult<RawPage> {
    let kind = M::KIND;
    let ListRequest {
        limit,
        expand: expand_list,
        cursor,
        query: q,
        ..
    } = req;
    let rows = state
        .store
        .list_records_raw(auth.org.id, auth.account.id, kind, &q)
        .await?;
    let (rows, next, previous) = paginate_in(rows, limit, cursor, q.order, |r: &RawRecord| {
        super::position(q.order, r.created_at, r.modified_at, r.id)
    });
    // Expanded relations: the related records of every relation in one statement, each
    // rendered once.
    let parsed: Vec<RawFields> = rows.iter().map(RawFields::parse).collect();
    let (fields, groups) = expand_groups(kind, &expand_list, |field, ids| {
        for f in &parsed {
            if let Some(v) = f.get(field) {
                let v: Value = serde_json::from_str(v.get()).unwrap_or(Value::Null);
                collect_ids(Some(&v), ids);
            }
        }
    });
    let related: Vec<(usize, RawRecord)> = state
        .store
        .records_by_ids_grouped(auth.org.id, auth.account.id, &groups)
        .await?;
    let mut expanded: HashMap<&'static str, HashMap<String, Vec<u8>>> = fields
        .iter()
        .map(|(field, _)| (*field, HashMap::new()))
        .collect();
    let layouts: Vec<Layout> = fields
        .iter()
        .map(|(_, target)| Layout::of(*target))
        .collect();
    for (group, r) in &related {
        let (Some((field, _)), Some(layout)) = (fields.get(*group), layouts.get(*group)) else {
            continue;
        };
        let mut out = Vec::with_capacity(512);
        let members = RawFields::parse(r);
        let mut slots = Vec::new();
        members.slots(layout, &mut slots);
        render_raw(layout, r, &slots, &HashMap::new(), &mut out);
        if let Some(by_id) = expanded.get_mut(field) {
            by_id.insert(r.id.to_string(), out);
        }
    }
    let layout = Layout::of(kind);
    let mut slots = Vec::new();
    let size: usize = rows
        .iter()
        .map(|r| r.fields.get().len() + r.remote_data.as_ref().map_or(0, |d| d.get().len()) + 384)
        .sum();
    let mut out = Vec::with_capacity(size + 512);
    out.extend_from_slice(b"{\"next\":");
    write_json(&mut out, &next);
    out.extend_from_slice(b",\"previous\":");
    write_json(&mut out, &previous);
    out.extend_from_slice(b",\"results\":[");
    for (i, (r, f)) in rows.iter().zip(&parsed).enumerate() {
        if i > 0 {
            out.push(b',');
        }
        f.slots(&layout, &mut slots);
        render_raw(&layout, r, &slots, &expanded, &mut out);
    }
    out.extend_from_slice(b"]}");
    Ok(RawPage(out))
}

/// The top-level members of a record's `fields`, borrowed from its JSON text, in a vector: a
/// record has a few dozen members, fewer than a hash map pays off for.
enum RawFields<'a> {
    Borrowed(Vec<(&'a str, &'a RawValue)>),
    Owned(Vec<(String, Box<RawValue>)>),
}

/// Collects the members of a JSON object in order.
struct Members<K, V>(Vec<(K, V)>);

impl<'de, K: serde::Deserialize<'de>, V: serde::Deserialize<'de>> serde::Deserialize<'de>
    for Members<K, V>
{
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit<K, V>(std::marker::PhantomData<(K, V)>);
        impl<'de, K: serde::Deserialize<'de>, V: serde::Deserialize<'de>> serde::de::Visitor<'de>
            for Visit<K, V>
        {
            type Value = Members<K, V>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(m.size_hint().unwrap_or(32));
                while let Some(entry) = m.next_entry()? {
                    out.push(entry);
                }
                Ok(Members(out))
            }
        }
        d.deserialize_map(Visit(std::marker::PhantomData))
    }
}

impl<'a> RawFields<'a> {
    fn parse(r: &'a RawRecord) -> RawFields<'a> {
        let text = r.fields.get();
        match serde_json::from_str::<Members<&str, &RawValue>>(text) {
            Ok(m) => RawFields::Borrowed(m.0),
            // A key with escapes cannot be borrowed.
            Err(_) => RawFields::Owned(
                serde_json::from_str::<Members<String, Box<RawValue>>>(text)
                    .map(|m| m.0)
                    .unwrap_or_default(),
            ),
        }
    }

    fn get(&self, key: &str) -> Option<&RawValue> {
        match self {
            RawFields::Borrowed(m) => m.iter().find(|(k, _)| *k == key).map(|(_, v)| *v),
            RawFields::Owned(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_ref()),
        }
    }

    /// Puts each member under its model field's position in `slots` (`None` for a field the
    /// record lacks; members outside the model are left out).
    fn slots<'s>(&'s self, layout: &Layout, slots: &mut Vec<Option<&'s RawValue>>) {
        slots.clear();
        slots.resize(layout.fields.len(), None);
        match self {
            RawFields::Borrowed(m) => layout.place(m.iter().map(|(k, v)| (*k, *v)), slots),
            RawFields::Owned(m) => layout.place(m.iter().map(|(k, v)| (k.as_str(), &**v)), slots),
        }
    }
}

/// A model's fields and the order PostgreSQL prints a `jsonb` object's keys in (shorter keys
/// first, then bytewise). A record's members come in that order, so one merge-like walk finds
/// each member's field, where looking every field up among the members compared strings
/// about twenty times as often.
struct Layout {
    fields: &'static [&'static str],
    /// `(field, its position in the model)`, in `jsonb` key order.
    sorted: Vec<(&'static str, usize)>,
}

impl Layout {
    fn of(kind: ModelKind) -> Layout {
        let fields = model_fields(kind);
        let mut sorted: Vec<(&'static str, usize)> =
            fields.iter().enumerate().map(|(i, f)| (*f, i)).collect();
        sorted.sort_by(|a, b| jsonb_key_order(a.0, b.0));
        Layout { fields, sorted }
    }

    fn place<'s>(
        &self,
        members: impl Iterator<Item = (&'s str, &'s RawValue)>,
        slots: &mut [Option<&'s RawValue>],
    ) {
        let mut next = 0;
        for (key, value) in members {
            while next < self.sorted.len()
                && jsonb_key_order(self.sorted[next].0, key) == std::cmp::Ordering::Less
            {
                next += 1;
            }
            let at = match self.sorted.get(next) {
                Some((field, at)) if *field == key => {
                    next += 1;
                    Some(*at)
                }
                // Text not in `jsonb` order (or a key outside the model): look it up.
                _ => self.fields.iter().position(|f| *f == key),
            };
            if let Some(at) = at {
                slots[at] = Some(value);
            }
        }
    }
}

fn jsonb_key_order(a: &str, b: &str) -> std::cmp::Ordering {
    a.len()
        .cmp(&b.len())
        .then_with(|| a.as_bytes().cmp(b.as_bytes()))
}

fn write_json<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, v: &T) {
    if serde_json::to_writer(&mut *out, v).is_err() {
        out.extend_from_slice(b"null");
    }
}

fn write_ts(out: &mut Vec<u8>, t: chrono::DateTime<chrono::Utc>) {
    out.push(b'"');
    out.extend_from_slice(t.to_rfc3339_opts(SecondsFormat::Micros, true).as_bytes());
    out.push(b'"');
}

/// Writes a record in Merge's shape, the same members in the same order as [`record_json`];
/// relation fields named in `expanded` get the related records (by id) in place of their ids.
fn render_raw(
    layout: &Layout,
    r: &RawRecord,
    slots: &[Option<&RawValue>],
    expanded: &HashMap<&'static str, HashMap<String, Vec<u8>>>,
    out: &mut Vec<u8>,
) {
    out.extend_from_slice(b"{\"id\":\"");
    out.extend_from_slice(
        r.id.hyphenated()
            .encode_lower(&mut Uuid::encode_buffer())
            .as_bytes(),
    );
    out.extend_from_slice(b"\",\"remote_id\":");
    write_json(out, &r.remote_id);
    out.extend_from_slice(b",\"created_at\":");
    write_ts(out, r.created_at);
    out.extend_from_slice(b",\"modified_at\":");
    write_ts(out, r.modified_at);
    for (f, slot) in layout.fields.iter().zip(slots) {
        // Field names are plain identifiers: nothing in them needs escaping.
        out.extend_from_slice(b",\"");
        out.extend_from_slice(f.as_bytes());
        out.extend_from_slice(b"\":");
        let raw = if r.is_shell { None } else { *slot };
        match (raw, expanded.get(*f)) {
            (None, _) => out.extend_from_slice(b"null"),
            (Some(v), None) => out.extend_from_slice(v.get().as_bytes()),
            (Some(v), Some(by_id)) => {
                let value: Value = serde_json::from_str(v.get()).unwrap_or(Value::Null);
                write_expanded(out, &value, by_id);
            }
        }
    }
    out.extend_from_slice(b",\"remote_was_deleted\":");
    out.extend_from_slice(if r.remote_was_deleted {
        b"true"
    } else {
        b"false"
    });
    out.extend_from_slice(
        b",\"field_mappings\":{\"organization_defined_targets\":{},\"linked_account_defined_targets\":{}}",
    );
    out.extend_from_slice(b",\"remote_data\":");
    match &r.remote_data {
        Some(v) => out.extend_from_slice(v.get().as_bytes()),
        None => out.extend_from_slice(b"null"),
    }
    out.push(b'}');
}

/// Like [`replace_ids`], writing: ids found in `by_id` become the related record.
fn write_expanded(out: &mut Vec<u8>, v: &Value, by_id: &HashMap<String, Vec<u8>>) {
    match v {
        Value::String(s) => match by_id.get(s.as_str()) {
            Some(found) => out.extend_from_slice(found),
            None => write_json(out, v),
        },
        Value::Array(a) => {
            out.push(b'[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_expanded(out, x, by_id);
            }
            out.push(b']');
        }
        other => write_json(out, other),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use deskbridge_store::records::{JsonText, StoredRecord};

    /// A value per field, distinct, some needing escapes.
    fn sample_fields(kind: ModelKind) -> Vec<(&'static str, Value)> {
        model_fields(kind)
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let v = match i % 4 {
                    0 => Value::String(format!("{f} \"quoted\" \\ é {i}")),
                    1 => serde_json::json!([format!("{f}-a"), format!("{f}-b")]),
                    2 => serde_json::json!({"nested": {"k": i, "f": f}}),
                    _ => serde_json::json!(i),
                };
                (*f, v)
            })
            .collect()
    }

    fn render(kind: ModelKind, stored: &StoredRecord, text: &str) -> Value {
        let raw = RawRecord {
            id: stored.id,
            remote_id: stored.remote_id.clone(),
            fields: JsonText(text.to_owned()),
            remote_data: stored.remote_data.as_ref().map(|v| JsonText(v.to_string())),
            is_shell: stored.is_shell,
            remote_was_deleted: stored.remote_was_deleted,
            created_at: stored.created_at,
            modified_at: stored.modified_at,
        };
        let layout = Layout::of(kind);
        let members = RawFields::parse(&raw);
        let mut slots = Vec::new();
        members.slots(&layout, &mut slots);
        let mut out = Vec::new();
        render_raw(&layout, &raw, &slots, &HashMap::new(), &mut out);
        let text = String::from_utf8(out).unwrap();
        // Members in the model's order, as the tree renderer writes them.
        let keys: Vec<String> = serde_json::from_str::<Members<String, Box<RawValue>>>(&text)
            .unwrap()
            .0
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        let expected: Vec<String> = record_json(kind, stored).keys().cloned().collect();
        assert_eq!(keys, expected, "{kind:?}: member order");
        serde_json::from_str(&text).unwrap()
    }

    /// Writes members in PostgreSQL's `jsonb` key order (shorter first, then bytewise).
    fn jsonb_text(members: &[(&str, Value)]) -> String {
        let mut sorted: Vec<&(&str, Value)> = members.iter().collect();
        sorted.sort_by(|a, b| jsonb_key_order(a.0, b.0));
        let inner: Vec<String> = sorted
            .iter()
            .map(|(k, v)| format!("{}: {}", Value::from(*k), v))
            .collect();
        format!("{{{}}}", inner.join(", "))
    }

    #[test]
    fn raw_pages_render_what_the_tree_renderer_does() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-07T10:11:12.123456Z")
            .unwrap()
            .with_timezone(&Utc);
        for kind in ModelKind::ALL {
            let members = sample_fields(kind);
            let mut stored = StoredRecord {
                id: Uuid::new_v4(),
                remote_id: "r\"1".into(),
                fields: Value::Object(
                    members
                        .iter()
                        .map(|(k, v)| ((*k).to_string(), v.clone()))
                        .collect(),
                ),
                remote_data: Some(serde_json::json!([{"path": "/x", "data": {"a": 1}}])),
                is_shell: false,
                remote_was_deleted: true,
                created_at: at,
                modified_at: at,
            };
            let tree = Value::Object(record_json(kind, &stored));
            // As PostgreSQL prints jsonb, and in the model's own order.
            assert_eq!(
                render(kind, &stored, &jsonb_text(&members)),
                tree,
                "{kind:?}"
            );
            assert_eq!(
                render(kind, &stored, &stored.fields.to_string()),
                tree,
                "{kind:?}"
            );
            // A member outside the model is left out; a missing field is null.
            let mut fewer = members.clone();
            let dropped = fewer.remove(fewer.len() / 2);
            fewer.push(("zz_not_a_field", serde_json::json!(1)));
            if let Value::Object(m) = &mut stored.fields {
                m.remove(dropped.0);
            }
            let tree = Value::Object(record_json(kind, &stored));
            assert_eq!(tree[dropped.0], Value::Null);
            assert_eq!(render(kind, &stored, &jsonb_text(&fewer)), tree, "{kind:?}");
            // A shell's fields are all null.
            stored.is_shell = true;
            let tree = Value::Object(record_json(kind, &stored));
            assert_eq!(
                render(kind, &stored, &jsonb_text(&members)),
                tree,
                "{kind:?}"
            );
        }
    }

    #[test]
    fn model_field_names_need_no_escaping() {
        for kind in ModelKind::ALL {
            for f in model_fields(kind) {
                assert!(
                    f.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                    "{f}"
                );
            }
        }
    }
}
