//! The recorded error bodies and response headers (`testdata/zendesk`) through the adapter's
//! classification and rate budget.

use std::path::PathBuf;

use deskbridge_provider::ProviderError;
use deskbridge_zendesk::{RateBudget, classify_status, error_parts};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/zendesk")
}

fn sample(name: &str) -> Value {
    let text = std::fs::read_to_string(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn bytes(name: &str) -> Vec<u8> {
    std::fs::read(dir().join(name)).expect("sample")
}

#[test]
fn errors_classify() {
    let c = |status: u16, name: &str| {
        classify_status(StatusCode::from_u16(status).expect("status"), &bytes(name))
    };
    assert!(matches!(
        c(401, "error_401_api_token_couldnt_authenticate.json"),
        ProviderError::Unauthorized
    ));
    assert!(matches!(
        c(401, "error_401_oauth_invalid_token.json"),
        ProviderError::Unauthorized
    ));
    assert!(matches!(c(403, "error_403_forbidden_missing_scope.json"),
        ProviderError::Forbidden(m) if m.contains("scopes")));
    assert!(matches!(c(403, "error_403_forbidden_restricted.json"),
        ProviderError::Forbidden(m) if m.contains("restricted")));
    assert!(matches!(
        c(404, "error_404_record_not_found.json"),
        ProviderError::NotFound
    ));
    assert!(matches!(
        c(404, "error_404_unknown_subdomain_reconstructed.json"),
        ProviderError::UnknownAccount
    ));
    let ProviderError::Validation(p) = c(422, "error_422_record_invalid_closed_ticket.json") else {
        panic!("validation");
    };
    assert_eq!(
        (p[0].field.as_str(), p[0].message.as_str()),
        ("status", "Status closed prevents ticket update")
    );
    let ProviderError::Validation(p) = c(422, "error_422_record_invalid_blank_description.json")
    else {
        panic!("validation");
    };
    assert_eq!(p[0].field, "description");
    assert_eq!(p[0].code, "BlankValue");
    let ProviderError::Validation(p) =
        c(422, "error_422_record_invalid_required_field_on_solve.json")
    else {
        panic!("validation");
    };
    assert!(p[0].field.starts_with("custom_fields."), "{p:?}");
    assert!(p[0].message.contains("required when solving"));
    let ProviderError::Validation(p) = c(422, "error_422_too_recent_start_time.json") else {
        panic!("validation");
    };
    assert!(p[0].message.contains("Too recent"));
    let ProviderError::Validation(p) = c(400, "error_400_too_many_values.json") else {
        panic!("validation");
    };
    assert_eq!(p[0].code, "TooManyValues");
    // The three 429 bodies are all readable (the HTTP layer uses them only to pick a lane).
    assert_eq!(
        error_parts(&bytes("error_429_incremental_export.json")).0,
        "APIRateLimitExceeded"
    );
    assert_eq!(
        error_parts(&bytes("error_429_edge_protection.json")).0,
        "Automated response"
    );
    assert!(
        error_parts(&bytes("error_429_account_limit_plaintext.txt"))
            .1
            .contains("per minute")
    );
}

#[test]
fn recorded_rate_headers_feed_the_budget() {
    let all = sample("response_headers_recorded.json");
    let all = all.as_object().expect("object");
    for (call, headers) in all {
        let mut h = HeaderMap::new();
        for (k, vs) in headers.as_object().expect("headers") {
            let (Ok(name), Some(v)) = (
                HeaderName::from_bytes(k.to_ascii_lowercase().as_bytes()),
                vs.as_array()
                    .and_then(|a| a.first())
                    .and_then(Value::as_str),
            ) else {
                continue;
            };
            if let Ok(v) = HeaderValue::from_str(v) {
                h.insert(name, v);
            }
        }
        let b = RateBudget::new();
        b.record_response(&h);
        assert!(b.total().is_some(), "{call}: account limit read");
        if call.starts_with("GET /api/v2/tickets.json") {
            let bucket = b
                .endpoint("tickets-index")
                .expect("the tickets-index bucket, in either spelling");
            assert_eq!(bucket.0, Some(100), "{call}");
        }
    }
}
