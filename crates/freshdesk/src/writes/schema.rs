//! The per-account write schemas of `/…/meta/…`, from the account's `ticket_fields`.

use super::*;

pub(crate) fn uuid_prop(description: &str) -> Value {
    json!({"type": "string", "format": "uuid", "description": description})
}

pub(crate) fn uuid_list(description: &str, max: Option<u64>) -> Value {
    let mut v = json!({"type": "array", "items": {"type": "string", "format": "uuid"}, "description": description});
    if let Some(m) = max {
        v["maxItems"] = m.into();
    }
    v
}

pub(crate) fn custom_field_schema(f: &Value) -> Value {
    let kind = f.get("type").and_then(Value::as_str).unwrap_or_default();
    let mut s = match kind {
        "custom_checkbox" => json!({"type": "boolean"}),
        "custom_number" => json!({"type": "integer"}),
        "custom_decimal" => json!({"type": "number"}),
        "custom_date" => json!({"type": "string", "format": "date"}),
        _ => json!({"type": "string"}),
    };
    if let Some(choices) = f.get("choices") {
        let values: Vec<Value> = match choices {
            Value::Array(a) => a.clone(),
            Value::Object(m) => m.keys().map(|k| Value::String(k.clone())).collect(),
            _ => Vec::new(),
        };
        if !values.is_empty() {
            s["enum"] = Value::Array(values);
        }
    }
    if let Some(label) = f.get("label") {
        s["title"] = label.clone();
    }
    s
}

pub(crate) fn is_custom(f: &Value) -> bool {
    let kind = f.get("type").and_then(Value::as_str).unwrap_or_default();
    f.get("default") == Some(&Value::Bool(false))
        || kind.starts_with("custom_")
        || kind == "nested_field"
}

pub(crate) fn required_for_agents(f: &Value) -> bool {
    f.get("required_for_agents").and_then(Value::as_bool) == Some(true)
}

