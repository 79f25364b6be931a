//! The committed spec (`openapi/openapi.json`) against a live Deskbridge in front of the
//! simulator: every operation the spec lists (walked from the document, never from a list
//! here) is called with valid credentials and real ids, then without credentials, with a
//! wrong account token, with invalid query values, unknown ids, malformed and oversized
//! bodies, other methods; then again under a caller rate limit (429), with the database gone
//! (503) and with a request timeout (503). Every answer is checked by `TestApp`'s requests
//! against the spec (status documented, content type, body schema with closed objects).
//! Operations that revoke or delete credentials run last, each with a linked account of its
//! own.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use common::zendesk::Zd;
use common::{Options, TestApp, checked};
use deskbridge_freshdesk_sim::SimConfig;
use deskbridge_testkit::spec::{self, Spec};
use reqwest::Method;
use serde_json::{Value, json};

fn sim() -> SimConfig {
    SimConfig {
        seed: 11,
        accounts: 1,
        tickets: 12,
        ..SimConfig::default()
    }
}

/// One operation of the spec.
#[derive(Debug, Clone)]
struct Op {
    method: Method,
    template: String,
    doc: Value,
}

impl Op {
    fn name(&self) -> String {
        format!("{} {}", self.method, self.template)
    }

    fn security(&self) -> String {
        self.doc["security"].to_string()
    }

    fn api_key(&self) -> bool {
        self.security().contains("\"bearerAuth\"")
    }

    fn account(&self) -> bool {
        self.security().contains("\"accountToken\"")
    }

    fn documents(&self, status: u16) -> bool {
        self.doc["responses"].get(status.to_string()).is_some()
    }

    /// Revokes or deletes credentials: runs last, with credentials of its own.
    fn destructive(&self) -> bool {
        self.method == Method::DELETE
            || ["delete", "regenerate", "revoke"]
                .iter()
                .any(|w| self.template.contains(w))
    }

    fn params(&self, location: &str) -> Vec<Value> {
        self.doc["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == location)
            .cloned()
            .collect()
    }

    fn json_body(&self) -> bool {
        self.doc["requestBody"]["content"]
            .get("application/json")
            .is_some()
    }
}

fn operations(spec: &Spec) -> Vec<Op> {
    let mut ops: Vec<Op> = spec
        .operations()
        .into_iter()
        .map(|(method, template)| Op {
            doc: spec
                .operation(&method, &template)
                .cloned()
                .unwrap_or_default(),
            method: method.parse().expect("method"),
            template,
        })
        .collect();
    // Credentials are revoked last.
    ops.sort_by_key(|o| o.destructive());
    ops
}

/// Resolves a `$ref` of the document.
fn resolve<'a>(spec: &'a Spec, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => spec
            .document()
            .pointer(r.trim_start_matches('#'))
            .unwrap_or(&Value::Null),
        None => v,
    }
}

/// A request body from the spec's examples (the media type's, else the schema's), with every
/// URL and domain pointed at the simulator so nothing leaves the machine.
fn example_body(spec: &Spec, op: &Op, sim_base: &str) -> Value {
    let media = &op.doc["requestBody"]["content"]["application/json"];
    let schema = resolve(spec, &media["schema"]);
    let example = media
        .get("example")
        .or_else(|| {
            media["examples"]
                .as_object()
                .and_then(|e| e.values().next())
                .and_then(|e| e.get("value"))
        })
        .or_else(|| schema.get("example"))
        .or_else(|| schema["examples"].get(0))
        .cloned()
        .unwrap_or_else(|| json!({}));
    local_only(example, sim_base)
}

fn local_only(v: Value, sim_base: &str) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.into_iter()
                .map(|(k, v)| {
                    let v = match (&*k, v) {
                        ("domain", Value::String(_)) => json!(sim_base),
                        (_, v) => local_only(v, sim_base),
                    };
                    (k, v)
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(|x| local_only(x, sim_base)).collect()),
        Value::String(s) if s.starts_with("http://") || s.starts_with("https://") => {
            json!(format!("{sim_base}/hook"))
        }
        other => other,
    }
}

