//! What an adapter crate tells Deskbridge about its helpdesk, so that nothing outside the
//! adapter needs to know it: its name and look, its credential fields (as data, from which the
//! API's request schema and the Link page's form are both rendered), how to check them and
//! build a [`TicketingProvider`], and the wording of its refusals.

use std::sync::Arc;

use deskbridge_model::ModelKind;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::display::RemoteFieldClassDef;
use crate::push::{PushRefusal, PushRequest, PushSetup, PushVerified};
use crate::{IntegrationInfo, ProviderError, TicketingProvider};

/// A linked account's credentials: a JSON object whose keys are the integration's
/// [`CredentialField`] names.
pub type Credentials = Map<String, Value>;

/// One credential an end user types in, described once so that the OpenAPI schema, the Link
/// page's form and the server-side check cannot disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CredentialField {
    /// The key in the credentials object and the form field's name, e.g. `api_key`.
    pub name: &'static str,
    /// The form label, e.g. `API key`.
    pub label: &'static str,
    /// Plain-text help shown under the field and used as the schema's description.
    pub help: &'static str,
    /// Optional steps ("where do I find it?"), shown folded under the field.
    pub steps: &'static [&'static str],
    /// The form's placeholder and the schema's example.
    pub example: &'static str,
    /// True for secrets: a password input, never echoed back, redacted from logs.
    pub secret: bool,
    /// The longest value accepted (characters, after trimming).
    pub max_len: usize,
    /// What the Link page says when the field is left empty.
    pub missing: &'static str,
}

/// How an integration looks on the Link page and in `/linked-accounts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Look {
    /// The brand colour, `#RRGGBB` (Merge's `integration.color`).
    pub color: &'static str,
    /// The logo as a vendored SVG document (the Link page loads no external assets).
    pub logo_svg: &'static str,
    /// One sentence on what linking reads and writes, after the organization's name.
    pub scope: &'static str,
}

/// The wording a client gets when the helpdesk refuses or fails a credential check, per
/// kind of [`ProviderError`]. Each adapter words them for its own helpdesk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusals {
    /// [`ProviderError::Unauthorized`].
    pub unauthorized: &'static str,
    /// [`ProviderError::UnknownAccount`].
    pub unknown_account: &'static str,
    /// [`ProviderError::Suspended`].
    pub suspended: &'static str,
    /// [`ProviderError::NoApiAccess`].
    pub no_api_access: &'static str,
    /// [`ProviderError::Forbidden`].
    pub forbidden: &'static str,
    /// [`ProviderError::HostNotAllowed`]; `{domain}` is replaced by the refused domain.
    pub host_not_allowed: &'static str,
    /// [`ProviderError::RateLimited`].
    pub rate_limited: &'static str,
    /// [`ProviderError::Unreachable`], [`ProviderError::Transient`], [`ProviderError::Protocol`].
    pub unavailable: &'static str,
}

impl Refusals {
    /// Wraps `e` in [`ProviderError::Refused`] with this integration's wording, so that the
    /// API answers in the helpdesk's terms without knowing the helpdesk.
    pub fn explain(&self, e: ProviderError) -> ProviderError {
        let wording = match &e {
            ProviderError::Unauthorized => self.unauthorized.to_string(),
            ProviderError::UnknownAccount => self.unknown_account.to_string(),
            ProviderError::Suspended => self.suspended.to_string(),
            ProviderError::NoApiAccess => self.no_api_access.to_string(),
            ProviderError::Forbidden(_) => self.forbidden.to_string(),
            ProviderError::HostNotAllowed(d) => self.host_not_allowed.replace("{domain}", d),
            ProviderError::RateLimited { .. } => self.rate_limited.to_string(),
            ProviderError::Unreachable(_)
            | ProviderError::Transient(_)
            | ProviderError::Protocol(_) => self.unavailable.to_string(),
            _ => return e,
        };
        ProviderError::Refused {
            cause: Box::new(e),
            wording,
        }
    }
}

