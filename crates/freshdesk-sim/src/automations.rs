//! Automation rules (reference §8): validation of rule bodies and their evaluation after a
//! ticket is created (rules of type 1, "Ticket creation": the first matching active rule runs,
//! as with Freshdesk's default non-cascading dispatcher) or updated (type 4, "Ticket updates":
//! every active rule with a matching event and matching conditions runs). Type 3 (hourly) rules
//! are stored but never run. The only action carried out is "Trigger webhook"
//! (`field_name: "trigger_webhook"`), whose request goes to [`crate::push`]; the performer
//! is stored, not evaluated.

use base64::Engine;
use serde_json::{Map, Value, json};

use crate::datagen::{PRIORITIES, SOURCES, STATUSES};
use crate::errors::FieldError;
use crate::model::Ticket;
use crate::push::Outgoing;
use crate::store::AccountData;
use crate::time::fmt;

/// Ticket fields that conditions and events may name.
const FIELDS: &[&str] = &[
    "status",
    "priority",
    "source",
    "ticket_type",
    "group_id",
    "responder_id",
];

/// Event fields of "Ticket updates" rules the simulator can observe.
const EVENTS: &[&str] = &["note_type", "reply_sent", "ticket_action"];

/// What happened to a ticket.
#[derive(Debug, Clone)]
pub enum Happened {
    /// Created (type 1 rules).
    Created,
    /// Property changes `(field, from, to)` (type 4 rules).
    Changed(Vec<(&'static str, Value, Value)>),
    /// A reply (`reply = true`) or a note was added.
    Conversation {
        /// An agent reply (else a note or an incoming customer message).
        reply: bool,
        /// A private note.
        private: bool,
    },
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn label(field: &str, v: &Value) -> String {
    let n = v.as_i64();
    let found = match field {
        "status" => STATUSES.iter().find(|s| Some(s.0) == n).map(|s| s.1),
        "priority" => PRIORITIES.iter().find(|p| Some(p.1) == n).map(|p| p.0),
        "source" => SOURCES.iter().find(|p| Some(p.1) == n).map(|p| p.0),
        _ => None,
    };
    found.map(str::to_owned).unwrap_or_else(|| text(v))
}

/// `"--"` or nothing matches anything; otherwise the id or its label.
fn same(field: &str, want: &Value, have: &Value) -> bool {
    let w = text(want);
    w.is_empty() || w == "--" || w == text(have) || w.eq_ignore_ascii_case(&label(field, have))
}

fn field_value(t: &Ticket, field: &str) -> Value {
    match field {
        "status" => json!(t.status),
        "priority" => json!(t.priority),
        "source" => json!(t.source),
        "ticket_type" => json!(t.ticket_type),
        "group_id" => json!(t.group_id),
        "responder_id" => json!(t.responder_id),
        _ => Value::Null,
    }
}

fn list(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    }
}

fn conditions_hold(rule: &Value, t: &Ticket) -> bool {
    list(&rule["conditions"]).iter().all(|set| {
        let props = list(&set["properties"]);
        let one = |p: &Value| {
            let field = p["field_name"].as_str().unwrap_or_default();
            let have = field_value(t, field);
            let hit = list(&p["value"]).iter().any(|w| same(field, w, &have));
            match p["operator"].as_str().unwrap_or("in") {
                "not_in" | "is_not" => !hit,
                _ => hit,
            }
        };
        match set["match_type"].as_str() {
            Some("any") => props.is_empty() || props.iter().any(one),
            _ => props.iter().all(one),
        }
    })
}

/// The first event of a type 4 rule that this update matches, as `{{triggered_event}}`.
fn matching_event(rule: &Value, what: &Happened) -> Option<Value> {
    list(&rule["events"]).iter().find_map(|e| {
        let name = e["field_name"].as_str().unwrap_or_default();
        match (name, what) {
            ("ticket_action", Happened::Changed(_) | Happened::Conversation { .. })
                if text(&e["value"]) == "update" =>
            {
                Some(json!({"ticket_action": "update"}))
            }
            (
                "note_type",
                Happened::Conversation {
                    reply: false,
                    private,
                },
            ) => {
                let kind = if *private { "private" } else { "public" };
                let w = text(&e["value"]);
                (w.is_empty() || w == "--" || w == kind).then(|| json!({"note_type": kind}))
            }
            ("reply_sent", Happened::Conversation { reply: true, .. }) => {
                Some(json!({"reply_sent": "sent"}))
            }
            (f, Happened::Changed(changes)) => changes
                .iter()
                .find(|(c, from, to)| *c == f && same(f, &e["from"], from) && same(f, &e["to"], to))
                .map(|(c, from, to)| json!({ *c: {"from": label(c, from), "to": label(c, to)}})),
            _ => None,
        }
    })
}

/// Checks a rule body as `POST /automations/{type}/rules` does; the errors use Freshdesk's
/// validation shape.
pub fn validate(kind: i64, b: &Map<String, Value>) -> Result<(), Vec<FieldError>> {
    let mut errs = Vec::new();
    if b.get("name")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        errs.push(FieldError::new(
            "name",
            "It should not be blank as this is a mandatory field",
            "missing_field",
        ));
    }
    let actions = list(b.get("actions").unwrap_or(&Value::Null));
    if actions.is_empty() {
        errs.push(FieldError::new(
            "actions",
            "It should not be blank as this is a mandatory field",
            "missing_field",
        ));
    }
    for set in list(b.get("conditions").unwrap_or(&Value::Null)) {
        for p in list(&set["properties"]) {
            let f = p["field_name"].as_str().unwrap_or_default();
            if !FIELDS.contains(&f) {
                errs.push(FieldError::not_included(
                    "conditions[:field_name]",
                    &FIELDS.join(","),
                ));
            }
        }
    }
    if kind == 4 {
        let events = list(b.get("events").unwrap_or(&Value::Null));
        if events.is_empty() {
            errs.push(FieldError::new(
                "events",
                "It should not be blank as this is a mandatory field",
                "missing_field",
            ));
        }
        for e in events {
            let f = e["field_name"].as_str().unwrap_or_default();
            if !FIELDS.contains(&f) && !EVENTS.contains(&f) {
                let all = [FIELDS, EVENTS].concat().join(",");
                errs.push(FieldError::not_included("events[:field_name]", &all));
            }
        }
    }
    for a in actions
        .iter()
        .filter(|a| a["field_name"] == "trigger_webhook")
    {
        let method = a["request_type"].as_str().unwrap_or("POST");
        if !["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&method) {
            errs.push(FieldError::not_included(
                "actions[:request_type]",
                "GET,POST,PUT,PATCH,DELETE",
            ));
        }
        if a["url"].as_str().is_none_or(str::is_empty) {
            errs.push(FieldError::new(
                "actions[:url]",
                "It should not be blank as this is a mandatory field",
                "missing_field",
            ));
        }
        if a["custom_headers"].as_object().is_some_and(|h| h.len() > 5) {
            errs.push(FieldError::new(
                "actions[:custom_headers]",
                "Has 6 or more elements, it can have maximum of 5 elements",
                "invalid_value",
            ));
        }
    }
    if errs.is_empty() { Ok(()) } else { Err(errs) }
}

/// A placeholder's value; unknown ones render empty (Liquid).
fn placeholder(name: &str, d: &AccountData, t: &Ticket, event: &Value) -> String {
    let sub = format!("sim{}", d.index + 1);
    let contact = d.contact(t.requester_id);
    let agent = t.responder_id.and_then(|a| d.agents.get(&a));
    let latest = |private: bool| {
        d.conversations(t.id)
            .iter()
            .rev()
            .find(|c| c.private == private)
            .map(|c| c.body_text.to_string())
            .unwrap_or_default()
    };
    match name {
        "ticket.id" => t.id.to_string(),
        "ticket.subject" => t.subject.to_string(),
        "ticket.description" => t.description_text.to_string(),
        "ticket.status" => label("status", &json!(t.status)),
        "ticket.priority" => label("priority", &json!(t.priority)),
        "ticket.source" => label("source", &json!(t.source)),
        "ticket.ticket_type" => t.ticket_type.as_deref().unwrap_or_default().to_owned(),
        "ticket.tags" => t.tags.join(","),
        "ticket.url" => format!("https://{sub}.freshdesk.com/helpdesk/tickets/{}", t.id),
        "ticket.created_at" => fmt(t.created_at),
        "ticket.updated_at" => fmt(t.updated_at),
        "ticket.due_by_time" => t.due_by.map(fmt).unwrap_or_default(),
        "ticket.requester.id" => t.requester_id.to_string(),
        "ticket.requester.name" => contact.map(|c| c.name.clone()).unwrap_or_default(),
        "ticket.requester.email" => contact.and_then(|c| c.email.clone()).unwrap_or_default(),
        "ticket.agent.name" => agent.map(|a| a.contact.name.clone()).unwrap_or_default(),
        "ticket.agent.email" => agent.map(|a| a.contact.email.clone()).unwrap_or_default(),
        "ticket.group.name" => t
            .group_id
            .and_then(|g| d.groups.get(&g))
            .map(|g| g.name.to_string())
            .unwrap_or_default(),
        "ticket.latest_public_comment" => latest(false),
        "ticket.latest_private_comment" => latest(true),
        "helpdesk_name" => sub,
        "triggered_event" => event.to_string(),
        _ => String::new(),
    }
}

/// Renders `{{ name }}`; with `escape`, values are JSON-string-escaped so that a JSON body
/// template stays valid JSON (`{{triggered_event}}` is JSON itself and goes in raw).
fn render(tpl: &str, escape: bool, value: &dyn Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(tpl.len());
    let mut rest = tpl;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let name = after[..end].trim();
        let v = value(name);
        if escape && name != "triggered_event" {
            let q = serde_json::to_string(&v).unwrap_or_default();
            out.push_str(q.get(1..q.len().saturating_sub(1)).unwrap_or_default());
        } else {
            out.push_str(&v);
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

fn request(d: &AccountData, t: &Ticket, a: &Value, event: &Value) -> Outgoing {
    let value = |n: &str| placeholder(n, d, t, event);
    let method = a["request_type"].as_str().unwrap_or("POST").to_owned();
    let (content_type, json_body) = match a["content_type"].as_str().unwrap_or("JSON") {
        "XML" => ("text/xml", false),
        "X-FORM-URLENCODED" => ("application/x-www-form-urlencoded", false),
        _ => ("application/json", true),
    };
    let template = match (&a["content"], text(&a["content_layout"]).as_str()) {
        // Simple layout: chosen fields, wrapped as `{"freshdesk_webhook": {…}}`.
        (Value::Array(fields), "1") => {
            let m: Map<String, Value> = fields
                .iter()
                .map(|f| {
                    let f = text(f);
                    let ph = format!("{{{{{}}}}}", f.replacen('_', ".", 1));
                    (f, Value::String(ph))
                })
                .collect();
            json!({ "freshdesk_webhook": m }).to_string()
        }
        (Value::String(s), _) => s.clone(),
        (Value::Null, _) => String::new(),
        (other, _) => other.to_string(),
    };
    let body = if matches!(method.as_str(), "GET" | "DELETE") {
        String::new()
    } else {
        render(&template, json_body, &value)
    };
    let mut headers = vec![("content-type".to_owned(), content_type.to_owned())];
    if let Some(h) = a["custom_headers"].as_object() {
        headers.extend(h.iter().map(|(k, v)| (k.clone(), text(v))));
    }
    let auth = &a["auth_header"];
    let basic = match (auth["username"].as_str(), auth["api_key"].as_str()) {
        (Some(u), _) => Some(format!("{u}:{}", text(&auth["password"]))),
        (None, Some(k)) => Some(format!("{k}:X")),
        _ => None,
    };
    if let Some(b) = basic {
        let v = base64::engine::general_purpose::STANDARD.encode(b);
        headers.push(("authorization".into(), format!("Basic {v}")));
    }
    Outgoing {
        url: render(a["url"].as_str().unwrap_or_default(), false, &value),
        method,
        headers,
        body,
    }
}

/// Runs the account's rules after `what` happened to ticket `id`, and queues their webhooks.
pub fn run(d: &AccountData, id: i64, what: &Happened) {
    let Some(t) = d.ticket(id) else { return };
    let kind = if matches!(what, Happened::Created) {
        1
    } else {
        4
    };
    let mut rules: Vec<&Value> = d
        .automations
        .values()
        .filter(|r| r["automation_type_id"] == kind && r["active"] != false)
        .collect();
    rules.sort_by_key(|r| (r["position"].as_i64().unwrap_or(0), r["id"].as_i64()));
    let mut out = Vec::new();
    for r in rules {
        let event = match what {
            Happened::Created => Some(json!({"ticket_action": "created"})),
            _ => matching_event(r, what),
        };
        let Some(event) = event.filter(|_| conditions_hold(r, t)) else {
            continue;
        };
        for a in list(&r["actions"])
            .iter()
            .filter(|a| a["field_name"] == "trigger_webhook")
        {
            out.push(request(d, t, a, &event));
        }
        if kind == 1 {
            break;
        }
    }
    for o in out {
        d.push.send(o);
    }
}
