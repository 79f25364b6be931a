//! List pagination (reference §3.1, §3.2). `page[size]` (or any `page[…]`) switches a list to
//! cursor mode: `meta{has_more, after_cursor, before_cursor}` and `links{prev, next}`, with
//! `links.next` present even on the last page. Otherwise offset mode: `page`, `per_page` ≤ 100,
//! `next_page`, `previous_page`, `count`, and 400 for offsets beyond 10,000 records.
//!
//! Cursors are base64 JSON `{"o": sort key, "v": base64(packed key)}` like the recorded ones;
//! the packed key is `i` + little-endian i64 or `s` + little-endian u32 length + UTF-8 per part
//! (the recorded `aQEAAAAAAAAA` decodes to `i` + 1).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

use crate::errors::ApiError;
use crate::request::Req;

/// One part of a sort key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Key {
    /// Integer part.
    I(i64),
    /// String part.
    S(String),
}

/// Largest cursor page size; bigger sizes answer 400 (reference §10, unverified).
pub const MAX_PAGE_SIZE: usize = 100;
/// Offset paging stops here (records).
pub const OFFSET_LIMIT: usize = 10_000;

fn pack(key: &[Key]) -> String {
    let mut b = Vec::new();
    for k in key {
        match k {
            Key::I(i) => {
                b.push(b'i');
                b.extend_from_slice(&i.to_le_bytes());
            }
            Key::S(s) => {
                b.push(b's');
                b.extend_from_slice(&(s.len() as u32).to_le_bytes());
                b.extend_from_slice(s.as_bytes());
            }
        }
    }
    STANDARD.encode(b)
}

fn unpack(v: &str) -> Option<Vec<Key>> {
    let b = STANDARD.decode(v).ok()?;
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'i' => {
                let n = i64::from_le_bytes(b.get(i + 1..i + 9)?.try_into().ok()?);
                out.push(Key::I(n));
                i += 9;
            }
            b's' => {
                let len = u32::from_le_bytes(b.get(i + 1..i + 5)?.try_into().ok()?) as usize;
                let s = std::str::from_utf8(b.get(i + 5..i + 5 + len)?).ok()?;
                out.push(Key::S(s.to_owned()));
                i += 5 + len;
            }
            _ => return None,
        }
    }
    Some(out)
}

/// Encodes a list cursor.
pub fn encode(order: &str, key: &[Key]) -> String {
    STANDARD.encode(json!({"o": order, "v": pack(key)}).to_string())
}

/// Decodes a list cursor of this sort order.
pub fn decode(order: &str, cursor: &str) -> Option<Vec<Key>> {
    let raw = STANDARD.decode(cursor.trim()).ok()?;
    let v: Value = serde_json::from_slice(&raw).ok()?;
    if v.get("o")?.as_str()? != order {
        return None;
    }
    unpack(v.get("v")?.as_str()?)
}

fn bad(description: &str) -> ApiError {
    ApiError::BadRequest("InvalidPaginationParameter", description.to_owned())
}

