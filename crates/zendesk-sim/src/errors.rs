//! Zendesk error bodies, byte for byte where recorded (reference §1.2, §5.5), and the response
//! helpers around them.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

/// `application/json; charset=utf-8`, as Rails sends it.
pub const JSON_CT: &str = "application/json; charset=utf-8";

/// An API error.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// 401 for a wrong email/token (Basic): `{"error":"Couldn't authenticate you"}`, 37 bytes.
    BadBasic,
    /// 401 for a bad, expired or revoked OAuth token.
    BadBearer,
    /// 403 for an OAuth token without the scope (string form).
    MissingScope(&'static str),
    /// 403 when the role or plan forbids the endpoint (object form).
    Restricted,
    /// 404 `RecordNotFound`.
    NotFound,
    /// 404 for a subdomain without an account (object form).
    NoHelpDesk(String),
    /// 400 with `{error, description}`.
    BadRequest(&'static str, String),
    /// 400 `TooManyValues` (`create_many` > 100).
    TooManyValues,
    /// 422 `RecordInvalid` with `details`.
    Invalid(Value),
    /// 422 `InvalidValue` for a too recent `start_time`.
    TooRecent,
    /// 409 safe-update conflict.
    Conflict,
}

impl ApiError {
    /// The response.
    pub fn into_response(self) -> Response {
        match self {
            ApiError::BadBasic => raw(
                401,
                "application/json; charset=UTF-8",
                br#"{"error":"Couldn't authenticate you"}"#.to_vec(),
            ),
            ApiError::BadBearer => {
                let mut r = json_response(
                    401,
                    &json!({"error":"invalid_token","error_description":"The access token provided is expired, revoked, malformed or invalid for other reasons."}),
                );
                r.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"Web\", error=\"invalid_token\""),
                );
                r
            }
            ApiError::MissingScope(scope) => json_response(
                403,
                &json!({"error": "Forbidden", "description": format!("Missing the following required scopes: {scope}")}),
            ),
            ApiError::Restricted => json_response(
                403,
                &json!({"error": {"title": "Forbidden", "message": "Access to this resource is restricted. Please contact the account administrator for assistance."}}),
            ),
            ApiError::NotFound => json_response(
                404,
                &json!({"error":"RecordNotFound","description":"Not found"}),
            ),
            ApiError::NoHelpDesk(sub) => json_response(
                404,
                &json!({"error":{"title": format!("No help desk at {sub}.zendesk.com"),"message":"There is no help desk configured at this address. This means that the address is available and that you can claim it at http://www.zendesk.com/signup"}}),
            ),
            ApiError::BadRequest(error, description) => {
                json_response(400, &json!({"error": error, "description": description}))
            }
            ApiError::TooManyValues => json_response(
                400,
                &json!({"error":"TooManyValues","description":"Parameter  cannot specify more than 100 values","max_count":100}),
            ),
            ApiError::Invalid(details) => json_response(
                422,
                &json!({"error":"RecordInvalid","description":"Record validation errors","details": details}),
            ),
            ApiError::TooRecent => json_response(
                422,
                &json!({"error":"InvalidValue","description":"Too recent start_time. Use a start_time older than 5 minutes"}),
            ),
            ApiError::Conflict => json_response(
                409,
                &json!({"error":"UpdateConflict","description":"Safe Update prevented the update due to outdated ticket data. Please fetch the latest ticket data and try again."}),
            ),
        }
    }
}

/// The 422 of an update to a closed ticket, as recorded.
pub fn closed_ticket() -> ApiError {
    ApiError::Invalid(json!({"status":[{"description":"Status closed prevents ticket update"}]}))
}

/// The 422 of a create without a comment, as recorded.
pub fn blank_description(field_id: i64) -> ApiError {
    ApiError::Invalid(
        json!({"base":[{"description":"Description: cannot be blank","error":"BlankValue","ticket_field_id":field_id,"ticket_field_type":"FieldDescription"}]}),
    )
}

/// A JSON response.
pub fn json_response(status: u16, body: &Value) -> Response {
    raw(status, JSON_CT, body.to_string().into_bytes())
}

/// A response with a content type and bytes.
pub fn raw(status: u16, content_type: &str, body: Vec<u8>) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = HeaderValue::from_str(content_type) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r
}

/// A response without a body.
pub fn empty(status: u16) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::NO_CONTENT);
    r
}
