//! Schema names and shapes in the generated OpenAPI document.

use std::collections::BTreeSet;

use deskbridge_model::*;
use serde_json::{Value, json};
use utoipa::{OpenApi, ToSchema};

fn document() -> Value {
    serde_json::to_value(ModelSchemas::openapi()).expect("ser")
}

fn refs(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(o) => {
            if let Some(Value::String(r)) = o.get("$ref") {
                out.insert(r.clone());
            }
            o.values().for_each(|v| refs(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[test]
fn paginated_names_come_out_right() {
    assert_eq!(PaginatedTicketList::name(), "PaginatedTicketList");
    assert_eq!(PaginatedCommentList::name(), "PaginatedCommentList");
    assert_eq!(
        PaginatedRemoteFieldClassList::name(),
        "PaginatedRemoteFieldClassList"
    );
    assert_eq!(
        PaginatedAccountDetailsAndActionsList::name(),
        "PaginatedAccountDetailsAndActionsList"
    );
    let doc = document();
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for name in PAGINATED_LIST_NAMES {
        assert!(schemas.contains_key(*name), "{name} missing");
    }
    for name in schemas.keys() {
        assert!(!name.contains('_'), "generic schema name leaked: {name}");
    }
}

#[test]
fn every_ref_resolves() {
    let doc = document();
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    let mut all = BTreeSet::new();
    refs(&doc, &mut all);
    for r in all {
        let name = r.strip_prefix("#/components/schemas/").expect("local ref");
        assert!(schemas.contains_key(name), "dangling {r}");
    }
}

#[test]
fn every_list_has_the_cursor_shape() {
    let doc = document();
    let schemas = &doc["components"]["schemas"];
    for name in PAGINATED_LIST_NAMES {
        let list = &schemas[*name];
        let props = list["properties"].as_object().expect("properties");
        assert_eq!(
            props.keys().collect::<Vec<_>>(),
            ["next", "previous", "results"],
            "{name}"
        );
        assert_eq!(props["next"]["type"], json!(["string", "null"]), "{name}");
        assert_eq!(
            props["previous"]["type"],
            json!(["string", "null"]),
            "{name}"
        );
        assert_eq!(props["results"]["type"], json!("array"), "{name}");
        let item = props["results"]["items"]["$ref"]
            .as_str()
            .expect("item ref");
        let model = name
            .strip_prefix("Paginated")
            .and_then(|n| n.strip_suffix("List"));
        assert_eq!(
            Some(item.trim_start_matches("#/components/schemas/")),
            model,
            "{name}"
        );
    }
    let page = Paginated::<Tag> {
        next: Some(EXAMPLE_CURSOR.into()),
        ..Default::default()
    };
    assert_eq!(
        serde_json::to_value(&page).expect("ser"),
        json!({"next": EXAMPLE_CURSOR, "previous": null, "results": []})
    );
}

#[test]
fn enum_or_string_fields_accept_any_string() {
    let doc = document();
    let status = &doc["components"]["schemas"]["Ticket"]["properties"]["status"];
    let any_of = status["anyOf"].as_array().expect("anyOf");
    assert!(any_of.contains(&json!({"$ref": "#/components/schemas/TicketStatusEnum"})));
    assert!(any_of.contains(&json!({"type": "string"})));
    assert!(any_of.contains(&json!({"type": "null"})));
    let creator = &doc["components"]["schemas"]["Ticket"]["properties"]["creator"]["oneOf"];
    assert_eq!(creator[0], json!({"type": "string", "format": "uuid"}));
    assert_eq!(creator[1], json!({"$ref": "#/components/schemas/User"}));
}

/// A path using the alias, as the API crate will write it.
#[utoipa::path(
    get,
    path = "/api/ticketing/v1/tickets",
    responses(
        (status = 200, body = PaginatedTicketList),
        (status = 401, body = ErrorDetail),
    )
)]
#[allow(dead_code)]
fn tickets_list() {}

#[test]
fn aliases_work_in_path_attributes() {
    #[derive(OpenApi)]
    #[openapi(paths(tickets_list))]
    struct Api;
    let mut api = Api::openapi();
    api.merge(ModelSchemas::openapi());
    let doc = serde_json::to_value(api).expect("ser");
    let ok = &doc["paths"]["/api/ticketing/v1/tickets"]["get"]["responses"]["200"];
    assert_eq!(
        ok["content"]["application/json"]["schema"]["$ref"],
        json!("#/components/schemas/PaginatedTicketList")
    );
    assert!(doc["components"]["schemas"]["PaginatedTicketList"].is_object());
}
