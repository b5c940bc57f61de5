//! Drivers' vehicles: plates normalised and limited, one default, and the copy a booking keeps
//! of the vehicle that parks, which the owner is told about.

use crate::helpers::{Session, TestApp, future, rfc, spawn_app};
use chrono::Duration;
use parkway_core::ErrorCode;
use parkway_core::api::{Items, Notification};
use parkway_core::notification::NotificationType;
use parkway_core::vehicle::{MAX_VEHICLES, Vehicle, VehicleSnapshot};
use reqwest::StatusCode;
use serde_json::json;

async fn vehicles(app: &TestApp, user: &Session) -> Vec<Vehicle> {
    app.get("/api/me/vehicles", Some(&user.token)).await.json::<Items<Vehicle>>().items
}

async fn add(app: &TestApp, user: &Session, plate: &str, label: Option<&str>, is_default: bool) -> Vehicle {
    let a = app
        .post("/api/me/vehicles", Some(&user.token), json!({"plate": plate, "label": label, "isDefault": is_default}))
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
    a.json()
}

async fn inbox(app: &TestApp, user: &Session, kind: NotificationType) -> Vec<Notification> {
    let all = app.get("/api/notifications", Some(&user.token)).await.json::<Items<Notification>>().items;
    all.into_iter().filter(|n| n.kind == kind).collect()
}

#[tokio::test]
async fn plates_are_normalised_limited_and_one_vehicle_is_the_default() {
    let app = spawn_app().await;
    let driver = app.driver().await;
    let first = add(&app, &driver, "ab-12 cd", Some("Blue hatchback"), false).await;
    assert_eq!((first.plate.as_str(), first.is_default), ("AB12CD", true), "the first is the default");
    for (plate, why) in
        [("A", "too short"), ("ABCDEFGHIJKLM", "too long"), ("AB_12", "a strange character"), ("", "empty")]
    {
        let a = app.post("/api/me/vehicles", Some(&driver.token), json!({"plate": plate})).await;
        assert_eq!((a.status, a.code()), (StatusCode::BAD_REQUEST, ErrorCode::ValidationFailed), "{why}");
    }
    let long_label = "x".repeat(41);
    let a = app.post("/api/me/vehicles", Some(&driver.token), json!({"plate": "XY1", "label": long_label})).await;
    assert_eq!(a.code(), ErrorCode::ValidationFailed, "labels are limited");
    let again = app.post("/api/me/vehicles", Some(&driver.token), json!({"plate": "AB 12-CD"})).await;
    assert_eq!(again.code(), ErrorCode::ValidationFailed, "one plate once per driver");

    let second = add(&app, &driver, "ZZ 99", None, true).await;
    let listed = vehicles(&app, &driver).await;
    assert_eq!(listed.iter().filter(|v| v.is_default).map(|v| v.id).collect::<Vec<_>>(), vec![second.id]);
    // Deleting the default hands it to the oldest left.
    assert_eq!(
        app.delete(&format!("/api/me/vehicles/{}", second.id), Some(&driver.token)).await.status,
        StatusCode::NO_CONTENT
    );
    let listed = vehicles(&app, &driver).await;
    assert_eq!((listed.len(), listed[0].id, listed[0].is_default), (1, first.id, true));

    for i in 1..MAX_VEHICLES {
        add(&app, &driver, &format!("CAR{i}"), None, false).await;
    }
    let eleventh = app.post("/api/me/vehicles", Some(&driver.token), json!({"plate": "ONEMORE"})).await;
    assert_eq!(eleventh.code(), ErrorCode::ValidationFailed, "at most {MAX_VEHICLES}");

    // Someone else's vehicle is not there for them.
    let stranger = app.driver().await;
    let path = format!("/api/me/vehicles/{}", first.id);
    let changed = app.put(&path, Some(&stranger.token), json!({"plate": "STOLEN"})).await;
    assert_eq!((changed.status, changed.code()), (StatusCode::NOT_FOUND, ErrorCode::NotFound));
    assert_eq!(app.delete(&path, Some(&stranger.token)).await.status, StatusCode::NOT_FOUND);
    assert!(vehicles(&app, &stranger).await.is_empty());
}

