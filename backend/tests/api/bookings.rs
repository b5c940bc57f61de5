use crate::helpers::{future, on_postgres, rfc, spawn_app};
use chrono::{Duration, Utc};
use parkway_core::ErrorCode;
use parkway_core::api::LatLng;
use parkway_core::booking::{BookingStatus, PaymentStatus};
use parkway_core::money::Cents;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_driver_books_and_the_server_prices_it() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let driver = app.driver().await;
    let d = app.driveway(&owner, json!({"pricePerHourCents": 250})).await;
    let id = d["id"].as_str().expect("id");
    let start = future(1);
    let a = app
        .post(
            "/api/bookings",
            Some(&driver.token),
            json!({"driveway": id, "startTime": start.with_timezone(&chrono::FixedOffset::east_opt(3600).expect("tz")).to_rfc3339(),
                   "endTime": rfc(start + Duration::minutes(90)), "specialRequests": "Small car",
                   "driverLocation": {"lat": 37.0, "lng": -122.0}, "expectedTotalCents": 375, "totalCents": 1}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
    let booking = a.booking();
    assert_eq!(booking.total_cents, Cents(375), "the server's price, whatever the client sent");
    assert_eq!(booking.status, BookingStatus::Pending);
    assert_eq!(booking.payment_status, PaymentStatus::Pending);
    assert_eq!(booking.start_time, start, "stored in UTC");
    assert_eq!(a.body["startTime"], rfc(start), "returned in UTC");
    assert_eq!(booking.driver.to_string(), driver.id);
    assert_eq!(booking.driver_location, Some(LatLng { lat: 37.0, lng: -122.0 }));
    assert_eq!(booking.special_requests.as_deref(), Some("Small car"));

    let got = app.get(&format!("/api/bookings/{}", a.str("id")), Some(&driver.token)).await;
    assert_eq!(got.body, a.body);
    let by_owner = app.get(&format!("/api/bookings/{}", a.str("id")), Some(&owner.token)).await;
    assert_eq!(by_owner.status, StatusCode::OK);
}

#[tokio::test]
async fn booking_rules_answer_with_their_codes() {
    let app = spawn_app().await;
    let owner = app.register(&["owner", "driver"]).await;
    let driver = app.driver().await;
    let d = app.driveway(&owner, json!({"pricePerHourCents": 300})).await;
    let id = d["id"].as_str().expect("id");
    let start = future(5);
    let body = |s: chrono::DateTime<Utc>, e: chrono::DateTime<Utc>| json!({"driveway": id, "startTime": rfc(s), "endTime": rfc(e)});

    let cases = [
        (body(start, start), StatusCode::BAD_REQUEST, ErrorCode::InvalidTimeRange),
        (body(start, start - Duration::hours(1)), StatusCode::BAD_REQUEST, ErrorCode::InvalidTimeRange),
        (body(start, start + Duration::minutes(14)), StatusCode::BAD_REQUEST, ErrorCode::InvalidTimeRange),
        (body(start, start + Duration::days(31)), StatusCode::BAD_REQUEST, ErrorCode::InvalidTimeRange),
        (
            body(Utc::now() - Duration::hours(1), Utc::now() + Duration::hours(1)),
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidTimeRange,
        ),
        (json!({"driveway": id, "startTime": rfc(start)}), StatusCode::BAD_REQUEST, ErrorCode::ValidationFailed),
        (
            json!({"driveway": "nope", "startTime": rfc(start), "endTime": rfc(start + Duration::hours(1))}),
            StatusCode::BAD_REQUEST,
            ErrorCode::ValidationFailed,
        ),
        (
            json!({"driveway": uuid::Uuid::new_v4(), "startTime": rfc(start), "endTime": rfc(start + Duration::hours(1))}),
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
        ),
        (
            json!({"driveway": id, "startTime": rfc(start), "endTime": rfc(start + Duration::hours(1)), "expectedTotalCents": 299}),
            StatusCode::CONFLICT,
            ErrorCode::PriceMismatch,
        ),
        (
            json!({"driveway": id, "startTime": rfc(start), "endTime": rfc(start + Duration::hours(1)), "specialRequests": "x".repeat(1001)}),
            StatusCode::BAD_REQUEST,
            ErrorCode::ValidationFailed,
        ),
        (
            json!({"driveway": id, "startTime": rfc(start), "endTime": rfc(start + Duration::hours(1)), "driverLocation": {"lat": 95.0, "lng": 0.0}}),
            StatusCode::BAD_REQUEST,
            ErrorCode::ValidationFailed,
        ),
    ];
    for (b, status, code) in cases {
        let a = app.post("/api/bookings", Some(&driver.token), b.clone()).await;
        assert_eq!((a.status, a.code()), (status, code), "{b}: {:?}", a.body);
        assert!(!a.body["message"].as_str().unwrap_or("").is_empty());
    }
    let own = app.post("/api/bookings", Some(&owner.token), body(start, start + Duration::hours(1))).await;
    assert_eq!((own.status, own.code()), (StatusCode::BAD_REQUEST, ErrorCode::SelfBooking));
    let not_driver = app.owner().await;
    let a = app.post("/api/bookings", Some(&not_driver.token), body(start, start + Duration::hours(1))).await;
    assert_eq!((a.status, a.code()), (StatusCode::FORBIDDEN, ErrorCode::Forbidden));

    // Nothing above created a booking: the whole slot is still free.
    assert_eq!(app.book(&driver, id, start, 60).await.status, StatusCode::CREATED);
    let taken = app.book(&driver, id, start + Duration::minutes(30), 60).await;
    assert_eq!((taken.status, taken.code()), (StatusCode::CONFLICT, ErrorCode::SlotTaken));
    assert_eq!(taken.body["conflicts"], json!([{"startTime": rfc(start), "endTime": rfc(start + Duration::hours(1))}]));
    // Back to back is fine: slots are half-open.
    assert_eq!(app.book(&driver, id, start + Duration::hours(1), 60).await.status, StatusCode::CREATED);
}

#[tokio::test]
async fn outside_opening_hours_is_unavailable() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let driver = app.driver().await;
    // Open Tuesdays 08:00-18:00 in Paris.
    let d = app
        .driveway(
            &owner,
            json!({"timezone": "Europe/Paris", "availability": [{"day": 1, "open": "08:00", "close": "18:00"}]}),
        )
        .await;
    let id = d["id"].as_str().expect("id");
    // Paris is UTC+1 in January.
    let at = |h: u32| crate::helpers::january_tuesday().and_hms_opt(h, 0, 0).expect("t").and_utc();
    assert_eq!(app.book(&driver, id, at(7), 120).await.status, StatusCode::CREATED);
    let early = app.book(&driver, id, at(6), 60).await;
    assert_eq!((early.status, early.code()), (StatusCode::CONFLICT, ErrorCode::Unavailable));
    let late = app.book(&driver, id, at(16), 120).await;
    assert_eq!(late.code(), ErrorCode::Unavailable);
}

