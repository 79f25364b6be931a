//! Write responses (`{model, warnings, errors, logs?}`), their problems and debug logs, and the
//! `/…/meta/…` response.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::{Attachment, Comment, Contact, Ticket};

/// Where in the request body a problem is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ValidationProblemSource {
    /// A JSON pointer into the request body, e.g. `/model/status`.
    pub pointer: String,
}

/// A warning (the write happened) or an error (it did not) about a write request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "source": {"pointer": "/model/surprise"},
    "title": "Unrecognized Field",
    "detail": "An unrecognized field, surprise, was passed in with request data.",
    "problem_type": "UNRECOGNIZED_FIELD"
}))]
pub struct ValidationProblem {
    /// Where the problem is; omitted when it is not about one field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<ValidationProblemSource>,
    /// A short title.
    pub title: String,
    /// What is wrong.
    pub detail: String,
    /// A machine-readable kind, e.g. `MISSING_REQUIRED_FIELD`.
    pub problem_type: String,
}

impl ValidationProblem {
    /// A problem without a source.
    pub fn new(
        problem_type: impl Into<String>,
        title: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        ValidationProblem {
            source: None,
            title: title.into(),
            detail: detail.into(),
            problem_type: problem_type.into(),
        }
    }

    /// The same problem, located at a JSON pointer (e.g. `/model/status`).
    pub fn at(mut self, pointer: impl Into<String>) -> Self {
        self.source = Some(ValidationProblemSource {
            pointer: pointer.into(),
        });
        self
    }
}

/// The summary of one third-party request made while handling a write (debug mode).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DebugModelLogSummary {
    /// The URL requested.
    pub url: String,
    /// The HTTP method.
    pub method: String,
    /// The third party's HTTP status.
    pub status_code: i32,
}

/// A log of a third-party request, returned with `is_debug_mode=true`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DebugModeLog {
    /// The log's id.
    pub log_id: String,
    /// Where to see the log.
    pub dashboard_view: String,
    /// The request's summary.
    pub log_summary: DebugModelLogSummary,
}

/// Declares a write response envelope for a model.
macro_rules! write_response {
    ($(#[$meta:meta])* $name:ident, $model:ty) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
        pub struct $name {
            /// The record as written.
            pub model: $model,
            /// Problems that did not stop the write.
            pub warnings: Vec<ValidationProblem>,
            /// Problems that stopped the write.
            pub errors: Vec<ValidationProblem>,
            /// Third-party request logs; present only with `is_debug_mode=true`.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub logs: Option<Vec<DebugModeLog>>,
        }

        impl $name {
            /// A response with no warnings, errors or logs.
            pub fn new(model: $model) -> Self {
                $name { model, warnings: Vec::new(), errors: Vec::new(), logs: None }
            }
        }
    };
}

write_response!(
    /// Response of POST `/tickets` (201) and PATCH `/tickets/{id}` (200).
    TicketResponse,
    Ticket
);
write_response!(
    /// Response of POST `/comments`.
    CommentResponse,
    Comment
);
write_response!(
    /// Response of POST `/contacts`.
    TicketingContactResponse,
    Contact
);
write_response!(
    /// Response of POST `/attachments`.
    TicketingAttachmentResponse,
    Attachment
);

/// Whether the linked account can take requests (part of [`MetaResponse`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LinkedAccountStatus {
    /// The linked account's status, e.g. `COMPLETE`.
    pub linked_account_status: String,
    /// Whether requests can be made for it.
    pub can_make_request: bool,
}

/// What a write endpoint accepts for this linked account (`/…/meta/post`, `/…/meta/patch/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "request_schema": {"type": "object", "properties": {"name": {"type": "string"}}},
    "remote_field_classes": {},
    "status": {"linked_account_status": "COMPLETE", "can_make_request": true},
    "has_conditional_params": false,
    "has_required_linked_account_params": false
}))]
pub struct MetaResponse {
    /// A JSON-schema-like description of the request's `model`.
    pub request_schema: Map<String, Value>,
    /// Remote field classes that can be written, by id.
    #[serde(default)]
    pub remote_field_classes: Option<Map<String, Value>>,
    /// The linked account's status.
    #[serde(default)]
    pub status: Option<LinkedAccountStatus>,
    /// Whether some parameters depend on others.
    pub has_conditional_params: bool,
    /// Whether `linked_account_params` has required entries.
    pub has_required_linked_account_params: bool,
}
