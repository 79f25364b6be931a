//! Tickets and conversations.

use serde_json::{Map, Value};

use super::{
    Ctx, conversation_attachment, html, ints, opt_int, opt_str, opt_strs, strs, ticket_attachment,
};
use crate::model::{Conversation, Ticket};
use crate::store::AccountData;
use crate::time::{self, opt_ts};

/// Sideloads requested with `include`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Includes {
    /// `description` (list only).
    pub description: bool,
    /// `requester`.
    pub requester: bool,
    /// `stats`.
    pub stats: bool,
    /// `company`.
    pub company: bool,
    /// `conversations` (view only).
    pub conversations: bool,
}

fn head(d: &AccountData, t: &Ticket, m: &mut Map<String, Value>) {
    let p = d.profile;
    m.insert("cc_emails".into(), opt_strs(&t.cc_emails));
    m.insert("fwd_emails".into(), opt_strs(&t.fwd_emails));
    m.insert("reply_cc_emails".into(), opt_strs(&t.reply_cc_emails));
    m.insert("ticket_cc_emails".into(), opt_strs(&t.ticket_cc_emails));
    if p.bcc {
        m.insert("ticket_bcc_emails".into(), strs(&t.ticket_bcc_emails));
    }
    m.insert("fr_escalated".into(), t.fr_escalated.into());
    m.insert("spam".into(), t.spam.into());
    m.insert("email_config_id".into(), opt_int(t.email_config_id));
    m.insert("group_id".into(), opt_int(t.group_id));
    m.insert("priority".into(), t.priority.into());
    m.insert("requester_id".into(), t.requester_id.into());
    m.insert("responder_id".into(), opt_int(t.responder_id));
    m.insert("source".into(), t.source.into());
    m.insert("company_id".into(), opt_int(t.company_id));
    m.insert("status".into(), t.status.into());
    m.insert("subject".into(), t.subject.as_ref().into());
    if p.association {
        m.insert("association_type".into(), opt_int(t.association_type));
    }
    m.insert("support_email".into(), opt_str(&t.support_email));
    m.insert("to_emails".into(), opt_strs(&t.to_emails));
    m.insert("product_id".into(), opt_int(t.product_id));
    m.insert("id".into(), t.id.into());
    m.insert("type".into(), opt_str(&t.ticket_type));
    m.insert("due_by".into(), opt_ts(t.due_by));
    m.insert("fr_due_by".into(), opt_ts(t.fr_due_by));
    m.insert("is_escalated".into(), t.is_escalated.into());
}

fn custom_fields(d: &AccountData, t: &Ticket) -> Value {
    let mut m = Map::new();
    for (i, (name, _)) in d.custom_defs.iter().enumerate() {
        m.insert(
            (*name).into(),
            t.custom.get(i).cloned().unwrap_or(Value::Null),
        );
    }
    Value::Object(m)
}

fn requester(d: &AccountData, t: &Ticket) -> Value {
    let Some(c) = d.contact(t.requester_id) else {
        return Value::Object(Map::new());
    };
    let mut m = Map::new();
    m.insert("id".into(), c.id.into());
    m.insert("name".into(), c.name.clone().into());
    m.insert("email".into(), opt_str(&c.email));
    m.insert("mobile".into(), opt_str(&c.mobile));
    m.insert("phone".into(), opt_str(&c.phone));
    Value::Object(m)
}

fn company(d: &AccountData, t: &Ticket) -> Value {
    let mut m = Map::new();
    if let Some(c) = t.company_id.and_then(|id| d.companies.get(&id)) {
        m.insert("id".into(), c.id.into());
        m.insert("name".into(), c.name.clone().into());
    }
    Value::Object(m)
}

