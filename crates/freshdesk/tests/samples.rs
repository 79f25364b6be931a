//! Every relevant recorded Freshdesk sample parses and maps to the values written here.

use std::collections::HashSet;
use std::path::PathBuf;

use deskbridge_freshdesk::mapping::status_labels_from_fields;
use deskbridge_freshdesk::{
    classify_status, map_account, map_attachment, map_comment, map_contact, map_team, map_ticket,
    map_user, resolve_base_url, ticket_custom_fields,
};
use deskbridge_model::{ModelKind, record_id};
use deskbridge_provider::{ProviderError, RecordRef};
use reqwest::StatusCode;
use serde_json::{Value, json};
use url::Url;
use uuid::Uuid;

const LA: Uuid = Uuid::from_u128(0x1234);

fn sample(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/freshdesk")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn sample_bytes(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/freshdesk")
        .join(name);
    std::fs::read(path).expect("sample")
}

fn id(kind: ModelKind, remote: &str) -> Value {
    Value::String(record_id(LA, kind, remote).to_string())
}

fn base() -> Url {
    resolve_base_url("acme", &[]).expect("base")
}

fn r(kind: ModelKind, remote: &str) -> RecordRef {
    RecordRef {
        kind,
        remote_id: remote.into(),
    }
}

#[test]
fn ticket_view() {
    let raw = sample("ticket_view.json");
    let t = map_ticket(LA, &base(), &raw).expect("map");
    assert_eq!(t.kind, ModelKind::Ticket);
    assert_eq!(t.remote_id, "7");
    let f = &t.fields;
    assert_eq!(f["name"], "Fix TAC Case Portal");
    assert_eq!(f["status"], "IN_PROGRESS", "custom status 6");
    assert_eq!(f["priority"], "LOW");
    assert_eq!(f["ticket_type"], "Feature Request");
    assert_eq!(f["due_date"], "2024-12-04T22:00:00Z");
    assert_eq!(f["ticket_url"], "https://acme.freshdesk.com/a/tickets/7");
    assert_eq!(f["assignees"], json!([]));
    assert_eq!(
        f["assigned_teams"],
        json!([id(ModelKind::Team, "153000435735")])
    );
    assert_eq!(f["contact"], id(ModelKind::Contact, "153027085411"));
    assert_eq!(f["account"], id(ModelKind::Account, "153001657645"));
    assert_eq!(f["parent_ticket"], Value::Null);
    assert_eq!(f["attachments"], json!([]));
    assert_eq!(f["tags"], json!([]));
    assert_eq!(f["creator"], Value::Null);
    assert_eq!(f["collections"], json!([]));
    assert_eq!(f["access_level"], Value::Null);
    assert_eq!(f["roles"], Value::Null);
    assert_eq!(f["completed_at"], Value::Null);
    assert_eq!(f["remote_created_at"], "2024-11-30T23:48:17Z");
    assert_eq!(f["remote_updated_at"], "2024-12-01T13:04:41Z");
    assert!(
        f["description"]
            .as_str()
            .expect("html")
            .contains("This is another sample ticket.")
    );
    assert!(f["description"].as_str().expect("html").starts_with("<div"));
    assert!(
        !f.contains_key("remote_fields"),
        "custom fields stay in remote_data"
    );
    assert!(!t.remote_was_deleted);
    assert_eq!(
        t.remote_data.to_values(),
        vec![json!({"path": "/tickets", "data": raw})]
    );
    for expected in [
        r(ModelKind::Team, "153000435735"),
        r(ModelKind::Contact, "153027085411"),
        r(ModelKind::Account, "153001657645"),
    ] {
        assert!(t.refs.contains(&expected), "{expected:?}");
    }
    assert_eq!(t.refs.len(), 3);
    assert!(ticket_custom_fields(&raw).is_empty());
}

#[test]
fn ticket_view_2025() {
    let t = map_ticket(LA, &base(), &sample("ticket_view_2025.json")).expect("map");
    assert_eq!(t.remote_id, "49548");
    assert_eq!(t.fields["status"], "OPEN");
    assert_eq!(t.fields["priority"], "NORMAL");
    assert_eq!(t.fields["ticket_type"], "Question");
    assert_eq!(t.fields["tags"], json!(["test-tag"]));
    assert_eq!(t.fields["account"], Value::Null);
    assert_eq!(t.fields["assigned_teams"], json!([]));
    assert_eq!(t.fields["due_date"], Value::Null);
    assert_eq!(t.fields["contact"], id(ModelKind::Contact, "36012621950"));
}

