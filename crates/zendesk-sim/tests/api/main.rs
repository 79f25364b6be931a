//! Integration tests of the Zendesk simulator over HTTP (loopback only).
#![allow(missing_docs, clippy::unwrap_used)]

mod auth;
mod common;
mod conformance;
mod conformance_errors;
mod control;
mod exports;
mod lists;
mod push;
mod ratelimit;
mod writes;
