//! Devices that notifications are pushed to: each one user's, at most ten, registered again
//! without duplicates, never shown back with its token or keys; and the kinds a user mutes.

use crate::helpers::{Session, TestApp, spawn_app, spawn_app_with};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use parkway_core::ErrorCode;
use parkway_core::api::Items;
use parkway_core::device::{Device, MAX_DEVICES, NotificationSettings, Platform};
use parkway_core::notification::NotificationType;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn devices(app: &TestApp, user: &Session) -> Vec<Device> {
    app.get("/api/devices", Some(&user.token)).await.json::<Items<Device>>().items
}

async fn register(app: &TestApp, user: &Session, body: Value) -> Device {
    let a = app.post("/api/devices", Some(&user.token), body).await;
    assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
    a.json()
}

fn phone(token: &str) -> Value {
    json!({"platform": "android", "token": token})
}

fn browser(endpoint: &str) -> Value {
    let p256dh = URL_SAFE_NO_PAD.encode([[4u8].as_slice(), &[7u8; 64]].concat());
    let auth = URL_SAFE_NO_PAD.encode([9u8; 16]);
    json!({"platform": "web", "subscription": {"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}}})
}

#[tokio::test]
async fn a_device_is_registered_once_listed_without_its_secrets_and_removed_at_sign_out() {
    let app = spawn_app().await;
    let driver = app.driver().await;
    let android = register(&app, &driver, phone("fcm-token:APA91b-first")).await;
    assert_eq!(android.platform, Platform::Android);
    let iphone = register(&app, &driver, json!({"platform": "ios", "token": "AB".repeat(32)})).await;
    let chrome = register(&app, &driver, browser("https://fcm.googleapis.com/fcm/send/abc")).await;
    // The app registers again at every sign-in: the same device, not a second one.
    let again = register(&app, &driver, phone("fcm-token:APA91b-first")).await;
    assert_eq!((again.id, again.created_at), (android.id, android.created_at));
    let listed = devices(&app, &driver).await;
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[0].id, android.id, "the most recently registered first");
    let raw = app.get("/api/devices", Some(&driver.token)).await;
    let text = raw.body.to_string();
    for secret in ["fcm-token", "abababab", "fcm.googleapis.com", &URL_SAFE_NO_PAD.encode([9u8; 16])] {
        assert!(!text.to_lowercase().contains(secret), "the list shows {secret}: {text}");
    }

    // Someone else's device answers 404, like one that does not exist.
    let other = app.driver().await;
    let path = format!("/api/devices/{}", iphone.id);
    assert_eq!(app.delete(&path, Some(&other.token)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.delete(&path, Some(&driver.token)).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.delete(&path, Some(&driver.token)).await.status, StatusCode::NOT_FOUND);
    let left: Vec<_> = devices(&app, &driver).await.into_iter().map(|d| d.id).collect();
    assert_eq!(left, vec![android.id, chrome.id]);
    assert_eq!(app.get("/api/devices", None).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_device_registered_by_another_account_moves_to_it() {
    let app = spawn_app().await;
    let (first, second) = (app.driver().await, app.driver().await);
    let shared = register(&app, &first, phone("shared-phone-token")).await;
    let moved = register(&app, &second, phone("shared-phone-token")).await;
    assert_eq!(moved.id, shared.id);
    assert!(devices(&app, &first).await.is_empty(), "the first account is no longer told on that phone");
    assert_eq!(devices(&app, &second).await.len(), 1);
}

#[tokio::test]
async fn a_user_keeps_the_ten_devices_registered_last() {
    let app = spawn_app().await;
    let driver = app.driver().await;
    let oldest = register(&app, &driver, phone("phone-0")).await;
    for i in 1..=MAX_DEVICES {
        register(&app, &driver, phone(&format!("phone-{i}"))).await;
    }
    let listed = devices(&app, &driver).await;
    assert_eq!(listed.len(), MAX_DEVICES);
    assert!(listed.iter().all(|d| d.id != oldest.id), "the oldest made room");
}

#[tokio::test]
async fn bad_devices_are_refused_clearly() {
    let app = spawn_app_with(|c| c.web_push_origins = vec!["http://127.0.0.1:9".into()]).await;
    let driver = app.driver().await;
    for (body, why) in [
        (json!({"platform": "android"}), "no token"),
        (json!({"platform": "android", "token": "has a space"}), "a token with spaces"),
        (json!({"platform": "android", "token": "x".repeat(4097)}), "a token too long"),
        (json!({"platform": "ios", "token": "not-hex"}), "an APNs token that is not hex"),
        (json!({"platform": "web", "token": "abc"}), "a browser with a token"),
        (browser("http://169.254.169.254/latest/meta-data/"), "an endpoint inside the network"),
        (browser("https://fcm.googleapis.com.attacker.example/x"), "a look-alike host"),
        (browser("http://127.0.0.1:10/x"), "a port the operator did not name"),
        (json!({"platform": "fax", "token": "abc"}), "an unknown platform"),
    ] {
        let a = app.post("/api/devices", Some(&driver.token), body).await;
        assert_eq!((a.status, a.code()), (StatusCode::BAD_REQUEST, ErrorCode::ValidationFailed), "{why}: {:?}", a.body);
    }
    let mut short_key = browser("https://fcm.googleapis.com/fcm/send/abc");
    short_key["subscription"]["keys"]["auth"] = json!("AAAA");
    let a = app.post("/api/devices", Some(&driver.token), short_key).await;
    assert_eq!(a.code(), ErrorCode::ValidationFailed, "an auth secret of 3 bytes");
    register(&app, &driver, browser("http://127.0.0.1:9/push/abc")).await;
    assert!(devices(&app, &driver).await.len() == 1, "nothing refused was kept");
}

#[tokio::test]
async fn each_user_chooses_which_kinds_are_pushed() {
    let app = spawn_app().await;
    let driver = app.driver().await;
    let all = app.get("/api/me/notification-settings", Some(&driver.token)).await.json::<NotificationSettings>();
    assert_eq!(all.push.len(), NotificationType::ALL.len());
    assert!(all.push.values().all(|&on| on), "everything is pushed by default");

    let a = app.put("/api/me/notification-settings", Some(&driver.token), json!({"push": {"message": false}})).await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    let changed = a.json::<NotificationSettings>();
    assert!(!changed.push[&NotificationType::Message]);
    assert!(changed.push[&NotificationType::BookingConfirmed], "kinds not named stay as they were");
    let other = app.driver().await;
    let theirs = app.get("/api/me/notification-settings", Some(&other.token)).await.json::<NotificationSettings>();
    assert!(theirs.push.values().all(|&on| on), "one user's choice is theirs alone");

    let a = app
        .put(
            "/api/me/notification-settings",
            Some(&driver.token),
            json!({"push": {"message": true, "booking_reminder": false}}),
        )
        .await;
    let changed = a.json::<NotificationSettings>();
    assert_eq!(
        (changed.push[&NotificationType::Message], changed.push[&NotificationType::BookingReminder]),
        (true, false)
    );
    let a = app.put("/api/me/notification-settings", Some(&driver.token), json!({"push": {"sms": false}})).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "an unknown kind");
}
