//! The rest of Merge's read surface: viewers and project users (Freshdesk has none: valid
//! empty pages), remote field classes (from the account's `ticket_fields`), and attachment
//! downloads streamed through a freshly signed URL.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use deskbridge_model::common::{ErrorDetail, Paginated};
use deskbridge_model::{
    ModelKind, PaginatedRemoteFieldClassList, PaginatedUserList, PaginatedViewerList,
};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::extract::{AccountAuth, Parsed};
use crate::params::{self, FromQuery};
use crate::state::AppState;

/// Parameters of the viewer and sub-user lists.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SubListParams {
    /// The pagination cursor.
    pub cursor: Option<String>,
    /// Page size (1–100).
    #[param(value_type = Option<i32>, minimum = 1, maximum = 100)]
    pub page_size: Option<String>,
    /// Relations to expand (accepted; the list is always empty for Freshdesk).
    pub expand: Option<String>,
    /// Include deleted records.
    #[param(value_type = Option<bool>)]
    pub include_deleted_data: Option<String>,
    /// Include remote data.
    #[param(value_type = Option<bool>)]
    pub include_remote_data: Option<String>,
    /// Include shell records.
    #[param(value_type = Option<bool>)]
    pub include_shell_data: Option<String>,
}

/// The relations a sub-list's `expand` takes.
pub trait SubList: Send + 'static {
    /// The allowed values.
    const EXPAND: &'static [&'static str];
}

/// Viewers (of a ticket or a collection).
#[derive(Debug)]
pub struct Viewers;

impl SubList for Viewers {
    const EXPAND: &'static [&'static str] = &["team", "user"];
}

/// A project's users.
#[derive(Debug)]
pub struct ProjectUsers;

impl SubList for ProjectUsers {
    const EXPAND: &'static [&'static str] = &["roles", "teams"];
}

/// A sub-list's query, parsed for the list `L`. Every value is checked so that a client
/// learns of a mistake, but no integration fills these lists yet (each answers an empty
/// page), so nothing else reads them.
#[derive(Debug)]
pub struct SubListQuery<L> {
    /// Records per page.
    pub limit: i64,
    /// Relations to return as nested objects.
    pub expand: Vec<String>,
    /// Include deleted records.
    pub include_deleted: bool,
    /// Include `remote_data`.
    pub with_remote_data: bool,
    /// Include shell records.
    pub include_shell: bool,
    /// Where the page starts.
    pub cursor: Option<crate::cursor::Cursor>,
    list: std::marker::PhantomData<L>,
}

impl<L: SubList> FromQuery for SubListQuery<L> {
    type Raw = SubListParams;

    fn parse(p: SubListParams) -> Result<Self, ApiError> {
        Ok(SubListQuery {
            limit: params::page_size(&p.page_size)?,
            expand: params::choices("expand", &p.expand, L::EXPAND)?,
            include_deleted: params::boolean("include_deleted_data", &p.include_deleted_data)?,
            with_remote_data: params::boolean("include_remote_data", &p.include_remote_data)?,
            include_shell: params::boolean("include_shell_data", &p.include_shell_data)?,
            cursor: p
                .cursor
                .as_deref()
                .filter(|c| !c.is_empty())
                .map(crate::cursor::Cursor::decode)
                .transpose()?,
            list: std::marker::PhantomData,
        })
    }
}

async fn require(state: &AppState, auth: &AccountAuth, kind: ModelKind, id: &str) -> ApiResult<()> {
    let not_found = || ApiError::NotFound(format!("No {} matches the given id.", kind.name()));
    let id: Uuid = id.parse().map_err(|_| not_found())?;
    let rows = state
        .store
        .records_by_ids(auth.org.id, auth.account.id, kind, &[id], false)
        .await?;
    if rows.is_empty() {
        return Err(not_found());
    }
    Ok(())
}

/// An empty page: no integration reports these yet.
fn empty_page<T>() -> Json<Paginated<T>> {
    Json(Paginated::default())
}

