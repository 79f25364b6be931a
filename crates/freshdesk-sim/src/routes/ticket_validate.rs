//! Validation of ticket create/update bodies, in the order of the recorded 400.

use serde_json::{Map, Value};

use super::common::{absent, check, email_list, string_field, valid_email};
use crate::datagen::STATUSES;
use crate::errors::{ApiError, FieldError};
use crate::model::CustomKind;
use crate::store::AccountData;
use crate::time;

const CREATE_FIELDS: &[&str] = &[
    "requester_id",
    "email",
    "phone",
    "name",
    "twitter_id",
    "facebook_id",
    "unique_external_id",
    "subject",
    "description",
    "status",
    "priority",
    "source",
    "type",
    "responder_id",
    "group_id",
    "product_id",
    "company_id",
    "email_config_id",
    "due_by",
    "fr_due_by",
    "cc_emails",
    "tags",
    "custom_fields",
    "attachments",
    "parent_id",
    "related_ticket_ids",
    "internal_agent_id",
    "internal_group_id",
];
const CREATE_SOURCES: &[i64] = &[1, 2, 3, 5, 6, 7, 9, 11];
const UPDATE_SOURCES: &[i64] = &[1, 2, 3, 7, 9, 11];

fn list_str(v: &[i64]) -> String {
    v.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

/// Validated values of a create or update body (`Some(None)` = explicit null).
#[derive(Default)]
pub struct Fields {
    /// `status`.
    pub status: Option<i64>,
    /// `priority`.
    pub priority: Option<i64>,
    /// `source`.
    pub source: Option<i64>,
    /// `parent_id`.
    pub parent_id: Option<i64>,
    /// `cc_emails`.
    pub cc_emails: Option<Vec<String>>,
    /// `tags`.
    pub tags: Option<Vec<String>>,
    /// `custom`.
    pub custom: Vec<(usize, Value)>,
    /// `responder_id`.
    pub responder_id: Option<Option<i64>>,
    /// `group_id`.
    pub group_id: Option<Option<i64>>,
    /// `product_id`.
    pub product_id: Option<Option<i64>>,
    /// `company_id`.
    pub company_id: Option<Option<i64>>,
    /// `email_config_id`.
    pub email_config_id: Option<Option<i64>>,
    /// `subject`.
    pub subject: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `ticket_type`.
    pub ticket_type: Option<Option<String>>,
    /// `due_by`.
    pub due_by: Option<i64>,
    /// `fr_due_by`.
    pub fr_due_by: Option<i64>,
    /// `requester_id`.
    pub requester_id: Option<i64>,
    /// `email`.
    pub email: Option<String>,
    /// `phone`.
    pub phone: Option<String>,
    /// `name`.
    pub name: Option<String>,
    /// `twitter_id`.
    pub twitter_id: Option<String>,
    /// `facebook_id`.
    pub facebook_id: Option<String>,
    /// `unique_external_id`.
    pub unique_external_id: Option<String>,
}

fn id_field(
    b: &Map<String, Value>,
    f: &str,
    allow_null: bool,
    e: &mut Vec<FieldError>,
) -> Option<Option<i64>> {
    match b.get(f)? {
        Value::Null if allow_null => Some(None),
        Value::Number(n) if n.as_i64().is_some_and(|x| x > 0) => Some(n.as_i64()),
        other => {
            e.push(FieldError::datatype(f, other, "Positive Integer"));
            None
        }
    }
}

fn choice(
    b: &Map<String, Value>,
    f: &str,
    allowed: &[i64],
    shown: &str,
    e: &mut Vec<FieldError>,
) -> Option<i64> {
    let v = b.get(f)?;
    match v.as_i64() {
        Some(x) if allowed.contains(&x) => Some(x),
        _ => {
            e.push(FieldError::not_included(f, shown));
            None
        }
    }
}

/// Checks a body; `create` selects the create rules.
pub fn validate(d: &AccountData, b: &Map<String, Value>, create: bool) -> Result<Fields, ApiError> {
    let mut unknown: Vec<FieldError> = b
        .keys()
        .filter(|k| !CREATE_FIELDS.contains(&k.as_str()))
        .map(|k| FieldError::unexpected(k))
        .collect();
    if !create && b.contains_key("cc_emails") {
        unknown.push(FieldError::unexpected("cc_emails"));
    }
    check(unknown)?;
    let mut e = Vec::new();
    let mut f = Fields::default();
    let statuses: Vec<i64> = STATUSES.iter().map(|s| s.0).collect();
    f.status = choice(b, "status", &statuses, "2,3,4,5", &mut e);
    f.priority = choice(b, "priority", &[1, 2, 3, 4], "1,2,3,4", &mut e);
    for field in ["internal_group_id", "internal_agent_id"] {
        if b.contains_key(field) {
            e.push(FieldError::new(
                field,
                format!("The shared_ownership feature is required to support {field} attribute in the request"),
                "inaccessible_field",
            ));
        }
    }
    let sources = if create {
        CREATE_SOURCES
    } else {
        UPDATE_SOURCES
    };
    f.source = choice(b, "source", sources, &list_str(sources), &mut e);
    if b.contains_key("parent_id") {
        if !create || !d.profile.association {
            e.push(FieldError::new(
                "parent_id",
                "The parent_child_infra feature is required to support parent_id attribute in the request",
                "inaccessible_field",
            ));
        } else if let Some(Some(p)) = id_field(b, "parent_id", false, &mut e) {
            if d.ticket(p)
                .is_some_and(|t| !t.deleted && t.association_type.is_none_or(|a| a == 1))
            {
                f.parent_id = Some(p);
            } else {
                e.push(absent("parent_id", "ticket"));
            }
        }
    }
    if b.contains_key("related_ticket_ids") {
        e.push(FieldError::new(
            "related_ticket_ids",
            "The link_tickets feature is required to support related_ticket_ids attribute in the request",
            "inaccessible_field",
        ));
    }
    match b.get("attachments") {
        None => {}
        Some(Value::Null) => e.push(FieldError::blank("attachments")),
        Some(Value::Array(a)) if a.is_empty() => e.push(FieldError::blank("attachments")),
        Some(_) => e.push(FieldError::new(
            "attachments",
            "It should contain elements of type valid file format only",
            "datatype_mismatch",
        )),
    }
    f.cc_emails = email_list("cc_emails", b.get("cc_emails"), &mut e);
    if let Some(v) = b.get("tags") {
        match v {
            Value::Array(items) if items.iter().all(Value::is_string) => {
                let tags: Vec<String> = items
                    .iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect();
                if tags.iter().any(|t| t.chars().count() > 32) {
                    e.push(FieldError::new(
                        "tags",
                        "It should only contain elements that have maximum of 32 characters",
                        "invalid_value",
                    ));
                } else {
                    f.tags = Some(tags);
                }
            }
            Value::Array(_) => e.push(FieldError::new(
                "tags",
                "It should contain elements of type String only",
                "datatype_mismatch",
            )),
            other => e.push(FieldError::datatype("tags", other, "Array")),
        }
    }
    if let Some(v) = b.get("custom_fields") {
        match v {
            Value::Object(m) => custom(d, m, &mut f, &mut e),
            other => e.push(FieldError::datatype(
                "custom_fields",
                other,
                "key/value pair",
            )),
        }
    }
    if let Some(Some(x)) = string_field("unique_external_id", b.get("unique_external_id"), &mut e) {
        f.unique_external_id = Some(x);
    }
    f.responder_id = id_field(b, "responder_id", !create, &mut e);
    f.group_id = id_field(b, "group_id", !create, &mut e);
    f.product_id = id_field(b, "product_id", !create, &mut e);
    f.company_id = id_field(b, "company_id", !create, &mut e);
    f.email_config_id = id_field(b, "email_config_id", !create, &mut e);
    for (field, slot) in [
        ("subject", &mut f.subject),
        ("description", &mut f.description),
    ] {
        match b.get(field) {
            None if create => e.push(FieldError::missing(field)),
            None => {}
            Some(Value::String(s)) if s.trim().is_empty() => e.push(FieldError::blank(field)),
            Some(Value::String(s)) if field == "subject" && s.chars().count() > 255 => {
                e.push(FieldError::new(
                    field,
                    format!(
                        "Has {} characters, it can have maximum of 255 characters",
                        s.chars().count()
                    ),
                    "invalid_value",
                ))
            }
            Some(Value::String(s)) => *slot = Some(s.clone()),
            Some(other) => e.push(FieldError::datatype(field, other, "String")),
        }
    }
    match b.get("type") {
        None => {}
        Some(Value::Null) => f.ticket_type = Some(None),
        Some(Value::String(s)) if crate::datagen::words::TYPES.contains(&s.as_str()) => {
            f.ticket_type = Some(Some(s.clone()))
        }
        Some(_) => e.push(FieldError::not_included(
            "type",
            &crate::datagen::words::TYPES.join(","),
        )),
    }
    for (field, slot) in [("due_by", &mut f.due_by), ("fr_due_by", &mut f.fr_due_by)] {
        if let Some(v) = b.get(field) {
            match v.as_str().and_then(time::parse) {
                Some(t) => *slot = Some(t),
                None => e.push(FieldError::new(
                    field,
                    "It should be a valid date in the 'combined date and time ISO8601' format",
                    "invalid_value",
                )),
            }
        }
    }
    if b.contains_key("due_by") != b.contains_key("fr_due_by") {
        if b.contains_key("fr_due_by") {
            e.push(FieldError::new(
                "due_by",
                "It should not be blank if fr_due_by is given",
                "missing_field",
            ));
        } else {
            e.push(FieldError::new(
                "fr_due_by",
                "It should not be blank if due_by is given",
                "missing_field",
            ));
        }
    }
    f.requester_id = id_field(b, "requester_id", false, &mut e).flatten();
    for (field, slot) in [
        ("email", &mut f.email),
        ("phone", &mut f.phone),
        ("name", &mut f.name),
        ("twitter_id", &mut f.twitter_id),
        ("facebook_id", &mut f.facebook_id),
    ] {
        if let Some(Some(s)) = string_field(field, b.get(field), &mut e) {
            *slot = Some(s);
        }
    }
    if f.email.as_deref().is_some_and(|m| !valid_email(m)) {
        e.push(FieldError::new(
            "email",
            "It should be in the 'valid email address' format",
            "invalid_value",
        ));
    }
    let any_requester = [
        "requester_id",
        "email",
        "phone",
        "twitter_id",
        "facebook_id",
        "unique_external_id",
    ]
    .iter()
    .any(|k| b.contains_key(*k));
    if create && !any_requester {
        e.push(FieldError::new(
            "requester_id",
            "Please fill at least 1 of requester_id, phone, email, twitter_id, facebook_id, unique_external_id fields",
            "missing_field",
        ));
    }
    if f.phone.is_some() && f.name.is_none() && f.requester_id.is_none() && f.email.is_none() {
        e.push(FieldError::new(
            "name",
            "It should not be blank if phone is only given",
            "missing_field",
        ));
    }
    check(e)?;
    // Existence checks come after the format checks, as in Freshdesk.
    let mut e = Vec::new();
    if f.requester_id
        .is_some_and(|r| d.contact(r).is_none_or(|c| c.deleted))
    {
        e.push(absent("requester_id", "contact"));
    }
    if let Some(Some(a)) = f.responder_id
        && !d.agents.contains_key(&a)
    {
        e.push(absent("responder_id", "agent"));
    }
    if let Some(Some(g)) = f.group_id
        && !d.groups.contains_key(&g)
    {
        e.push(absent("group_id", "group"));
    }
    if let Some(Some(p)) = f.product_id
        && !d.products.iter().any(|x| x.0 == p)
    {
        e.push(absent("product_id", "product"));
    }
    if let Some(Some(c)) = f.company_id
        && !d.companies.contains_key(&c)
    {
        e.push(absent("company_id", "company"));
    }
    if let Some(Some(c)) = f.email_config_id
        && !d.email_configs.iter().any(|x| x.0 == c)
    {
        e.push(absent("email_config_id", "email_config"));
    }
    check(e)?;
    Ok(f)
}

fn custom(d: &AccountData, m: &Map<String, Value>, f: &mut Fields, e: &mut Vec<FieldError>) {
    for (k, v) in m {
        let Some(idx) = d.custom_defs.iter().position(|(n, _)| n == k) else {
            e.push(FieldError::unexpected(k));
            continue;
        };
        let field = format!("custom_fields.{k}");
        let ok = match (d.custom_defs[idx].1, v) {
            (_, Value::Null) => true,
            (CustomKind::Text, Value::String(s)) => s.chars().count() <= 255,
            (CustomKind::Text, other) => {
                e.push(FieldError::datatype(&field, other, "String"));
                false
            }
            (CustomKind::Dropdown(list), Value::String(s)) if list.contains(&s.as_str()) => true,
            (CustomKind::Dropdown(list), _) => {
                e.push(FieldError::not_included(&field, &list.join(",")));
                false
            }
            (CustomKind::Checkbox, Value::Bool(_)) => true,
            (CustomKind::Checkbox, other) => {
                e.push(FieldError::datatype(&field, other, "Boolean"));
                false
            }
        };
        if ok {
            let v = if v.is_null() && d.custom_defs[idx].1 == CustomKind::Checkbox {
                Value::Bool(false)
            } else {
                v.clone()
            };
            f.custom.push((idx, v));
        }
    }
}
