//! An idempotency key taken over after its claim went stale (its request seemed dead) cannot
//! be used by the old claimer any more: the old request must not send its write too.

use deskbridge_store::accounts::NewLink;
use deskbridge_store::idempotency::{Claim, request_fingerprint};
use deskbridge_store::{Cipher, MasterKey, Store};
use deskbridge_testkit::TestDb;
use serde_json::json;

#[tokio::test]
async fn a_taken_over_claim_cannot_send() {
    let db = TestDb::new().await;
    let store = Store::new(db.pool.clone(), Cipher::new(MasterKey::generate()));
    let org = store.ensure_organization("o").await.expect("org");
    let la = store
        .link_account(
            org.id,
            &NewLink {
                integration: "freshdesk".into(),
                end_user_origin_id: "c1".into(),
                end_user_organization_name: "C".into(),
                end_user_email_address: "c@example.com".into(),
                subdomain: "acme".into(),
                credentials_json: r#"{"domain":"acme","api_key":"k"}"#.into(),
                base_url: None,
                queue_sync: false,
            },
        )
        .await
        .expect("link")
        .account
        .id;
    let hash = request_fingerprint("POST", "/tickets", &json!({"model": {}}));
    let Claim::Claimed(first) = store
        .claim_idempotency_key(la, "k1", &hash)
        .await
        .expect("claim")
    else {
        panic!("first claim");
    };
    // The first request stalls before its helpdesk call; its claim goes stale.
    sqlx::query("UPDATE idempotency_keys SET created_at = now() - interval '10 minutes'")
        .execute(&db.pool)
        .await
        .expect("age");
    let Claim::Claimed(second) = store
        .claim_idempotency_key(la, "k1", &hash)
        .await
        .expect("claim")
    else {
        panic!("taken over");
    };
    // The first request wakes up: it may not send any more.
    assert!(
        store.mark_idempotency_sent(la, "k1", first).await.is_err(),
        "the old claimer must not send after a takeover"
    );
    // Nor free or finish the key; the new claimer goes on.
    store
        .release_idempotency_key(la, "k1", first)
        .await
        .expect("release");
    store
        .mark_idempotency_sent(la, "k1", second)
        .await
        .expect("the new claimer sends");
}
