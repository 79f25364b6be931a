//! Contacts, agents, companies, groups, roles, ticket fields, time entries.

use serde_json::{Map, Value};

use super::{ints, opt_int, opt_str, strs};
use crate::datagen::STATUSES;
use crate::model::{Agent, Choices, Company, Contact, Group, Role, TicketField, TimeEntry};
use crate::store::AccountData;
use crate::time::{self, opt_ts};

/// A contact as in `GET /contacts` (2022 recording order).
pub fn contact_list_item(c: &Contact) -> Value {
    let mut m = Map::new();
    m.insert("active".into(), c.active.into());
    m.insert("address".into(), opt_str(&c.address));
    m.insert("description".into(), opt_str(&c.description));
    m.insert("email".into(), opt_str(&c.email));
    m.insert("id".into(), c.id.into());
    m.insert("job_title".into(), opt_str(&c.job_title));
    m.insert("language".into(), c.language.as_ref().into());
    m.insert("mobile".into(), opt_str(&c.mobile));
    m.insert("name".into(), c.name.clone().into());
    m.insert("phone".into(), opt_str(&c.phone));
    m.insert("time_zone".into(), c.time_zone.as_ref().into());
    m.insert("twitter_id".into(), opt_str(&c.twitter_id));
    m.insert("custom_fields".into(), Value::Object(Map::new()));
    m.insert("facebook_id".into(), opt_str(&c.facebook_id));
    m.insert("created_at".into(), time::ts(c.created_at));
    m.insert("updated_at".into(), time::ts(c.updated_at));
    m.insert("csat_rating".into(), opt_int(c.csat_rating));
    m.insert("preferred_source".into(), opt_str(&c.preferred_source));
    m.insert("company_id".into(), opt_int(c.company_id));
    m.insert("other_companies".into(), ints(&c.other_companies));
    m.insert("unique_external_id".into(), opt_str(&c.unique_external_id));
    m.insert(
        "twitter_profile_status".into(),
        c.twitter_profile_status.into(),
    );
    m.insert(
        "twitter_followers_count".into(),
        opt_int(c.twitter_followers_count),
    );
    if c.deleted {
        m.insert("deleted".into(), true.into());
    }
    Value::Object(m)
}

/// A contact as in `GET /contacts/{id}` (order of the server's show view).
pub fn contact_view(c: &Contact) -> Value {
    let mut m = Map::new();
    m.insert("active".into(), c.active.into());
    m.insert("address".into(), opt_str(&c.address));
    m.insert("company_id".into(), opt_int(c.company_id));
    m.insert("view_all_tickets".into(), c.view_all_tickets.into());
    m.insert("description".into(), opt_str(&c.description));
    m.insert("email".into(), opt_str(&c.email));
    m.insert("id".into(), c.id.into());
    m.insert("job_title".into(), opt_str(&c.job_title));
    m.insert("language".into(), c.language.as_ref().into());
    m.insert("mobile".into(), opt_str(&c.mobile));
    m.insert("name".into(), c.name.clone().into());
    m.insert("phone".into(), opt_str(&c.phone));
    m.insert("time_zone".into(), c.time_zone.as_ref().into());
    m.insert("twitter_id".into(), opt_str(&c.twitter_id));
    m.insert("custom_fields".into(), Value::Object(Map::new()));
    m.insert("tags".into(), strs(&c.tags));
    m.insert("other_emails".into(), strs(&c.other_emails));
    m.insert("facebook_id".into(), opt_str(&c.facebook_id));
    m.insert("created_at".into(), time::ts(c.created_at));
    m.insert("updated_at".into(), time::ts(c.updated_at));
    let others = c
        .other_companies
        .iter()
        .map(|id| {
            let mut o = Map::new();
            o.insert("company_id".into(), (*id).into());
            o.insert("view_all_tickets".into(), false.into());
            Value::Object(o)
        })
        .collect();
    m.insert("other_companies".into(), Value::Array(others));
    if c.deleted {
        m.insert("deleted".into(), true.into());
    }
    m.insert("unique_external_id".into(), opt_str(&c.unique_external_id));
    m.insert("avatar".into(), Value::Null);
    Value::Object(m)
}