/// Fills a template's path parameters: an id of the collection the parameter names
/// (`{id}` after `/tickets`, `{ticket_id}`, `{parent_id}` after `/projects`) when one is
/// known, else `fallback`.
fn fill(template: &str, ids: &HashMap<String, String>, fallback: &str) -> String {
    let segments: Vec<&str> = template.split('/').collect();
    let mut out = Vec::new();
    for (i, s) in segments.iter().enumerate() {
        let Some(name) = s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) else {
            out.push(s.to_string());
            continue;
        };
        let previous = if i > 0 { segments[i - 1] } else { "" };
        let collection = match name.strip_suffix("_id") {
            Some(base) if base != "parent" => format!("{base}s"),
            _ => previous.to_string(),
        };
        out.push(
            ids.get(&collection)
                .cloned()
                .unwrap_or_else(|| fallback.to_string()),
        );
    }
    out.join("/")
}

/// An id of each listed collection (`tickets` → a ticket's id), from the list operations.
async fn known_ids(app: &TestApp, spec: &Spec, token: &str) -> HashMap<String, String> {
    let mut ids = HashMap::new();
    for op in operations(spec) {
        if op.method != Method::GET || op.template.contains('{') {
            continue;
        }
        let (status, body) = app
            .get(&format!("{}?page_size=1", op.template), Some(token))
            .await;
        if let (200, Some(id)) = (status, body["results"][0]["id"].as_str()) {
            let last = op.template.rsplit('/').next().unwrap_or_default();
            ids.insert(last.to_string(), id.to_string());
        }
    }
    ids
}

/// A request without the API key (and with the account token when given), checked.
async fn without_key(app: &TestApp, op: &Op, path: &str, token: Option<&str>) -> u16 {
    let mut req = app
        .http
        .request(op.method.clone(), format!("{}{path}", app.base));
    if let Some(t) = token {
        req = req.header("X-Account-Token", t);
    }
    if op.json_body() {
        req = req.json(&json!({}));
    }
    let res = req.send().await.expect("request");
    checked(op.method.as_str(), path, res).await.0
}

/// A raw body with the API key and account token, checked.
async fn raw_body(app: &TestApp, op: &Op, path: &str, token: &str, body: Vec<u8>) -> u16 {
    let res = app
        .http
        .request(op.method.clone(), format!("{}{path}", app.base))
        .bearer_auth(&app.api_key)
        .header("X-Account-Token", token)
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .expect("request");
    checked(op.method.as_str(), path, res).await.0
}

#[derive(Default)]
struct Coverage(BTreeMap<String, BTreeSet<u16>>);

impl Coverage {
    fn saw(&mut self, op: &Op, status: u16) {
        assert!(
            status < 500 || status == 502 || status == 503,
            "{}: answered {status}",
            op.name()
        );
        self.0.entry(op.name()).or_default().insert(status);
    }

