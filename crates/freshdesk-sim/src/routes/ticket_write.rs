//! Ticket creation and updates (shared by the API and the control API).

use serde_json::{Map, Value, json};

use super::common::{absent, strip_html};
use super::ticket_validate::{Fields, validate};
use crate::automations::{self, Happened};
use crate::errors::ApiError;
use crate::model::{Contact, CustomKind, Stats, Ticket};
use crate::store::{AccountData, IdKind};

/// Finds or creates the requester from the identifying fields.
fn resolve_requester(d: &mut AccountData, f: &Fields, now: i64) -> Option<i64> {
    if let Some(r) = f.requester_id {
        return Some(r);
    }
    let found = d
        .contacts()
        .find(|c| {
            !c.deleted
                && ((f.email.as_deref().is_some_and(|m| {
                    c.email
                        .as_deref()
                        .is_some_and(|x| x.eq_ignore_ascii_case(m))
                })) || (f.email.is_none() && f.phone.is_some() && c.phone == f.phone)
                    || (f.twitter_id.is_some() && c.twitter_id == f.twitter_id)
                    || (f.facebook_id.is_some() && c.facebook_id == f.facebook_id)
                    || (f.unique_external_id.is_some()
                        && c.unique_external_id == f.unique_external_id))
        })
        .map(|c| c.id);
    if found.is_some() {
        return found;
    }
    if f.email.is_none()
        && f.phone.is_none()
        && f.twitter_id.is_none()
        && f.facebook_id.is_none()
        && f.unique_external_id.is_none()
    {
        return None;
    }
    let id = d.next_id(IdKind::User);
    let name = f
        .name
        .clone()
        .or_else(|| {
            f.email
                .as_ref()
                .map(|m| m.split('@').next().unwrap_or(m).to_owned())
        })
        .or_else(|| f.twitter_id.clone())
        .unwrap_or_else(|| "Customer".to_owned());
    d.put_contact(new_contact(
        id,
        name,
        f.email.clone(),
        f.phone.clone(),
        now,
        f.twitter_id.clone(),
        f.facebook_id.clone(),
        f.unique_external_id.clone(),
    ));
    Some(id)
}

/// A contact with defaults.
#[allow(clippy::too_many_arguments)]
pub fn new_contact(
    id: i64,
    name: String,
    email: Option<String>,
    phone: Option<String>,
    now: i64,
    twitter_id: Option<String>,
    facebook_id: Option<String>,
    unique_external_id: Option<String>,
) -> Contact {
    Contact {
        id,
        name,
        email,
        phone,
        mobile: None,
        twitter_id,
        facebook_id,
        unique_external_id,
        address: None,
        description: None,
        job_title: None,
        language: "en".into(),
        time_zone: "Eastern Time (US & Canada)".into(),
        active: false,
        blocked: false,
        deleted: false,
        company_id: None,
        view_all_tickets: false,
        other_companies: Vec::new(),
        csat_rating: None,
        preferred_source: None,
        twitter_profile_status: false,
        twitter_followers_count: None,
        tags: Vec::new(),
        other_emails: Vec::new(),
        created_at: now,
        updated_at: now,
    }
}

fn apply_status(t: &mut Ticket, status: i64, now: i64) {
    if status == t.status {
        return;
    }
    if (t.status == 4 || t.status == 5) && status != 4 && status != 5 {
        t.stats.reopened_at = Some(now);
        t.stats.resolved_at = None;
        t.stats.closed_at = None;
    }
    t.status = status;
    t.stats.status_updated_at = Some(now);
    t.stats.pending_since = (status == 3).then_some(now);
    if status == 4 || status == 5 {
        t.stats.resolved_at.get_or_insert(now);
    }
    if status == 5 {
        t.stats.closed_at = Some(now);
    }
}

fn apply(d: &AccountData, t: &mut Ticket, f: Fields) {
    if let Some(v) = f.priority {
        t.priority = v;
    }
    if let Some(v) = f.source {
        t.source = v;
    }
    if let Some(v) = f.tags {
        t.tags = v.into_iter().map(Into::into).collect();
    }
    for (i, v) in f.custom {
        if let Some(slot) = t.custom.get_mut(i) {
            *slot = v;
        }
    }
    if let Some(v) = f.responder_id {
        t.responder_id = v;
    }
    if let Some(v) = f.group_id {
        t.group_id = v;
    }
    if let Some(v) = f.product_id {
        t.product_id = v;
    }
    if let Some(v) = f.company_id {
        t.company_id = v;
    }
    if let Some(v) = f.email_config_id {
        t.email_config_id = v;
        t.support_email = v.and_then(|id| {
            d.email_configs
                .iter()
                .find(|c| c.0 == id)
                .map(|c| c.1.clone())
        });
    }
    if let Some(v) = f.subject {
        t.subject = v.into();
    }
    if let Some(v) = f.description {
        t.description_text = strip_html(&v).into();
        t.description_html = Some(v);
    }
    if let Some(v) = f.ticket_type {
        t.ticket_type = v.map(Into::into);
    }
    if f.due_by.is_some() {
        t.due_by = f.due_by;
        t.fr_due_by = f.fr_due_by;
    }
}

