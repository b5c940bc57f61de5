use crate::helpers::{future, spawn_app};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn booking_changes_fill_the_right_inboxes() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let driver = app.driver().await;
    let d = app.driveway(&owner, json!({"title": "Sunny spot"})).await;
    let b = app.book(&driver, d["id"].as_str().expect("id"), future(1), 60).await.str("id");

    let inbox = app.get("/api/notifications", Some(&owner.token)).await;
    let items = inbox.body["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["type"], "booking_created");
    assert_eq!(items[0]["data"]["bookingId"], b.as_str());
    assert_eq!(items[0]["data"]["drivewayId"], d["id"]);
    assert!(items[0]["message"].as_str().expect("message").contains("Sunny spot"));
    assert_eq!(app.get("/api/notifications", Some(&driver.token)).await.body["items"], json!([]));

    app.pay(&driver, &b).await;
    app.put(&format!("/api/bookings/{b}/confirm"), Some(&owner.token), json!({})).await;
    app.put(&format!("/api/bookings/{b}/cancel"), Some(&owner.token), json!({})).await;
    let driver_inbox = app.get("/api/notifications", Some(&driver.token)).await;
    let kinds: Vec<&str> = driver_inbox.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|n| n["type"].as_str().expect("type"))
        .collect();
    assert_eq!(kinds, ["booking_confirmed", "payment_succeeded", "booking_cancelled"]);

    // Catch-up with after= returns only newer ones, oldest first.
    let first = driver_inbox.body["items"][0]["id"].as_i64().expect("id");
    let later = app.get(&format!("/api/notifications?after={first}"), Some(&driver.token)).await;
    assert_eq!(later.body["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(later.body["items"][1]["type"], "booking_cancelled");

    let read = app.post(&format!("/api/notifications/{first}/read"), Some(&driver.token), json!({})).await;
    assert_eq!(read.status, StatusCode::NO_CONTENT);
    let again = app.get("/api/notifications", Some(&driver.token)).await;
    assert!(again.body["items"][0]["readAt"].is_string());
    assert!(again.body["items"][1].get("readAt").is_none());
    assert!(again.body["items"][2].get("readAt").is_none());
}
