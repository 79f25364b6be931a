//! Wire-format tests of the response models: round trips, shells, field catalogues, examples.

use deskbridge_model::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;
use utoipa::{PartialSchema, ToSchema};
use uuid::Uuid;

fn uuid(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

/// The BASE fields of a record, as the store provides them.
fn base(id: Uuid) -> Value {
    json!({
        "id": id,
        "remote_id": "42",
        "created_at": "2024-01-02T03:04:05Z",
        "modified_at": "2024-01-02T03:04:06Z",
        "remote_was_deleted": false,
        "field_mappings": null,
        "remote_data": null
    })
}

fn shell<T: CommonModel>(id: Uuid) -> T {
    serde_json::from_value(base(id)).expect("a shell record deserializes")
}

fn keys(value: &Value) -> Vec<String> {
    value
        .as_object()
        .expect("an object")
        .keys()
        .cloned()
        .collect()
}

/// Serializes a shell and returns its keys that are not BASE fields, in order.
fn own_keys<T: CommonModel>() -> Vec<String> {
    let value = serde_json::to_value(shell::<T>(uuid(1))).expect("ser");
    let object = value.as_object().expect("object");
    for base in BASE_FIELDS {
        assert!(
            object.contains_key(*base),
            "{}: {base} missing",
            T::KIND.name()
        );
    }
    for (key, v) in object {
        if !BASE_FIELDS.contains(&key.as_str()) {
            assert_eq!(
                v,
                &Value::Null,
                "{}: shell field {key} is not null",
                T::KIND.name()
            );
        }
    }
    keys(&value)
        .into_iter()
        .filter(|k| !BASE_FIELDS.contains(&k.as_str()))
        .collect()
}

fn own_keys_of(kind: ModelKind) -> Vec<String> {
    match kind {
        ModelKind::Ticket => own_keys::<Ticket>(),
        ModelKind::Comment => own_keys::<Comment>(),
        ModelKind::User => own_keys::<User>(),
        ModelKind::Contact => own_keys::<Contact>(),
        ModelKind::Account => own_keys::<Account>(),
        ModelKind::Team => own_keys::<Team>(),
        ModelKind::Tag => own_keys::<Tag>(),
        ModelKind::Role => own_keys::<Role>(),
        ModelKind::Attachment => own_keys::<Attachment>(),
        ModelKind::Collection => own_keys::<Collection>(),
        ModelKind::Project => own_keys::<Project>(),
    }
}

/// Deserializes `value` as the model of `kind` (checks it is accepted).
fn parses_as(kind: ModelKind, value: Value) -> Result<(), serde_json::Error> {
    fn p<T: CommonModel>(v: Value) -> Result<(), serde_json::Error> {
        serde_json::from_value::<T>(v).map(|_| ())
    }
    match kind {
        ModelKind::Ticket => p::<Ticket>(value),
        ModelKind::Comment => p::<Comment>(value),
        ModelKind::User => p::<User>(value),
        ModelKind::Contact => p::<Contact>(value),
        ModelKind::Account => p::<Account>(value),
        ModelKind::Team => p::<Team>(value),
        ModelKind::Tag => p::<Tag>(value),
        ModelKind::Role => p::<Role>(value),
        ModelKind::Attachment => p::<Attachment>(value),
        ModelKind::Collection => p::<Collection>(value),
        ModelKind::Project => p::<Project>(value),
    }
}

#[test]
fn model_fields_match_the_structs() {
    for kind in ModelKind::ALL {
        let expected: Vec<String> = model_fields(kind).iter().map(|s| s.to_string()).collect();
        assert_eq!(own_keys_of(kind), expected, "model_fields({kind:?})");
    }
    let viewer = serde_json::to_value(Viewer {
        id: uuid(1),
        remote_id: None,
        created_at: chrono::Utc::now(),
        modified_at: chrono::Utc::now(),
        team: None,
        user: None,
    })
    .expect("ser");
    assert_eq!(
        keys(&viewer)[4..],
        VIEWER_FIELDS
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
    );
}

#[test]
fn kinds_match() {
    assert_eq!(Ticket::KIND, ModelKind::Ticket);
    assert_eq!(Comment::KIND, ModelKind::Comment);
    assert_eq!(User::KIND, ModelKind::User);
    assert_eq!(Contact::KIND, ModelKind::Contact);
    assert_eq!(Account::KIND, ModelKind::Account);
    assert_eq!(Team::KIND, ModelKind::Team);
    assert_eq!(Tag::KIND, ModelKind::Tag);
    assert_eq!(Role::KIND, ModelKind::Role);
    assert_eq!(Attachment::KIND, ModelKind::Attachment);
    assert_eq!(Collection::KIND, ModelKind::Collection);
    assert_eq!(Project::KIND, ModelKind::Project);
}

#[test]
fn relation_fields_accept_ids_and_expanded_objects() {
    for kind in ModelKind::ALL {
        for &(field, related, is_list) in relation_fields(kind) {
            assert!(
                model_fields(kind).contains(&field),
                "{kind:?}.{field} is not a model field"
            );
            let id = json!(uuid(9));
            let mut expanded = base(uuid(9));
            assert!(parses_as(related, expanded.clone()).is_ok());
            let (as_id, as_object, bad) = if is_list {
                (json!([id]), json!([expanded.take()]), json!("not-a-list"))
            } else {
                (id, expanded, json!(["a list"]))
            };
            for (value, ok) in [
                (as_id, true),
                (as_object, true),
                (bad, false),
                (Value::Null, true),
            ] {
                let mut record = base(uuid(1));
                record[field] = value;
                assert_eq!(
                    parses_as(kind, record).is_ok(),
                    ok,
                    "{kind:?}.{field} ok={ok}"
                );
            }
        }
    }
    for &(field, related, _) in VIEWER_RELATIONS {
        let mut viewer = base(uuid(1));
        viewer[field] = base(uuid(2));
        let parsed: Viewer = serde_json::from_value(viewer).expect("expanded viewer relation");
        assert!(parses_as(related, base(uuid(2))).is_ok());
        assert!(parsed.team.is_some() || parsed.user.is_some());
    }
}

fn full_ticket() -> Ticket {
    let mut t: Ticket = shell(uuid(1));
    let mut user: User = shell(uuid(2));
    user.name = Some("Agent".into());
    user.teams = Some(vec![Expandable::Id(uuid(3))]);
    t.name = Some("Printer on fire".into());
    t.assignees = Some(vec![
        Expandable::Expanded(Box::new(user.clone())),
        uuid(5).into(),
    ]);
    t.assigned_teams = Some(vec![Expandable::Id(uuid(3))]);
    t.creator = Some(Expandable::Expanded(Box::new(user)));
    t.due_date = Some("2024-02-01T00:00:00Z".parse().expect("date"));
    t.status = Some(EnumOrString::Other("Pending".into()));
    t.description = Some("<p>Help</p>".into());
    t.collections = Some(vec![]);
    t.ticket_type = Some("Incident".into());
    t.account = Some(Expandable::Id(uuid(6)));
    t.contact = Some(Expandable::Id(uuid(7)));
    t.parent_ticket = Some(Expandable::Expanded(Box::new(shell(uuid(8)))));
    t.attachments = Some(vec![Expandable::Id(uuid(10))]);
    t.access_level = Some(TicketAccessLevelEnum::Company);
    t.permissions = Some(vec![Permission {
        id: uuid(11),
        remote_id: None,
        created_at: t.created_at,
        modified_at: t.modified_at,
        effect: Some(EffectEnum::Allowed),
        actions: Some(vec![ActionsEnum::View, ActionsEnum::Edit]),
        applied_to_users: Some(vec!["u1".into()]),
        applied_to_roles: None,
        applied_to_teams: None,
        applied_to_collections: None,
        remote_was_deleted: false,
        field_mappings: None,
    }]);
    t.tags = Some(vec!["vip".into()]);
    t.roles = Some(vec![]);
    t.ticket_url = Some("https://acme.freshdesk.com/a/tickets/42".into());
    t.priority = Some(PriorityEnum::Urgent.into());
    t.remote_created_at = Some("2023-12-31T23:59:59Z".parse().expect("date"));
    t.remote_updated_at = t.remote_created_at;
    t.completed_at = None;
    t.field_mappings = Some(FieldMappings::default());
    t.remote_data = Some(vec![RemoteData {
        path: "/api/v2/tickets/42".into(),
        data: json!({"id": 42}),
    }]);
    t.remote_fields = Some(vec![RemoteField {
        remote_field_class: Expandable::Id(uuid(12)),
        value: json!("Gold"),
    }]);
    t
}

#[test]
fn full_ticket_round_trips() {
    let ticket = full_ticket();
    let value = serde_json::to_value(&ticket).expect("ser");
    assert_eq!(value["status"], json!("Pending"));
    assert_eq!(value["priority"], json!("URGENT"));
    assert_eq!(value["assignees"][1], json!(uuid(5)));
    assert_eq!(value["assignees"][0]["name"], json!("Agent"));
    assert_eq!(value["parent_ticket"]["id"], json!(uuid(8)));
    assert_eq!(value["remote_fields"][0]["value"], json!("Gold"));
    let back: Ticket = serde_json::from_value(value.clone()).expect("de");
    assert_eq!(back, ticket);
    assert_eq!(serde_json::to_value(&back).expect("ser"), value);
    assert_eq!(back.assignees.as_ref().map(|a| a[0].id()), Some(uuid(2)));
}

#[test]
fn shell_ticket_has_nulls_and_no_remote_fields() {
    let t: Ticket = shell(uuid(1));
    let value = serde_json::to_value(&t).expect("ser");
    assert_eq!(value["remote_data"], Value::Null);
    assert!(
        value
            .as_object()
            .expect("object")
            .contains_key("remote_data")
    );
    assert!(
        !value
            .as_object()
            .expect("object")
            .contains_key("remote_fields")
    );
    assert_eq!(value["name"], Value::Null);
    assert_eq!(serde_json::from_value::<Ticket>(value).expect("de"), t);
}

#[test]
fn from_parts_builds_a_response() {
    let meta = RecordMeta {
        id: uuid(1),
        remote_id: Some("42".into()),
        created_at: "2024-01-02T03:04:05Z".parse().expect("date"),
        modified_at: "2024-01-02T03:04:06Z".parse().expect("date"),
        remote_was_deleted: false,
        field_mappings: None,
        remote_data: None,
    };
    let mut fields = Map::new();
    fields.insert("name".into(), json!("Printer on fire"));
    fields.insert("status".into(), json!("OPEN"));
    fields.insert("assignees".into(), json!([uuid(2)]));
    fields.insert("id".into(), json!(uuid(99)));
    let t = Ticket::from_parts(&meta, &fields).expect("builds");
    assert_eq!(t.id, uuid(1));
    assert_eq!(t.status, Some(EnumOrString::Known(TicketStatusEnum::Open)));
    assert_eq!(t.assignees, Some(vec![Expandable::Id(uuid(2))]));
    assert_eq!(t.description, None);
}

/// The example of a schema, if any.
fn example_of<T: PartialSchema>() -> Option<Value> {
    match T::schema() {
        RefOr::T(Schema::Object(o)) => o.examples.first().cloned().or(o.example),
        _ => None,
    }
}

/// The example parses as `T`, and serializing it back gives the example (plus nulls).
fn check_example<T: ToSchema + Serialize + DeserializeOwned>() {
    let name = T::name();
    let example = example_of::<T>().unwrap_or_else(|| panic!("{name} has no example"));
    let parsed: T = serde_json::from_value(example.clone())
        .unwrap_or_else(|e| panic!("{name} example does not parse: {e}"));
    let back = serde_json::to_value(&parsed).expect("ser");
    let (ex, back) = (
        example.as_object().expect("obj"),
        back.as_object().expect("obj"),
    );
    for (k, v) in ex {
        assert_eq!(back.get(k), Some(v), "{name}.{k}");
    }
    for (k, v) in back {
        assert!(
            ex.contains_key(k) || v.is_null(),
            "{name}.{k} not in the example"
        );
    }
}

#[test]
fn examples_match_their_types() {
    check_example::<Ticket>();
    check_example::<Comment>();
    check_example::<User>();
    check_example::<Contact>();
    check_example::<Account>();
    check_example::<Team>();
    check_example::<Tag>();
    check_example::<Role>();
    check_example::<Attachment>();
    check_example::<Collection>();
    check_example::<Project>();
    check_example::<Viewer>();
    check_example::<RemoteField>();
    check_example::<RemoteFieldClass>();
    check_example::<RemoteData>();
    check_example::<FieldMappings>();
    check_example::<ErrorDetail>();
    check_example::<TicketRequest>();
    check_example::<PatchedTicketRequest>();
    check_example::<CommentRequest>();
    check_example::<ContactRequest>();
    check_example::<ValidationProblem>();
    check_example::<MetaResponse>();
    check_example::<LinkTokenRequest>();
    check_example::<LinkToken>();
    check_example::<AccountDetailsAndActions>();
    check_example::<SyncStatus>();
    check_example::<AuditLogEvent>();
    check_example::<DataPassthroughRequest>();
    check_example::<RemoteResponse>();
    check_example::<LinkAccountRequest>();
    check_example::<IntegrationCredentials>();
    check_example::<PaginatedTicketList>();
    check_example::<PaginatedCommentList>();
    check_example::<PaginatedSyncStatusList>();
}

#[test]
fn request_fields_catalogues_match() {
    fn all_null<T: ModelRequest + Serialize + DeserializeOwned>() {
        let object: Map<String, Value> = T::FIELDS
            .iter()
            .map(|f| (f.to_string(), Value::Null))
            .collect();
        let parsed: T = serde_json::from_value(Value::Object(object)).expect("all-null body");
        let back = serde_json::to_value(&parsed).expect("ser");
        assert_eq!(
            keys(&back),
            T::FIELDS.iter().map(|s| s.to_string()).collect::<Vec<_>>()
        );
    }
    all_null::<TicketRequest>();
    all_null::<PatchedTicketRequest>();
    all_null::<CommentRequest>();
    all_null::<ContactRequest>();
    all_null::<AttachmentRequest>();

    let body = json!({"name": "x", "surprise": 1, "attachments": []});
    let model = body.as_object().expect("obj");
    assert_eq!(
        PatchedTicketRequest::unknown_fields(model),
        vec!["surprise", "attachments"]
    );
    assert_eq!(TicketRequest::unknown_fields(model), vec!["surprise"]);
    let parsed: TicketEndpointRequest =
        serde_json::from_value(json!({"model": body})).expect("unknown fields are ignored");
    assert_eq!(parsed.model.name.as_deref(), Some("x"));
    assert!(
        serde_json::from_value::<TicketEndpointRequest>(json!({"model": {"status": "open"}}))
            .is_err()
    );
}

#[test]
fn write_response_shape() {
    let r = TicketResponse::new(shell(uuid(1)));
    let v = serde_json::to_value(&r).expect("ser");
    assert_eq!(keys(&v), ["model", "warnings", "errors"]);
    let problem =
        ValidationProblem::new("UNRECOGNIZED_FIELD", "Unrecognized Field", "x").at("/model/x");
    assert_eq!(
        serde_json::to_value(&problem).expect("ser"),
        json!({"source": {"pointer": "/model/x"}, "title": "Unrecognized Field", "detail": "x", "problem_type": "UNRECOGNIZED_FIELD"})
    );
}

#[test]
fn deskbridge_link_request_rejects_unknown_fields_and_hides_the_key() {
    let ok = json!({
        "integration": "freshdesk",
        "end_user_origin_id": "1",
        "end_user_organization_name": "Org",
        "end_user_email_address": "a@b.c",
        "credentials": {"domain": "acme", "api_key": "secret-key"}
    });
    let parsed: LinkAccountRequest = serde_json::from_value(ok.clone()).expect("valid");
    assert!(!format!("{parsed:?}").contains("secret-key"));
    let mut bad = ok.clone();
    bad["credentialz"] = json!({});
    assert!(serde_json::from_value::<LinkAccountRequest>(bad).is_err());
    // A mistyped credential key is refused by its integration's fields when linking (the
    // credentials differ per integration; see crates/server/tests/seam.rs).
    let mut typo = ok;
    typo["credentials"]["apikey"] = json!("typo");
    assert!(serde_json::from_value::<LinkAccountRequest>(typo).is_ok());
}
