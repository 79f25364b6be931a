//! Control of pushes: delivery settings and counters (all accounts), and automation rules set
//! up as an admin would in Freshdesk's UI (same bodies and validation as the API).

use serde_json::Value;

use super::{Control, ControlError, ControlResult, obj};
use crate::push::{PushCounters, PushSettings};
use crate::routes::automations::{create_rule, rule_type};

impl Control {
    /// Replaces the delivery settings; the loss sequence restarts from `seed`.
    pub fn set_push(&self, settings: PushSettings) {
        self.sim.inner.push.set_settings(settings);
    }

    /// Current delivery settings.
    pub fn push_settings(&self) -> PushSettings {
        self.sim.inner.push.settings()
    }

    /// Pushes fired, dropped, delivered, failed, attempted and pending (all accounts).
    pub fn push_counters(&self) -> PushCounters {
        self.sim.inner.push.counters()
    }

    /// Zeroes the push counters (pending pushes keep counting).
    pub fn reset_push_counters(&self) {
        self.sim.inner.push.reset_counters();
    }

    /// Adds an automation rule of type `kind` (1 ticket creation, 3 hourly, 4 ticket updates)
    /// from an API-style body, as the account's admin; returns it in API shape.
    pub fn add_automation_rule(&self, sub: &str, kind: i64, body: Value) -> ControlResult<Value> {
        let b = obj(body)?;
        let kind = rule_type(&kind.to_string())?;
        self.with(sub, |d, _| {
            let me = d.admin_agent_id;
            Ok(create_rule(d, kind, &b, me)?)
        })
    }

    /// Every automation rule of the account, by id.
    pub fn automation_rules(&self, sub: &str) -> ControlResult<Vec<Value>> {
        self.with(sub, |d, _| Ok(d.automations.values().cloned().collect()))
    }

    /// Removes an automation rule.
    pub fn delete_automation_rule(&self, sub: &str, id: i64) -> ControlResult<()> {
        self.with(sub, |d, _| {
            d.automations
                .remove(&id)
                .map(|_| ())
                .ok_or(ControlError::NotFound)
        })
    }
}
