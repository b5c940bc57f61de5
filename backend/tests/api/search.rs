use crate::helpers::{future, rfc, spawn_app};
use parkway_core::ErrorCode;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn search_by_radius_sorts_by_distance_and_filters() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let driver = app.driver().await;
    // Points east of the centre at ~0 m, ~440 m, ~880 m and ~5.3 km.
    let near = app.driveway(&owner, json!({"lat": 37.7749, "lng": -122.4194, "pricePerHourCents": 500})).await;
    let mid = app.driveway(&owner, json!({"lat": 37.7749, "lng": -122.4144, "pricePerHourCents": 200})).await;
    let far = app.driveway(&owner, json!({"lat": 37.7749, "lng": -122.4094, "pricePerHourCents": 300})).await;
    app.driveway(&owner, json!({"lat": 37.7749, "lng": -122.3594})).await;

    let a = app.get("/api/driveways?lat=37.7749&lng=-122.4194&radiusM=2000", None).await;
    assert_eq!(a.status, StatusCode::OK);
    let ids: Vec<&str> =
        a.body["items"].as_array().expect("items").iter().map(|i| i["id"].as_str().expect("id")).collect();
    assert_eq!(ids, [near["id"].as_str(), mid["id"].as_str(), far["id"].as_str()].map(|s| s.expect("id")));
    let d: Vec<f64> =
        a.body["items"].as_array().expect("items").iter().map(|i| i["distanceM"].as_f64().expect("d")).collect();
    assert!(d[0] < 1.0 && (400.0..480.0).contains(&d[1]) && (800.0..960.0).contains(&d[2]), "{d:?}");
    assert!(a.body["items"][0]["accessInstructions"].is_null());
    assert!(a.body["items"][0].get("quoteCents").is_none());

    let cheap = app.get("/api/driveways?lat=37.7749&lng=-122.4194&maxPricePerHourCents=300", None).await;
    assert_eq!(cheap.body["items"].as_array().map(Vec::len), Some(2));
    let one = app.get("/api/driveways?lat=37.7749&lng=-122.4194&limit=1", None).await;
    assert_eq!(one.body["items"].as_array().map(Vec::len), Some(1));

    // A booked driveway drops out of a search for an overlapping slot, and quotes appear.
    let start = future(3);
    app.book(&driver, near["id"].as_str().expect("id"), start, 60).await;
    let slot =
        format!("start={}&end={}", rfc(start + chrono::Duration::minutes(30)), rfc(start + chrono::Duration::hours(2)));
    let free = app.get(&format!("/api/driveways?lat=37.7749&lng=-122.4194&{slot}"), None).await;
    let items = free.body["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["id"], mid["id"]);
    assert_eq!(items[0]["quoteCents"], 300, "90 minutes at 200/h");
}

#[tokio::test]
async fn search_by_bbox_and_opening_hours() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let open = app.driveway(&owner, json!({"lat": 37.78, "lng": -122.42})).await;
    // Open only on Mondays.
    app.driveway(
        &owner,
        json!({"lat": 37.781, "lng": -122.421, "availability": [{"day": 0, "open": "00:00", "close": "24:00"}]}),
    )
    .await;
    app.driveway(&owner, json!({"lat": 40.0, "lng": -100.0})).await;
    let all = app.get("/api/driveways?bbox=-122.5,37.7,-122.3,37.9", None).await;
    assert_eq!(all.body["items"].as_array().map(Vec::len), Some(2));
    // A Tuesday slot excludes the Monday-only driveway.
    let tuesday = crate::helpers::january_tuesday().and_hms_opt(10, 0, 0).expect("t").and_utc();
    let q = format!(
        "/api/driveways?bbox=-122.5,37.7,-122.3,37.9&start={}&end={}",
        rfc(tuesday),
        rfc(tuesday + chrono::Duration::hours(1))
    );
    let a = app.get(&q, None).await;
    let items = a.body["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], open["id"]);
}

#[tokio::test]
async fn search_refuses_bad_queries() {
    let app = spawn_app().await;
    for (q, code) in [
        ("", ErrorCode::ValidationFailed),
        ("lat=37.7", ErrorCode::ValidationFailed),
        ("lat=100&lng=0", ErrorCode::ValidationFailed),
        ("lat=1&lng=1&radiusM=60000", ErrorCode::ValidationFailed),
        ("lat=1&lng=1&radiusM=-1", ErrorCode::ValidationFailed),
        ("bbox=1,2,3", ErrorCode::ValidationFailed),
        ("bbox=3,2,1,4", ErrorCode::ValidationFailed),
        ("lat=1&lng=1&bbox=0,0,1,1", ErrorCode::ValidationFailed),
        ("lat=abc&lng=1", ErrorCode::ValidationFailed),
        ("lat=1&lng=1&start=2030-01-01T10:00:00Z", ErrorCode::ValidationFailed),
        ("lat=1&lng=1&start=2030-01-01T10:00:00Z&end=2030-01-01T09:00:00Z", ErrorCode::InvalidTimeRange),
        ("lat=1&lng=1&start=yesterday&end=2030-01-01T09:00:00Z", ErrorCode::ValidationFailed),
    ] {
        let a = app.get(&format!("/api/driveways?{q}"), None).await;
        assert_eq!((a.status, a.code()), (StatusCode::BAD_REQUEST, code), "{q}: {:?}", a.body);
    }
    // limit is capped, not refused
    assert_eq!(app.get("/api/driveways?lat=1&lng=1&limit=100000", None).await.status, StatusCode::OK);
}
