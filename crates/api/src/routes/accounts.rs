//! Linked accounts: server-to-server linking (Deskbridge's extension), Merge's
//! `/linked-accounts`, `/account-details`, `/account-token/regenerate` and `/delete-account`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use deskbridge_model::common::ErrorDetail;
use deskbridge_model::deskbridge_ext::{LinkAccountRequest, LinkAccountResponse};
use deskbridge_model::linking::{
    AccountDetails, AccountDetailsAndActions, AccountDetailsAndActionsIntegration, ModelOperation,
    RegenerateAccountToken,
};
use deskbridge_model::{
    AccountDetailsAndActionsStatusEnum, CategoriesEnum, PaginatedAccountDetailsAndActionsList,
    WireEnum,
};
use deskbridge_provider::IntegrationInfo;
use deskbridge_store::accounts::{LinkedAccount, LinkedAccountFilter};
use serde::Deserialize;
use serde_json::Map;
use utoipa::IntoParams;

use crate::audit;
use crate::client_ip::ClientIp;
use crate::cursor::{Cursor, bounds, paginate};
use crate::error::{ApiError, ApiResult};
use crate::extract::{AccountAuth, ApiJson, OrgAuth, Parsed};
use crate::params::{self, FromQuery};

use crate::linking::link;
use crate::state::AppState;
use deskbridge_model::audit::EventTypeEnum;
use deskbridge_store::LinkedAccountId;

/// The integration block of `/linked-accounts`.
pub fn integration_block(
    info: IntegrationInfo,
    color: &str,
    supported: &[deskbridge_model::ModelKind],
) -> AccountDetailsAndActionsIntegration {
    let ops = supported
        .iter()
        .map(|k| ModelOperation {
            model_name: k.name().to_string(),
            available_operations: vec!["FETCH".to_string()],
            required_post_parameters: Vec::new(),
            supported_fields: deskbridge_model::model_fields(*k)
                .iter()
                .map(|f| f.to_string())
                .collect(),
        })
        .collect();
    AccountDetailsAndActionsIntegration {
        name: info.name.to_string(),
        categories: vec![CategoriesEnum::Ticketing],
        image: None,
        square_image: None,
        color: color.to_string(),
        slug: info.slug.to_string(),
        passthrough_available: false,
        available_model_operations: Some(ops),
    }
}

/// A stored linked account in Merge's `AccountDetailsAndActions` shape.
pub fn details_and_actions(state: &AppState, la: &LinkedAccount) -> AccountDetailsAndActions {
    // An account of an integration no longer offered keeps its slug as its name.
    let integration = state.providers.get(&la.integration);
    let info = integration.map(|i| i.info());
    let color = integration.map_or("#000000", |i| i.look().color);
    let supported = state.providers.supported_models(&la.integration);
    AccountDetailsAndActions {
        id: la.id.as_uuid(),
        category: Some(CategoriesEnum::Ticketing),
        status: AccountDetailsAndActionsStatusEnum::parse_wire(&la.status)
            .unwrap_or(AccountDetailsAndActionsStatusEnum::Incomplete),
        status_detail: la.status_detail.clone(),
        end_user_origin_id: Some(la.end_user_origin_id.clone()),
        end_user_organization_name: la.end_user_organization_name.clone(),
        end_user_email_address: la.end_user_email_address.clone(),
        subdomain: Some(la.subdomain.clone()),
        webhook_listener_url: String::new(),
        is_duplicate: Some(false),
        integration: info.map(|info| integration_block(info, color, &supported)),
        account_type: "PRODUCTION".to_string(),
        completed_at: la.completed_at,
        integration_specific_fields: Some(Map::new()),
    }
}

/// Links a customer's helpdesk with its credentials (Deskbridge's server-to-server linking;
/// the hosted Link flow keeps the key away from your backend). The credentials are checked
/// against the helpdesk before anything is stored; the initial sync is queued at once.
/// Linking again with the same `end_user_origin_id` updates the account and answers 200; when
/// the domain leads to a different helpdesk, the old helpdesk's records, checkpoints and
/// metadata are deleted in the same transaction and a fresh initial sync runs (ids restart in
/// every helpdesk, so two must never be mixed), and `LinkedAccount.helpdesk_changed` is sent.
#[utoipa::path(
    post,
    path = "/api/ticketing/v1/linked-accounts",
    tag = "linked-accounts",
    request_body = LinkAccountRequest,
    responses(
        (status = 201, description = "Linked", body = LinkAccountResponse),
        (status = 200, description = "Relinked (same end_user_origin_id)", body = LinkAccountResponse),
        (status = 400, description = "Invalid body (end-user fields: 1 to 512 characters; the detail names the field), unknown integration, refused credentials or domain", body = ErrorDetail),
        (status = 413, description = "Body too large", body = ErrorDetail),
        (status = 429, description = "The helpdesk's rate limit is spent, or the organization had 10 refused credential checks in the last minute (nothing is sent to the helpdesk then)", body = ErrorDetail),
        (status = 502, description = "The helpdesk could not be reached", body = ErrorDetail),
    ),
    security(("bearerAuth" = []))
)]
pub async fn linked_accounts_create(
    State(state): State<AppState>,
    auth: OrgAuth,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<LinkAccountRequest>,
) -> ApiResult<(StatusCode, Json<LinkAccountResponse>)> {
    let linked = link(&state, auth.org.id, &body, Some(&state.check_throttle)).await?;
    let verb = if linked.created { "linked" } else { "relinked" };
    let description = format!(
        "Linked account {} ({}, end user `{}`) was {verb} with credentials sent by the API.",
        linked.account.id, linked.account.integration, linked.account.end_user_origin_id
    );
    let event = EventTypeEnum::EnabledIntegration;
    audit::record_by_key(&state, &auth, ip, event, description).await;
    let status = if linked.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(LinkAccountResponse {
            account_token: linked.account_token,
            linked_account: details_and_actions(&state, &linked.account),
        }),
    ))
}

