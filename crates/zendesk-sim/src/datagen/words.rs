//! Vocabulary, attachments, comment HTML and crowded seconds for generated tickets.

use rand::Rng;
use rand::rngs::StdRng;

use crate::store::{AccountData, Attachment};

/// First names.
pub const FIRST: &[&str] = &[
    "Ada", "Bruno", "Chen", "Dana", "Emeka", "Fatima", "Gus", "Hana", "Ivan", "Jun", "Kofi",
    "Lena", "Mateo", "Nia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tara",
];
/// Last names.
pub const LAST: &[&str] = &[
    "Okafor", "Silva", "Novak", "Haddad", "Ito", "Larsen", "Moreau", "Patel", "Reyes", "Schmidt",
    "Tanaka", "Weber",
];
/// Organization names.
pub const ORGS: &[&str] = &[
    "Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Tyrell", "Soylent",
];
/// Ticket topics.
pub const TOPICS: &[&str] = &[
    "Cannot log in",
    "Invoice is wrong",
    "Export fails with timeout",
    "Feature request: dark mode",
    "Password reset email never arrives",
    "API returns 500",
    "Refund for duplicate charge",
    "How do I add a user?",
];
/// Ticket tags.
pub const TAGS: &[&str] = &[
    "billing",
    "login",
    "bug",
    "vip",
    "refund",
    "api",
    "feature",
    "urgent_followup",
];
/// Status mix of generated tickets.
pub const STATUSES: &[&str] = &[
    "new", "open", "open", "pending", "hold", "solved", "solved", "closed",
];

/// A deterministic pseudo-file for an attachment.
pub fn attachment(d: &mut AccountData, rng: &mut StdRng, salt: u64) -> Attachment {
    let (name, ct) = [
        ("screenshot.png", "image/png"),
        ("invoice.pdf", "application/pdf"),
        ("logs.txt", "text/plain"),
    ][rng.gen_range(0..3)];
    let size = rng.gen_range(200..4000);
    let bytes: Vec<u8> = (0..size)
        .map(|i| (i as u8).wrapping_mul(31) ^ 0x5A)
        .collect();
    Attachment {
        id: d.next_id(),
        token: d.next_token(salt),
        file_name: name.to_owned(),
        content_type: ct.to_owned(),
        bytes,
        dims: (ct == "image/png").then_some((640, 480)),
    }
}

fn html_of(body: &str) -> String {
    format!("<div class=\"zd-comment\" dir=\"auto\"><p dir=\"auto\">{body}</p></div>")
}

/// Renders a comment's `html_body` from its plain body.
pub fn html_body(body: &str) -> String {
    html_of(&body.replace('&', "&amp;").replace('<', "&lt;"))
}

/// Crowded seconds: every fifth ticket shares its predecessor's `generated_timestamp`, and
/// tickets 21–27 share one second (the recorded `per_page=1` page returned seven). The
/// cluster takes its latest second, so `generated_timestamp` ≥ `updated_at` stays true.
pub fn share_seconds(d: &mut AccountData) {
    let ids: Vec<i64> = d.tickets.keys().copied().collect();
    let mut clusters: Vec<Vec<i64>> = Vec::new();
    for (n, id) in ids.iter().enumerate() {
        match clusters.last_mut() {
            Some(c) if n % 5 == 4 || (21..27).contains(&n) => c.push(*id),
            _ => clusters.push(vec![*id]),
        }
    }
    for c in clusters {
        let top = c
            .iter()
            .filter_map(|i| d.tickets.get(i).map(|t| t.generated_ts))
            .max()
            .unwrap_or(0);
        for i in c {
            if let Some(t) = d.tickets.get_mut(&i) {
                t.generated_ts = top;
            }
        }
    }
}
