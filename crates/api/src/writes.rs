//! What every write endpoint shares: Merge's `{"model": …}` bodies checked field by field,
//! relations resolved from Deskbridge ids to remote ids, the provider call, the result
//! upserted locally at once (so the next read shows it), and Merge's
//! `{model, warnings, errors, logs?}` answers. The endpoints are in `ticket_writes`,
//! `comment_writes` and `contact_writes`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::http::StatusCode;
use deskbridge_model::{
    DebugModeLog, DebugModelLogSummary, ModelKind, ModelRequest, Patch, ValidationProblem,
    record_id,
};
use deskbridge_provider::{
    CustomFieldWrite, FieldProblem, ProviderError, TicketingProvider, WriteContext, WriteOutcome,
    WriteWarning,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::extract::AccountAuth;
use crate::idempotency::{Ledger, WriteReply};
use crate::records::record_json;
use crate::state::AppState;
use crate::write_query::WriteQuery;

/// The answer of a write that did not happen: Merge's problems, nothing stored anywhere.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"warnings": [], "errors": [{
    "source": {"pointer": "/model/ticket_type"},
    "title": "Invalid Value",
    "detail": "Freshdesk rejected `type`: It should be one of these values: 'Question,Incident,Problem,Feature Request,Refund'",
    "problem_type": "ERROR"
}]}))]
pub struct WriteErrorResponse {
    /// Problems that did not stop the request by themselves.
    pub warnings: Vec<ValidationProblem>,
    /// Problems that stopped the write.
    pub errors: Vec<ValidationProblem>,
    /// The helpdesk calls made; only with `is_debug_mode=true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logs: Option<Vec<DebugModeLog>>,
}

/// The answer of a write that happened: Merge's `{model, warnings, errors}`. The model stays
/// a JSON map: it is rendered from the stored fields, as every read renders it.
#[derive(Debug, Serialize)]
struct WriteBody {
    model: Map<String, Value>,
    warnings: Vec<ValidationProblem>,
    errors: Vec<ValidationProblem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    logs: Option<Vec<DebugModeLog>>,
}

/// A 400 with Merge's problems ([`ApiError::Rejected`]).
pub fn errors_reply(errors: Vec<ValidationProblem>, warnings: Vec<ValidationProblem>) -> ApiError {
    ApiError::Rejected { errors, warnings }
}

/// Merge's problem type and title of a helpdesk error code.
fn problem_kind(code: &str) -> (&'static str, &'static str) {
    match code {
        "missing_field" => ("MISSING_REQUIRED_FIELD", "Missing Required Field"),
        "datatype_mismatch" => ("INCORRECT_FIELD_TYPE", "Incorrect Field Type"),
        "duplicate_value" => ("DUPLICATE_MODEL_EXISTS", "Duplicate Model Exists"),
        "invalid_field" => ("UNRECOGNIZED_FIELD", "Unrecognized Field"),
        _ => ("ERROR", "Invalid Value"),
    }
}

/// A helpdesk validation problem (field = JSON pointer) as Merge's problem.
pub fn problem_of(p: FieldProblem) -> ValidationProblem {
    let (kind, title) = problem_kind(&p.code);
    let problem = ValidationProblem::new(kind, title, p.message);
    if p.field.is_empty() {
        problem
    } else {
        problem.at(p.field)
    }
}

fn warning_of(w: WriteWarning) -> ValidationProblem {
    let problem = ValidationProblem::new(w.problem_type, w.title, w.detail);
    match w.pointer {
        Some(p) => problem.at(p),
        None => problem,
    }
}

