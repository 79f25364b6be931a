//! Passthrough: a raw request to the third party's API, made with the linked account's
//! credentials (`/passthrough`, `/async-passthrough`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::enums::wire_enum;

wire_enum! {
    /// A passthrough request's HTTP method.
    MethodEnum {
        /// `GET`
        Get = "GET",
        /// `OPTIONS`
        Options = "OPTIONS",
        /// `HEAD`
        Head = "HEAD",
        /// `POST`
        Post = "POST",
        /// `PUT`
        Put = "PUT",
        /// `PATCH`
        Patch = "PATCH",
        /// `DELETE`
        Delete = "DELETE",
    }
}

wire_enum! {
    /// A passthrough request's body format.
    RequestFormatEnum {
        /// `JSON`
        Json = "JSON",
        /// `XML`
        Xml = "XML",
        /// `MULTIPART`
        Multipart = "MULTIPART",
    }
}

wire_enum! {
    /// How a passthrough response body is encoded.
    ResponseTypeEnum {
        /// `JSON`
        Json = "JSON",
        /// `BASE64_GZIP`
        Base64Gzip = "BASE64_GZIP",
    }
}

wire_enum! {
    /// How a multipart form field's data is encoded.
    EncodingEnum {
        /// `RAW`
        Raw = "RAW",
        /// `BASE64`
        Base64 = "BASE64",
        /// `GZIP_BASE64`
        GzipBase64 = "GZIP_BASE64",
    }
}

/// A request to pass through to the third party.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "method": "GET",
    "path": "/api/v2/tickets",
    "request_format": "JSON",
    "headers": {"Content-Type": "application/json"}
}))]
pub struct DataPassthroughRequest {
    /// The HTTP method.
    pub method: MethodEnum,
    /// The third party's path, e.g. `/api/v2/tickets`.
    pub path: String,
    /// A base URL to use instead of the integration's.
    #[serde(default)]
    pub base_url_override: Option<String>,
    /// The request body; `request_format` must say its format.
    #[serde(default)]
    pub data: Option<String>,
    /// The form fields, when `request_format` is `MULTIPART`.
    #[serde(default)]
    pub multipart_form_data: Option<Vec<MultipartFormFieldRequest>>,
    /// Extra headers; the linked account's authentication is added.
    #[serde(default)]
    pub headers: Option<Map<String, Value>>,
    /// The format of `data`.
    #[serde(default)]
    pub request_format: Option<RequestFormatEnum>,
    /// Whether to wrap response values as `{"type": ..., "value": ...}`.
    #[serde(default)]
    pub normalize_response: Option<bool>,
}

/// One field of a multipart passthrough body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MultipartFormFieldRequest {
    /// The field's name.
    pub name: String,
    /// The field's data, encoded as `encoding` says.
    pub data: String,
    /// How `data` is encoded.
    #[serde(default)]
    pub encoding: Option<EncodingEnum>,
    /// The file name, for a file field.
    #[serde(default)]
    pub file_name: Option<String>,
    /// The content type, for a file field.
    #[serde(default)]
    pub content_type: Option<String>,
}

/// The third party's response to a passthrough request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "method": "GET",
    "path": "/api/v2/tickets",
    "status": 200,
    "response": [{"id": 42, "subject": "Printer on fire"}],
    "response_headers": {"Content-Type": "application/json"},
    "response_type": "JSON"
}))]
pub struct RemoteResponse {
    /// The HTTP method used.
    pub method: String,
    /// The path requested.
    pub path: String,
    /// The third party's HTTP status.
    pub status: i32,
    /// The third party's response body (any JSON value, or a string).
    pub response: Value,
    /// The third party's response headers.
    #[serde(default)]
    pub response_headers: Option<Map<String, Value>>,
    /// How `response` is encoded.
    #[serde(default)]
    pub response_type: Option<ResponseTypeEnum>,
    /// The headers that were sent.
    #[serde(default)]
    pub headers: Option<Map<String, Value>>,
}

/// The receipt of an asynchronous passthrough request (Merge's spelling).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AsyncPassthroughReciept {
    /// The id to poll `/async-passthrough/{id}` with.
    pub async_passthrough_receipt_id: String,
}
