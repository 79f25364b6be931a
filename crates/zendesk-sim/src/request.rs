//! The parsed, authenticated request the HTTP front hands to the resource routes (kept apart
//! from the front so that routes need not import it).

use axum::body::Bytes;
use axum::http::Method;

use crate::render::Ctx;
use crate::store::User;

/// A parsed, authenticated API request.
#[derive(Debug)]
pub struct Req {
    /// Method.
    pub method: Method,
    /// Path segments after `/api/v2/`, with any `.json` suffix removed.
    pub segs: Vec<String>,
    /// Query pairs, decoded, in order.
    pub query: Vec<(String, String)>,
    /// Body.
    pub body: Bytes,
    /// The authenticated user.
    pub me: User,
    /// Render context of the account.
    pub ctx: Ctx,
}

impl Req {
    /// The first value of a query parameter.
    pub fn q(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether `include=` names this side-load.
    pub fn includes(&self, what: &str) -> bool {
        self.q("include")
            .is_some_and(|v| v.split(',').any(|p| p.trim() == what))
    }

    /// Whether the caller is an agent or admin.
    pub fn is_staff(&self) -> bool {
        self.me.role != "end-user"
    }
}
