//! `GET /tickets/{id}/conversations`, `POST /tickets/{id}/reply`, `POST /tickets/{id}/notes`.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::common::{absent, check, email_list, list_response, parse_body, strip_html};
use crate::automations::Happened;
use crate::errors::{ApiError, FieldError, json_response};
use crate::http::query::{page_of, paging};
use crate::model::Conversation;
use crate::render::{self, Ctx};
use crate::req::{Outcome, Req};
use crate::sim::{AccountCell, Simulator, read, write};
use crate::store::{AccountData, IdKind};

/// `GET /tickets/{id}/conversations`, by `created_at` ascending.
pub fn list(
    sim: &Simulator,
    acct: &Arc<AccountCell>,
    req: &Req,
    id: i64,
) -> Result<Outcome, ApiError> {
    let d = read(&acct.data);
    d.ticket(id).ok_or(ApiError::NotFound)?;
    check(req.query.unknown(&["page", "per_page"]))?;
    let mut errors = Vec::new();
    let p = paging(&req.query, None, &mut errors);
    check(errors)?;
    let ctx = Ctx {
        base: &req.base,
        signer: &sim.inner.signer,
    };
    let all: Vec<&Conversation> = d.conversations(id).iter().collect();
    let (items, more) = page_of(&all, &p);
    let body = items
        .into_iter()
        .map(|c| render::conversation(&d, c, &ctx))
        .collect();
    Ok(list_response(body, more, req, &p).into())
}

/// What kind of conversation to add.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewKind {
    /// An agent email reply.
    Reply,
    /// A note.
    Note,
}

