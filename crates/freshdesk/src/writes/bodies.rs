//! Merge write requests mapped to Freshdesk bodies, remembering for each Freshdesk field
//! where it came from in the Merge request (to point Freshdesk's errors back at it).

use super::*;

/// A Freshdesk body and, for each Freshdesk field, where it came from in the Merge request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Built {
    /// The Freshdesk request body.
    pub body: Map<String, Value>,
    /// `(Freshdesk field, JSON pointer into the Merge request)`; later entries win.
    pub fields: Vec<(String, String)>,
    /// Warnings about what was not written as asked.
    pub warnings: Vec<WriteWarning>,
}

impl Built {
    pub(crate) fn set(&mut self, fd: &str, value: Value, pointer: &str) {
        self.body.insert(fd.to_string(), value);
        self.point(fd, pointer);
    }

    pub(crate) fn point(&mut self, fd: &str, pointer: &str) {
        self.fields.push((fd.to_string(), pointer.to_string()));
    }

    /// The Merge pointer of a Freshdesk field named in an error (`status`,
    /// `custom_fields.cf_region`, …); `/model` when none is known.
    pub fn pointer_of(&self, fd_field: &str) -> String {
        let found = self
            .fields
            .iter()
            .rev()
            .find(|(f, _)| f == fd_field)
            .map(|(_, p)| p.clone());
        found.unwrap_or_else(|| match fd_field.split_once('.') {
            Some(("custom_fields", _)) => "/model/remote_fields".to_string(),
            _ => "/model".to_string(),
        })
    }

    /// Rewrites Freshdesk's validation problems into problems located in the Merge request.
    pub fn locate(&self, problems: Vec<FieldProblem>) -> Vec<FieldProblem> {
        problems
            .into_iter()
            .map(|p| {
                let pointer = self.pointer_of(&p.field);
                let message = if p.field.is_empty() {
                    format!("Freshdesk: {}", p.message)
                } else {
                    format!("Freshdesk rejected `{}`: {}", p.field, p.message)
                };
                FieldProblem {
                    field: pointer,
                    message,
                    code: p.code,
                }
            })
            .collect()
    }
}

pub(crate) fn warning(
    pointer: &str,
    problem_type: &str,
    title: &str,
    detail: String,
) -> WriteWarning {
    WriteWarning {
        pointer: Some(pointer.to_string()),
        problem_type: problem_type.to_string(),
        title: title.to_string(),
        detail,
    }
}

pub(crate) fn unsupported(b: &mut Built, names: &[String]) {
    for name in names {
        b.warnings.push(warning(
            &format!("/model/{name}"),
            UNSUPPORTED_FIELD,
            "Field Not Supported",
            format!("Freshdesk has no place for `{name}`; it was not written."),
        ));
    }
}

/// A remote id as Freshdesk expects it: a number when it is one.
pub fn id_value(remote_id: &str) -> Value {
    remote_id
        .parse::<i64>()
        .map(Value::from)
        .unwrap_or_else(|_| Value::String(remote_id.to_string()))
}

/// The account's status choices from its `ticket_fields` (`{"2": ["Open", …], …}`), by code.
pub fn status_choices(ctx: &WriteContext) -> Vec<(i64, String)> {
    let mut out = field_def(ctx, "status")
        .map(|f| crate::ticket_fields::status_labels(std::slice::from_ref(f)))
        .unwrap_or_default();
    out.sort();
    out
}

/// The account's `ticket_fields` listing (see [`crate::ticket_fields`]).
pub(crate) fn ticket_fields(ctx: &WriteContext) -> &[Value] {
    crate::ticket_fields::listing(&ctx.metadata)
}

/// One field of the account's `ticket_fields`.
pub(crate) fn field_def<'a>(ctx: &'a WriteContext, name: &str) -> Option<&'a Value> {
    crate::ticket_fields::field(ticket_fields(ctx), name)
}