#[tokio::test]
async fn multi_day_bookings_use_the_daily_price() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let driver = app.driver().await;
    let d = app.driveway(&owner, json!({"pricePerHourCents": 500, "pricePerDayCents": 3000})).await;
    let a = app.book(&driver, d["id"].as_str().expect("id"), future(0), 3 * 24 * 60 + 60).await;
    assert_eq!(a.status, StatusCode::CREATED);
    assert_eq!(a.booking().total_cents, Cents(3 * 3000 + 500));
}

#[tokio::test]
async fn lists_are_scoped_filtered_and_paged() {
    // One driver holds five unpaid bookings here (the hoarding limit has its own test).
    let app = crate::helpers::spawn_app_with(|c| c.max_unpaid_holds = 0).await;
    let owner = app.owner().await;
    let driver = app.driver().await;
    let other = app.driver().await;
    let d = app.driveway(&owner, json!({})).await;
    let id = d["id"].as_str().expect("id");
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(app.book(&driver, id, future(i * 2), 60).await.str("id"));
    }
    app.book(&other, id, future(20), 60).await;
    app.put(&format!("/api/bookings/{}/cancel", ids[0]), Some(&driver.token), json!({})).await;

    let mine = app.get("/api/bookings", Some(&driver.token)).await;
    let got: Vec<String> = mine.bookings().iter().map(|b| b.id.to_string()).collect();
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(got, newest_first);

    let owner_view = app.get("/api/bookings?as=owner", Some(&owner.token)).await;
    assert_eq!(owner_view.bookings().len(), 6);
    assert_eq!(app.get("/api/bookings", Some(&owner.token)).await.bookings().len(), 0);

    let cancelled = app.get("/api/bookings?status=cancelled", Some(&driver.token)).await;
    assert_eq!(cancelled.bookings().len(), 1);
    let page = app.get("/api/bookings?limit=2&offset=2", Some(&driver.token)).await;
    let page: Vec<String> = page.bookings().iter().map(|b| b.id.to_string()).collect();
    assert_eq!(page, [newest_first[2].clone(), newest_first[3].clone()]);
    assert_eq!(app.get("/api/bookings?status=lost", Some(&driver.token)).await.code(), ErrorCode::ValidationFailed);
    assert_eq!(app.get("/api/bookings?as=admin", Some(&driver.token)).await.code(), ErrorCode::ValidationFailed);
}

