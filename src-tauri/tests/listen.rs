//! The notification listener against the real server: the inbox before the first connection is
//! history, not news; what happens while connected is delivered once; what happened while the
//! app was away is caught up after a restart, again once.

use chrono::{Duration, DurationRound, Utc};
use parkway_app_lib::client::BackendClient;
use parkway_app_lib::listen;
use parkway_app_lib::local::LocalStore;
use parkway_backend::{Config, Server};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

async fn post(client: &reqwest::Client, url: String, token: Option<&str>, body: Value) -> Value {
    let mut req = client.post(url).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.expect("sent").json().await.expect("json")
}

/// Runs the listener until `until` holds for what it delivered (at most `tenths` × 0.1 s), then
/// stops it.
async fn listen_until(
    client: &BackendClient,
    store: &LocalStore,
    until: impl Fn(&[i64]) -> bool,
    tenths: u32,
) -> Vec<i64> {
    let got = Arc::new(Mutex::new(Vec::new()));
    let log = got.clone();
    let task = tokio::spawn(listen::run(
        client.clone(),
        store.clone(),
        Arc::new(move |n| log.lock().expect("lock").push(n.id)),
        Arc::new(Notify::new()),
    ));
    for _ in 0..tenths {
        if until(&got.lock().expect("lock")) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    task.abort();
    let _ = task.await;
    got.lock().expect("lock").clone()
}

#[tokio::test]
async fn history_is_not_news_and_each_notification_is_delivered_once() {
    let dir = tempfile::tempdir().expect("dir");
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("server.db").display());
    let server = Server::start(Config::for_database(&db)).await.expect("server");
    let base = format!("http://{}", server.addr());
    let http = reqwest::Client::new();
    let reg =
        |email: &str, role: &str| json!({"email": email, "password": "correct horse", "name": "N", "roles": [role]});
    let owner = post(&http, format!("{base}/api/auth/register"), None, reg("o@example.com", "owner")).await;
    let driver = post(&http, format!("{base}/api/auth/register"), None, reg("d@example.com", "driver")).await;
    let body = json!({"title": "D", "address": "A", "lat": 37.77, "lng": -122.42, "pricePerHourCents": 300});
    let driveway = post(&http, format!("{base}/api/driveways"), owner["token"].as_str(), body).await;
    let start = (Utc::now() + Duration::days(2)).duration_trunc(Duration::hours(1)).expect("trunc");
    let book = |hours: i64| json!({"driveway": driveway["id"], "startTime": start + Duration::hours(hours), "endTime": start + Duration::hours(hours + 1)});
    // One request to the owner before the app ever connects: history.
    post(&http, format!("{base}/api/bookings"), driver["token"].as_str(), book(0)).await;

    let store = LocalStore::open(&dir.path().join("app.db")).await.expect("local");
    let client = BackendClient::new(&base).expect("client");
    client.set_token(owner["token"].as_str().map(str::to_owned));

    // Connected: a new request arrives live, once; the history is not shown.
    let http2 = http.clone();
    let (base2, token2, second) = (base.clone(), driver["token"].as_str().map(str::to_owned), book(2));
    let trigger = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(700)).await;
        post(&http2, format!("{base2}/api/bookings"), token2.as_deref(), second).await
    });
    let live = listen_until(&client, &store, |got| !got.is_empty(), 100).await;
    trigger.await.expect("second booking");
    let inbox: Value = http
        .get(format!("{base}/api/notifications?after=0"))
        .bearer_auth(owner["token"].as_str().expect("token"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let ids: Vec<i64> = inbox["items"].as_array().expect("items").iter().filter_map(|n| n["id"].as_i64()).collect();
    assert_eq!(ids.len(), 2, "{inbox}");
    assert_eq!(live, vec![ids[1]], "only the new notification pops up, not the history");

    // While the app is away, another; after a restart it is caught up, and only it.
    post(&http, format!("{base}/api/bookings"), driver["token"].as_str(), book(4)).await;
    let caught = listen_until(&client, &store, |got| !got.is_empty(), 100).await;
    assert_eq!(caught.len(), 1, "{caught:?}");
    assert!(caught[0] > live[0]);

    // Nothing new: a restart delivers nothing again.
    let again = listen_until(&client, &store, |_| false, 20).await;
    assert!(again.is_empty(), "delivered twice: {again:?}");
    let _ = server.shutdown().await;
}
