//! Ticket reads: the common list/retrieve plus Freshdesk's own enum labels
//! (`show_enum_origins`), custom fields (`include_remote_fields`), remote field classes and
//! viewers.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use deskbridge_model::common::ErrorDetail;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::IntoParams;

use crate::error::{ApiError, ApiResult};
use crate::extract::{AccountAuth, Parsed};
use crate::filters::{TicketDisplay, TicketFilters, TicketQuery};
use crate::params::{self, FromQuery};
use crate::records::{self, CommonListParams, GetParams, GetQuery, ListRequest, kinds};
use crate::remote_fields::remote_field_class_id;
use crate::state::AppState;

fn raw_ticket(o: &Map<String, Value>) -> Option<&Value> {
    o.get("remote_data")?.as_array()?.first()?.get("data")
}

/// Applies `show_enum_origins` and `include_remote_fields`, then drops `remote_data` unless
/// the client asked for it.
async fn apply_display(
    state: &AppState,
    auth: &AccountAuth,
    objects: &mut [Map<String, Value>],
    display: &TicketDisplay,
    keep_remote_data: bool,
) -> ApiResult<()> {
    let la = &auth.account;
    let integration = state.providers.get(&la.integration);
    let meta = if display.enum_origins.is_empty() {
        Map::new()
    } else {
        state
            .account_metadata(auth.org.id, la.id, &la.integration)
            .await?
    };
    for o in objects.iter_mut() {
        let raw = raw_ticket(o).cloned();
        if let Some(raw) = &raw {
            for field in &display.enum_origins {
                let label = integration.and_then(|i| i.enum_origin(field, raw, &meta));
                if let Some(label) = label {
                    o.insert(field.clone(), Value::String(label));
                }
            }
            if display.remote_fields {
                let list: Vec<Value> = integration
                    .map(|i| i.remote_field_values(raw))
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(k, v)| {
                        json!({
                            "remote_field_class": remote_field_class_id(la.id, &k).to_string(),
                            "value": v,
                        })
                    })
                    .collect();
                o.insert("remote_fields".into(), Value::Array(list));
            }
        } else if display.remote_fields {
            o.insert("remote_fields".into(), Value::Array(Vec::new()));
        }
        if !keep_remote_data {
            o.insert("remote_data".into(), Value::Null);
        }
    }
    Ok(())
}

/// Returns a page of `tickets` objects.
#[utoipa::path(
    get,
    path = "/api/ticketing/v1/tickets",
    tag = "tickets",
    params(CommonListParams, TicketFilters),
    responses(
        (status = 200, description = "A page of tickets", body = deskbridge_model::PaginatedTicketList),
        (status = 400, description = "A query value is invalid", body = ErrorDetail),
    ),
    security(("bearerAuth" = [], "accountToken" = []))
)]
pub async fn tickets_list(
    State(state): State<AppState>,
    auth: AccountAuth,
    // The ticket filters are checked first (their 400s come before the common ones').
    Parsed(TicketQuery { filters, display }): Parsed<TicketQuery>,
    Parsed(list): Parsed<ListRequest<kinds::Ticket>>,
) -> ApiResult<axum::response::Response> {
    let mut list = list.with_filters(filters);
    let keep = list.query.with_remote_data;
    let need_raw = !display.enum_origins.is_empty() || display.remote_fields;
    if !need_raw {
        return Ok(records::list_page(&state, &auth, list)
            .await?
            .into_response());
    }
    list.query.with_remote_data = true;
    let (mut objects, next, previous) = records::list(&state, &auth, list).await?;
    apply_display(&state, &auth, &mut objects, &display, keep).await?;
    Ok(Json(records::page(objects, next, previous)).into_response())
}

/// Retrieve parameters of a ticket.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TicketGetParams {
    /// Show the third party's own values for these enum fields (comma-separated subset of priority, status, ticket_type).
    pub show_enum_origins: Option<String>,
    /// Deprecated alias of `show_enum_origins`.
    pub remote_fields: Option<String>,
    /// Include `remote_fields` (the ticket's custom fields).
    #[param(value_type = Option<bool>)]
    pub include_remote_fields: Option<String>,
}

impl FromQuery for TicketDisplay {
    type Raw = TicketGetParams;

    fn parse(t: TicketGetParams) -> Result<Self, ApiError> {
        let mut origins = params::choices(
            "show_enum_origins",
            &t.show_enum_origins,
            crate::filters::ENUM_FIELDS,
        )?;
        origins.extend(params::choices(
            "remote_fields",
            &t.remote_fields,
            crate::filters::ENUM_FIELDS,
        )?);
        Ok(TicketDisplay {
            enum_origins: origins,
            remote_fields: params::boolean("include_remote_fields", &t.include_remote_fields)?,
        })
    }
}

/// Returns one `tickets` object by id.
#[utoipa::path(
    get,
    path = "/api/ticketing/v1/tickets/{id}",
    tag = "tickets",
    params(("id" = uuid::Uuid, Path, description = "The ticket's id"), GetParams, TicketGetParams),
    responses(
        (status = 200, description = "The ticket", body = deskbridge_model::Ticket),
        (status = 400, description = "A query value is invalid", body = ErrorDetail),
        (status = 404, description = "No such ticket", body = ErrorDetail),
    ),
    security(("bearerAuth" = [], "accountToken" = []))
)]
pub async fn tickets_retrieve(
    State(state): State<AppState>,
    auth: AccountAuth,
    Path(id): Path<String>,
    // The display options are checked first (their 400s come before the common ones').
    Parsed(display): Parsed<TicketDisplay>,
    Parsed(mut p): Parsed<GetQuery<kinds::Ticket>>,
) -> ApiResult<Json<Map<String, Value>>> {
    if id == "live-search" {
        let slug = &auth.account.integration;
        let name = state
            .providers
            .get(slug)
            .map_or(slug.as_str(), |i| i.info().name);
        return Err(ApiError::NotFound(format!(
            "`GET /api/ticketing/v1/tickets/live-search` is not supported by Deskbridge's {name} \
             integration (it serves its synced copy instead); see docs/providers/{slug}.md."
        )));
    }
    let keep = p.with_remote_data;
    let need_raw = !display.enum_origins.is_empty() || display.remote_fields;
    p.with_remote_data |= need_raw;
    let mut objects = vec![records::get(&state, &auth, &id, &p).await?];
    if need_raw {
        apply_display(&state, &auth, &mut objects, &display, keep).await?;
    }
    objects
        .pop()
        .map(Json)
        .ok_or_else(|| ApiError::not_found("Ticket"))
}
