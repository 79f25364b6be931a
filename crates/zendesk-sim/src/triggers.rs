//! Trigger evaluation after a ticket create or update, and the `notification_webhook` action
//! (reference §6.1): the JSON body template gets Zendesk placeholders rendered, then the
//! webhook's request goes to [`crate::push`]. Triggers run in `position` order, each at most once
//! per update, as Zendesk's do; actions other than `notification_webhook` are stored but not
//! applied by the simulator.

use serde_json::Value;

use crate::push::Outgoing;
use crate::store::{AccountData, Ticket};
use crate::time::fmt;

/// Condition fields the simulator evaluates; the Triggers API refuses others with a 422 so a
/// client never installs a trigger that silently never fires here.
pub const FIELDS: &[&str] = &[
    "update_type",
    "comment_is_public",
    "status",
    "priority",
    "type",
    "current_tags",
    "group_id",
    "assignee_id",
    "requester_id",
];

/// What happened to the ticket in this update.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    /// `update_type` Create (else Change).
    pub create: bool,
    /// A comment was added: `Some(public)`.
    pub comment_public: Option<bool>,
    /// `(field, previous, new)` changes.
    pub changes: &'a [(String, Value, Value)],
    /// The user making the update (`current_user`).
    pub actor: i64,
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn rank(field: &str, v: &str) -> Option<usize> {
    let order: &[&str] = match field {
        "status" => &["new", "open", "pending", "hold", "solved", "closed"],
        "priority" => &["low", "normal", "high", "urgent"],
        _ => return None,
    };
    order.iter().position(|x| x.eq_ignore_ascii_case(v))
}

fn current(t: &Ticket, field: &str) -> String {
    match field {
        "status" => t.status.clone(),
        "priority" => t.priority.clone().unwrap_or_default(),
        "type" => t.kind.clone().unwrap_or_default(),
        "group_id" => t.group_id.map(|x| x.to_string()).unwrap_or_default(),
        "assignee_id" => t.assignee_id.map(|x| x.to_string()).unwrap_or_default(),
        "requester_id" => t.requester_id.to_string(),
        _ => String::new(),
    }
}

/// One condition `{field, operator, value}` against this update.
fn holds(c: &Value, t: &Ticket, ev: &Event<'_>) -> bool {
    let field = c["field"].as_str().unwrap_or_default();
    let op = c["operator"].as_str().unwrap_or("is");
    let want = text(&c["value"]);
    let negate = op.starts_with("is_not") || op.starts_with("not_");
    let positive = match field {
        "update_type" => {
            let now = if ev.create { "Create" } else { "Change" };
            now.eq_ignore_ascii_case(&want)
        }
        "comment_is_public" => match want.as_str() {
            "true" => ev.comment_public == Some(true),
            "false" => ev.comment_public == Some(false),
            "not_relevant" => true,
            _ => false,
        },
        "current_tags" => {
            let wanted: Vec<&str> = want.split_whitespace().collect();
            match op {
                "includes" | "not_includes" => wanted.iter().any(|w| t.tags.iter().any(|x| x == w)),
                _ => wanted.iter().all(|w| t.tags.iter().any(|x| x == w)),
            }
        }
        _ => {
            let change = ev.changes.iter().find(|(f, _, _)| f == field);
            let changed = ev.create || change.is_some();
            let previous = change.map(|(_, old, _)| text(old)).unwrap_or_default();
            let now = current(t, field);
            match op.trim_start_matches("not_") {
                "changed" => changed,
                "value" => changed && now.eq_ignore_ascii_case(&want),
                "value_previous" => change.is_some() && previous.eq_ignore_ascii_case(&want),
                "less_than" | "greater_than" => match (rank(field, &now), rank(field, &want)) {
                    (Some(a), Some(b)) if op == "less_than" => a < b,
                    (Some(a), Some(b)) => a > b,
                    _ => false,
                },
                _ => now.eq_ignore_ascii_case(&want),
            }
        }
    };
    positive != negate
}