/// The users and teams who can view a ticket. Freshdesk has no viewers: always an empty page.
#[utoipa::path(
    get,
    path = "/api/ticketing/v1/tickets/{ticket_id}/viewers",
    tag = "tickets",
    params(("ticket_id" = Uuid, Path, description = "The ticket's id"), SubListParams),
    responses(
        (status = 200, description = "A page of viewers (empty: no integration reports viewers yet)", body = PaginatedViewerList),
        (status = 400, description = "A query value is invalid", body = ErrorDetail),
        (status = 404, description = "No such ticket", body = ErrorDetail),
    ),
    security(("bearerAuth" = [], "accountToken" = []))
)]
pub async fn tickets_viewers_list(
    State(state): State<AppState>,
    auth: AccountAuth,
    Path(ticket_id): Path<String>,
    _query: Parsed<SubListQuery<Viewers>>,
) -> ApiResult<Json<PaginatedViewerList>> {
    require(&state, &auth, ModelKind::Ticket, &ticket_id).await?;
    Ok(empty_page())
}

/// The users and teams who can view a collection. Freshdesk has no collections: 404.
#[utoipa::path(
    get,
    path = "/api/ticketing/v1/collections/{collection_id}/viewers",
    tag = "collections",
    params(("collection_id" = Uuid, Path, description = "The collection's id"), SubListParams),
    responses(
        (status = 200, description = "A page of viewers", body = PaginatedViewerList),
        (status = 400, description = "A query value is invalid", body = ErrorDetail),
        (status = 404, description = "No such collection", body = ErrorDetail),
    ),
    security(("bearerAuth" = [], "accountToken" = []))
)]
pub async fn collections_viewers_list(
    State(state): State<AppState>,
    auth: AccountAuth,
    Path(collection_id): Path<String>,
    _query: Parsed<SubListQuery<Viewers>>,
) -> ApiResult<Json<PaginatedViewerList>> {
    require(&state, &auth, ModelKind::Collection, &collection_id).await?;
    Ok(empty_page())
}

/// The users of a project. Freshdesk has no projects: 404.
#[utoipa::path(
    get,
    path = "/api/ticketing/v1/projects/{parent_id}/users",
    tag = "projects",
    params(("parent_id" = Uuid, Path, description = "The project's id"), SubListParams),
    responses(
        (status = 200, description = "A page of users", body = PaginatedUserList),
        (status = 400, description = "A query value is invalid", body = ErrorDetail),
        (status = 404, description = "No such project", body = ErrorDetail),
    ),
    security(("bearerAuth" = [], "accountToken" = []))
)]
pub async fn projects_users_list(
    State(state): State<AppState>,
    auth: AccountAuth,
    Path(parent_id): Path<String>,
    _query: Parsed<SubListQuery<ProjectUsers>>,
) -> ApiResult<Json<PaginatedUserList>> {
    require(&state, &auth, ModelKind::Project, &parent_id).await?;
    Ok(empty_page())
}

/// Parameters of `/tickets/remote-field-classes`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RemoteFieldClassParams {
    /// The pagination cursor.
    pub cursor: Option<String>,
    /// Page size (1–100).
    #[param(value_type = Option<i32>, minimum = 1, maximum = 100)]
    pub page_size: Option<String>,
    /// Only these ids (comma-separated).
    pub ids: Option<String>,
    /// Only custom fields (`true`) or only others (`false`).
    #[param(value_type = Option<bool>)]
    pub is_custom: Option<String>,
    /// Only common-model fields (`true`) or only others (`false`).
    #[param(value_type = Option<bool>)]
    pub is_common_model_field: Option<String>,
    /// Include deleted data (accepted).
    #[param(value_type = Option<bool>)]
    pub include_deleted_data: Option<String>,
    /// Include remote data (accepted).
    #[param(value_type = Option<bool>)]
    pub include_remote_data: Option<String>,
    /// Include shell data (accepted).
    #[param(value_type = Option<bool>)]
    pub include_shell_data: Option<String>,
}

