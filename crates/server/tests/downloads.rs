//! Attachment downloads go through an SSRF-safe client (issue 13, point 7): only the
//! provider's file hosts (https, or an allowed provider host), no redirect off them, and the
//! answer is marked `nosniff`.

mod common;

use common::TestApp;
use deskbridge_freshdesk::FreshdeskIntegration;
use deskbridge_freshdesk_sim::SimConfig;
use deskbridge_sync::{Downloader, Registry};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A one-route HTTP server on loopback standing for an internal service; answers `answer`
/// (a full HTTP response) to every request. Returns its `host:port`.
async fn internal_service(answer: &'static str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let _ = s.write_all(answer.as_bytes()).await;
            });
        }
    });
    addr
}

const SECRET: &str = "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 6\r\nconnection: close\r\n\r\nSECRET";

#[tokio::test]
async fn downloads_are_nosniff_and_never_leave_the_providers_hosts() {
    let app = TestApp::start(SimConfig {
        seed: 66,
        accounts: 1,
        tickets: 120,
        conversations_per_ticket: 1.0,
        ..SimConfig::default()
    })
    .await;
    // The factory as `serve` builds it, allowing only the simulator.
    let factory = Downloader::new(
        &Registry::new().with(FreshdeskIntegration::new(vec![app.sim_host.clone()], 0.2)),
    );
    // A file URL naming an internal service (loopback, not an allowed provider host).
    let internal = internal_service(SECRET).await;
    let got = factory
        .download("freshdesk", &format!("http://{internal}/latest/meta-data"))
        .await;
    assert!(
        got.is_err(),
        "an internal address is never fetched: {:?}",
        got.map(|r| r.status())
    );
    // Plain http to a public name is refused too (https only).
    let got = factory
        .download("freshdesk", "http://attachment.freshdesk.com/file")
        .await;
    assert!(got.is_err(), "http is refused");
    // A provider host that redirects to the internal service: the redirect is not followed.
    let location: &'static str = Box::leak(
        format!(
            "HTTP/1.1 302 Found\r\nlocation: http://{internal}/latest/meta-data\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        )
        .into_boxed_str(),
    );
    let redirector = internal_service(location).await;
    let factory = Downloader::new(&Registry::new().with(FreshdeskIntegration::new(
        vec![
            app.sim_handle.base_url.clone(),
            format!("http://{redirector}"),
        ],
        0.2,
    )));
    let got = factory
        .download("freshdesk", &format!("http://{redirector}/file"))
        .await
        .expect("the provider host answers");
    assert_eq!(got.status().as_u16(), 302, "not followed off the provider");
    let (token, la) = app.link(0).await;
    assert_eq!(app.wait_synced(la).await, "DONE");
    let (_, page) = app
        .get("/api/ticketing/v1/attachments?page_size=1", Some(&token))
        .await;
    let id = page["results"][0]["id"].as_str().expect("an attachment");
    let res = app.download(id, &token).await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(
        res.headers()
            .get("x-content-type-options")
            .and_then(|v| v.to_str().ok()),
        Some("nosniff"),
        "the helpdesk's content type is not to be sniffed into HTML"
    );

    app.stop().await;
}

#[tokio::test]
async fn allowed_provider_hosts_are_exact_origins() {
    let app = TestApp::start(SimConfig {
        seed: 67,
        accounts: 1,
        tickets: 5,
        conversations_per_ticket: 1.0,
        ..SimConfig::default()
    })
    .await;
    // The app allows exactly `http://127.0.0.1:{port}` of the simulator.
    let (_, key) = app.sim_account(0);
    let port = app.sim_handle.addr.port();
    let link = |domain: String| {
        let mut body = app.link_body(0, &key);
        body["credentials"]["domain"] = serde_json::json!(domain);
        body
    };
    let path = "/api/ticketing/v1/linked-accounts";
    let (status, answer) = app
        .post(path, None, &link(format!("http://127.0.0.1:{port}")))
        .await;
    assert_eq!(status, 201, "the allowed origin: {answer}");
    for other in [
        format!("https://127.0.0.1:{port}"),
        format!("http://localhost:{port}"),
        format!("http://127.0.0.1:{}", port.wrapping_add(1)),
        "http://127.0.0.1".to_string(),
    ] {
        let (status, answer) = app.post(path, None, &link(other.clone())).await;
        assert_eq!(status, 400, "{other} is another origin: {answer}");
    }
    app.stop().await;
}
