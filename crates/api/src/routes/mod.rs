//! Every route, each registered through utoipa's router so the spec cannot drift.

pub mod accounts;
pub mod audit;
pub mod comment_writes;
pub mod contact_writes;
pub mod extra;
pub mod keys;
pub mod link;
pub mod link_page;
pub mod meta;
pub mod meta_writes;
pub mod models;
pub mod passthrough;
pub mod push;
pub mod sync_status;
pub mod ticket_writes;
pub mod tickets;
pub mod webhooks;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// The routes of the API (documented).
pub fn api_routes() -> OpenApiRouter<AppState> {
    let mut router = OpenApiRouter::new()
        .routes(routes!(
            accounts::linked_accounts_create,
            accounts::linked_accounts_list
        ))
        .routes(routes!(accounts::account_details_retrieve))
        .routes(routes!(accounts::account_token_regenerate))
        .routes(routes!(accounts::delete_account_delete))
        .routes(routes!(sync_status::sync_status_list))
        .routes(routes!(sync_status::sync_status_resync_create))
        .routes(routes!(tickets::tickets_list))
        .routes(routes!(tickets::tickets_retrieve))
        .routes(routes!(models::comments_list))
        .routes(routes!(models::comments_retrieve))
        .routes(routes!(models::users_list))
        .routes(routes!(models::users_retrieve))
        .routes(routes!(models::contacts_list))
        .routes(routes!(models::contacts_retrieve))
        .routes(routes!(models::accounts_list))
        .routes(routes!(models::accounts_retrieve))
        .routes(routes!(models::teams_list))
        .routes(routes!(models::teams_retrieve))
        .routes(routes!(models::tags_list))
        .routes(routes!(models::tags_retrieve))
        .routes(routes!(models::roles_list))
        .routes(routes!(models::roles_retrieve))
        .routes(routes!(models::attachments_list))
        .routes(routes!(models::attachments_retrieve))
        .routes(routes!(models::collections_list))
        .routes(routes!(models::collections_retrieve))
        .routes(routes!(models::projects_list))
        .routes(routes!(models::projects_retrieve))
        .routes(routes!(link::link_token_create))
        .routes(routes!(link::account_token_retrieve))
        .routes(routes!(link_page::link_page, link_page::link_page_submit))
        .routes(routes!(link_page::link_asset))
        .routes(routes!(keys::generate_key_create))
        .routes(routes!(keys::regenerate_key_create))
        .routes(routes!(audit::audit_trail_list))
        .routes(routes!(extra::tickets_viewers_list))
        .routes(routes!(extra::collections_viewers_list))
        .routes(routes!(extra::projects_users_list))
        .routes(routes!(extra::tickets_remote_field_classes_list))
        .routes(routes!(extra::attachments_download_retrieve))
        .routes(routes!(ticket_writes::tickets_create))
        .routes(routes!(ticket_writes::tickets_partial_update))
        .routes(routes!(comment_writes::comments_create))
        .routes(routes!(contact_writes::contacts_create))
        .routes(routes!(meta_writes::tickets_meta_post_retrieve))
        .routes(routes!(meta_writes::tickets_meta_patch_retrieve))
        .routes(routes!(meta_writes::comments_meta_post_retrieve))
        .routes(routes!(meta_writes::contacts_meta_post_retrieve))
        .routes(routes!(passthrough::passthrough_create))
        .routes(routes!(
            webhooks::webhook_endpoints_list,
            webhooks::webhook_endpoints_create
        ))
        .routes(routes!(
            webhooks::webhook_endpoints_destroy,
            webhooks::webhook_endpoints_partial_update
        ))
        .routes(routes!(webhooks::webhook_endpoints_deliveries_list))
        .routes(routes!(push::inbound_push))
        .routes(routes!(
            push::push_hook_create,
            push::push_hook_retrieve,
            push::push_hook_destroy
        ))
        .routes(routes!(meta::health_live))
        .routes(routes!(meta::health_ready))
        .layer(axum::middleware::from_fn(
            crate::extract::rate_limit_headers,
        ));
    crate::extract::document_rate_limit_headers(router.get_openapi_mut());
    router
}
