//! The error samples (provoked), the recorded header names, and the three 429 shapes.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{Auth, Env};
use crate::conformance::{assert_covers, sample_json, sample_text};

/// Headers added by Cloudflare or the transport, not by Zendesk's application.
const TRANSPORT: &[&str] = &[
    "cf-cache-status",
    "cf-ray",
    "connection",
    "content-encoding",
    "transfer-encoding",
    "server",
];

fn same_json(name: &str, r: &crate::common::Resp) {
    let want = sample_json(name);
    assert_eq!(r.json(), want, "{name}");
}

async fn api(
    env: &Env,
    i: usize,
    auth: &Auth,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> crate::common::Resp {
    env.send(method, &env.site(i, &format!("/api/v2{path}")), auth, body)
        .await
}

/// An id of a ticket in `new`, `open` or `pending` on account `i`.
pub async fn open_ticket(env: &Env, i: usize) -> i64 {
    let data = env
        .control(
            Method::GET,
            &format!("/accounts/{}/data", env.account(i).subdomain),
            None,
        )
        .await
        .json();
    let deleted: Vec<i64> = serde_json::from_value(data["deleted_ticket_ids"].clone()).unwrap();
    data["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| {
            ["new", "open", "pending"].contains(&t["status"].as_str().unwrap())
                && !deleted.contains(&t["id"].as_i64().unwrap())
        })
        .map(|t| t["id"].as_i64().unwrap())
        .unwrap()
}

