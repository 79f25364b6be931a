//! The committed spec (`openapi/openapi.json` and `.yaml`) must equal what the code generates.

use std::path::PathBuf;

const REGENERATE: &str = "UPDATE_OPENAPI=1 cargo test -p deskbridge-api --test openapi";

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../openapi")
}

#[test]
fn committed_spec_matches_the_code() {
    let api = deskbridge_api::openapi();
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
    assert!(committed == json, "openapi/openapi.json differs from the code; regenerate it with: {REGENERATE}");
    let committed = std::fs::read_to_string(&yp).unwrap_or_default();
    assert!(committed == yaml, "openapi/openapi.yaml differs from the code; regenerate it with: {REGENERATE}");
}

#[test]
fn every_operation_is_documented_with_errors() {
    let api = serde_json::to_value(deskbridge_api::openapi()).expect("json");
    let paths = api["paths"].as_object().expect("paths");
    assert!(paths.len() >= 20, "expected the whole API, got {}", paths.len());
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("item") {
            let responses = op["responses"].as_object().expect("responses");
            assert!(responses.keys().any(|c| c.starts_with('2')), "{method} {path}: no success response");
            if path.starts_with("/api/") {
                assert!(responses.contains_key("401"), "{method} {path}: no 401");
            }
        }
    }
}