#[test]
fn ticket_view_association_parent_and_child() {
    let raw = sample("ticket_view_association_parent.json");
    let t = map_ticket(LA, &base(), &raw).expect("map");
    assert_eq!(t.remote_id, "102");
    assert_eq!(t.fields["name"], "Fiber Connectivity Issue");
    assert_eq!(t.fields["priority"], "HIGH");
    assert_eq!(
        t.fields["assignees"],
        json!([id(ModelKind::User, "3043029172572")])
    );
    assert_eq!(
        t.fields["parent_ticket"],
        Value::Null,
        "type 1 is the parent itself"
    );

    // The same shape as seen from its child 104 (association_type 2 lists the parent).
    let mut child = raw.clone();
    child["id"] = json!(104);
    child["association_type"] = json!(2);
    child["associated_tickets_list"] = json!([102]);
    let c = map_ticket(LA, &base(), &child).expect("map");
    assert_eq!(c.fields["parent_ticket"], id(ModelKind::Ticket, "102"));
    assert!(c.refs.contains(&r(ModelKind::Ticket, "102")));
}

#[test]
fn ticket_view_include_stats() {
    let raw = sample("ticket_view_include_stats.json");
    let t = map_ticket(LA, &base(), &raw).expect("map");
    assert_eq!(t.remote_id, "101");
    assert_eq!(t.fields["status"], "OPEN");
    assert_eq!(t.fields["completed_at"], Value::Null, "open ticket");

    let mut resolved = raw.clone();
    resolved["status"] = json!(4);
    resolved["stats"]["resolved_at"] = json!("2024-12-27T10:00:00Z");
    let t = map_ticket(LA, &base(), &resolved).expect("map");
    assert_eq!(t.fields["status"], "CLOSED");
    assert_eq!(t.fields["completed_at"], "2024-12-27T10:00:00Z");
}

#[test]
fn tickets_list_page() {
    let page = sample("tickets_list_page.json");
    let items = page.as_array().expect("array");
    assert_eq!(items.len(), 1);
    let t = map_ticket(LA, &base(), &items[0]).expect("map");
    let f = &t.fields;
    assert_eq!(t.remote_id, "21");
    assert_eq!(f["name"], "Test");
    assert_eq!(f["status"], "CLOSED", "status 5");
    assert_eq!(f["completed_at"], "2022-11-16T15:59:28Z", "stats.closed_at");
    assert_eq!(f["ticket_type"], Value::Null);
    assert_eq!(f["assignees"], json!([id(ModelKind::User, "67013469919")]));
    assert_eq!(f["contact"], id(ModelKind::Contact, "67042965499"));
    assert_eq!(f["account"], id(ModelKind::Account, "67001265522"));
    assert_eq!(f["due_date"], "2022-11-19T15:59:28Z");
    assert_eq!(f["attachments"], json!([]), "lists carry no attachments");
    assert!(f["description"].as_str().expect("html").contains("Test"));
}

#[test]
fn ticket_custom_fields_are_raw() {
    let mut raw = sample("ticket_view.json");
    raw["custom_fields"] = json!({"cf_order_id": "A-1", "cf_vip": true});
    let cf = ticket_custom_fields(&raw);
    assert_eq!(cf.get("cf_order_id"), Some(&json!("A-1")));
    assert_eq!(cf.get("cf_vip"), Some(&json!(true)));
    let t = map_ticket(LA, &base(), &raw).expect("map");
    assert!(!t.fields.values().any(|v| v == "A-1"));
}

#[test]
fn ticket_url_for_allowed_full_url() {
    let base = resolve_base_url(
        "http://127.0.0.1:9000/d/sim1",
        &["http://127.0.0.1:9000".into()],
    )
    .expect("base");
    let t = map_ticket(LA, &base, &sample("ticket_view.json")).expect("map");
    assert_eq!(
        t.fields["ticket_url"],
        "http://127.0.0.1:9000/d/sim1/a/tickets/7"
    );
}