/// Validates and creates a ticket; returns its id.
pub fn create(d: &mut AccountData, b: &Map<String, Value>, _me: i64) -> Result<i64, ApiError> {
    let mut f = validate(d, b, true)?;
    let now = d.now();
    let requester_id = resolve_requester(d, &f, now)
        .ok_or_else(|| ApiError::field(absent("requester_id", "contact")))?;
    let id = d.next_ticket_id();
    let company = d.contact(requester_id).and_then(|c| c.company_id);
    let custom = d
        .custom_defs
        .iter()
        .map(|(_, k)| {
            if *k == CustomKind::Checkbox {
                Value::Bool(false)
            } else {
                Value::Null
            }
        })
        .collect();
    let status = f.status.take().unwrap_or(2);
    let parent = f.parent_id.take();
    let cc = f.cc_emails.take().unwrap_or_default();
    let mut t = Ticket {
        id,
        subject: "".into(),
        description_text: "".into(),
        description_html: None,
        status: 2,
        priority: 1,
        source: 2,
        ticket_type: None,
        requester_id,
        responder_id: None,
        group_id: None,
        company_id: company,
        product_id: None,
        email_config_id: None,
        support_email: None,
        to_emails: None,
        cc_emails: Some(cc.clone()),
        fwd_emails: Some(Vec::new()),
        reply_cc_emails: Some(cc.clone()),
        ticket_cc_emails: Some(cc),
        ticket_bcc_emails: Vec::new(),
        fr_escalated: false,
        is_escalated: false,
        nr_escalated: false,
        spam: false,
        deleted: false,
        due_by: None,
        fr_due_by: None,
        nr_due_by: None,
        custom,
        created_at: now,
        updated_at: now,
        tags: Vec::new(),
        attachments: Vec::new(),
        association_type: None,
        associated: Vec::new(),
        stats: Stats {
            status_updated_at: Some(now),
            ..Stats::default()
        },
        watchers: Vec::new(),
    };
    apply(d, &mut t, f);
    apply_status(&mut t, status, now);
    if t.due_by.is_none() && status != 4 && status != 5 {
        t.due_by = Some(now + 3 * 86_400);
        t.fr_due_by = Some(now + 86_400);
    }
    if let Some(p) = parent {
        t.association_type = Some(2);
        t.associated = vec![p];
    }
    d.insert_ticket(t);
    if let Some(p) = parent {
        d.update_ticket(p, |pt| {
            pt.association_type = Some(1);
            pt.associated.push(id);
            pt.updated_at = now;
        });
    }
    automations::run(d, id, &Happened::Created);
    Ok(id)
}

/// Validates and applies an update (`{}` → 400 missing_params).
pub fn update(d: &mut AccountData, id: i64, b: &Map<String, Value>) -> Result<(), ApiError> {
    if b.is_empty() {
        return Err(ApiError::missing_params());
    }
    let mut f = validate(d, b, false)?;
    let now = d.now();
    let requester = if f.requester_id.is_some()
        || f.email.is_some()
        || f.phone.is_some()
        || f.twitter_id.is_some()
        || f.facebook_id.is_some()
        || f.unique_external_id.is_some()
    {
        resolve_requester(d, &f, now)
    } else {
        None
    };
    let status = f.status.take();
    let snapshot = d.ticket(id).cloned().ok_or(ApiError::NotFound)?;
    let mut t = snapshot;
    let before = watched(&t);
    apply(d, &mut t, f);
    if let Some(r) = requester {
        t.requester_id = r;
    }
    if let Some(s) = status {
        apply_status(&mut t, s, now);
    }
    t.updated_at = now;
    let changes: Vec<_> = before
        .into_iter()
        .zip(watched(&t))
        .filter(|(b, a)| b.1 != a.1)
        .map(|(b, a)| (b.0, b.1, a.1))
        .collect();
    d.update_ticket(id, |slot| *slot = t);
    automations::run(d, id, &Happened::Changed(changes));
    Ok(())
}

/// The properties "Ticket updates" rules watch, `(event field, value)`.
fn watched(t: &Ticket) -> [(&'static str, Value); 5] {
    [
        ("status", json!(t.status)),
        ("priority", json!(t.priority)),
        ("ticket_type", json!(t.ticket_type)),
        ("group_id", json!(t.group_id)),
        ("responder_id", json!(t.responder_id)),
    ]
}

/// Soft-deletes or restores a ticket, bumping `updated_at`.
pub fn set_deleted(d: &mut AccountData, id: i64, deleted: bool) -> bool {
    let now = d.now();
    d.update_ticket(id, |t| {
        t.deleted = deleted;
        t.updated_at = now;
    })
    .is_some()
}

/// Marks or unmarks spam, bumping `updated_at`.
pub fn set_spam(d: &mut AccountData, id: i64, spam: bool) -> bool {
    let now = d.now();
    d.update_ticket(id, |t| {
        t.spam = spam;
        t.updated_at = now;
    })
    .is_some()
}
