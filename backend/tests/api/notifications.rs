use crate::helpers::{future, on_postgres, patient, spawn_app};
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

/// Two transactions write to one inbox and commit out of id order (the lower id last). A
/// catch-up that runs between the two commits must not let its client move past the lower id:
/// it waits for it. Only PostgreSQL has concurrent writers; SQLite's one writer commits in order.
#[tokio::test]
async fn catching_up_never_skips_a_notification_committed_late() {
    use parkway_backend::notices::Draft;
    use parkway_backend::store::notifications;
    use parkway_core::notification::NotificationType;
    if !on_postgres() {
        return;
    }
    let app = spawn_app().await;
    let owner = app.owner().await;
    let user: uuid::Uuid = owner.id.parse().expect("a user id");
    let store = app.server().state().store.clone();
    let draft = |title: &str| Draft {
        user,
        kind: NotificationType::BookingCreated,
        title: title.to_owned(),
        message: "test".to_owned(),
        data: json!({}),
    };
    let now = chrono::Utc::now();

    // A takes the lower id and stays open; B takes the higher one and commits first.
    let mut a = store.begin_write().await.expect("a transaction");
    let low = notifications::insert(&mut a, draft("first"), now).await.expect("written").notification.id;
    let mut b = store.begin_write().await.expect("a transaction");
    let high = notifications::insert(&mut b, draft("second"), now).await.expect("written").notification.id;
    b.commit().await.expect("committed");
    assert!(low < high);

    // The client catches up while A is still open.
    let (client, url, token) =
        (reqwest::Client::new(), format!("{}/api/notifications?after=0", app.base), owner.token.clone());
    let catch_up = tokio::spawn(async move {
        let answer = client.get(url).bearer_auth(token).send().await.expect("an answer");
        assert_eq!(answer.status(), StatusCode::OK);
        answer.json::<serde_json::Value>().await.expect("JSON")
    });
    // Until the catch-up has answered or is seen waiting on the inbox's lock (no fixed delay).
    let started = std::time::Instant::now();
    loop {
        let waiting = crate::helpers::advisory_lock_waiters(&store).await;
        if waiting > 0 || catch_up.is_finished() {
            break;
        }
        assert!(patient(started), "the catch-up neither answered nor waited");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    a.commit().await.expect("committed");

    let first_page = catch_up.await.expect("the catch-up task");
    let mut seen: Vec<i64> =
        first_page["items"].as_array().expect("items").iter().filter_map(|n| n["id"].as_i64()).collect();
    let cursor = seen.iter().copied().max().unwrap_or(0);
    let next = app.get(&format!("/api/notifications?after={cursor}"), Some(&owner.token)).await;
    seen.extend(next.body["items"].as_array().expect("items").iter().filter_map(|n| n["id"].as_i64()));
    assert!(seen.contains(&low), "catching up skipped notification {low} (saw {seen:?})");
    assert!(seen.contains(&high));
}