#[test]
fn conversations_list() {
    let page = sample("conversations_list.json");
    let items = page.as_array().expect("array");
    let comments: Vec<_> = items
        .iter()
        .map(|c| map_comment(LA, c, None).expect("map"))
        .collect();
    assert_eq!(comments.len(), 4);
    let private: Vec<bool> = comments
        .iter()
        .map(|c| c.fields["is_private"].as_bool().expect("bool"))
        .collect();
    assert_eq!(private, vec![false, true, false, false]);
    let agent = id(ModelKind::User, "153022557183");
    for c in &comments {
        assert_eq!(c.kind, ModelKind::Comment);
        assert_eq!(c.fields["user"], agent, "incoming false: an agent wrote it");
        assert_eq!(c.fields["contact"], Value::Null);
        assert_eq!(c.fields["ticket"], id(ModelKind::Ticket, "7"));
        assert!(c.refs.contains(&r(ModelKind::Ticket, "7")));
        assert_eq!(
            c.remote_data.to_values()[0]["path"],
            "/tickets/7/conversations"
        );
    }
    assert_eq!(comments[0].remote_id, "153075655125");
    assert_eq!(
        comments[0].fields["body"],
        "This is the first note made by the agent, and it's public... visible to the contact."
    );
    assert!(
        comments[0].fields["html_body"]
            .as_str()
            .expect("html")
            .starts_with("<div")
    );
    assert_eq!(
        comments[0].fields["remote_created_at"],
        "2024-12-01T12:27:16Z"
    );
    assert_eq!(
        comments[2].fields["body"],
        "Hi Jimmy Jin,  This is the first reply to the contact."
    );
    assert_eq!(
        comments[3].fields["html_body"],
        "<div>Hi Jimmy, Still working on this.</div>"
    );

    // With a known agent set, membership decides.
    let known: HashSet<String> = ["153022557183".to_string()].into();
    let c = map_comment(LA, &items[0], Some(&known)).expect("map");
    assert_eq!(c.fields["user"], agent);
    let others: HashSet<String> = ["1".to_string()].into();
    let c = map_comment(LA, &items[0], Some(&others)).expect("map");
    assert_eq!(c.fields["user"], Value::Null);
    assert_eq!(c.fields["contact"], id(ModelKind::Contact, "153022557183"));
}

#[test]
fn conversation_feedback_is_from_the_contact() {
    let c = map_comment(LA, &sample("conversation_feedback_list_item.json"), None).expect("map");
    assert_eq!(c.remote_id, "67105779604");
    assert_eq!(c.fields["contact"], id(ModelKind::Contact, "67042965499"));
    assert_eq!(c.fields["user"], Value::Null);
    assert_eq!(c.fields["body"], "test");
    assert_eq!(c.fields["ticket"], id(ModelKind::Ticket, "23"));
}

#[test]
fn note_create_response() {
    let c = map_comment(LA, &sample("note_create_response.json"), None).expect("map");
    assert_eq!(c.remote_id, "153075656929");
    assert_eq!(c.fields["is_private"], false);
    assert_eq!(c.fields["body"], "Hi Jimmy, Still working on this.");
    assert_eq!(c.fields["remote_created_at"], "2024-12-01T13:04:40Z");
}

#[test]
fn contact_list_item() {
    let c = map_contact(LA, &sample("contact_list_item.json")).expect("map");
    assert_eq!(c.remote_id, "67042965499");
    assert_eq!(c.fields["name"], "Iryna Grankova");
    assert_eq!(c.fields["email_address"], "iryna.grankova@airbyte.io");
    assert_eq!(
        c.fields["phone_number"], "+380636306253",
        "phone is null: mobile"
    );
    assert_eq!(c.fields["details"], Value::Null);
    assert_eq!(c.fields["account"], id(ModelKind::Account, "67001265522"));
    assert!(!c.remote_was_deleted);
    let mut deleted = sample("contact_list_item.json");
    deleted["deleted"] = json!(true);
    assert!(map_contact(LA, &deleted).expect("map").remote_was_deleted);
}

#[test]
fn agent_list_item() {
    let u = map_user(LA, &sample("agent_list_item.json")).expect("map");
    assert_eq!(u.kind, ModelKind::User);
    assert_eq!(u.remote_id, "67013469919");
    assert_eq!(u.fields["name"], "Team Airbyte");
    assert_eq!(u.fields["email_address"], "integration-test@airbyte.io");
    assert_eq!(u.fields["is_active"], true);
    assert_eq!(
        u.fields["teams"],
        json!([]),
        "the list shape has no group_ids"
    );
    assert_eq!(u.fields["roles"], json!([]));
    assert_eq!(u.fields["avatar"], Value::Null);

    // The view adds group_ids and role_ids.
    let mut view = sample("agent_list_item.json");
    view["group_ids"] = json!([67000260063i64]);
    view["role_ids"] = json!([5]);
    view["contact"]["avatar"] = json!({"avatar_url": "https://x/a.png"});
    let u = map_user(LA, &view).expect("map");
    assert_eq!(
        u.fields["teams"],
        json!([id(ModelKind::Team, "67000260063")])
    );
    assert_eq!(u.fields["roles"], json!([id(ModelKind::Role, "5")]));
    assert_eq!(u.fields["avatar"], "https://x/a.png");
}

