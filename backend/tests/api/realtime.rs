//! Live notifications through real WebSocket clients.

use crate::helpers::{Session, TestApp, future, spawn_app, spawn_app_with};
use chrono::Duration;
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(app: &TestApp, user: &Session) -> Socket {
    let url = format!("{}/api/ws?token={}", app.base.replace("http://", "ws://"), user.token);
    tokio_tungstenite::connect_async(url).await.expect("connected").0
}

async fn connect_with_protocol(app: &TestApp, user: &Session) -> Socket {
    let mut req = format!("{}/api/ws", app.base.replace("http://", "ws://")).into_client_request().expect("request");
    let value = HeaderValue::from_str(&format!("bearer, {}", user.token)).expect("header");
    req.headers_mut().insert("sec-websocket-protocol", value);
    let (socket, response) = tokio_tungstenite::connect_async(req).await.expect("connected");
    assert_eq!(response.headers()["sec-websocket-protocol"], "bearer");
    socket
}

/// The next notification, or None if none arrives within `ms`.
async fn next(socket: &mut Socket, ms: u64) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_millis(ms);
    loop {
        match tokio::time::timeout_at(deadline, socket.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => return Some(serde_json::from_str(&t).expect("json")),
            Ok(Some(Ok(_))) => continue,
            _ => return None,
        }
    }
}

#[tokio::test]
async fn the_owner_hears_of_a_booking_and_the_driver_of_its_changes() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let driver = app.driver().await;
    let stranger = app.register(&["driver", "owner"]).await;
    let d = app.driveway(&owner, json!({})).await;
    let mut owner_ws = connect(&app, &owner).await;
    let mut driver_ws = connect_with_protocol(&app, &driver).await;
    let mut stranger_ws = connect(&app, &stranger).await;

    let b = app.book(&driver, d["id"].as_str().expect("id"), future(1), 60).await.str("id");
    let n = next(&mut owner_ws, 1000).await.expect("owner told within a second");
    assert_eq!(n["type"], "booking_created");
    assert_eq!(n["data"]["bookingId"], b.as_str());
    assert_eq!(n["data"]["drivewayId"], d["id"]);
    assert!(
        n["id"].as_i64().is_some() && n["title"].is_string() && n["message"].is_string() && n["createdAt"].is_string()
    );

    app.pay(&driver, &b).await;
    app.put(&format!("/api/bookings/{b}/confirm"), Some(&owner.token), json!({})).await;
    assert_eq!(next(&mut driver_ws, 1000).await.expect("confirmed")["type"], "booking_confirmed");
    assert_eq!(next(&mut driver_ws, 1000).await.expect("paid")["type"], "payment_succeeded");
    assert_eq!(next(&mut owner_ws, 1000).await.expect("paid")["type"], "payment_succeeded");
    app.put(&format!("/api/bookings/{b}/cancel"), Some(&owner.token), json!({})).await;
    assert_eq!(next(&mut driver_ws, 1000).await.expect("cancelled")["type"], "booking_cancelled");

    assert!(next(&mut stranger_ws, 300).await.is_none(), "a third user receives nothing");
    assert!(next(&mut owner_ws, 100).await.is_none(), "the owner cancelled it and is not told of it");
}

#[tokio::test]
async fn every_connection_of_a_user_receives_each_message() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let driver = app.driver().await;
    let d = app.driveway(&owner, json!({})).await;
    let mut phone = connect(&app, &owner).await;
    let mut desktop = connect_with_protocol(&app, &owner).await;
    app.book(&driver, d["id"].as_str().expect("id"), future(1), 60).await;
    let a = next(&mut phone, 1000).await.expect("phone");
    let b = next(&mut desktop, 1000).await.expect("desktop");
    assert_eq!(a, b);
}

#[tokio::test]
async fn bad_tokens_are_refused_before_the_upgrade() {
    let app = spawn_app_with(|c| c.token_ttl = std::time::Duration::from_secs(3600)).await;
    let ws = app.base.replace("http://", "ws://");
    for url in [format!("{ws}/api/ws"), format!("{ws}/api/ws?token=garbage")] {
        match tokio_tungstenite::connect_async(url).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(res)) => assert_eq!(res.status(), 401),
            other => panic!("expected a 401, got {other:?}"),
        }
    }
    let user = app.driver().await;
    app.clock.advance(Duration::hours(2));
    match tokio_tungstenite::connect_async(format!("{ws}/api/ws?token={}", user.token)).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => assert_eq!(res.status(), 401),
        other => panic!("an expired token must be refused, got {other:?}"),
    }
}

#[tokio::test]
async fn a_client_that_reconnects_catches_up_exactly_what_it_missed() {
    // One driver holds several unpaid bookings here (the hoarding limit has its own test).
    let app = spawn_app_with(|c| c.max_unpaid_holds = 0).await;
    let owner = app.owner().await;
    let driver = app.driver().await;
    let d = app.driveway(&owner, json!({})).await;
    let id = d["id"].as_str().expect("id");
    let mut ws = connect(&app, &owner).await;
    app.book(&driver, id, future(1), 60).await;
    let last_seen = next(&mut ws, 1000).await.expect("first")["id"].as_i64().expect("id");
    ws.close(None).await.expect("closed");

    for h in [3, 5, 7] {
        app.book(&driver, id, future(h), 60).await;
    }
    let mut ws = connect(&app, &owner).await;
    let missed = app.get(&format!("/api/notifications?after={last_seen}"), Some(&owner.token)).await;
    let missed = missed.body["items"].as_array().expect("items").clone();
    assert_eq!(missed.len(), 3);
    assert!(missed.iter().all(|n| n["type"] == "booking_created"));
    assert!(missed.windows(2).all(|w| w[0]["id"].as_i64() < w[1]["id"].as_i64()), "oldest first");
    assert!(next(&mut ws, 200).await.is_none(), "nothing is replayed over the socket twice");
}

