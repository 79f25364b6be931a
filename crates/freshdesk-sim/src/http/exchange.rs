//! What passes between the HTTP front and the resource routes: the parsed request and what a
//! route produced (kept apart from the front so that routes need not import it).

use axum::body::Bytes;
use axum::http::Method;
use axum::response::Response;

use super::query::Query;

/// A parsed API request handed to the resource routes.
#[derive(Debug)]
pub struct Req {
    /// Method.
    pub method: Method,
    /// Path segments after `/api/v2/`.
    pub segs: Vec<String>,
    /// Query.
    pub query: Query,
    /// Body.
    pub body: Bytes,
    /// Content-Type header.
    pub content_type: Option<String>,
    /// `http://host` from the Host header.
    pub base: String,
    /// Full request path (with any `/d/{subdomain}` prefix).
    pub path: String,
    /// The agent owning the key.
    pub me: i64,
}

impl Req {
    /// `Link` value for the next page.
    pub fn next_link(&self, page: u64) -> String {
        format!(
            "<{}{}?{}>; rel=\"next\"",
            self.base,
            self.path,
            self.query.with_page(page)
        )
    }
}

/// What a route produced.
pub struct Outcome {
    /// Response.
    pub resp: Response,
    /// Credits beyond the base 1.
    pub extra: u64,
}

impl From<Response> for Outcome {
    fn from(resp: Response) -> Self {
        Outcome { resp, extra: 0 }
    }
}
