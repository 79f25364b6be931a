//! Freshdesk error bodies and the response helpers around them.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Map, Value, json};

/// `application/json; charset=utf-8`, as Rails sends it.
pub const JSON_CT: &str = "application/json; charset=utf-8";

/// One entry of a validation error.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    /// Field name.
    pub field: String,
    /// Extra data (e.g. `{"user_id": …}` for duplicates).
    pub additional_info: Option<Box<Value>>,
    /// Message.
    pub message: String,
    /// Code (`invalid_value`, `missing_field`, …).
    pub code: &'static str,
}

impl FieldError {
    /// A field error.
    pub fn new(field: impl Into<String>, message: impl Into<String>, code: &'static str) -> Self {
        Self {
            field: field.into(),
            additional_info: None,
            message: message.into(),
            code,
        }
    }

    /// `invalid_field`: "Unexpected/invalid field in request".
    pub fn unexpected(field: &str) -> Self {
        Self::new(
            field,
            "Unexpected/invalid field in request",
            "invalid_field",
        )
    }

    /// `invalid_value`: "It should be one of these values: '…'".
    pub fn not_included(field: &str, list: &str) -> Self {
        Self::new(
            field,
            format!("It should be one of these values: '{list}'"),
            "invalid_value",
        )
    }

    /// `datatype_mismatch` with the "Value set is of type X." prefix.
    pub fn datatype(field: &str, given: &Value, expected: &str) -> Self {
        Self::new(
            field,
            format!(
                "Value set is of type {}.It should be a/an {expected}",
                type_name(given)
            ),
            "datatype_mismatch",
        )
    }

    /// `missing_field`: the field is absent but mandatory.
    pub fn missing(field: &str) -> Self {
        Self::new(
            field,
            "It should not be blank as this is a mandatory field",
            "missing_field",
        )
    }

    /// `invalid_value`: the field is present but blank.
    pub fn blank(field: &str) -> Self {
        Self::new(
            field,
            "It should not be blank as this is a mandatory field",
            "invalid_value",
        )
    }

    fn http_code(&self) -> u16 {
        match self.code {
            "duplicate_value" => 409,
            "access_denied" => 403,
            "unauthorized" => 401,
            _ => 400,
        }
    }
}

/// Ruby-ish type name of a JSON value, as in "Value set is of type Null.".
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "Null",
        Value::Bool(_) => "Boolean",
        Value::Number(n) if n.is_f64() => "Float",
        Value::Number(_) => "Integer",
        Value::String(_) => "String",
        Value::Array(_) => "Array",
        Value::Object(_) => "key/value pair",
    }
}

/// An error answer of the API.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// 404 with an empty body.
    NotFound,
    /// `{"description":"Validation failed","errors":[…]}`, status = most frequent http code.
    Validation(Vec<FieldError>),
    /// `{"code":…,"message":…}` with a status.
    Request(u16, &'static str, String),
}

impl ApiError {
    /// 401 invalid_credentials.
    pub fn invalid_credentials() -> Self {
        ApiError::Request(
            401,
            "invalid_credentials",
            "You have to be logged in to perform this action.".into(),
        )
    }

    /// 403 account_suspended.
    pub fn suspended() -> Self {
        ApiError::Request(
            403,
            "account_suspended",
            "Your account has been suspended.".into(),
        )
    }

    /// 403 access_denied.
    pub fn access_denied() -> Self {
        ApiError::Request(
            403,
            "access_denied",
            "You are not authorized to perform this action.".into(),
        )
    }

    /// 400 invalid_json.
    pub fn invalid_json() -> Self {
        ApiError::Request(
            400,
            "invalid_json",
            "Request body has invalid json format".into(),
        )
    }

    /// 400 missing_params.
    pub fn missing_params() -> Self {
        ApiError::Request(
            400,
            "missing_params",
            "Your update call does not have any parameter. Atleast one parameter is required."
                .into(),
        )
    }

    /// One validation error.
    pub fn field(e: FieldError) -> Self {
        ApiError::Validation(vec![e])
    }

    /// The HTTP response.
    pub fn into_response(self) -> Response {
        match self {
            ApiError::NotFound => empty(StatusCode::NOT_FOUND),
            ApiError::Request(status, code, message) => {
                json_response(status, &json!({ "code": code, "message": message }))
            }
            ApiError::Validation(errors) => {
                let status = most_frequent(&errors);
                json_response(status, &validation_body(&errors))
            }
        }
    }
}

/// The validation body in Freshdesk's key order (`field`, `additional_info`, `message`, `code`).
pub fn validation_body(errors: &[FieldError]) -> Value {
    let list = errors
        .iter()
        .map(|e| {
            let mut m = Map::new();
            m.insert("field".into(), e.field.clone().into());
            if let Some(info) = &e.additional_info {
                m.insert("additional_info".into(), (**info).clone());
            }
            m.insert("message".into(), e.message.clone().into());
            m.insert("code".into(), e.code.into());
            Value::Object(m)
        })
        .collect();
    let mut m = Map::new();
    m.insert("description".into(), "Validation failed".into());
    m.insert("errors".into(), Value::Array(list));
    Value::Object(m)
}

fn most_frequent(errors: &[FieldError]) -> u16 {
    let mut best = (0usize, 400u16);
    for code in [400u16, 409, 403, 401] {
        let n = errors.iter().filter(|e| e.http_code() == code).count();
        if n > best.0 {
            best = (n, code);
        }
    }
    best.1
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
pub fn empty(status: StatusCode) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = status;
    r
}