/// Validates a reply/note body and adds the conversation, bumping the ticket's `updated_at`.
pub fn add(
    d: &mut AccountData,
    ticket_id: i64,
    kind: NewKind,
    b: &Map<String, Value>,
    me: i64,
) -> Result<Conversation, ApiError> {
    let allowed: &[&str] = match kind {
        NewKind::Reply => &[
            "body",
            "from_email",
            "user_id",
            "cc_emails",
            "bcc_emails",
            "attachments",
        ],
        NewKind::Note => &[
            "body",
            "private",
            "incoming",
            "user_id",
            "notify_emails",
            "attachments",
        ],
    };
    check(
        b.keys()
            .filter(|k| !allowed.contains(&k.as_str()))
            .map(|k| FieldError::unexpected(k))
            .collect(),
    )?;
    let mut e = Vec::new();
    let body = match b.get("body") {
        None => {
            e.push(FieldError::missing("body"));
            String::new()
        }
        Some(Value::String(s)) if s.trim().is_empty() => {
            e.push(FieldError::blank("body"));
            String::new()
        }
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            e.push(FieldError::datatype("body", other, "String"));
            String::new()
        }
    };
    let mut flag = |f: &str, default: bool| match b.get(f) {
        None => default,
        Some(Value::Bool(x)) => *x,
        Some(other) => {
            e.push(FieldError::datatype(f, other, "Boolean"));
            default
        }
    };
    let private = flag("private", true);
    let incoming = flag("incoming", false);
    let user_id = match b.get("user_id") {
        None => None,
        Some(Value::Number(n)) if n.as_i64().is_some_and(|x| x > 0) => n.as_i64(),
        Some(other) => {
            e.push(FieldError::datatype("user_id", other, "Positive Integer"));
            None
        }
    };
    let cc = email_list("cc_emails", b.get("cc_emails"), &mut e);
    let bcc = email_list("bcc_emails", b.get("bcc_emails"), &mut e);
    let notify = email_list("notify_emails", b.get("notify_emails"), &mut e);
    let from_email = match b.get("from_email") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            e.push(FieldError::datatype("from_email", other, "String"));
            None
        }
    };
    if b.contains_key("attachments") {
        e.push(FieldError::new(
            "attachments",
            "It should contain elements of type valid file format only",
            "datatype_mismatch",
        ));
    }
    check(e)?;
    if let Some(u) = user_id {
        let ok = match kind {
            NewKind::Reply => d.agents.contains_key(&u),
            NewKind::Note => d.user_exists(u),
        };
        if !ok {
            return Err(ApiError::field(absent(
                "user_id",
                if kind == NewKind::Reply {
                    "agent"
                } else {
                    "contact"
                },
            )));
        }
    }
    let t = d.ticket(ticket_id).ok_or(ApiError::NotFound)?.clone();
    let now = d.now();
    let support = t.support_email.clone().unwrap_or_else(|| {
        d.email_configs
            .first()
            .map(|c| c.1.clone())
            .unwrap_or_default()
    });
    let req_email = d.contact(t.requester_id).and_then(|c| c.email.clone());
    let user = user_id.unwrap_or(me);
    let mut c = Conversation {
        id: d.next_id(IdKind::Conversation),
        ticket_id,
        user_id: user,
        body_text: strip_html(&body).into(),
        body_html: Some(body),
        incoming: false,
        private: false,
        source: 0,
        category: 3,
        support_email: None,
        to_emails: Some(Vec::new()),
        from_email: None,
        cc_emails: Some(cc.unwrap_or_default()),
        bcc_emails: None,
        created_at: now,
        updated_at: now,
        attachments: Vec::new(),
        failed_emails: Vec::new(),
    };
    match kind {
        NewKind::Reply => {
            c.support_email = Some(support.clone());
            c.to_emails = Some(req_email.into_iter().collect());
            c.from_email = Some(
                from_email.unwrap_or_else(|| format!("\"Sim{} Support\" <{support}>", d.index + 1)),
            );
            c.bcc_emails = Some(bcc.unwrap_or_default());
        }
        NewKind::Note => {
            c.source = 2;
            c.private = private;
            c.incoming = incoming;
            c.category = if private {
                2
            } else if c.incoming {
                1
            } else {
                3
            };
            c.to_emails = Some(notify.unwrap_or_default());
        }
    }
    let is_reply = kind == NewKind::Reply;
    let from_customer = c.incoming;
    d.push_conversation(c.clone());
    d.update_ticket(ticket_id, |t| {
        t.updated_at = now;
        if is_reply {
            t.stats.agent_responded_at = Some(now);
            t.stats.first_responded_at.get_or_insert(now);
        } else if from_customer {
            t.stats.requester_responded_at = Some(now);
        }
    });
    let what = Happened::Conversation {
        reply: is_reply,
        private: c.private,
    };
    crate::automations::run(d, ticket_id, &what);
    Ok(c)
}

/// Adds a reply or a note to ticket `id` from the request body; the conversation and the
/// context to render it with.
fn add_to_ticket<'a>(
    sim: &'a Simulator,
    acct: &Arc<AccountCell>,
    req: &'a Req,
    id: i64,
    kind: NewKind,
) -> Result<(Conversation, Ctx<'a>), ApiError> {
    let mut d = write(&acct.data);
    d.ticket(id).ok_or(ApiError::NotFound)?;
    let body = parse_body(req)?;
    let c = add(&mut d, id, kind, &body, req.me)?;
    let ctx = Ctx {
        base: &req.base,
        signer: &sim.inner.signer,
    };
    Ok((c, ctx))
}

/// `POST /tickets/{id}/reply`.
pub fn reply(
    sim: &Simulator,
    acct: &Arc<AccountCell>,
    req: &Req,
    id: i64,
) -> Result<Outcome, ApiError> {
    let (c, ctx) = add_to_ticket(sim, acct, req, id, NewKind::Reply)?;
    Ok(json_response(201, &render::reply_created(&c, &ctx)).into())
}

/// `POST /tickets/{id}/notes`.
pub fn note(
    sim: &Simulator,
    acct: &Arc<AccountCell>,
    req: &Req,
    id: i64,
) -> Result<Outcome, ApiError> {
    let (c, ctx) = add_to_ticket(sim, acct, req, id, NewKind::Note)?;
    Ok(json_response(201, &render::note_created(&c, &ctx)).into())
}
