use crate::helpers::{future, rfc, spawn_app};
use chrono::DurationRound;
use parkway_core::ErrorCode;
use parkway_core::api::{Driveway, Items, Quote};
use parkway_core::money::Cents;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn owner_creates_reads_updates_and_deletes_a_driveway() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let d = app
        .driveway(
            &owner,
            json!({"pricePerDayCents": 2000, "currency": "EUR", "timezone": "Europe/Paris", "instantBook": true,
                   "availability": [{"day": 0, "open": "08:00", "close": "18:00"}]}),
        )
        .await;
    let created: Driveway = serde_json::from_value(d.clone()).expect("a driveway");
    assert_eq!(created.owner.to_string(), owner.id);
    assert_eq!(created.currency.as_str(), "eur");
    assert_eq!(created.price_per_day_cents, Some(Cents(2000)));
    assert_eq!(d["availability"], json!([{"day": 0, "open": "08:00", "close": "18:00"}]));
    let id = d["id"].as_str().expect("id");

    let got = app.get(&format!("/api/driveways/{id}"), None).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.json::<Driveway>().title, created.title);

    let upd = app
        .put(&format!("/api/driveways/{id}"), Some(&owner.token), json!({"title": "Renamed", "pricePerDayCents": null}))
        .await;
    assert_eq!(upd.status, StatusCode::OK, "{:?}", upd.body);
    let upd = upd.json::<Driveway>();
    assert_eq!(upd.title, "Renamed");
    assert_eq!(upd.price_per_day_cents, None);
    assert_eq!(upd.price_per_hour_cents, Cents(300), "fields not sent stay as they were");

    let mine = app.get("/api/me/driveways", Some(&owner.token)).await;
    assert_eq!(mine.json::<Items<Driveway>>().items.len(), 1);

    assert_eq!(app.delete(&format!("/api/driveways/{id}"), Some(&owner.token)).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&format!("/api/driveways/{id}"), None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn only_owners_create_driveways_and_input_is_checked() {
    let app = spawn_app().await;
    let driver = app.driver().await;
    let owner = app.owner().await;
    let base = json!({"title": "T", "address": "A", "lat": 1.0, "lng": 2.0, "pricePerHourCents": 100});
    let a = app.post("/api/driveways", Some(&driver.token), base.clone()).await;
    assert_eq!((a.status, a.code()), (StatusCode::FORBIDDEN, ErrorCode::Forbidden));
    assert_eq!(app.post("/api/driveways", None, base.clone()).await.status, StatusCode::UNAUTHORIZED);

    for (patch, field) in [
        (json!({"lat": 91.0}), "lat"),
        (json!({"lng": -181.0}), "lng"),
        (json!({"pricePerHourCents": 0}), "pricePerHourCents"),
        (json!({"pricePerDayCents": -5}), "pricePerDayCents"),
        (json!({"title": ""}), "title"),
        (json!({"title": "x".repeat(500)}), "title"),
        (json!({"timezone": "Mars/Base"}), "timezone"),
        (json!({"currency": "dollars"}), "currency"),
        (json!({"availability": [{"day": 9, "open": "08:00", "close": "09:00"}]}), "day"),
        (json!({"availability": [{"day": 1, "open": "10:00", "close": "09:00"}]}), "open"),
        (json!({"pricePerHourCents": 1.5}), "pricePerHourCents"),
    ] {
        let mut body = base.clone();
        for (k, v) in patch.as_object().expect("object") {
            body[k] = v.clone();
        }
        let a = app.post("/api/driveways", Some(&owner.token), body).await;
        assert_eq!(
            (a.status, a.code()),
            (StatusCode::BAD_REQUEST, ErrorCode::ValidationFailed),
            "{field}: {:?}",
            a.body
        );
        assert!(a.body["message"].as_str().expect("message").contains(field), "{field}: {:?}", a.body);
    }
}

#[tokio::test]
async fn access_instructions_are_only_for_the_owner_and_confirmed_drivers_near_the_slot() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let driver = app.driver().await;
    let d = app.driveway(&owner, json!({})).await;
    let id = d["id"].as_str().expect("id");
    let path = format!("/api/driveways/{id}");
    let instructions = |a: crate::helpers::Answer| a.json::<Driveway>().access_instructions;
    assert_eq!(instructions(app.get(&path, Some(&owner.token)).await).as_deref(), Some("Gate code 1234"));
    assert!(instructions(app.get(&path, None).await).is_none());
    assert!(instructions(app.get(&path, Some(&driver.token)).await).is_none());

    // Starting within the hour: the instructions show once it is confirmed.
    let soon = (chrono::Utc::now() + chrono::Duration::minutes(30))
        .duration_trunc(chrono::Duration::minutes(1))
        .expect("trunc");
    let b = app.book(&driver, id, soon, 60).await;
    assert!(instructions(app.get(&path, Some(&driver.token)).await).is_none(), "pending is not enough");
    let bid = b.str("id");
    app.pay(&driver, &bid).await;
    assert_eq!(
        app.put(&format!("/api/bookings/{bid}/confirm"), Some(&owner.token), json!({})).await.status,
        StatusCode::OK
    );
    assert_eq!(instructions(app.get(&path, Some(&driver.token)).await).as_deref(), Some("Gate code 1234"));
}

