use crate::helpers::{code_of, future, rfc, spawn_app, spawn_app_with};
use chrono::Duration;
use parkway_core::ErrorCode;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_retried_request_replays_the_first_answer_and_creates_nothing() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let driver = app.driver().await;
    let d = app.driveway(&owner, json!({})).await;
    let start = future(1);
    let body = json!({"driveway": d["id"], "startTime": rfc(start), "endTime": rfc(start + Duration::hours(1))});
    let send = |key: &'static str, body: serde_json::Value| {
        let req = app
            .client
            .post(format!("{}/api/bookings", app.base))
            .bearer_auth(&driver.token)
            .header("Idempotency-Key", key)
            .json(&body);
        async move {
            let res = req.send().await.expect("sent");
            let replayed = res.headers().contains_key("idempotent-replayed");
            (res.status(), replayed, res.json::<serde_json::Value>().await.expect("json"))
        }
    };
    let (s1, r1, b1) = send("key-1", body.clone()).await;
    let (s2, r2, b2) = send("key-1", body.clone()).await;
    assert_eq!((s1, r1), (StatusCode::CREATED, false));
    assert_eq!((s2, r2), (StatusCode::CREATED, true));
    assert_eq!(b1, b2);
    // Whitespace and field order do not matter; a different request under the same key does.
    let reordered = json!({"endTime": rfc(start + Duration::hours(1)), "startTime": rfc(start), "driveway": d["id"]});
    assert_eq!(send("key-1", reordered).await.2["id"], b1["id"]);
    let mut changed = body.clone();
    changed["specialRequests"] = json!("different");
    let (s3, _, b3) = send("key-1", changed).await;
    assert_eq!((s3, code_of(&b3)), (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::IdempotencyKeyReused));
    assert_eq!(app.get("/api/bookings", Some(&driver.token)).await.body["items"].as_array().map(Vec::len), Some(1));
    // Keys belong to one user: another driver's same key is a new request (slot now taken).
    let other = app.driver().await;
    let res = app
        .client
        .post(format!("{}/api/bookings", app.base))
        .bearer_auth(&other.token)
        .header("Idempotency-Key", "key-1")
        .json(&body)
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_replay_still_answers_after_the_slot_has_started() {
    let app = spawn_app_with(|c| c.token_ttl = std::time::Duration::from_secs(30 * 24 * 3600)).await;
    let owner = app.owner().await;
    let driver = app.driver().await;
    let d = app.driveway(&owner, json!({})).await;
    let start = future(0);
    let body = json!({"driveway": d["id"], "startTime": rfc(start), "endTime": rfc(start + Duration::hours(1))});
    let post = || {
        app.client
            .post(format!("{}/api/bookings", app.base))
            .bearer_auth(&driver.token)
            .header("Idempotency-Key", "k")
            .json(&body)
    };
    let first = post().send().await.expect("sent");
    assert_eq!(first.status(), StatusCode::CREATED);
    // An offline phone retries long after: the answer is the same booking, not an error.
    app.clock.advance(Duration::days(3));
    let late = post().send().await.expect("sent");
    assert_eq!(late.status(), StatusCode::CREATED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_retries_with_one_key_create_one_booking() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let driver = app.driver().await;
    let d = app.driveway(&owner, json!({})).await;
    let start = future(1);
    let body = json!({"driveway": d["id"], "startTime": rfc(start), "endTime": rfc(start + Duration::hours(1))});
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let req = app
            .client
            .post(format!("{}/api/bookings", app.base))
            .bearer_auth(&driver.token)
            .header("Idempotency-Key", "same")
            .json(&body);
        tasks.push(tokio::spawn(async move {
            let res = req.send().await.expect("sent");
            (res.status(), res.json::<serde_json::Value>().await.expect("json")["id"].clone())
        }));
    }
    let mut ids = std::collections::HashSet::new();
    for t in tasks {
        let (status, id) = t.await.expect("task");
        assert_eq!(status, StatusCode::CREATED);
        ids.insert(id.to_string());
    }
    assert_eq!(ids.len(), 1);
}

