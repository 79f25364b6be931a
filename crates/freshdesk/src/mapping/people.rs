//! Mapping Freshdesk's people and groupings: agents, contacts, companies, groups, roles, tags.

use super::*;

/// Maps an agent (list item or view; only the view has `group_ids` and `role_ids`) to a User.
pub fn map_user(linked_account_id: Uuid, raw: &Value) -> Result<NormalizedRecord, ProviderError> {
    let rid = require_id(raw, "agent")?;
    let mut refs = Vec::new();
    let mut rel = Rel {
        la: linked_account_id,
        refs: &mut refs,
    };
    let contact = raw.get("contact").cloned().unwrap_or(Value::Null);
    let mut f = Map::new();
    f.insert("name".into(), str_field(&contact, "name"));
    f.insert("email_address".into(), str_field(&contact, "email"));
    f.insert(
        "is_active".into(),
        contact
            .get("active")
            .and_then(Value::as_bool)
            .map_or(Value::Null, Value::Bool),
    );
    f.insert(
        "teams".into(),
        rel.list(
            ModelKind::Team,
            Some(raw.get("group_ids").unwrap_or(&json!([]))),
        ),
    );
    f.insert(
        "roles".into(),
        rel.list(
            ModelKind::Role,
            Some(raw.get("role_ids").unwrap_or(&json!([]))),
        ),
    );
    let avatar = contact
        .get("avatar")
        .and_then(|a| a.get("avatar_url"))
        .and_then(Value::as_str)
        .map_or(Value::Null, |s| Value::String(s.into()));
    f.insert("avatar".into(), avatar);
    let path = format!("/agents/{rid}");
    Ok(record(
        ModelKind::User,
        rid,
        f,
        path,
        raw.clone(),
        USER_VOLATILE_KEYS,
        refs,
        flag(raw, "deleted"),
    ))
}

/// Maps a contact. `phone` falls back to `mobile`; `deleted: true` → `remote_was_deleted`.
pub fn map_contact(
    linked_account_id: Uuid,
    raw: &Value,
) -> Result<NormalizedRecord, ProviderError> {
    let rid = require_id(raw, "contact")?;
    let mut refs = Vec::new();
    let mut rel = Rel {
        la: linked_account_id,
        refs: &mut refs,
    };
    let mut f = Map::new();
    f.insert("name".into(), str_field(raw, "name"));
    f.insert("email_address".into(), str_field(raw, "email"));
    let phone = match str_field(raw, "phone") {
        Value::String(s) if !s.is_empty() => Value::String(s),
        _ => str_field(raw, "mobile"),
    };
    f.insert("phone_number".into(), phone);
    f.insert("details".into(), str_field(raw, "description"));
    let account = raw
        .get("company_id")
        .map_or(Value::Null, |v| rel.id(ModelKind::Account, v));
    f.insert("account".into(), account);
    Ok(record(
        ModelKind::Contact,
        rid,
        f,
        "/contacts".into(),
        raw.clone(),
        USER_VOLATILE_KEYS,
        refs,
        flag(raw, "deleted"),
    ))
}

/// Maps a company to an Account.
pub fn map_account(
    linked_account_id: Uuid,
    raw: &Value,
) -> Result<NormalizedRecord, ProviderError> {
    let _ = linked_account_id;
    let rid = require_id(raw, "company")?;
    let mut f = Map::new();
    f.insert("name".into(), str_field(raw, "name"));
    let domains: Vec<Value> = raw
        .get("domains")
        .and_then(Value::as_array)
        .map(|d| d.iter().filter(|v| v.is_string()).cloned().collect())
        .unwrap_or_default();
    f.insert("domains".into(), Value::Array(domains));
    Ok(record(
        ModelKind::Account,
        rid,
        f,
        "/companies".into(),
        raw.clone(),
        &[],
        vec![],
        false,
    ))
}

/// Maps a group to a Team.
pub fn map_team(linked_account_id: Uuid, raw: &Value) -> Result<NormalizedRecord, ProviderError> {
    let _ = linked_account_id;
    let rid = require_id(raw, "group")?;
    let mut f = Map::new();
    f.insert("name".into(), str_field(raw, "name"));
    f.insert("description".into(), str_field(raw, "description"));
    Ok(record(
        ModelKind::Team,
        rid,
        f,
        "/groups".into(),
        raw.clone(),
        &[],
        vec![],
        false,
    ))
}

/// Maps a role. Freshdesk's roles carry no ticket actions or access scope in the API.
pub fn map_role(linked_account_id: Uuid, raw: &Value) -> Result<NormalizedRecord, ProviderError> {
    let _ = linked_account_id;
    let rid = require_id(raw, "role")?;
    let mut f = Map::new();
    f.insert("name".into(), str_field(raw, "name"));
    f.insert("ticket_actions".into(), Value::Null);
    f.insert("ticket_access".into(), Value::Null);
    Ok(record(
        ModelKind::Role,
        rid,
        f,
        "/roles".into(),
        raw.clone(),
        &[],
        vec![],
        false,
    ))
}

/// Maps a tag name (Freshdesk has no tag objects; the name is the remote id).
pub fn map_tag(linked_account_id: Uuid, name: &str) -> NormalizedRecord {
    let _ = linked_account_id;
    let mut f = Map::new();
    f.insert("name".into(), Value::String(name.to_string()));
    NormalizedRecord {
        kind: ModelKind::Tag,
        remote_id: name.to_string(),
        fields: f,
        remote_data: RemoteData::empty(),
        volatile_keys: &[],
        refs: vec![],
        remote_was_deleted: false,
    }
}