#[tokio::test]
async fn a_driveway_with_upcoming_bookings_cannot_be_deleted() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let driver = app.driver().await;
    let d = app.driveway(&owner, json!({})).await;
    let id = d["id"].as_str().expect("id");
    let b = app.book(&driver, id, future(1), 60).await;
    let del = app.delete(&format!("/api/driveways/{id}"), Some(&owner.token)).await;
    assert_eq!((del.status, del.code()), (StatusCode::CONFLICT, ErrorCode::InvalidTransition));
    app.put(&format!("/api/bookings/{}/cancel", b.str("id")), Some(&driver.token), json!({})).await;
    assert_eq!(app.delete(&format!("/api/driveways/{id}"), Some(&owner.token)).await.status, StatusCode::NO_CONTENT);
    // the driver still sees their (cancelled) booking of the removed driveway
    assert_eq!(app.get(&format!("/api/bookings/{}", b.str("id")), Some(&driver.token)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn quote_and_availability() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let driver = app.driver().await;
    let d = app.driveway(&owner, json!({"pricePerHourCents": 250, "pricePerDayCents": 4000})).await;
    let id = d["id"].as_str().expect("id");
    let start = future(0);
    let q = |minutes: i64| {
        format!(
            "/api/driveways/{id}/quote?start={}&end={}",
            rfc(start),
            rfc(start + chrono::Duration::minutes(minutes))
        )
    };
    let a = app.get(&q(20), None).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body, json!({"totalCents": 84, "currency": "usd"}));
    // 25 h: one day capped at 4000 + 1 h at 250
    assert_eq!(app.get(&q(25 * 60), None).await.json::<Quote>().total_cents, Cents(4250));
    let bad = app.get(&format!("/api/driveways/{id}/quote?start={}&end={}", rfc(start), rfc(start)), None).await;
    assert_eq!((bad.status, bad.code()), (StatusCode::BAD_REQUEST, ErrorCode::InvalidTimeRange));

    app.book(&driver, id, start + chrono::Duration::hours(2), 90).await;
    let busy = app
        .get(
            &format!(
                "/api/driveways/{id}/availability?from={}&to={}",
                rfc(start),
                rfc(start + chrono::Duration::days(1))
            ),
            None,
        )
        .await;
    assert_eq!(busy.status, StatusCode::OK);
    assert_eq!(
        busy.body,
        json!({"busy": [{"startTime": rfc(start + chrono::Duration::hours(2)), "endTime": rfc(start + chrono::Duration::minutes(210))}]})
    );
    assert!(!busy.body.to_string().contains(&driver.id), "no driver data in availability");
}

#[tokio::test]
async fn strangers_cannot_change_a_driveway() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let other = app.owner().await;
    let d = app.driveway(&owner, json!({})).await;
    let path = format!("/api/driveways/{}", d["id"].as_str().expect("id"));
    let a = app.put(&path, Some(&other.token), json!({"title": "mine now"})).await;
    assert_eq!((a.status, a.code()), (StatusCode::NOT_FOUND, ErrorCode::NotFound));
    assert_eq!(app.delete(&path, Some(&other.token)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&path, None).await.json::<Driveway>().title, d["title"].as_str().expect("title"));
}
