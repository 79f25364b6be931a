//! Merge write requests → Zendesk request bodies, and Zendesk's field names in errors →
//! JSON pointers into the Merge request.

use deskbridge_model::{Patch, PriorityEnum, TicketStatusEnum};
use deskbridge_provider::{
    CommentAuthor, CommentWrite, ContactWrite, FieldProblem, ProviderError, TicketWrite,
    WriteContext, WriteWarning,
};
use serde_json::{Map, Value, json};

use crate::fields::format_ts;

/// Problem type of a Merge field Zendesk has no place for (a warning).
pub const UNSUPPORTED_FIELD: &str = "UNSUPPORTED_FIELD";
/// Problem type of a value replaced by another (a warning).
pub const VALUE_SUBSTITUTED: &str = "VALUE_SUBSTITUTED";

/// A Zendesk body (the object inside `{"ticket": …}` or `{"user": …}`) and, per Zendesk field,
/// where it came from in the Merge request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Built {
    /// The inner Zendesk object.
    pub body: Map<String, Value>,
    /// `(Zendesk field, JSON pointer into the Merge request)`; later entries win.
    pub fields: Vec<(String, String)>,
    /// Warnings about what was not written as asked.
    pub warnings: Vec<WriteWarning>,
}

impl Built {
    fn set(&mut self, zd: &str, value: Value, pointer: &str) {
        self.body.insert(zd.to_string(), value);
        self.point(zd, pointer);
    }

    fn point(&mut self, zd: &str, pointer: &str) {
        self.fields.push((zd.to_string(), pointer.to_string()));
    }

    /// The Merge pointer of a field Zendesk names in an error (`status`, `requester`,
    /// `custom_fields.{id}`, `base`, …); `/model` when none is known.
    pub fn pointer_of(&self, zd_field: &str) -> String {
        let key = match zd_field {
            "requester" => "requester_id",
            "assignee" => "assignee_id",
            "group" => "group_id",
            "organization" => "organization_id",
            "description" | "body" => "comment",
            other => other,
        };
        self.fields
            .iter()
            .rev()
            .find(|(f, _)| f == key)
            .map(|(_, p)| p.clone())
            .unwrap_or_else(|| match key.split_once('.') {
                Some(("custom_fields", _)) => "/model/remote_fields".to_string(),
                _ => "/model".to_string(),
            })
    }

    /// Rewrites Zendesk's problems into problems located in the Merge request, quoting
    /// Zendesk's own reason.
    pub fn locate(&self, problems: Vec<FieldProblem>) -> Vec<FieldProblem> {
        problems
            .into_iter()
            .map(|p| FieldProblem {
                field: self.pointer_of(&p.field),
                message: if p.field.is_empty() || p.field == "base" {
                    format!("Zendesk: {}", p.message)
                } else {
                    format!("Zendesk rejected `{}`: {}", p.field, p.message)
                },
                code: p.code,
            })
            .collect()
    }
}

fn warning(pointer: &str, problem_type: &str, title: &str, detail: String) -> WriteWarning {
    WriteWarning {
        pointer: Some(pointer.to_string()),
        problem_type: problem_type.to_string(),
        title: title.to_string(),
        detail,
    }
}

fn unsupported(b: &mut Built, names: &[String]) {
    for name in names {
        b.warnings.push(warning(
            &format!("/model/{name}"),
            UNSUPPORTED_FIELD,
            "Field Not Supported",
            format!("Zendesk has no place for `{name}`; it was not written."),
        ));
    }
}

/// A remote id as Zendesk expects it: a number when it is one.
pub fn id_value(remote_id: &str) -> Value {
    remote_id
        .parse::<i64>()
        .map(Value::from)
        .unwrap_or_else(|_| Value::String(remote_id.to_string()))
}

/// Whether the account can put tickets on hold: an active custom status of category `hold`
/// when its custom statuses are known, else a `hold` option of the status ticket field when
/// its fields are known, else assumed.
pub fn account_has_hold(ctx: &WriteContext) -> bool {
    if let Some(statuses) = ctx
        .metadata
        .get("custom_statuses")
        .and_then(Value::as_array)
    {
        return statuses.iter().any(|s| {
            s.get("status_category").and_then(Value::as_str) == Some("hold")
                && s.get("active").and_then(Value::as_bool) != Some(false)
        });
    }
    let status_field = ctx
        .metadata
        .get("ticket_fields")
        .and_then(Value::as_array)
        .and_then(|f| {
            f.iter()
                .find(|f| f.get("type").and_then(Value::as_str) == Some("status"))
        });
    match status_field
        .and_then(|f| f.get("system_field_options"))
        .and_then(Value::as_array)
    {
        Some(opts) => opts
            .iter()
            .any(|o| o.get("value").and_then(Value::as_str) == Some("hold")),
        None => true,
    }
}

