//! Tests of the write mapping.

use super::*;
use deskbridge_provider::CustomFieldWrite;

fn ctx_with_custom_status() -> WriteContext {
    let mut metadata = Map::new();
    metadata.insert(
        "ticket_fields".into(),
        json!([{"name": "status", "type": "default_status",
                "choices": {"2": ["Open", "Being Processed"], "3": ["Pending", "x"],
                            "7": ["Waiting on Third Party", "x"], "6": ["Waiting on Customer", "x"]}}]),
    );
    WriteContext { metadata }
}

#[test]
fn statuses_and_priorities() {
    let ctx = ctx_with_custom_status();
    assert_eq!(status_code(TicketStatusEnum::Open, &ctx).0, 2);
    assert_eq!(status_code(TicketStatusEnum::OnHold, &ctx).0, 3);
    assert_eq!(status_code(TicketStatusEnum::Closed, &ctx).0, 5);
    assert_eq!(status_code(TicketStatusEnum::InProgress, &ctx), (6, None));
    let (code, warn) = status_code(TicketStatusEnum::InProgress, &WriteContext::default());
    assert_eq!(code, 2);
    assert!(warn.is_some());
    assert_eq!(priority_code(PriorityEnum::Low), 1);
    assert_eq!(priority_code(PriorityEnum::Urgent), 4);
}

#[test]
fn ticket_bodies_and_pointers() {
    let t = TicketWrite {
        name: Patch::Value("Printer".into()),
        status: Patch::Value(TicketStatusEnum::OnHold),
        assignees: Patch::Value(vec!["11".into(), "12".into()]),
        contact: Patch::Value("42".into()),
        tags: Patch::Null,
        custom_fields: vec![CustomFieldWrite {
            key: "cf_region".into(),
            value: json!("EU"),
            pointer: "/model/remote_fields/0/value".into(),
        }],
        unsupported: vec!["collections".into()],
        ..TicketWrite::default()
    };
    let b = ticket_body(&t, &WriteContext::default(), false);
    assert_eq!(
        Value::Object(b.body.clone()),
        json!({"subject": "Printer", "status": 3, "responder_id": 11, "requester_id": 42,
               "tags": [], "custom_fields": {"cf_region": "EU"}})
    );
    assert_eq!(b.pointer_of("responder_id"), "/model/assignees/0");
    assert_eq!(
        b.pointer_of("custom_fields.cf_region"),
        "/model/remote_fields/0/value"
    );
    assert_eq!(b.pointer_of("requester_id"), "/model/contact");
    assert_eq!(b.pointer_of("nonsense"), "/model");
    let pointers: Vec<_> = b
        .warnings
        .iter()
        .filter_map(|w| w.pointer.clone())
        .collect();
    assert_eq!(pointers, vec!["/model/assignees/1", "/model/collections"]);
    // On create, empty lists and nulls are simply not sent.
    let t = TicketWrite {
        assignees: Patch::Value(vec![]),
        account: Patch::Null,
        ..TicketWrite::default()
    };
    assert!(
        ticket_body(&t, &WriteContext::default(), true)
            .body
            .is_empty()
    );
}

#[test]
fn comments_by_author() {
    let c = CommentWrite {
        ticket: Some("7".into()),
        body: Some("a < b\nok".into()),
        author: CommentAuthor::User("3".into()),
        ..CommentWrite::default()
    };
    let (k, b) = comment_body(&c);
    assert_eq!(k, CommentKind::Reply);
    assert_eq!(b.body["body"], json!("a &lt; b<br>ok"));
    let c = CommentWrite {
        is_private: Some(true),
        ..c
    };
    let (k, b) = comment_body(&c);
    assert_eq!((k, &b.body["private"]), (CommentKind::Note, &json!(true)));
    let c = CommentWrite {
        author: CommentAuthor::Contact("9".into()),
        is_private: Some(false),
        ..c
    };
    let (k, b) = comment_body(&c);
    assert_eq!(k, CommentKind::Note);
    assert_eq!(
        (
            b.body["incoming"].clone(),
            b.body["private"].clone(),
            b.body["user_id"].clone()
        ),
        (json!(true), json!(false), json!(9))
    );
    assert_eq!(b.pointer_of("user_id"), "/model/contact");
}

#[test]
fn problems_are_located() {
    let b = contact_body(&ContactWrite {
        name: Some("Jane".into()),
        ..ContactWrite::default()
    });
    let located = b.locate(vec![FieldProblem {
        field: "email".into(),
        message: "It should be a unique value".into(),
        code: "duplicate_value".into(),
    }]);
    assert_eq!(located[0].field, "/model/email_address");
    assert!(located[0].message.contains("`email`"));
}