/// Whether a trigger's `conditions {all, any}` hold (an empty `any` holds).
fn applies(trigger: &Value, t: &Ticket, ev: &Event<'_>) -> bool {
    let list = |k: &str| {
        trigger["conditions"][k]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    let any = list("any");
    list("all").iter().all(|c| holds(c, t, ev))
        && (any.is_empty() || any.iter().any(|c| holds(c, t, ev)))
}

fn title(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// A placeholder's value (reference: Zendesk's placeholders article); unknown ones render
/// empty, as Liquid does.
fn placeholder(
    name: &str,
    d: &AccountData,
    site: &str,
    sub: &str,
    t: &Ticket,
    actor: i64,
) -> String {
    let user = |id: Option<i64>, prop: &str| {
        let u = id.and_then(|i| d.users.get(&i));
        match prop {
            "id" => id.map(|i| i.to_string()).unwrap_or_default(),
            "name" => u.map(|u| u.name.clone()).unwrap_or_default(),
            "email" => u.and_then(|u| u.email.clone()).unwrap_or_default(),
            _ => String::new(),
        }
    };
    let date = |ts: i64| {
        chrono::DateTime::from_timestamp(ts, 0)
            .map(|t| t.format("%B %-d, %Y").to_string())
            .unwrap_or_default()
    };
    // Documented example: `2013-12-12T05:35Z` (minutes, no seconds).
    let stamp = |ts: i64| {
        chrono::DateTime::from_timestamp(ts, 0)
            .map(|t| t.format("%Y-%m-%dT%H:%MZ").to_string())
            .unwrap_or_else(|| fmt(ts))
    };
    let latest = |public_only: bool| {
        t.comments
            .iter()
            .rev()
            .find(|c| c.public || !public_only)
            .map(|c| c.body.clone())
            .unwrap_or_default()
    };
    match name {
        "ticket.id" => t.id.to_string(),
        "ticket.external_id" => t.external_id.clone().unwrap_or_default(),
        "ticket.title" => t.subject.clone(),
        "ticket.description" => t.description.clone(),
        "ticket.status" => title(&t.status),
        "ticket.priority" => t.priority.as_deref().map(title).unwrap_or_default(),
        "ticket.ticket_type" => t.kind.as_deref().map(title).unwrap_or_default(),
        "ticket.tags" => t.tags.join(" "),
        "ticket.via" => title(&t.channel),
        "ticket.account" => sub.to_owned(),
        "ticket.url" => format!("{sub}.zendesk.com/agent/tickets/{}", t.id),
        "ticket.link" => format!("{site}/agent/tickets/{}", t.id),
        "ticket.created_at" => date(t.created_at),
        "ticket.updated_at" => date(t.updated_at),
        "ticket.created_at_with_timestamp" => stamp(t.created_at),
        "ticket.updated_at_with_timestamp" => stamp(t.updated_at),
        "ticket.latest_comment" => latest(false),
        "ticket.latest_public_comment" => latest(true),
        "ticket.group.name" => t
            .group_id
            .and_then(|g| d.groups.get(&g))
            .map(|g| g.name.clone())
            .unwrap_or_default(),
        _ => {
            let (who, prop) = name.rsplit_once('.').unwrap_or((name, ""));
            match who {
                "ticket.requester" => user(Some(t.requester_id), prop),
                "ticket.submitter" => user(Some(t.submitter_id), prop),
                "ticket.assignee" => user(t.assignee_id, prop),
                "current_user" => user(Some(actor), prop),
                _ => String::new(),
            }
        }
    }
}

/// Renders `{{ name }}` placeholders. Values are JSON-string-escaped so that the rendered body
/// of a JSON template stays valid JSON whatever the ticket's subject holds.
pub fn render(tpl: &str, value: &dyn Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(tpl.len());
    let mut rest = tpl;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let v = value(after[..end].trim());
        let quoted = serde_json::to_string(&v).unwrap_or_default();
        out.push_str(
            quoted
                .get(1..quoted.len().saturating_sub(1))
                .unwrap_or_default(),
        );
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

fn auth_headers(webhook: &Value) -> Vec<(String, String)> {
    use base64::Engine;
    let a = &webhook["authentication"];
    let data = &a["data"];
    let s = |k: &str| data[k].as_str().unwrap_or_default().to_owned();
    match a["type"].as_str() {
        Some("basic_auth") => {
            let raw = format!("{}:{}", s("username"), s("password"));
            let v = base64::engine::general_purpose::STANDARD.encode(raw);
            vec![("authorization".into(), format!("Basic {v}"))]
        }
        Some("bearer_token") => vec![("authorization".into(), format!("Bearer {}", s("token")))],
        Some("api_key") if !s("name").is_empty() => vec![(s("name"), s("value"))],
        _ => Vec::new(),
    }
}

/// Runs the account's active triggers on this update and queues their webhook requests.
pub fn fire(d: &mut AccountData, site: &str, sub: &str, t: &Ticket, ev: &Event<'_>) {
    let mut triggers: Vec<&Value> = d
        .triggers
        .values()
        .filter(|tr| tr["active"].as_bool().unwrap_or(true))
        .filter(|tr| applies(tr, t, ev))
        .collect();
    triggers.sort_by_key(|tr| (tr["position"].as_i64().unwrap_or(0), tr["id"].as_i64()));
    let mut out = Vec::new();
    for tr in triggers {
        let actions = tr["actions"].as_array().cloned().unwrap_or_default();
        for a in actions
            .iter()
            .filter(|a| a["field"] == "notification_webhook")
        {
            let (id, tpl) = (text(&a["value"][0]), text(&a["value"][1]));
            let Some(w) = d.webhooks.get(&id) else {
                continue;
            };
            let subscribed = w["subscriptions"]
                .as_array()
                .is_some_and(|s| s.iter().any(|x| x == "conditional_ticket_events"));
            if w["status"] != "active" || !subscribed {
                continue;
            }
            let method = w["http_method"].as_str().unwrap_or("POST").to_uppercase();
            let body = if matches!(method.as_str(), "GET" | "DELETE") {
                String::new()
            } else {
                render(&tpl, &|n| placeholder(n, d, site, sub, t, ev.actor))
            };
            let mut headers = auth_headers(w);
            headers.push(("x-zendesk-account-id".into(), d.account_id.to_string()));
            headers.push(("x-zendesk-webhook-id".into(), id.clone()));
            out.push((
                w["endpoint"].as_str().unwrap_or_default().to_owned(),
                method,
                headers,
                body,
                d.webhook_secrets.get(&id).cloned().unwrap_or_default(),
            ));
        }
    }
    for (url, method, mut headers, body, secret) in out {
        let invocation = d.next_id();
        headers.push((
            "x-zendesk-webhook-invocation-id".into(),
            invocation.to_string(),
        ));
        d.push.send(Outgoing {
            url,
            method,
            headers,
            body,
            secret,
        });
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn renders_and_escapes_placeholders() {
        let v = |n: &str| match n {
            "ticket.id" => "42".to_owned(),
            "ticket.title" => "say \"hi\"".to_owned(),
            _ => String::new(),
        };
        let out = render(
            r#"{"id": {{ticket.id}}, "t": "{{ ticket.title }}", "x": "{{nope}}"}"#,
            &v,
        );
        let parsed: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(parsed["id"], 42);
        assert_eq!(parsed["t"], "say \"hi\"");
        assert_eq!(parsed["x"], "");
    }
}
