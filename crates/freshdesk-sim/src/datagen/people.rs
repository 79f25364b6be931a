//! Roles, agents, groups, companies and contacts.

use rand::Rng;
use rand::rngs::StdRng;

use super::words::{COMPANIES, FIRST, FREE_MAIL, GROUPS, JOBS, LANGUAGES, LAST, TIME_ZONES};
use super::{DAY, pick};
use crate::model::{Agent, AgentContact, Company, Contact, Group, Role};
use crate::store::{AccountData, IdKind};

/// Creates the four built-in roles.
pub fn roles(data: &mut AccountData, born: i64) {
    let defs = [
        (
            "Account Administrator",
            "Has complete control over the help desk including access to Account or Billing related information, and receives Invoices.",
        ),
        (
            "Administrator",
            "Can configure all features through the Admin tab, but is restricted from viewing Account or Billing related information.",
        ),
        (
            "Supervisor",
            "Can perform all agent related activities and access reports, but cannot access or change configurations in the Admin tab.",
        ),
        (
            "Agent",
            "Can log, view, reply, update and resolve tickets and manage contacts.",
        ),
    ];
    for (name, description) in defs {
        let id = data.next_id(IdKind::Role);
        data.roles.insert(
            id,
            Role {
                id,
                name: name.into(),
                description: description.into(),
                default: true,
                created_at: born,
                updated_at: born,
            },
        );
    }
}

fn phone(rng: &mut StdRng) -> String {
    format!(
        "+{}{}",
        pick(rng, &[1, 33, 44, 49, 380, 81]),
        rng.gen_range(100_000_000u64..999_999_999)
    )
}

/// Creates the agents; the first one is the account administrator who owns the API key.
pub fn agents(
    data: &mut AccountData,
    rng: &mut StdRng,
    count: usize,
    born: i64,
    now: i64,
    sub: &str,
) {
    let role_ids: Vec<i64> = data.roles.keys().copied().collect();
    for i in 0..count {
        let id = data.next_id(IdKind::User);
        let first = pick(rng, FIRST);
        let last = pick(rng, LAST);
        let created =
            (born + i64::try_from(i).unwrap_or(0) * rng.gen_range(0..20 * DAY)).min(now - DAY);
        let updated = rng.gen_range(created..=now.min(created + 200 * DAY));
        let archetype = i == 0;
        let login = if archetype || rng.gen_bool(0.8) {
            Some(rng.gen_range(updated..=now))
        } else {
            None
        };
        let available = !archetype && rng.gen_bool(0.6);
        let contact = AgentContact {
            active: archetype || rng.gen_bool(0.9),
            email: format!(
                "{}.{}@{sub}.example.com",
                first.to_lowercase(),
                last.to_lowercase()
            ),
            job_title: if archetype || rng.gen_bool(0.5) {
                None
            } else {
                Some(pick(rng, JOBS).to_owned())
            },
            language: pick(rng, LANGUAGES).into(),
            last_login_at: login,
            mobile: if archetype || rng.gen_bool(0.7) {
                None
            } else {
                Some(phone(rng))
            },
            name: format!("{first} {last}"),
            phone: if archetype || rng.gen_bool(0.6) {
                None
            } else {
                Some(phone(rng))
            },
            time_zone: pick(rng, TIME_ZONES).into(),
            created_at: created,
            updated_at: rng.gen_range(created..=updated),
        };
        let role = if i == 0 {
            role_ids[0]
        } else if i < 2 {
            role_ids[1]
        } else if i < 3 {
            role_ids[2]
        } else {
            role_ids[3]
        };
        let agent = Agent {
            id,
            available,
            occasional: !archetype && rng.gen_bool(0.1),
            ticket_scope: if archetype {
                1
            } else {
                pick(rng, &[1, 1, 1, 2, 3])
            },
            created_at: created,
            updated_at: updated,
            last_active_at: if archetype { Some(updated) } else { login },
            available_since: if available {
                Some(rng.gen_range(updated..=now))
            } else {
                None
            },
            agent_type: "support_agent".into(),
            contact,
            signature: if archetype || rng.gen_bool(0.5) {
                None
            } else {
                Some(format!(
                    "<div dir=\"ltr\">Best regards,<br>{first} {last}</div>"
                ))
            },
            group_ids: Vec::new(),
            role_ids: vec![role],
            skill_ids: Vec::new(),
        };
        if i == 0 {
            data.admin_agent_id = id;
        }
        data.agents.insert(id, agent);
    }
}

