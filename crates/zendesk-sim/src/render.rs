//! JSON renders in the recorded key order (2024 recordings). URLs use the account's canonical
//! base (`{server}/d/{subdomain}`), which may differ from the host a client called, as on Zendesk.

use serde_json::{Map, Value, json};

use crate::datagen::html_body;
use crate::store::{
    AccountData, Attachment, Comment, CustomRole, CustomStatus, Group, Membership, Organization,
    Ticket, TicketField, User,
};
use crate::time::{opt_ts, ts};

/// Where an account's URLs point.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// `{server}/d/{subdomain}`: the account's canonical "host".
    pub site: String,
    /// Older account shape: users carry `chat_only`, tickets `satisfaction_probability`.
    pub legacy_fields: bool,
}

impl Ctx {
    /// `{site}/api/v2`.
    pub fn api(&self) -> String {
        format!("{}/api/v2", self.site)
    }
}

fn via(channel: &str) -> Value {
    json!({"channel": channel, "source": {"from": {}, "to": {}, "rel": null}})
}

/// A ticket as `GET /tickets/{id}` shows it. `deleted` tickets render `status: "deleted"`
/// (only the export shows them); scrubbed ones read `SCRUBBED` / `X`.
pub fn ticket(c: &Ctx, t: &Ticket, dates: bool) -> Value {
    let (subject, description) = if t.scrubbed {
        ("SCRUBBED".to_owned(), "X".to_owned())
    } else {
        (t.subject.clone(), t.description.clone())
    };
    let status = if t.deleted.is_some() {
        "deleted"
    } else {
        &t.status
    };
    let fields: Vec<Value> = t
        .custom_fields
        .iter()
        .map(|(id, v)| json!({"id": id, "value": v}))
        .collect();
    let mut m = Map::new();
    m.insert(
        "url".into(),
        json!(format!("{}/tickets/{}.json", c.api(), t.id)),
    );
    m.insert("id".into(), json!(t.id));
    m.insert("external_id".into(), json!(t.external_id));
    m.insert("via".into(), via(&t.channel));
    m.insert("created_at".into(), ts(t.created_at));
    m.insert("updated_at".into(), ts(t.updated_at));
    m.insert("type".into(), json!(t.kind));
    m.insert("subject".into(), json!(subject));
    m.insert("raw_subject".into(), json!(subject));
    m.insert("description".into(), json!(description));
    m.insert("priority".into(), json!(t.priority));
    m.insert("status".into(), json!(status));
    m.insert("recipient".into(), Value::Null);
    m.insert("requester_id".into(), json!(t.requester_id));
    m.insert("submitter_id".into(), json!(t.submitter_id));
    m.insert("assignee_id".into(), json!(t.assignee_id));
    m.insert("organization_id".into(), json!(t.organization_id));
    m.insert("group_id".into(), json!(t.group_id));
    m.insert("collaborator_ids".into(), json!(t.collaborator_ids));
    m.insert("follower_ids".into(), json!(t.follower_ids));
    m.insert("email_cc_ids".into(), json!([]));
    m.insert("forum_topic_id".into(), Value::Null);
    m.insert("problem_id".into(), json!(t.problem_id));
    m.insert("has_incidents".into(), json!(false));
    m.insert(
        "is_public".into(),
        json!(t.comments.iter().any(|c| c.public)),
    );
    m.insert("due_at".into(), opt_ts(t.due_at));
    m.insert("tags".into(), json!(t.tags));
    m.insert("custom_fields".into(), Value::Array(fields.clone()));
    m.insert("satisfaction_rating".into(), Value::Null);
    m.insert("sharing_agreement_ids".into(), json!([]));
    m.insert("custom_status_id".into(), json!(t.custom_status_id));
    m.insert("fields".into(), Value::Array(fields));
    m.insert("followup_ids".into(), json!([]));
    m.insert("ticket_form_id".into(), Value::Null);
    m.insert("brand_id".into(), Value::Null);
    if c.legacy_fields {
        m.insert("satisfaction_probability".into(), Value::Null);
    }
    if dates {
        let latest = t.comments.last().map(|c| c.created_at);
        m.insert(
            "dates".into(),
            json!({"assignee_updated_at": opt_ts(t.assigned_at), "requester_updated_at": ts(t.created_at),
                "status_updated_at": ts(t.status_updated_at), "initially_assigned_at": opt_ts(t.assigned_at),
                "assigned_at": opt_ts(t.assigned_at), "solved_at": opt_ts(t.solved_at),
                "latest_comment_added_at": opt_ts(latest)}),
        );
    }
    m.insert("allow_channelback".into(), json!(false));
    m.insert("allow_attachments".into(), json!(true));
    m.insert("from_messaging_channel".into(), json!(false));
    Value::Object(m)
}

