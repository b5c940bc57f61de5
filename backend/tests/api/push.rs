//! Pushes to browsers through a Web Push service double that checks the VAPID signature and
//! decrypts each push as the browser would, to Android phones through a Firebase double that
//! checks the service account's sign-in and each message's shape, and to iPhones through an
//! HTTP/2 APNs double that verifies the provider token's signature: every device of a user
//! is told once, a device its service says is gone is dropped, a refused attempt is tried
//! again, and muted kinds stay quiet.

use crate::helpers::{Session, TestApp, future, spawn_app_with};
use parkway_backend::push::apns::{Apns, ApnsSettings};
use parkway_backend::push::fcm::Fcm;
use parkway_backend::push::webpush::Vapid;
use parkway_core::api::Items;
use parkway_core::device::Device;
use parkway_testkit::apns::ApnsDouble;
use parkway_testkit::fcm::FcmDouble;
use parkway_testkit::webpush::{Received, Subscriber, WebPushDouble};
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

/// A VAPID key for these tests only (RFC 8291's example browser key, which is public).
const TEST_VAPID_KEY: &str = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94";
/// The longest a push may take to arrive before the test fails (it usually takes milliseconds).
const PATIENCE: Duration = Duration::from_secs(20);

async fn app_pushing_to(service: &WebPushDouble) -> TestApp {
    let origin = service.origin().to_owned();
    spawn_app_with(move |c| {
        c.web_push_origins = vec![origin];
        c.push.vapid = Some(Vapid::new(TEST_VAPID_KEY, "mailto:ops@parkway.test").expect("a VAPID key"));
    })
    .await
}

async fn subscribe(app: &TestApp, user: &Session, service: &WebPushDouble) -> (Device, String, Subscriber) {
    let (endpoint, browser) = service.subscribe();
    let body = json!({"platform": "web", "subscription": {"endpoint": endpoint, "keys": {"p256dh": browser.p256dh(), "auth": browser.auth()}}});
    let a = app.post("/api/devices", Some(&user.token), body).await;
    assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
    (a.json(), endpoint, browser)
}

/// A driver's booking, paid (the driver is told `payment_succeeded`).
async fn paid_booking(app: &TestApp, owner: &Session, driver: &Session) -> String {
    let d = app.driveway(owner, json!({"title": "Sunny spot"})).await;
    let b = app.book(driver, d["id"].as_str().expect("id"), future(1), 60).await.str("id");
    app.pay(driver, &b).await;
    b
}

/// The owner confirms it: the driver is told `booking_confirmed`.
async fn confirm(app: &TestApp, owner: &Session, booking: &str) {
    let a = app.put(&format!("/api/bookings/{booking}/confirm"), Some(&owner.token), json!({})).await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
}

/// A driver's booking, paid and then confirmed.
async fn confirmed_booking(app: &TestApp, owner: &Session, driver: &Session) -> String {
    let b = paid_booking(app, owner, driver).await;
    confirm(app, owner, &b).await;
    b
}

async fn arrived(service: &WebPushDouble, count: usize) -> Vec<Received> {
    tokio::time::timeout(PATIENCE, service.wait_for(count))
        .await
        .unwrap_or_else(|_| panic!("{count} pushes did not arrive; refused: {:?}", service.refused()))
}

fn of_kind<'a>(received: &'a [Received], kind: &str) -> Vec<&'a Received> {
    received.iter().filter(|r| r.payload["type"] == kind).collect()
}