/// `/tickets/remote-field-classes`'s query, parsed (the `include_*` flags are checked and
/// otherwise ignored: every class is custom and live).
pub struct RemoteFieldClassQuery {
    limit: usize,
    offset: usize,
    custom: Option<bool>,
    common: Option<bool>,
    ids: Option<Vec<String>>,
}

impl FromQuery for RemoteFieldClassQuery {
    type Raw = RemoteFieldClassParams;

    fn parse(p: RemoteFieldClassParams) -> Result<Self, ApiError> {
        let limit = usize::try_from(params::page_size(&p.page_size)?).unwrap_or(100);
        let custom = p
            .is_custom
            .as_deref()
            .filter(|v| !v.is_empty())
            .map(|_| params::boolean("is_custom", &p.is_custom))
            .transpose()?;
        let common = p
            .is_common_model_field
            .as_deref()
            .filter(|v| !v.is_empty())
            .map(|_| params::boolean("is_common_model_field", &p.is_common_model_field))
            .transpose()?;
        for (name, v) in [
            ("include_deleted_data", &p.include_deleted_data),
            ("include_remote_data", &p.include_remote_data),
            ("include_shell_data", &p.include_shell_data),
        ] {
            params::boolean(name, v)?;
        }
        let ids = params::uuid_csv("ids", &p.ids)?;
        let offset: usize = match p.cursor.as_deref().filter(|c| !c.is_empty()) {
            None => 0,
            Some(c) => c
                .strip_prefix("o")
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| {
                    ApiError::bad(
                        "Invalid cursor: pass back the `next` or `previous` value of a previous page.",
                    )
                })?,
        };
        Ok(RemoteFieldClassQuery {
            limit,
            offset,
            custom,
            common,
            ids,
        })
    }
}

/// The ticket's custom fields, described from the account's Freshdesk `ticket_fields`.
#[utoipa::path(
    get,
    path = "/api/ticketing/v1/tickets/remote-field-classes",
    tag = "tickets",
    params(RemoteFieldClassParams),
    responses(
        (status = 200, description = "A page of remote field classes", body = PaginatedRemoteFieldClassList),
        (status = 400, description = "A query value is invalid", body = ErrorDetail),
    ),
    security(("bearerAuth" = [], "accountToken" = []))
)]
pub async fn tickets_remote_field_classes_list(
    State(state): State<AppState>,
    auth: AccountAuth,
    Parsed(RemoteFieldClassQuery {
        limit,
        offset,
        custom,
        common,
        ids,
    }): Parsed<RemoteFieldClassQuery>,
) -> ApiResult<Json<Paginated<Value>>> {
    let la = &auth.account;
    let meta = state
        .account_metadata(auth.org.id, la.id, &la.integration)
        .await?;
    let all: Vec<Value> =
        crate::remote_fields::remote_field_classes(&state, la.id, &la.integration, &meta)
            .into_iter()
            .filter(|c| custom.is_none_or(|want| c["is_custom"] == json!(want)))
            .filter(|c| common.is_none_or(|want| c["is_common_model_field"] == json!(want)))
            .filter(|c| {
                ids.as_ref()
                    .is_none_or(|ids| ids.iter().any(|i| c["id"] == json!(i)))
            })
            .collect();
    let page: Vec<Value> = all.iter().skip(offset).take(limit).cloned().collect();
    let next = (offset + limit < all.len()).then(|| format!("o{}", offset + limit));
    let previous = (offset > 0).then(|| format!("o{}", offset.saturating_sub(limit)));
    Ok(Json(Paginated {
        next,
        previous,
        results: page,
    }))
}

/// Parameters of an attachment download.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DownloadParams {
    /// Accepted for compatibility; the file is sent in its own type.
    pub mime_type: Option<String>,
    /// Accepted for compatibility.
    #[param(value_type = Option<bool>)]
    pub include_shell_data: Option<String>,
}

/// A download's query, parsed: both values are accepted for compatibility (the file is sent
/// in its own type, and a shell attachment has no file), so only their form is checked.
#[derive(Debug)]
pub struct DownloadQuery {
    /// The type the client asked for.
    pub mime_type: Option<String>,
    /// Whether the client accepts a shell record.
    pub include_shell: bool,
}

