use crate::helpers::{future, spawn_app};
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
    assert_eq!(m.body["bookings"], 3);
    assert_eq!(m.body["confirmed"], 1);
    assert_eq!(m.body["cancelled"], 1);
    assert_eq!(m.body["completed"], 0);
    assert_eq!(m.body["revenueCents"], 600);
    assert_eq!(m.body["averageDurationMinutes"], 70.0);
    assert!((m.body["cancellationRate"].as_f64().expect("rate") - 1.0 / 3.0).abs() < 1e-9);
    assert!((m.body["paymentCompletionRate"].as_f64().expect("rate") - 1.0 / 3.0).abs() < 1e-9);

    let empty = app.owner().await;
    let m = app.get("/api/metrics/owner", Some(&empty.token)).await;
    assert_eq!(m.body["bookings"], 0);
    assert_eq!(m.body["cancellationRate"], 0.0);
}