pub async fn errors_and_headers(env: &Env, c: &mut Vec<String>) {
    let admin = env.admin(0);
    let a0 = env.account(0);
    let mut done = |name: &str| c.push(name.to_owned());

    // Recorded header names, per recorded call (2024 names on zsim1, 2023 names on zsim2).
    let headers = sample_json("response_headers_recorded.json");
    for (call, recorded) in headers.as_object().unwrap() {
        let i = if call.contains("(2023") { 1 } else { 0 };
        let auth = env.admin(i);
        let (method, rest) = call.split_once(' ').unwrap();
        let path = rest
            .split(' ')
            .next()
            .unwrap()
            .trim_start_matches("/api/v2");
        let r = match method {
            "GET" => api(env, i, &auth, Method::GET, path, None).await,
            "POST" => {
                api(
                    env,
                    i,
                    &auth,
                    Method::POST,
                    path,
                    Some(&json!({"ticket": {"subject": "s", "comment": {"body": "b"}}})),
                )
                .await
            }
            _ => {
                let id = if call.contains("-> 404") {
                    "9223372036854775807".to_owned()
                } else {
                    open_ticket(env, i).await.to_string()
                };
                api(
                    env,
                    i,
                    &auth,
                    Method::PUT,
                    &format!("/tickets/{id}.json"),
                    Some(&json!({"ticket": {"id": 1, "subject": "changed"}})),
                )
                .await
            }
        };
        let got: BTreeSet<String> = r
            .headers
            .keys()
            .map(|k| k.as_str().to_ascii_lowercase())
            .collect();
        for name in recorded.as_object().unwrap().keys() {
            let n = name.to_ascii_lowercase();
            if !TRANSPORT.contains(&n.as_str()) {
                assert!(
                    got.contains(&n),
                    "{call}: missing header {name}; got {got:?}"
                );
            }
        }
    }
    done("response_headers_recorded.json");

    // 400 TooManyValues.
    let many: Vec<Value> = (0..101)
        .map(|k| json!({"subject": format!("t{k}"), "comment": {"body": "b"}}))
        .collect();
    let r = api(
        env,
        0,
        &admin,
        Method::POST,
        "/tickets/create_many.json",
        Some(&json!({"tickets": many})),
    )
    .await;
    assert_eq!(r.status, 400);
    same_json("error_400_too_many_values.json", &r);
    done("error_400_too_many_values.json");

    // 401s: wrong token (byte-exact body), bad bearer.
    let r = api(
        env,
        0,
        &Auth::Token(a0.admin_email.clone(), "wrong".into()),
        Method::GET,
        "/users/me.json",
        None,
    )
    .await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.text,
        sample_text("error_401_api_token_couldnt_authenticate.json").trim_end()
    );
    assert_eq!(r.text.len(), 37);
    done("error_401_api_token_couldnt_authenticate.json");
    let r = api(
        env,
        0,
        &Auth::Bearer("nope".into()),
        Method::GET,
        "/users/me.json",
        None,
    )
    .await;
    assert_eq!(r.status, 401);
    same_json("error_401_oauth_invalid_token.json", &r);
    done("error_401_oauth_invalid_token.json");

    // 403s: missing scope (string form), restricted (object form).
    let tok = env
        .control(
            Method::POST,
            &format!("/accounts/{}/oauth_tokens", a0.subdomain),
            Some(&json!({"scopes": ["tickets:read"]})),
        )
        .await
        .json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = api(
        env,
        0,
        &Auth::Bearer(tok.clone()),
        Method::GET,
        "/users.json",
        None,
    )
    .await;
    assert_eq!(r.status, 403);
    same_json("error_403_forbidden_missing_scope.json", &r);
    assert_eq!(
        api(
            env,
            0,
            &Auth::Bearer(tok),
            Method::GET,
            "/tickets.json",
            None
        )
        .await
        .status,
        200
    );
    done("error_403_forbidden_missing_scope.json");
    let end_user = Auth::Token(a0.end_user_email.clone(), a0.api_token.clone());
    let r = api(env, 0, &end_user, Method::GET, "/tickets.json", None).await;
    assert_eq!(r.status, 403);
    same_json("error_403_forbidden_restricted.json", &r);
    done("error_403_forbidden_restricted.json");

    // 404s.
    let r = api(
        env,
        0,
        &admin,
        Method::PUT,
        "/tickets/9223372036854775807.json",
        Some(&json!({"ticket": {"subject": "x"}})),
    )
    .await;
    assert_eq!(r.status, 404);
    same_json("error_404_record_not_found.json", &r);
    done("error_404_record_not_found.json");
    let r = env
        .get(
            &format!("{}/d/donatooivan/api/v2/users/me.json", env.handle.base_url),
            &admin,
        )
        .await;
    assert_eq!(r.status, 404);
    same_json("error_404_unknown_subdomain_reconstructed.json", &r);
    done("error_404_unknown_subdomain_reconstructed.json");

    // 422s.
    let r = api(
        env,
        0,
        &admin,
        Method::POST,
        "/tickets.json",
        Some(&json!({"ticket": {"subject": "no comment"}})),
    )
    .await;
    assert_eq!(r.status, 422);
    assert_covers(
        "error_422_record_invalid_blank_description.json",
        &sample_json("error_422_record_invalid_blank_description.json"),
        &[r.json()],
    );
    done("error_422_record_invalid_blank_description.json");
    let id = open_ticket(env, 0).await;
    let r = api(
        env,
        0,
        &admin,
        Method::PUT,
        &format!("/tickets/{id}.json"),
        Some(&json!({"ticket": {"status": "closed"}})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = api(
        env,
        0,
        &admin,
        Method::PUT,
        &format!("/tickets/{id}.json"),
        Some(&json!({"ticket": {"subject": "again"}})),
    )
    .await;
    assert_eq!(r.status, 422);
    same_json("error_422_record_invalid_closed_ticket.json", &r);
    done("error_422_record_invalid_closed_ticket.json");
    let id = open_ticket(env, 2).await;
    let fields = env.get_ok(2, "/ticket_fields").await;
    let category = fields["ticket_fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["type"] == "tagger")
        .unwrap()["id"]
        .clone();
    let clear =
        json!({"ticket": {"custom_fields": [{"id": category, "value": null}], "status": "solved"}});
    let r = api(
        env,
        2,
        &env.admin(2),
        Method::PUT,
        &format!("/tickets/{id}.json"),
        Some(&clear),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_covers(
        "error_422_record_invalid_required_field_on_solve.json",
        &sample_json("error_422_record_invalid_required_field_on_solve.json"),
        &[r.json()],
    );
    done("error_422_record_invalid_required_field_on_solve.json");
    let now = chrono_now();
    let r = api(
        env,
        0,
        &admin,
        Method::GET,
        &format!("/incremental/tickets.json?start_time={now}"),
        None,
    )
    .await;
    assert_eq!(r.status, 422);
    same_json("error_422_too_recent_start_time.json", &r);
    done("error_422_too_recent_start_time.json");

    // 429s: incremental bucket, account bucket (plain text), edge protection.
    let mut last = None;
    for _ in 0..12 {
        let r = api(
            env,
            0,
            &admin,
            Method::GET,
            "/incremental/users/cursor.json?start_time=0&per_page=1",
            None,
        )
        .await;
        if r.status == 429 {
            last = Some(r);
            break;
        }
    }
    let r = last.expect("incremental 429");
    assert!(r.header("retry-after").is_some());
    same_json("error_429_incremental_export.json", &r);
    done("error_429_incremental_export.json");
    let a1 = env.account(1).subdomain;
    env.control(
        Method::PUT,
        &format!("/accounts/{a1}/plan"),
        Some(&json!({"plan": "team"})),
    )
    .await;
    let mut last = None;
    for _ in 0..205 {
        let r = api(env, 1, &env.admin(1), Method::GET, "/users/me.json", None).await;
        if r.status == 429 {
            last = Some(r);
            break;
        }
    }
    let r = last.expect("account 429");
    assert!(r.header("retry-after").is_some());
    assert!(r.header("content-type").unwrap().starts_with("text/plain"));
    assert_eq!(
        r.text,
        sample_text("error_429_account_limit_plaintext.txt").trim_end()
    );
    done("error_429_account_limit_plaintext.txt");
    let settings = env.control(Method::GET, "/settings", None).await.json();
    env.control(
        Method::PUT,
        "/settings",
        Some(&json!({"time_scale": 1.0, "edge_per_second": 2})),
    )
    .await;
    let mut last = None;
    for _ in 0..10 {
        let r = api(
            env,
            2,
            &env.admin(2),
            Method::GET,
            "/organizations.json?page[size]=1",
            None,
        )
        .await;
        if r.status == 429 {
            last = Some(r);
            break;
        }
    }
    env.control(Method::PUT, "/settings", Some(&settings)).await;
    let r = last.expect("edge 429");
    assert!(r.header("retry-after").is_some());
    same_json("error_429_edge_protection.json", &r);
    done("error_429_edge_protection.json");
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}
