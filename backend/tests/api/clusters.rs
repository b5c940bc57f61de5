//! `GET /api/driveways/clusters`: every driveway in a wide view is counted once, at every zoom,
//! with the same filters as search; the answer follows changes at once.

use crate::helpers::{PATIENCE, Session, TestApp, future, patient, rfc, spawn_app};
use chrono::{Datelike, Duration};
use parkway_core::ErrorCode;
use parkway_core::api::ClusterPage;
use reqwest::StatusCode;
use serde_json::json;
use std::collections::HashSet;

/// The contiguous United States, roughly.
const COUNTRY: &str = "-125,24,-66,50";

struct Listed {
    id: String,
    price: i64,
    /// False when the slot below leaves it out (booked, or closed then).
    free_in_slot: bool,
}

async fn view(app: &TestApp, query: &str) -> ClusterPage {
    let a = app.get(&format!("/api/driveways/clusters?{query}"), None).await;
    assert_eq!(a.status, StatusCode::OK, "{query}: {:?}", a.body);
    a.json()
}

/// Checks one answer against the driveways expected in it.
fn check(page: &ClusterPage, expected: &[&Listed], what: &str) {
    let counted: u64 = page.items.iter().map(|c| u64::from(c.count)).sum();
    assert_eq!(counted, expected.len() as u64, "{what}: counts");
    assert_eq!(page.total, counted, "{what}: total");
    let ids: HashSet<&str> = expected.iter().map(|l| l.id.as_str()).collect();
    let cheapest = expected.iter().map(|l| l.price).min();
    assert_eq!(page.items.iter().map(|c| c.min_price_cents).min(), cheapest, "{what}: cheapest");
    for c in &page.items {
        match c.driveway_id {
            Some(id) => {
                assert_eq!(c.count, 1, "{what}: only singles name a driveway");
                assert!(c.currency.is_some(), "{what}: a single's price has its currency");
                assert!(ids.contains(id.to_string().as_str()), "{what}: {id} should not be shown");
            }
            None => assert!(c.count > 1, "{what}: a single names its driveway"),
        }
    }
}

async fn listed(app: &TestApp, owner: &Session, lat: f64, lng: f64, price: i64, extra: serde_json::Value) -> Listed {
    let mut body = json!({"lat": lat, "lng": lng, "pricePerHourCents": price, "timezone": "UTC"});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let d = app.driveway(owner, body).await;
    Listed { id: d["id"].as_str().expect("id").to_owned(), price, free_in_slot: true }
}

#[tokio::test]
async fn every_driveway_in_the_view_is_counted_once_at_every_zoom_with_the_filters() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let driver = app.driver().await;
    let start = future(3);
    // A day the slot below never touches, for a driveway open only then.
    let other_day = (start.weekday().num_days_from_monday() + 3) % 7;

    let mut inside = Vec::new();
    // A dense city and a scatter across the country.
    for i in 0..12 {
        let f = f64::from(i);
        inside.push(
            listed(
                &app,
                &owner,
                37.70 + f * 0.01,
                -122.45 + (f * 0.7).sin() * 0.05,
                200 + 25 * i64::from(i),
                json!({}),
            )
            .await,
        );
    }
    for (i, (lat, lng)) in
        [(40.71, -74.0), (41.88, -87.63), (29.76, -95.37), (47.61, -122.33), (39.74, -104.99)].into_iter().enumerate()
    {
        inside.push(listed(&app, &owner, lat, lng, 900 + i as i64, json!({})).await);
    }
    let mut closed = listed(
        &app,
        &owner,
        37.75,
        -122.30,
        150,
        json!({
            "availability": [{"day": other_day, "open": "00:00", "close": "24:00"}]
        }),
    )
    .await;
    closed.free_in_slot = false;
    inside.push(closed);
    let booked_at = inside[3].id.clone();
    let b = app.book(&driver, &booked_at, start, 60).await;
    assert_eq!(b.status, StatusCode::CREATED, "{:?}", b.body);
    inside[3].free_in_slot = false;
    // Outside the box: Honolulu and London.
    listed(&app, &owner, 21.31, -157.86, 100, json!({})).await;
    listed(&app, &owner, 51.51, -0.13, 100, json!({})).await;

    let slot = format!("start={}&end={}", rfc(start + Duration::minutes(15)), rfc(start + Duration::minutes(45)));
    for zoom in 0..=6 {
        let all: Vec<&Listed> = inside.iter().collect();
        check(&view(&app, &format!("bbox={COUNTRY}&zoom={zoom}")).await, &all, &format!("zoom {zoom}"));
        let cheap: Vec<&Listed> = inside.iter().filter(|l| l.price <= 400).collect();
        check(
            &view(&app, &format!("bbox={COUNTRY}&zoom={zoom}&maxPricePerHourCents=400")).await,
            &cheap,
            &format!("zoom {zoom}, at most 400"),
        );
        let free: Vec<&Listed> = inside.iter().filter(|l| l.free_in_slot && l.price <= 400).collect();
        check(
            &view(&app, &format!("bbox={COUNTRY}&zoom={zoom}&maxPricePerHourCents=400&{slot}")).await,
            &free,
            &format!("zoom {zoom}, free in the slot"),
        );
    }
    // The city up close: its driveways stand apart, each with its id and exact position.
    let city: Vec<&Listed> = inside[..12].iter().collect();
    for zoom in 7..=13 {
        let page = view(&app, &format!("bbox=-122.52,37.68,-122.38,37.83&zoom={zoom}")).await;
        check(&page, &city, &format!("city at zoom {zoom}"));
    }
    let close = view(&app, "bbox=-122.52,37.68,-122.38,37.83&zoom=13").await;
    assert!(close.items.iter().all(|c| c.count == 1 && c.driveway_id.is_some()), "{close:?}");
    let far = view(&app, &format!("bbox={COUNTRY}&zoom=3")).await;
    assert!(far.items.iter().any(|c| c.count >= 12), "the city is one circle from afar: {far:?}");
    let circle = far.items.iter().find(|c| c.count >= 12).expect("circle");
    assert!((circle.lat - 37.76).abs() < 0.1 && (circle.lng + 122.44).abs() < 0.1, "{circle:?}");
}