#[tokio::test]
async fn state_transitions_follow_the_rules() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let driver = app.driver().await;
    let d = app.driveway(&owner, json!({})).await;
    let id = d["id"].as_str().expect("id");
    let b = app.book(&driver, id, future(1), 60).await.str("id");
    let early = app.put(&format!("/api/bookings/{b}/confirm"), Some(&owner.token), json!({})).await;
    assert_eq!(
        (early.status, early.code()),
        (StatusCode::PAYMENT_REQUIRED, ErrorCode::PaymentRequired),
        "not paid yet"
    );
    app.pay(&driver, &b).await;

    // the driver cannot confirm their own request
    let a = app.put(&format!("/api/bookings/{b}/confirm"), Some(&driver.token), json!({})).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let a = app.put(&format!("/api/bookings/{b}/confirm"), Some(&owner.token), json!({})).await;
    assert_eq!((a.status, a.booking().status), (StatusCode::OK, BookingStatus::Confirmed));
    let again = app.put(&format!("/api/bookings/{b}/confirm"), Some(&owner.token), json!({})).await;
    assert_eq!((again.status, again.code()), (StatusCode::CONFLICT, ErrorCode::InvalidTransition));

    let c = app.delete(&format!("/api/bookings/{b}"), Some(&owner.token)).await;
    assert_eq!((c.status, c.booking().status), (StatusCode::OK, BookingStatus::Cancelled));
    let twice = app.put(&format!("/api/bookings/{b}/cancel"), Some(&driver.token), json!({})).await;
    assert_eq!((twice.status, twice.code()), (StatusCode::CONFLICT, ErrorCode::InvalidTransition));
    let confirm_cancelled = app.put(&format!("/api/bookings/{b}/confirm"), Some(&owner.token), json!({})).await;
    assert_eq!(confirm_cancelled.code(), ErrorCode::InvalidTransition);

    // the freed slot can be booked again
    assert_eq!(app.book(&driver, id, future(1), 60).await.status, StatusCode::CREATED);
}

#[tokio::test]
async fn the_driver_moves_a_booking_and_it_is_repriced() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let driver = app.driver().await;
    let d = app.driveway(&owner, json!({"pricePerHourCents": 400})).await;
    let id = d["id"].as_str().expect("id");
    let b = app.book(&driver, id, future(1), 60).await.str("id");
    let blocker = app.book(&driver, id, future(5), 60).await;
    assert_eq!(blocker.status, StatusCode::CREATED);

    let path = format!("/api/bookings/{b}");
    let a = app.put(&path, Some(&driver.token), json!({"endTime": rfc(future(3)), "specialRequests": "Van"})).await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    assert_eq!(a.booking().total_cents, Cents(800));
    assert_eq!(a.booking().special_requests.as_deref(), Some("Van"));
    // It may not grow into another booking, but may overlap its own old slot.
    let clash = app.put(&path, Some(&driver.token), json!({"endTime": rfc(future(6))})).await;
    assert_eq!(clash.code(), ErrorCode::SlotTaken);
    let bad = app.put(&path, Some(&driver.token), json!({"endTime": rfc(future(0))})).await;
    assert_eq!(bad.code(), ErrorCode::InvalidTimeRange);
    let by_owner = app.put(&path, Some(&owner.token), json!({"specialRequests": "hi"})).await;
    assert_eq!(by_owner.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get(&path, Some(&driver.token)).await.booking().total_cents,
        Cents(800),
        "failed updates changed nothing"
    );
}

#[tokio::test]
async fn confirming_one_request_declines_overlapping_requests() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let d1 = app.driver().await;
    let d = app.driveway(&owner, json!({})).await;
    let id = d["id"].as_str().expect("id");
    let first = app.book(&d1, id, future(1), 120).await.str("id");
    // Overlapping pending requests cannot be created through the API (the slot is held), nor
    // straight in the database: PostgreSQL's exclusion constraint refuses the row, and SQLite's
    // trigger skips it.
    const PLANT: &str = "INSERT INTO bookings (id, driveway_id, driver_id, owner_id, start_at, end_at, total_cents, currency, status, payment_status, created_at, updated_at) \
         SELECT ?, driveway_id, driver_id, owner_id, start_at + 1800000, end_at, 100, currency, 'pending', 'pending', created_at, updated_at FROM bookings WHERE id = ?";
    let rival = uuid::Uuid::new_v4().to_string();
    let planted = app.execute(PLANT, &[&rival, &first]).await;
    if on_postgres() {
        let refused = planted.expect_err("an overlapping active booking is refused by the database");
        assert!(parkway_backend::store::db::is_exclusion_violation(&refused), "{refused}");
        return;
    }
    assert_eq!(planted.expect("insert"), 0, "an overlapping active booking is skipped");
    // So the rule matters only for a SQLite file written before that trigger: plant one as it
    // could be there.
    app.execute("DROP TRIGGER bookings_no_overlap", &[]).await.expect("drop the trigger");
    assert_eq!(app.execute(PLANT, &[&rival, &first]).await.expect("insert"), 1);
    app.pay(&d1, &first).await;
    let a = app.put(&format!("/api/bookings/{first}/confirm"), Some(&owner.token), json!({})).await;
    assert_eq!(a.booking().status, BookingStatus::Confirmed);
    let r = app.get(&format!("/api/bookings/{rival}"), Some(&d1.token)).await;
    assert_eq!(r.booking().status, BookingStatus::Cancelled);
}
