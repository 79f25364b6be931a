//! Unit tests of the rate budget (apart, so that `budget.rs` stays readable in one sitting).

use super::*;
use reqwest::header::{HeaderName, HeaderValue};

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.insert(
            HeaderName::from_static(k),
            HeaderValue::from_str(v).expect("header"),
        );
    }
    h
}

#[tokio::test]
async fn account_reserve_from_either_spelling() {
    let b = RateBudget::with_window(Duration::from_millis(200));
    b.record_response(&headers(&[
        ("x-rate-limit", "100"),
        ("x-rate-limit-remaining", "21"),
    ]));
    assert!(
        b.try_acquire_now(&Lane::Account).is_ok(),
        "21 left, reserve 20"
    );
    assert!(b.try_acquire_now(&Lane::Account).is_err());
    let b = RateBudget::with_window(Duration::from_secs(60));
    b.record_response(&headers(&[
        ("rate-limit", "200"),
        ("rate-limit-remaining", "40"),
        ("rate-limit-reset", "1"),
    ]));
    let wait = b.try_acquire_now(&Lane::Account).expect_err("reserve");
    assert!(wait <= Duration::from_secs(1), "reset dates the window");
}

#[tokio::test]
async fn our_own_count_dates_the_window_finer_than_reset() {
    let window = Duration::from_secs(2);
    let b = RateBudget::with_window(window);
    b.record_response(&headers(&[
        ("x-rate-limit", "10"),
        ("x-rate-limit-remaining", "10"),
    ]));
    for _ in 0..8 {
        assert!(b.try_acquire_now(&Lane::Account).is_ok());
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // 1.7 s left in Zendesk's window, announced as 2 s.
    b.record_response(&headers(&[
        ("x-rate-limit", "10"),
        ("x-rate-limit-remaining", "2"),
        ("ratelimit-reset", "2"),
    ]));
    let wait = b
        .try_acquire_now(&Lane::Account)
        .expect_err("reserve reached");
    assert!(
        wait < Duration::from_millis(1800),
        "the window's end from our first call (+2 % for the trip), not the rounded header's 2 s: {wait:?}"
    );
    // A header that disagrees by more than its rounding means another window: it wins.
    b.record_response(&headers(&[
        ("x-rate-limit", "10"),
        ("x-rate-limit-remaining", "2"),
        ("ratelimit-reset", "5"),
    ]));
    let wait = b
        .try_acquire_now(&Lane::Account)
        .expect_err("reserve reached");
    assert!(wait > Duration::from_millis(4900), "{wait:?}");
}

#[test]
fn incremental_lane_keeps_its_reserve() {
    let b = RateBudget::with_window(Duration::from_secs(60));
    for i in 0..8 {
        assert!(b.try_acquire_now(&Lane::Incremental).is_ok(), "call {i}");
    }
    assert!(b.try_acquire_now(&Lane::Incremental).is_err());
    assert!(
        b.try_acquire_now(&Lane::Account).is_ok(),
        "other calls go on"
    );
}

#[test]
fn a_second_adapter_does_not_refill_the_incremental_lane() {
    let b = RateBudget::with_window(Duration::from_secs(60));
    for _ in 0..8 {
        assert!(b.try_acquire_now(&Lane::Incremental).is_ok());
    }
    b.set_incremental_limit(10);
    assert!(b.try_acquire_now(&Lane::Incremental).is_err());
    b.set_incremental_limit(30);
    assert!(
        b.try_acquire_now(&Lane::Incremental).is_ok(),
        "High Volume: 30"
    );
}

#[test]
fn endpoint_buckets_are_learnt() {
    let b = RateBudget::with_window(Duration::from_secs(60));
    b.record_response(&headers(&[(
        "zendesk-ratelimit-tickets-update",
        "total=10; remaining=2; resets=30",
    )]));
    assert!(
        b.try_acquire_now(&Lane::Endpoint("tickets-update"))
            .is_err()
    );
    assert!(b.try_acquire_now(&Lane::Endpoint("tags-index")).is_ok());
    assert_eq!(
        parse_bucket("total=30; remaining=29; resets=468"),
        (Some(30), Some(29), Some(468))
    );
}