#[tokio::test]
async fn a_confirmation_reaches_every_device_of_the_driver_once() {
    let service = WebPushDouble::start().await;
    let app = app_pushing_to(&service).await;
    let (owner, driver) = (app.owner().await, app.driver().await);
    let (_, laptop, _) = subscribe(&app, &driver, &service).await;
    let (_, phone, _) = subscribe(&app, &driver, &service).await;
    let booking = confirmed_booking(&app, &owner, &driver).await;

    arrived(&service, 4).await;
    // Give a duplicate the time to show: the queue is empty once every push was taken.
    let store = &app.server().state().store;
    tokio::time::timeout(PATIENCE, async {
        while store.pushes_waiting().await.expect("a count") > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the queue empties");
    let received = service.received();
    let confirmations = of_kind(&received, "booking_confirmed");
    let mut endpoints: Vec<usize> = confirmations.iter().map(|r| r.subscription).collect();
    endpoints.sort_unstable();
    let ids = |e: &str| e.rsplit('/').next().and_then(|n| n.parse::<usize>().ok()).expect("n");
    assert_eq!(endpoints, vec![ids(&laptop), ids(&phone)], "each device once: {received:?}");
    for push in confirmations {
        assert_eq!(push.payload["data"]["bookingId"], booking.as_str());
        assert!(push.payload["title"].as_str().is_some_and(|t| !t.is_empty()));
        assert_eq!(push.topic.as_deref(), Some(booking.replace('-', "").as_str()), "one booking's pushes collapse");
        assert_eq!((push.urgency.as_deref(), push.ttl), (Some("normal"), 86_400));
    }
    assert!(service.refused().is_empty(), "{:?}", service.refused());
    // Nobody else's device heard of it.
    assert!(received.iter().all(|r| r.payload["data"]["bookingId"] == booking.as_str()));
}

#[tokio::test]
async fn a_device_its_service_says_is_gone_is_dropped() {
    let service = WebPushDouble::start().await;
    let app = app_pushing_to(&service).await;
    let (owner, driver) = (app.owner().await, app.driver().await);
    let (gone, gone_endpoint, _) = subscribe(&app, &driver, &service).await;
    let (kept, _, _) = subscribe(&app, &driver, &service).await;
    service.unsubscribe(&gone_endpoint);
    confirmed_booking(&app, &owner, &driver).await;
    arrived(&service, 1).await;
    let left = the_one_device_left(&app, &driver).await;
    assert_eq!(left.id, kept.id);
    assert_ne!(left.id, gone.id);
}

#[tokio::test]
async fn a_push_the_service_refuses_for_a_while_is_sent_again_later() {
    let service = WebPushDouble::start().await;
    let app = app_pushing_to(&service).await;
    let (owner, driver) = (app.owner().await, app.driver().await);
    // Only the confirmation is pushed (the payment's notice may come after the payment's answer).
    let muted = json!({"push": {"payment_succeeded": false}});
    app.put("/api/me/notification-settings", Some(&driver.token), muted).await;
    let booking = paid_booking(&app, &owner, &driver).await;
    subscribe(&app, &driver, &service).await;
    service.fail_next(1);
    confirm(&app, &owner, &booking).await;
    let store = &app.server().state().store;
    // The refused attempt goes back to the queue to wait its back-off.
    tokio::time::timeout(PATIENCE, async {
        while service.attempts() == 0
            || app.numbers("SELECT COUNT(*) FROM push_queue WHERE claimed_until IS NULL AND attempts = 1").await != [1]
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the push waits in the queue");
    assert!(service.received().is_empty(), "the refused push was not taken");
    // From a minute on, it is due again.
    let later = app.server().state().clock.now() + chrono::Duration::minutes(1);
    app.server().state().push.send_due(store, later).await.expect("sent");
    let received = arrived(&service, 1).await;
    assert_eq!(of_kind(&received, "booking_confirmed").len(), 1);
}

#[tokio::test]
async fn muted_kinds_are_not_pushed_but_reach_the_inbox() {
    let service = WebPushDouble::start().await;
    let app = app_pushing_to(&service).await;
    let (owner, driver) = (app.owner().await, app.driver().await);
    subscribe(&app, &driver, &service).await;
    let a = app
        .put(
            "/api/me/notification-settings",
            Some(&driver.token),
            json!({"push": {"booking_confirmed": false, "payment_succeeded": false}}),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    confirmed_booking(&app, &owner, &driver).await;
    app.server().run_jobs_now().await;
    assert!(service.received().is_empty(), "{:?}", service.received());
    assert_eq!(app.server().state().store.pushes_waiting().await.expect("a count"), 0, "nothing was queued");
    let inbox = app.get("/api/notifications", Some(&driver.token)).await;
    let kinds: Vec<&str> =
        inbox.body["items"].as_array().expect("items").iter().filter_map(|n| n["type"].as_str()).collect();
    assert!(kinds.contains(&"booking_confirmed"), "the inbox still has it: {kinds:?}");
}

#[tokio::test]
async fn the_web_key_is_published_only_when_web_push_is_on() {
    let service = WebPushDouble::start().await;
    let app = app_pushing_to(&service).await;
    let a = app.get("/api/push/web-key", None).await;
    assert_eq!(a.status, StatusCode::OK);
    // The public half of the test key (RFC 8291's example browser key).
    let public = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
    assert_eq!(a.str("publicKey"), public);
    let off = crate::helpers::spawn_app().await;
    assert_eq!(off.get("/api/push/web-key", None).await.status, StatusCode::NOT_FOUND);
}

async fn app_with_firebase(firebase: &FcmDouble) -> TestApp {
    let fcm = Fcm::new(&firebase.service_account_json(), firebase.api_base()).expect("a service account");
    spawn_app_with(move |c| c.push.fcm = Some(fcm)).await
}

/// Registers a phone of `platform` ("android" or "ios") with its push token.
async fn register_phone(app: &TestApp, user: &Session, platform: &str, token: &str) -> Device {
    let a = app.post("/api/devices", Some(&user.token), json!({"platform": platform, "token": token})).await;
    assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
    a.json()
}

/// The user's devices once only one is left (a gone one was dropped).
async fn the_one_device_left(app: &TestApp, user: &Session) -> Device {
    tokio::time::timeout(PATIENCE, async {
        loop {
            let mut devices = app.get("/api/devices", Some(&user.token)).await.json::<Items<Device>>().items;
            if devices.len() == 1 {
                return devices.remove(0);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the gone device is dropped")
}

#[tokio::test]
async fn an_android_phone_is_told_through_firebase_signed_in_once() {
    let firebase = FcmDouble::start().await;
    let app = app_with_firebase(&firebase).await;
    let (owner, driver) = (app.owner().await, app.driver().await);
    register_phone(&app, &driver, "android", "phone-token:APA91b-1").await;
    let booking = confirmed_booking(&app, &owner, &driver).await;
    let messages = tokio::time::timeout(PATIENCE, firebase.wait_for(2))
        .await
        .unwrap_or_else(|_| panic!("no messages; refused: {:?}", firebase.refused()));
    let confirmed: Vec<_> = messages.iter().filter(|m| m.message["data"]["type"] == "booking_confirmed").collect();
    assert_eq!(confirmed.len(), 1, "{messages:?}");
    let m = &confirmed[0].message;
    assert_eq!(confirmed[0].token, "phone-token:APA91b-1");
    assert!(m["notification"]["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert_eq!(m["android"]["collapse_key"], booking.replace('-', ""));
    let data: serde_json::Value = serde_json::from_str(m["data"]["data"].as_str().expect("data")).expect("json");
    assert_eq!(data["bookingId"], booking.as_str());
    assert_eq!(firebase.sign_ins(), 1, "the access token is kept between messages");
    assert!(firebase.refused().is_empty(), "{:?}", firebase.refused());
}

#[tokio::test]
async fn a_phone_firebase_says_is_uninstalled_is_dropped() {
    let firebase = FcmDouble::start().await;
    let app = app_with_firebase(&firebase).await;
    let (owner, driver) = (app.owner().await, app.driver().await);
    register_phone(&app, &driver, "android", "old-phone").await;
    let kept = register_phone(&app, &driver, "android", "new-phone").await;
    firebase.uninstall("old-phone");
    confirmed_booking(&app, &owner, &driver).await;
    let left = the_one_device_left(&app, &driver).await;
    assert_eq!(left.id, kept.id);
}

async fn app_with_apns(apple: &ApnsDouble) -> TestApp {
    let (key_pem, key_id, team_id, topic) = apple.credentials();
    let settings = ApnsSettings { key_pem, key_id, team_id, topic, api_base: apple.api_base() };
    let apns = Apns::new(&settings).expect("APNs settings");
    spawn_app_with(move |c| c.push.apns = Some(apns)).await
}

#[tokio::test]
async fn an_iphone_is_told_through_apns_over_http2() {
    let apple = ApnsDouble::start().await;
    let app = app_with_apns(&apple).await;
    let (owner, driver) = (app.owner().await, app.driver().await);
    let token = "ab".repeat(32);
    register_phone(&app, &driver, "ios", &token.to_uppercase()).await;
    let booking = confirmed_booking(&app, &owner, &driver).await;
    let taken = tokio::time::timeout(PATIENCE, apple.wait_for(2))
        .await
        .unwrap_or_else(|_| panic!("nothing taken; refused: {:?}", apple.refused()));
    let confirmed: Vec<_> = taken.iter().filter(|n| n.payload["type"] == "booking_confirmed").collect();
    assert_eq!(confirmed.len(), 1, "{taken:?}");
    let n = confirmed[0];
    assert_eq!(n.token, token, "the token as registered, in lower case");
    assert_eq!(n.header("apns-collapse-id"), Some(booking.replace('-', "").as_str()));
    assert_eq!(n.header("apns-priority"), Some("5"), "a confirmation is not urgent");
    assert_eq!(n.payload["data"]["bookingId"], booking.as_str());
    assert!(n.payload["aps"]["alert"]["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(apple.refused().is_empty(), "{:?}", apple.refused());
}

#[tokio::test]
async fn an_iphone_whose_app_was_removed_is_dropped() {
    let apple = ApnsDouble::start().await;
    let app = app_with_apns(&apple).await;
    let (owner, driver) = (app.owner().await, app.driver().await);
    register_phone(&app, &driver, "ios", &"0a".repeat(32)).await;
    let kept = register_phone(&app, &driver, "ios", &"0b".repeat(32)).await;
    apple.remove_app(&"0a".repeat(32));
    confirmed_booking(&app, &owner, &driver).await;
    let left = the_one_device_left(&app, &driver).await;
    assert_eq!(left.id, kept.id);
}

/// A server killed in the middle of its queue: the pushes it had claimed wait out their claim
/// and go from the restarted server. None is lost; the only ones that go twice are those the
/// push service had taken when the kill came and whose outcome was not yet written (at most
/// twice the sends at once: those in flight and those being written), and each repeat carries
/// the notification's id, by which a device shows it once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_killed_mid_queue_loses_no_push_and_repeats_only_those_in_flight() {
    use crate::durability::{post, start_server_with};
    let service = WebPushDouble::start().await;
    let dir = tempfile::tempdir().expect("dir");
    let db_url = crate::helpers::fresh_database(dir.path()).await;
    let env = [
        ("PARKWAY_VAPID_PRIVATE_KEY", TEST_VAPID_KEY),
        ("PARKWAY_VAPID_SUBJECT", "mailto:ops@parkway.test"),
        ("PARKWAY_WEB_PUSH_ORIGINS", service.origin()),
        ("PARKWAY_PUSH_CLAIM_SECS", "1"),
    ];
    let (mut server, base) = start_server_with(&db_url, &env);
    let client = reqwest::Client::new();
    let register =
        |email: &str, role: &str| json!({"email": email, "password": "correct horse", "name": "N", "roles": [role]});
    let (_, owner) = post(&client, format!("{base}/api/auth/register"), None, register("o@example.com", "owner")).await;
    let (_, driver) =
        post(&client, format!("{base}/api/auth/register"), None, register("d@example.com", "driver")).await;
    let (owner, driver) = (owner["token"].as_str().expect("token"), driver["token"].as_str().expect("token"));
    let mut devices = Vec::new();
    for _ in 0..2 {
        let (endpoint, browser) = service.subscribe();
        let body = json!({"platform": "web", "subscription": {"endpoint": endpoint, "keys": {"p256dh": browser.p256dh(), "auth": browser.auth()}}});
        let (status, _) = post(&client, format!("{base}/api/devices"), Some(owner), body).await;
        assert_eq!(status, StatusCode::CREATED);
        devices.push(endpoint.rsplit('/').next().and_then(|n| n.parse::<usize>().ok()).expect("n"));
    }
    let body = json!({"title": "D", "address": "A", "lat": 37.0, "lng": -122.0, "pricePerHourCents": 100});
    let (_, driveway) = post(&client, format!("{base}/api/driveways"), Some(owner), body).await;
    // The push service holds every push at its door while the bookings are made: each tells the
    // owner, on two devices. Far more pushes than the sender has at once, so that a sender
    // that wrote its outcomes late would repeat more than the bound.
    service.pause();
    const BOOKINGS: usize = 200;
    for i in 0..BOOKINGS {
        let start = future(1) + chrono::Duration::hours(i as i64);
        let body = json!({"driveway": driveway["id"], "startTime": crate::helpers::rfc(start), "endTime": crate::helpers::rfc(start + chrono::Duration::minutes(30))});
        let (status, b) = post(&client, format!("{base}/api/bookings"), Some(driver), body).await;
        assert_eq!(status, StatusCode::CREATED, "{b}");
    }
    // Then it takes them slowly, and the server is killed once some are through.
    service.answer_after(Duration::from_millis(150));
    service.resume();
    arrived(&service, 150).await;
    server.kill().expect("SIGKILL");
    server.wait().expect("reaped");
    let at_kill = service.received().len();
    service.answer_after(Duration::ZERO);

    let (mut restarted, _) = start_server_with(&db_url, &env);
    let expected = BOOKINGS * devices.len();
    let received = tokio::time::timeout(PATIENCE, async {
        loop {
            let received = service.received();
            let pairs: std::collections::BTreeSet<(i64, usize)> =
                received.iter().map(|r| (r.payload["id"].as_i64().expect("id"), r.subscription)).collect();
            if pairs.len() == expected {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("pushes were lost: {} of {expected} arrived", service.received().len()));
    let _ = restarted.kill();
    let _ = restarted.wait();
    let repeats = received.len() - expected;
    let bound = 2 * parkway_backend::push::AT_ONCE;
    assert!(
        repeats <= bound,
        "{repeats} pushes went twice; at most the {bound} in flight or being written may (taken before the kill: {at_kill})"
    );
    assert!(received.iter().all(|r| r.payload["type"] == "booking_created"));
}
