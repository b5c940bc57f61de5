use crate::helpers::{future, spawn_app_with};
use chrono::Duration;
use parkway_core::ErrorCode;
use parkway_core::api::{Items, Notification};
use parkway_core::booking::BookingStatus;
use parkway_core::notification::NotificationType;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn an_unpaid_hold_expires_and_frees_the_slot() {
    let app = spawn_app_with(|c| c.hold = std::time::Duration::from_secs(10 * 60)).await;
    let owner = app.owner().await;
    let driver = app.driver().await;
    let other = app.driver().await;
    let d = app.driveway(&owner, json!({})).await;
    let id = d["id"].as_str().expect("id");
    let b = app.book(&driver, id, future(1), 60).await.str("id");
    assert_eq!(app.book(&other, id, future(1), 60).await.code(), ErrorCode::SlotTaken);

    app.clock.advance(Duration::minutes(9));
    app.server().run_jobs_now().await;
    assert_eq!(
        app.get(&format!("/api/bookings/{b}"), Some(&driver.token)).await.booking().status,
        BookingStatus::Pending
    );

    app.clock.advance(Duration::minutes(2));
    app.server().run_jobs_now().await;
    assert_eq!(
        app.get(&format!("/api/bookings/{b}"), Some(&driver.token)).await.booking().status,
        BookingStatus::Cancelled
    );
    assert_eq!(app.book(&other, id, future(1), 60).await.status, StatusCode::CREATED);
    // Both sides are told, once, even if the jobs run again.
    app.server().run_jobs_now().await;
    let inbox = app.get("/api/notifications", Some(&driver.token)).await;
    let cancelled: Vec<_> = inbox
        .json::<Items<Notification>>()
        .items
        .into_iter()
        .filter(|n| n.kind == NotificationType::BookingCancelled)
        .collect();
    assert_eq!(cancelled.len(), 1);
    assert!(cancelled[0].message.contains("not paid"));
}

#[tokio::test]
async fn ended_bookings_complete_and_unanswered_requests_lapse() {
    let app = spawn_app_with(|c| c.token_ttl = std::time::Duration::from_secs(30 * 24 * 3600)).await;
    let owner = app.owner().await;
    let driver = app.driver().await;
    let d = app.driveway(&owner, json!({})).await;
    let id = d["id"].as_str().expect("id");
    let confirmed = app.book(&driver, id, future(1), 60).await.str("id");
    app.pay(&driver, &confirmed).await;
    app.put(&format!("/api/bookings/{confirmed}/confirm"), Some(&owner.token), json!({})).await;
    let unanswered = app.book(&driver, id, future(3), 60).await.str("id");
    // Mark it paid so the hold does not expire it first: the owner simply never answers.
    app.execute("UPDATE bookings SET payment_status = 'paid' WHERE id = ?", &[&unanswered]).await.expect("update");

    app.clock.advance(Duration::days(3));
    app.server().run_jobs_now().await;
    assert_eq!(
        app.get(&format!("/api/bookings/{confirmed}"), Some(&driver.token)).await.booking().status,
        BookingStatus::Completed
    );
    assert_eq!(
        app.get(&format!("/api/bookings/{unanswered}"), Some(&driver.token)).await.booking().status,
        BookingStatus::Cancelled
    );
    let done = app.put(&format!("/api/bookings/{confirmed}/cancel"), Some(&driver.token), json!({})).await;
    assert_eq!(done.code(), ErrorCode::InvalidTransition);
}

#[tokio::test]
async fn the_job_loop_runs_by_itself() {
    let app = spawn_app_with(|c| {
        c.job_interval = std::time::Duration::from_millis(100);
        c.hold = std::time::Duration::from_secs(60);
    })
    .await;
    let owner = app.owner().await;
    let driver = app.driver().await;
    let d = app.driveway(&owner, json!({})).await;
    let b = app.book(&driver, d["id"].as_str().expect("id"), future(1), 60).await.str("id");
    app.clock.advance(Duration::minutes(2));
    let mut status = None;
    let started = std::time::Instant::now();
    while crate::helpers::patient(started) {
        status = Some(app.get(&format!("/api/bookings/{b}"), Some(&driver.token)).await.booking().status);
        if status == Some(BookingStatus::Cancelled) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, Some(BookingStatus::Cancelled));
}
