//! Authentication and addressing.

use reqwest::Method;

use crate::common::{small, start};

const INVALID: &str = r#"{"code":"invalid_credentials","message":"You have to be logged in to perform this action."}"#;

#[tokio::test]
async fn keys_subdomains_and_headers() {
    let env = start(small(2, 10)).await;
    let (k1, k2) = (env.key(0), env.key(1));
    assert_eq!(k1.len(), 20);
    assert!(k1.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_ne!(k1, k2);

    for key in [None, Some("nope"), Some("someone@example.com")] {
        let r = env.send(Method::GET, "/api/v2/tickets", key, None).await;
        assert_eq!(r.status, 401);
        assert_eq!(r.text, INVALID);
    }
    // any password works
    let r = env
        .http
        .get(env.url("/api/v2/agents/me"))
        .basic_auth(&k1, Some("whatever"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = env
        .http
        .get(env.url("/api/v2/agents/me"))
        .basic_auth(&k1, None::<&str>)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["x-freshdesk-api-version"],
        "latest=v2; requested=v2"
    );
    assert!(r.headers().contains_key("x-request-id"));

    // /d/{subdomain}: the subdomain picks the account
    let r = env.get("/d/sim2/api/v2/agents/me", &k2).await;
    assert_eq!(r.status, 200);
    let r = env.get("/d/sim2/api/v2/agents/me", &k1).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.text, INVALID);
    let r = env.get("/d/unknown/api/v2/tickets", &k1).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.text, " ");
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/json")
    );
    assert!(r.header("x-freshdesk-api-version").is_none());

    // the key picks the account on the plain path
    let me1 = env.get("/api/v2/agents/me", &k1).await.json();
    let me2 = env.get("/api/v2/agents/me", &k2).await.json();
    assert_ne!(me1["id"], me2["id"]);
    assert!(me1["group_ids"].is_array(), "view shape");

    // unknown ids and routes: 404 with an empty body
    for p in [
        "/api/v2/tickets/999999",
        "/api/v2/contacts/1",
        "/api/v2/nothing",
        "/api/v2/tickets/abc",
    ] {
        let r = env.get(p, &k1).await;
        assert_eq!((r.status, r.text.as_str()), (404, ""), "{p}");
    }
    let r = env
        .send(Method::PATCH, "/api/v2/tickets", Some(&k1), None)
        .await;
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow").as_deref(), Some("GET, POST"));

    // invalid JSON body
    let r = env
        .http
        .post(env.url("/api/v2/tickets"))
        .basic_auth(&k1, Some("X"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.text().await.unwrap(),
        r#"{"code":"invalid_json","message":"Request body has invalid json format"}"#
    );

    // suspension comes before authentication
    env.sim.control().set_suspended("sim2", true).unwrap();
    for key in [Some(k2.as_str()), Some("bad"), None] {
        let r = env
            .send(Method::GET, "/d/sim2/api/v2/tickets", key, None)
            .await;
        assert_eq!(r.status, 403);
        assert_eq!(
            r.text,
            r#"{"code":"account_suspended","message":"Your account has been suspended."}"#
        );
    }
    env.sim.control().set_suspended("sim2", false).unwrap();
    assert_eq!(env.get("/d/sim2/api/v2/tickets", &k2).await.status, 200);
}

#[tokio::test]
async fn dropping_the_handle_stops_the_server() {
    let env = start(small(1, 3)).await;
    let url = env.url("/api/v2/agents/me");
    let key = env.key(0);
    assert_eq!(env.get("/api/v2/agents/me", &key).await.status, 200);
    let crate::common::Env {
        sim: _sim,
        handle,
        http,
    } = env;
    drop(handle);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert!(
        http.get(&url)
            .basic_auth(&key, Some("X"))
            .send()
            .await
            .is_err()
    );
}
