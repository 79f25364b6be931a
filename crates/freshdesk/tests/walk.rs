//! Stream walks against a stateful fake Freshdesk (wiremock).

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{Fake, FakeTicket, fmt, provider, ts};
use deskbridge_model::ModelKind;
use deskbridge_provider::{FetchBatch, TicketingProvider};
use serde_json::{Value, json};
use wiremock::MockServer;

fn ticket(id: i64, t: i64) -> FakeTicket {
    FakeTicket {
        id,
        updated_at: ts(t),
        deleted: false,
        spam: false,
        tags: vec![],
        attachments: vec![],
    }
}

async fn run_stream(
    p: &dyn TicketingProvider,
    stream: &str,
    cp: Option<Value>,
) -> (Vec<FetchBatch>, Option<Value>) {
    let mut cp = cp;
    let mut batches = Vec::new();
    for _ in 0..200 {
        let b = p.fetch(stream, cp.as_ref()).await.expect("fetch");
        cp = b.checkpoint.clone();
        let done = b.done;
        batches.push(b);
        if done {
            return (batches, cp);
        }
    }
    panic!("{stream} did not finish");
}

fn emitted_tickets(batches: &[FetchBatch]) -> Vec<(String, String)> {
    batches
        .iter()
        .flat_map(|b| b.records.iter())
        .filter(|r| r.kind == ModelKind::Ticket)
        .map(|r| {
            (
                r.remote_id.clone(),
                r.fields["remote_updated_at"]
                    .as_str()
                    .expect("ts")
                    .to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn bookmark_walk_survives_edits_and_a_bulk_second() {
    let server = MockServer::start().await;
    let fake = Fake::default();
    {
        let mut st = fake.state();
        for id in 1..=50 {
            st.tickets.insert(id, ticket(id, id));
        }
        // 150 tickets updated in one second (a bulk update).
        for id in 51..=200 {
            st.tickets.insert(id, ticket(id, 100));
        }
        for id in 201..=250 {
            st.tickets.insert(id, ticket(id, 200 + id));
        }
        st.after_ticket_list = Some(Box::new(|tickets, call| match call {
            1 => {
                // Ticket 60 was read on page 1; ticket 150 is not read yet.
                tickets.get_mut(&60).expect("t").updated_at = ts(1000);
                tickets.get_mut(&150).expect("t").updated_at = ts(1001);
            }
            2 => {
                // While paging within the bulk second, one of its tickets is edited: the rest
                // of that second shifts up by one.
                tickets.get_mut(&55).expect("t").updated_at = ts(1002);
            }
            3 => tickets.get_mut(&5).expect("t").updated_at = ts(1003),
            _ => {}
        }));
    }
    fake.mount(&server).await;
    let p = provider(&server.uri());
    let (batches, cp) = run_stream(&p, "tickets", None).await;
    let emitted = emitted_tickets(&batches);

    let ids: BTreeSet<i64> = emitted
        .iter()
        .map(|(id, _)| id.parse().expect("id"))
        .collect();
    assert_eq!(
        ids,
        (1..=250).collect::<BTreeSet<_>>(),
        "every ticket is emitted"
    );
    let mut versions = BTreeMap::new();
    for e in &emitted {
        *versions.entry(e.clone()).or_insert(0) += 1;
    }
    assert!(
        versions.values().all(|n| *n == 1),
        "no version emitted twice: {versions:?}"
    );
    // Every final version was emitted.
    for t in fake.state().tickets.values() {
        assert!(
            versions.contains_key(&(t.id.to_string(), fmt(t.updated_at))),
            "ticket {} final version",
            t.id
        );
    }
    let count = |id: &str| emitted.iter().filter(|(i, _)| i == id).count();
    assert_eq!(
        count("150"),
        1,
        "edited before it was read: emitted once, new version"
    );
    assert_eq!(count("60"), 2, "edited after it was read: both versions");
    assert_eq!(count("7"), 1);
    assert_eq!(count("5"), 2, "edited while the walk ran: both versions");

    let log = fake.state().log.clone();
    let lists: Vec<&String> = log
        .iter()
        .filter(|l| l.starts_with("/api/v2/tickets?"))
        .collect();
    assert!(
        lists[0].contains("updated_since=1970-01-01T00:00:00Z"),
        "{}",
        lists[0]
    );
    assert!(lists.iter().all(|l| l.contains("updated_since=")
        && l.contains("order_by=updated_at")
        && l.contains("order_type=asc")));
    assert!(
        lists.iter().all(|l| l.contains("include=description,stats")
            || l.contains("include=description%2Cstats"))
    );
    assert!(
        lists.iter().any(|l| l.contains("&page=")),
        "paged within the bulk second"
    );
    assert!(
        lists.iter().filter(|l| !l.contains("&page=")).count() >= 3,
        "otherwise always page 1"
    );
    // One view per emitted ticket.
    let views = log
        .iter()
        .filter(|l| l.starts_with("/api/v2/tickets/") && !l.contains("conversations"))
        .count();
    assert_eq!(views, emitted.len());

    let cp = cp.expect("checkpoint");
    assert!(
        cp.get("bookmark").is_some()
            && cp.get("seen_ids_at_bookmark").is_some()
            && cp.get("page").is_some(),
        "{cp}"
    );

    // The next run re-reads the overlap window but emits nothing unchanged…
    let (again, cp2) = run_stream(&p, "tickets", Some(cp)).await;
    assert!(
        emitted_tickets(&again).is_empty(),
        "{:?}",
        emitted_tickets(&again)
    );
    // …and exactly what changed since.
    fake.state().tickets.get_mut(&42).expect("t").updated_at = ts(2000);
    let (third, _) = run_stream(&p, "tickets", cp2).await;
    assert_eq!(
        emitted_tickets(&third),
        vec![("42".to_string(), fmt(ts(2000)))]
    );
}

#[tokio::test]
async fn tags_deletions_and_spam() {
    let server = MockServer::start().await;
    let fake = Fake::default();
    {
        let mut st = fake.state();
        for id in 1..=6 {
            st.tickets.insert(id, ticket(id, id));
        }
        st.tickets.get_mut(&1).expect("t").tags = vec!["vip".into(), "billing".into()];
        st.tickets.get_mut(&2).expect("t").tags = vec!["vip".into()];
        st.tickets.get_mut(&3).expect("t").deleted = true;
        st.tickets.get_mut(&4).expect("t").deleted = true;
        st.tickets.get_mut(&5).expect("t").spam = true;
    }
    fake.mount(&server).await;
    let p = provider(&server.uri());

    let (batches, _) = run_stream(&p, "tickets", None).await;
    let ids: BTreeSet<String> = emitted_tickets(&batches)
        .into_iter()
        .map(|(i, _)| i)
        .collect();
    assert_eq!(ids, ["1", "2", "6"].map(String::from).into());
    let tags: BTreeSet<String> = batches
        .iter()
        .flat_map(|b| b.records.iter())
        .filter(|r| r.kind == ModelKind::Tag)
        .map(|r| {
            assert_eq!(r.fields["name"], json!(r.remote_id));
            r.remote_id.clone()
        })
        .collect();
    assert_eq!(tags, ["billing", "vip"].map(String::from).into());

    let (deleted, cp) = run_stream(&p, "tickets_deleted", None).await;
    let d: Vec<String> = deleted
        .iter()
        .flat_map(|b| b.deleted.iter())
        .map(|r| {
            assert_eq!(r.kind, ModelKind::Ticket);
            r.remote_id.clone()
        })
        .collect();
    assert_eq!(d, vec!["3", "4"]);
    let (spam, _) = run_stream(&p, "tickets_spam", None).await;
    let s: Vec<String> = spam
        .iter()
        .flat_map(|b| b.deleted.iter())
        .map(|r| r.remote_id.clone())
        .collect();
    assert_eq!(s, vec!["5"]);
    // Resuming the deletion stream reports nothing new.
    let (again, _) = run_stream(&p, "tickets_deleted", cp).await;
    assert!(again.iter().all(|b| b.deleted.is_empty()));
    assert!(
        fake.state()
            .log
            .iter()
            .any(|l| l.contains("filter=deleted") && l.contains("updated_since="))
    );

    let all = p.list_all_ids(ModelKind::Ticket).await.expect("ids");
    assert_eq!(all, vec!["1", "2", "6"]);
}

#[tokio::test]
async fn contacts_walk_then_blocked_phase_with_the_deleted_then_incremental() {
    let server = MockServer::start().await;
    let fake = Fake::default();
    {
        let mut st = fake.state();
        for i in 1..=150 {
            st.contacts.push(json!({"id": i, "name": format!("C{i:03}"), "email": format!("c{i}@x.io"), "phone": null, "mobile": null, "description": null, "company_id": null}));
        }
        st.deleted_contacts
            .push(json!({"id": 900, "name": "Gone", "deleted": true}));
        st.blocked_contacts
            .push(json!({"id": 901, "name": "Spammer"}));
    }
    fake.mount(&server).await;
    let p = provider(&server.uri());
    let (batches, cp) = run_stream(&p, "contacts", None).await;
    let recs: Vec<_> = batches.iter().flat_map(|b| b.records.iter()).collect();
    assert_eq!(recs.len(), 152);
    assert!(recs.iter().all(|r| r.kind == ModelKind::Contact));
    let gone = recs
        .iter()
        .find(|r| r.remote_id == "900")
        .expect("deleted contact");
    assert!(gone.remote_was_deleted);
    assert!(
        recs.iter()
            .filter(|r| r.remote_id != "900")
            .all(|r| !r.remote_was_deleted)
    );
    let cp = cp.expect("cp");
    assert!(cp["since"].is_string(), "{cp}");
    let _ = run_stream(&p, "contacts", Some(cp)).await;
    let log = fake.state().log.clone();
    assert!(
        log.iter()
            .any(|l| l.starts_with("/api/v2/contacts?") && l.contains("_updated_since="))
    );
    // Two lists: the default one and `state=blocked`, which carries the deleted contacts.
    assert!(!log.iter().any(|l| l.contains("state=deleted")), "{log:?}");
    assert!(log.iter().any(|l| l.contains("state=blocked")));
    let ids = p.list_all_ids(ModelKind::Contact).await.expect("ids");
    assert_eq!(ids.len(), 151, "live and blocked, not deleted");
}

#[tokio::test]
async fn full_walk_reads_again_when_the_list_shifts() {
    let server = MockServer::start().await;
    let fake = Fake::default();
    {
        let mut st = fake.state();
        for i in 1..=150 {
            st.companies
                .push(json!({"id": i, "name": format!("Co{i:03}"), "domains": []}));
        }
        // Company 10 is deleted right after page 1 was read: everything shifts up by one.
        st.after_companies = Some(Box::new(|cos, call| {
            if call == 1 {
                cos.retain(|c| c["id"] != json!(10));
            }
        }));
    }
    fake.mount(&server).await;
    let p = provider(&server.uri());
    let (batches, _) = run_stream(&p, "companies", None).await;
    let ids: BTreeSet<i64> = batches
        .iter()
        .flat_map(|b| b.records.iter())
        .map(|r| r.remote_id.parse().expect("id"))
        .collect();
    for i in (1..=150).filter(|i| *i != 10) {
        assert!(ids.contains(&i), "company {i} was skipped");
    }
    let log = fake.state().log.clone();
    assert!(
        log.iter().any(|l| l.contains("per_page=1&page=100")),
        "boundary check made"
    );

    let all = p.list_all_ids(ModelKind::Account).await.expect("ids");
    assert_eq!(all.len(), 149);
}

#[tokio::test]
async fn children_use_the_view_of_the_stream_and_follow_links() {
    let server = MockServer::start().await;
    let fake = Fake::default();
    {
        let mut st = fake.state();
        let mut t = ticket(7, 1);
        t.attachments = vec![
            json!({"id": 501, "name": "a.pdf", "content_type": "application/pdf", "size": 3,
            "attachment_url": "https://s3/x?sig=1", "created_at": fmt(ts(1)), "updated_at": fmt(ts(1))}),
        ];
        st.tickets.insert(7, t);
        let convs: Vec<Value> = (0..150)
            .map(|i| {
                let mut c = json!({"id": 10_000 + i, "body": format!("<p>{i}</p>"), "body_text": format!("{i}"),
                    "incoming": i % 2 == 1, "private": i == 3, "user_id": if i % 2 == 1 { 1007 } else { 55 },
                    "ticket_id": 7, "created_at": fmt(ts(i)), "updated_at": fmt(ts(i)), "attachments": []});
                if i == 149 {
                    c["attachments"] = json!([{"id": 502, "name": "b.png", "content_type": "image/png",
                        "attachment_url": "https://s3/y?sig=2", "created_at": fmt(ts(149))}]);
                }
                c
            })
            .collect();
        st.conversations.insert(7, convs);
    }
    fake.mount(&server).await;
    let p = provider(&server.uri());
    p.set_known_agents(["55"]);
    let (batches, _) = run_stream(&p, "tickets", None).await;
    let t = batches[0]
        .records
        .iter()
        .find(|r| r.kind == ModelKind::Ticket)
        .expect("ticket");
    assert_eq!(
        t.fields["attachments"].as_array().expect("ids").len(),
        1,
        "attachment ids from the view"
    );

    let children = p.fetch_ticket_children("7").await.expect("children");
    let comments: Vec<_> = children
        .iter()
        .filter(|r| r.kind == ModelKind::Comment)
        .collect();
    let attachments: BTreeSet<_> = children
        .iter()
        .filter(|r| r.kind == ModelKind::Attachment)
        .map(|r| r.remote_id.clone())
        .collect();
    assert_eq!(comments.len(), 150, "both pages");
    assert_eq!(attachments, ["501", "502"].map(String::from).into());
    let by_agent = comments
        .iter()
        .filter(|c| !c.fields["user"].is_null())
        .count();
    assert_eq!(by_agent, 75);
    assert!(
        comments
            .iter()
            .filter(|c| c.fields["user"].is_null())
            .all(|c| !c.fields["contact"].is_null())
    );
    let views = fake
        .state()
        .log
        .iter()
        .filter(|l| l.starts_with("/api/v2/tickets/7?") || *l == "/api/v2/tickets/7?")
        .count();
    assert_eq!(views, 1, "the children reuse the stream's view");

    // A provider that did not view the ticket makes the view itself.
    let p2 = provider(&server.uri());
    let children = p2.fetch_ticket_children("7").await.expect("children");
    assert_eq!(
        children
            .iter()
            .filter(|r| r.kind == ModelKind::Attachment)
            .count(),
        2
    );
    let views = fake
        .state()
        .log
        .iter()
        .filter(|l| l.starts_with("/api/v2/tickets/7?"))
        .count();
    assert_eq!(views, 2);
    assert!(p2.fetch_ticket_children("../7").await.is_err());
}
