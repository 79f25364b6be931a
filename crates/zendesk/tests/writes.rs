//! Credentials, writes, schemas, passthrough and attachment downloads against the simulator.

mod common;

use std::collections::BTreeMap;

use common::{Env, sid, start, sync};
use deskbridge_model::{ModelKind, Patch, PriorityEnum, TicketStatusEnum};
use deskbridge_provider::{
    CommentAuthor, CommentWrite, ContactWrite, PassthroughRequest, ProviderError, TicketWrite,
    TicketingProvider, WriteContext,
};
use deskbridge_zendesk::{ZendeskAuth, ZendeskCredentials, ZendeskProvider};
use reqwest::Method;
use secrecy::SecretString;
use serde_json::{Map, Value, json};

async fn ctx_after_sync(p: &ZendeskProvider) -> WriteContext {
    sync(p, &mut BTreeMap::new()).await;
    let metadata: Map<String, Value> = p.metadata().await.expect("metadata").into_iter().collect();
    WriteContext { metadata }
}

fn first<'a>(data: &'a Value, key: &str, f: impl Fn(&Value) -> bool) -> &'a Value {
    data[key]
        .as_array()
        .expect(key)
        .iter()
        .find(|v| f(v))
        .unwrap_or_else(|| panic!("no {key} matches"))
}

