//! The organization's audit trail: API keys created, regenerated and revoked; accounts linked,
//! relinked and deleted; resyncs forced; master-key rotations. Event types and roles are
//! Merge's wire values.

use chrono::{DateTime, Utc};
use deskbridge_model::{EventTypeEnum, RoleEnum, WireEnum};
use sqlx::FromRow;
use uuid::Uuid;

use crate::ids::{ApiKeyId, OrgId};
use crate::keyset;
use crate::{Store, StoreError};

/// Who caused an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A caller using one of the organization's API keys (by the key's id).
    ApiKey(ApiKeyId),
    /// An end user on the hosted Link page, with the email address the link was made for.
    EndUser {
        /// The end user's email address.
        email: String,
    },
    /// The operator, through the `deskbridge` command line.
    Cli,
}

/// One event to record.
#[derive(Debug, Clone)]
pub struct NewAuditEvent {
    /// Who caused it.
    pub actor: Actor,
    /// The client's IP address (empty when there is none, e.g. the command line).
    pub ip_address: String,
    /// What happened.
    pub event_type: EventTypeEnum,
    /// A sentence saying what happened (never a secret).
    pub description: String,
}

/// A recorded event.
#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct AuditEvent {
    /// Its id.
    pub id: Uuid,
    /// Who caused it.
    pub user_name: Option<String>,
    /// Their email address, if known.
    pub user_email: Option<String>,
    /// Their role (a `RoleEnum` wire value).
    pub role: String,
    /// The client's IP address.
    pub ip_address: String,
    /// What happened (an `EventTypeEnum` wire value).
    pub event_type: String,
    /// What happened, in words.
    pub event_description: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// Filters and keyset position of `GET /audit-trail`.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only events at or after this time.
    pub start: Option<DateTime<Utc>>,
    /// Only events before this time.
    pub end: Option<DateTime<Utc>>,
    /// Only events of this type (wire value).
    pub event_type: Option<String>,
    /// Only events caused by this email address.
    pub user_email: Option<String>,
    /// Keyset position: (created_at, id) strictly after.
    pub after: Option<(DateTime<Utc>, Uuid)>,
    /// Keyset position: (created_at, id) strictly before (previous page).
    pub before: Option<(DateTime<Utc>, Uuid)>,
    /// Rows to fetch (page size + 1).
    pub limit: i64,
}

fn who(actor: &Actor) -> (Option<ApiKeyId>, Option<String>, Option<String>, RoleEnum) {
    match actor {
        Actor::ApiKey(id) => (Some(*id), None, None, RoleEnum::Api),
        Actor::EndUser { email } => (
            None,
            Some("End user (Link page)".into()),
            Some(email.clone()),
            RoleEnum::System,
        ),
        Actor::Cli => (None, Some("deskbridge CLI".into()), None, RoleEnum::Admin),
    }
}

impl Store {
    /// Records an event in the organization's audit trail. An API key actor is named by its
    /// label and display prefix (never the key).
    pub async fn record_audit_event(
        &self,
        org: OrgId,
        event: &NewAuditEvent,
    ) -> Result<(), StoreError> {
        let (key_id, name, email, role) = who(&event.actor);
        sqlx::query(
            "INSERT INTO audit_events (organization_id, id, user_name, user_email, role,
               ip_address, event_type, event_description)
             VALUES ($1, $2, coalesce($3, (SELECT 'API key ' || name || ' (' || prefix || '…)'
                                           FROM api_keys WHERE organization_id = $1 AND id = $4)),
                     $5, $6, $7, $8, $9)",
        )
        .bind(org)
        .bind(Uuid::new_v4())
        .bind(name)
        .bind(key_id)
        .bind(email)
        .bind(role.as_str())
        .bind(&event.ip_address)
        .bind(event.event_type.as_str())
        .bind(&event.description)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records the same operator event in every organization's trail (e.g. a master-key
    /// rotation, which touches every organization's secrets). Returns how many were written.
    pub async fn record_audit_event_everywhere(
        &self,
        event: &NewAuditEvent,
    ) -> Result<u64, StoreError> {
        let (_, name, email, role) = who(&event.actor);
        let done = sqlx::query(
            "INSERT INTO audit_events (organization_id, id, user_name, user_email, role,
               ip_address, event_type, event_description)
             SELECT o.id, gen_random_uuid(), $1, $2, $3, $4, $5, $6 FROM organizations o",
        )
        .bind(name)
        .bind(email)
        .bind(role.as_str())
        .bind(&event.ip_address)
        .bind(event.event_type.as_str())
        .bind(&event.description)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// The organization's audit events, filtered, in keyset order (oldest first).
    pub async fn audit_events(
        &self,
        org: OrgId,
        f: &AuditFilter,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        let mut q = sqlx::QueryBuilder::new(
            "SELECT id, user_name, user_email, role, ip_address, event_type, event_description,
                    created_at FROM audit_events WHERE organization_id = ",
        );
        q.push_bind(org);
        if let Some(t) = f.start {
            q.push(" AND created_at >= ").push_bind(t);
        }
        if let Some(t) = f.end {
            q.push(" AND created_at < ").push_bind(t);
        }
        if let Some(v) = &f.event_type {
            q.push(" AND event_type = ").push_bind(v.clone());
        }
        if let Some(v) = &f.user_email {
            q.push(" AND lower(user_email) = lower(")
                .push_bind(v.clone())
                .push(")");
        }
        Ok(keyset::fetch_page(q, &self.pool, "", f.after, f.before, f.limit).await?)
    }
}
