//! Roles: Zendesk's custom roles (Enterprise plans) and the built-in roles used elsewhere.

use deskbridge_model::ModelKind;
use deskbridge_provider::{NormalizedRecord, ProviderError};
use serde_json::{Map, Value, json};

use crate::fields::{record, require_id, str_field};

/// `configuration.ticket_access` → Merge's `ticket_access` (values other than `all` are
/// inferred, reference §7.3).
pub fn ticket_access(value: Option<&str>) -> Value {
    match value {
        Some("all") => json!("ALL"),
        Some(v) if v.starts_with("within-groups") || v.starts_with("within_groups") => {
            json!("TEAM_ONLY")
        }
        Some("assigned-only" | "assigned_only") => json!("ASSIGNED_ONLY"),
        _ => Value::Null,
    }
}

/// Maps a custom role (Enterprise) to a Role: VIEW and CREATE always, EDIT and CLOSE with
/// `ticket_editing`, DELETE with `ticket_deletion`, ASSIGN with `assign_tickets_to_any_group`.
pub fn map_role(raw: &Value) -> Result<NormalizedRecord, ProviderError> {
    let rid = require_id(raw, "custom role")?;
    let cfg = raw.get("configuration").cloned().unwrap_or(Value::Null);
    let on = |k: &str| cfg.get(k).and_then(Value::as_bool) == Some(true);
    let mut actions = vec!["VIEW", "CREATE"];
    if on("ticket_editing") {
        actions.extend(["EDIT", "CLOSE"]);
    }
    if on("ticket_deletion") {
        actions.push("DELETE");
    }
    if on("assign_tickets_to_any_group") {
        actions.push("ASSIGN");
    }
    let mut f = Map::new();
    f.insert("name".into(), str_field(raw, "name"));
    f.insert("ticket_actions".into(), json!(actions));
    f.insert(
        "ticket_access".into(),
        ticket_access(cfg.get("ticket_access").and_then(Value::as_str)),
    );
    Ok(record(
        ModelKind::Role,
        rid,
        f,
        "/custom_roles".into(),
        raw,
        vec![],
        false,
    ))
}

/// The built-in roles used when the plan has no custom roles: `agent` and `admin` (remote ids
/// are these names; Zendesk's numeric ids cannot collide with them).
pub fn builtin_roles() -> Vec<NormalizedRecord> {
    [
        (
            "agent",
            "Agent",
            vec!["VIEW", "CREATE", "EDIT", "CLOSE", "ASSIGN"],
        ),
        (
            "admin",
            "Admin",
            vec!["VIEW", "CREATE", "EDIT", "DELETE", "CLOSE", "ASSIGN"],
        ),
    ]
    .into_iter()
    .map(|(id, name, actions)| {
        let mut f = Map::new();
        f.insert("name".into(), json!(name));
        f.insert("ticket_actions".into(), json!(actions));
        f.insert("ticket_access".into(), json!("ALL"));
        let raw = json!({"role": id, "builtin": true});
        record(
            ModelKind::Role,
            id.to_string(),
            f,
            "/users".into(),
            &raw,
            vec![],
            false,
        )
    })
    .collect()
}
