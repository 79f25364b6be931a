//! The OpenAPI document: info, security schemes, and the routes' paths.

use utoipa::openapi::RefOr;
use utoipa::openapi::content::Content;
use utoipa::openapi::example::Example;
use utoipa::openapi::header::Header;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::Response;
use utoipa::openapi::schema::{
    ArrayItems, Object, ObjectBuilder, OneOfBuilder, Ref, Schema, SchemaFormat, SchemaType, Type,
};
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
    // Referred to by `write_responses::WriteErrors`, whose derived responses do not collect it.
    components(schemas(crate::writes::WriteErrorResponse)),
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

/// The responses every operation can get from the layers and extractors around its handler,
/// documented in one place so no route (present or future) forgets them:
///
/// - API-key endpoints (`bearerAuth`): 401 (missing or wrong key; with `WWW-Authenticate`)
///   and 503 (the database is away; with `Retry-After`);
/// - linked-account endpoints (`accountToken`): 429 (the caller rate limit; with `Retry-After`);
/// - endpoints with a credential of their own ([`OWN_AUTH`]: inbound pushes, metrics): 401;
/// - query parameters: 400 (an invalid value); JSON request bodies: 400 and 413;
/// - every endpoint but the health checks: 503 when the request times out.
///
/// Every `{"detail"}` error response then gets an example of what the server sends, unless
/// its route gives one.
pub fn finish(doc: &mut utoipa::openapi::OpenApi) {
    // Component schemas that already allow `{"detail"}`.
    let with_detail: Vec<String> = doc
        .components
        .iter()
        .flat_map(|c| c.schemas.iter())
        .filter(|(name, schema)| {
            *name == "ErrorDetail"
                || serde_json::to_string(schema).is_ok_and(|t| t.contains("/ErrorDetail\""))
        })
        .map(|(name, _)| format!("#/components/schemas/{name}"))
        .collect();
    for (path, item) in doc.paths.paths.iter_mut() {
        let ops = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ];
        for op in ops.into_iter().flatten() {
            complete_operation(path, op, &with_detail);
        }
    }
}

/// What an operation takes, as far as its common errors go.
struct Shape {
    api_key: bool,
    account: bool,
    query: bool,
    json_body: bool,
    path_id: bool,
}

fn shape(op: &Operation) -> Shape {
    let security = serde_json::to_string(&op.security).unwrap_or_default();
    let params = op.parameters.iter().flatten();
    let mut query = false;
    let mut path_id = false;
    for p in params {
        if let RefOr::T(p) = p {
            query |= p.parameter_in == ParameterIn::Query;
            path_id |= p.parameter_in == ParameterIn::Path;
        }
    }
    let json_body = matches!(&op.request_body, Some(RefOr::T(b)) if b.content.keys().any(|k| k.contains("json")));
    Shape {
        api_key: security.contains("\"bearerAuth\""),
        account: security.contains("\"accountToken\""),
        query,
        json_body,
        path_id,
    }
}

fn error_response(description: &str) -> RefOr<Response> {
    error_response_with(description, None)
}

/// An `{"detail"}` response with one example of its own (else the finisher adds its named ones).
fn error_response_with(description: &str, detail: Option<&str>) -> RefOr<Response> {
    let mut r = Response::new(description);
    let mut content = Content::new(Some(Ref::from_schema_name("ErrorDetail")));
    content.example = detail.map(|d| serde_json::json!({ "detail": d }));
    r.content
        .insert("application/json".into(), RefOr::T(content));
    RefOr::T(r)
}

/// A route that authenticates other than by API key. It declares no security scheme (its
/// credential is not one a client configures once), so the finisher cannot tell it from a
/// public route: this table says how it answers a wrong credential.
struct OwnAuth {
    /// The route's path (or the start of it).
    path: &'static str,
    /// What its 401 says.
    unauthorized: &'static str,
    /// The 401's own example (else the standard ones).
    example: Option<&'static str>,
    /// False when it never waits on the database, so a 503 can only be the request timeout.
    uses_database: bool,
}

/// The routes with their own credential: inbound pushes (the helpdesk's signature or the
/// hook's secret) and metrics (the metrics token).
const OWN_AUTH: &[OwnAuth] = &[
    OwnAuth {
        path: "/api/deskbridge/v1/inbound/",
        unauthorized: "Bad or missing signature or secret, or a stale timestamp",
        example: None,
        uses_database: true,
    },
    OwnAuth {
        path: "/metrics",
        unauthorized: "Missing or wrong metrics token",
        example: Some("Use `Authorization: Bearer <DESKBRIDGE_METRICS_TOKEN>`."),
        uses_database: false,
    },
];

fn integer_header(description: &str) -> RefOr<Header> {
    let mut h = Header::new(Object::with_type(Type::Integer));
    h.description = Some(description.into());
    RefOr::T(h)
}

fn string_header(description: &str) -> RefOr<Header> {
    let mut h = Header::new(Object::with_type(Type::String));
    h.description = Some(description.into());
    RefOr::T(h)
}