/// Zendesk's status for a Merge status: OPEN and IN_PROGRESS → `open`; ON_HOLD → `hold`, or
/// `pending` (with a warning) when the account has no hold; CLOSED → `solved`, never `closed`
/// (a closed ticket can never change again).
pub fn status_value(
    s: TicketStatusEnum,
    ctx: &WriteContext,
) -> (&'static str, Option<WriteWarning>) {
    match s {
        TicketStatusEnum::Open | TicketStatusEnum::InProgress => ("open", None),
        TicketStatusEnum::Closed => ("solved", None),
        TicketStatusEnum::OnHold if account_has_hold(ctx) => ("hold", None),
        TicketStatusEnum::OnHold => (
            "pending",
            Some(warning(
                "/model/status",
                VALUE_SUBSTITUTED,
                "Status Substituted",
                "This Zendesk account has no On-hold status; the ticket was set to Pending."
                    .to_string(),
            )),
        ),
    }
}

/// Zendesk's priority: LOW → `low`, NORMAL → `normal`, HIGH → `high`, URGENT → `urgent`.
pub fn priority_value(p: PriorityEnum) -> &'static str {
    match p {
        PriorityEnum::Low => "low",
        PriorityEnum::Normal => "normal",
        PriorityEnum::High => "high",
        PriorityEnum::Urgent => "urgent",
    }
}

/// Whether a text looks like HTML (then it is sent as `html_body`, else as `body`).
fn looks_like_html(s: &str) -> bool {
    let t = s.trim_start();
    t.starts_with('<') && s.contains('>')
}

fn first_of(
    b: &mut Built,
    list: &Patch<Vec<String>>,
    zd: &str,
    ptr: &str,
    what: &str,
    create: bool,
) {
    match list {
        Patch::Absent => {}
        Patch::Null => {
            if !create {
                b.set(zd, Value::Null, ptr);
            }
        }
        Patch::Value(ids) => {
            match ids.first() {
                Some(first) => b.set(zd, id_value(first), &format!("{ptr}/0")),
                None if !create => b.set(zd, Value::Null, ptr),
                None => {}
            }
            for i in 1..ids.len() {
                b.warnings.push(warning(
                    &format!("{ptr}/{i}"),
                    UNSUPPORTED_FIELD,
                    "Field Not Supported",
                    format!("A Zendesk ticket has one {what}; only the first was written."),
                ));
            }
        }
    }
}

fn relation(b: &mut Built, v: &Patch<String>, zd: &str, ptr: &str, create: bool) {
    match v {
        Patch::Absent => {}
        Patch::Null if create => {}
        Patch::Null => b.set(zd, Value::Null, ptr),
        Patch::Value(id) => b.set(zd, id_value(id), ptr),
    }
}

