//! Conversations, ticket statistics and time entries of generated tickets.

use rand::Rng;
use rand::rngs::StdRng;

use super::shapes::{Arch, Pools, attachment, weighted};
use super::words::{CUSTOMER, FEEDBACK, NOTES, REPLIES};
use super::{DAY, pick};
use crate::config::SimConfig;
use crate::model::{Conversation, Stats, TimeEntry};
use crate::store::{AccountData, IdKind};

#[derive(Clone, Copy)]
enum Kind {
    Reply,
    Incoming,
    PrivateNote,
    PublicNote,
    Feedback,
}

/// Generates the conversations of ticket `id`, then its stats and maybe a time entry.
pub(super) fn conversations(
    data: &mut AccountData,
    rng: &mut StdRng,
    cfg: &SimConfig,
    pools: &Pools,
    id: i64,
    arch: Option<Arch>,
) {
    let Some(t) = data.ticket(id) else { return };
    let (c, updated, status, requester, responder) = (
        t.created_at,
        t.updated_at,
        t.status,
        t.requester_id,
        t.responder_id,
    );
    let avg = cfg.conversations_per_ticket.max(0.0);
    let mut n = if avg > 0.0 {
        rng.gen_range(0.0..2.0 * avg).round() as usize
    } else {
        0
    };
    if updated == c || matches!(arch, Some(Arch::List | Arch::Stats)) {
        n = 0;
    }
    let mut times: Vec<i64> = (0..n).map(|_| rng.gen_range(c + 1..=updated)).collect();
    times.sort_unstable();
    let req_email = data.contact(requester).and_then(|x| x.email.clone());
    let addr = t
        .support_email
        .clone()
        .unwrap_or_else(|| data.email_configs[0].1.clone());
    let from_name = format!("Sim{} Support", data.index + 1);
    let mut stats = Stats {
        status_updated_at: Some(if status == 2 { c } else { updated }),
        ..Stats::default()
    };
    let last = times.len();
    for (k, at) in times.into_iter().enumerate() {
        let kind = if k + 1 == last && (status == 4 || status == 5) && rng.gen_bool(0.15) {
            Kind::Feedback
        } else {
            match weighted(rng, &[(0, 40), (1, 28), (2, 15), (3, 12)]) {
                0 => Kind::Reply,
                1 => Kind::Incoming,
                2 => Kind::PrivateNote,
                _ => Kind::PublicNote,
            }
        };
        let agent = responder.unwrap_or_else(|| pick(rng, &pools.agents));
        let cid = data.next_id(IdKind::Conversation);
        let mut conv = Conversation {
            id: cid,
            ticket_id: id,
            user_id: agent,
            body_text: "".into(),
            body_html: None,
            incoming: false,
            private: false,
            source: 2,
            category: 3,
            support_email: None,
            to_emails: Some(Vec::new()),
            from_email: None,
            cc_emails: Some(Vec::new()),
            bcc_emails: None,
            created_at: at,
            updated_at: at,
            attachments: Vec::new(),
            failed_emails: Vec::new(),
        };
        match kind {
            Kind::Reply => {
                conv.body_text = pick(rng, REPLIES).into();
                conv.source = 0;
                conv.support_email = Some(addr.clone());
                conv.to_emails = Some(req_email.iter().cloned().collect());
                conv.from_email = Some(format!("\"{from_name}\" <{addr}>"));
                conv.bcc_emails = Some(Vec::new());
                if rng.gen_bool(0.12) {
                    conv.failed_emails = req_email.iter().cloned().collect();
                }
                stats.agent_responded_at = Some(at);
                stats.first_responded_at.get_or_insert(at);
            }
            Kind::Incoming => {
                conv.body_text = pick(rng, CUSTOMER).into();
                conv.user_id = requester;
                conv.incoming = true;
                conv.source = 0;
                conv.category = 1;
                conv.support_email = Some(addr.clone());
                conv.to_emails = Some(vec![addr.clone()]);
                conv.from_email = Some(req_email.clone().unwrap_or_else(|| addr.clone()));
                conv.bcc_emails = Some(Vec::new());
                stats.requester_responded_at = Some(at);
            }
            Kind::PrivateNote => {
                conv.body_text = pick(rng, NOTES).into();
                conv.private = true;
                conv.category = 2;
            }
            Kind::PublicNote => {
                conv.body_text = pick(rng, NOTES).into();
                if rng.gen_bool(0.3) {
                    conv.to_emails = Some(req_email.iter().cloned().collect());
                }
            }
            Kind::Feedback => {
                conv.body_text = pick(rng, FEEDBACK).into();
                conv.user_id = requester;
                conv.incoming = true;
                conv.source = 6;
                conv.category = 7;
                conv.to_emails = None;
            }
        }
        if rng.gen_bool(0.05) {
            let a = attachment(data, rng, at);
            conv.attachments.push(a);
        }
        data.push_conversation(conv);
    }
    if status == 3 {
        stats.pending_since = Some(updated);
    }
    if status == 4 || status == 5 {
        stats.resolved_at = Some(updated);
        if status == 5 {
            stats.closed_at = Some(updated);
        }
    }
    if arch.is_none() && rng.gen_bool(0.03) {
        stats.reopened_at = Some(updated);
    }
    let entry = arch.is_none() && responder.is_some() && rng.gen_bool(0.1);
    let company = data.ticket(id).and_then(|t| t.company_id);
    data.update_ticket(id, |t| t.stats = stats);
    if let (true, Some(agent)) = (entry, responder) {
        let start = rng.gen_range(c..=updated);
        let seconds = rng.gen_range(30..7200);
        data.time_entries.push(TimeEntry {
            id: data.ids.next(IdKind::TimeEntry, rng),
            billable: rng.gen_bool(0.7),
            note: pick(
                rng,
                &[
                    "Test",
                    "Investigated the logs",
                    "Call with the customer",
                    "",
                ],
            )
            .into(),
            timer_running: false,
            agent_id: agent,
            ticket_id: id,
            company_id: company,
            seconds,
            executed_at: start - start.rem_euclid(DAY),
            start_time: start,
            created_at: start,
            updated_at: (start + seconds).min(updated.max(start)),
        });
    }
}
