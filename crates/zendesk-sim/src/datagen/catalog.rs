//! The account's catalogue: custom statuses, ticket fields (system and one custom field of
//! each common type) and the system "Admin" role configuration as recorded.

use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde_json::{Value, json};

use crate::store::{AccountData, CustomStatus, TicketField};

/// Category, agent label, end-user label, description, active, default.
type StatusRow = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    bool,
    bool,
);
/// Type, title, system options (name, value).
type SystemField = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

/// The recorded permissions of the system "Admin" role.
const ADMIN_CONFIGURATION: &str = r#"{"chat_access":true,"end_user_list_access":"full","forum_access_restricted_content":false,"light_agent":false,"manage_business_rules":true,"manage_dynamic_content":true,"manage_extensions_and_channels":true,"manage_facebook":true,"moderate_forums":false,"side_conversation_create":true,"ticket_access":"all","ticket_comment_access":"public","ticket_deletion":true,"ticket_tag_editing":true,"twitter_search_access":false,"view_deleted_tickets":true,"voice_access":true,"group_access":true,"organization_editing":true,"organization_notes_editing":true,"assign_tickets_to_any_group":true,"end_user_profile_access":"full","explore_access":"full","forum_access":"full","macro_access":"full","report_access":"full","ticket_editing":true,"ticket_merge":true,"user_view_access":"full","view_access":"full","voice_dashboard_access":true,"manage_automations":true,"manage_contextual_workspaces":true,"manage_organization_fields":true,"manage_skills":true,"manage_slas":true,"manage_ticket_fields":true,"manage_ticket_forms":true,"manage_user_fields":true,"ticket_redaction":true,"manage_roles":"all","manage_groups":true,"manage_group_memberships":true,"manage_organizations":true,"manage_suspended_tickets":true,"manage_triggers":true}"#;

/// The system "Admin" role's configuration, as recorded.
pub fn admin_configuration() -> Value {
    serde_json::from_str(ADMIN_CONFIGURATION).unwrap_or_default()
}

pub fn statuses(d: &mut AccountData, t0: i64) {
    let rows: &[StatusRow] = &[
        (
            "new",
            "New",
            "Open",
            Some("Ticket is awaiting assignment to an agent"),
            true,
            true,
        ),
        (
            "open",
            "Open",
            "Open",
            Some("Staff is working on the ticket"),
            true,
            true,
        ),
        (
            "pending",
            "Pending",
            "Awaiting your reply",
            Some("Staff is waiting for the requester to reply"),
            true,
            true,
        ),
        (
            "hold",
            "On-hold",
            "Open",
            Some("Staff is waiting for a third party"),
            true,
            true,
        ),
        (
            "solved",
            "Solved",
            "Solved",
            Some("The ticket has been solved"),
            true,
            true,
        ),
        (
            "open",
            "Waiting on vendor",
            "In progress",
            None,
            true,
            false,
        ),
        ("pending", "Legacy pending", "Pending", None, false, false),
    ];
    for (cat, agent, end, desc, active, default) in rows {
        let id = d.next_id();
        d.custom_statuses.insert(
            id,
            CustomStatus {
                id,
                category: (*cat).to_owned(),
                agent_label: (*agent).to_owned(),
                end_user_label: (*end).to_owned(),
                description: desc.map(str::to_owned),
                active: *active,
                default: *default,
                created_at: t0,
            },
        );
    }
}

pub fn fields(d: &mut AccountData, t0: i64, require_category: bool) {
    let sys: &[SystemField] = &[
        ("subject", "Subject", &[]),
        ("description", "Description", &[]),
        (
            "status",
            "Status",
            &[
                ("Open", "open"),
                ("Pending", "pending"),
                ("Solved", "solved"),
            ],
        ),
        (
            "tickettype",
            "Type",
            &[
                ("Question", "question"),
                ("Incident", "incident"),
                ("Problem", "problem"),
                ("Task", "task"),
            ],
        ),
        (
            "priority",
            "Priority",
            &[
                ("Low", "low"),
                ("Normal", "normal"),
                ("High", "high"),
                ("Urgent", "urgent"),
            ],
        ),
        ("group", "Group", &[]),
        ("assignee", "Assignee", &[]),
    ];
    let custom: &[(&str, &str)] = &[
        ("tagger", "Category"),
        ("text", "Order number"),
        ("textarea", "Steps to reproduce"),
        ("checkbox", "Escalated"),
        ("date", "Renewal date"),
        ("integer", "Seats"),
        ("decimal", "Amount"),
        ("regexp", "SKU"),
        ("multiselect", "Products"),
    ];
    let mut pos = 0;
    for (kind, title, opts) in sys {
        let id = d.next_id();
        d.ticket_fields.insert(
            id,
            TicketField {
                id,
                kind: (*kind).to_owned(),
                title: (*title).to_owned(),
                description: format!("Request {}", title.to_lowercase()),
                position: pos,
                required: false,
                visible_in_portal: matches!(*kind, "subject" | "description" | "priority"),
                options: Vec::new(),
                system_options: opts
                    .iter()
                    .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                    .collect(),
                regexp: None,
                created_at: t0,
            },
        );
        pos += 1;
    }
    for (kind, title) in custom {
        let id = d.next_id();
        let options = if matches!(*kind, "tagger" | "multiselect") {
            let prefix = title.to_lowercase();
            ["one", "two", "three"]
                .iter()
                .map(|o| (d.next_id(), format!("{title} {o}"), format!("{prefix}_{o}")))
                .collect()
        } else {
            Vec::new()
        };
        d.ticket_fields.insert(
            id,
            TicketField {
                id,
                kind: (*kind).to_owned(),
                title: (*title).to_owned(),
                description: String::new(),
                position: pos,
                required: require_category && *kind == "tagger",
                visible_in_portal: *kind == "text",
                options,
                system_options: Vec::new(),
                regexp: (*kind == "regexp").then(|| "\\b[A-Z]{3}-\\d{4}\\b".to_owned()),
                created_at: t0,
            },
        );
        pos += 1;
    }
}

pub fn field_value(f: &TicketField, rng: &mut StdRng) -> Value {
    if rng.gen_bool(0.5) {
        return Value::Null;
    }
    match f.kind.as_str() {
        "tagger" => f
            .options
            .choose(rng)
            .map(|o| json!(o.2))
            .unwrap_or(Value::Null),
        "multiselect" => json!(
            f.options
                .iter()
                .take(rng.gen_range(1..3))
                .map(|o| o.2.clone())
                .collect::<Vec<_>>()
        ),
        "checkbox" => json!(rng.gen_bool(0.5)),
        "date" => json!("2025-03-01"),
        "integer" => json!(rng.gen_range(1..500).to_string()),
        "decimal" => json!(format!("{}.50", rng.gen_range(1..999))),
        "regexp" => json!(format!("ABC-{:04}", rng.gen_range(0..9999))),
        _ => json!(format!("value {}", rng.gen_range(1..1000))),
    }
}
