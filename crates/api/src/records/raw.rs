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
    for (group, r) in &related {
        let Some((field, target)) = fields.get(*group) else {
            continue;
        };
        let mut out = Vec::with_capacity(512);
        render_raw(*target, r, &RawFields::parse(r), &HashMap::new(), &mut out);
        if let Some(by_id) = expanded.get_mut(field) {
            by_id.insert(r.id.to_string(), out);
        }
    }
    let mut out = Vec::with_capacity(rows.len() * 1024 + 256);
    out.extend_from_slice(b"{\"next\":");
    write_json(&mut out, &next);
    out.extend_from_slice(b",\"previous\":");
    write_json(&mut out, &previous);
    out.extend_from_slice(b",\"results\":[");
    for (i, (r, f)) in rows.iter().zip(&parsed).enumerate() {
        if i > 0 {
            out.push(b',');
        }
        render_raw(kind, r, f, &expanded, &mut out);
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
        let text = r.fields.0.get();
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
    kind: ModelKind,
    r: &RawRecord,
    fields: &RawFields<'_>,
    expanded: &HashMap<&'static str, HashMap<String, Vec<u8>>>,
    out: &mut Vec<u8>,
) {
    out.extend_from_slice(b"{\"id\":\"");
    out.extend_from_slice(r.id.to_string().as_bytes());
    out.extend_from_slice(b"\",\"remote_id\":");
    write_json(out, &r.remote_id);
    out.extend_from_slice(b",\"created_at\":");
    write_ts(out, r.created_at);
    out.extend_from_slice(b",\"modified_at\":");
    write_ts(out, r.modified_at);
    for f in model_fields(kind) {
        out.push(b',');
        write_json(out, *f);
        out.push(b':');
        let raw = if r.is_shell { None } else { fields.get(f) };
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
        Some(v) => out.extend_from_slice(v.0.get().as_bytes()),
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