/// Freshdesk's status code of a Merge status: OPEN → 2, ON_HOLD → 3, CLOSED → 5,
/// IN_PROGRESS → the account's first custom status (the lowest code ≥ 6 in its
/// `ticket_fields`), else 2 with a warning.
pub fn status_code(status: TicketStatusEnum, ctx: &WriteContext) -> (i64, Option<WriteWarning>) {
    match status {
        TicketStatusEnum::Open => (2, None),
        TicketStatusEnum::OnHold => (3, None),
        TicketStatusEnum::Closed => (5, None),
        TicketStatusEnum::InProgress => match status_choices(ctx).into_iter().find(|(c, _)| *c >= 6)
        {
            Some((code, _)) => (code, None),
            None => (
                2,
                Some(warning(
                    "/model/status",
                    VALUE_SUBSTITUTED,
                    "Status Substituted",
                    "This Freshdesk account has no custom status to stand for IN_PROGRESS; the \
                     ticket was set to Open (2)."
                        .to_string(),
                )),
            ),
        },
    }
}

/// Freshdesk's priority code: LOW → 1, NORMAL → 2, HIGH → 3, URGENT → 4.
pub fn priority_code(priority: PriorityEnum) -> i64 {
    match priority {
        PriorityEnum::Low => 1,
        PriorityEnum::Normal => 2,
        PriorityEnum::High => 3,
        PriorityEnum::Urgent => 4,
    }
}

pub(crate) fn first_of(
    b: &mut Built,
    list: &Patch<Vec<String>>,
    fd: &str,
    pointer: &str,
    what: &str,
    create: bool,
) {
    match list {
        Patch::Absent => {}
        Patch::Null => {
            if !create {
                b.set(fd, Value::Null, pointer);
            }
        }
        Patch::Value(ids) => {
            match ids.first() {
                Some(first) => b.set(fd, id_value(first), &format!("{pointer}/0")),
                None if !create => b.set(fd, Value::Null, pointer),
                None => {}
            }
            for i in 1..ids.len() {
                b.warnings.push(warning(
                    &format!("{pointer}/{i}"),
                    UNSUPPORTED_FIELD,
                    "Field Not Supported",
                    format!("A Freshdesk ticket has one {what}; only the first was written."),
                ));
            }
        }
    }
}

pub(crate) fn relation(b: &mut Built, v: &Patch<String>, fd: &str, pointer: &str, create: bool) {
    match v {
        Patch::Absent => {}
        Patch::Null if create => {}
        Patch::Null => b.set(fd, Value::Null, pointer),
        Patch::Value(id) => b.set(fd, id_value(id), pointer),
    }
}

pub(crate) fn text(b: &mut Built, v: &Patch<String>, fd: &str, pointer: &str) {
    match v {
        Patch::Absent => {}
        Patch::Null => b.set(fd, Value::Null, pointer),
        Patch::Value(s) => b.set(fd, Value::String(s.clone()), pointer),
    }
}

pub(crate) fn extra_params(b: &mut Built, params: &Map<String, Value>) {
    for (k, v) in params {
        b.set(k, v.clone(), &format!("/model/integration_params/{k}"));
    }
}

/// Builds the Freshdesk body of a ticket create (`create`) or update.
pub fn ticket_body(t: &TicketWrite, ctx: &WriteContext, create: bool) -> Built {
    let mut b = Built::default();
    extra_params(&mut b, &t.integration_params);
    b.point("requester_id", "/model/contact");
    text(&mut b, &t.name, "subject", "/model/name");
    text(&mut b, &t.description, "description", "/model/description");
    match &t.status {
        Patch::Absent => {}
        Patch::Null => b.set("status", Value::Null, "/model/status"),
        Patch::Value(s) => {
            let (code, warn) = status_code(*s, ctx);
            b.set("status", code.into(), "/model/status");
            b.warnings.extend(warn);
        }
    }
    match &t.priority {
        Patch::Absent => {}
        Patch::Null => b.set("priority", Value::Null, "/model/priority"),
        Patch::Value(p) => b.set("priority", priority_code(*p).into(), "/model/priority"),
    }
    text(&mut b, &t.ticket_type, "type", "/model/ticket_type");
    match &t.due_date {
        Patch::Absent => {}
        Patch::Null => b.set("due_by", Value::Null, "/model/due_date"),
        Patch::Value(d) => {
            b.set("due_by", format_ts(*d).into(), "/model/due_date");
            if !t.integration_params.contains_key("fr_due_by") {
                b.set("fr_due_by", format_ts(*d).into(), "/model/due_date");
            }
        }
    }
    first_of(
        &mut b,
        &t.assignees,
        "responder_id",
        "/model/assignees",
        "assignee",
        create,
    );
    first_of(
        &mut b,
        &t.assigned_teams,
        "group_id",
        "/model/assigned_teams",
        "group",
        create,
    );
    relation(&mut b, &t.contact, "requester_id", "/model/contact", create);
    relation(&mut b, &t.account, "company_id", "/model/account", create);
    relation(
        &mut b,
        &t.parent_ticket,
        "parent_id",
        "/model/parent_ticket",
        create,
    );
    match &t.tags {
        Patch::Absent => {}
        Patch::Null => b.set("tags", json!([]), "/model/tags"),
        Patch::Value(tags) => b.set("tags", json!(tags), "/model/tags"),
    }
    if !t.custom_fields.is_empty() {
        let mut cf = b
            .body
            .remove("custom_fields")
            .and_then(|v| match v {
                Value::Object(m) => Some(m),
                _ => None,
            })
            .unwrap_or_default();
        for f in &t.custom_fields {
            cf.insert(f.key.clone(), f.value.clone());
            b.point(&format!("custom_fields.{}", f.key), &f.pointer);
        }
        b.body.insert("custom_fields".into(), Value::Object(cf));
    }
    unsupported(&mut b, &t.unsupported);
    b
}

