//! Seeded generation of one account: the same seed and counts give the same data.
//!
//! Shapes follow the recordings: 14-digit ids growing by 128, nice ticket ids from 1, nulls
//! where recorded (`organization_id`, `assignee_id`, `priority`, `type`), some tickets sharing a
//! `generated_timestamp` second (the time-based export must not split them), system updates
//! that bump `generated_timestamp` but not `updated_at`, archived tickets (closed more than
//! 120 days ago), soft-deleted and scrubbed tickets, and attachments in comments.

mod catalog;
mod words;

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::json;

use crate::config::SimConfig;
use crate::store::{
    AccountData, Comment, CustomRole, Deletion, Group, Membership, Organization, Ticket,
    TicketField, User,
};
use catalog::{admin_configuration, field_value, fields, statuses};
pub use words::html_body;
use words::{FIRST, LAST, ORGS, STATUSES, TAGS, TOPICS, attachment, share_seconds};

/// Seconds in a day.
const DAY: i64 = 86_400;

/// One generated account.
#[derive(Debug)]
pub struct Generated {
    /// Subdomain.
    pub subdomain: String,
    /// Account API token.
    pub api_token: String,
    /// Data.
    pub data: AccountData,
    /// Owner (admin) id.
    pub owner_id: i64,
}

/// The RNG of one account and purpose.
pub fn rng_for(seed: u64, account: usize, purpose: u64) -> StdRng {
    StdRng::seed_from_u64(
        seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ ((account as u64) << 20) ^ purpose,
    )
}

/// A 40-character API token (Zendesk tokens are 40 alphanumerics).
pub fn api_token(rng: &mut StdRng) -> String {
    const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..40)
        .map(|_| char::from(ALPHA[rng.gen_range(0..ALPHA.len())]))
        .collect()
}

