//! The OpenAPI document: info, security schemes, and the routes' paths.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The static part of the document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Deskbridge Ticketing API",
        description = "A self-hosted unified ticketing API in Merge's Ticketing API wire format. \
            Authenticate with `Authorization: Bearer <API key>`; endpoints of a linked account \
            also need `X-Account-Token`.",
        license(name = "Apache-2.0")
    ),
    modifiers(&Security),
    tags(
        (name = "tickets", description = "Tickets"),
        (name = "linked-accounts", description = "Linked accounts"),
        (name = "sync-status", description = "Sync status"),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearerAuth",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("Your Deskbridge API key"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "accountToken",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Account-Token",
                "The linked account's token",
            ))),
        );
    }
}