#[tokio::test]
async fn a_stalled_client_is_dropped_while_others_keep_receiving() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let d = app.driveway(&owner, json!({})).await;
    let id = d["id"].as_str().expect("id").to_owned();
    // The stalled client never reads; the healthy one does.
    let _stalled = connect(&app, &owner).await;
    let mut healthy = connect(&app, &owner).await;
    let registry = app.server().state().hub.registry().clone();
    assert_eq!(registry.connections(), 2);
    let mut received = 0;
    // Send notifications straight through the hub, as bookings would, faster than the OS
    // buffers of a reader that never reads can absorb.
    let big = "x".repeat(3000);
    for i in 0..2000i64 {
        app.server().state().hub.publish(parkway_backend::store::notifications::Notice {
            user: owner.id.parse().expect("uuid"),
            notification: parkway_core::api::Notification {
                id: i,
                kind: parkway_core::notification::NotificationType::BookingReminder,
                title: "t".into(),
                message: big.clone(),
                data: json!({"bookingId": id, "drivewayId": id}),
                created_at: chrono::Utc::now(),
                read_at: None,
            },
        });
        while let Ok(Some(Ok(_))) = tokio::time::timeout(std::time::Duration::from_millis(0), healthy.next()).await {
            received += 1;
        }
        if i % 50 == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
    }
    while next(&mut healthy, 500).await.is_some() {
        received += 1;
    }
    assert_eq!(registry.connections(), 1, "the stalled connection was dropped");
    assert!(received >= 1990, "the healthy client kept receiving: {received}");
}

#[tokio::test]
async fn a_reminder_fires_once_before_the_start() {
    let app = spawn_app_with(|c| c.token_ttl = std::time::Duration::from_secs(30 * 24 * 3600)).await;
    let owner = app.owner().await;
    let driver = app.driver().await;
    let d = app.driveway(&owner, json!({})).await;
    let start = future(0);
    let b = app.book(&driver, d["id"].as_str().expect("id"), start, 60).await.str("id");
    app.pay(&driver, &b).await;
    app.put(&format!("/api/bookings/{b}/confirm"), Some(&owner.token), json!({})).await;
    let mut ws = connect(&app, &driver).await;

    // Move to 25 minutes before the start.
    let now = app.server().state().clock.now();
    app.clock.advance(start - now - Duration::minutes(25));
    app.server().run_jobs_now().await;
    let n = next(&mut ws, 1000).await.expect("reminder");
    assert_eq!(n["type"], "booking_reminder");
    assert!(n["message"].as_str().expect("message").contains("starts in 25 minutes"), "{n}");
    app.server().run_jobs_now().await;
    assert!(next(&mut ws, 200).await.is_none(), "sent once");
    assert_eq!(reminders(&app, &owner).await, 0, "the owner's comes 15 minutes before");
    app.clock.advance(Duration::minutes(11));
    app.server().run_jobs_now().await;
    assert_eq!(reminders(&app, &owner).await, 1);
    // 15 minutes before the end, the driver hears again; only once.
    app.clock.advance(Duration::minutes(61));
    app.server().run_jobs_now().await;
    app.server().run_jobs_now().await;
    assert_eq!(reminders(&app, &driver).await, 2);
}

async fn reminders(app: &TestApp, s: &Session) -> usize {
    let inbox = app.get("/api/notifications", Some(&s.token)).await;
    inbox.body["items"].as_array().expect("items").iter().filter(|n| n["type"] == "booking_reminder").count()
}

#[tokio::test]
async fn a_message_arrives_live_on_the_other_partys_socket() {
    let app = spawn_app().await;
    let (owner, driver) = (app.owner().await, app.driver().await);
    let d = app.driveway(&owner, json!({})).await;
    let booking = app.book(&driver, d["id"].as_str().expect("id"), future(1), 60).await.str("id");
    let mut owner_socket = connect(&app, &owner).await;
    let sent =
        app.post(&format!("/api/bookings/{booking}/messages"), Some(&driver.token), json!({"text": "On my way"})).await;
    assert_eq!(sent.status, reqwest::StatusCode::CREATED);
    // Whatever else reaches the socket first (the booking's own notice, on a slow machine), the
    // message comes, within the suite's patience rather than a short fixed wait.
    let started = std::time::Instant::now();
    let heard = loop {
        let frame = next(&mut owner_socket, 1000).await;
        match frame {
            Some(f) if f["type"] == "message" => break f,
            _ if crate::helpers::patient(started) => continue,
            _ => panic!("the owner never heard the message"),
        }
    };
    assert_eq!(heard["message"].as_str(), Some("On my way"));
    assert_eq!(heard["data"]["messageId"], sent.body["id"]);
    // It says which side reads it, so that the apps link to the owner's or the driver's list.
    assert_eq!((heard["data"]["action"].as_str(), heard["data"]["as"].as_str()), (Some("reply"), Some("owner")));
    let answer = app
        .post(&format!("/api/bookings/{booking}/messages"), Some(&owner.token), json!({"text": "Gate is open"}))
        .await;
    assert_eq!(answer.status, reqwest::StatusCode::CREATED);
    let inbox = app.get("/api/notifications", Some(&driver.token)).await;
    let told = inbox.body["items"].as_array().expect("items").iter().find(|n| n["type"] == "message").cloned();
    assert_eq!(told.expect("the driver is told")["data"]["as"], "driver");
}