#[test]
fn group_list_item() {
    let t = map_team(LA, &sample("group_list_item.json")).expect("map");
    assert_eq!(t.remote_id, "67000260063");
    assert_eq!(t.fields["name"], "Account managers");
    assert_eq!(t.fields["description"], "Account managers");
}

#[test]
fn companies_list_page() {
    let page = sample("companies_list_page.json");
    let accounts: Vec<_> = page
        .as_array()
        .expect("array")
        .iter()
        .map(|c| map_account(LA, c).expect("map"))
        .collect();
    assert_eq!(accounts.len(), 2);
    assert_eq!(accounts[0].remote_id, "153001367218");
    assert_eq!(accounts[0].fields["name"], "Acme Inc.");
    assert_eq!(accounts[0].fields["domains"], json!(["acmecorp.com"]));
    assert_eq!(accounts[1].fields["name"], "Molex, Inc.");
    assert_eq!(accounts[1].fields["domains"], json!(["molex.com"]));
}

#[test]
fn ticket_field_status_labels() {
    let labels = status_labels_from_fields(&[sample("ticket_field_status_list_item.json")]);
    assert_eq!(
        labels,
        vec![
            (2, "Open".to_string()),
            (3, "Pending".to_string()),
            (4, "Resolved".to_string()),
            (5, "Closed".to_string())
        ]
    );
}

#[test]
fn attachment_shape() {
    // The samples carry no attachments (signed URLs were stripped); this is the documented
    // shape of a ticket-view attachment.
    let raw = json!({"id": 5001, "content_type": "image/png", "size": 100, "name": "shot.png",
        "attachment_url": "https://s3.amazonaws.com/x?X-Amz-Expires=300", "created_at": "2024-12-01T12:00:00Z",
        "updated_at": "2024-12-01T12:00:00Z"});
    let a = map_attachment(LA, "7", &raw, "/tickets/7").expect("map");
    assert_eq!(a.kind, ModelKind::Attachment);
    assert_eq!(a.fields["file_name"], "shot.png");
    assert_eq!(a.fields["ticket"], id(ModelKind::Ticket, "7"));
    assert_eq!(a.fields["content_type"], "image/png");
    assert_eq!(a.fields["uploaded_by"], Value::Null);
    assert_eq!(a.fields["remote_created_at"], "2024-12-01T12:00:00Z");
    assert!(a.volatile_keys.contains(&"file_url"));
    assert!(a.volatile_keys.contains(&"attachment_url"));
    let mut view = sample("ticket_view.json");
    view["attachments"] = json!([raw]);
    let t = map_ticket(LA, &base(), &view).expect("map");
    assert_eq!(
        t.fields["attachments"],
        json!([id(ModelKind::Attachment, "5001")])
    );
}

#[test]
fn error_samples() {
    match classify_status(
        StatusCode::BAD_REQUEST,
        &sample_bytes("error_400_validation_ticket_create.json"),
    ) {
        ProviderError::Validation(p) => {
            assert_eq!(p.len(), 12);
            assert_eq!(p[0].field, "status");
            assert_eq!(p[0].code, "invalid_value");
            assert_eq!(p[7].code, "datatype_mismatch");
        }
        e => panic!("{e:?}"),
    }
    match classify_status(
        StatusCode::BAD_REQUEST,
        &sample_bytes("error_400_search_page_limit.json"),
    ) {
        ProviderError::Validation(p) => assert_eq!(p[0].field, "page"),
        e => panic!("{e:?}"),
    }
    match classify_status(
        StatusCode::BAD_REQUEST,
        &sample_bytes("error_400_company_custom_field.json"),
    ) {
        ProviderError::Validation(p) => assert_eq!(p[0].field, "custom_fields.support_plan"),
        e => panic!("{e:?}"),
    }
    assert!(matches!(
        classify_status(
            StatusCode::UNAUTHORIZED,
            &sample_bytes("error_401_invalid_credentials.json")
        ),
        ProviderError::Unauthorized
    ));
    match classify_status(
        StatusCode::FORBIDDEN,
        &sample_bytes("error_403_access_denied.json"),
    ) {
        ProviderError::Forbidden(m) => {
            assert_eq!(m, "You are not authorized to perform this action.")
        }
        e => panic!("{e:?}"),
    }
    // The legacy 429 body parses as JSON (the HTTP layer handles 429 before classifying).
    let body = sample("error_429_hourly.FROM_SERVER_SOURCE_NOT_RECORDED.json");
    assert_eq!(
        body["message"],
        "You have exceeded the limit of requests per hour"
    );
    assert!(matches!(
        classify_status(StatusCode::NOT_FOUND, b" "),
        ProviderError::NotFound
    ));
}