/// A URL for the same list with other page parameters (keys sorted, like Zendesk's links).
fn url(req: &Req, path: &str, page: &[(&str, String)]) -> String {
    let mut pairs: Vec<(String, String)> = req
        .query
        .iter()
        .filter(|(k, _)| !k.starts_with("page") && k != "per_page")
        .cloned()
        .collect();
    pairs.extend(page.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    let q = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    format!("{}/{path}.json?{q}", req.ctx.api())
}

/// Whether the request asks for cursor paging.
pub fn is_cursor(req: &Req) -> bool {
    req.query.iter().any(|(k, _)| k.starts_with("page["))
}

/// Paginates `items` (sorted ascending by key) under `root`, in cursor or offset mode.
/// `extra` computes keys (side-loads) for the page's items; they follow the items.
pub fn list(
    req: &Req,
    path: &str,
    root: &str,
    order: &str,
    items: Vec<(Vec<Key>, Value)>,
    extra: &dyn Fn(&[Value]) -> Map<String, Value>,
) -> Result<Value, ApiError> {
    let mut out = Map::new();
    if is_cursor(req) {
        let size = match req.q("page[size]") {
            None => MAX_PAGE_SIZE,
            Some(s) => match s.parse::<usize>() {
                Ok(n) if (1..=MAX_PAGE_SIZE).contains(&n) => n,
                _ => return Err(bad("page[size] must be an integer between 1 and 100")),
            },
        };
        let (page, has_more): (Vec<&(Vec<Key>, Value)>, bool) = if let Some(c) =
            req.q("page[after]")
        {
            let k = decode(order, c).ok_or_else(|| bad("page[after] is not a valid cursor"))?;
            let rest: Vec<_> = items.iter().filter(|(key, _)| *key > k).collect();
            let more = rest.len() > size;
            (rest.into_iter().take(size).collect(), more)
        } else if let Some(c) = req.q("page[before]") {
            let k = decode(order, c).ok_or_else(|| bad("page[before] is not a valid cursor"))?;
            let rest: Vec<_> = items.iter().filter(|(key, _)| *key < k).collect();
            let more = rest.len() > size;
            let skip = rest.len().saturating_sub(size);
            (rest.into_iter().skip(skip).collect(), more)
        } else {
            let more = items.len() > size;
            (items.iter().take(size).collect(), more)
        };
        let after = page.last().map(|(k, _)| encode(order, k));
        let before = page.first().map(|(k, _)| encode(order, k));
        let values: Vec<Value> = page.iter().map(|(_, v)| v.clone()).collect();
        out.extend(std::iter::once((
            root.to_owned(),
            Value::Array(values.clone()),
        )));
        out.extend(extra(&values));
        out.insert(
            "meta".into(),
            json!({"has_more": has_more, "after_cursor": after, "before_cursor": before}),
        );
        let link = |dir: &str, c: &Option<String>| match c {
            Some(c) => json!(url(
                req,
                path,
                &[(dir, c.clone()), ("page[size]", size.to_string())]
            )),
            None => Value::Null,
        };
        out.insert(
            "links".into(),
            json!({"prev": link("page[before]", &before), "next": link("page[after]", &after)}),
        );
        return Ok(Value::Object(out));
    }
    let page = match req.q("page") {
        None => 1,
        Some(p) => p
            .parse::<usize>()
            .ok()
            .filter(|p| *p >= 1)
            .ok_or_else(|| bad("page must be a positive integer"))?,
    };
    let per_page = req
        .q("per_page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(100)
        .clamp(1, 100);
    let offset = (page - 1) * per_page;
    if offset >= OFFSET_LIMIT {
        return Err(bad(
            "Offset pagination is limited to the first 10000 records. Use cursor-based pagination instead.",
        ));
    }
    let count = items.len();
    let slice: Vec<Value> = items
        .into_iter()
        .skip(offset)
        .take(per_page)
        .map(|(_, v)| v)
        .collect();
    let next = (offset + per_page < count && (offset + per_page) < OFFSET_LIMIT).then(|| {
        url(
            req,
            path,
            &[
                ("page", (page + 1).to_string()),
                ("per_page", per_page.to_string()),
            ],
        )
    });
    let prev = (page > 1).then(|| {
        url(
            req,
            path,
            &[
                ("page", (page - 1).to_string()),
                ("per_page", per_page.to_string()),
            ],
        )
    });
    let more = extra(&slice);
    out.insert(root.into(), Value::Array(slice));
    out.extend(more);
    out.insert("next_page".into(), json!(next));
    out.insert("previous_page".into(), json!(prev));
    out.insert("count".into(), json!(count));
    Ok(Value::Object(out))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_match_the_recorded_packing() {
        assert_eq!(pack(&[Key::I(1)]), "aQEAAAAAAAAA");
        let k = vec![Key::S("Support".into()), Key::I(42)];
        assert_eq!(decode("name,id", &encode("name,id", &k)), Some(k.clone()));
        assert_eq!(decode("id", &encode("name,id", &k)), None);
        assert_eq!(decode("id", "garbage"), None);
    }
}