#[tokio::test]
async fn a_view_follows_every_change_at_once() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let bbox = "bbox=-123,37,-122,38&zoom=9";
    assert_eq!(view(&app, bbox).await.total, 0);
    let d = app.driveway(&owner, json!({"lat": 37.5, "lng": -122.5, "pricePerHourCents": 400})).await;
    let id = d["id"].as_str().expect("id");
    let page = view(&app, bbox).await;
    assert_eq!(page.total, 1);
    assert_eq!(page.items[0].driveway_id.map(|u| u.to_string()).as_deref(), Some(id));
    assert_eq!((page.items[0].lat, page.items[0].lng, page.items[0].min_price_cents), (37.5, -122.5, 400));

    let mut moved = d.clone();
    moved["lat"] = json!(40.0);
    moved["lng"] = json!(-100.0);
    let a = app.put(&format!("/api/driveways/{id}"), Some(&owner.token), moved).await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    assert_eq!(view(&app, bbox).await.total, 0, "moved away");
    assert_eq!(view(&app, "bbox=-101,39,-99,41&zoom=8").await.total, 1, "moved here");

    let a = app.delete(&format!("/api/driveways/{id}"), Some(&owner.token)).await;
    assert_eq!(a.status, StatusCode::NO_CONTENT, "{:?}", a.body);
    assert_eq!(view(&app, "bbox=-101,39,-99,41&zoom=8").await.total, 0, "deleted");
}

#[tokio::test]
async fn another_instances_changes_arrive_within_moments() {
    let app = spawn_app().await;
    let other = app.another_instance().await;
    let owner = app.owner().await;
    let bbox = "bbox=-123,37,-122,38&zoom=10";
    assert_eq!(view(&other, bbox).await.total, 0);
    app.driveway(&owner, json!({"lat": 37.5, "lng": -122.5})).await;
    // The other instance reads changes it did not make at most a second late.
    let started = std::time::Instant::now();
    while view(&other, bbox).await.total != 1 {
        assert!(patient(started), "the other instance never saw the new driveway within {PATIENCE:?}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn bad_views_are_refused_with_a_reason() {
    let app = spawn_app().await;
    for (query, says) in [
        ("zoom=3", "bbox"),
        (&format!("bbox={COUNTRY}") as &str, "zoom"),
        ("bbox=1,2,3&zoom=3", "box"),
        ("bbox=10,10,0,0&zoom=3", "box"),
        (&format!("bbox={COUNTRY}&zoom=23"), "zoom"),
        (&format!("bbox={COUNTRY}&zoom=-1"), "zoom"),
        (&format!("bbox={COUNTRY}&zoom=abc"), "zoom"),
        ("bbox=-180,-85,180,85&zoom=12", "too wide"),
        (&format!("bbox={COUNTRY}&zoom=3&maxPricePerHourCents=-1"), "maxPricePerHourCents"),
        (&format!("bbox={COUNTRY}&zoom=3&start={}", rfc(future(2))), "start and end"),
    ] {
        let a = app.get(&format!("/api/driveways/clusters?{query}"), None).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{query}: {:?}", a.body);
        assert_eq!(a.code(), ErrorCode::ValidationFailed, "{query}");
        let message = a.body["message"].as_str().unwrap_or_default().to_lowercase();
        assert!(message.contains(&says.to_lowercase()), "{query}: {message}");
    }
}
