use crate::helpers::{future, spawn_app};
use parkway_core::api::OwnerMetrics;
use parkway_core::money::Cents;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn owner_metrics_count_the_owners_bookings_only() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let other_owner = app.owner().await;
    let driver = app.driver().await;
    let d = app.driveway(&owner, json!({"pricePerHourCents": 600})).await;
    let elsewhere = app.driveway(&other_owner, json!({})).await;
    let id = d["id"].as_str().expect("id");
    let a = app.book(&driver, id, future(1), 60).await.str("id");
    let b = app.book(&driver, id, future(3), 120).await.str("id");
    app.book(&driver, id, future(6), 30).await;
    app.book(&driver, elsewhere["id"].as_str().expect("id"), future(1), 60).await;
    app.pay(&driver, &a).await;
    app.put(&format!("/api/bookings/{a}/confirm"), Some(&owner.token), json!({})).await;
    app.put(&format!("/api/bookings/{b}/cancel"), Some(&driver.token), json!({})).await;
    // One booking is paid (payments are another part; mark it as a payment would).
    app.execute("UPDATE bookings SET payment_status = 'paid' WHERE id = ?", &[&a]).await.expect("update");

    let m = app.get("/api/metrics/owner", Some(&owner.token)).await;
    assert_eq!(m.status, StatusCode::OK);
    let m = m.json::<OwnerMetrics>();
    assert_eq!(m.bookings, 3);
    assert_eq!(m.confirmed, 1);
    assert_eq!(m.cancelled, 1);
    assert_eq!(m.completed, 0);
    assert_eq!(m.revenue_cents, Cents(600));
    assert_eq!(m.average_duration_minutes, 70.0);
    assert!((m.cancellation_rate - 1.0 / 3.0).abs() < 1e-9);
    assert!((m.payment_completion_rate - 1.0 / 3.0).abs() < 1e-9);

    let empty = app.owner().await;
    let m = app.get("/api/metrics/owner", Some(&empty.token)).await.json::<OwnerMetrics>();
    assert_eq!(m.bookings, 0);
    assert_eq!(m.cancellation_rate, 0.0);
}
