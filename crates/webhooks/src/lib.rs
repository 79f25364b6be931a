//! Outbound webhooks to the product, in Merge's format, from a durable outbox in Postgres.
//!
//! * Events are queued in `webhook_events` in the same transaction as the change that caused
//!   them (linked-account events come from a database trigger; sync events from
//!   [`sync_completed`]), then fanned out into one delivery per subscribed endpoint.
//! * [`WebhookWorker`] claims due deliveries with a lease (any number of processes), POSTs
//!   them signed twice — Merge's `X-Merge-Webhook-Signature` and the Standard Webhooks
//!   headers — and logs every attempt. A failed attempt is retried on a jittered schedule;
//!   when the schedule is exhausted the delivery fails; an endpoint failing without a success
//!   for [`WebhookSettings::disable_after`] is disabled. Each event reaches each endpoint at
//!   least once (a crash between sending and recording sends it again, same `webhook-id`).
//! * Receivers on private, loopback or otherwise non-public addresses are refused (checked on
//!   the URL and again on every DNS answer) unless their host is explicitly allowed.
//!
//! Payloads carry ids, counts and identifying fields, never credentials or account tokens.
//!
//! The SSRF-safe resolver and client (the resolver and [`download`]) serve every URL a tenant or a
//! provider chooses: webhook receivers and attachment downloads alike.

pub mod download;
mod events;
mod resolver;
mod settings;
mod signing;
mod worker;

pub use events::{
    LINKED_ACCOUNT_EVENTS, ModelChanges, event_names, linked_account_json, payload, sync_completed,
};
pub use resolver::{check_receiver_url, check_receiver_url_resolved, is_public_ip, webhook_client};
pub use settings::{DEFAULT_SCHEDULE_SECS, WebhookSettings, parse_schedule};
pub use signing::{merge_signature, new_secret, standard_signature};
pub use worker::{WebhookWorker, per_org_cap};

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use deskbridge_model::ModelKind;

    use super::*;

    #[test]
    fn addresses() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.1.1",
            "172.16.0.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "64:ff9b::a01:203",
        ] {
            assert!(!is_public_ip(ip.parse().expect("ip")), "{ip}");
        }
        for ip in ["8.8.8.8", "2606:4700:4700::1111", "64:ff9b::808:808"] {
            assert!(is_public_ip(ip.parse().expect("ip")), "{ip}");
        }
    }

    #[test]
    fn receiver_urls() {
        assert!(check_receiver_url("https://hooks.example.com/merge", &[]).is_ok());
        for bad in [
            "http://127.0.0.1:9000/x",
            "http://localhost/x",
            "http://[::1]/x",
            "ftp://example.com",
            "https://user:pw@example.com/",
            "http://10.0.0.8/",
            "not a url",
        ] {
            assert!(check_receiver_url(bad, &[]).is_err(), "{bad}");
        }
        let allow = vec!["127.0.0.1:9000".to_string()];
        assert!(check_receiver_url("http://127.0.0.1:9000/x", &allow).is_ok());
        assert!(check_receiver_url("http://127.0.0.1:9001/x", &allow).is_err());
        assert!(check_receiver_url("http://localhost:5/x", &["localhost".to_string()]).is_ok());
    }

    #[test]
    fn signatures() {
        // Standard Webhooks' published example.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            standard_signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        let s = merge_signature("key", b"{}");
        assert!(!s.contains('+') && !s.contains('/') && s.ends_with('='));
        assert!(new_secret().starts_with("whsec_"));
    }

    #[test]
    fn schedules() {
        assert_eq!(
            parse_schedule("0.2, 1,5").expect("ok"),
            vec![
                Duration::from_millis(200),
                Duration::from_secs(1),
                Duration::from_secs(5)
            ]
        );
        assert!(parse_schedule("1,x").is_err());
        assert_eq!(event_names().len(), 5 + 4 * ModelKind::ALL.len());
    }
}
