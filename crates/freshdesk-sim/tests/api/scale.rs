//! Smoke test: 100,000 tickets generate and list quickly enough to be usable (times printed).

use std::time::Instant;

use deskbridge_freshdesk_sim::SimConfig;

use crate::common::start;

#[tokio::test]
async fn hundred_thousand_tickets() {
    let t = Instant::now();
    let env = start(SimConfig {
        seed: 1,
        tickets: 100_000,
        ..SimConfig::default()
    })
    .await;
    println!("generated 100000 tickets in {:?}", t.elapsed());
    let key = env.key(0);
    for path in [
        "/api/v2/tickets?updated_since=2000-01-01T00:00:00Z&order_by=updated_at&order_type=asc&per_page=100",
        "/api/v2/tickets?updated_since=2000-01-01T00:00:00Z&order_by=updated_at&order_type=asc&per_page=100&page=300",
        "/api/v2/tickets?per_page=100&include=requester,stats,description",
        "/api/v2/contacts?per_page=100&page=50",
    ] {
        let t = Instant::now();
        let r = env.get(path, &key).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.json().as_array().unwrap().len(), 100);
        println!("{path}: {:?}", t.elapsed());
    }
}