/// Escapes plain text into HTML (Freshdesk bodies are HTML); line breaks become `<br>`.
pub fn text_to_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("<br>"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Which Freshdesk endpoint a comment goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentKind {
    /// `POST /tickets/{id}/reply`.
    Reply,
    /// `POST /tickets/{id}/notes`.
    Note,
}

/// Builds a comment: an agent's public comment is a reply, an agent's private comment a
/// private note, a contact's comment a public note with `incoming: true` and the contact as
/// author.
pub fn comment_body(c: &CommentWrite) -> (CommentKind, Built) {
    let mut b = Built::default();
    extra_params(&mut b, &c.integration_params);
    let (html, pointer) = match (&c.html_body, &c.body) {
        (Some(h), _) => (Some(h.clone()), "/model/html_body"),
        (None, Some(t)) => (Some(text_to_html(t)), "/model/body"),
        (None, None) => (None, "/model/body"),
    };
    match html {
        Some(h) => b.set("body", Value::String(h), pointer),
        None => b.point("body", pointer),
    }
    let private = c.is_private.unwrap_or(false);
    let kind = match &c.author {
        CommentAuthor::Contact(id) => {
            b.set("user_id", id_value(id), "/model/contact");
            b.set("incoming", Value::Bool(true), "/model/contact");
            b.set("private", Value::Bool(false), "/model/is_private");
            if private {
                b.warnings.push(warning(
                    "/model/is_private",
                    VALUE_SUBSTITUTED,
                    "Comment Made Public",
                    "Freshdesk keeps a contact's comment visible to the contact; it was added \
                     as a public note."
                        .to_string(),
                ));
            }
            CommentKind::Note
        }
        CommentAuthor::User(id) => {
            b.set("user_id", id_value(id), "/model/user");
            if private {
                b.set("private", Value::Bool(true), "/model/is_private");
                CommentKind::Note
            } else {
                CommentKind::Reply
            }
        }
        CommentAuthor::Default => {
            if private {
                b.set("private", Value::Bool(true), "/model/is_private");
                CommentKind::Note
            } else {
                CommentKind::Reply
            }
        }
    };
    unsupported(&mut b, &c.unsupported);
    (kind, b)
}

/// Builds a contact: `name`, `email`, `phone`, `description`, `company_id`.
pub fn contact_body(c: &ContactWrite) -> Built {
    let mut b = Built::default();
    extra_params(&mut b, &c.integration_params);
    let pairs = [
        ("name", &c.name, "/model/name"),
        ("email", &c.email_address, "/model/email_address"),
        ("phone", &c.phone_number, "/model/phone_number"),
        ("description", &c.details, "/model/details"),
    ];
    for (fd, v, pointer) in pairs {
        match v {
            Some(s) => b.set(fd, Value::String(s.clone()), pointer),
            None => b.point(fd, pointer),
        }
    }
    if let Some(a) = &c.account {
        b.set("company_id", id_value(a), "/model/account");
    }
    unsupported(&mut b, &c.unsupported);
    b
}