    fn report(&self) -> String {
        self.0
            .iter()
            .map(|(op, s)| format!("  {op}: {s:?}"))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_answers_as_documented() {
    let app = TestApp::start_with(
        sim(),
        Options {
            link_failure_limit: 0,
            ..Options::default()
        },
    )
    .await;
    let (token, la) = app.link(0).await;
    app.wait_synced(la).await;
    walk(&app, None, &token).await;
    app.stop().await;
}

/// The same walk with the account-scoped operations on a linked Zendesk account (reads,
/// writes and passthrough reach the Zendesk simulator).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_answers_as_documented_on_a_zendesk_account() {
    let zd = Zd::start(deskbridge_zendesk_sim::SimConfig {
        seed: 11,
        tickets: 12,
        ..Default::default()
    })
    .await;
    let app = TestApp::start_with(
        sim(),
        Options {
            link_failure_limit: 0,
            ..zd.options(Duration::from_secs(60))
        },
    )
    .await;
    let (token, la) = app.link_zendesk(&zd, 0).await;
    app.wait_synced(la).await;
    walk(&app, Some(&zd), &token).await;
    app.stop().await;
}

/// A fresh linked account (for an operation that revokes or deletes credentials): Freshdesk
/// simulator account 0, or Zendesk's when `zd` is given.
async fn fresh_token(app: &TestApp, zd: Option<&Zd>, n: usize) -> String {
    let origin = format!("fresh-{n}");
    let Some(zd) = zd else {
        return app.link_as(0, &origin).await.0;
    };
    let mut body = zd.link_body(0);
    body["end_user_origin_id"] = json!(origin);
    let (status, body) = app
        .post("/api/ticketing/v1/linked-accounts", None, &body)
        .await;
    assert!(status == 201 || status == 200, "link: {status} {body}");
    body["account_token"].as_str().expect("token").to_string()
}

/// Walks every operation of the committed spec with `token`'s account (see the module doc).
async fn walk(app: &TestApp, zd: Option<&Zd>, token: &str) {
    let spec = spec::committed();
    let token = token.to_string();
    let ids = known_ids(app, spec, &token).await;
    assert!(
        ids.contains_key("tickets"),
        "no ticket id from the lists: {ids:?}"
    );
    let sim_base = app.sim_handle.base_url.clone();
    let unknown = uuid::Uuid::new_v4().to_string();
    let mut cov = Coverage::default();
    let ops = operations(spec);
    for op in &ops {
        // Destructive operations get a linked account of their own.
        let token = if op.destructive() {
            fresh_token(app, zd, cov.0.len()).await
        } else {
            token.clone()
        };
        let path = fill(&op.template, &ids, &unknown);
        let name = op.name();

        // Without credentials, and with a wrong account token.
        if op.api_key() {
            let status = without_key(app, op, &path, Some(&token)).await;
            assert_eq!(status, 401, "{name} without an API key");
            cov.saw(op, status);
        }
        if op.account() {
            let (status, _) = app
                .client()
                .call(
                    op.method.clone(),
                    &path,
                    Some("not-a-token"),
                    op.json_body().then(|| json!({})).as_ref(),
                )
                .await;
            assert_eq!(status, 401, "{name} with a wrong account token");
            cov.saw(op, status);
        }

        // Invalid query values: a word for numbers and booleans.
        for p in op.params("query") {
            let kind = p["schema"]["type"].to_string();
            if !(kind.contains("integer") || kind.contains("boolean")) {
                continue;
            }
            let query = format!("{path}?{}=maybe", p["name"].as_str().unwrap_or_default());
            let body = op.json_body().then(|| example_body(spec, op, &sim_base));
            let (status, _) = app
                .client()
                .call(op.method.clone(), &query, Some(&token), body.as_ref())
                .await;
            // (An id nothing has may be refused first.)
            if op.documents(400) {
                assert!(
                    status == 400 || (status == 404 && path.contains(&unknown)),
                    "{name}: {query} answered {status}"
                );
            }
            cov.saw(op, status);
        }

        // Unknown ids.
        if op
            .params("path")
            .iter()
            .any(|p| p["schema"]["format"] == "uuid")
        {
            let missing = fill(&op.template, &HashMap::new(), &unknown);
            let body = op.json_body().then(|| example_body(spec, op, &sim_base));
            let (status, _) = app
                .client()
                .call(op.method.clone(), &missing, Some(&token), body.as_ref())
                .await;
            if op.documents(404) && !op.json_body() {
                assert_eq!(status, 404, "{name}: {missing}");
            }
            cov.saw(op, status);
        }

        // Bodies: malformed, oversized.
        if op.json_body() {
            let status = raw_body(app, op, &path, &token, b"{\"oops".to_vec()).await;
            cov.saw(op, status);
            let mut big = b"{\"x\":\"".to_vec();
            big.resize(2 * 1024 * 1024 + 16, b'a');
            big.extend_from_slice(b"\"}");
            let status = raw_body(app, op, &path, &token, big).await;
            if op.documents(413) {
                assert!(
                    status == 413 || (status == 404 && path.contains(&unknown)),
                    "{name} with an oversized body answered {status}"
                );
            }
            cov.saw(op, status);
        }

        // Finally the valid call (it may revoke what it was given).
        let body = op.json_body().then(|| example_body(spec, op, &sim_base));
        let (status, answer) = app
            .client()
            .call(op.method.clone(), &path, Some(&token), body.as_ref())
            .await;
        assert!(status < 500, "{name} answered {status}: {answer}");
        cov.saw(op, status);
    }

    // Other methods on documented paths, and undocumented paths.
    let mut paths: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for op in &ops {
        paths
            .entry(&op.template)
            .or_default()
            .insert(op.method.to_string());
    }
    for (template, methods) in paths {
        let other = ["PUT", "PATCH", "DELETE", "POST", "GET"]
            .into_iter()
            .find(|m| !methods.contains(*m))
            .expect("a method");
        let path = fill(template, &ids, &unknown);
        let (status, _) = app
            .client()
            .call(other.parse().expect("method"), &path, Some(&token), None)
            .await;
        assert_eq!(status, 405, "{other} {path}");
    }
    for path in [
        "/api/ticketing/v1/no-such-thing",
        "/api/ticketing/v1/issues",
        "/nowhere",
    ] {
        let (status, _) = app.get(path, Some(&token)).await;
        assert_eq!(status, 404, "{path}");
    }

    let missing: Vec<String> = ops
        .iter()
        .map(Op::name)
        .filter(|n| !cov.0.contains_key(n))
        .collect();
    assert!(missing.is_empty(), "operations not exercised: {missing:?}");
    println!(
        "{} operations, every answer conforming:\n{}",
        ops.len(),
        cov.report()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limited_answers_are_documented() {
    let spec = spec::committed();
    let app = TestApp::start_with(
        sim(),
        Options {
            workers: 0,
            rate_limit_per_minute: 1,
            ..Options::default()
        },
    )
    .await;
    let (token, _) = app.link(0).await;
    let unknown = uuid::Uuid::new_v4().to_string();
    let sim_base = app.sim_handle.base_url.clone();
    let mut limited = 0;
    for op in operations(spec).iter().filter(|o| o.account()) {
        let path = fill(&op.template, &HashMap::new(), &unknown);
        let body = op.json_body().then(|| example_body(spec, op, &sim_base));
        // The first call spends the minute's only request; every other one is refused.
        let (status, answer) = app
            .client()
            .call(op.method.clone(), &path, Some(&token), body.as_ref())
            .await;
        if status == 429 {
            limited += 1;
            assert!(
                answer["detail"].as_str().is_some(),
                "{}: {answer}",
                op.name()
            );
        }
    }
    assert!(limited > 5, "only {limited} answers were rate limited");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unavailable_database_answers_are_documented() {
    let spec = spec::committed();
    let app = TestApp::start_without_workers(sim()).await;
    let (token, _) = app.link(0).await;
    let sim_base = app.sim_handle.base_url.clone();
    let unknown = uuid::Uuid::new_v4().to_string();
    app.db.pool.close().await;
    let mut unavailable = 0;
    for op in operations(spec) {
        let path = fill(&op.template, &HashMap::new(), &unknown);
        let body = op.json_body().then(|| example_body(spec, &op, &sim_base));
        let (status, _) = app
            .client()
            .call(op.method.clone(), &path, Some(&token), body.as_ref())
            .await;
        assert_ne!(status, 500, "{}", op.name());
        if status == 503 {
            unavailable += 1;
        }
    }
    assert!(unavailable > 20, "only {unavailable} answers were 503");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timed_out_answers_are_documented() {
    let spec = spec::committed();
    let app = TestApp::start_with(
        sim(),
        Options {
            workers: 0,
            request_timeout: Duration::from_millis(100),
            ..Options::default()
        },
    )
    .await;
    let sim_base = app.sim_handle.base_url.clone();
    let unknown = uuid::Uuid::new_v4().to_string();
    // Every API key lookup waits on this lock, so every authenticated request outlives the
    // request timeout whatever the machine's speed (a 1 ns timeout raced the database).
    let mut locker = app.db.pool.begin().await.expect("begin");
    sqlx::query("LOCK TABLE api_keys IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *locker)
        .await
        .expect("lock");
    let mut timed_out = 0;
    for op in operations(spec) {
        let path = fill(&op.template, &HashMap::new(), &unknown);
        let body = op.json_body().then(|| example_body(spec, &op, &sim_base));
        let (status, answer) = app
            .client()
            .call(op.method.clone(), &path, Some("token"), body.as_ref())
            .await;
        if status == 503 {
            timed_out += 1;
            // `{"detail"}`, or the health checks' `{"status"}`.
            assert!(
                answer["detail"].is_string() || answer["status"].is_string(),
                "{}: {answer}",
                op.name()
            );
        }
    }
    locker.rollback().await.expect("unlock");
    println!("{timed_out} answers timed out");
    assert!(timed_out > 40, "only {timed_out} answers timed out");
    app.stop().await;
}
