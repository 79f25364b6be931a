//! Every recorded Zendesk sample (`testdata/zendesk`) that is a response parses and maps
//! through the adapter, with the values written here.

use std::collections::BTreeSet;
use std::path::PathBuf;

use deskbridge_model::{ModelKind, record_id};
use deskbridge_provider::WriteContext;
use deskbridge_zendesk::schema::write_schema;
use deskbridge_zendesk::{
    Lookups, map_account, map_attachment, map_comment, map_contact, map_role, map_team, map_ticket,
    map_user, resolve_base_url, ticket_custom_fields,
};
use serde_json::{Map, Value, json};
use url::Url;
use uuid::Uuid;

const LA: Uuid = Uuid::from_u128(0x2345);

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/zendesk")
}

fn sample(name: &str) -> Value {
    let text = std::fs::read_to_string(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn id(kind: ModelKind, remote: &str) -> Value {
    Value::String(record_id(LA, kind, remote).to_string())
}

fn base() -> Url {
    resolve_base_url("acme", &[]).expect("base")
}

fn list(v: &Value, key: &str) -> Vec<Value> {
    v[key].as_array().cloned().unwrap_or_default()
}

fn person(u: &Value) -> deskbridge_provider::NormalizedRecord {
    if deskbridge_zendesk::mapping::is_staff(u) {
        map_user(LA, u, &[], true).expect("user")
    } else {
        map_contact(LA, u).expect("contact")
    }
}

/// Every response sample is handled by one of the checks below (a new sample fails here).
#[test]
fn every_sample_is_covered() {
    let covered: BTreeSet<&str> = [
        "custom_role_show.json",
        "custom_status_create_response.json",
        "custom_statuses_list.json",
        "error_400_too_many_values.json",
        "error_401_api_token_couldnt_authenticate.json",
        "error_401_oauth_invalid_token.json",
        "error_403_forbidden_missing_scope.json",
        "error_403_forbidden_restricted.json",
        "error_404_record_not_found.json",
        "error_404_unknown_subdomain_reconstructed.json",
        "error_422_record_invalid_blank_description.json",
        "error_422_record_invalid_closed_ticket.json",
        "error_422_record_invalid_required_field_on_solve.json",
        "error_422_too_recent_start_time.json",
        "error_429_account_limit_plaintext.txt",
        "error_429_edge_protection.json",
        "error_429_incremental_export.json",
        "group_memberships_list_cursor_page.json",
        "groups_list_cursor_page.json",
        "incremental_tickets_cursor_page.json",
        "incremental_tickets_cursor_page_per_page1.json",
        "incremental_tickets_time_based_page.json",
        "incremental_tickets_time_based_per_page1_boundary.json",
        "incremental_users_cursor_per_page1.json",
        "incremental_users_time_based_per_page1.json",
        "organizations_list_cursor_page.json",
        "response_headers_recorded.json",
        "tags_list_cursor_page.json",
        "ticket_comments_cursor_page.json",
        "ticket_create_request.json",
        "ticket_create_response_201.json",
        "ticket_fields_list.json",
        "ticket_show_sideload_users_groups.json",
        "ticket_update_response_200.json",
        "tickets_list_cursor_last_page.json",
        "tickets_list_cursor_page_size1.json",
        "tickets_list_offset_page.json",
        "upload_create_response_201.json",
        "user_create_response_201.json",
        "users_list_cursor_page.json",
        "users_list_cursor_page_size1.json",
        "webhook_show.json",
    ]
    .into_iter()
    .collect();
    for entry in std::fs::read_dir(dir()).expect("dir") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .to_string();
        if name != "README.md" {
            assert!(covered.contains(name.as_str()), "{name} is not covered");
        }
    }
}

#[test]
fn every_ticket_sample_maps() {
    for name in [
        "incremental_tickets_cursor_page.json",
        "incremental_tickets_cursor_page_per_page1.json",
        "incremental_tickets_time_based_page.json",
        "incremental_tickets_time_based_per_page1_boundary.json",
        "tickets_list_cursor_last_page.json",
        "tickets_list_cursor_page_size1.json",
        "tickets_list_offset_page.json",
    ] {
        let body = sample(name);
        let tickets = list(&body, "tickets");
        assert!(!tickets.is_empty(), "{name}");
        for t in &tickets {
            let r = map_ticket(LA, &base(), t, &Lookups::default()).expect(name);
            assert_eq!(r.remote_id, t["id"].to_string());
            assert_eq!(r.fields["name"], t["subject"]);
            let deleted = t["status"] == "deleted";
            assert_eq!(r.remote_was_deleted, deleted, "{name} {}", r.remote_id);
            if deleted {
                assert_eq!(r.fields["status"], Value::Null);
            } else {
                assert!(r.fields["status"].is_string(), "{name}");
            }
            assert_eq!(r.remote_data.to_values()[0]["data"], *t);
        }
    }
    // The export's scrubbed ticket.
    let body = sample("incremental_tickets_cursor_page.json");
    let scrubbed = list(&body, "tickets")
        .into_iter()
        .find(|t| t["id"] == 4034)
        .expect("4034");
    let r = map_ticket(LA, &base(), &scrubbed, &Lookups::default()).expect("map");
    assert!(r.remote_was_deleted);
    assert_eq!(r.fields["name"], "SCRUBBED");
}

#[test]
fn ticket_show_with_side_loads() {
    let body = sample("ticket_show_sideload_users_groups.json");
    let mut lookups = Lookups::default();
    lookups.add_users(body.get("users"));
    let t = &body["ticket"];
    let r = map_ticket(LA, &base(), t, &lookups).expect("map");
    let f = &r.fields;
    assert_eq!(r.remote_id, "4");
    assert_eq!(f["name"], "nyanyanyanya");
    assert_eq!(f["status"], "OPEN", "new → OPEN");
    assert_eq!(f["priority"], "URGENT");
    assert_eq!(f["ticket_type"], Value::Null);
    assert_eq!(f["assignees"], json!([]));
    assert_eq!(
        f["assigned_teams"],
        json!([id(ModelKind::Team, "360004077472")])
    );
    assert_eq!(f["account"], id(ModelKind::Account, "360363695492"));
    // The requester and submitter is an admin: creator, not contact.
    assert_eq!(f["creator"], id(ModelKind::User, "377922500012"));
    assert_eq!(f["contact"], Value::Null);
    assert_eq!(f["ticket_url"], "https://acme.zendesk.com/agent/tickets/4");
    assert_eq!(f["completed_at"], Value::Null);
    assert_eq!(f["collections"], json!([]));
    assert_eq!(f["remote_created_at"], t["created_at"]);
    assert_eq!(f["remote_updated_at"], t["updated_at"]);
    // Without side-loads the requester is taken for a contact and the creator is unknown.
    let r = map_ticket(LA, &base(), t, &Lookups::default()).expect("map");
    assert_eq!(r.fields["contact"], id(ModelKind::Contact, "377922500012"));
    assert_eq!(r.fields["creator"], Value::Null);
    let cf = ticket_custom_fields(t);
    assert_eq!(cf.len(), t["custom_fields"].as_array().map_or(0, Vec::len));
}

#[test]
fn custom_statuses_decide_the_status() {
    let statuses = list(&sample("custom_statuses_list.json"), "custom_statuses");
    let created = sample("custom_status_create_response.json")["custom_status"].clone();
    let mut lookups = Lookups::default();
    for s in statuses.iter().chain([&created]) {
        lookups.status_categories.insert(
            s["id"].to_string(),
            s["status_category"].as_str().expect("category").to_string(),
        );
    }
    let category = created["status_category"].as_str().expect("category");
    let t = json!({"id": 9, "status": "open", "custom_status_id": created["id"]});
    let r = map_ticket(LA, &base(), &t, &lookups).expect("map");
    let expected = deskbridge_zendesk::ticket_status(category);
    assert_eq!(r.fields["status"], json!(expected));
    let mut metadata = Map::new();
    metadata.insert("custom_statuses".into(), json!([created.clone()]));
    let t =
        json!({"id": 9, "status": "open", "custom_status_id": created["id"], "priority": "low"});
    assert_eq!(
        deskbridge_zendesk::enum_origin("status", &t, &metadata),
        created["agent_label"].as_str().map(str::to_string)
    );
    assert_eq!(
        deskbridge_zendesk::enum_origin("priority", &t, &metadata).as_deref(),
        Some("low")
    );
    // A status id the account does not list falls back to `status`.
    let t = json!({"id": 9, "status": "hold", "custom_status_id": 1});
    let r = map_ticket(LA, &base(), &t, &lookups).expect("map");
    assert_eq!(r.fields["status"], "ON_HOLD");
}

#[test]
fn writes_answers_map() {
    let created = sample("ticket_create_response_201.json");
    let r = map_ticket(LA, &base(), &created["ticket"], &Lookups::default()).expect("create");
    assert_eq!(
        (r.remote_id.as_str(), &r.fields["name"]),
        ("33", &json!("example ticket"))
    );
    let updated = sample("ticket_update_response_200.json");
    let r = map_ticket(LA, &base(), &updated["ticket"], &Lookups::default()).expect("update");
    assert_eq!(r.remote_id, "4016");
    assert_eq!(r.fields["status"], "OPEN");
    let user = sample("user_create_response_201.json");
    let c = map_contact(LA, &user["user"]).expect("contact");
    assert_eq!(
        (c.kind, c.fields["name"].clone()),
        (ModelKind::Contact, json!("testUser"))
    );
    let req = sample("ticket_create_request.json");
    assert!(
        req["ticket"]["comment"].is_object(),
        "a request sample, sent by the sim tests"
    );
    let upload = sample("upload_create_response_201.json");
    let att = &upload["upload"]["attachment"];
    let comment = json!({"author_id": 1, "created_at": "2024-09-06T00:00:00Z"});
    let a = map_attachment(LA, "33", &comment, att, Some(true)).expect("attachment");
    assert_eq!(a.fields["file_name"], att["file_name"]);
    assert_eq!(a.fields["file_url"], att["content_url"]);
    assert_eq!(a.fields["uploaded_by"], id(ModelKind::User, "1"));
}

#[test]
fn comments_and_attachments() {
    let body = sample("ticket_comments_cursor_page.json");
    let c = &list(&body, "comments")[0];
    let r = map_comment(LA, "33", c, None).expect("comment");
    assert_eq!(r.remote_id, "33144692244499");
    assert_eq!(r.fields["body"], "Some comment");
    assert_eq!(r.fields["is_private"], false);
    assert_eq!(r.fields["ticket"], id(ModelKind::Ticket, "33"));
    assert_eq!(
        r.fields["contact"],
        id(ModelKind::Contact, "26155588908179")
    );
    let r = map_comment(LA, "33", c, Some(true)).expect("comment");
    assert_eq!(r.fields["user"], id(ModelKind::User, "26155588908179"));
    let att = &c["attachments"][0];
    let a = map_attachment(LA, "33", c, att, Some(true)).expect("attachment");
    assert_eq!(a.remote_id, "33144647570963");
    assert_eq!(a.fields["file_name"], "README.md");
    assert_eq!(a.fields["ticket"], id(ModelKind::Ticket, "33"));
    assert_eq!(a.fields["remote_created_at"], c["created_at"]);
    assert!(
        a.fields["file_url"]
            .as_str()
            .is_some_and(|u| u.contains("/attachments/token/"))
    );
}

#[test]
fn users_split_by_role() {
    for name in [
        "users_list_cursor_page.json",
        "users_list_cursor_page_size1.json",
        "incremental_users_cursor_per_page1.json",
        "incremental_users_time_based_per_page1.json",
    ] {
        for u in list(&sample(name), "users") {
            let r = person(&u);
            let expected = if u["role"] == "end-user" {
                ModelKind::Contact
            } else {
                ModelKind::User
            };
            assert_eq!(r.kind, expected, "{name}");
            assert_eq!(r.fields["name"], u["name"]);
            assert_eq!(r.fields["email_address"], u["email"]);
            assert_eq!(r.remote_was_deleted, u["active"] == false);
        }
    }
    let users = list(&sample("users_list_cursor_page.json"), "users");
    let admin = users
        .iter()
        .find(|u| u["id"] == 6130871991962i64)
        .expect("admin");
    let teams = vec!["6130852536346".to_string()];
    let r = map_user(LA, admin, &teams, true).expect("user");
    assert_eq!(
        r.fields["roles"],
        json!([id(ModelKind::Role, "6130869137434")])
    );
    assert_eq!(
        r.fields["teams"],
        json!([id(ModelKind::Team, "6130852536346")])
    );
    assert_eq!(r.fields["is_active"], true);
    let r = map_user(LA, admin, &[], false).expect("user");
    assert_eq!(
        r.fields["roles"],
        json!([id(ModelKind::Role, "admin")]),
        "built-in role"
    );
    let agent = users.iter().find(|u| u["role"] == "agent").expect("agent");
    let r = map_user(LA, agent, &[], true).expect("user");
    assert_eq!(r.fields["roles"], json!([id(ModelKind::Role, "agent")]));
    let memberships = list(
        &sample("group_memberships_list_cursor_page.json"),
        "group_memberships",
    );
    assert!(
        memberships
            .iter()
            .all(|m| m["user_id"].is_i64() && m["group_id"].is_i64())
    );
}

#[test]
fn directory_objects() {
    for g in list(&sample("groups_list_cursor_page.json"), "groups") {
        let t = map_team(&g).expect("team");
        assert_eq!(t.fields["name"], g["name"]);
        assert_eq!(t.remote_was_deleted, g["deleted"] == true);
    }
    let orgs = list(
        &sample("organizations_list_cursor_page.json"),
        "organizations",
    );
    assert_eq!(orgs.len(), 7);
    for o in &orgs {
        let a = map_account(o).expect("account");
        assert_eq!(a.fields["name"], o["name"]);
        assert_eq!(a.fields["domains"], o["domain_names"]);
    }
    let role = sample("custom_role_show.json");
    let r = map_role(&role["custom_role"]).expect("role");
    assert_eq!(r.remote_id, "6130869137434");
    assert_eq!(r.fields["name"], "Admin");
    assert_eq!(r.fields["ticket_access"], "ALL");
    assert_eq!(
        r.fields["ticket_actions"],
        json!(["VIEW", "CREATE", "EDIT", "CLOSE", "DELETE", "ASSIGN"])
    );
    let tags = list(&sample("tags_list_cursor_page.json"), "tags");
    assert_eq!(tags[0]["name"], "foo");
    let t = deskbridge_zendesk::map_tag("foo");
    assert_eq!(
        (t.remote_id.as_str(), &t.fields["name"]),
        ("foo", &json!("foo"))
    );
    let hook = sample("webhook_show.json");
    assert!(hook["webhook"]["id"].is_string(), "webhooks are not synced");
}

#[test]
fn write_schema_from_recorded_ticket_fields() {
    let fields = list(&sample("ticket_fields_list.json"), "ticket_fields");
    let mut metadata = Map::new();
    metadata.insert("ticket_fields".into(), Value::Array(fields));
    let ctx = WriteContext { metadata };
    let s = write_schema(ModelKind::Ticket, false, &ctx).expect("schema");
    let cf = &s["properties"]["integration_params"]["properties"]["custom_fields"]["properties"];
    assert_eq!(cf["360011672533"]["type"], "boolean", "checkbox");
    assert_eq!(cf["360011748014"]["type"], "integer");
    assert_eq!(cf["360011747974"]["type"], "number");
    assert!(cf["360011759674"]["enum"].is_array(), "tagger options");
    assert!(
        cf.get("360011737434").is_none(),
        "system fields are not custom"
    );
    assert_eq!(s["required"], json!(["description"]));
    assert!(
        write_schema(ModelKind::Ticket, true, &ctx)
            .expect("patch")
            .get("required")
            .is_none()
    );
    assert!(write_schema(ModelKind::Comment, false, &ctx).is_ok());
    assert!(write_schema(ModelKind::Contact, false, &ctx).is_ok());
    assert!(write_schema(ModelKind::Account, false, &ctx).is_err());
}