/// Creates the groups and their memberships.
pub fn groups(data: &mut AccountData, rng: &mut StdRng, count: usize, born: i64, now: i64) {
    let agent_ids: Vec<i64> = data.agents.keys().copied().collect();
    for i in 0..count {
        let id = data.next_id(IdKind::Group);
        let name = GROUPS
            .get(i)
            .map(|s| (*s).to_owned())
            .unwrap_or_else(|| format!("Team {}", i + 1));
        let created = born + rng.gen_range(0..5 * DAY);
        let archetype = i == 0;
        let mut members: Vec<i64> = agent_ids
            .iter()
            .copied()
            .filter(|_| rng.gen_bool(0.5))
            .collect();
        if members.is_empty() {
            members.push(pick(rng, &agent_ids));
        }
        for a in &members {
            if let Some(agent) = data.agents.get_mut(a) {
                agent.group_ids.push(id);
            }
        }
        let g = Group {
            id,
            description: Some(if archetype {
                name.clone()
            } else {
                format!("{name} team")
            }),
            name,
            escalate_to: if archetype || rng.gen_bool(0.5) {
                None
            } else {
                Some(pick(rng, &agent_ids))
            },
            unassigned_for: if archetype || rng.gen_bool(0.5) {
                None
            } else {
                Some(pick(rng, &["30m", "1h", "2h", "1d"]).into())
            },
            business_hour_id: None,
            group_type: "support_agent_group".into(),
            created_at: created,
            updated_at: rng.gen_range(created..=now),
            auto_ticket_assign: if archetype {
                1
            } else {
                i64::from(rng.gen_bool(0.3))
            },
            agent_ids: members,
        };
        data.groups.insert(id, g);
    }
}

/// Creates the companies.
pub fn companies(data: &mut AccountData, rng: &mut StdRng, count: usize, born: i64, now: i64) {
    for i in 0..count {
        let id = data.next_id(IdKind::Company);
        let (name, domain, industry) = COMPANIES[i % COMPANIES.len()];
        let round = i / COMPANIES.len();
        let (name, domain) = if round == 0 {
            (name.to_owned(), domain.to_owned())
        } else {
            (
                format!("{name} {}", round + 1),
                format!("{}{}", round + 1, domain),
            )
        };
        let created = born + rng.gen_range(0..60 * DAY);
        let c = Company {
            id,
            name,
            description: if i < 2 || rng.gen_bool(0.6) {
                None
            } else {
                Some("Key account".to_owned())
            },
            note: if i < 2 || rng.gen_bool(0.7) {
                None
            } else {
                Some("Renewal in Q3".to_owned())
            },
            domains: vec![domain],
            created_at: created,
            updated_at: rng.gen_range(created..=now),
            health_score: if i < 2 || rng.gen_bool(0.5) {
                None
            } else {
                Some(pick(rng, &["Happy", "Doing okay", "At risk"]).into())
            },
            account_tier: match i {
                0 => Some("Basic".into()),
                1 => None,
                _ => Some(pick(rng, &["Basic", "Premium", "Enterprise"]).into()),
            },
            renewal_date: if i < 2 || rng.gen_bool(0.5) {
                None
            } else {
                Some(now + rng.gen_range(1..300) * DAY)
            },
            industry: if i == 0 { None } else { Some(industry.into()) },
            org_company_id: format!("18{:017}", rng.gen_range(0u64..99_999_999_999_999_999)),
            support_plan: Some(pick(rng, crate::model::SUPPORT_PLANS).into()),
        };
        data.companies.insert(id, c);
    }
}

