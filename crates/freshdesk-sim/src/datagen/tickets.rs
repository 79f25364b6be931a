//! Tickets, conversations, attachments and time entries.

use rand::Rng;
use rand::rngs::StdRng;
use serde_json::Value;

use super::shapes::{Arch, Pools, arch_of, attachment, weighted};
use super::words::{DESCRIPTIONS, REGIONS, SUBJECTS, TAGS, TYPES};
use super::{DAY, pick};
use crate::config::SimConfig;
use crate::model::{Stats, Ticket};
use crate::store::AccountData;

/// Generates all tickets of the account.
pub fn tickets(
    data: &mut AccountData,
    rng: &mut StdRng,
    cfg: &SimConfig,
    contacts: &[(i64, i64)],
    born: i64,
    now: i64,
) {
    let pools = Pools {
        agents: data.agents.keys().copied().collect(),
        groups: data.groups.keys().copied().collect(),
        contacts: contacts
            .iter()
            .map(|(t, id)| {
                (
                    *t,
                    *id,
                    data.contact(*id).is_some_and(|c| c.company_id.is_some()),
                )
            })
            .collect(),
    };
    let start = (now - 400 * DAY).max(born + DAY);
    let mut created: Vec<i64> = (0..cfg.tickets)
        .map(|_| rng.gen_range(start..now - 120))
        .collect();
    created.sort_unstable();
    for i in 1..created.len() {
        if rng.gen_bool(0.04) {
            created[i] = created[i - 1];
        }
    }
    let mut bulk: Option<(i64, u32)> = None;
    for c in created {
        let id = data.next_ticket_id();
        let arch = arch_of(id);
        let mut updated = if rng.gen_bool(0.15) {
            c
        } else {
            (c + rng.gen_range(60..(now - c).clamp(61, 20 * DAY))).min(now)
        };
        if rng.gen_bool(0.03) {
            updated = (now - rng.gen_range(0..10 * DAY)).max(c);
        }
        match bulk {
            Some((b, left)) if b >= c && left > 0 => {
                updated = b;
                bulk = Some((b, left - 1));
            }
            _ => {
                bulk = rng.gen_bool(0.02).then(|| (updated, rng.gen_range(2..8)));
            }
        }
        let t = ticket(data, rng, &pools, id, arch, c, updated, now);
        data.insert_ticket(t);
        super::conversations::conversations(data, rng, cfg, &pools, id, arch);
    }
    if data.profile.association {
        associations(data, rng);
    }
}

