//! This phone as a push target, against the real server: signing in registers it (the server
//! lists it), a new token replaces it, signing out removes it, and a phone that cannot give a
//! token still signs in and registers at the next start. No phone runs here, so the token comes
//! from `FakeTokenSource`; the rest is the app's own code.

use crate::common::Backend;
use parkway_app_lib::client::BackendClient;
use parkway_app_lib::error::{Error, Result};
use parkway_app_lib::local::LocalStore;
use parkway_app_lib::push_device::{self, Registered, TokenSource};
use parkway_app_lib::sign_out::sign_out;
use reqwest::Method;
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tauri_plugin_parkway_push::PushToken;

/// A fake of the phone's push plugin: gives a fixed token, or fails as a phone without push set
/// up does; it counts how often it was asked.
#[derive(Clone)]
struct FakeTokenSource {
    token: Option<PushToken>,
    asked: Arc<AtomicUsize>,
}

impl FakeTokenSource {
    fn giving(token: PushToken) -> FakeTokenSource {
        FakeTokenSource { token: Some(token), asked: Arc::default() }
    }

    fn failing() -> FakeTokenSource {
        FakeTokenSource { token: None, asked: Arc::default() }
    }
}

impl TokenSource for FakeTokenSource {
    async fn token(&self) -> Result<PushToken> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        self.token.clone().ok_or_else(|| Error::Other("push is not set up on this phone".into()))
    }
}

fn fcm(token: &str) -> PushToken {
    PushToken::fcm(token).expect("a Firebase token's shape")
}

/// Waits, as long as a loaded machine may need, until `done` holds.
async fn until<T>(what: &str, mut done: impl AsyncFnMut() -> Option<T>) -> T {
    let patience = std::time::Instant::now() + Duration::from_secs(60);
    while std::time::Instant::now() < patience {
        if let Some(value) = done().await {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what} did not happen");
}

/// The user's devices as the server lists them: (id, platform).
async fn devices(backend: &Backend, token: &str) -> Vec<(String, String)> {
    let answer = backend.api.get("/api/devices", token).await;
    let items = answer["items"].as_array().unwrap_or_else(|| panic!("a list of devices: {answer}"));
    items
        .iter()
        .map(|d| (d["id"].as_str().unwrap_or("").to_owned(), d["platform"].as_str().unwrap_or("").to_owned()))
        .collect()
}

async fn registered(store: &LocalStore) -> Registered {
    until("the registration", async || store.push_device().await.expect("read")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_registers_the_phone_and_signing_out_removes_it() {
    let backend = Backend::start().await;
    let store = backend.app_store().await;
    let client = BackendClient::new(&backend.api.base).expect("client");
    tokio::spawn(push_device::keep(client.clone(), store.clone(), FakeTokenSource::giving(fcm("first:APA91b-token"))));

    // Sign in, as the app does with the server's answer.
    let session = backend.sign_up("p@example.com").await;
    client.set_tokens(session.clone());
    let first = registered(&store).await;
    let access = session.access.as_deref().expect("access token");
    assert_eq!(Some(first.user), client.user());
    assert_eq!(devices(&backend, access).await, [(first.device.to_string(), "android".to_owned())]);

    // Firebase hands out a new token: registered at once, the one it replaces removed.
    let second = push_device::register(&client, &store, &fcm("second:APA91b-token")).await.expect("registered");
    let second = second.expect("signed in");
    assert_ne!(second.device, first.device);
    assert_eq!(store.push_device().await.expect("read"), Some(second));
    assert_eq!(devices(&backend, access).await, [(second.device.to_string(), "android".to_owned())]);

    // Signing out removes it from the server and from the app, and ends the session.
    sign_out(&client, &store).await;
    assert_eq!(client.token(), None);
    assert_eq!(store.push_device().await.expect("read"), None);
    let elsewhere = backend.api.log_in("p@example.com").await;
    assert!(devices(&backend, &elsewhere).await.is_empty(), "no device left for the user");
    let ended = backend.api.get("/api/me", access).await;
    assert_eq!(ended["error"], "unauthorized", "the session ended: {ended}");
    let _ = backend.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_that_cannot_register_still_signs_in_and_registers_at_the_next_start() {
    let backend = Backend::start().await;
    let store = backend.app_store().await;
    let client = BackendClient::new(&backend.api.base).expect("client");
    let broken = FakeTokenSource::failing();
    let keeper = tokio::spawn(push_device::keep(client.clone(), store.clone(), broken.clone()));

    let session = backend.sign_up("q@example.com").await;
    client.set_tokens(session.clone());
    until("asking for the token", async || (broken.asked.load(Ordering::SeqCst) == 1).then_some(())).await;
    // Signed in all the same: the session works, and nothing was registered or kept.
    let me: Value = client.request(Method::GET, "/api/me", None, None).await.expect("signed in");
    assert_eq!(me["email"], "q@example.com");
    assert_eq!(store.push_device().await.expect("read"), None);
    let access = session.access.as_deref().expect("access token");
    assert!(devices(&backend, access).await.is_empty());
    // A renewed session is not a sign-in: no asking again until the next start.
    assert!(client.refresh(session.access.as_deref()).await, "renewed");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(broken.asked.load(Ordering::SeqCst), 1);
    keeper.abort();

    // The next start, on a phone that now has push: the saved session registers it.
    tokio::spawn(push_device::keep(client.clone(), store.clone(), FakeTokenSource::giving(fcm("later:APA91b-token"))));
    let later = registered(&store).await;
    let access = client.token().expect("renewed access token");
    assert_eq!(devices(&backend, &access).await, [(later.device.to_string(), "android".to_owned())]);

    // The server down while registering: logged, not an error, nothing kept.
    let _ = backend.server.shutdown().await;
    let offline = push_device::try_register(&client, &store, &FakeTokenSource::giving(fcm("offline:APA91b"))).await;
    assert_eq!(offline, None);
    assert_eq!(store.push_device().await.expect("read"), Some(later), "the registration before is kept");
}