fn complete_operation(path: &str, op: &mut Operation, with_detail: &[String]) {
    let s = shape(op);
    let responses = &mut op.responses.responses;
    let mut add = |code: &str, description: &str| {
        responses
            .entry(code.to_string())
            .or_insert_with(|| error_response(description));
    };
    if s.api_key {
        add(
            "401",
            if s.account {
                "Missing or wrong API key or account token"
            } else {
                "Missing or wrong API key"
            },
        );
    }
    if s.account {
        add("429", "Caller rate limit reached");
    }
    if s.query || s.json_body {
        add("400", "A query value or the body is invalid");
    }
    if s.json_body {
        add("413", "Body too large");
    }
    let own_auth = OWN_AUTH.iter().find(|a| path.starts_with(a.path));
    if let Some(a) = own_auth {
        responses
            .entry("401".into())
            .or_insert_with(|| error_response_with(a.unauthorized, a.example));
        if !a.uses_database {
            responses
                .entry("503".into())
                .or_insert_with(|| error_response_with("The request timed out", Some(UNAVAILABLE)));
        }
    }
    if !path.starts_with("/health/") {
        let html_404 = match responses.get("404") {
            Some(RefOr::T(r)) if r.content.keys().any(|k| k.starts_with("text/html")) => {
                Some(r.content.clone())
            }
            _ => None,
        };
        match html_404 {
            // Pages answer their problems as pages (or JSON when asked for JSON).
            // (a timeout answers JSON).
            Some(mut content) => {
                content.entry("application/json".into()).or_insert_with(|| {
                    RefOr::T(Content::new(Some(Ref::from_schema_name("ErrorDetail"))))
                });
                responses.entry("503".into()).or_insert_with(|| {
                    let mut r = Response::new("Database unavailable or request timed out; retry");
                    r.content = content;
                    RefOr::T(r)
                });
            }
            // API operations keep the wording their hand-written rows had; the Link page's
            // files say the timeout too (a request timeout is a 503 everywhere).
            None => {
                let text = if path.starts_with("/link/") {
                    "Database unavailable or request timed out; retry"
                } else {
                    "Database unavailable; retry"
                };
                responses
                    .entry("503".into())
                    .or_insert_with(|| error_response(text));
            }
        }
    }
    for (code, response) in responses.iter_mut() {
        let RefOr::T(response) = response else {
            continue;
        };
        for (media, content) in response.content.iter_mut() {
            let RefOr::T(content) = content else {
                continue;
            };
            if !media.contains("json") {
                binary_as_string(content);
            } else if code == "400" && (s.query || s.json_body) {
                or_error_detail(content, with_detail);
            }
        }
        match code.as_str() {
            "401" => {
                response
                    .headers
                    .entry("WWW-Authenticate".into())
                    .or_insert_with(|| string_header("`Bearer`"));
            }
            "429" | "503" => {
                response
                    .headers
                    .entry("Retry-After".into())
                    .or_insert_with(|| integer_header("Seconds to wait before retrying"));
            }
            _ => {}
        }
        let Some(RefOr::T(content)) = response.content.get_mut("application/json") else {
            continue;
        };
        let is_error_detail = matches!(&content.schema, Some(RefOr::Ref(r)) if r.ref_location.ends_with("/ErrorDetail"));
        if !is_error_detail || content.example.is_some() || !content.examples.is_empty() {
            continue;
        }
        for (name, detail) in error_examples(code, &s, op.tags.as_deref().unwrap_or_default()) {
            let mut example = Example::new();
            example.value = Some(serde_json::json!({ "detail": detail }));
            content.examples.insert(name.to_string(), RefOr::T(example));
        }
    }
}

/// A 400 of its own shape (e.g. Merge's write errors) can also be the extractors'
/// `{"detail"}` (a malformed body or query value): `oneOf: [its schema, ErrorDetail]`.
fn or_error_detail(content: &mut Content, with_detail: &[String]) {
    let Some(schema) = content.schema.take() else {
        return;
    };
    let text = serde_json::to_string(&schema).unwrap_or_default();
    let allows_detail = text.contains("/ErrorDetail\"")
        || matches!(&schema, RefOr::Ref(r) if with_detail.contains(&r.ref_location));
    content.schema = Some(if allows_detail {
        schema
    } else {
        RefOr::T(Schema::OneOf(
            OneOfBuilder::new()
                .item(schema)
                .item(Ref::from_schema_name("ErrorDetail"))
                .build(),
        ))
    });
}

/// A byte body (`Vec<u8>`, which utoipa describes as an array of integers) is a binary
/// string on the wire.
fn binary_as_string(content: &mut Content) {
    let is_bytes = matches!(
        &content.schema,
        Some(RefOr::T(Schema::Array(a))) if matches!(&a.items, ArrayItems::RefOrSchema(i)
            if matches!(i.as_ref(), RefOr::T(Schema::Object(o)) if o.schema_type == SchemaType::Type(Type::Integer)))
    );
    if is_bytes {
        let binary = ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::Custom("binary".into())))
            .build();
        content.schema = Some(RefOr::T(Schema::Object(binary)));
    }
}