/// Parses `{"model": {...}}` into `T`; a wrong body is a 400 with one problem per bad field.
pub fn parse_model<T: DeserializeOwned + ModelRequest>(
    raw: &Value,
) -> Result<(T, Map<String, Value>), ApiError> {
    let Some(model) = raw.get("model") else {
        let p = ValidationProblem::new(
            "MISSING_REQUIRED_FIELD",
            "Missing Required Field",
            "The body must be {\"model\": {...}}.",
        )
        .at("/model");
        return Err(errors_reply(vec![p], vec![]));
    };
    let Some(map) = model.as_object() else {
        let p = ValidationProblem::new(
            "INCORRECT_FIELD_TYPE",
            "Incorrect Field Type",
            "`model` must be an object.",
        )
        .at("/model");
        return Err(errors_reply(vec![p], vec![]));
    };
    match serde_json::from_value::<T>(model.clone()) {
        Ok(t) => Ok((t, map.clone())),
        Err(e) => {
            // Find the fields to blame: each known field alone.
            let mut errors = Vec::new();
            for (k, v) in map {
                if !T::FIELDS.contains(&k.as_str()) {
                    continue;
                }
                let mut one = Map::new();
                one.insert(k.clone(), v.clone());
                if let Err(fe) = serde_json::from_value::<T>(Value::Object(one)) {
                    errors.push(
                        ValidationProblem::new(
                            "INCORRECT_FIELD_TYPE",
                            "Incorrect Field Type",
                            format!("`{k}`: {fe}"),
                        )
                        .at(format!("/model/{k}")),
                    );
                }
            }
            if errors.is_empty() {
                errors.push(
                    ValidationProblem::new(
                        "INCORRECT_FIELD_TYPE",
                        "Incorrect Field Type",
                        e.to_string(),
                    )
                    .at("/model"),
                );
            }
            Err(errors_reply(errors, vec![]))
        }
    }
}

/// Warnings for fields of `model` that `T` does not know (ignored, as Merge does).
pub fn unknown_field_warnings<T: ModelRequest>(
    model: &Map<String, Value>,
) -> Vec<ValidationProblem> {
    T::unknown_fields(model)
        .into_iter()
        .map(|k| {
            ValidationProblem::new(
                "UNRECOGNIZED_FIELD",
                "Unrecognized Field",
                format!("An unrecognized field, {k}, was passed in with request data."),
            )
            .at(format!("/model/{k}"))
        })
        .collect()
}

/// Deskbridge ids to resolve to remote ids, each with where it is in the request.
#[derive(Debug, Default)]
pub struct Refs {
    items: Vec<(ModelKind, Uuid, String)>,
}

impl Refs {
    /// One relation.
    pub fn one(&mut self, kind: ModelKind, id: Option<&Uuid>, pointer: &str) {
        if let Some(id) = id {
            self.items.push((kind, *id, pointer.to_string()));
        }
    }

    /// A list relation (`pointer/i` for each).
    pub fn list(&mut self, kind: ModelKind, ids: Option<&Vec<Uuid>>, pointer: &str) {
        for (i, id) in ids.into_iter().flatten().enumerate() {
            self.items.push((kind, *id, format!("{pointer}/{i}")));
        }
    }
}

/// Remote ids of resolved relations.
#[derive(Debug, Default)]
pub struct Resolved(HashMap<(ModelKind, Uuid), String>);

impl Resolved {
    /// The remote id of a resolved id.
    pub fn get(&self, kind: ModelKind, id: &Uuid) -> Option<String> {
        self.0.get(&(kind, *id)).cloned()
    }

    /// A patch of ids as a patch of remote ids.
    pub fn patch(&self, kind: ModelKind, p: &Patch<Uuid>) -> Patch<String> {
        match p {
            Patch::Absent => Patch::Absent,
            Patch::Null => Patch::Null,
            Patch::Value(id) => self.get(kind, id).map_or(Patch::Absent, Patch::Value),
        }
    }

    /// A patch of id lists as a patch of remote id lists.
    pub fn patch_list(&self, kind: ModelKind, p: &Patch<Vec<Uuid>>) -> Patch<Vec<String>> {
        match p {
            Patch::Absent => Patch::Absent,
            Patch::Null => Patch::Null,
            Patch::Value(ids) => {
                Patch::Value(ids.iter().filter_map(|id| self.get(kind, id)).collect())
            }
        }
    }
}

/// One write of one request: the account's provider, its metadata and the debug flag.
pub struct Writer<'a> {
    /// The state.
    pub state: &'a AppState,
    /// The caller and the linked account.
    pub auth: &'a AccountAuth,
    /// The account's adapter.
    pub provider: Arc<dyn TicketingProvider>,
    /// Stored metadata for the adapter.
    pub ctx: WriteContext,
    /// `is_debug_mode`.
    pub debug: bool,
    /// Where the write reports how far it got (see [`crate::idempotency`]).
    pub ledger: Ledger,
}