fn stats(t: &Ticket) -> Value {
    let s = &t.stats;
    let done = t.status == 4 || t.status == 5;
    let fallback = |v: Option<i64>| if done { v.or(Some(t.updated_at)) } else { v };
    let mut m = Map::new();
    m.insert("agent_responded_at".into(), opt_ts(s.agent_responded_at));
    m.insert(
        "requester_responded_at".into(),
        opt_ts(s.requester_responded_at),
    );
    m.insert("first_responded_at".into(), opt_ts(s.first_responded_at));
    m.insert("status_updated_at".into(), opt_ts(s.status_updated_at));
    m.insert("reopened_at".into(), opt_ts(s.reopened_at));
    m.insert("resolved_at".into(), opt_ts(fallback(s.resolved_at)));
    m.insert(
        "closed_at".into(),
        opt_ts(if t.status == 5 {
            fallback(s.closed_at)
        } else {
            s.closed_at
        }),
    );
    m.insert("pending_since".into(), opt_ts(s.pending_since));
    Value::Object(m)
}

fn tail(m: &mut Map<String, Value>, t: &Ticket) {
    m.insert("nr_due_by".into(), opt_ts(t.nr_due_by));
    m.insert("nr_escalated".into(), t.nr_escalated.into());
}

/// A ticket as in `GET /tickets` (no attachments, description only when included).
pub fn ticket_list_item(d: &AccountData, t: &Ticket, inc: &Includes) -> Value {
    let mut m = Map::new();
    head(d, t, &mut m);
    m.insert("custom_fields".into(), custom_fields(d, t));
    m.insert("created_at".into(), time::ts(t.created_at));
    m.insert("updated_at".into(), time::ts(t.updated_at));
    if d.profile.association {
        let count =
            (t.association_type == Some(1)).then(|| i64::try_from(t.associated.len()).unwrap_or(0));
        m.insert("associated_tickets_count".into(), opt_int(count));
    }
    m.insert("tags".into(), strs(&t.tags));
    if inc.description {
        m.insert(
            "description".into(),
            html(&t.description_text, &t.description_html),
        );
        m.insert(
            "description_text".into(),
            t.description_text.as_ref().into(),
        );
    }
    if let Some(f) = d.profile.form_id {
        m.insert("form_id".into(), f.into());
    }
    if t.deleted {
        m.insert("deleted".into(), true.into());
    }
    if inc.requester {
        m.insert("requester".into(), requester(d, t));
    }
    if inc.stats {
        m.insert("stats".into(), stats(t));
    }
    if inc.company {
        m.insert("company".into(), company(d, t));
    }
    m.insert("structured_description".into(), Value::Null);
    tail(&mut m, t);
    Value::Object(m)
}

/// A ticket as in `GET /tickets/{id}`.
pub fn ticket_view(d: &AccountData, t: &Ticket, inc: &Includes, ctx: &Ctx<'_>) -> Value {
    let mut m = Map::new();
    head(d, t, &mut m);
    m.insert(
        "description".into(),
        html(&t.description_text, &t.description_html),
    );
    m.insert(
        "description_text".into(),
        t.description_text.as_ref().into(),
    );
    m.insert("custom_fields".into(), custom_fields(d, t));
    m.insert("created_at".into(), time::ts(t.created_at));
    m.insert("updated_at".into(), time::ts(t.updated_at));
    m.insert("tags".into(), strs(&t.tags));
    m.insert(
        "attachments".into(),
        Value::Array(
            t.attachments
                .iter()
                .map(|a| ticket_attachment(a, ctx))
                .collect(),
        ),
    );
    if d.profile.source_info {
        m.insert("source_additional_info".into(), Value::Null);
    }
    if let Some(f) = d.profile.form_id {
        m.insert("form_id".into(), f.into());
    }
    if t.deleted {
        m.insert("deleted".into(), true.into());
    }
    if d.profile.association && t.association_type.is_some() {
        m.insert("associated_tickets_list".into(), ints(&t.associated));
    }
    if inc.requester {
        m.insert("requester".into(), requester(d, t));
    }
    if inc.stats {
        m.insert("stats".into(), stats(t));
    }
    if inc.company {
        m.insert("company".into(), company(d, t));
    }
    if inc.conversations {
        let list = d
            .conversations(t.id)
            .iter()
            .take(10)
            .map(|c| conversation(d, c, ctx))
            .collect();
        m.insert("conversations".into(), Value::Array(list));
    }
    tail(&mut m, t);
    Value::Object(m)
}

