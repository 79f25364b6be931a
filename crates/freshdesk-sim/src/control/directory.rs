//! Control of the directory: agents, groups and companies.

use serde_json::Value;

use super::{Control, ControlError, ControlResult, ids_of, obj, str_of};
use crate::model::{Agent, AgentContact, Company, Group};
use crate::render;
use crate::store::IdKind;

impl Control {
    /// Adds an agent: `{"name","email","group_ids"?,"role_ids"?}`; returns the view shape.
    pub fn add_agent(&self, sub: &str, body: Value) -> ControlResult<Value> {
        let b = obj(body)?;
        self.with(sub, |d, _| {
            let now = d.now();
            let id = d.next_id(IdKind::User);
            let name = str_of(&b, "name").unwrap_or_else(|| format!("Agent {id}"));
            let email = str_of(&b, "email").unwrap_or_else(|| format!("agent{id}@example.com"));
            let mut role_ids = ids_of(&b, "role_ids");
            if role_ids.is_empty() {
                role_ids.extend(d.roles.keys().last().copied());
            }
            let group_ids = ids_of(&b, "group_ids");
            for g in &group_ids {
                if let Some(grp) = d.groups.get_mut(g) {
                    grp.agent_ids.push(id);
                    grp.updated_at = now;
                }
            }
            let a = Agent {
                id,
                available: false,
                occasional: false,
                ticket_scope: 1,
                created_at: now,
                updated_at: now,
                last_active_at: None,
                available_since: None,
                agent_type: "support_agent".into(),
                contact: AgentContact {
                    active: false,
                    email,
                    job_title: None,
                    language: "en".into(),
                    last_login_at: None,
                    mobile: None,
                    name,
                    phone: None,
                    time_zone: "Eastern Time (US & Canada)".into(),
                    created_at: now,
                    updated_at: now,
                },
                signature: None,
                group_ids,
                role_ids,
                skill_ids: Vec::new(),
            };
            let v = render::agent(&a, true);
            d.agents.insert(id, a);
            Ok(v)
        })
    }

    /// Changes an agent: `{"name"?, "email"?, "role_ids"?, "group_ids"?}`. Roles and groups
    /// move the agent's `updated_at` (group memberships follow), name and email its contact's.
    pub fn update_agent(&self, sub: &str, id: i64, body: Value) -> ControlResult<Value> {
        let b = obj(body)?;
        self.with(sub, |d, _| {
            let now = d.now();
            let groups = b.contains_key("group_ids").then(|| ids_of(&b, "group_ids"));
            let a = d.agents.get_mut(&id).ok_or(ControlError::NotFound)?;
            if let Some(name) = str_of(&b, "name") {
                a.contact.name = name;
                a.contact.updated_at = now;
            }
            if let Some(email) = str_of(&b, "email") {
                a.contact.email = email;
                a.contact.updated_at = now;
            }
            if b.contains_key("role_ids") {
                a.role_ids = ids_of(&b, "role_ids");
                a.updated_at = now;
            }
            if let Some(g) = &groups {
                a.group_ids = g.clone();
                a.updated_at = now;
            }
            let v = render::agent(a, true);
            if let Some(g) = groups {
                for (gid, grp) in d.groups.iter_mut() {
                    let member = g.contains(gid);
                    if member != grp.agent_ids.contains(&id) {
                        grp.agent_ids.retain(|x| *x != id);
                        if member {
                            grp.agent_ids.push(id);
                        }
                        grp.updated_at = now;
                    }
                }
            }
            Ok(v)
        })
    }

    /// Removes an agent; their tickets become unassigned (bumped).
    pub fn remove_agent(&self, sub: &str, id: i64) -> ControlResult<()> {
        self.with(sub, |d, _| {
            d.agents.remove(&id).ok_or(ControlError::NotFound)?;
            let now = d.now();
            for g in d.groups.values_mut() {
                g.agent_ids.retain(|a| *a != id);
            }
            let ids: Vec<i64> = d
                .tickets()
                .filter(|t| t.responder_id == Some(id))
                .map(|t| t.id)
                .collect();
            for t in ids {
                d.update_ticket(t, |t| {
                    t.responder_id = None;
                    t.updated_at = now;
                });
            }
            Ok(())
        })
    }

