//! `GET /search/tickets`: the filter language, 30 results per page, pages 1..10, totals.

use deskbridge_freshdesk_sim::SimConfig;
use serde_json::Value;

use crate::common::start;

fn enc(q: &str) -> String {
    url::form_urlencoded::byte_serialize(q.as_bytes()).collect()
}

#[tokio::test]
async fn filter_queries() {
    let env = start(SimConfig {
        seed: 4,
        tickets: 400,
        ..SimConfig::default()
    })
    .await;
    let key = env.key(0);
    let snap = env.sim.control().snapshot("sim1").unwrap();
    let live: Vec<&Value> = snap
        .tickets
        .iter()
        .filter(|t| t["spam"] == false && t.get("deleted").is_none())
        .collect();
    let count = |f: &dyn Fn(&Value) -> bool| live.iter().filter(|t| f(t)).count();

    let search = |q: &str, page: usize| {
        let path = format!("/api/v2/search/tickets?query={}&page={page}", enc(q));
        let key = key.clone();
        let env = &env;
        async move { env.get(&path, &key).await }
    };
    let r = search("\"priority:3 AND (status:2 OR status:3)\"", 1).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let body = r.json();
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["results", "total"]);
    let want = count(&|t| t["priority"] == 3 && (t["status"] == 2 || t["status"] == 3));
    assert_eq!(body["total"].as_u64().unwrap() as usize, want);
    assert!(body["results"].as_array().unwrap().len() <= 30);
    assert!(
        body["results"][0]["description_text"].is_string(),
        "results carry the description"
    );

    let r = search("\"agent_id:null AND type:'Question'\"", 1)
        .await
        .json();
    assert_eq!(
        r["total"].as_u64().unwrap() as usize,
        count(&|t| t["responder_id"].is_null() && t["type"] == "Question")
    );
    let r = search("\"cf_region:'EMEA' AND tag:'vip'\"", 1).await.json();
    assert_eq!(
        r["total"].as_u64().unwrap() as usize,
        count(&|t| t["custom_fields"]["cf_region"] == "EMEA"
            && t["tags"].as_array().unwrap().iter().any(|x| x == "vip"))
    );
    // date ranges are inclusive days
    let day = live[live.len() / 2]["created_at"].as_str().unwrap()[..10].to_owned();
    let r = search(
        &format!("\"created_at:>'{day}' AND created_at:<'{day}'\""),
        1,
    )
    .await
    .json();
    assert_eq!(
        r["total"].as_u64().unwrap() as usize,
        count(&|t| t["created_at"].as_str().unwrap().starts_with(&day))
    );
    assert!(r["total"].as_u64().unwrap() >= 1);

    // 30 per page, 10 pages at most
    let all = search("\"priority:>1\"", 1).await.json();
    let total = all["total"].as_u64().unwrap();
    assert!(total > 30);
    assert_eq!(all["results"].as_array().unwrap().len(), 30);
    let p2 = search("\"priority:>1\"", 2).await.json();
    assert_ne!(all["results"][0]["id"], p2["results"][0]["id"]);
    assert!(search("\"priority:>1\"", 2).await.header("link").is_none());
    assert_eq!(search("\"priority:>1\"", 11).await.status, 400);

    // errors
    let r = search("priority:3", 1).await;
    assert_eq!(r.status, 400);
    assert!(r.text.contains("Given query is invalid"));
    let r = search("\"priority:3 AND\"", 1).await;
    assert_eq!(r.status, 400);
    let r = search(
        &format!("\"{}\"", "priority:1 OR ".repeat(40) + "priority:2"),
        1,
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(
        r.text.contains("it can have maximum of 512 characters"),
        "{}",
        r.text
    );
    let r = env
        .get(
            "/api/v2/search/tickets?query=%22priority:3%22&per_page=10",
            &key,
        )
        .await;
    assert_eq!(
        r.text,
        r#"{"description":"Validation failed","errors":[{"field":"per_page","message":"Unexpected/invalid field in request","code":"invalid_field"}]}"#
    );
}