/// Filters of `GET /linked-accounts`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LinkedAccountParams {
    /// The pagination cursor.
    pub cursor: Option<String>,
    /// Page size (1–100, default 100).
    #[param(value_type = Option<i32>, minimum = 1, maximum = 100)]
    pub page_size: Option<String>,
    /// Only this category (`ticketing`).
    pub category: Option<String>,
    /// Only accounts with this end-user email.
    pub end_user_email_address: Option<String>,
    /// Only accounts with this end-user organization name.
    pub end_user_organization_name: Option<String>,
    /// Only the account with this origin id.
    pub end_user_origin_id: Option<String>,
    /// Only accounts with these origin ids (comma-separated).
    pub end_user_origin_ids: Option<String>,
    /// Only the account with this id.
    #[param(value_type = Option<uuid::Uuid>)]
    pub id: Option<String>,
    /// Only accounts with these ids (comma-separated).
    pub ids: Option<String>,
    /// Include duplicates (accepted; Deskbridge has none).
    #[param(value_type = Option<bool>)]
    pub include_duplicates: Option<String>,
    /// Only accounts of this integration.
    pub integration_name: Option<String>,
    /// Only test accounts (`true` returns none: Deskbridge has only production accounts).
    pub is_test_account: Option<String>,
    /// Only accounts with this status.
    pub status: Option<String>,
}

/// `GET /linked-accounts`'s query, parsed: the page size, the cursor and the store's filter
/// (with the cursor's keyset bounds).
#[derive(Debug)]
pub struct LinkedAccountQuery {
    limit: i64,
    cursor: Option<Cursor>,
    filter: LinkedAccountFilter,
    /// The answer is empty whatever is stored: test accounts, or a category other than
    /// ticketing, were asked for (Deskbridge has only production ticketing accounts).
    none: bool,
}

impl FromQuery for LinkedAccountQuery {
    type Raw = LinkedAccountParams;

    fn parse(p: LinkedAccountParams) -> Result<Self, ApiError> {
        let limit = params::page_size(&p.page_size)?;
        let category = params::choice(
            "category",
            &p.category,
            &[
                "accounting",
                "ats",
                "crm",
                "filestorage",
                "hris",
                "mktg",
                "ticketing",
            ],
        )?;
        let status = params::choice(
            "status",
            &p.status,
            &["COMPLETE", "INCOMPLETE", "RELINK_NEEDED", "IDLE"],
        )?;
        params::boolean("include_duplicates", &p.include_duplicates)?;
        let test_only = params::boolean("is_test_account", &p.is_test_account)?;
        let mut ids = params::uuid_csv("ids", &p.ids)?.map(|v| {
            v.iter()
                .filter_map(|s| s.parse().ok())
                .map(LinkedAccountId::from_uuid)
                .collect::<Vec<_>>()
        });
        if let Some(id) = params::uuid("id", &p.id)? {
            ids.get_or_insert_with(Vec::new)
                .push(LinkedAccountId::from_uuid(id));
        }
        let mut origins = params::csv(&p.end_user_origin_ids);
        if let Some(o) = p.end_user_origin_id.filter(|o| !o.is_empty()) {
            origins.get_or_insert_with(Vec::new).push(o);
        }
        let cursor = Cursor::from_param(&p.cursor)?;
        let mut filter = LinkedAccountFilter {
            end_user_email_address: p.end_user_email_address.filter(|v| !v.is_empty()),
            end_user_organization_name: p.end_user_organization_name.filter(|v| !v.is_empty()),
            end_user_origin_ids: origins,
            ids,
            integration_name: p.integration_name.filter(|v| !v.is_empty()),
            status,
            limit: limit + 1,
            ..LinkedAccountFilter::default()
        };
        (filter.after, filter.before) = bounds(cursor);
        let non_ticketing = category.is_some_and(|c| c != "ticketing");
        Ok(LinkedAccountQuery {
            limit,
            cursor,
            filter,
            none: test_only || non_ticketing,
        })
    }
}

