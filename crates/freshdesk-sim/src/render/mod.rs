//! JSON rendering in Freshdesk's key order.

mod people;
mod tickets;

pub use people::{
    agent, company, contact_list_item, contact_view, group, role, ticket_field, time_entry,
};
pub use tickets::{
    Includes, conversation, note_created, reply_created, ticket_list_item, ticket_view,
};

use serde_json::{Map, Value};

use crate::model::Attachment;
use crate::sign::Signer;
use crate::time;

/// What rendering needs besides the data: the base URL for attachment links and the signer.
pub struct Ctx<'a> {
    /// Base URL (`http://host:port`), from the request's Host header.
    pub base: &'a str,
    /// URL signer.
    pub signer: &'a Signer,
}

/// JSON for an optional string.
pub fn opt_str<S: AsRef<str>>(s: &Option<S>) -> Value {
    s.as_ref()
        .map(|x| Value::String(x.as_ref().to_owned()))
        .unwrap_or(Value::Null)
}

/// JSON for an optional integer.
pub fn opt_int(i: Option<i64>) -> Value {
    i.map(Value::from).unwrap_or(Value::Null)
}

/// JSON for a list of strings.
pub fn strs<S: AsRef<str>>(v: &[S]) -> Value {
    Value::Array(
        v.iter()
            .map(|s| Value::String(s.as_ref().to_owned()))
            .collect(),
    )
}

/// JSON for an optional list of strings.
pub fn opt_strs(v: &Option<Vec<String>>) -> Value {
    v.as_ref().map(|x| strs(x)).unwrap_or(Value::Null)
}

/// JSON for a list of ids.
pub fn ints(v: &[i64]) -> Value {
    Value::Array(v.iter().map(|i| Value::from(*i)).collect())
}

/// Minimal HTML escaping for generated bodies.
pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// `<div>text</div>` unless an explicit HTML body is stored.
pub fn html(text: &str, html: &Option<String>) -> Value {
    Value::String(
        html.clone()
            .unwrap_or_else(|| format!("<div>{}</div>", html_escape(text))),
    )
}

/// Attachment as in the ticket view: `id, content_type, size, name, attachment_url, created_at, updated_at`.
pub fn ticket_attachment(a: &Attachment, ctx: &Ctx<'_>) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), a.id.into());
    m.insert("content_type".into(), a.content_type.into());
    m.insert("size".into(), a.size.into());
    m.insert("name".into(), a.name.as_ref().into());
    m.insert("attachment_url".into(), ctx.signer.url(ctx.base, a).into());
    m.insert("created_at".into(), time::ts(a.created_at));
    m.insert("updated_at".into(), time::ts(a.updated_at));
    Value::Object(m)
}

/// Attachment as in conversations: `id, name, content_type, size, created_at, updated_at, attachment_url`.
pub fn conversation_attachment(a: &Attachment, ctx: &Ctx<'_>) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), a.id.into());
    m.insert("name".into(), a.name.as_ref().into());
    m.insert("content_type".into(), a.content_type.into());
    m.insert("size".into(), a.size.into());
    m.insert("created_at".into(), time::ts(a.created_at));
    m.insert("updated_at".into(), time::ts(a.updated_at));
    m.insert("attachment_url".into(), ctx.signer.url(ctx.base, a).into());
    Value::Object(m)
}