#[tokio::test]
async fn a_booking_keeps_the_vehicle_it_was_made_with_and_the_owner_is_told() {
    let app = spawn_app().await;
    let (owner, driver) = (app.owner().await, app.driver().await);
    let d = app.driveway(&owner, json!({"pricePerHourCents": 500})).await;
    let d = d["id"].as_str().expect("id");

    // No vehicle yet: booking still works, with none named.
    let bare = app.book(&driver, d, future(1), 60).await.booking();
    assert_eq!(bare.vehicle, None);

    let car = add(&app, &driver, "ab12cd", Some("Blue hatchback"), false).await;
    let van = add(&app, &driver, "VAN 1", None, false).await;
    let by_default = app.book(&driver, d, future(3), 60).await.booking();
    let snapshot = VehicleSnapshot { plate: "AB12CD".into(), label: Some("Blue hatchback".into()) };
    assert_eq!(by_default.vehicle.as_ref(), Some(&snapshot), "the default parks");
    let created = inbox(&app, &owner, NotificationType::BookingCreated).await;
    assert!(created.iter().any(|n| n.message.contains("Vehicle: AB12CD (Blue hatchback)")), "{created:?}");
    let named = app
        .post(
            "/api/bookings",
            Some(&driver.token),
            json!({"driveway": d, "startTime": rfc(future(5)), "endTime": rfc(future(6)), "vehicleId": van.id}),
        )
        .await
        .booking();
    assert_eq!(named.vehicle.map(|v| v.plate), Some("VAN1".to_owned()));

    // Editing the vehicle later does not rewrite what the booking says.
    let path = format!("/api/me/vehicles/{}", car.id);
    app.put(&path, Some(&driver.token), json!({"plate": "NEW 123", "label": "Repainted"})).await;
    let kept = app.get(&format!("/api/bookings/{}", by_default.id), Some(&owner.token)).await.booking();
    assert_eq!(kept.vehicle, Some(snapshot), "the owner still sees the plate that was booked");

    // Someone else's vehicle cannot be named (one hold paid, so the driver may book again).
    app.pay(&driver, &bare.id.to_string()).await;
    let stranger = app.driver().await;
    let theirs = add(&app, &stranger, "THEIRS1", None, false).await;
    let body = json!({"driveway": d, "startTime": rfc(future(8)), "endTime": rfc(future(9)), "vehicleId": theirs.id});
    let refused = app.post("/api/bookings", Some(&driver.token), body).await;
    assert_eq!((refused.status, refused.code()), (StatusCode::NOT_FOUND, ErrorCode::NotFound));

    // Switching before the start tells the owner; after the start it is refused.
    let booking = format!("/api/bookings/{}", by_default.id);
    let switched = app.put(&booking, Some(&driver.token), json!({"vehicleId": van.id})).await;
    assert_eq!(switched.status, StatusCode::OK, "{:?}", switched.body);
    assert_eq!(switched.booking().vehicle.map(|v| v.plate), Some("VAN1".to_owned()));
    let told = inbox(&app, &owner, NotificationType::BookingUpdated).await;
    assert_eq!(told.len(), 1);
    assert!(told[0].message.starts_with("VAN1 now parks"), "{}", told[0].message);
    // Switching to the same vehicle again tells nobody.
    app.put(&booking, Some(&driver.token), json!({"vehicleId": van.id})).await;
    assert_eq!(inbox(&app, &owner, NotificationType::BookingUpdated).await.len(), 1);

    app.clock.advance(Duration::hours(52));
    let token = app.sign_in_again(&driver).await;
    let late = app.put(&booking, Some(&token), json!({"vehicleId": car.id})).await;
    assert_eq!((late.status, late.code()), (StatusCode::CONFLICT, ErrorCode::InvalidTransition), "{:?}", late.body);
}
