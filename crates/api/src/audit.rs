//! Recording events in an organization's audit trail, for every handler that changes
//! credentials, keys, accounts or webhooks (kept outside `routes/` so handlers stay leaves).

use std::net::IpAddr;

use deskbridge_model::WireEnum;
use deskbridge_model::audit::EventTypeEnum;
use deskbridge_store::OrgId;
use deskbridge_store::audit::{Actor, NewAuditEvent};
use tracing::error;

use crate::extract::OrgAuth;
use crate::state::AppState;

/// Records an event in the organization's audit trail. The action it describes has already
/// happened, so a failure to record is logged rather than answered to the client.
pub async fn record(
    state: &AppState,
    org: OrgId,
    actor: Actor,
    ip: IpAddr,
    event_type: EventTypeEnum,
    description: String,
) {
    let event = NewAuditEvent {
        actor,
        ip_address: ip.to_string(),
        event_type,
        description,
    };
    if let Err(e) = state.store.record_audit_event(org, &event).await {
        error!(error = %e, event = event_type.as_str(), "cannot record an audit event");
    }
}

/// Records an event done with an API key: the key's organization and the key as the actor,
/// the form every key-authenticated handler uses.
pub async fn record_by_key(
    state: &AppState,
    key: &OrgAuth,
    ip: IpAddr,
    event_type: EventTypeEnum,
    description: String,
) {
    let actor = Actor::ApiKey(key.key_id);
    record(state, key.org.id, actor, ip, event_type, description).await;
}