/// Builds the inner `ticket` object of a create (`create`) or an update.
pub fn ticket_body(t: &TicketWrite, ctx: &WriteContext, create: bool) -> Built {
    let mut b = Built::default();
    for (k, v) in &t.integration_params {
        b.set(k, v.clone(), &format!("/model/integration_params/{k}"));
    }
    match &t.name {
        Patch::Value(s) => b.set("subject", json!(s), "/model/name"),
        Patch::Null if !create => b.set("subject", json!(""), "/model/name"),
        _ => {}
    }
    match (&t.description, create) {
        (Patch::Value(d), true) => {
            let key = if looks_like_html(d) {
                "html_body"
            } else {
                "body"
            };
            b.set("comment", json!({ key: d }), "/model/description");
        }
        (Patch::Absent, _) | (Patch::Null, true) => b.point("comment", "/model/description"),
        (_, false) => b.warnings.push(warning(
            "/model/description",
            UNSUPPORTED_FIELD,
            "Field Not Supported",
            "Zendesk's description is the ticket's first comment and cannot be changed; add a \
             comment instead."
                .to_string(),
        )),
    }
    match &t.status {
        Patch::Value(s) => {
            let (v, warn) = status_value(*s, ctx);
            b.set("status", json!(v), "/model/status");
            b.warnings.extend(warn);
        }
        Patch::Null => b.warnings.push(warning(
            "/model/status",
            UNSUPPORTED_FIELD,
            "Field Not Supported",
            "A Zendesk ticket always has a status; it was left unchanged.".to_string(),
        )),
        Patch::Absent => {}
    }
    match &t.priority {
        Patch::Value(p) => b.set("priority", json!(priority_value(*p)), "/model/priority"),
        Patch::Null => b.set("priority", Value::Null, "/model/priority"),
        Patch::Absent => {}
    }
    match &t.ticket_type {
        Patch::Value(s) => b.set("type", json!(s.to_ascii_lowercase()), "/model/ticket_type"),
        Patch::Null => b.set("type", Value::Null, "/model/ticket_type"),
        Patch::Absent => {}
    }
    match &t.due_date {
        Patch::Value(d) => b.set("due_at", json!(format_ts(*d)), "/model/due_date"),
        Patch::Null => b.set("due_at", Value::Null, "/model/due_date"),
        Patch::Absent => {}
    }
    first_of(
        &mut b,
        &t.assignees,
        "assignee_id",
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
    relation(
        &mut b,
        &t.account,
        "organization_id",
        "/model/account",
        create,
    );
    relation(
        &mut b,
        &t.parent_ticket,
        "problem_id",
        "/model/parent_ticket",
        create,
    );
    match &t.tags {
        Patch::Value(tags) => b.set("tags", json!(tags), "/model/tags"),
        Patch::Null => b.set("tags", json!([]), "/model/tags"),
        Patch::Absent => {}
    }
    if !t.custom_fields.is_empty() {
        let mut list = Vec::new();
        for f in &t.custom_fields {
            list.push(json!({"id": id_value(&f.key), "value": f.value}));
            b.point(&format!("custom_fields.{}", f.key), &f.pointer);
        }
        b.body.insert("custom_fields".into(), Value::Array(list));
    }
    unsupported(&mut b, &t.unsupported);
    b
}

/// Builds the `ticket` object of a comment: `comment: {body|html_body, public, author_id}`.
/// An author given explicitly is written as `author_id` (Zendesk attributes the comment to
/// that user), so no "[Posted on behalf of …]" prefix is needed.
pub fn comment_body(c: &CommentWrite) -> Result<Built, ProviderError> {
    let mut b = Built::default();
    let mut comment = Map::new();
    let (key, text, ptr) = match (&c.html_body, &c.body) {
        (Some(h), _) => ("html_body", h, "/model/html_body"),
        (None, Some(t)) => ("body", t, "/model/body"),
        (None, None) => {
            return Err(ProviderError::Validation(vec![FieldProblem {
                field: "/model/body".into(),
                message: "A comment needs a body or an html_body.".into(),
                code: "missing_field".into(),
            }]));
        }
    };
    comment.insert(key.into(), json!(text));
    b.point("comment", ptr);
    if let Some(private) = c.is_private {
        comment.insert("public".into(), json!(!private));
    }
    match &c.author {
        CommentAuthor::User(id) => {
            comment.insert("author_id".into(), id_value(id));
            b.point("author_id", "/model/user");
        }
        CommentAuthor::Contact(id) => {
            comment.insert("author_id".into(), id_value(id));
            b.point("author_id", "/model/contact");
        }
        CommentAuthor::Default => {}
    }
    for (k, v) in &c.integration_params {
        comment.insert(k.clone(), v.clone());
        b.point(k, &format!("/model/integration_params/{k}"));
    }
    b.body.insert("comment".into(), Value::Object(comment));
    unsupported(&mut b, &c.unsupported);
    Ok(b)
}

/// Builds the `user` object of a contact: an end-user with `name`, `email`, `phone`,
/// `details`, `organization_id`.
pub fn contact_body(c: &ContactWrite) -> Built {
    let mut b = Built::default();
    for (k, v) in &c.integration_params {
        b.set(k, v.clone(), &format!("/model/integration_params/{k}"));
    }
    let pairs = [
        ("name", &c.name, "/model/name"),
        ("email", &c.email_address, "/model/email_address"),
        ("phone", &c.phone_number, "/model/phone_number"),
        ("details", &c.details, "/model/details"),
    ];
    for (zd, v, ptr) in pairs {
        match v {
            Some(s) => b.set(zd, json!(s), ptr),
            None => b.point(zd, ptr),
        }
    }
    if let Some(a) = &c.account {
        b.set("organization_id", id_value(a), "/model/account");
    }
    b.body.insert("role".into(), json!("end-user"));
    unsupported(&mut b, &c.unsupported);
    b
}
