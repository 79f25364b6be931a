//! Webhook delivery is fair across organizations (issue 13, point 7): one organization's
//! slow receivers never delay another's deliveries.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use deskbridge_store::{Cipher, MasterKey, Store};
use deskbridge_testkit::TestDb;
use deskbridge_webhooks::{WebhookSettings, WebhookWorker};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// A receiver answering 200 after `delay`; records when each request arrived.
async fn receiver(delay: Duration) -> (String, Arc<Mutex<Vec<Instant>>>) {
    let got: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let g = got.clone();
    let app = axum::Router::new().fallback(move || {
        let g = g.clone();
        async move {
            g.lock().expect("lock").push(Instant::now());
            tokio::time::sleep(delay).await;
            "thanks"
        }
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let host = listener.local_addr().expect("addr").to_string();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (host, got)
}

#[tokio::test]
async fn a_slow_organization_does_not_delay_another() {
    let db = TestDb::new().await;
    let store = Store::new(db.pool.clone(), Cipher::new(MasterKey::generate()));
    let (slow_host, _) = receiver(Duration::from_secs(3)).await;
    let (fast_host, fast_got) = receiver(Duration::ZERO).await;
    let slow_org = store.ensure_organization("slow").await.expect("org");
    let fast_org = store.ensure_organization("fast").await.expect("org");
    for (org, host) in [(slow_org.id, &slow_host), (fast_org.id, &fast_host)] {
        store
            .create_webhook_endpoint(
                org,
                &format!("http://{host}/hook"),
                &[],
                None,
                "whsec_dGVzdHRlc3R0ZXN0dGVzdHRlc3R0ZXN0",
                50,
            )
            .await
            .expect("endpoint")
            .expect("created");
    }
    let la = json!({"id": "x"});
    // The slow organization has a backlog: 40 events, all due before the other's one.
    for i in 0..40 {
        store
            .enqueue_webhook_event(
                slow_org.id,
                "LinkedAccount.linked",
                None,
                &la,
                &json!({"i": i}),
            )
            .await
            .expect("event");
    }
    let worker = WebhookWorker::new(
        store.clone(),
        WebhookSettings {
            allowed_hosts: vec![slow_host.clone(), fast_host.clone()],
            poll: Duration::from_millis(50),
            ..WebhookSettings::default()
        },
    );
    let (stop, stopped) = watch::channel(false);
    let running = tokio::spawn(async move { worker.run("w1".into(), stopped).await });
    // Let the slow deliveries start, then the fast organization's event arrives.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let sent = Instant::now();
    store
        .enqueue_webhook_event(fast_org.id, "LinkedAccount.linked", None, &la, &json!({}))
        .await
        .expect("event");
    let deadline = sent + Duration::from_secs(20);
    let arrived = loop {
        if let Some(t) = fast_got.lock().expect("lock").first() {
            break *t;
        }
        assert!(Instant::now() < deadline, "never delivered");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let waited = arrived.duration_since(sent);
    let _ = stop.send(true);
    running.abort();
    assert!(
        waited < Duration::from_millis(1500),
        "the fast organization's event waited {waited:?} behind the slow one's backlog"
    );
}
