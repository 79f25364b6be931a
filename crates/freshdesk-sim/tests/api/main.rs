//! Integration tests of the Freshdesk simulator over HTTP.
#![allow(missing_docs, clippy::unwrap_used)]

mod auth;
mod common;
mod conformance;
mod control;
mod faults;
mod pagination;
mod push;
mod ratelimit;
mod scale;
mod search;
mod writes;