/// An integration an adapter crate offers: its descriptor and the factory of its providers.
///
/// `crates/server` lists the integrations (one line each) in a [`crate::Registry`]; nothing
/// else names a helpdesk.
pub trait Integration: Send + Sync {
    /// Merge's slug and display name.
    fn info(&self) -> IntegrationInfo;

    /// Colour, logo and scope sentence.
    fn look(&self) -> Look;

    /// The credential fields, in form order.
    fn credential_fields(&self) -> &'static [CredentialField];

    /// The wording of refusals.
    fn refusals(&self) -> Refusals;

    /// The models this integration can fill (the others are `DISABLED`).
    fn supported_models(&self) -> Vec<ModelKind>;

    /// Merge ticketing paths (under `/api/ticketing/v1/`) this integration does not offer.
    fn unsupported_paths(&self) -> &'static [&'static str] {
        &[]
    }

    /// Keys of the metadata (from [`TicketingProvider::metadata`]) that reads and writes of
    /// an account need; the API loads them from the store into one map.
    fn metadata_keys(&self) -> &'static [&'static str] {
        &[]
    }

    /// The provider's own label of a ticket's enum `field` (`status`, `priority`,
    /// `ticket_type`) for Merge's `show_enum_origins`, from the ticket's raw data (its first
    /// `remote_data` entry's `data`) and the account's metadata.
    fn enum_origin(
        &self,
        field: &str,
        raw: &Value,
        metadata: &Map<String, Value>,
    ) -> Option<String> {
        let _ = (field, raw, metadata);
        None
    }

    /// A ticket's custom field values, `(remote_key_name, value)`, from its raw data.
    fn remote_field_values(&self, raw: &Value) -> Vec<(String, Value)> {
        let _ = raw;
        Vec::new()
    }

    /// The account's ticket custom fields, from its metadata.
    fn remote_field_classes(&self, metadata: &Map<String, Value>) -> Vec<RemoteFieldClassDef> {
        let _ = metadata;
        Vec::new()
    }

    /// Normalises credentials already checked against [`Integration::credential_fields`]
    /// (e.g. a domain typed as a URL), before they are checked with the helpdesk and stored.
    fn normalise(&self, credentials: Credentials) -> Credentials {
        credentials
    }

    /// The `subdomain` shown in Merge's account details, from the credentials.
    fn subdomain(&self, credentials: &Credentials) -> String {
        let _ = credentials;
        String::new()
    }

    /// Builds the adapter for a linked account (which may not be stored yet: nil id) from
    /// its credentials. The adapter side keeps one rate budget per account in the process.
    /// Fails with `HostNotAllowed` for a domain outside the rules.
    fn build(
        &self,
        linked_account_id: Uuid,
        credentials: &Credentials,
    ) -> Result<Arc<dyn TicketingProvider>, ProviderError>;

    /// Whether an attachment file may be fetched from `url`, a signed URL out of the
    /// provider's answers (no credentials are sent): only the provider's own file hosts.
    /// The download client (SSRF-safe, outside the adapter) asks this for every redirect too.
    fn file_url_allowed(&self, url: &url::Url) -> bool {
        let _ = url;
        false
    }

    /// Provider origins allowed besides the public helpdesk (e.g. a simulator on loopback),
    /// which the download client's resolver lets resolve to private addresses.
    fn allowed_hosts(&self) -> Vec<String> {
        Vec::new()
    }

    /// Verifies an inbound push of this helpdesk and reads its hint. `signing_secret` is the
    /// secret the helpdesk signs with, when one was stored at installation. The adapter
    /// checks signatures and timestamps (see [`crate::push::PUSH_WINDOW_SECS`]) and hands
    /// back the secret the request presented for the server to compare with its hash.
    fn verify_push(
        &self,
        request: &PushRequest<'_>,
        signing_secret: Option<&str>,
    ) -> Result<PushVerified, PushRefusal> {
        let _ = (request, signing_secret);
        Err(PushRefusal::Unsupported)
    }

    /// How to set the push up by hand in this helpdesk for a hook at `url` with `secret`
    /// (`None`: this integration takes no pushes).
    fn push_setup(&self, url: &str, secret: &str) -> Option<PushSetup> {
        let _ = (url, secret);
        None
    }

    /// How long one provider request (and so one file download) may take.
    fn request_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(30)
    }
}

