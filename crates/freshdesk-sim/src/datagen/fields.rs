//! Ticket field definitions (`GET /ticket_fields`).

use crate::model::{Choices, CustomKind, TicketField};
use crate::store::{AccountData, IdKind};

use super::words::{REGIONS, TYPES};

/// Custom ticket fields of every simulated account, in `custom_fields` order.
pub const CUSTOM_DEFS: &[(&str, CustomKind)] = &[
    ("cf_order_id", CustomKind::Text),
    ("cf_region", CustomKind::Dropdown(REGIONS)),
    ("cf_vip", CustomKind::Checkbox),
];

/// Status ids and labels `(id, agent label, customer label)`.
pub const STATUSES: &[(i64, &str, &str)] = &[
    (2, "Open", "Being Processed"),
    (3, "Pending", "Awaiting your Reply"),
    (4, "Resolved", "This ticket has been Resolved"),
    (5, "Closed", "This ticket has been Closed"),
    (6, "Waiting on Customer", "Awaiting your Reply"),
    (7, "Waiting on Third Party", "Being Processed"),
];

/// Sources `(name, id)` as in `ticket_fields` (Freshdesk lists these names).
pub const SOURCES: &[(&str, i64)] = &[
    ("Email", 1),
    ("Portal", 2),
    ("Phone", 3),
    ("Forum", 4),
    ("Twitter", 5),
    ("Facebook", 6),
    ("Chat", 7),
    ("MobiHelp", 8),
    ("Feedback Widget", 9),
    ("Outbound Email", 10),
    ("Ecommerce", 11),
    ("Bot", 12),
    ("Whatsapp", 13),
];

/// Priorities `(name, id)`.
pub const PRIORITIES: &[(&str, i64)] = &[("Low", 1), ("Medium", 2), ("High", 3), ("Urgent", 4)];

struct Def {
    name: &'static str,
    label: &'static str,
    customer_label: &'static str,
    description: &'static str,
    ty: &'static str,
    default: bool,
    agents: bool,
    customers: bool,
    choices: Choices,
}

fn def(
    name: &'static str,
    label: &'static str,
    description: &'static str,
    ty: &'static str,
    choices: Choices,
) -> Def {
    Def {
        name,
        label,
        customer_label: label,
        description,
        ty,
        default: !name.starts_with("cf_"),
        agents: false,
        customers: true,
        choices,
    }
}

/// Builds the account's ticket fields.
pub fn build(data: &mut AccountData, created: i64, updated: i64) {
    let mut defs = vec![
        Def {
            agents: true,
            customers: true,
            ..def(
                "requester",
                "Search a requester",
                "Ticket requester",
                "default_requester",
                Choices::None,
            )
        },
        Def {
            agents: true,
            ..def(
                "subject",
                "Subject",
                "Ticket subject",
                "default_subject",
                Choices::None,
            )
        },
        def(
            "ticket_type",
            "Type",
            "Ticket type",
            "default_ticket_type",
            Choices::List(TYPES.to_vec()),
        ),
        def(
            "source",
            "Source",
            "Ticket source",
            "default_source",
            Choices::NameToId(SOURCES.to_vec()),
        ),
        Def {
            agents: true,
            customer_label: "Status",
            ..def(
                "status",
                "Status",
                "Ticket status",
                "default_status",
                Choices::Status,
            )
        },
        def(
            "priority",
            "Priority",
            "Ticket priority",
            "default_priority",
            Choices::NameToId(PRIORITIES.to_vec()),
        ),
        def(
            "group",
            "Group",
            "Ticket group",
            "default_group",
            Choices::Groups,
        ),
        Def {
            customer_label: "Agent",
            ..def("agent", "Agent", "Agent", "default_agent", Choices::Agents)
        },
        def(
            "product",
            "Product",
            "Select the product, the ticket belongs to.",
            "default_product",
            Choices::Products,
        ),
        Def {
            agents: true,
            ..def(
                "description",
                "Description",
                "Ticket description",
                "default_description",
                Choices::None,
            )
        },
        def(
            "cf_order_id",
            "Order ID",
            "Order number given by the customer",
            "custom_text",
            Choices::None,
        ),
        def(
            "cf_region",
            "Region",
            "Customer region",
            "custom_dropdown",
            Choices::List(REGIONS.to_vec()),
        ),
        Def {
            customers: false,
            ..def(
                "cf_vip",
                "VIP",
                "VIP customer",
                "custom_checkbox",
                Choices::None,
            )
        },
    ];
    data.ticket_fields.clear();
    for (i, d) in defs.drain(..).enumerate() {
        let id = data.next_id(IdKind::Field);
        data.ticket_fields.push(TicketField {
            id,
            name: d.name,
            label: d.label,
            description: d.description,
            position: i64::try_from(i).unwrap_or(0) + 1,
            required_for_closure: false,
            required_for_agents: d.agents,
            field_type: d.ty,
            default: d.default,
            customers_can_edit: d.customers && d.name != "status",
            label_for_customers: d.customer_label,
            required_for_customers: d.name == "requester" || d.name == "subject",
            displayed_to_customers: d.customers,
            created_at: created,
            updated_at: if d.name == "status" { updated } else { created },
            choices: d.choices,
        });
    }
    data.custom_defs = CUSTOM_DEFS.to_vec();
}
