//! The notification listener against the real server: the inbox before the first connection is
//! history, not news; what happens while connected is delivered once; what happened while the
//! app was away is caught up after a restart, again once.

use crate::common::{self, Backend};
use chrono::Duration;
use parkway_app_lib::client::BackendClient;
use parkway_app_lib::listen;
use parkway_app_lib::local::LocalStore;
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

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
    let backend = Backend::start().await;
    let api = backend.api.clone();
    let owner = api.register("o@example.com", "owner").await;
    let driver = api.register("d@example.com", "driver").await;
    let driveway = api.create_driveway(&owner, "D", 37.77).await;
    let start = common::first_slot();
    let hour = |h: i64| start + Duration::hours(h);
    // One request to the owner before the app ever connects: history.
    api.book(&driver, &driveway, hour(0), hour(1)).await;

    let store = backend.app_store().await;
    let client = backend.app_client(&owner);

    // Connected: a new request arrives live, once; the history is not shown.
    let (api2, driver2, driveway2, (s, e)) = (api.clone(), driver.clone(), driveway.clone(), (hour(2), hour(3)));
    let watched = store.clone();
    let trigger = tokio::spawn(async move {
        // Once the listener is connected and caught up (it then remembers what it has seen),
        // however long that takes on a busy machine.
        while watched.setting(parkway_app_lib::listen::SEEN).await.expect("setting").is_none() {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        api2.book(&driver2, &driveway2, s, e).await
    });
    let live = listen_until(&client, &store, |got| !got.is_empty(), 600).await;
    trigger.await.expect("second booking");
    let inbox = api.get("/api/notifications?after=0", &owner).await;
    let ids: Vec<i64> = inbox["items"].as_array().expect("items").iter().filter_map(|n| n["id"].as_i64()).collect();
    assert_eq!(ids.len(), 2, "{inbox}");
    assert_eq!(live, vec![ids[1]], "only the new notification pops up, not the history");

    // While the app is away, another; after a restart it is caught up, and only it.
    api.book(&driver, &driveway, hour(4), hour(5)).await;
    let caught = listen_until(&client, &store, |got| !got.is_empty(), 600).await;
    assert_eq!(caught.len(), 1, "{caught:?}");
    assert!(caught[0] > live[0]);

    // Nothing new: a restart delivers nothing again.
    let again = listen_until(&client, &store, |_| false, 20).await;
    assert!(again.is_empty(), "delivered twice: {again:?}");
    let _ = backend.server.shutdown().await;
}