/// Lists the organization's linked accounts.
#[utoipa::path(
    get,
    path = "/api/ticketing/v1/linked-accounts",
    tag = "linked-accounts",
    params(LinkedAccountParams),
    responses(
        (status = 200, description = "A page of linked accounts", body = PaginatedAccountDetailsAndActionsList),
        (status = 400, description = "A query value is invalid", body = ErrorDetail),
    ),
    security(("bearerAuth" = []))
)]
pub async fn linked_accounts_list(
    State(state): State<AppState>,
    auth: OrgAuth,
    Parsed(LinkedAccountQuery {
        limit,
        cursor,
        filter: f,
        none,
    }): Parsed<LinkedAccountQuery>,
) -> ApiResult<Json<PaginatedAccountDetailsAndActionsList>> {
    let rows = if none {
        Vec::new()
    } else {
        state.store.list_linked_accounts(auth.org.id, &f).await?
    };
    let (rows, next, previous) = paginate(rows, limit, cursor, |la: &LinkedAccount| {
        (la.created_at, la.id.as_uuid())
    });
    let results: Vec<AccountDetailsAndActions> = rows
        .iter()
        .map(|la| details_and_actions(&state, la))
        .collect();
    Ok(Json(PaginatedAccountDetailsAndActionsList {
        next,
        previous,
        results,
    }))
}

/// Details of the linked account of `X-Account-Token`.
#[utoipa::path(
    get,
    path = "/api/ticketing/v1/account-details",
    tag = "account-details",
    responses(
        (status = 200, description = "The linked account", body = AccountDetails),
    ),
    security(("bearerAuth" = [], "accountToken" = []))
)]
pub async fn account_details_retrieve(
    State(state): State<AppState>,
    auth: AccountAuth,
) -> ApiResult<Json<AccountDetails>> {
    let la = &auth.account;
    let name = state
        .providers
        .integrations()
        .into_iter()
        .find(|i| i.slug == la.integration)
        .map(|i| i.name.to_string());
    Ok(Json(AccountDetails {
        id: la.id.as_uuid(),
        integration: name,
        integration_slug: Some(la.integration.clone()),
        category: Some(CategoriesEnum::Ticketing),
        end_user_origin_id: Some(la.end_user_origin_id.clone()),
        end_user_organization_name: Some(la.end_user_organization_name.clone()),
        end_user_email_address: Some(la.end_user_email_address.clone()),
        status: Some(la.status.clone()),
        webhook_listener_url: crate::push::listener_url(&state, la).await,
        is_duplicate: Some(false),
        account_type: Some("PRODUCTION".into()),
        completed_at: Some(la.completed_at),
        instance_id: Some(la.subdomain.clone()),
        instance_display_value: Some(la.subdomain.clone()),
    }))
}

/// Replaces the linked account's token; the old one stops working at once.
#[utoipa::path(
    post,
    path = "/api/ticketing/v1/account-token/regenerate",
    tag = "regenerate-key",
    responses(
        (status = 200, description = "The new token", body = RegenerateAccountToken),
    ),
    security(("bearerAuth" = [], "accountToken" = []))
)]
pub async fn account_token_regenerate(
    State(state): State<AppState>,
    auth: AccountAuth,
) -> ApiResult<Json<RegenerateAccountToken>> {
    let token = state
        .store
        .regenerate_account_token(auth.org.id, auth.account.id)
        .await?;
    Ok(Json(RegenerateAccountToken {
        linked_account_id: auth.account.id.as_uuid(),
        account_token: token,
    }))
}

/// Deletes the linked account: its credentials, every synced record and its queued jobs.
#[utoipa::path(
    post,
    path = "/api/ticketing/v1/delete-account",
    tag = "delete-account",
    responses(
        (status = 200, description = "Deleted"),
    ),
    security(("bearerAuth" = [], "accountToken" = []))
)]
pub async fn delete_account_delete(
    State(state): State<AppState>,
    auth: AccountAuth,
    key: OrgAuth,
    ClientIp(ip): ClientIp,
) -> ApiResult<StatusCode> {
    // What a push hook installed in the helpdesk goes first, while the credentials exist.
    crate::push::forget(&state, &auth.account).await?;
    state
        .store
        .delete_linked_account(auth.org.id, auth.account.id)
        .await?;
    let la = &auth.account;
    let description = format!(
        "Deleted linked account {} ({}, end user `{}`) with its credentials, synced data and jobs.",
        la.id, la.integration, la.end_user_origin_id
    );
    let event = EventTypeEnum::DeletedLinkedAccount;
    audit::record_by_key(&state, &key, ip, event, description).await;
    Ok(StatusCode::OK)
}
