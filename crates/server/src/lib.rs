//! The `deskbridge` server: subcommands and the wiring that runs the API and the workers.

pub mod cli;
pub mod commands;
pub mod demo;
pub mod keys;
pub mod runtime;
pub mod serve;
