use crate::helpers::{future, spawn_app};
use parkway_core::ErrorCode;
use parkway_core::api::{Items, Notification};
use parkway_core::booking::BookingStatus;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn every_booking_route_answers_404_to_a_stranger() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let driver = app.driver().await;
    let stranger = app.register(&["driver", "owner"]).await;
    let d = app.driveway(&owner, json!({})).await;
    let b = app.book(&driver, d["id"].as_str().expect("id"), future(1), 60).await.str("id");

    for (method, path, body) in [
        (Method::GET, format!("/api/bookings/{b}"), None),
        (Method::PUT, format!("/api/bookings/{b}"), Some(json!({"specialRequests": "x"}))),
        (Method::PUT, format!("/api/bookings/{b}/cancel"), Some(json!({}))),
        (Method::DELETE, format!("/api/bookings/{b}"), None),
        (Method::PUT, format!("/api/bookings/{b}/confirm"), Some(json!({}))),
    ] {
        let a = app.request(method.clone(), &path, Some(&stranger.token), body).await;
        assert_eq!((a.status, a.code()), (StatusCode::NOT_FOUND, ErrorCode::NotFound), "{method} {path}");
        // The answer is the same as for an id that does not exist at all.
        let ghost = path.replace(&b, &uuid::Uuid::new_v4().to_string());
        let g = app.request(method.clone(), &ghost, Some(&stranger.token), Some(json!({}))).await;
        assert_eq!(g.body, a.body, "{method} {path}");
    }
    assert_eq!(app.get("/api/bookings", Some(&stranger.token)).await.bookings(), []);
    assert_eq!(app.get("/api/bookings?as=owner", Some(&stranger.token)).await.bookings(), []);
    // The booking is untouched.
    assert_eq!(
        app.get(&format!("/api/bookings/{b}"), Some(&driver.token)).await.booking().status,
        BookingStatus::Pending
    );
}

#[tokio::test]
async fn notifications_are_private() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let driver = app.driver().await;
    let stranger = app.driver().await;
    let d = app.driveway(&owner, json!({})).await;
    app.book(&driver, d["id"].as_str().expect("id"), future(1), 60).await;
    let inbox = app.get("/api/notifications", Some(&owner.token)).await;
    let id = inbox.json::<Items<Notification>>().items.first().expect("a notification").id;
    assert_eq!(app.get("/api/notifications", Some(&stranger.token)).await.json::<Items<Notification>>().items, []);
    let a = app.post(&format!("/api/notifications/{id}/read"), Some(&stranger.token), json!({})).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn metrics_need_the_owner_role() {
    let app = spawn_app().await;
    let driver = app.driver().await;
    assert_eq!(app.get("/api/metrics/owner", Some(&driver.token)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get("/api/metrics/owner", None).await.status, StatusCode::UNAUTHORIZED);
}