/// Creates the contacts; returns their `(created_at, id)` sorted by creation.
pub fn contacts(
    data: &mut AccountData,
    rng: &mut StdRng,
    count: usize,
    born: i64,
    now: i64,
) -> Vec<(i64, i64)> {
    let companies: Vec<(i64, String)> = data
        .companies
        .values()
        .map(|c| (c.id, c.domains.first().cloned().unwrap_or_default()))
        .collect();
    let mut times: Vec<i64> = (0..count)
        .map(|i| {
            if i < count / 10 + 2 {
                born + 60
            } else {
                rng.gen_range(born..now - 3600)
            }
        })
        .collect();
    times.sort_unstable();
    let mut out = Vec::with_capacity(count);
    for (i, created) in times.into_iter().enumerate() {
        let id = data.next_id(IdKind::User);
        let first = pick(rng, FIRST);
        let last = pick(rng, LAST);
        // Every 7th contact has exactly the recorded list item's null pattern.
        let archetype = i % 7 == 0;
        let company = if i == 1 {
            None
        } else if archetype || (!companies.is_empty() && rng.gen_bool(0.6)) {
            companies
                .get(rng.gen_range(0..companies.len().max(1)))
                .cloned()
        } else {
            None
        };
        let domain = company
            .as_ref()
            .map(|c| c.1.clone())
            .unwrap_or_else(|| pick(rng, FREE_MAIL).to_owned());
        let email = if archetype || rng.gen_bool(0.92) {
            Some(format!(
                "{}.{}{}@{domain}",
                first.to_lowercase(),
                last.to_lowercase(),
                i
            ))
        } else {
            None
        };
        let mobile = if archetype || email.is_none() || rng.gen_bool(0.3) {
            Some(phone(rng))
        } else {
            None
        };
        let updated = if rng.gen_bool(0.3) {
            created
        } else {
            rng.gen_range(created..=now)
        };
        let c = Contact {
            id,
            name: format!("{first} {last}"),
            email,
            phone: if archetype || rng.gen_bool(0.6) {
                None
            } else {
                Some(phone(rng))
            },
            mobile,
            twitter_id: if archetype {
                Some(format!("@{first}{last}"))
            } else {
                None
            },
            facebook_id: None,
            unique_external_id: if archetype || rng.gen_bool(0.2) {
                Some(format!(
                    "{}{}{}",
                    first.to_lowercase().chars().next().unwrap_or('x'),
                    last.to_lowercase(),
                    i
                ))
            } else {
                None
            },
            address: if archetype || rng.gen_bool(0.8) {
                None
            } else {
                Some("221B Baker Street, London".to_owned())
            },
            description: None,
            job_title: if archetype || rng.gen_bool(0.6) {
                None
            } else {
                Some(pick(rng, JOBS).to_owned())
            },
            language: pick(rng, LANGUAGES).into(),
            time_zone: pick(rng, TIME_ZONES).into(),
            active: !archetype && rng.gen_bool(0.8),
            blocked: !archetype && rng.gen_bool(0.01),
            deleted: !archetype && i > 2 && rng.gen_bool(0.02),
            company_id: company.as_ref().map(|c| c.0),
            view_all_tickets: false,
            other_companies: Vec::new(),
            csat_rating: if archetype {
                Some(103)
            } else if rng.gen_bool(0.2) {
                Some(pick(rng, &[103, 100, -103]))
            } else {
                None
            },
            preferred_source: if archetype {
                Some("outbound_email".into())
            } else if rng.gen_bool(0.3) {
                Some("email".into())
            } else {
                None
            },
            twitter_profile_status: false,
            twitter_followers_count: None,
            tags: Vec::new(),
            other_emails: Vec::new(),
            created_at: created,
            updated_at: updated,
        };
        out.push((created, id));
        data.put_contact(c);
    }
    out
}
