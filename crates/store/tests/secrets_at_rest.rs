//! Secrets at rest against real Postgres: a ciphertext opens only in the row it was written
//! for (a database writer cannot move credentials between accounts or organizations), and a
//! webhook secret that cannot be decrypted holds up only its own deliveries.

use std::time::Duration;

use deskbridge_store::accounts::NewLink;
use deskbridge_store::{Cipher, MasterKey, Store};
use deskbridge_testkit::TestDb;
use uuid::Uuid;

fn link(origin: &str, api_key: &str) -> NewLink {
    NewLink {
        integration: "freshdesk".into(),
        end_user_origin_id: origin.into(),
        end_user_organization_name: "C".into(),
        end_user_email_address: "c@example.com".into(),
        subdomain: "acme".into(),
        credentials_json: format!(r#"{{"domain":"acme","api_key":"{api_key}"}}"#),
        base_url: None,
        queue_sync: false,
    }
}

#[tokio::test]
async fn a_ciphertext_copied_to_another_row_does_not_open() {
    let db = TestDb::new().await;
    let store = Store::new(db.pool.clone(), Cipher::new(MasterKey::generate()));
    let victim_org = store.ensure_organization("victim").await.expect("org");
    let attacker_org = store.ensure_organization("attacker").await.expect("org");
    let victim = store
        .link_account(victim_org.id, &link("v", "VICTIM-KEY"))
        .await
        .expect("link");
    let attacker = store
        .link_account(attacker_org.id, &link("a", "ATTACKER-KEY"))
        .await
        .expect("link");
    // A database writer copies the victim's sealed credentials into the attacker's account.
    sqlx::query(
        "UPDATE linked_accounts SET credentials =
           (SELECT credentials FROM linked_accounts WHERE id = $1) WHERE id = $2",
    )
    .bind(victim.account.id)
    .bind(attacker.account.id)
    .execute(&db.pool)
    .await
    .expect("swap");
    let read = store.account_credentials(attacker.account.id).await;
    assert!(
        read.is_err(),
        "the victim's credentials opened in the attacker's row: {read:?}"
    );
    assert!(
        store
            .account_credentials(victim.account.id)
            .await
            .expect("victim")
            .contains("VICTIM-KEY")
    );
}

#[tokio::test]
async fn an_undecryptable_webhook_secret_holds_up_only_its_own_deliveries() {
    let db = TestDb::new().await;
    let store = Store::new(db.pool.clone(), Cipher::new(MasterKey::generate()));
    let org = store.ensure_organization("hooks").await.expect("org");
    let good = store
        .create_webhook_endpoint(
            org.id,
            "https://good.example/h",
            &[],
            None,
            "whsec_good",
            50,
        )
        .await
        .expect("endpoint")
        .expect("under the cap");
    // Written by a process whose key this one does not have (e.g. dropped after a rotation).
    let stranger = Store::new(db.pool.clone(), Cipher::new(MasterKey::generate()));
    let lost = stranger
        .create_webhook_endpoint(
            org.id,
            "https://lost.example/h",
            &[],
            None,
            "whsec_lost",
            50,
        )
        .await
        .expect("endpoint")
        .expect("under the cap");
    for (i, endpoint) in [lost.id, good.id, lost.id].into_iter().enumerate() {
        sqlx::query(
            "INSERT INTO webhook_deliveries (organization_id, id, endpoint_id, event, body,
                 next_attempt_at)
             VALUES ($1, $2, $3, 'LinkedAccount.linked', '{}', now() - make_interval(secs => $4))",
        )
        .bind(org.id)
        .bind(Uuid::new_v4())
        .bind(endpoint)
        .bind(10.0 - i as f64)
        .execute(&db.pool)
        .await
        .expect("delivery");
    }
    let claimed = store
        .claim_webhook_deliveries("w1", Duration::from_secs(30), 10, 10, &[])
        .await;
    let claimed = match claimed {
        Ok(c) => c,
        Err(e) => panic!("one undecryptable secret failed the whole batch: {e}"),
    };
    let endpoints: Vec<_> = claimed.iter().map(|d| d.endpoint_id).collect();
    assert_eq!(
        endpoints,
        [good.id],
        "only the good endpoint's delivery is sent"
    );
    assert_eq!(claimed[0].secret, "whsec_good");
}