impl<'a> Writer<'a> {
    /// Builds the linked account's adapter and loads the metadata its writes need.
    pub async fn new(
        state: &'a AppState,
        auth: &'a AccountAuth,
        q: &WriteQuery,
        ledger: Ledger,
    ) -> ApiResult<Writer<'a>> {
        let debug = q.debug;
        let provider = build_provider(state, auth).await?;
        let ctx = write_context(state, auth).await?;
        Ok(Writer {
            state,
            auth,
            provider,
            ctx,
            debug,
            ledger,
        })
    }

    /// Call just before the helpdesk call: from here on the write may have happened, and its
    /// idempotency key is never freed.
    pub async fn sending(&self) -> ApiResult<()> {
        self.ledger.sending().await
    }

    /// Resolves ids to remote ids; unknown ids are problems at their pointers.
    pub async fn resolve(&self, refs: &Refs) -> ApiResult<(Resolved, Vec<ValidationProblem>)> {
        let mut by_kind: BTreeMap<ModelKind, Vec<Uuid>> = BTreeMap::new();
        for (k, id, _) in &refs.items {
            by_kind.entry(*k).or_default().push(*id);
        }
        let mut out = Resolved::default();
        for (kind, ids) in by_kind {
            let rows = self
                .state
                .store
                .records_by_ids(self.auth.org.id, self.auth.account.id, kind, &ids, false)
                .await?;
            for r in rows {
                out.0.insert((kind, r.id), r.remote_id);
            }
        }
        let problems = refs
            .items
            .iter()
            .filter(|(k, id, _)| out.get(*k, id).is_none())
            .map(|(k, id, pointer)| {
                ValidationProblem::new(
                    "ERROR",
                    "Related Record Not Found",
                    format!(
                        "No {} with id {id} exists in this linked account.",
                        k.name()
                    ),
                )
                .at(pointer.clone())
            })
            .collect();
        Ok((out, problems))
    }

    /// Custom field values from `remote_fields` (by remote field class id) and from
    /// `integration_params.custom_fields` (by Freshdesk key).
    pub fn custom_fields(
        &self,
        remote_fields: &[deskbridge_model::RemoteFieldRequest],
        integration_params: Option<&Map<String, Value>>,
        problems: &mut Vec<ValidationProblem>,
    ) -> Vec<CustomFieldWrite> {
        let la = &self.auth.account;
        let classes = crate::remote_fields::remote_field_classes(
            self.state,
            la.id,
            &la.integration,
            &self.ctx.metadata,
        );
        let mut out = Vec::new();
        for (i, rf) in remote_fields.iter().enumerate() {
            let id = rf.remote_field_class.to_string();
            let name = classes
                .iter()
                .find(|c| c["id"].as_str() == Some(id.as_str()))
                .and_then(|c| c["remote_key_name"].as_str());
            match name {
                Some(n) => out.push(CustomFieldWrite {
                    key: n.to_string(),
                    value: rf.value.clone(),
                    pointer: format!("/model/remote_fields/{i}/value"),
                }),
                None => problems.push(
                    ValidationProblem::new(
                        "ERROR",
                        "Unknown Remote Field Class",
                        format!("No remote field class {id} exists for this linked account (see GET /tickets/remote-field-classes)."),
                    )
                    .at(format!("/model/remote_fields/{i}/remote_field_class")),
                ),
            }
        }
        match integration_params.and_then(|p| p.get("custom_fields")) {
            None | Some(Value::Null) => {}
            Some(Value::Object(m)) => out.extend(m.iter().map(|(k, v)| CustomFieldWrite {
                key: k.clone(),
                value: v.clone(),
                pointer: format!("/model/integration_params/custom_fields/{k}"),
            })),
            Some(_) => problems.push(
                ValidationProblem::new(
                    "INCORRECT_FIELD_TYPE",
                    "Incorrect Field Type",
                    "`integration_params.custom_fields` must be an object of the helpdesk's custom field keys.",
                )
                .at("/model/integration_params/custom_fields"),
            ),
        }
        out
    }

    /// Stores the written record (and its related records) at once, then answers Merge's
    /// `{model, warnings, errors: [], logs?}` with `status`.
    pub async fn finish(
        &self,
        kind: ModelKind,
        outcome: WriteOutcome,
        mut warnings: Vec<ValidationProblem>,
        status: StatusCode,
    ) -> ApiResult<WriteReply> {
        let la = self.auth.account.id;
        self.ledger.written(&outcome.record.remote_id).await;
        let mut records = Vec::with_capacity(1 + outcome.related.len());
        records.push(outcome.record.clone());
        records.extend(outcome.related);
        let mut counts = deskbridge_sync::Counts::new();
        deskbridge_sync::write_records(&self.state.store, la, &records, &mut counts).await?;
        let id = record_id(la.as_uuid(), kind, &outcome.record.remote_id);
        let row = self
            .state
            .store
            .records_by_ids(self.auth.org.id, la, kind, &[id], false)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::Internal("a written record was not found".into()))?;
        warnings.extend(outcome.warnings.into_iter().map(warning_of));
        let body = WriteBody {
            model: record_json(kind, &row),
            warnings,
            errors: Vec::new(),
            logs: self.debug.then(|| logs(&outcome.calls)),
        };
        let body = serde_json::to_value(body)
            .map_err(|e| ApiError::Internal(format!("a write's answer: {e}")))?;
        Ok(WriteReply { status, body })
    }

    /// The answer to a provider failure: its validation problems as a Merge 400; a record
    /// gone at the helpdesk as 404; the rest as the linking errors are (429, 502, …).
    pub fn failure(
        &self,
        e: ProviderError,
        warnings: Vec<ValidationProblem>,
    ) -> ApiResult<WriteReply> {
        // Only these answers say that the helpdesk did not write; after a 5xx, a timeout, a
        // reset or an answer we cannot read it may have.
        if !matches!(e, ProviderError::Transient(_) | ProviderError::Protocol(_)) {
            self.ledger.refused();
        }
        match e {
            ProviderError::Validation(problems) => Err(errors_reply(
                problems.into_iter().map(problem_of).collect(),
                warnings,
            )),
            ProviderError::NotFound => Err(ApiError::NotFound(
                "The record no longer exists in the helpdesk; the next sync will mark it deleted."
                    .into(),
            )),
            ProviderError::Unsupported(what) => Err(ApiError::bad(format!(
                "This integration does not support {what}."
            ))),
            other => Err(self
                .state
                .provider_error(&self.auth.account.integration, other)),
        }
    }
}