/// Generates account `index` (0-based) as of `now`.
pub fn generate_account(cfg: &SimConfig, index: usize, now: i64) -> Generated {
    let mut rng = rng_for(cfg.seed, index, 1);
    let mut d = AccountData {
        last_id: 26_155_000_000_000 + (index as i64) * 40_000_000_000 + rng.gen_range(0..1000),
        ..AccountData::default()
    };
    let sub = format!("zsim{}", index + 1);
    let t0 = now - 420 * DAY;
    d.brand_id = d.next_id();
    d.ticket_form_id = d.next_id();
    statuses(&mut d, t0);
    fields(&mut d, t0, index % 3 == 2);
    let admin_role = d.next_id();
    d.custom_roles.insert(
        admin_role,
        CustomRole {
            id: admin_role,
            name: "Admin".into(),
            description: "Can manage all settings, except billing".into(),
            role_type: 4,
            configuration: admin_configuration(),
            created_at: t0,
        },
    );
    let light = d.next_id();
    let mut light_cfg = admin_configuration();
    light_cfg["ticket_editing"] = json!(false);
    light_cfg["ticket_deletion"] = json!(false);
    light_cfg["ticket_access"] = json!("within-groups");
    d.custom_roles.insert(
        light,
        CustomRole {
            id: light,
            name: "Light agent".into(),
            description: "Can view and add private comments to tickets".into(),
            role_type: 1,
            configuration: light_cfg,
            created_at: t0,
        },
    );
    for g in 0..cfg.groups.max(1) {
        let id = d.next_id();
        let name = [
            "Support",
            "Billing",
            "Tier 2",
            "Onboarding",
            "Escalations",
            "Sales",
        ]
        .get(g)
        .map(|s| (*s).to_owned())
        .unwrap_or_else(|| format!("Group {}", g + 1));
        d.groups.insert(
            id,
            Group {
                id,
                name,
                description: if g == 1 {
                    "Invoices and refunds".into()
                } else {
                    String::new()
                },
                default: g == 0,
                deleted: g == 3,
                created_at: t0 + g as i64 * 60,
                updated_at: t0 + g as i64 * 60,
            },
        );
    }
    let live_groups: Vec<i64> = d
        .groups
        .values()
        .filter(|g| !g.deleted)
        .map(|g| g.id)
        .collect();
    for o in 0..cfg.organizations {
        let id = d.next_id();
        let base = ORGS[o % ORGS.len()];
        let name = if o < ORGS.len() {
            base.to_owned()
        } else {
            format!("{base} {}", o / ORGS.len() + 1)
        };
        d.organizations.insert(
            id,
            Organization {
                id,
                domain_names: if o % 2 == 0 {
                    vec![format!(
                        "{}.example.com",
                        name.to_lowercase().replace(' ', "")
                    )]
                } else {
                    Vec::new()
                },
                name,
                created_at: t0 + 3600 + o as i64,
                updated_at: t0 + 7200 + o as i64 * 7,
                details: (o % 3 == 0).then(|| "Key account".to_owned()),
                group_id: None,
                external_id: (o % 2 == 1).then(|| format!("crm-{o}")),
                tags: if o % 2 == 0 {
                    vec!["customer".into()]
                } else {
                    Vec::new()
                },
            },
        );
    }
    let org_ids: Vec<i64> = d.organizations.keys().copied().collect();
    let mut agents = Vec::new();
    for a in 0..=cfg.agents {
        let id = d.next_id();
        let admin = a == 0 || a == 1;
        let name = if a == 0 {
            "Owner Admin".to_owned()
        } else {
            format!("{} {}", FIRST[a % FIRST.len()], LAST[a % LAST.len()])
        };
        let email = if a == 0 {
            format!("admin@{sub}.example.com")
        } else {
            format!("agent{a}@{sub}.example.com")
        };
        let created = t0 + 60 * a as i64;
        d.users.insert(
            id,
            User {
                id,
                name,
                email: Some(email),
                created_at: created,
                updated_at: created + DAY,
                role: if admin { "admin" } else { "agent" }.into(),
                organization_id: if a == 0 {
                    org_ids.first().copied()
                } else {
                    None
                },
                phone: None,
                external_id: None,
                tags: Vec::new(),
                active: true,
                suspended: false,
                verified: true,
                last_login_at: Some(now - rng.gen_range(1..30) * DAY),
                role_type: admin.then_some(4),
                custom_role_id: admin.then_some(admin_role),
                default_group_id: live_groups.get(a % live_groups.len().max(1)).copied(),
                alias: None,
                details: None,
                notes: None,
                photo_id: (a == 0).then(|| d.last_id + 64),
                two_factor: None,
            },
        );
        agents.push(id);
    }
    for (i, a) in agents.iter().enumerate() {
        for (k, g) in live_groups.iter().enumerate() {
            if k == i % live_groups.len() || (i + k) % 3 == 0 {
                let id = d.next_id();
                let default = d.users.get(a).and_then(|u| u.default_group_id) == Some(*g);
                d.memberships.insert(
                    id,
                    Membership {
                        id,
                        user_id: *a,
                        group_id: *g,
                        default,
                        created_at: t0 + 600 + i as i64,
                    },
                );
            }
        }
    }
    let mut end_users = Vec::new();
    for e in 0..cfg.end_users.max(2) {
        let id = d.next_id();
        let created = t0 + DAY + rng.gen_range(0..300) * DAY;
        let updated = (created + rng.gen_range(0..60) * DAY).min(now - 120);
        let org = if e % 3 == 2 {
            None
        } else {
            org_ids.get(e % org_ids.len().max(1)).copied()
        };
        d.users.insert(
            id,
            User {
                id,
                name: format!(
                    "{} {}",
                    FIRST[(e * 7) % FIRST.len()],
                    LAST[(e * 5) % LAST.len()]
                ),
                email: if e == 5 {
                    None
                } else {
                    Some(format!("customer{}@example.org", e + 1))
                },
                created_at: created,
                updated_at: updated,
                role: "end-user".into(),
                organization_id: org,
                phone: (e % 4 == 0).then(|| format!("+1555010{:04}", e)),
                external_id: (e % 5 == 0).then(|| format!("ext-{e}")),
                tags: if e % 6 == 0 {
                    vec!["vip".into()]
                } else {
                    Vec::new()
                },
                active: true,
                suspended: e == 7,
                verified: e % 2 == 0,
                last_login_at: None,
                role_type: None,
                custom_role_id: None,
                default_group_id: None,
                alias: (e % 4 == 1).then(String::new),
                details: (e % 4 == 1).then(String::new),
                notes: (e % 4 == 1).then(String::new),
                photo_id: None,
                two_factor: (e % 2 == 1).then_some(false),
            },
        );
        end_users.push(id);
    }
    let fields: Vec<TicketField> = d
        .ticket_fields
        .values()
        .filter(|f| f.is_custom())
        .cloned()
        .collect();
    for n in 0..cfg.tickets {
        let id = d.next_nice_id();
        let created = t0
            + 2 * DAY
            + (n as i64 * 400 * DAY) / cfg.tickets.max(1) as i64
            + rng.gen_range(0..3600);
        let status = STATUSES[rng.gen_range(0..STATUSES.len())].to_owned();
        let requester = if rng.gen_bool(0.9) {
            end_users[rng.gen_range(0..end_users.len())]
        } else {
            agents[1]
        };
        let org = d.users.get(&requester).and_then(|u| u.organization_id);
        let assignee = (status != "new").then(|| agents[rng.gen_range(1..agents.len())]);
        let group = (status != "new" || rng.gen_bool(0.3))
            .then(|| live_groups[rng.gen_range(0..live_groups.len())]);
        let topic = TOPICS[rng.gen_range(0..TOPICS.len())];
        let channel = if n < 2 {
            "sample_ticket"
        } else {
            ["web", "email", "api"][rng.gen_range(0..3)]
        };
        let mut when = created;
        let mut comments = Vec::new();
        let count = 1 + rng.gen_range(0..=cfg.comments_per_ticket.max(1.0) as usize * 2 - 1);
        for c in 0..count {
            let author = if c == 0 || c % 2 == 0 {
                requester
            } else {
                assignee.unwrap_or(agents[1])
            };
            let public = c == 0 || author == requester || rng.gen_bool(0.7);
            let body = if c == 0 {
                format!("{topic}. Please help, ticket {id}.")
            } else {
                format!("Reply {c} on ticket {id}.")
            };
            let attachments = if rng.gen_ratio(1, 6) {
                vec![attachment(&mut d, &mut rng, id as u64)]
            } else {
                Vec::new()
            };
            let audit = d.next_id();
            comments.push(Comment {
                id: d.next_id(),
                author_id: author,
                body,
                public,
                attachments,
                audit_id: audit,
                channel: channel.to_owned(),
                created_at: when,
            });
            when += rng.gen_range(60..3 * DAY);
        }
        let closed_like = status == "solved" || status == "closed";
        let updated = when.min(now - 300);
        let mut gts = updated;
        if n % 11 == 3 {
            gts += rng.gen_range(1..DAY).min(now - 300 - gts).max(0); // a system update
        }
        d.tickets.insert(
            id,
            Ticket {
                id,
                external_id: (n % 9 == 0).then(|| format!("ext-ticket-{id}")),
                channel: channel.to_owned(),
                created_at: created,
                updated_at: updated,
                generated_ts: gts,
                kind: [
                    None,
                    Some("question"),
                    Some("incident"),
                    Some("problem"),
                    Some("task"),
                ][rng.gen_range(0..5)]
                .map(str::to_owned),
                subject: format!("{topic} (#{id})"),
                description: comments[0].body.clone(),
                priority: [
                    None,
                    Some("low"),
                    Some("normal"),
                    Some("high"),
                    Some("urgent"),
                ][rng.gen_range(0..5)]
                .map(str::to_owned),
                custom_status_id: d.default_status(&status),
                status_updated_at: updated,
                assigned_at: assignee.map(|_| created + 60),
                solved_at: closed_like.then_some(updated),
                archived: status == "closed" && updated < now - 120 * DAY,
                status,
                requester_id: requester,
                submitter_id: if rng.gen_bool(0.8) {
                    requester
                } else {
                    agents[1]
                },
                assignee_id: assignee,
                organization_id: org,
                group_id: group,
                collaborator_ids: if n % 7 == 0 {
                    vec![end_users[(n + 1) % end_users.len()]]
                } else {
                    Vec::new()
                },
                follower_ids: if n % 8 == 0 {
                    vec![agents[0]]
                } else {
                    Vec::new()
                },
                problem_id: None,
                due_at: None,
                tags: {
                    let k = rng.gen_range(0..3);
                    TAGS.choose_multiple(&mut rng, k)
                }
                .map(|s| (*s).to_owned())
                .collect(),
                custom_fields: fields
                    .iter()
                    .map(|f| (f.id, field_value(f, &mut rng)))
                    .collect(),
                deleted: None,
                scrubbed: false,
                comments,
            },
        );
    }
    share_seconds(&mut d);
    // Incidents point at a problem; tasks get a due date.
    let problems: Vec<i64> = d
        .tickets
        .values()
        .filter(|t| t.kind.as_deref() == Some("problem"))
        .map(|t| t.id)
        .collect();
    for t in d.tickets.values_mut() {
        match t.kind.as_deref() {
            Some("incident") if !problems.is_empty() && t.id % 2 == 0 => {
                t.problem_id = problems.first().copied()
            }
            Some("task") => t.due_at = Some(t.created_at + 7 * DAY),
            _ => {}
        }
    }
    // Two soft-deleted tickets and one scrubbed one (when there are enough tickets).
    let n = cfg.tickets as i64;
    for (k, tid) in [n - 1, n - 3, n - 5].into_iter().enumerate() {
        if n < 12 {
            break;
        }
        if let Some(t) = d.tickets.get_mut(&tid) {
            t.archived = false;
            t.deleted = Some(Deletion {
                at: t.generated_ts,
                actor_id: agents[0],
                previous_state: t.status.clone(),
            });
            if k == 2 {
                t.scrubbed = true;
            }
        }
    }
    let api_token = api_token(&mut rng_for(cfg.seed, index, 2));
    Generated {
        subdomain: sub,
        api_token,
        data: d,
        owner_id: agents[0],
    }
}
