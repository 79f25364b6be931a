//! A response validator: checks an HTTP exchange against the committed OpenAPI document
//! (`openapi/openapi.json`).
//!
//! For a request's method and path it finds the operation (path templates, literal segments
//! preferred over parameters), then the response of the answered status (exact code, `4XX`,
//! then `default`), and checks:
//!
//! - the status is documented for the operation;
//! - the `Content-Type` is one the response documents (none documented: the body is empty);
//! - a JSON body validates against the response's schema (JSON Schema 2020-12, as OpenAPI 3.1
//!   schemas are; `$ref`s resolved inside the document; `format`s such as `uuid` and
//!   `date-time` asserted), with every object closed: a property the schema does not name is
//!   an error, so the field names the server sends are exactly the documented ones.
//!
//! OpenAPI 3.0's `nullable: true` is turned into its 3.1 form (`null` added to `type`, or a
//! `null` alternative) before compiling, so documents of either version validate alike.
//! A path no operation matches must be answered 404 or 405 with the `ErrorDetail` body (the
//! API's fallback). Validators are compiled once per response and cached.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{Value, json};

mod schema;

use schema::{all_of_members, fragment_encode, is_json, media_matches, normalize};

/// The committed spec's path: `openapi/openapi.json` at the workspace root.
pub fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../openapi/openapi.json")
}

/// The committed spec, loaded once per process.
pub fn committed() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(|| {
        let path = committed_path();
        Spec::load(&path).unwrap_or_else(|e| panic!("cannot load {}: {e}", path.display()))
    })
}

/// One HTTP exchange to check.
#[derive(Debug, Clone, Copy)]
pub struct Exchange<'a> {
    /// The request's method (`GET`, `post`, …).
    pub method: &'a str,
    /// The request's path, with or without its query string.
    pub path: &'a str,
    /// The answered status.
    pub status: u16,
    /// The answer's `Content-Type` header, if any.
    pub content_type: Option<&'a str>,
    /// The answer's body.
    pub body: &'a [u8],
}