fn logs(calls: &[deskbridge_provider::ProviderCall]) -> Vec<DebugModeLog> {
    calls
        .iter()
        .map(|c| DebugModeLog {
            log_id: Uuid::new_v4().to_string(),
            dashboard_view: String::new(),
            log_summary: DebugModelLogSummary {
                url: c.url.clone(),
                method: c.method.clone(),
                status_code: i32::from(c.status),
            },
        })
        .collect()
}

/// The linked account's adapter (shares the account's rate budget with its syncs).
pub async fn build_provider(
    state: &AppState,
    auth: &AccountAuth,
) -> ApiResult<Arc<dyn TicketingProvider>> {
    let la = &auth.account;
    let creds = state.store.account_credentials(la.id).await?;
    state
        .providers
        .build(&la.integration, la.id.as_uuid(), &creds)
        .map_err(|e| state.provider_error(&la.integration, e))
}

/// The stored metadata a write may need (the integration's metadata keys, e.g. Freshdesk's
/// `ticket_fields`).
pub async fn write_context(state: &AppState, auth: &AccountAuth) -> ApiResult<WriteContext> {
    let la = &auth.account;
    let metadata = state
        .account_metadata(auth.org.id, la.id, &la.integration)
        .await?;
    Ok(WriteContext { metadata })
}

/// `Some(v)` as a patch value, `None` as absent (create bodies cannot clear).
pub fn present<T: Clone>(v: &Option<T>) -> Patch<T> {
    v.clone().map_or(Patch::Absent, Patch::Value)
}

/// Whether a field was sent with something to write (a non-empty list, any other value).
pub fn has_value<T>(p: &Patch<T>, is_empty: impl Fn(&T) -> bool) -> bool {
    matches!(p, Patch::Value(v) if !is_empty(v))
}