/// A refused request leaves its key free, also one that names a payment made ahead (which runs
/// in a savepoint of its own in the writer's batch): sent again, it is refused again for the
/// same reason, and the key books once the request is put right.
#[tokio::test]
async fn a_refused_request_paid_ahead_gives_its_key_back() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let driver = app.driver().await;
    let d = app.driveway(&owner, json!({})).await;
    let start = future(1);
    let slot = json!({"driveway": d["id"], "startTime": rfc(start), "endTime": rfc(start + Duration::hours(1))});
    let mut paid_ahead = slot.clone();
    paid_ahead["stripePaymentId"] = json!("pi_not_a_payment_of_yours");
    let send = |key: &'static str, body: &serde_json::Value| {
        app.client
            .post(format!("{}/api/bookings", app.base))
            .bearer_auth(&driver.token)
            .header("Idempotency-Key", key)
            .json(body)
            .send()
    };
    for attempt in 0..2 {
        let res = send("paid-ahead", &paid_ahead).await.expect("sent");
        let status = res.status();
        let body: serde_json::Value = res.json().await.expect("json");
        assert_eq!(
            (status, code_of(&body)),
            (StatusCode::BAD_REQUEST, ErrorCode::ValidationFailed),
            "attempt {attempt}: {body}"
        );
    }
    // The key was never kept: the corrected request books under it.
    assert_eq!(send("paid-ahead", &slot).await.expect("sent").status(), StatusCode::CREATED);
    let keys = app.get("/api/bookings", Some(&driver.token)).await.body["items"].as_array().map(Vec::len);
    assert_eq!(keys, Some(1));
}

/// A booking refused by its rules keeps nothing of its key: sent for a slot that is taken, it
/// answers `slot_taken` with the booking in the way, every time; the same key then books a free
/// slot, and replays that answer.
#[tokio::test]
async fn a_booking_refused_for_its_slot_leaves_its_key_free() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let (first, second) = (app.driver().await, app.driver().await);
    let d = app.driveway(&owner, json!({})).await;
    let start = future(1);
    let taken = json!({"driveway": d["id"], "startTime": rfc(start), "endTime": rfc(start + Duration::hours(1))});
    let free = json!({"driveway": d["id"], "startTime": rfc(start + Duration::hours(1)),
        "endTime": rfc(start + Duration::hours(2))});
    let send = |token: &str, key: &'static str, body: &serde_json::Value| {
        let req = app
            .client
            .post(format!("{}/api/bookings", app.base))
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .json(body);
        async move {
            let res = req.send().await.expect("sent");
            let replayed = res.headers().contains_key("idempotent-replayed");
            (res.status(), replayed, res.json::<serde_json::Value>().await.expect("json"))
        }
    };
    assert_eq!(send(&first.token, "k", &taken).await.0, StatusCode::CREATED);
    for attempt in 0..2 {
        let (status, _, body) = send(&second.token, "k", &taken).await;
        assert_eq!((status, code_of(&body)), (StatusCode::CONFLICT, ErrorCode::SlotTaken), "attempt {attempt}");
        let in_the_way = json!([{"startTime": rfc(start), "endTime": rfc(start + Duration::hours(1))}]);
        assert_eq!(body["conflicts"], in_the_way, "attempt {attempt}");
    }
    let (status, replayed, booked) = send(&second.token, "k", &free).await;
    assert_eq!((status, replayed), (StatusCode::CREATED, false), "{booked}");
    let (status, replayed, again) = send(&second.token, "k", &free).await;
    assert_eq!((status, replayed, &again["id"]), (StatusCode::CREATED, true, &booked["id"]));
    let mine = app.get("/api/bookings", Some(&second.token)).await.body["items"].as_array().map(Vec::len);
    assert_eq!(mine, Some(1));
}