/// Why an exchange does not conform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// `METHOD /path` as requested.
    pub request: String,
    /// The operation it matched (`GET /api/ticketing/v1/tickets/{id}`), if any.
    pub operation: Option<String>,
    /// The answered status.
    pub status: u16,
    /// What is wrong, one line each.
    pub problems: Vec<String>,
    /// The start of the body, for the message.
    pub body: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} answered {} ", self.request, self.status)?;
        match &self.operation {
            Some(op) => write!(f, "(operation {op})")?,
            None => write!(f, "(no operation)")?,
        }
        writeln!(f, " does not match openapi/openapi.json:")?;
        for p in &self.problems {
            writeln!(f, "  - {p}")?;
        }
        write!(f, "  body: {}", self.body)?;
        if self.problems.iter().any(|p| p.contains("not documented")) {
            write!(
                f,
                "\n  (if the code changed, regenerate the spec: UPDATE_OPENAPI=1 cargo test -p deskbridge-api --test openapi)"
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for Mismatch {}

/// What a successful check covered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The operation (`GET /api/ticketing/v1/tickets`), or `None` for the fallback.
    pub operation: Option<String>,
    /// Whether a JSON body was validated against a schema.
    pub schema_validated: bool,
}

#[derive(Debug)]
struct Operation {
    method: String,
    template: String,
    segments: Vec<Option<String>>,
}

/// A loaded OpenAPI document, ready to check exchanges.
pub struct Spec {
    doc: Value,
    /// The document with nullable forms converted and objects closed: the root of every
    /// compiled validator.
    schema_root: Arc<Value>,
    operations: Vec<Operation>,
    validators: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

impl fmt::Debug for Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Spec")
            .field("operations", &self.operations.len())
            .finish()
    }
}

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Escapes one JSON-pointer token.
fn pointer_token(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

fn split_path(path: &str) -> Vec<&str> {
    path.trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect()
}

impl Spec {
    /// Loads a document from a JSON file.
    pub fn load(path: &Path) -> Result<Spec, String> {
        let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
        let doc: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        Ok(Spec::new(doc))
    }

    /// A spec of an OpenAPI document.
    pub fn new(doc: Value) -> Spec {
        let mut operations = Vec::new();
        if let Some(paths) = doc["paths"].as_object() {
            for (template, item) in paths {
                for method in METHODS {
                    if item.get(*method).is_some() {
                        operations.push(Operation {
                            method: method.to_string(),
                            template: template.clone(),
                            segments: split_path(template)
                                .into_iter()
                                .map(|s| {
                                    (!(s.starts_with('{') && s.ends_with('}')))
                                        .then(|| s.to_string())
                                })
                                .collect(),
                        });
                    }
                }
            }
        }
        let mut root = doc.clone();
        let no_close = all_of_members(&root);
        normalize(&mut root, &no_close, "#");
        if let Some(o) = root.as_object_mut() {
            o.insert(
                "$schema".into(),
                json!("https://json-schema.org/draft/2020-12/schema"),
            );
        }
        Spec {
            doc,
            schema_root: Arc::new(root),
            operations,
            validators: Mutex::new(HashMap::new()),
        }
    }

    /// The document as loaded.
    pub fn document(&self) -> &Value {
        &self.doc
    }

    /// Every operation as `(METHOD, path template)`.
    pub fn operations(&self) -> Vec<(String, String)> {
        self.operations
            .iter()
            .map(|o| (o.method.to_uppercase(), o.template.clone()))
            .collect()
    }

    /// The operation object of `method template`.
    pub fn operation(&self, method: &str, template: &str) -> Option<&Value> {
        self.doc["paths"]
            .get(template)?
            .get(method.to_ascii_lowercase())
    }

    /// The path template an actual path matches, for a method (`None`: no operation).
    pub fn match_operation(&self, method: &str, path: &str) -> Option<String> {
        self.find(Some(method), path).map(|o| o.template.clone())
    }

    fn find(&self, method: Option<&str>, path: &str) -> Option<&Operation> {
        let path = path.split(['?', '#']).next().unwrap_or_default();
        let actual = split_path(path);
        let method = method.map(str::to_ascii_lowercase);
        self.operations
            .iter()
            .filter(|o| method.as_ref().is_none_or(|m| *m == o.method))
            .filter(|o| {
                o.segments.len() == actual.len()
                    && o.segments
                        .iter()
                        .zip(&actual)
                        .all(|(t, a)| t.as_deref().is_none_or(|t| t == *a))
            })
            // The most literal template wins (`/tickets/remote-field-classes` over `/tickets/{id}`),
            // comparing from the first segment.
            .max_by_key(|o| {
                o.segments
                    .iter()
                    .map(|s| s.is_some())
                    .collect::<Vec<bool>>()
            })
    }

    /// Checks one exchange; `Ok` says what was covered.
    pub fn check(&self, ex: &Exchange<'_>) -> Result<Checked, Mismatch> {
        let path_only = ex.path.split(['?', '#']).next().unwrap_or_default();
        let mut problems = Vec::new();
        let media = ex
            .content_type
            .map(|c| {
                c.split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_ascii_lowercase()
            })
            .filter(|c| !c.is_empty());
        let mismatch = |operation: Option<String>, problems: Vec<String>| Mismatch {
            request: format!("{} {}", ex.method.to_uppercase(), ex.path),
            operation,
            status: ex.status,
            problems,
            body: match std::str::from_utf8(ex.body) {
                Ok(text) => text.chars().take(600).collect(),
                Err(_) => format!("<{} bytes>", ex.body.len()),
            },
        };
        let Some(op) = self.find(Some(ex.method), path_only) else {
            // The fallback: unknown paths 404, known paths with another method 405, both as
            // `{"detail"}`.
            let known_path = self.find(None, path_only).is_some();
            let expected = if known_path { 405 } else { 404 };
            if ex.status != expected {
                let what = if known_path {
                    "the method is not documented for this path"
                } else {
                    "the path is not documented"
                };
                problems.push(format!(
                    "{what}: expected the fallback's {expected}, got {}",
                    ex.status
                ));
            }
            let validated = self.check_json_against(
                "#/components/schemas/ErrorDetail",
                media.as_deref(),
                ex.body,
                &mut problems,
            );
            return if problems.is_empty() {
                Ok(Checked {
                    operation: None,
                    schema_validated: validated,
                })
            } else {
                Err(mismatch(None, problems))
            };
        };
        let name = format!("{} {}", op.method.to_uppercase(), op.template);
        let op_pointer = format!("#/paths/{}/{}", pointer_token(&op.template), op.method);
        let responses = &self.doc["paths"][&op.template][&op.method]["responses"];
        let code = ex.status.to_string();
        let class = format!("{}XX", ex.status / 100);
        let key = [code.as_str(), class.as_str(), "default"]
            .into_iter()
            .find(|k| responses.get(*k).is_some());
        let Some(key) = key else {
            let documented: Vec<&String> = responses
                .as_object()
                .map(|r| r.keys().collect())
                .unwrap_or_default();
            problems.push(format!(
                "status {} is not documented (documented: {documented:?})",
                ex.status
            ));
            return Err(mismatch(Some(name), problems));
        };
        let mut response = &responses[key];
        let mut response_pointer = format!("{op_pointer}/responses/{key}");
        if let Some(r) = response.get("$ref").and_then(Value::as_str) {
            response_pointer = r.to_string();
            response = self.resolve(r).unwrap_or(&Value::Null);
        }
        let mut validated = false;
        match response
            .get("content")
            .and_then(Value::as_object)
            .filter(|c| !c.is_empty())
        {
            None => {
                if !ex.body.is_empty() {
                    problems.push(format!(
                        "the response documents no content, yet the body has {} bytes ({:?})",
                        ex.body.len(),
                        ex.content_type
                    ));
                }
            }
            Some(content) => match media.as_deref() {
                None => problems.push(format!(
                    "no Content-Type; documented: {:?}",
                    content.keys().collect::<Vec<_>>()
                )),
                Some(m) => match content.keys().find(|k| media_matches(k, m)) {
                    None => problems.push(format!(
                        "Content-Type `{m}` is not documented; documented: {:?}",
                        content.keys().collect::<Vec<_>>()
                    )),
                    Some(k) => {
                        if is_json(m) && content[k].get("schema").is_some() {
                            let pointer =
                                format!("{response_pointer}/content/{}/schema", pointer_token(k));
                            validated =
                                self.check_json_against(&pointer, Some(m), ex.body, &mut problems);
                        }
                    }
                },
            },
        }
        if problems.is_empty() {
            Ok(Checked {
                operation: Some(name),
                schema_validated: validated,
            })
        } else {
            Err(mismatch(Some(name), problems))
        }
    }

    /// Parses a JSON body and validates it against the schema at `pointer`; true when it was.
    fn check_json_against(
        &self,
        pointer: &str,
        media: Option<&str>,
        body: &[u8],
        problems: &mut Vec<String>,
    ) -> bool {
        match media {
            Some(m) if is_json(m) => {}
            Some(m) => {
                problems.push(format!("expected a JSON body, got Content-Type `{m}`"));
                return false;
            }
            None => {
                problems.push("expected a JSON body, got no Content-Type".into());
                return false;
            }
        }
        let value: Value = match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(e) => {
                problems.push(format!("the body is not JSON: {e}"));
                return false;
            }
        };
        match self.validator(pointer) {
            Ok(v) => {
                for e in v.iter_errors(&value) {
                    problems.push(format!(
                        "at `{}`: {e} (schema {})",
                        e.instance_path(),
                        e.schema_path()
                    ));
                    if problems.len() > 20 {
                        problems.push("…".into());
                        break;
                    }
                }
            }
            Err(e) => problems.push(format!("the schema at {pointer} does not compile: {e}")),
        }
        true
    }

    /// The validator of the schema at a JSON pointer of the document (`#/…`), compiled once.
    pub fn validator(&self, pointer: &str) -> Result<Arc<jsonschema::Validator>, String> {
        if let Some(v) = self
            .validators
            .lock()
            .map_err(|e| e.to_string())?
            .get(pointer)
        {
            return Ok(v.clone());
        }
        let mut root = (*self.schema_root).clone();
        if let Some(o) = root.as_object_mut() {
            o.insert("$ref".into(), Value::String(fragment_encode(pointer)));
        }
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&root)
            .map_err(|e| e.to_string())?;
        let validator = Arc::new(validator);
        self.validators
            .lock()
            .map_err(|e| e.to_string())?
            .insert(pointer.to_string(), validator.clone());
        Ok(validator)
    }

    /// Validates a value against the schema at a JSON pointer; the problems, if any.
    pub fn validate_value(&self, pointer: &str, value: &Value) -> Vec<String> {
        match self.validator(pointer) {
            Ok(v) => v
                .iter_errors(value)
                .map(|e| format!("at `{}`: {e}", e.instance_path()))
                .collect(),
            Err(e) => vec![format!("the schema at {pointer} does not compile: {e}")],
        }
    }

    fn resolve(&self, pointer: &str) -> Option<&Value> {
        self.doc.pointer(pointer.strip_prefix('#')?)
    }
}
#[cfg(test)]
mod tests;