/// A ticket with the form and brand ids of its account.
pub fn ticket_in(c: &Ctx, d: &AccountData, t: &Ticket, dates: bool) -> Value {
    let mut v = ticket(c, t, dates);
    v["ticket_form_id"] = json!(d.ticket_form_id);
    v["brand_id"] = json!(d.brand_id);
    v
}

/// The export shape: the ticket plus `generated_timestamp`.
pub fn export_ticket(c: &Ctx, d: &AccountData, t: &Ticket) -> Value {
    let mut v = ticket_in(c, d, t, false);
    if let Value::Object(m) = &mut v {
        m.insert("generated_timestamp".into(), json!(t.generated_ts));
    }
    v
}

/// An attachment; `content_url` is on the account host and redirects off-host.
pub fn attachment(c: &Ctx, a: &Attachment) -> Value {
    let content = format!(
        "{}/attachments/token/{}/?name={}",
        c.site,
        a.token,
        urlencoding::encode(&a.file_name)
    );
    json!({"url": format!("{}/attachments/{}.json", c.api(), a.id), "id": a.id,
        "file_name": a.file_name, "content_url": content, "mapped_content_url": content,
        "content_type": a.content_type, "size": a.bytes.len(),
        "width": a.dims.map(|d| d.0), "height": a.dims.map(|d| d.1), "inline": false,
        "deleted": false, "malware_access_override": false, "malware_scan_result": "not_scanned",
        "thumbnails": []})
}

/// A comment (no `updated_at`: comments are immutable).
pub fn comment(c: &Ctx, k: &Comment) -> Value {
    json!({"id": k.id, "type": "Comment", "author_id": k.author_id, "body": k.body,
        "html_body": html_body(&k.body), "plain_body": k.body, "public": k.public,
        "attachments": k.attachments.iter().map(|a| attachment(c, a)).collect::<Vec<_>>(),
        "audit_id": k.audit_id, "via": via(&k.channel), "created_at": ts(k.created_at),
        "metadata": metadata()})
}

/// Audit metadata as recorded (a fixed client and location).
pub fn metadata() -> Value {
    json!({"system": {"client": "deskbridge-zendesk-sim", "ip_address": "127.0.0.1",
        "location": "Localhost, United States", "latitude": 37.6261, "longitude": -122.4304},
        "custom": {}})
}

fn photo(c: &Ctx, u: &User, id: i64) -> Value {
    let name = format!("profile_image_{}.png", u.id);
    let thumb = format!("profile_image_{}_thumb.png", u.id);
    let url = |f: &str| format!("{}/system/photos/{id}/{f}", c.site);
    json!({"url": format!("{}/attachments/{id}.json", c.api()), "id": id, "file_name": name,
        "content_url": url(&name), "mapped_content_url": url(&name), "content_type": "image/png",
        "size": 10157, "width": 80, "height": 80, "inline": false, "deleted": false,
        "thumbnails": [{"url": format!("{}/attachments/{}.json", c.api(), id + 1), "id": id + 1,
            "file_name": thumb, "content_url": url(&thumb), "mapped_content_url": url(&thumb),
            "content_type": "image/png", "size": 2330, "width": 32, "height": 32,
            "inline": false, "deleted": false}]})
}

/// A user (end-users, agents and admins share this shape).
pub fn user(c: &Ctx, u: &User) -> Value {
    let end_user = u.role == "end-user";
    let mut m = Map::new();
    m.insert("id".into(), json!(u.id));
    m.insert(
        "url".into(),
        json!(format!("{}/users/{}.json", c.api(), u.id)),
    );
    m.insert("name".into(), json!(u.name));
    m.insert("email".into(), json!(u.email));
    m.insert("created_at".into(), ts(u.created_at));
    m.insert("updated_at".into(), ts(u.updated_at));
    m.insert("time_zone".into(), json!("America/New_York"));
    m.insert("iana_time_zone".into(), json!("America/New_York"));
    m.insert("phone".into(), json!(u.phone));
    m.insert(
        "shared_phone_number".into(),
        u.phone
            .as_ref()
            .map(|_| json!(false))
            .unwrap_or(Value::Null),
    );
    m.insert(
        "photo".into(),
        u.photo_id.map(|p| photo(c, u, p)).unwrap_or(Value::Null),
    );
    m.insert("locale_id".into(), json!(1));
    m.insert("locale".into(), json!("en-US"));
    m.insert("organization_id".into(), json!(u.organization_id));
    m.insert("role".into(), json!(u.role));
    m.insert("verified".into(), json!(u.verified));
    m.insert("external_id".into(), json!(u.external_id));
    m.insert("tags".into(), json!(u.tags));
    m.insert("alias".into(), json!(u.alias));
    m.insert("active".into(), json!(u.active));
    m.insert("shared".into(), json!(false));
    m.insert("shared_agent".into(), json!(false));
    m.insert("last_login_at".into(), opt_ts(u.last_login_at));
    m.insert("two_factor_auth_enabled".into(), json!(u.two_factor));
    m.insert(
        "signature".into(),
        if end_user || !c.legacy_fields {
            Value::Null
        } else {
            json!("")
        },
    );
    m.insert("details".into(), json!(u.details));
    m.insert("notes".into(), json!(u.notes));
    m.insert("role_type".into(), json!(u.role_type));
    m.insert("custom_role_id".into(), json!(u.custom_role_id));
    m.insert("moderator".into(), json!(!end_user));
    m.insert(
        "ticket_restriction".into(),
        if end_user {
            json!("requested")
        } else {
            Value::Null
        },
    );
    m.insert("only_private_comments".into(), json!(false));
    m.insert("restricted_agent".into(), json!(end_user));
    m.insert("suspended".into(), json!(u.suspended));
    if c.legacy_fields {
        m.insert("chat_only".into(), json!(false));
    }
    m.insert("default_group_id".into(), json!(u.default_group_id));
    m.insert("report_csv".into(), json!(!end_user));
    m.insert("user_fields".into(), json!({}));
    Value::Object(m)
}