pub(crate) fn ticket_schema(ctx: &WriteContext, patch: bool) -> Map<String, Value> {
    let statuses = status_choices(ctx);
    let custom_status = statuses.iter().find(|(c, _)| *c >= 6);
    let mut status_values = vec!["OPEN", "ON_HOLD", "CLOSED"];
    if custom_status.is_some() {
        status_values.push("IN_PROGRESS");
    }
    let label = |code: i64| {
        statuses
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, l)| l.clone())
            .unwrap_or_default()
    };
    let mut remote_status = json!({
        "OPEN": {"code": 2, "label": label(2)},
        "ON_HOLD": {"code": 3, "label": label(3)},
        "CLOSED": {"code": 5, "label": label(5)},
    });
    if let Some((code, l)) = custom_status {
        remote_status["IN_PROGRESS"] = json!({"code": code, "label": l});
    }
    let types: Vec<Value> = field_def(ctx, "ticket_type")
        .and_then(|f| f.get("choices"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut ticket_type = json!({"type": ["string", "null"], "description": "Freshdesk `type`"});
    if !types.is_empty() {
        ticket_type["enum"] = Value::Array(types);
    }
    let mut props = Map::new();
    props.insert(
        "name".into(),
        json!({"type": "string", "maxLength": 255, "description": "Freshdesk `subject`"}),
    );
    props.insert(
        "description".into(),
        json!({"type": "string", "description": "Freshdesk `description` (HTML)"}),
    );
    props.insert(
        "status".into(),
        json!({"type": "string", "enum": status_values, "x-freshdesk-values": remote_status}),
    );
    props.insert(
        "priority".into(),
        json!({"type": "string", "enum": ["LOW", "NORMAL", "HIGH", "URGENT"],
               "x-freshdesk-values": {"LOW": 1, "NORMAL": 2, "HIGH": 3, "URGENT": 4}}),
    );
    props.insert("ticket_type".into(), ticket_type);
    props.insert(
        "due_date".into(),
        json!({"type": "string", "format": "date-time", "description": "Freshdesk `due_by` (and `fr_due_by`)"}),
    );
    props.insert(
        "assignees".into(),
        uuid_list(
            "Users (agents); Freshdesk keeps one: `responder_id`",
            Some(1),
        ),
    );
    props.insert(
        "assigned_teams".into(),
        uuid_list("Teams (groups); Freshdesk keeps one: `group_id`", Some(1)),
    );
    props.insert(
        "contact".into(),
        uuid_prop("The requester (`requester_id`); without it, give `integration_params.email`"),
    );
    props.insert("account".into(), uuid_prop("The company (`company_id`)"));
    if !patch {
        props.insert(
            "parent_ticket".into(),
            uuid_prop("The parent ticket (`parent_id`)"),
        );
    }
    props.insert(
        "tags".into(),
        json!({"type": "array", "items": {"type": "string", "maxLength": 32}}),
    );
    props.insert(
        "remote_fields".into(),
        json!({"type": "array", "description": "Custom fields by remote field class (see remote_field_classes)",
               "items": {"type": "object", "required": ["remote_field_class"],
                         "properties": {"remote_field_class": {"type": "string", "format": "uuid"}, "value": {}}}}),
    );
    let mut cf_props = Map::new();
    let mut cf_required = Vec::new();
    let mut required: Vec<&str> = if patch {
        Vec::new()
    } else {
        vec!["name", "description"]
    };
    for f in ticket_fields(ctx) {
        let Some(name) = f.get("name").and_then(Value::as_str) else {
            continue;
        };
        if is_custom(f) {
            cf_props.insert(name.to_string(), custom_field_schema(f));
            if required_for_agents(f) && !patch {
                cf_required.push(Value::String(name.to_string()));
            }
        } else if required_for_agents(f) && !patch {
            let merge = match name {
                "requester" => Some("contact"),
                "status" => Some("status"),
                "priority" => Some("priority"),
                "ticket_type" => Some("ticket_type"),
                "group" => Some("assigned_teams"),
                "agent" => Some("assignees"),
                "company" => Some("account"),
                _ => None,
            };
            if let Some(m) = merge
                && !required.contains(&m)
            {
                required.push(m);
            }
        }
    }
    let mut custom = json!({"type": "object", "properties": cf_props});
    if !cf_required.is_empty() {
        custom["required"] = Value::Array(cf_required);
        if !required.contains(&"integration_params") {
            required.push("integration_params");
        }
    }
    props.insert(
        "integration_params".into(),
        json!({"type": "object", "description": "Extra Freshdesk ticket fields, sent as given",
               "properties": {
                   "custom_fields": custom,
                   "email": {"type": "string", "format": "email", "description": "Requester email when no contact is given (creates the contact if needed)"},
                   "source": {"type": "integer", "description": "Freshdesk source code"}
               }}),
    );
    let mut s = Map::new();
    s.insert("type".into(), "object".into());
    s.insert("properties".into(), Value::Object(props));
    if !patch {
        s.insert("required".into(), json!(required));
    }
    s
}

/// The `request_schema` of a write for the account: tickets (POST and PATCH) from its
/// `ticket_fields` (required fields, status, priority and type choices, custom fields),
/// comments and contacts (POST).
pub fn write_schema(
    kind: ModelKind,
    patch: bool,
    ctx: &WriteContext,
) -> Result<Map<String, Value>, ProviderError> {
    let v = match (kind, patch) {
        (ModelKind::Ticket, _) => return Ok(ticket_schema(ctx, patch)),
        (ModelKind::Comment, false) => json!({
            "type": "object",
            "properties": {
                "ticket": uuid_prop("The ticket"),
                "body": {"type": "string", "description": "Plain text (escaped into HTML)"},
                "html_body": {"type": "string", "description": "HTML; preferred over body"},
                "is_private": {"type": "boolean", "description": "An agent's private note (true) or a reply (false)"},
                "user": uuid_prop("The agent writing it"),
                "contact": uuid_prop("The contact writing it: a public note with incoming=true"),
            },
            "required": ["ticket"],
            "anyOf": [{"required": ["body"]}, {"required": ["html_body"]}],
        }),
        (ModelKind::Contact, false) => json!({
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "email_address": {"type": "string", "format": "email", "description": "Unique in the account"},
                "phone_number": {"type": "string"},
                "details": {"type": "string", "description": "Freshdesk `description`"},
                "account": uuid_prop("The company (`company_id`)"),
                "integration_params": {"type": "object", "description": "Extra Freshdesk contact fields (e.g. mobile, job_title), sent as given"},
            },
            "required": ["name"],
            "anyOf": [{"required": ["email_address"]}, {"required": ["phone_number"]},
                      {"required": ["integration_params"]}],
        }),
        _ => return Err(ProviderError::Unsupported("writes of this model")),
    };
    match v {
        Value::Object(m) => Ok(m),
        _ => Err(ProviderError::Protocol("schema is not an object".into())),
    }
}
