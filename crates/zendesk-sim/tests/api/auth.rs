//! Authentication, identities and account addressing.

use base64::Engine;
use reqwest::Method;
use serde_json::json;

use crate::common::{Auth, small, start};

#[tokio::test]
async fn token_and_bearer_identify_users_and_roles() {
    let env = start(small(2, 10)).await;
    let a = env.account(0);
    let me = |auth: Auth| {
        let env = &env;
        async move { env.get(&env.site(0, "/api/v2/users/me.json"), &auth).await }
    };
    let admin = me(Auth::Token(a.admin_email.clone(), a.api_token.clone())).await;
    assert_eq!(admin.status, 200);
    assert_eq!(admin.json()["user"]["role"], "admin");
    let agent = me(Auth::Token(a.agent_email.clone(), a.api_token.clone())).await;
    assert_eq!(agent.json()["user"]["role"], "agent");
    let end_user = me(Auth::Token(a.end_user_email.clone(), a.api_token.clone())).await;
    assert_eq!(end_user.status, 200);
    assert_eq!(end_user.json()["user"]["role"], "end-user");
    let end = Auth::Token(a.end_user_email.clone(), a.api_token.clone());
    assert_eq!(
        env.get(&env.site(0, "/api/v2/users.json"), &end)
            .await
            .status,
        403
    );
    assert_eq!(
        env.get(&env.site(0, "/api/v2/custom_statuses.json"), &end)
            .await
            .status,
        200
    );
    let bearer = me(Auth::Bearer(a.oauth_token.clone())).await;
    assert_eq!(bearer.json()["user"]["email"], a.admin_email.as_str());
    // Failures: wrong token, password auth, unknown email, other account's token, bad bearer.
    for auth in [
        Auth::Token(a.admin_email.clone(), "nope".into()),
        Auth::Raw(format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{}", a.admin_email, a.api_token))
        )),
        Auth::Token("ghost@example.org".into(), a.api_token.clone()),
        Auth::Token(a.admin_email.clone(), env.account(1).api_token),
        Auth::None,
    ] {
        let r = me(auth.clone()).await;
        assert_eq!(r.status, 401, "{auth:?}");
        assert_eq!(r.text, r#"{"error":"Couldn't authenticate you"}"#);
    }
    let r = me(Auth::Bearer("expired".into())).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"], "invalid_token");
    // Revoking a token and disabling token access.
    let sub = a.subdomain.clone();
    env.control(
        Method::DELETE,
        &format!("/accounts/{sub}/oauth_tokens/{}", a.oauth_token),
        None,
    )
    .await;
    assert_eq!(me(Auth::Bearer(a.oauth_token.clone())).await.status, 401);
    env.control(
        Method::POST,
        &format!("/accounts/{sub}/api_token/disable"),
        None,
    )
    .await;
    assert_eq!(
        me(Auth::Token(a.admin_email.clone(), a.api_token.clone()))
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn suspended_users_cannot_authenticate_and_scopes_are_checked() {
    let env = start(small(1, 5)).await;
    let a = env.account(0);
    let users = env.get_ok(0, "/users.json?role=agent").await;
    let agent_id = users["users"][0]["id"].as_i64().unwrap();
    let email = users["users"][0]["email"].as_str().unwrap().to_owned();
    env.control(
        Method::PUT,
        &format!("/accounts/{}/users/{agent_id}", a.subdomain),
        Some(&json!({"user": {"suspended": true}})),
    )
    .await;
    let r = env
        .get(
            &env.site(0, "/api/v2/users/me.json"),
            &Auth::Token(email, a.api_token.clone()),
        )
        .await;
    assert_eq!(r.status, 401);
    let read_only = env
        .control(
            Method::POST,
            &format!("/accounts/{}/oauth_tokens", a.subdomain),
            Some(&json!({"scopes": ["read"]})),
        )
        .await
        .json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let auth = Auth::Bearer(read_only);
    assert_eq!(
        env.get(&env.site(0, "/api/v2/tickets.json"), &auth)
            .await
            .status,
        200
    );
    let w = env
        .send(
            Method::POST,
            &env.site(0, "/api/v2/users.json"),
            &auth,
            Some(&json!({"user": {"name": "x"}})),
        )
        .await;
    assert_eq!(w.status, 403);
    assert_eq!(
        w.json()["description"],
        "Missing the following required scopes: write"
    );
}

#[tokio::test]
async fn accounts_by_path_host_or_credentials() {
    let env = start(small(2, 5)).await;
    let a = env.account(1);
    let auth = Auth::Token(a.admin_email.clone(), a.api_token.clone());
    let by_creds = env.get("/api/v2/users/me.json", &auth).await;
    assert_eq!(by_creds.status, 200);
    assert!(
        by_creds.json()["user"]["url"]
            .as_str()
            .unwrap()
            .starts_with(&env.handle.site(&a.subdomain))
    );
    let by_host = env
        .http
        .get(format!("{}/api/v2/users/me.json", env.handle.base_url))
        .header("host", format!("{}.localhost", a.subdomain))
        .basic_auth(format!("{}/token", a.admin_email), Some(&a.api_token))
        .send()
        .await
        .unwrap();
    assert_eq!(by_host.status().as_u16(), 200);
    // Account 1's credentials on account 0's site: 401.
    assert_eq!(
        env.get(&env.site(0, "/api/v2/users/me.json"), &auth)
            .await
            .status,
        401
    );
    let unknown = env
        .get(
            &format!("{}/d/nosuch/api/v2/users/me.json", env.handle.base_url),
            &auth,
        )
        .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(
        unknown.json()["error"]["title"],
        "No help desk at nosuch.zendesk.com"
    );
}