#[allow(clippy::too_many_arguments)]
fn ticket(
    data: &mut AccountData,
    rng: &mut StdRng,
    pools: &Pools,
    id: i64,
    arch: Option<Arch>,
    c: i64,
    updated: i64,
    now: i64,
) -> Ticket {
    let recent = now - c < 30 * DAY;
    let mut status = if recent {
        weighted(rng, &[(2, 35), (3, 15), (6, 10), (7, 5), (4, 20), (5, 15)])
    } else {
        weighted(rng, &[(5, 60), (4, 25), (2, 5), (3, 4), (6, 4), (7, 2)])
    };
    let requester_id = pools.requester(rng, c, arch);
    let req_company = data.contact(requester_id).and_then(|x| x.company_id);
    let mut responder_id = if (status == 2 && rng.gen_bool(0.4)) || rng.gen_bool(0.1) {
        None
    } else {
        Some(pick(rng, &pools.agents))
    };
    let mut group_id = if !pools.groups.is_empty() && rng.gen_bool(0.75) {
        Some(pick(rng, &pools.groups))
    } else {
        None
    };
    let mut source = weighted(rng, &[(1, 45), (2, 25), (3, 15), (7, 10), (9, 3), (10, 2)]);
    let (cfg_id, addr) = data.email_configs[rng.gen_range(0..data.email_configs.len())].clone();
    let (mut email_config_id, mut support_email, mut to_emails) = if source == 1 || source == 10 {
        (Some(cfg_id), Some(addr.clone()), Some(vec![addr.clone()]))
    } else if rng.gen_bool(0.3) {
        (Some(cfg_id), None, None)
    } else {
        (None, None, None)
    };
    let mut product_id = rng
        .gen_bool(0.5)
        .then(|| data.products[rng.gen_range(0..data.products.len())].0);
    let mut ticket_type = if rng.gen_bool(0.15) {
        None
    } else {
        Some(pick(rng, TYPES).into())
    };
    let (mut due_by, mut fr_due_by) = if rng.gen_bool(0.8) {
        let due = c + rng.gen_range(1..4) * DAY;
        (Some(due), Some(c + rng.gen_range(3600..DAY)))
    } else {
        (None, None)
    };
    let cc = |rng: &mut StdRng| -> Option<Vec<String>> {
        if rng.gen_bool(0.03) {
            None
        } else if rng.gen_bool(0.05) {
            Some(vec![format!(
                "cc{}@{}",
                rng.gen_range(1..99),
                pick(rng, &["example.org", "partner.example"])
            )])
        } else {
            Some(Vec::new())
        }
    };
    let cc_emails = cc(rng);
    let mut company_id = if rng.gen_bool(0.9) { req_company } else { None };
    let mut tags: Vec<crate::model::Text> = (0..rng.gen_range(0..4))
        .map(|_| pick(rng, TAGS).into())
        .collect();
    tags.dedup();
    let custom = vec![
        if rng.gen_bool(0.4) {
            Value::String(format!("ORD-{:06}", rng.gen_range(1..999_999)))
        } else {
            Value::Null
        },
        if rng.gen_bool(0.6) {
            Value::String(pick(rng, REGIONS).to_owned())
        } else {
            Value::Null
        },
        Value::Bool(rng.gen_bool(0.1)),
    ];
    let mut attachments = Vec::new();
    if arch.is_none() && rng.gen_bool(0.08) {
        for _ in 0..rng.gen_range(1..3) {
            attachments.push(attachment(data, rng, c));
        }
    }
    let text_idx = rng.gen_range(0..DESCRIPTIONS.len());
    if let Some(a) = arch {
        tags.clear();
        match a {
            Arch::List => {
                ticket_type = None;
                group_id = None;
                responder_id = Some(pick(rng, &pools.agents));
                company_id = req_company;
                email_config_id = Some(cfg_id);
                product_id = None;
                status = 5;
                source = 10;
                support_email = Some(addr.clone());
                to_emails = Some(vec![addr]);
                due_by = Some(c + 3 * DAY);
                fr_due_by = Some(c + DAY);
            }
            Arch::Stats | Arch::Parent => {
                email_config_id = None;
                group_id = None;
                responder_id = Some(pick(rng, &pools.agents));
                source = 1;
                company_id = None;
                status = 2;
                support_email = None;
                to_emails = None;
                product_id = None;
                ticket_type = Some("Problem".into());
                due_by = Some(c + 12 * 3600);
                fr_due_by = Some(c + 4 * 3600);
            }
            Arch::View => {
                email_config_id = Some(cfg_id);
                group_id = pools.groups.first().copied();
                responder_id = None;
                source = 3;
                company_id = req_company;
                status = 6;
                support_email = None;
                to_emails = None;
                product_id = data.products.first().map(|p| p.0);
                ticket_type = Some("Feature Request".into());
                due_by = Some(c + 4 * DAY);
                fr_due_by = Some(c + 2 * DAY);
            }
            Arch::Y2025 => {
                email_config_id = None;
                group_id = None;
                responder_id = None;
                source = 2;
                company_id = None;
                status = 2;
                support_email = None;
                to_emails = None;
                product_id = None;
                ticket_type = Some("Question".into());
                due_by = None;
                fr_due_by = None;
                tags = vec!["test-tag".into()];
            }
        }
    }
    let plain = arch.is_none();
    Ticket {
        id,
        subject: pick(rng, SUBJECTS).into(),
        description_text: DESCRIPTIONS[text_idx].into(),
        description_html: None,
        status,
        priority: weighted(rng, &[(1, 40), (2, 35), (3, 18), (4, 7)]),
        source,
        ticket_type,
        requester_id,
        responder_id,
        group_id,
        company_id,
        product_id,
        email_config_id,
        support_email,
        to_emails,
        reply_cc_emails: if plain {
            cc_emails.clone()
        } else {
            Some(Vec::new())
        },
        ticket_cc_emails: if plain {
            cc_emails.clone()
        } else {
            Some(Vec::new())
        },
        cc_emails: if plain { cc_emails } else { Some(Vec::new()) },
        fwd_emails: if plain && rng.gen_bool(0.03) {
            None
        } else {
            Some(Vec::new())
        },
        ticket_bcc_emails: Vec::new(),
        fr_escalated: rng.gen_bool(0.1),
        is_escalated: rng.gen_bool(0.05),
        nr_escalated: false,
        spam: plain && rng.gen_bool(0.01),
        deleted: plain && rng.gen_bool(0.01),
        due_by,
        fr_due_by,
        nr_due_by: if plain && rng.gen_bool(0.05) {
            Some(c + DAY)
        } else {
            None
        },
        custom,
        created_at: c,
        updated_at: updated,
        tags,
        attachments,
        association_type: None,
        associated: Vec::new(),
        stats: Stats::default(),
        watchers: if rng.gen_bool(0.05) {
            vec![data.admin_agent_id]
        } else {
            Vec::new()
        },
    }
}

fn associations(data: &mut AccountData, rng: &mut StdRng) {
    let n = i64::try_from(data.ticket_slots()).unwrap_or(0);
    let mut id = 1;
    while id < n {
        let forced = arch_of(id) == Some(Arch::Parent);
        let free = |d: &AccountData, x: i64| {
            d.ticket(x)
                .is_some_and(|t| t.association_type.is_none() && !t.deleted && !t.spam)
                && arch_of(x).is_none()
        };
        if (forced || (arch_of(id).is_none() && rng.gen_bool(0.02)))
            && free(data, id + 1)
            && data
                .ticket(id)
                .is_some_and(|t| t.association_type.is_none())
        {
            let mut children = vec![id + 1];
            if rng.gen_bool(0.5) && id + 2 <= n && free(data, id + 2) {
                children.push(id + 2);
            }
            for ch in &children {
                data.update_ticket(*ch, |t| {
                    t.association_type = Some(2);
                    t.associated = vec![id];
                });
            }
            data.update_ticket(id, |t| {
                t.association_type = Some(1);
                t.associated = children;
            });
            id += 3;
        } else {
            id += 1;
        }
    }
}