/// An agent; `view` adds `group_ids`, `role_ids`, `skill_ids`.
pub fn agent(a: &Agent, view: bool) -> Value {
    let mut m = Map::new();
    m.insert("available".into(), a.available.into());
    m.insert("occasional".into(), a.occasional.into());
    m.insert("id".into(), a.id.into());
    m.insert("ticket_scope".into(), a.ticket_scope.into());
    m.insert("created_at".into(), time::ts(a.created_at));
    m.insert("updated_at".into(), time::ts(a.updated_at));
    m.insert("last_active_at".into(), opt_ts(a.last_active_at));
    m.insert("available_since".into(), opt_ts(a.available_since));
    m.insert("type".into(), a.agent_type.as_ref().into());
    let c = &a.contact;
    let mut cm = Map::new();
    cm.insert("active".into(), c.active.into());
    cm.insert("email".into(), c.email.clone().into());
    cm.insert("job_title".into(), opt_str(&c.job_title));
    cm.insert("language".into(), c.language.as_ref().into());
    cm.insert("last_login_at".into(), opt_ts(c.last_login_at));
    cm.insert("mobile".into(), opt_str(&c.mobile));
    cm.insert("name".into(), c.name.clone().into());
    cm.insert("phone".into(), opt_str(&c.phone));
    cm.insert("time_zone".into(), c.time_zone.as_ref().into());
    cm.insert("created_at".into(), time::ts(c.created_at));
    cm.insert("updated_at".into(), time::ts(c.updated_at));
    m.insert("contact".into(), Value::Object(cm));
    m.insert("signature".into(), opt_str(&a.signature));
    if view {
        m.insert("group_ids".into(), ints(&a.group_ids));
        m.insert("role_ids".into(), ints(&a.role_ids));
        m.insert("skill_ids".into(), ints(&a.skill_ids));
    }
    Value::Object(m)
}

/// A company (list and view have the same shape).
pub fn company(c: &Company) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), c.id.into());
    m.insert("name".into(), c.name.clone().into());
    m.insert("description".into(), opt_str(&c.description));
    m.insert("note".into(), opt_str(&c.note));
    m.insert("domains".into(), strs(&c.domains));
    m.insert("created_at".into(), time::ts(c.created_at));
    m.insert("updated_at".into(), time::ts(c.updated_at));
    let mut custom = Map::new();
    custom.insert("support_plan".into(), opt_str(&c.support_plan));
    m.insert("custom_fields".into(), Value::Object(custom));
    m.insert("health_score".into(), opt_str(&c.health_score));
    m.insert("account_tier".into(), opt_str(&c.account_tier));
    m.insert("renewal_date".into(), opt_ts(c.renewal_date));
    m.insert("industry".into(), opt_str(&c.industry));
    m.insert("org_company_id".into(), c.org_company_id.clone().into());
    Value::Object(m)
}

/// A group; `view` adds `agent_ids`.
pub fn group(g: &Group, view: bool) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), g.id.into());
    m.insert("name".into(), g.name.clone().into());
    m.insert("description".into(), opt_str(&g.description));
    m.insert("escalate_to".into(), opt_int(g.escalate_to));
    m.insert("unassigned_for".into(), opt_str(&g.unassigned_for));
    m.insert("business_hour_id".into(), opt_int(g.business_hour_id));
    m.insert("group_type".into(), g.group_type.as_ref().into());
    m.insert("created_at".into(), time::ts(g.created_at));
    m.insert("updated_at".into(), time::ts(g.updated_at));
    m.insert("auto_ticket_assign".into(), g.auto_ticket_assign.into());
    if view {
        m.insert("agent_ids".into(), ints(&g.agent_ids));
    }
    Value::Object(m)
}

