//! A stay's thread: its driver and its owner write and read it, nobody else can, every message
//! reaches the other's inbox, and the limits hold.

use crate::helpers::{Session, TestApp, future, spawn_app};
use parkway_core::ErrorCode;
use parkway_core::api::{Items, Notification};
use parkway_core::message::Message;
use parkway_core::notification::NotificationType;
use reqwest::StatusCode;
use serde_json::json;

/// An owner, a driver and a pending booking between them.
async fn booked(app: &TestApp) -> (Session, Session, String) {
    let (owner, driver) = (app.owner().await, app.driver().await);
    let d = app.driveway(&owner, json!({})).await;
    let booking = app.book(&driver, d["id"].as_str().expect("id"), future(1), 60).await.str("id");
    (owner, driver, booking)
}

async fn thread(app: &TestApp, user: &Session, booking: &str, after: i64) -> Vec<Message> {
    let a = app.get(&format!("/api/bookings/{booking}/messages?after={after}"), Some(&user.token)).await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    a.json::<Items<Message>>().items
}

#[tokio::test]
async fn the_driver_and_the_owner_write_and_read_their_thread_and_nobody_else_can() {
    let app = spawn_app().await;
    let (owner, driver, booking) = booked(&app).await;
    let path = format!("/api/bookings/{booking}/messages");

    let sent = app.post(&path, Some(&driver.token), json!({"text": "  Is the gate open before 8?  "})).await;
    assert_eq!(sent.status, StatusCode::CREATED, "{:?}", sent.body);
    let first: Message = sent.json();
    assert_eq!((first.text.as_str(), first.read_at), ("Is the gate open before 8?", None));
    let told: Vec<Notification> = app
        .get("/api/notifications", Some(&owner.token))
        .await
        .json::<Items<Notification>>()
        .items
        .into_iter()
        .filter(|n| n.kind == NotificationType::Message)
        .collect();
    assert_eq!(told.len(), 1);
    assert_eq!(told[0].message, "Is the gate open before 8?");
    assert_eq!(told[0].data["bookingId"], json!(booking));

    let answer = app.post(&path, Some(&owner.token), json!({"text": "Yes, from 7. https://example.com/map"})).await;
    assert_eq!(answer.status, StatusCode::CREATED);
    let answer: Message = answer.json();
    assert_eq!(thread(&app, &driver, &booking, 0).await.len(), 2);
    assert_eq!(thread(&app, &driver, &booking, first.id).await, vec![answer.clone()], "after the first");

    // Reading marks what the reader received, once.
    let read = app.post(&format!("{path}/read"), Some(&driver.token), json!({})).await;
    assert_eq!(read.body["read"], 1);
    assert_eq!(app.post(&format!("{path}/read"), Some(&driver.token), json!({})).await.body["read"], 0);
    let seen = thread(&app, &owner, &booking, 0).await;
    assert!(seen[1].read_at.is_some() && seen[0].read_at.is_none(), "{seen:?}");

    // Nobody else reads, writes or marks it.
    let stranger = app.register(&["driver", "owner"]).await;
    for answer in [
        app.get(&path, Some(&stranger.token)).await,
        app.post(&path, Some(&stranger.token), json!({"text": "hello"})).await,
        app.post(&format!("{path}/read"), Some(&stranger.token), json!({})).await,
    ] {
        assert_eq!((answer.status, answer.code()), (StatusCode::NOT_FOUND, ErrorCode::NotFound));
    }
    assert_eq!(app.get(&path, None).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn messages_are_limited_in_size_characters_and_pace() {
    let app = spawn_app().await;
    let (_, driver, booking) = booked(&app).await;
    let path = format!("/api/bookings/{booking}/messages");
    for (text, why) in
        [("   ".to_owned(), "blank"), ("x".repeat(2001), "too long"), ("ring\u{7}bell".to_owned(), "control")]
    {
        let refused = app.post(&path, Some(&driver.token), json!({"text": text})).await;
        assert_eq!((refused.status, refused.code()), (StatusCode::BAD_REQUEST, ErrorCode::ValidationFailed), "{why}");
    }
    assert_eq!(
        app.post(&path, Some(&driver.token), json!({"text": "x".repeat(2000)})).await.status,
        StatusCode::CREATED
    );
    for i in 1..30 {
        let sent = app.post(&path, Some(&driver.token), json!({"text": format!("message {i}")})).await;
        assert_eq!(sent.status, StatusCode::CREATED, "message {i}");
    }
    let flood = app.post(&path, Some(&driver.token), json!({"text": "one too many"})).await;
    assert_eq!((flood.status, flood.code()), (StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited));
    assert!(flood.headers.contains_key("retry-after"));
    assert_eq!(app.get(&format!("{path}?limit=101"), Some(&driver.token)).await.code(), ErrorCode::ValidationFailed);
    assert_eq!(thread(&app, &driver, &booking, 0).await.len(), 30);
}

/// A reply kept in an outbox is sent again until it is answered: with one Idempotency-Key it
/// lands once and notifies once; the same key with other words is refused.
#[tokio::test]
async fn a_message_sent_again_with_its_key_lands_once() {
    let app = spawn_app().await;
    let (owner, driver, booking) = booked(&app).await;
    let send = |text: &'static str| {
        let req = app
            .client
            .post(format!("{}/api/bookings/{booking}/messages", app.base))
            .bearer_auth(&driver.token)
            .header("Idempotency-Key", "reply-1")
            .json(&json!({"text": text}));
        async move {
            let res = req.send().await.expect("sent");
            let replayed = res.headers().contains_key("idempotent-replayed");
            (res.status(), replayed, res.json::<serde_json::Value>().await.expect("json"))
        }
    };
    let (s1, r1, first) = send("On my way").await;
    let (s2, r2, again) = send("On my way").await;
    assert_eq!((s1, r1, s2, r2), (StatusCode::CREATED, false, StatusCode::CREATED, true));
    assert_eq!(first, again);
    let (s3, _, other) = send("Something else").await;
    assert_eq!(
        (s3, crate::helpers::code_of(&other)),
        (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::IdempotencyKeyReused)
    );
    assert_eq!(thread(&app, &owner, &booking, 0).await.len(), 1, "one message in the thread");
    let inbox = app.get("/api/notifications", Some(&owner.token)).await.json::<Items<Notification>>();
    let told = inbox.items.iter().filter(|n| n.kind == NotificationType::Message).count();
    assert_eq!(told, 1, "the owner was told once");
}
