//! Unit tests of the response validator.
use super::*;

fn spec() -> Spec {
    Spec::new(json!({
        "openapi": "3.1.0",
        "paths": {
            "/things/{id}": {"get": {"responses": {
                "200": {"description": "", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
                "404": {"description": "", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorDetail"}}}}
            }}},
            "/things/special": {"get": {"responses": {"204": {"description": ""}}}},
            "/old": {"get": {"responses": {"200": {"description": "", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"n": {"type": "string", "nullable": true}}
            }}}}}}},
            "/page": {"get": {"responses": {"200": {"description": "", "content": {"text/html": {"schema": {"type": "string"}}}}}}}
        },
        "components": {"schemas": {
            "Thing": {"type": "object", "required": ["id"], "properties": {
                "id": {"type": "string", "format": "uuid"},
                "when": {"type": ["string", "null"], "format": "date-time"},
                "parent": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Thing"}]},
                "extra": {"type": "object", "additionalProperties": {}}
            }},
            "ErrorDetail": {"type": "object", "required": ["detail"], "properties": {"detail": {"type": "string"}}}
        }}
    }))
}

fn ex<'a>(
    method: &'a str,
    path: &'a str,
    status: u16,
    ct: Option<&'a str>,
    body: &'a str,
) -> Exchange<'a> {
    Exchange {
        method,
        path,
        status,
        content_type: ct,
        body: body.as_bytes(),
    }
}

const J: Option<&str> = Some("application/json");

#[test]
fn accepts_conforming_and_rejects_the_rest() {
    let s = spec();
    let id = "0958cbc6-6040-430a-848e-aafacbadf4ae";
    let good = format!(r#"{{"id":"{id}","when":null,"parent":{{"id":"{id}"}},"extra":{{"a":1}}}}"#);
    let c = s
        .check(&ex("GET", &format!("/things/{id}?x=1"), 200, J, &good))
        .expect("conforms");
    assert_eq!(c.operation.as_deref(), Some("GET /things/{id}"));
    assert!(c.schema_validated);
    // The literal template wins.
    assert!(
        s.check(&ex("get", "/things/special", 204, None, ""))
            .is_ok()
    );
    // An undocumented field, a bad format, a missing field, an undocumented status.
    let e = s
        .check(&ex(
            "GET",
            "/things/x",
            200,
            J,
            &format!(r#"{{"id":"{id}","surprise":1}}"#),
        ))
        .expect_err("closed");
    assert!(e.to_string().contains("surprise"), "{e}");
    assert!(
        s.check(&ex("GET", "/things/x", 200, J, r#"{"id":"nope"}"#))
            .is_err()
    );
    assert!(
        s.check(&ex("GET", "/things/x", 200, J, r#"{"when":null}"#))
            .is_err()
    );
    assert!(
        s.check(&ex(
            "GET",
            "/things/x",
            200,
            J,
            r#"{"id":"x","when":"yesterday"}"#
        ))
        .is_err()
    );
    assert!(
        s.check(&ex("GET", "/things/x", 500, J, r#"{"detail":"x"}"#))
            .is_err()
    );
    // Content types.
    assert!(
        s.check(&ex("GET", "/things/x", 404, Some("text/plain"), "x"))
            .is_err()
    );
    assert!(
        s.check(&ex(
            "GET",
            "/things/x",
            404,
            Some("application/json; charset=utf-8"),
            r#"{"detail":"x"}"#
        ))
        .is_ok()
    );
    assert!(
        s.check(&ex(
            "GET",
            "/page",
            200,
            Some("text/html; charset=utf-8"),
            "<p>"
        ))
        .is_ok()
    );
    assert!(
        s.check(&ex("GET", "/things/special", 204, J, "{}"))
            .is_err()
    );
    // 3.0 nullable.
    assert!(s.check(&ex("GET", "/old", 200, J, r#"{"n":null}"#)).is_ok());
    assert!(s.check(&ex("GET", "/old", 200, J, r#"{"n":3}"#)).is_err());
    // The fallback.
    assert!(
        s.check(&ex("GET", "/nowhere", 404, J, r#"{"detail":"no"}"#))
            .is_ok()
    );
    assert!(
        s.check(&ex("DELETE", "/page", 405, J, r#"{"detail":"no"}"#))
            .is_ok()
    );
    assert!(s.check(&ex("DELETE", "/page", 405, None, "")).is_err());
    assert!(
        s.check(&ex("GET", "/nowhere", 200, J, r#"{"detail":"no"}"#))
            .is_err()
    );
}