    /// Adds a group: `{"name","description"?,"agent_ids"?}`; returns the view shape.
    pub fn add_group(&self, sub: &str, body: Value) -> ControlResult<Value> {
        let b = obj(body)?;
        self.with(sub, |d, _| {
            let now = d.now();
            let id = d.next_id(IdKind::Group);
            let agent_ids: Vec<i64> = ids_of(&b, "agent_ids")
                .into_iter()
                .filter(|a| d.agents.contains_key(a))
                .collect();
            for a in &agent_ids {
                if let Some(ag) = d.agents.get_mut(a) {
                    ag.group_ids.push(id);
                }
            }
            let g = Group {
                id,
                name: str_of(&b, "name").unwrap_or_else(|| format!("Group {id}")),
                description: str_of(&b, "description"),
                escalate_to: None,
                unassigned_for: None,
                business_hour_id: None,
                group_type: "support_agent_group".into(),
                created_at: now,
                updated_at: now,
                auto_ticket_assign: 0,
                agent_ids,
            };
            let v = render::group(&g, true);
            d.groups.insert(id, g);
            Ok(v)
        })
    }

    /// Removes a group; its tickets lose the group (bumped).
    pub fn remove_group(&self, sub: &str, id: i64) -> ControlResult<()> {
        self.with(sub, |d, _| {
            d.groups.remove(&id).ok_or(ControlError::NotFound)?;
            let now = d.now();
            for a in d.agents.values_mut() {
                a.group_ids.retain(|g| *g != id);
            }
            let ids: Vec<i64> = d
                .tickets()
                .filter(|t| t.group_id == Some(id))
                .map(|t| t.id)
                .collect();
            for t in ids {
                d.update_ticket(t, |t| {
                    t.group_id = None;
                    t.updated_at = now;
                });
            }
            Ok(())
        })
    }

    /// Adds a company: `{"name","domains"?,"description"?}`; returns its JSON.
    pub fn add_company(&self, sub: &str, body: Value) -> ControlResult<Value> {
        let b = obj(body)?;
        self.with(sub, |d, _| {
            let now = d.now();
            let id = d.next_id(IdKind::Company);
            let domains = b
                .get("domains")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            let c = Company {
                id,
                name: str_of(&b, "name").unwrap_or_else(|| format!("Company {id}")),
                description: str_of(&b, "description"),
                note: None,
                domains,
                created_at: now,
                updated_at: now,
                health_score: None,
                account_tier: None,
                renewal_date: None,
                industry: None,
                org_company_id: format!("{}", 1_800_000_000_000_000_000i64 + id),
                support_plan: Some(
                    str_of(&b, "support_plan")
                        .unwrap_or_else(|| crate::model::SUPPORT_PLANS[0].to_owned())
                        .into(),
                ),
            };
            let v = render::company(&c);
            d.companies.insert(id, c);
            Ok(v)
        })
    }

    /// Removes a company; its contacts and tickets lose it (bumped).
    pub fn remove_company(&self, sub: &str, id: i64) -> ControlResult<()> {
        self.with(sub, |d, _| {
            d.companies.remove(&id).ok_or(ControlError::NotFound)?;
            let now = d.now();
            let contacts: Vec<_> = d
                .contacts()
                .filter(|c| c.company_id == Some(id) || c.other_companies.contains(&id))
                .cloned()
                .collect();
            for mut c in contacts {
                if c.company_id == Some(id) {
                    c.company_id = None;
                }
                c.other_companies.retain(|x| *x != id);
                c.updated_at = now;
                d.put_contact(c);
            }
            let ids: Vec<i64> = d
                .tickets()
                .filter(|t| t.company_id == Some(id))
                .map(|t| t.id)
                .collect();
            for t in ids {
                d.update_ticket(t, |t| {
                    t.company_id = None;
                    t.updated_at = now;
                });
            }
            Ok(())
        })
    }
}