async fn ticket_in_sim(env: &Env, sub: &str, id: &str) -> Value {
    let data = env.data(sub).await;
    first(&data, "tickets", |t| sid(t) == id).clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_are_checked_for_a_person() {
    let env = start(common::config(1, 5)).await;
    let a = env.account(0);
    env.provider(0).check_credentials().await.expect("admin");
    let as_agent = ZendeskProvider::new(env.config_as(&a, &a.agent_email)).expect("agent");
    assert!(matches!(as_agent.check_credentials().await,
        Err(ProviderError::Forbidden(m)) if m.contains("admin")));
    let as_end_user = ZendeskProvider::new(env.config_as(&a, &a.end_user_email)).expect("eu");
    assert!(matches!(as_end_user.check_credentials().await,
        Err(ProviderError::Forbidden(m)) if m.contains("end-user")));
    let site = env.handle.site(&a.subdomain);
    let wrong = env.with_credentials(ZendeskCredentials {
        subdomain: site.clone(),
        auth: ZendeskAuth::ApiToken {
            email: a.admin_email.clone(),
            api_token: SecretString::from("wrong"),
        },
    });
    assert!(matches!(
        wrong.check_credentials().await,
        Err(ProviderError::Unauthorized)
    ));
    let oauth = env.with_credentials(ZendeskCredentials {
        subdomain: site,
        auth: ZendeskAuth::OAuth {
            access_token: SecretString::from(a.oauth_token.clone()),
        },
    });
    oauth.check_credentials().await.expect("OAuth admin");
    let groups = oauth
        .fetch(deskbridge_zendesk::stream::GROUPS, None)
        .await
        .expect("a sync call with the bearer token");
    assert!(!groups.records.is_empty());
    let nowhere = env.with_credentials(ZendeskCredentials {
        subdomain: env.handle.site("nosuchdesk"),
        auth: ZendeskAuth::OAuth {
            access_token: SecretString::from(a.oauth_token.clone()),
        },
    });
    assert!(matches!(
        nowhere.check_credentials().await,
        Err(ProviderError::UnknownAccount)
    ));
    let mut c = env.config(0);
    c.allowed_hosts.clear();
    assert!(matches!(
        ZendeskProvider::new(c),
        Err(ProviderError::HostNotAllowed(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tickets_comments_and_contacts_are_written() {
    let env = start(common::config(1, 20)).await;
    let sub = env.account(0).subdomain;
    let p = env.provider(0);
    let ctx = ctx_after_sync(&p).await;
    let data = env.data(&sub).await;
    let requester = sid(first(&data, "users", |u| {
        u["role"] == "end-user" && u["active"] == true && u["suspended"] == false
    }));
    let agent = sid(first(&data, "users", |u| u["role"] == "agent"));
    let group = sid(first(&data, "groups", |g| g["deleted"] == false));
    let t = TicketWrite {
        name: Patch::Value("Printer on fire".into()),
        description: Patch::Value("It smokes.\nPlease help.".into()),
        status: Patch::Value(TicketStatusEnum::OnHold),
        priority: Patch::Value(PriorityEnum::High),
        contact: Patch::Value(requester.clone()),
        assignees: Patch::Value(vec![agent.clone(), "1".into()]),
        assigned_teams: Patch::Value(vec![group.clone()]),
        tags: Patch::Value(vec!["fire".into()]),
        unsupported: vec!["collections".into()],
        ..TicketWrite::default()
    };
    let out = p.create_ticket(&t, &ctx).await.expect("create");
    let id = out.record.remote_id.clone();
    assert_eq!(out.record.fields["status"], "ON_HOLD");
    assert_eq!(out.record.fields["priority"], "HIGH");
    assert_eq!(out.related.len(), 1, "the tag");
    let pointers: Vec<_> = out
        .warnings
        .iter()
        .filter_map(|w| w.pointer.clone())
        .collect();
    assert!(pointers.contains(&"/model/assignees/1".to_string()));
    assert!(pointers.contains(&"/model/collections".to_string()));
    let raw = ticket_in_sim(&env, &sub, &id).await;
    assert_eq!(raw["status"], "hold");
    assert_eq!(raw["priority"], "high");
    assert_eq!(raw["requester_id"].to_string(), requester);
    assert_eq!(raw["assignee_id"].to_string(), agent);
    assert_eq!(raw["group_id"].to_string(), group);
    assert_eq!(raw["description"], "It smokes.\nPlease help.");

    // IN_PROGRESS → open; CLOSED → solved (never closed).
    let upd = TicketWrite {
        status: Patch::Value(TicketStatusEnum::InProgress),
        description: Patch::Value("ignored".into()),
        ..TicketWrite::default()
    };
    let out = p.update_ticket(&id, &upd, &ctx).await.expect("update");
    assert!(
        out.warnings
            .iter()
            .any(|w| w.pointer.as_deref() == Some("/model/description"))
    );
    assert_eq!(ticket_in_sim(&env, &sub, &id).await["status"], "open");
    let close = TicketWrite {
        status: Patch::Value(TicketStatusEnum::Closed),
        ..TicketWrite::default()
    };
    let out = p.update_ticket(&id, &close, &ctx).await.expect("solve");
    assert_eq!(out.record.fields["status"], "CLOSED");
    assert_eq!(ticket_in_sim(&env, &sub, &id).await["status"], "solved");

    // A comment by the end-user, through a ticket update with author_id, without prefix.
    let c = CommentWrite {
        ticket: Some(id.clone()),
        body: Some("Still smoking.".into()),
        is_private: Some(false),
        author: CommentAuthor::Contact(requester.clone()),
        ..CommentWrite::default()
    };
    let out = p.create_comment(&c, &ctx).await.expect("comment");
    assert_eq!(out.record.kind, ModelKind::Comment);
    assert_eq!(out.record.fields["body"], "Still smoking.");
    assert!(out.record.fields["user"].is_null() && !out.record.fields["contact"].is_null());
    let data = env.data(&sub).await;
    let last = data["comments"][&id]
        .as_array()
        .and_then(|c| c.last())
        .cloned()
        .expect("comment");
    assert_eq!(last["author_id"].to_string(), requester);
    assert_eq!(last["plain_body"], "Still smoking.");
    assert_eq!(sid(&last), out.record.remote_id);
    let note = CommentWrite {
        ticket: Some(id.clone()),
        html_body: Some("<p>Internal</p>".into()),
        is_private: Some(true),
        author: CommentAuthor::User(agent.clone()),
        ..CommentWrite::default()
    };
    let out = p.create_comment(&note, &ctx).await.expect("note");
    assert_eq!(out.record.fields["is_private"], true);

    // A contact.
    let contact = ContactWrite {
        name: Some("Ada Lovelace".into()),
        email_address: Some("ada@example.org".into()),
        phone_number: Some("+15550100".into()),
        details: Some("VIP".into()),
        ..ContactWrite::default()
    };
    let out = p.create_contact(&contact, &ctx).await.expect("contact");
    assert_eq!(out.record.kind, ModelKind::Contact);
    let data = env.data(&sub).await;
    let u = first(&data, "users", |u| sid(u) == out.record.remote_id);
    assert_eq!(
        (u["role"].clone(), u["email"].clone()),
        (json!("end-user"), json!("ada@example.org"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_tickets_and_missing_hold() {
    let env = start(common::config(1, 20)).await;
    let sub = env.account(0).subdomain;
    let p = env.provider(0);
    let ctx = ctx_after_sync(&p).await;
    let data = env.data(&sub).await;
    let id = sid(first(&data, "tickets", |t| t["status"] == "open"));
    let (s, _) = env
        .call(
            Method::POST,
            &format!("accounts/{sub}/tickets/{id}/archive"),
            json!({}),
        )
        .await;
    assert!((200..300).contains(&s));
    let t = TicketWrite {
        status: Patch::Value(TicketStatusEnum::Open),
        ..TicketWrite::default()
    };
    let Err(ProviderError::Validation(problems)) = p.update_ticket(&id, &t, &ctx).await else {
        panic!("a closed ticket refuses updates");
    };
    assert_eq!(problems[0].field, "/model/status");
    assert!(
        problems[0]
            .message
            .contains("Status closed prevents ticket update"),
        "{problems:?}"
    );
    let c = CommentWrite {
        ticket: Some(id.clone()),
        body: Some("hello".into()),
        ..CommentWrite::default()
    };
    assert!(matches!(
        p.create_comment(&c, &ctx).await,
        Err(ProviderError::Validation(_))
    ));
    assert!(matches!(
        p.create_ticket(&TicketWrite::default(), &ctx).await,
        Err(ProviderError::Validation(pr)) if pr[0].field == "/model/description"
    ));

    // An account whose hold category is inactive: ON_HOLD → pending, with a warning.
    let mut no_hold = ctx.clone();
    let statuses: Vec<Value> = ctx.metadata["custom_statuses"]
        .as_array()
        .expect("statuses")
        .iter()
        .cloned()
        .map(|mut s| {
            if s["status_category"] == "hold" {
                s["active"] = json!(false);
            }
            s
        })
        .collect();
    no_hold
        .metadata
        .insert("custom_statuses".into(), Value::Array(statuses));
    let open = sid(first(&data, "tickets", |t| {
        t["status"] == "open" && sid(t) != id
    }));
    let t = TicketWrite {
        status: Patch::Value(TicketStatusEnum::OnHold),
        ..TicketWrite::default()
    };
    let out = p.update_ticket(&open, &t, &no_hold).await.expect("pending");
    assert!(
        out.warnings
            .iter()
            .any(|w| w.problem_type == "VALUE_SUBSTITUTED")
    );
    assert_eq!(ticket_in_sim(&env, &sub, &open).await["status"], "pending");
    let schema = p
        .write_schema(ModelKind::Ticket, false, &no_hold)
        .expect("schema");
    assert_eq!(
        schema["properties"]["status"]["x-zendesk-values"]["ON_HOLD"],
        "pending"
    );
    let schema = p
        .write_schema(ModelKind::Ticket, true, &ctx)
        .expect("schema");
    assert_eq!(
        schema["properties"]["status"]["x-zendesk-values"]["ON_HOLD"],
        "hold"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passthrough_is_confined() {
    let env = start(common::config(1, 5)).await;
    let p = env.provider(0);
    let req = |method: &str, path: &str| PassthroughRequest {
        method: method.into(),
        path: path.into(),
        body: None,
    };
    let r = p
        .passthrough(&req("GET", "tickets/1.json"))
        .await
        .expect("get");
    assert_eq!(r.status, 200);
    assert!(r.url.ends_with("/api/v2/tickets/1.json"));
    assert!(r.headers.iter().all(|(k, _)| k != "set-cookie"));
    assert!(r.headers.iter().any(|(k, _)| k == "x-rate-limit"));
    let r = p
        .passthrough(&req("GET", "/api/v2/tickets/999999.json"))
        .await
        .expect("404");
    assert_eq!(r.status, 404);
    for bad in [
        "../../_sim/accounts",
        "http://evil.example/api/v2/x",
        "tickets/%2e%2e/x",
        "//evil/x",
    ] {
        assert!(
            matches!(
                p.passthrough(&req("GET", bad)).await,
                Err(ProviderError::Validation(_))
            ),
            "{bad}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attachments_never_carry_credentials_off_host() {
    let env = start(common::config(1, 40)).await;
    let sub = env.account(0).subdomain;
    let p = env.provider(0);
    let data = env.data(&sub).await;
    let (ticket, _) = data["comments"]
        .as_object()
        .expect("comments")
        .iter()
        .find(|(_, cs)| {
            cs.as_array().is_some_and(|c| {
                c.iter()
                    .any(|c| c["attachments"].as_array().is_some_and(|a| !a.is_empty()))
            })
        })
        .expect("a ticket with an attachment");
    let children = p.fetch_ticket_children(ticket).await.expect("children");
    let att = children
        .iter()
        .find(|r| r.kind == ModelKind::Attachment)
        .expect("attachment");
    let url = att.fields["file_url"].as_str().expect("file_url");
    env.reset_counters(&sub).await;
    let signed = p.attachment_download_url(url).await.expect("resolved");
    assert_eq!(
        signed.origin(),
        url::Url::parse(&env.handle.content_url)
            .expect("u")
            .origin()
    );
    let resp = p.download_attachment(url).await.expect("download");
    let bytes = resp.bytes().await.expect("bytes");
    assert!(!bytes.is_empty());
    let counters = env.counters(&sub).await;
    assert_eq!(counters["credentials_off_host"], 0);
    assert_eq!(counters["downloads"], 1);
    // A URL on another host is refused before any request.
    let off = format!("{}/{sub}/x/y", env.handle.content_url);
    assert!(matches!(
        p.attachment_download_url(&off).await,
        Err(ProviderError::HostNotAllowed(_))
    ));
}
