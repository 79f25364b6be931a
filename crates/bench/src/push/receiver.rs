//! The product's side of the push benchmark: a local receiver of Deskbridge's changed-data
//! webhooks that notes when each `Ticket.changed` for a given subject first arrived. The
//! subject is the benchmark's marker of one change, so the arrival is matched to its change
//! without trusting the order of deliveries.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State;
use serde_json::Value;
use tokio::net::TcpListener;

#[derive(Clone, Default)]
struct Inbox {
    first: Arc<Mutex<HashMap<String, Instant>>>,
    deliveries: Arc<AtomicU64>,
}

/// A running receiver.
pub struct Receiver {
    /// Where Deskbridge delivers (`http://127.0.0.1:PORT/hook`).
    pub url: String,
    /// `127.0.0.1:PORT`, for `DESKBRIDGE_ALLOW_WEBHOOK_HOSTS`.
    pub host: String,
    inbox: Inbox,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    /// When the first `Ticket.changed` carrying this subject arrived.
    pub fn arrival(&self, subject: &str) -> Option<Instant> {
        let first = self.inbox.first.lock().unwrap_or_else(|e| e.into_inner());
        first.get(subject).copied()
    }

    /// `Ticket.changed` deliveries received so far (duplicates included); resets the count.
    pub fn take_deliveries(&self) -> u64 {
        self.inbox.deliveries.swap(0, Ordering::SeqCst)
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn hook(State(inbox): State<Inbox>, body: Bytes) -> &'static str {
    let now = Instant::now();
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return "ok";
    };
    if v["hook"]["event"].as_str() != Some("Ticket.changed") {
        return "ok";
    }
    inbox.deliveries.fetch_add(1, Ordering::SeqCst);
    if let Some(name) = v["data"]["name"].as_str() {
        let mut first = inbox.first.lock().unwrap_or_else(|e| e.into_inner());
        first.entry(name.to_string()).or_insert(now);
    }
    "ok"
}

/// Starts the receiver on a free loopback port.
pub async fn start() -> anyhow::Result<Receiver> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let host = listener.local_addr()?.to_string();
    let inbox = Inbox::default();
    let app = axum::Router::new().fallback(hook).with_state(inbox.clone());
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(Receiver {
        url: format!("http://{host}/hook"),
        host,
        inbox,
        task,
    })
}