impl FromQuery for DownloadQuery {
    type Raw = DownloadParams;

    fn parse(p: DownloadParams) -> Result<Self, ApiError> {
        Ok(DownloadQuery {
            include_shell: params::boolean("include_shell_data", &p.include_shell_data)?,
            mime_type: p.mime_type,
        })
    }
}

/// Streams an attachment's content. Freshdesk's file URLs are signed and expire within
/// minutes, so a fresh URL is fetched from Freshdesk for every download.
#[utoipa::path(
    get,
    path = "/api/ticketing/v1/attachments/{id}/download",
    tag = "attachments",
    params(("id" = Uuid, Path, description = "The attachment's id"), DownloadParams),
    responses(
        (status = 200, description = "The file's bytes", content_type = "*/*", body = Vec<u8>),
        (status = 400, description = "A query value is invalid", body = ErrorDetail),
        (status = 404, description = "No such attachment", body = ErrorDetail),
        (status = 429, description = "Rate limit reached", body = ErrorDetail),
        (status = 502, description = "The helpdesk could not be reached", body = ErrorDetail),
    ),
    security(("bearerAuth" = [], "accountToken" = []))
)]
pub async fn attachments_download_retrieve(
    State(state): State<AppState>,
    auth: AccountAuth,
    Path(id): Path<String>,
    _query: Parsed<DownloadQuery>,
) -> ApiResult<Response> {
    let not_found = || ApiError::NotFound("No Attachment matches the given id.".into());
    let id: Uuid = id.parse().map_err(|_| not_found())?;
    let (org, la) = (auth.org.id, auth.account.id);
    let att = state
        .store
        .records_by_ids(org, la, ModelKind::Attachment, &[id], false)
        .await?;
    let att = att
        .into_iter()
        .find(|a| !a.is_shell)
        .ok_or_else(not_found)?;
    let ticket_id: Uuid = att.fields["ticket"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .ok_or_else(not_found)?;
    let ticket = state
        .store
        .records_by_ids(org, la, ModelKind::Ticket, &[ticket_id], false)
        .await?;
    let ticket = ticket.into_iter().next().ok_or_else(not_found)?;
    let creds = state.store.account_credentials(la).await?;
    let provider = state
        .providers
        .build(&auth.account.integration, la.as_uuid(), &creds)
        .map_err(|e| state.provider_error(&auth.account.integration, e))?;
    let children = provider
        .fetch_ticket_children(&ticket.remote_id)
        .await
        .map_err(|e| match e {
            deskbridge_provider::ProviderError::NotFound => not_found(),
            other => state.provider_error(&auth.account.integration, other),
        })?;
    let fresh = children
        .iter()
        .find(|r| r.kind == ModelKind::Attachment && r.remote_id == att.remote_id)
        .and_then(|r| {
            r.fields
                .get("file_url")
                .and_then(Value::as_str)
                .map(String::from)
        })
        .ok_or_else(not_found)?;
    let res = state
        .downloads
        .download(&auth.account.integration, &fresh)
        .await
        .map_err(|_| {
            ApiError::BadGateway("The file could not be fetched from the helpdesk.".into())
        })?;
    if !res.status().is_success() {
        return Err(ApiError::BadGateway(format!(
            "The helpdesk answered {} for the file.",
            res.status().as_u16()
        )));
    }
    let content_type = att.fields["content_type"]
        .as_str()
        .unwrap_or("application/octet-stream")
        .to_string();
    let file_name = att.fields["file_name"]
        .as_str()
        .unwrap_or("attachment")
        .replace(['"', '\r', '\n'], "");
    let mut out = Response::new(Body::from_stream(res.bytes_stream()));
    // The content type is the helpdesk's word: a browser must not sniff it into HTML.
    out.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(v) = HeaderValue::from_str(&content_type) {
        out.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")) {
        out.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(out)
}