/// A role.
pub fn role(r: &Role) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), r.id.into());
    m.insert("name".into(), r.name.as_ref().into());
    m.insert("description".into(), r.description.as_ref().into());
    m.insert("default".into(), r.default.into());
    m.insert("created_at".into(), time::ts(r.created_at));
    m.insert("updated_at".into(), time::ts(r.updated_at));
    Value::Object(m)
}

/// A ticket field with its `choices`.
pub fn ticket_field(d: &AccountData, f: &TicketField) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), f.id.into());
    m.insert("name".into(), f.name.into());
    m.insert("label".into(), f.label.into());
    m.insert("description".into(), f.description.into());
    m.insert("position".into(), f.position.into());
    m.insert("required_for_closure".into(), f.required_for_closure.into());
    m.insert("required_for_agents".into(), f.required_for_agents.into());
    m.insert("type".into(), f.field_type.into());
    m.insert("default".into(), f.default.into());
    m.insert("customers_can_edit".into(), f.customers_can_edit.into());
    m.insert("customers_can_filter".into(), false.into());
    m.insert("label_for_customers".into(), f.label_for_customers.into());
    m.insert(
        "required_for_customers".into(),
        f.required_for_customers.into(),
    );
    m.insert(
        "displayed_to_customers".into(),
        f.displayed_to_customers.into(),
    );
    m.insert("created_at".into(), time::ts(f.created_at));
    m.insert("updated_at".into(), time::ts(f.updated_at));
    let name_to_id = |items: Vec<(String, i64)>| {
        Value::Object(
            items
                .into_iter()
                .map(|(k, v)| (k, Value::from(v)))
                .collect(),
        )
    };
    let choices = match &f.choices {
        Choices::None => None,
        Choices::Status => Some(Value::Object(
            STATUSES
                .iter()
                .map(|(id, a, c)| (id.to_string(), strs(&[*a, *c])))
                .collect(),
        )),
        Choices::NameToId(v) => Some(name_to_id(
            v.iter().map(|(k, i)| ((*k).to_owned(), *i)).collect(),
        )),
        Choices::Groups => Some(name_to_id(
            d.groups.values().map(|g| (g.name.clone(), g.id)).collect(),
        )),
        Choices::Agents => Some(name_to_id(
            d.agents
                .values()
                .map(|a| (a.contact.name.clone(), a.id))
                .collect(),
        )),
        Choices::Products => Some(name_to_id(
            d.products
                .iter()
                .map(|(i, n)| ((*n).to_owned(), *i))
                .collect(),
        )),
        Choices::List(v) => Some(strs(v)),
    };
    if let Some(c) = choices {
        m.insert("choices".into(), c);
    }
    if f.field_type == "default_requester" {
        m.insert("portal_cc".into(), false.into());
        m.insert("portal_cc_to".into(), "company".into());
    }
    Value::Object(m)
}

/// A time entry.
pub fn time_entry(e: &TimeEntry) -> Value {
    let mut m = Map::new();
    m.insert("billable".into(), e.billable.into());
    m.insert("note".into(), e.note.as_ref().into());
    m.insert("id".into(), e.id.into());
    m.insert("timer_running".into(), e.timer_running.into());
    m.insert("agent_id".into(), e.agent_id.into());
    m.insert("ticket_id".into(), e.ticket_id.into());
    m.insert("company_id".into(), opt_int(e.company_id));
    m.insert(
        "time_spent".into(),
        format!("{:02}:{:02}", e.seconds / 3600, (e.seconds % 3600) / 60).into(),
    );
    m.insert("executed_at".into(), time::ts(e.executed_at));
    m.insert("start_time".into(), time::ts(e.start_time));
    m.insert("created_at".into(), time::ts(e.created_at));
    m.insert("updated_at".into(), time::ts(e.updated_at));
    m.insert("time_spent_in_seconds".into(), e.seconds.into());
    Value::Object(m)
}
