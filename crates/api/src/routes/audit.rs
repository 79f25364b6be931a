//! Merge's `/audit-trail`.

use axum::Json;
use axum::extract::State;
use deskbridge_model::audit::{AuditLogEvent, EventTypeEnum, RoleEnum};
use deskbridge_model::common::ErrorDetail;
use deskbridge_model::{PaginatedAuditLogEventList, WireEnum};
use deskbridge_store::audit::{AuditEvent, AuditFilter};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::cursor::{Cursor, bounds, paginate};
use crate::error::{ApiError, ApiResult};
use crate::extract::{OrgAuth, Parsed};
use crate::params::{self, FromQuery};
use crate::state::AppState;

/// Filters of `GET /audit-trail`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditTrailParams {
    /// The pagination cursor.
    pub cursor: Option<String>,
    /// Page size (1–100, default 100).
    #[param(value_type = Option<i32>, minimum = 1, maximum = 100)]
    pub page_size: Option<String>,
    /// Only events at or after this time (ISO 8601).
    #[param(value_type = Option<String>, format = DateTime)]
    pub start_date: Option<String>,
    /// Only events before this time (ISO 8601).
    #[param(value_type = Option<String>, format = DateTime)]
    pub end_date: Option<String>,
    /// Only events of this type (an `EventTypeEnum` value).
    pub event_type: Option<String>,
    /// Only events caused by this email address.
    pub user_email: Option<String>,
}

/// `GET /audit-trail`'s query, parsed: the page size, the cursor and the store's filter
/// (with the cursor's keyset bounds).
pub struct AuditTrailQuery {
    limit: i64,
    cursor: Option<Cursor>,
    filter: AuditFilter,
}

impl FromQuery for AuditTrailQuery {
    type Raw = AuditTrailParams;

    fn parse(p: AuditTrailParams) -> Result<Self, ApiError> {
        let limit = params::page_size(&p.page_size)?;
        let event_type = match p.event_type.as_deref().filter(|v| !v.is_empty()) {
            None => None,
            Some(v) => Some(
                EventTypeEnum::parse_wire(v)
                    .map_err(|_| {
                        ApiError::bad(format!(
                            "Invalid value for `event_type`: `{v}` is not an EventTypeEnum value such as \
                             DELETED_LINKED_ACCOUNT."
                        ))
                    })?
                    .as_str()
                    .to_string(),
            ),
        };
        let cursor = Cursor::from_param(&p.cursor)?;
        let mut filter = AuditFilter {
            start: params::datetime("start_date", &p.start_date)?,
            end: params::datetime("end_date", &p.end_date)?,
            event_type,
            user_email: p.user_email.clone().filter(|v| !v.is_empty()),
            limit: limit + 1,
            ..AuditFilter::default()
        };
        (filter.after, filter.before) = bounds(cursor);
        Ok(AuditTrailQuery {
            limit,
            cursor,
            filter,
        })
    }
}

fn to_wire(e: AuditEvent) -> AuditLogEvent {
    AuditLogEvent {
        id: Some(e.id),
        user_name: e.user_name,
        user_email: e.user_email,
        role: RoleEnum::parse_wire(&e.role).unwrap_or(RoleEnum::System),
        ip_address: e.ip_address,
        event_type: EventTypeEnum::parse_wire(&e.event_type)
            .unwrap_or(EventTypeEnum::ChangedOrganizationSettings),
        event_description: e.event_description,
        created_at: Some(e.created_at),
    }
}

/// The organization's audit trail, oldest first: API keys created, regenerated and revoked,
/// accounts linked, relinked and deleted, resyncs forced, master-key rotations.
#[utoipa::path(
    get,
    path = "/api/ticketing/v1/audit-trail",
    tag = "audit-trail",
    params(AuditTrailParams),
    responses(
        (status = 200, description = "A page of audit events", body = PaginatedAuditLogEventList),
        (status = 400, description = "A query value is invalid", body = ErrorDetail),
    ),
    security(("bearerAuth" = []))
)]
pub async fn audit_trail_list(
    State(state): State<AppState>,
    auth: OrgAuth,
    Parsed(AuditTrailQuery {
        limit,
        cursor,
        filter,
    }): Parsed<AuditTrailQuery>,
) -> ApiResult<Json<PaginatedAuditLogEventList>> {
    let rows = state.store.audit_events(auth.org.id, &filter).await?;
    let (rows, next, previous) =
        paginate(rows, limit, cursor, |e: &AuditEvent| (e.created_at, e.id));
    let results: Vec<AuditLogEvent> = rows.into_iter().map(to_wire).collect();
    Ok(Json(PaginatedAuditLogEventList {
        next,
        previous,
        results,
    }))
}
