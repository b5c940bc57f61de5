//! This phone as a push target, so that notifications reach it while the app is closed. At each
//! start while signed in and after each sign-in, the app asks the phone for its push token and
//! registers it (`POST /api/devices`), keeping the server's id for the device; signing out
//! removes it (`DELETE /api/devices/{id}`, see [`crate::sign_out`]) while the session still
//! allows it. A new token (Firebase replaces them now and then) is registered at once. The
//! server keeps the id of a token it knows, and moves a device to the account that registered
//! it last, so registering again is harmless.
//!
//! Registering never stands in sign-in's way: it runs beside it, and a failure (no network, a
//! phone without Google Play services, push not set up in the build) is logged and tried again
//! at the next start or sign-in.
//!
//! The token comes from a [`TokenSource`]: the push plugin on a phone, and in the tests (where
//! no phone runs) a fake. The desktop app registers nothing: its WebSocket is open whenever the
//! app is.

use crate::client::{BackendClient, user_of};
use crate::error::{Error, Result};
use crate::local::{LocalStore, ms};
use chrono::{DateTime, Utc};
use parkway_core::device::Device;
use reqwest::Method;
use std::future::Future;
use std::time::Duration;
use tauri_plugin_parkway_push::PushToken;
use uuid::Uuid;

/// Longest wait for the phone's token: APNs may never answer a phone without a network, and a
/// registration stuck on it would hold up the next one.
const TOKEN_PATIENCE: Duration = Duration::from_secs(60);

/// Where this device's push token comes from.
pub trait TokenSource: Send + Sync + 'static {
    /// The token, from the phone's push service.
    fn token(&self) -> impl Future<Output = Result<PushToken>> + Send;
}

/// The phone's push plugin.
#[cfg(mobile)]
impl TokenSource for tauri::AppHandle {
    async fn token(&self) -> Result<PushToken> {
        use tauri_plugin_parkway_push::PushExt;
        self.push().token().await.map_err(|e| Error::Other(format!("no push token: {e}")))
    }
}

/// This device as the server knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Registered {
    /// The server's id for the device.
    pub device: Uuid,
    /// The account it was registered for.
    pub user: Uuid,
}

impl LocalStore {
    /// This device as last registered, if it is.
    pub async fn push_device(&self) -> Result<Option<Registered>> {
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT device_id, user_id FROM push_device").fetch_optional(&self.pool).await?;
        Ok(row.and_then(|(device, user)| {
            Some(Registered { device: Uuid::parse_str(&device).ok()?, user: Uuid::parse_str(&user).ok()? })
        }))
    }

    async fn keep_push_device(&self, registered: Registered, now: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "INSERT INTO push_device (only_one, device_id, user_id, registered_at) VALUES (1, ?, ?, ?) \
             ON CONFLICT (only_one) DO UPDATE SET device_id = excluded.device_id, user_id = excluded.user_id, \
             registered_at = excluded.registered_at",
        )
        .bind(registered.device.to_string())
        .bind(registered.user.to_string())
        .bind(ms(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn forget_push_device(&self) -> Result<()> {
        sqlx::query("DELETE FROM push_device").execute(&self.pool).await?;
        Ok(())
    }
}

/// Registers `token` for whoever is signed in and keeps the server's id for the device; `None`
/// when nobody is. The device registered before under another id (with the token this one
/// replaces) is removed, so the server does not try a token Firebase has dropped.
pub async fn register(client: &BackendClient, store: &LocalStore, token: &PushToken) -> Result<Option<Registered>> {
    let Some(user) = client.user() else { return Ok(None) };
    let body = serde_json::to_value(token.new_device()).map_err(|e| Error::Other(e.to_string()))?;
    let answer = client.request(Method::POST, "/api/devices", Some(&body), None).await?;
    let device: Device =
        serde_json::from_value(answer).map_err(|e| Error::Other(format!("unexpected answer from the server: {e}")))?;
    let registered = Registered { device: device.id, user };
    let before = store.push_device().await?;
    store.keep_push_device(registered, Utc::now()).await?;
    if let Some(before) = before
        && before.user == user
        && before.device != device.id
        && let Err(e) = remove(client, before.device).await
    {
        // Harmless if it stays: the server drops it when Firebase refuses its token.
        tracing::debug!(error = %e, "could not remove the device's previous registration");
    }
    Ok(Some(registered))
}

/// Asks `source` for the token and registers it. A failure is logged, not returned: it must not
/// stand in the way of whatever signed in.
pub async fn try_register(client: &BackendClient, store: &LocalStore, source: &impl TokenSource) -> Option<Registered> {
    let token = match tokio::time::timeout(TOKEN_PATIENCE, source.token()).await {
        Ok(Ok(token)) => token,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "this phone was not registered for pushes; trying again at the next start or sign-in");
            return None;
        }
        Err(_) => {
            tracing::warn!("the phone gave no push token in time; trying again at the next start or sign-in");
            return None;
        }
    };
    match register(client, store, &token).await {
        Ok(registered) => registered,
        Err(e) => {
            tracing::warn!(error = %e, "this phone was not registered for pushes; trying again at the next start or sign-in");
            None
        }
    }
}

/// Removes this device from the server (when the current session registered it) and forgets it:
/// the first step of signing out. Offline, the server keeps sending to the phone until another
/// account registers it or its push service drops the token.
pub async fn unregister(client: &BackendClient, store: &LocalStore) -> Result<()> {
    let Some(registered) = store.push_device().await? else { return Ok(()) };
    // Another account's registration (its session ended without a sign-out here) cannot be
    // removed with this session; the next sign-in moves the device anyway.
    let removed = if client.user() == Some(registered.user) { remove(client, registered.device).await } else { Ok(()) };
    store.forget_push_device().await?;
    removed
}

/// `DELETE /api/devices/{id}`; one the server has dropped already counts as removed.
async fn remove(client: &BackendClient, device: Uuid) -> Result<()> {
    match client.request(Method::DELETE, &format!("/api/devices/{device}"), None, None).await {
        Ok(_) | Err(Error::Api { status: 404, .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Registers the device at start when someone is signed in, and after each sign-in (a renewed
/// session of the same user is not one), for as long as the client lives.
pub async fn keep(client: BackendClient, store: LocalStore, source: impl TokenSource) {
    let mut tokens = client.watch_tokens();
    let mut seen: Option<Uuid> = None;
    loop {
        let user = tokens.borrow_and_update().access.as_deref().and_then(user_of);
        if user != seen {
            seen = user;
            if user.is_some() {
                try_register(&client, &store, &source).await;
            }
        }
        if tokens.changed().await.is_err() {
            return;
        }
    }
}
