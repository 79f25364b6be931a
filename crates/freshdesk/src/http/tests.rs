//! Tests of the HTTP layer.

use super::*;

#[test]
fn credits() {
    assert_eq!(call_credits("tickets?include=description,stats"), 5);
    assert_eq!(call_credits("tickets/1?include=conversations,requester"), 3);
    assert_eq!(call_credits("tickets"), 1);
    assert_eq!(call_credits("tickets/1"), 1);
}

#[test]
fn confinement() {
    let base = Url::parse("http://127.0.0.1:9000/d/sim1/").expect("url");
    let ok = confine_path(&base, "tickets/1?include=stats").expect("ok");
    assert_eq!(
        ok.as_str(),
        "http://127.0.0.1:9000/d/sim1/api/v2/tickets/1?include=stats"
    );
    assert!(confine_path(&base, "/api/v2/tickets").is_ok());
    assert!(confine_path(&base, "contacts?email=a@b.c").is_ok());
    for bad in [
        "../tickets",
        "tickets/../../x",
        "tickets/%2e%2e/x",
        "//evil.com/x",
        "http://evil.com/api/v2/tickets",
        "https:evil.com",
        "tickets\\..\\x",
        "",
        "tickets/1#x",
        "a b",
        "user@evil.com/x",
    ] {
        assert!(confine_path(&base, bad).is_err(), "{bad} must be refused");
    }
}

#[test]
fn link_header() {
    let mut h = HeaderMap::new();
    h.insert(
        reqwest::header::LINK,
        "<https://a.freshdesk.com/api/v2/tickets?page=2>; rel=\"next\""
            .parse()
            .expect("h"),
    );
    assert!(has_next_link(&h));
    assert!(!has_next_link(&HeaderMap::new()));
}