/// Named examples of what the server answers with a status, as it words them.
fn error_examples(code: &str, s: &Shape, tags: &[String]) -> Vec<(&'static str, String)> {
    let model = tags
        .first()
        .map(|t| {
            let singular = t.strip_suffix('s').unwrap_or(t);
            let mut c = singular.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .unwrap_or_default();
    match code {
        "400" if s.json_body && !s.query => vec![
            ("invalid_body", "Invalid request body: missing field `name` at line 1 column 2.".into()),
            ("malformed_json", "Malformed JSON: EOF while parsing an object at line 1 column 1".into()),
        ],
        "400" => vec![(
            "invalid_query",
            "Invalid value for `page_size`: `0`; it must be a whole number from 1 to 100.".into(),
        )],
        "401" if s.account => vec![
            ("no_api_key", "Authentication credentials were not provided.".into()),
            ("no_account_token", "Account Token must be passed in as an X-Account-Token header.".into()),
            ("wrong_account_token", "Invalid account token.".into()),
        ],
        "401" => vec![
            ("no_api_key", "Authentication credentials were not provided.".into()),
            ("wrong_api_key", "Invalid API key.".into()),
        ],
        "403" => vec![("forbidden", "You do not have permission to perform this action.".into())],
        "404" if s.path_id && !model.is_empty() => {
            vec![("not_found", format!("No {model} matches the given id."))]
        }
        "404" => vec![("not_found", "Not found.".into())],
        "409" => vec![("conflict", "The request conflicts with the current state of the resource.".into())],
        "413" => vec![("too_large", "The request body is too large.".into())],
        "429" if s.account => vec![(
            "rate_limited",
            "Rate limit of 600 requests per minute for this linked account reached; retry after 42 s.".into(),
        )],
        "429" => vec![("rate_limited", "Too many failed attempts from your address; try again in 42 s.".into())],
        "502" => vec![(
            "helpdesk_unreachable",
            UNREACHABLE_EXAMPLE.into(),
        )],
        "503" => vec![("unavailable", UNAVAILABLE.into())],
        c if c.starts_with('4') || c.starts_with('5') => vec![("error", "The request failed.".into())],
        _ => Vec::new(),
    }
}

/// What a 503 says (the timeout layer's and the store's words).
const UNAVAILABLE: &str = "the service is temporarily unavailable";

/// The example of a 502: what a helpdesk's refusal wording says when it is unreachable (the
/// words come from the integration, see `deskbridge_provider::Refusals`).
const UNREACHABLE_EXAMPLE: &str =
    "Freshdesk could not be reached or answered with an error; try again shortly.";

/// Documents the credentials per integration of `registry`: `IntegrationCredentials` becomes
/// a `oneOf` of one closed object per integration (`{Name}Credentials`), each rendered from
/// the integration's credential fields, the same data the Link page's form comes from.
pub fn credentials(api: &mut utoipa::openapi::OpenApi, registry: &deskbridge_provider::Registry) {
    let Some(components) = api.components.as_mut() else {
        return;
    };
    let mut refs = Vec::new();
    for i in registry.all() {
        let info = i.info();
        let name = format!("{}Credentials", info.name.replace(' ', ""));
        let mut properties = serde_json::Map::new();
        let mut example = serde_json::Map::new();
        for f in i.credential_fields() {
            let mut p = serde_json::json!({
                "type": "string",
                "description": format!("{}: {}", f.label, f.help),
                "minLength": 1,
                "maxLength": f.max_len,
            });
            if f.secret {
                p["format"] = "password".into();
                p["writeOnly"] = true.into();
            }
            properties.insert(f.name.to_string(), p);
            example.insert(f.name.to_string(), f.example.into());
        }
        let required: Vec<&str> = i.credential_fields().iter().map(|f| f.name).collect();
        let schema = serde_json::json!({
            "type": "object",
            "title": format!("{} credentials", info.name),
            "description": format!("Credentials of a {} account (`\"integration\": \"{}\"`).", info.name, info.slug),
            "required": required,
            "properties": properties,
            "additionalProperties": false,
            "example": example,
        });
        if let Ok(s) = serde_json::from_value::<RefOr<Schema>>(schema) {
            components.schemas.insert(name.clone(), s);
            refs.push(serde_json::json!({"$ref": format!("#/components/schemas/{name}")}));
        }
    }
    if refs.is_empty() {
        return;
    }
    let one_of = serde_json::json!({
        "description": "The credentials of the integration named by `integration`: one of these objects.",
        "oneOf": refs,
    });
    if let Ok(s) = serde_json::from_value::<RefOr<Schema>>(one_of) {
        components
            .schemas
            .insert("IntegrationCredentials".to_string(), s);
    }
}
