//! Two server instances on one PostgreSQL database behave as one service. These run on
//! PostgreSQL whatever `PARKWAY_TEST_DB` says: several instances need a shared database.

use crate::helpers::{Session, TestApp, code_of, future, rfc, spawn_postgres_app_with};
use chrono::Duration;
use futures_util::StreamExt;
use parkway_core::ErrorCode;
use parkway_core::api::{Items, Notification};
use parkway_core::notification::NotificationType;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

pub type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub async fn connect(app: &TestApp, user: &Session) -> Socket {
    let url = format!("{}/api/ws?token={}", app.base.replace("http://", "ws://"), user.token);
    tokio_tungstenite::connect_async(url).await.expect("connected").0
}

/// Two instances on one database, an owner listening on the second and their driver booking on
/// the first, once a booking's notice has gone across.
pub struct FanOut {
    pub a: TestApp,
    pub b: TestApp,
    pub driver: Session,
    /// The owner's driveway.
    pub id: String,
    pub owner_on_b: Socket,
}

impl FanOut {
    pub async fn working() -> FanOut {
        let a = spawn_postgres_app_with(|_| {}).await;
        let b = a.another_instance().await;
        let owner = a.owner().await;
        let driver = a.driver().await;
        let d = a.driveway(&owner, json!({})).await;
        let id = d["id"].as_str().expect("id").to_owned();
        let mut owner_on_b = connect(&b, &owner).await;
        assert_eq!(a.book(&driver, &id, future(1), 60).await.status, StatusCode::CREATED);
        assert_eq!(next(&mut owner_on_b, 5000).await.expect("a first notice")["type"], "booking_created");
        FanOut { a, b, driver, id, owner_on_b }
    }
}

/// The next notification, or None if none arrives within `ms`.
pub async fn next(socket: &mut Socket, ms: u64) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_millis(ms);
    loop {
        match tokio::time::timeout_at(deadline, socket.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => return Some(serde_json::from_str(&t).expect("json")),
            Ok(Some(Ok(_))) => continue,
            _ => return None,
        }
    }
}

