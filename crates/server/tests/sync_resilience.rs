//! The sync engine under crashes, faults, concurrency and edits: the final database always
//! equals that of a clean sync, record for record.

mod common;

use std::time::Duration;

use common::{Options, TestApp};
use deskbridge_freshdesk_sim::{FaultConfig, SimConfig};
use serde_json::{Value, json};

fn sim(tickets: usize, accounts: usize) -> SimConfig {
    SimConfig {
        seed: 31,
        accounts,
        tickets,
        conversations_per_ticket: 2.0,
        ..SimConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_three_times_ends_with_the_clean_database() {
    let app = TestApp::start_without_workers(sim(1200, 1)).await;
    // The clean reference: one uninterrupted worker process.
    let (_, clean) = app.link_as(0, "clean").await;
    let mut w = app.spawn_worker(1);
    assert_eq!(app.wait_synced(clean).await, "DONE");
    common::kill9(&mut w);

    let (_, la) = app.link_as(0, "crashy").await;
    let total = app
        .dump(clean)
        .await
        .keys()
        .filter(|(t, _)| t == "tickets")
        .count() as i64;
    let count = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM tickets WHERE linked_account_id = $1 AND NOT is_shell",
        )
        .bind(la)
        .fetch_one(&app.db.pool)
        .await
        .expect("count")
    };
    let mut kills = 0;
    let mut partial = Vec::new();
    for k in 1..=3 {
        let mut w = app.spawn_worker(1);
        // Let it store another quarter of the tickets (however fast this machine is), then
        // kill it mid-sync.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while count().await < total * k / 4 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        common::kill9(&mut w);
        let runs = app.store.recent_runs(app.org, la, 10).await.expect("runs");
        if runs.iter().any(|r| r.finished_at.is_some()) {
            break;
        }
        kills += 1;
        partial.push(count().await);
    }
    println!("tickets stored after each kill: {partial:?} of {total}");
    assert!(
        partial.iter().any(|&n| n > 0 && n < total),
        "some kill landed mid-sync: {partial:?}"
    );
    assert_eq!(
        kills, 3,
        "the sync should still have been running at each kill"
    );
    app.finish_killed_sync(la, clean).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_percent_faulty_answers_still_give_the_clean_database() {
    let opts = Options {
        provider_timeout: Duration::from_millis(800),
        ..Options::default()
    };
    let app = TestApp::start_with(sim(400, 1), opts).await;
    let (_, clean) = app.link_as(0, "clean").await;
    assert_eq!(app.wait_synced(clean).await, "DONE");
    app.sim.control().set_faults(FaultConfig {
        error_rate: 0.05,
        malformed_rate: 0.03,
        slow_rate: 0.02,
        slow_delay: Duration::from_millis(1500),
        drop_rate: 0.0,
    });
    let (sub, _) = app.sim_account(0);
    app.sim.control().reset_counters(&sub).expect("reset");
    let (_, la) = app.link_as(0, "faulty").await;
    assert_eq!(app.wait_synced(la).await, "DONE");
    let faults = app.sim.control().counters(&sub).expect("counters").faults;
    app.sim.control().set_faults(FaultConfig::default());
    assert!(faults > 20, "faults were injected ({faults})");
    common::assert_same_records(&app.dump(clean).await, &app.dump(la).await);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_worker_processes_run_every_job_once() {
    let app = TestApp::start_without_workers(sim(150, 4)).await;
    let mut accounts = Vec::new();
    for i in 0..4 {
        accounts.push(app.link(i).await.1);
    }
    let mut a = app.spawn_worker_with_lease(2, 20);
    let mut b = app.spawn_worker_with_lease(2, 20);
    for la in &accounts {
        assert_eq!(app.wait_synced(*la).await, "DONE");
    }
    common::kill9(&mut a);
    common::kill9(&mut b);
    for la in &accounts {
        let runs = app.store.recent_runs(app.org, *la, 10).await.expect("runs");
        assert_eq!(runs.len(), 1, "one run per queued job");
        // Every record was created once: the run's created counts equal the rows.
        let counts = &runs[0].counts;
        for (table, model) in [
            ("tickets", "Ticket"),
            ("comments", "Comment"),
            ("contacts", "Contact"),
        ] {
            let rows: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT count(*) FROM {table} WHERE linked_account_id = $1 AND NOT is_shell"
            )))
            .bind(la)
            .fetch_one(&app.db.pool)
            .await
            .expect("count");
            assert_eq!(counts[model]["created"], json!(rows), "{model}: {counts}");
        }
    }
    let jobs: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs")
        .fetch_one(&app.db.pool)
        .await
        .expect("jobs");
    assert_eq!(jobs, 0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tickets_edited_during_a_sync_are_not_missed() {
    let app = TestApp::start(sim(1500, 1)).await;
    let (sub, _) = app.sim_account(0);
    let c = app.sim.control();
    let (token, la) = app.link(0).await;
    // While the first sync walks, keep editing tickets from the front of the walk (the
    // oldest updated_at), which moves them to its end and shifts every page.
    let mut edited = 0;
    for round in 0..40 {
        let runs = app.store.recent_runs(app.org, la, 1).await.expect("runs");
        if runs.first().is_some_and(|r| r.finished_at.is_some()) {
            break;
        }
        let snap = c.snapshot(&sub).expect("snapshot");
        let mut oldest: Vec<&Value> = snap
            .tickets
            .iter()
            .filter(|t| t.get("deleted").is_none() && t["spam"] == json!(false))
            .collect();
        oldest.sort_by(|a, b| a["updated_at"].as_str().cmp(&b["updated_at"].as_str()));
        for t in oldest.iter().take(5) {
            let id = t["id"].as_i64().expect("id");
            c.update_ticket(
                &sub,
                id,
                json!({"subject": format!("edited in round {round}")}),
            )
            .expect("edit");
            edited += 1;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    assert_eq!(app.wait_synced(la).await, "DONE");
    assert!(edited >= 10, "edits happened during the sync ({edited})");
    let snap = c.snapshot(&sub).expect("snapshot");
    let live: std::collections::BTreeSet<String> = snap
        .tickets
        .iter()
        .filter(|t| t.get("deleted").is_none() && t["spam"] == json!(false))
        .map(|t| t["id"].to_string())
        .collect();
    let ours: std::collections::BTreeSet<String> = app
        .list_all("/api/ticketing/v1/tickets", &token)
        .await
        .iter()
        .map(|t| t["remote_id"].as_str().expect("rid").to_string())
        .collect();
    let missed: Vec<&String> = live.difference(&ours).collect();
    assert!(
        missed.is_empty(),
        "{} tickets missed by the first sync: {missed:?}",
        missed.len()
    );
    app.stop().await;
}