/// A conversation as in `GET /tickets/{id}/conversations`.
pub fn conversation(d: &AccountData, c: &Conversation, ctx: &Ctx<'_>) -> Value {
    let mut m = Map::new();
    m.insert("body".into(), html(&c.body_text, &c.body_html));
    m.insert("body_text".into(), c.body_text.as_ref().into());
    m.insert("id".into(), c.id.into());
    m.insert("incoming".into(), c.incoming.into());
    m.insert("private".into(), c.private.into());
    m.insert("user_id".into(), c.user_id.into());
    m.insert("support_email".into(), opt_str(&c.support_email));
    m.insert("source".into(), c.source.into());
    m.insert("category".into(), c.category.into());
    m.insert("to_emails".into(), opt_strs(&c.to_emails));
    m.insert("from_email".into(), opt_str(&c.from_email));
    m.insert("cc_emails".into(), opt_strs(&c.cc_emails));
    m.insert("bcc_emails".into(), opt_strs(&c.bcc_emails));
    for k in [
        "email_failure_count",
        "outgoing_failures",
        "thread_id",
        "thread_message_id",
    ] {
        m.insert(k.into(), Value::Null);
    }
    m.insert("created_at".into(), time::ts(c.created_at));
    m.insert("updated_at".into(), time::ts(c.updated_at));
    m.insert("last_edited_at".into(), Value::Null);
    m.insert("last_edited_user_id".into(), Value::Null);
    m.insert("attachments".into(), conversation_attachments(c, ctx));
    m.insert("automation_id".into(), Value::Null);
    m.insert("automation_type_id".into(), Value::Null);
    m.insert("auto_response".into(), false.into());
    m.insert("ticket_id".into(), c.ticket_id.into());
    if d.profile.delivery_details {
        let mut dd = Map::new();
        dd.insert("failed_emails".into(), strs(&c.failed_emails));
        dd.insert("pending_emails".into(), Value::Array(Vec::new()));
        m.insert("delivery_details".into(), Value::Object(dd));
    }
    m.insert("source_additional_info".into(), Value::Null);
    Value::Object(m)
}

/// A conversation's `attachments` array, as every conversation body shows it.
fn conversation_attachments(c: &Conversation, ctx: &Ctx<'_>) -> Value {
    Value::Array(
        c.attachments
            .iter()
            .map(|a| conversation_attachment(a, ctx))
            .collect(),
    )
}

/// The 201 body of `POST /tickets/{id}/notes`.
pub fn note_created(c: &Conversation, ctx: &Ctx<'_>) -> Value {
    let mut m = Map::new();
    m.insert("body".into(), html(&c.body_text, &c.body_html));
    m.insert("body_text".into(), c.body_text.as_ref().into());
    m.insert("id".into(), c.id.into());
    m.insert("incoming".into(), c.incoming.into());
    m.insert("private".into(), c.private.into());
    m.insert("user_id".into(), c.user_id.into());
    m.insert("support_email".into(), opt_str(&c.support_email));
    m.insert("ticket_id".into(), c.ticket_id.into());
    m.insert("to_emails".into(), opt_strs(&c.to_emails));
    m.insert("created_at".into(), time::ts(c.created_at));
    m.insert("updated_at".into(), time::ts(c.updated_at));
    m.insert("attachments".into(), conversation_attachments(c, ctx));
    Value::Object(m)
}

/// The 201 body of `POST /tickets/{id}/reply`.
pub fn reply_created(c: &Conversation, ctx: &Ctx<'_>) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), c.id.into());
    m.insert("user_id".into(), c.user_id.into());
    m.insert("from_email".into(), opt_str(&c.from_email));
    m.insert("cc_emails".into(), opt_strs(&c.cc_emails));
    m.insert("bcc_emails".into(), opt_strs(&c.bcc_emails));
    m.insert("body".into(), html(&c.body_text, &c.body_html));
    m.insert("body_text".into(), c.body_text.as_ref().into());
    m.insert("ticket_id".into(), c.ticket_id.into());
    m.insert("to_emails".into(), opt_strs(&c.to_emails));
    m.insert("attachments".into(), conversation_attachments(c, ctx));
    m.insert("source_additional_info".into(), Value::Null);
    m.insert("created_at".into(), time::ts(c.created_at));
    m.insert("updated_at".into(), time::ts(c.updated_at));
    Value::Object(m)
}