async fn inbox(app: &TestApp, user: &Session, kind: NotificationType) -> Vec<Notification> {
    let all = app.get("/api/notifications", Some(&user.token)).await;
    all.json::<Items<Notification>>().items.into_iter().filter(|n| n.kind == kind).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_overlapping_requests_over_two_instances_make_exactly_one_booking() {
    let a = spawn_postgres_app_with(|_| {}).await;
    let b = a.another_instance().await;
    let owner = a.owner().await;
    let d = a.driveway(&owner, json!({})).await;
    let id = d["id"].as_str().expect("id").to_owned();
    let mut drivers = Vec::new();
    for _ in 0..5 {
        drivers.push(b.driver().await);
    }
    let start = future(2);
    let mut tasks = Vec::new();
    for i in 0..100 {
        let client = a.client.clone();
        let base = if i % 2 == 0 { &a.base } else { &b.base };
        let url = format!("{base}/api/bookings");
        let token = drivers[i % drivers.len()].token.clone();
        // Every slot overlaps every other one: they all contain [start+100min, start+120min).
        let s = start + Duration::minutes(i as i64);
        let body =
            json!({"driveway": id, "startTime": rfc(s), "endTime": rfc(start + Duration::minutes(120 + i as i64))});
        tasks.push(tokio::spawn(async move {
            let res = client.post(url).bearer_auth(token).json(&body).send().await.expect("sent");
            (res.status(), res.json::<Value>().await.expect("json"))
        }));
    }
    let mut created = 0;
    let mut taken = 0;
    for t in tasks {
        match t.await.expect("task") {
            (StatusCode::CREATED, _) => created += 1,
            (StatusCode::CONFLICT, body) => {
                assert_eq!(code_of(&body), ErrorCode::SlotTaken, "{body}");
                assert_eq!(body["conflicts"].as_array().map(Vec::len), Some(1), "the winner is named: {body}");
                taken += 1;
            }
            (other, body) => panic!("unexpected status {other}: {body}"),
        }
    }
    assert_eq!((created, taken), (1, 99));
    for app in [&a, &b] {
        let owner_view = app.get("/api/bookings?as=owner", Some(&owner.token)).await;
        assert_eq!(owner_view.bookings().len(), 1);
    }
}

/// A driver's unpaid holds are counted under their row's lock, so that requests sent at once
/// to two instances (and so to different transactions) count one after the other: of forty
/// bookings on free slots, with a limit of three, exactly three are made.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_drivers_requests_over_two_instances_hold_no_more_than_the_limit() {
    let a = spawn_postgres_app_with(|c| c.max_unpaid_holds = 3).await;
    let b = a.another_instance().await;
    let owner = a.owner().await;
    let driver = a.driver().await;
    let mut driveways = Vec::new();
    for _ in 0..8 {
        driveways.push(a.driveway(&owner, json!({})).await["id"].as_str().expect("id").to_owned());
    }
    let mut tasks = Vec::new();
    for i in 0..40 {
        let base = if i % 2 == 0 { &a.base } else { &b.base };
        let (client, url, token) = (a.client.clone(), format!("{base}/api/bookings"), driver.token.clone());
        let start = future(2 * i as i64);
        let body =
            json!({"driveway": driveways[i % 8], "startTime": rfc(start), "endTime": rfc(start + Duration::hours(1))});
        tasks.push(tokio::spawn(async move {
            let res = client.post(url).bearer_auth(token).json(&body).send().await.expect("sent");
            (res.status(), res.json::<Value>().await.expect("json"))
        }));
    }
    let mut created = 0;
    for t in tasks {
        match t.await.expect("task") {
            (StatusCode::CREATED, _) => created += 1,
            (StatusCode::CONFLICT, body) => assert_eq!(code_of(&body), ErrorCode::HoldLimit, "{body}"),
            (other, body) => panic!("unexpected status {other}: {body}"),
        }
    }
    assert_eq!(created, 3, "exactly the limit of unpaid holds booked");
    assert_eq!(b.get("/api/bookings", Some(&driver.token)).await.bookings().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_client_on_one_instance_hears_what_happened_on_the_other() {
    let a = spawn_postgres_app_with(|_| {}).await;
    let b = a.another_instance().await;
    let owner = a.owner().await;
    let driver = a.driver().await;
    let stranger = b.register(&["driver", "owner"]).await;
    let d = a.driveway(&owner, json!({})).await;
    let mut owner_on_b = connect(&b, &owner).await;
    let mut driver_on_a = connect(&a, &driver).await;
    let mut stranger_on_b = connect(&b, &stranger).await;

    let booking = a.book(&driver, d["id"].as_str().expect("id"), future(1), 60).await.str("id");
    let n = next(&mut owner_on_b, 1000).await.expect("the owner, connected to B, hears of A's booking");
    assert_eq!((n["type"].as_str(), n["data"]["bookingId"].as_str()), (Some("booking_created"), Some(&*booking)));
    let stored = inbox(&a, &owner, NotificationType::BookingCreated).await;
    assert_eq!(n["id"], stored[0].id, "the same notification as the inbox holds");

    // The other way round: the owner cancels on B, the driver is connected to A.
    let cancelled = b.put(&format!("/api/bookings/{booking}/cancel"), Some(&owner.token), json!({})).await;
    assert_eq!(cancelled.status, StatusCode::OK);
    assert_eq!(next(&mut driver_on_a, 1000).await.expect("driver told")["type"], "booking_cancelled");

    // A notification too large for a NOTIFY payload travels as its id and is read from the inbox.
    let long = "x".repeat(9000);
    let data = json!({"bookingId": booking, "drivewayId": d["id"]}).to_string();
    a.execute(
        "INSERT INTO notifications (user_id, type, title, message, data, created_at) VALUES (?, 'booking_reminder', 'Long', ?, ?, 0)",
        &[&owner.id, &long, &data],
    )
    .await
    .expect("inserted");
    let stored = inbox(&a, &owner, NotificationType::BookingReminder).await;
    let notification = stored[0].clone();
    a.server()
        .state()
        .hub
        .publish(parkway_backend::store::notifications::Notice { user: owner.id.parse().expect("uuid"), notification });
    let big = next(&mut owner_on_b, 1000).await.expect("a large notification arrives on B");
    assert_eq!(big["message"].as_str().map(str::len), Some(9000));

    assert!(next(&mut stranger_on_b, 200).await.is_none(), "nobody else receives anything");
    assert!(next(&mut owner_on_b, 100).await.is_none(), "each message arrives once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_expired_hold_is_cancelled_once_while_both_instances_run_the_jobs() {
    let a = spawn_postgres_app_with(|c| {
        c.hold = std::time::Duration::from_secs(10 * 60);
        c.job_interval = std::time::Duration::from_millis(20);
    })
    .await;
    let b = a.another_instance().await;
    let owner = a.owner().await;
    let driver = b.driver().await;
    let d = a.driveway(&owner, json!({})).await;
    let mut bookings = Vec::new();
    for h in [1, 3, 5] {
        bookings.push(b.book(&driver, d["id"].as_str().expect("id"), future(h), 60).await.str("id"));
    }

    // The clock is shared: both instances' job loops (every 20 ms) see the holds expire at once,
    // and two more runs are started side by side for good measure.
    a.clock.advance(Duration::minutes(11));
    tokio::join!(a.server().run_jobs_now(), b.server().run_jobs_now());
    for booking in &bookings {
        let mut status = String::new();
        let started = std::time::Instant::now();
        while crate::helpers::patient(started) {
            status = a.get(&format!("/api/bookings/{booking}"), Some(&driver.token)).await.str("status");
            if status == "cancelled" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(status, "cancelled");
    }
    // Let both loops run a few more times.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    for user in [&driver, &owner] {
        let cancelled = inbox(&b, user, NotificationType::BookingCancelled).await;
        assert_eq!(cancelled.len(), bookings.len(), "one cancellation per booking: {cancelled:?}");
        for booking in &bookings {
            assert_eq!(cancelled.iter().filter(|n| n.data["bookingId"] == booking.as_str()).count(), 1);
        }
    }
}

#[tokio::test]
async fn the_auth_rate_limit_holds_across_instances() {
    let a = spawn_postgres_app_with(|c| c.auth_rate_per_min = 3).await;
    let b = a.another_instance().await;
    let login = json!({"email": "x@example.com", "password": "whatever1"});
    for app in [&a, &b, &a] {
        assert_eq!(app.post("/api/auth/login", None, login.clone()).await.status, StatusCode::UNAUTHORIZED);
    }
    let limited = b.post("/api/auth/login", None, login).await;
    assert_eq!((limited.status, limited.code()), (StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited));
    let retry: u64 = limited.headers["retry-after"].to_str().expect("ascii").parse().expect("seconds");
    assert!((1..=60).contains(&retry), "{retry}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fan_out_survives_a_lost_listen_connection() {
    // `_b` keeps the second instance running.
    let FanOut { a, b: _b, driver, id, mut owner_on_b } = FanOut::working().await;

    // The database drops both instances' LISTEN connections, as a restart or a proxy would.
    const LISTENERS: &str = "SELECT pid::BIGINT FROM pg_stat_activity \
         WHERE datname = current_database() AND query LIKE 'LISTEN%' AND state = 'idle'";
    let old = a.numbers(LISTENERS).await;
    assert_eq!(old.len(), 2, "one listener per instance");
    a.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND query LIKE 'LISTEN%'",
        &[],
    )
    .await
    .expect("terminated");
    let mut fresh = Vec::new();
    let started = std::time::Instant::now();
    while crate::helpers::patient(started) {
        fresh = a.numbers(LISTENERS).await.into_iter().filter(|pid| !old.contains(pid)).collect();
        if fresh.len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(fresh.len(), 2, "both instances listen again");

    a.book(&driver, &id, future(3), 60).await;
    let n = next(&mut owner_on_b, 1000).await.expect("delivered after the reconnection");
    assert_eq!(n["type"], "booking_created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn retries_with_one_key_over_two_instances_make_one_booking() {
    let a = spawn_postgres_app_with(|_| {}).await;
    let b = a.another_instance().await;
    let owner = a.owner().await;
    let driver = a.driver().await;
    let d = a.driveway(&owner, json!({})).await;
    let start = future(1);
    let body = json!({"driveway": d["id"], "startTime": rfc(start), "endTime": rfc(start + Duration::hours(1))});
    let mut tasks = Vec::new();
    for i in 0..20 {
        let base = if i % 2 == 0 { &a.base } else { &b.base };
        let req = a
            .client
            .post(format!("{base}/api/bookings"))
            .bearer_auth(&driver.token)
            .header("Idempotency-Key", "offline-phone-retry")
            .json(&body);
        tasks.push(tokio::spawn(async move {
            let res = req.send().await.expect("sent");
            (res.status(), res.json::<Value>().await.expect("json")["id"].clone())
        }));
    }
    let mut ids = std::collections::HashSet::new();
    for t in tasks {
        let (status, id) = t.await.expect("task");
        assert_eq!(status, StatusCode::CREATED, "every retry gets the first answer");
        ids.insert(id.to_string());
    }
    assert_eq!(ids.len(), 1);
    let mine = b.get("/api/bookings", Some(&driver.token)).await;
    assert_eq!(mine.bookings().len(), 1);
}

#[tokio::test]
async fn logout_and_a_password_change_end_sessions_on_every_instance_at_once() {
    let a = spawn_postgres_app_with(|_| {}).await;
    let b = a.another_instance().await;
    let user = a.driver().await;
    let second = b.post("/api/auth/login", None, json!({"email": user.email, "password": "correct horse"})).await;
    let second = second.str("token");
    assert_eq!(b.get("/api/me", Some(&user.token)).await.status, StatusCode::OK);
    assert_eq!(a.post("/api/auth/logout", Some(&user.token), json!({})).await.status, StatusCode::NO_CONTENT);
    assert_eq!(
        b.get("/api/me", Some(&user.token)).await.status,
        StatusCode::UNAUTHORIZED,
        "seen on the other instance"
    );

    let third = a.post("/api/auth/login", None, json!({"email": user.email, "password": "correct horse"})).await;
    let changed = b
        .post(
            "/api/auth/password",
            Some(&second),
            json!({"currentPassword": "correct horse", "newPassword": "another horse"}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{:?}", changed.body);
    assert_eq!(a.get("/api/me", Some(&third.str("token"))).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(a.get("/api/me", Some(&second)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_message_sent_on_one_instance_arrives_live_on_the_other() {
    let a = spawn_postgres_app_with(|_| {}).await;
    let b = a.another_instance().await;
    let (owner, driver) = (a.owner().await, a.driver().await);
    let d = a.driveway(&owner, json!({})).await;
    let booking = a.book(&driver, d["id"].as_str().expect("id"), future(1), 60).await.str("id");
    let mut driver_on_b = connect(&b, &driver).await;
    let sent = a
        .post(
            &format!("/api/bookings/{booking}/messages"),
            Some(&owner.token),
            json!({"text": "Gate code is in the app"}),
        )
        .await;
    assert_eq!(sent.status, StatusCode::CREATED);
    // Nothing else is sent to the driver, so the first frame is the message; the bound is the
    // suite's patience, not a short fixed wait.
    let heard = next(&mut driver_on_b, crate::helpers::PATIENCE.as_millis() as u64)
        .await
        .expect("the driver, connected to B, hears A's message");
    assert_eq!(
        (heard["type"].as_str(), heard["data"]["messageId"].as_i64()),
        (Some("message"), sent.body["id"].as_i64())
    );
    let on_b = b.get(&format!("/api/bookings/{booking}/messages"), Some(&driver.token)).await;
    assert_eq!(on_b.body["items"].as_array().map(Vec::len), Some(1));
}
