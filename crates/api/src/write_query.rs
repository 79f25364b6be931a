//! The query of every write endpoint, parsed at the edge (see `extract::Parsed`).

use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::ApiError;
use crate::params;

/// Query parameters of every write endpoint.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WriteParams {
    /// Add `logs`: one entry per call made to the helpdesk for this write.
    #[param(value_type = Option<bool>)]
    pub is_debug_mode: Option<String>,
    /// Accepted for compatibility; Deskbridge always writes synchronously, so the answer is
    /// the finished write (as if `run_async` were false).
    #[param(value_type = Option<bool>)]
    pub run_async: Option<String>,
}

/// The write endpoints' query as the handlers see it, checked before the handler runs.
#[derive(Debug, Clone, Copy)]
pub struct WriteQuery {
    /// `is_debug_mode`.
    pub debug: bool,
}

impl params::FromQuery for WriteQuery {
    type Raw = WriteParams;

    fn parse(p: WriteParams) -> Result<Self, ApiError> {
        let debug = params::boolean("is_debug_mode", &p.is_debug_mode)?;
        // Accepted and checked, never acted on: every write is synchronous.
        params::boolean("run_async", &p.run_async)?;
        Ok(WriteQuery { debug })
    }
}
