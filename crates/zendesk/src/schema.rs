//! The per-account write schemas (Merge's `/…/meta/…` `request_schema`), built from the
//! account's stored `ticket_fields` and `custom_statuses`.

use deskbridge_model::ModelKind;
use deskbridge_provider::{ProviderError, WriteContext};
use serde_json::{Map, Value, json};

use crate::bodies::account_has_hold;

fn uuid_prop(description: &str) -> Value {
    json!({"type": "string", "format": "uuid", "description": description})
}

fn uuid_list(description: &str, max: Option<u64>) -> Value {
    let mut v = json!({"type": "array", "items": {"type": "string", "format": "uuid"}, "description": description});
    if let Some(m) = max {
        v["maxItems"] = m.into();
    }
    v
}

fn ticket_fields(ctx: &WriteContext) -> &[Value] {
    ctx.metadata
        .get("ticket_fields")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

const SYSTEM_TYPES: &[&str] = &[
    "subject",
    "description",
    "status",
    "tickettype",
    "priority",
    "group",
    "assignee",
    "custom_status",
];

/// The JSON schema of one custom ticket field's value.
pub fn custom_field_schema(f: &Value) -> Value {
    let kind = f.get("type").and_then(Value::as_str).unwrap_or_default();
    let options: Vec<Value> = f
        .get("custom_field_options")
        .and_then(Value::as_array)
        .map(|o| o.iter().filter_map(|x| x.get("value").cloned()).collect())
        .unwrap_or_default();
    let mut s = match kind {
        "checkbox" => json!({"type": "boolean"}),
        "integer" => json!({"type": "integer"}),
        "decimal" => json!({"type": "number"}),
        "date" => json!({"type": "string", "format": "date"}),
        "multiselect" => json!({"type": "array", "items": {"type": "string"}}),
        "lookup" => {
            json!({"type": ["integer", "string"], "description": "The related record's id"})
        }
        _ => json!({"type": "string"}),
    };
    if !options.is_empty() {
        if kind == "multiselect" {
            s["items"]["enum"] = Value::Array(options);
        } else {
            s["enum"] = Value::Array(options);
        }
    }
    if let Some(p) = f.get("regexp_for_validation").and_then(Value::as_str) {
        s["pattern"] = json!(p);
    }
    if let Some(t) = f.get("title") {
        s["title"] = t.clone();
    }
    s
}

fn ticket_schema(ctx: &WriteContext, patch: bool) -> Map<String, Value> {
    let fields = ticket_fields(ctx);
    let options = |kind: &str| -> Vec<Value> {
        fields
            .iter()
            .find(|f| f.get("type").and_then(Value::as_str) == Some(kind))
            .and_then(|f| f.get("system_field_options"))
            .and_then(Value::as_array)
            .map(|o| o.iter().filter_map(|x| x.get("value").cloned()).collect())
            .unwrap_or_default()
    };
    let hold = if account_has_hold(ctx) {
        "hold"
    } else {
        "pending"
    };
    let mut props = Map::new();
    props.insert(
        "name".into(),
        json!({"type": "string", "description": "Zendesk `subject` (defaults to the start of the description)"}),
    );
    props.insert(
        "description".into(),
        json!({"type": "string", "description": "The first comment (`comment.body`, or `comment.html_body` for HTML); cannot change after creation"}),
    );
    props.insert(
        "status".into(),
        json!({"type": "string", "enum": ["OPEN", "IN_PROGRESS", "ON_HOLD", "CLOSED"],
               "x-zendesk-values": {"OPEN": "open", "IN_PROGRESS": "open", "ON_HOLD": hold, "CLOSED": "solved"}}),
    );
    props.insert(
        "priority".into(),
        json!({"type": ["string", "null"], "enum": ["LOW", "NORMAL", "HIGH", "URGENT", null],
               "x-zendesk-values": {"LOW": "low", "NORMAL": "normal", "HIGH": "high", "URGENT": "urgent"}}),
    );
    let mut types = options("tickettype");
    if types.is_empty() {
        types = vec![
            json!("question"),
            json!("incident"),
            json!("problem"),
            json!("task"),
        ];
    }
    types.push(Value::Null);
    props.insert(
        "ticket_type".into(),
        json!({"type": ["string", "null"], "enum": types, "description": "Zendesk `type`"}),
    );
    props.insert(
        "due_date".into(),
        json!({"type": ["string", "null"], "format": "date-time", "description": "Zendesk `due_at` (tasks only)"}),
    );
    props.insert(
        "assignees".into(),
        uuid_list("Users (agents); Zendesk keeps one: `assignee_id`", Some(1)),
    );
    props.insert(
        "assigned_teams".into(),
        uuid_list("Teams (groups); Zendesk keeps one: `group_id`", Some(1)),
    );
    props.insert(
        "contact".into(),
        uuid_prop("The requester (`requester_id`)"),
    );
    props.insert(
        "account".into(),
        uuid_prop("The organization (`organization_id`); one of the requester's"),
    );
    props.insert(
        "parent_ticket".into(),
        uuid_prop("The problem ticket of an incident (`problem_id`)"),
    );
    props.insert(
        "tags".into(),
        json!({"type": "array", "items": {"type": "string"}}),
    );
    props.insert(
        "remote_fields".into(),
        json!({"type": "array", "description": "Custom fields by remote field class (see remote_field_classes)",
               "items": {"type": "object", "required": ["remote_field_class"],
                         "properties": {"remote_field_class": {"type": "string", "format": "uuid"}, "value": {}}}}),
    );
    let mut cf = Map::new();
    let mut on_solve = Vec::new();
    for f in fields {
        let kind = f.get("type").and_then(Value::as_str).unwrap_or_default();
        if SYSTEM_TYPES.contains(&kind) || f.get("active").and_then(Value::as_bool) == Some(false) {
            continue;
        }
        let Some(id) = f.get("id").map(|i| i.to_string()) else {
            continue;
        };
        cf.insert(id.clone(), custom_field_schema(f));
        if f.get("required").and_then(Value::as_bool) == Some(true) {
            on_solve.push(Value::String(id));
        }
    }
    props.insert(
        "integration_params".into(),
        json!({"type": "object", "description": "Extra Zendesk ticket fields, sent as given",
        "properties": {
            "custom_fields": {"type": "object", "properties": cf,
                "description": "Values by ticket field id",
                "x-required-when-solving": on_solve},
            "external_id": {"type": "string"},
            "collaborator_ids": {"type": "array", "items": {"type": "integer"}},
            "custom_status_id": {"type": "integer"}
        }}),
    );
    let mut s = Map::new();
    s.insert("type".into(), "object".into());
    s.insert("properties".into(), Value::Object(props));
    if !patch {
        s.insert("required".into(), json!(["description"]));
    }
    s
}

/// The `request_schema` of a write for the account: tickets (POST and PATCH) from its
/// `ticket_fields` and `custom_statuses`, comments and contacts (POST).
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
                "body": {"type": "string", "description": "Plain text (`comment.body`)"},
                "html_body": {"type": "string", "description": "HTML (`comment.html_body`); preferred over body"},
                "is_private": {"type": "boolean", "description": "An internal note (`public: false`)"},
                "user": uuid_prop("The agent writing it (`author_id`)"),
                "contact": uuid_prop("The end-user writing it (`author_id`)"),
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
                "details": {"type": "string"},
                "account": uuid_prop("The organization (`organization_id`)"),
                "integration_params": {"type": "object", "description": "Extra Zendesk user fields (e.g. external_id, notes), sent as given"},
            },
            "required": ["name"],
        }),
        _ => return Err(ProviderError::Unsupported("writes of this model")),
    };
    match v {
        Value::Object(m) => Ok(m),
        _ => Err(ProviderError::Protocol("schema is not an object".into())),
    }
}