/// An organization.
pub fn organization(c: &Ctx, o: &Organization) -> Value {
    json!({"url": format!("{}/organizations/{}.json", c.api(), o.id), "id": o.id, "name": o.name,
        "shared_tickets": false, "shared_comments": false, "external_id": o.external_id,
        "created_at": ts(o.created_at), "updated_at": ts(o.updated_at),
        "domain_names": o.domain_names, "details": o.details, "notes": null,
        "group_id": o.group_id, "tags": o.tags, "organization_fields": {}})
}

/// A group.
pub fn group(c: &Ctx, g: &Group) -> Value {
    json!({"url": format!("{}/groups/{}.json", c.api(), g.id), "id": g.id, "is_public": true,
        "name": g.name, "description": g.description, "default": g.default, "deleted": g.deleted,
        "created_at": ts(g.created_at), "updated_at": ts(g.updated_at)})
}

/// A group membership.
pub fn membership(c: &Ctx, m: &Membership) -> Value {
    json!({"url": format!("{}/group_memberships/{}.json", c.api(), m.id), "id": m.id,
        "user_id": m.user_id, "group_id": m.group_id, "default": m.default,
        "created_at": ts(m.created_at), "updated_at": ts(m.created_at)})
}

/// A custom status.
pub fn custom_status(c: &Ctx, s: &CustomStatus) -> Value {
    json!({"url": format!("{}/custom_statuses/{}.json", c.api(), s.id), "id": s.id,
        "status_category": s.category, "agent_label": s.agent_label,
        "raw_agent_label": s.agent_label, "end_user_label": s.end_user_label,
        "raw_end_user_label": s.end_user_label, "description": s.description,
        "raw_description": s.description, "end_user_description": s.description,
        "raw_end_user_description": s.description, "active": s.active, "default": s.default,
        "created_at": ts(s.created_at), "updated_at": ts(s.created_at)})
}

/// A ticket field.
pub fn ticket_field(c: &Ctx, f: &TicketField) -> Value {
    let portal = f.visible_in_portal;
    let mut m = json!({"url": format!("{}/ticket_fields/{}.json", c.api(), f.id), "id": f.id,
        "type": f.kind, "title": f.title, "raw_title": f.title, "description": f.description,
        "raw_description": f.description, "position": f.position, "active": true,
        "required": f.required, "collapsed_for_agents": false, "regexp_for_validation": f.regexp,
        "title_in_portal": f.title, "raw_title_in_portal": f.title, "visible_in_portal": portal,
        "editable_in_portal": portal, "required_in_portal": false, "tag": null,
        "created_at": ts(f.created_at), "updated_at": ts(f.created_at),
        "removable": f.is_custom(),
        "agent_description": if f.is_custom() { json!(f.description) } else { Value::Null }});
    if matches!(f.kind.as_str(), "status" | "priority") {
        m["sub_type_id"] = json!(0);
    }
    if !f.system_options.is_empty() {
        m["system_field_options"] = f
            .system_options
            .iter()
            .map(|(n, v)| json!({"name": n, "value": v}))
            .collect();
    }
    if !f.options.is_empty() {
        m["custom_field_options"] = f
            .options
            .iter()
            .map(|(id, n, v)| json!({"id": id, "name": n, "raw_name": n, "value": v, "default": false}))
            .collect();
    }
    m
}

/// A custom role.
pub fn custom_role(r: &CustomRole, members: usize) -> Value {
    json!({"id": r.id, "name": r.name, "description": r.description, "role_type": r.role_type,
        "created_at": ts(r.created_at), "updated_at": ts(r.created_at),
        "configuration": r.configuration, "team_member_count": members})
}
