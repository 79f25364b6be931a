//! Request bodies of the write routes: the `{"<root>": {…}}` envelope every one of them takes.

use serde_json::{Map, Value};

use crate::errors::ApiError;

/// Parses `{"<root>": {…}}`.
pub fn envelope(body: &[u8], root: &str) -> Result<Map<String, Value>, ApiError> {
    let v: Value = serde_json::from_slice(body).map_err(|_| {
        ApiError::BadRequest("InvalidJSON", "The request body is not valid JSON".into())
    })?;
    match v.get(root) {
        Some(Value::Object(m)) => Ok(m.clone()),
        _ => Err(ApiError::BadRequest(
            "InvalidParameter",
            format!("Parameter {root} is required"),
        )),
    }
}
