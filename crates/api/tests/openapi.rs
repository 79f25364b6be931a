//! The committed spec (`openapi/openapi.json` and `.yaml`) must equal what the code generates.

use std::path::PathBuf;

const REGENERATE: &str = "UPDATE_OPENAPI=1 cargo test -p deskbridge-api --test openapi";

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../openapi")
}

#[test]
fn committed_spec_matches_the_code() {
    // The spec as `deskbridge serve` serves it: with the credentials of its integrations.
    let registry = deskbridge_provider::Registry::new()
        .with(deskbridge_freshdesk::FreshdeskIntegration::new(
            Vec::new(),
            0.2,
        ))
        .with(deskbridge_zendesk::ZendeskIntegration::new(Vec::new(), 0.2));
    let api = deskbridge_api::openapi_for(&registry);
    let json = serde_json::to_string_pretty(&api).expect("json") + "\n";
    let yaml = api.to_yaml().expect("yaml");
    let (jp, yp) = (dir().join("openapi.json"), dir().join("openapi.yaml"));
    if std::env::var("UPDATE_OPENAPI").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(dir()).expect("mkdir");
        std::fs::write(&jp, &json).expect("write json");
        std::fs::write(&yp, &yaml).expect("write yaml");
        return;
    }
    let committed = std::fs::read_to_string(&jp).unwrap_or_default();
    assert!(
        committed == json,
        "openapi/openapi.json differs from the code; regenerate it with: {REGENERATE}"
    );
    let committed = std::fs::read_to_string(&yp).unwrap_or_default();
    assert!(
        committed == yaml,
        "openapi/openapi.yaml differs from the code; regenerate it with: {REGENERATE}"
    );
}

#[test]
fn every_operation_is_documented_with_errors() {
    let api = serde_json::to_value(deskbridge_api::openapi()).expect("json");
    let paths = api["paths"].as_object().expect("paths");
    assert!(
        paths.len() >= 20,
        "expected the whole API, got {}",
        paths.len()
    );
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("item") {
            let responses = op["responses"].as_object().expect("responses");
            assert!(
                responses.keys().any(|c| c.starts_with('2')),
                "{method} {path}: no success response"
            );
            if path.starts_with("/api/") {
                assert!(responses.contains_key("401"), "{method} {path}: no 401");
            }
        }
    }
}

#[test]
fn every_error_response_has_an_example() {
    let api = serde_json::to_value(deskbridge_api::openapi()).expect("json");
    for (path, item) in api["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            for (status, response) in op["responses"].as_object().expect("responses") {
                let Some(json) = response["content"].get("application/json") else {
                    continue;
                };
                if status.starts_with('4') || status.starts_with('5') {
                    assert!(
                        json.get("example").is_some() || json.get("examples").is_some(),
                        "{method} {path} {status}: no example"
                    );
                }
            }
        }
    }
}

/// Every example in the document (of schemas, and of responses) validates against its schema,
/// objects closed as the response validator closes them.
#[test]
fn examples_match_their_schemas() {
    let doc = serde_json::to_value(deskbridge_api::openapi()).expect("json");
    let spec = deskbridge_testkit::spec::Spec::new(doc.clone());
    let mut problems = Vec::new();
    let mut checked = 0;
    for (name, schema) in doc["components"]["schemas"].as_object().expect("schemas") {
        let pointer = format!("#/components/schemas/{name}");
        let examples = schema
            .get("example")
            .into_iter()
            .chain(schema["examples"].as_array().into_iter().flatten());
        for example in examples {
            checked += 1;
            problems.extend(
                spec.validate_value(&pointer, example)
                    .into_iter()
                    .map(|p| format!("{name}: {p}")),
            );
        }
    }
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            for (status, response) in op["responses"].as_object().expect("responses") {
                for (media, content) in response["content"].as_object().into_iter().flatten() {
                    if !media.contains("json") || content.get("schema").is_none() {
                        continue;
                    }
                    let token = |s: &str| s.replace('~', "~0").replace('/', "~1");
                    let pointer = format!(
                        "#/paths/{}/{method}/responses/{status}/content/{}/schema",
                        token(path),
                        token(media)
                    );
                    let named = content["examples"]
                        .as_object()
                        .into_iter()
                        .flatten()
                        .filter_map(|(_, e)| e.get("value"));
                    for example in content.get("example").into_iter().chain(named) {
                        checked += 1;
                        problems.extend(
                            spec.validate_value(&pointer, example)
                                .into_iter()
                                .map(|p| format!("{method} {path} {status}: {p}")),
                        );
                    }
                }
            }
        }
    }
    assert!(checked > 50, "only {checked} examples");
    assert!(
        problems.is_empty(),
        "examples that do not match their schemas:\n{}",
        problems.join("\n")
    );
}