/// A problem with submitted credentials, found before any call to the helpdesk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialProblem {
    /// The field's name, or empty for the object itself.
    pub field: String,
    /// What is wrong, in plain words.
    pub message: String,
    /// The Link page's wording for an empty field, if that is the problem.
    pub missing: Option<&'static str>,
}

/// Checks `raw` against `fields`: an object with exactly those keys, each a non-empty
/// string no longer than its limit. Returns the trimmed credentials.
pub fn check_fields(
    fields: &[CredentialField],
    raw: &Credentials,
) -> Result<Credentials, CredentialProblem> {
    if let Some(k) = raw.keys().find(|k| !fields.iter().any(|f| f.name == *k)) {
        let known: Vec<&str> = fields.iter().map(|f| f.name).collect();
        return Err(CredentialProblem {
            field: k.clone(),
            message: format!(
                "Unknown credential `{k}`; this integration takes: {}.",
                known.join(", ")
            ),
            missing: None,
        });
    }
    let mut out = Credentials::new();
    for f in fields {
        let v = raw.get(f.name).and_then(Value::as_str).map(str::trim);
        let v = match v {
            Some(v) if !v.is_empty() => v,
            _ => {
                return Err(CredentialProblem {
                    field: f.name.to_string(),
                    message: format!("`credentials.{}` must not be empty.", f.name),
                    missing: Some(f.missing),
                });
            }
        };
        if v.chars().count() > f.max_len {
            return Err(CredentialProblem {
                field: f.name.to_string(),
                message: format!(
                    "`credentials.{}` must be at most {} characters.",
                    f.name, f.max_len
                ),
                missing: None,
            });
        }
        out.insert(f.name.to_string(), Value::String(v.to_string()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const FIELDS: &[CredentialField] = &[CredentialField {
        name: "token",
        label: "Token",
        help: "",
        steps: &[],
        example: "t",
        secret: true,
        max_len: 5,
        missing: "Enter your token.",
    }];

    fn creds(v: Value) -> Credentials {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn fields_are_trimmed_required_limited_and_closed() {
        let ok = check_fields(FIELDS, &creds(json!({"token": " abc "}))).expect("ok");
        assert_eq!(ok["token"], "abc");
        let empty = check_fields(FIELDS, &creds(json!({"token": "  "}))).expect_err("empty");
        assert_eq!(empty.missing, Some("Enter your token."));
        assert!(check_fields(FIELDS, &creds(json!({"token": "abcdef"}))).is_err());
        assert!(check_fields(FIELDS, &creds(json!({"token": 5}))).is_err());
        let extra = check_fields(FIELDS, &creds(json!({"token": "a", "domain": "x"})));
        assert_eq!(extra.expect_err("unknown").field, "domain");
    }

    #[test]
    fn refusals_word_the_error_and_keep_its_kind() {
        let r = Refusals {
            unauthorized: "Key refused.",
            unknown_account: "",
            suspended: "",
            no_api_access: "",
            forbidden: "",
            host_not_allowed: "Not `{domain}`.",
            rate_limited: "",
            unavailable: "",
        };
        let e = r.explain(ProviderError::Unauthorized);
        assert_eq!(e.to_string(), "Key refused.");
        assert!(e.needs_relink() && !e.is_retryable());
        let e = r.explain(ProviderError::HostNotAllowed("evil".into()));
        assert_eq!(e.to_string(), "Not `evil`.");
        assert!(matches!(
            r.explain(ProviderError::NotFound),
            ProviderError::NotFound
        ));
    }
}
