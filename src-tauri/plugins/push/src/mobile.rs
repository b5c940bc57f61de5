//! The native plugin: `app.parkway.push.PushPlugin` (Kotlin) on Android, `PushPlugin` (Swift)
//! on iOS. Its events reach Rust through channels made here and registered as its listeners,
//! the way the webview's JavaScript would listen.

use crate::{Opened, PushToken, Result};
use serde::Deserialize;
use serde_json::Value;
use tauri::ipc::{Channel, InvokeResponseBody};
use tauri::plugin::{PluginApi, PluginHandle};
use tauri::{AppHandle, Runtime};

#[cfg(target_os = "android")]
const PLUGIN_IDENTIFIER: &str = "app.parkway.push";

// The Swift side's entry point (`@_cdecl("init_plugin_parkway_push")`): a foreign function,
// hence the `allow(unsafe_code)` on this module in lib.rs.
#[cfg(target_os = "ios")]
tauri::ios_plugin_binding!(init_plugin_parkway_push);

/// The push plugin.
pub struct Push<R: Runtime>(PluginHandle<R>);

pub(crate) fn init<R: Runtime>(_app: &AppHandle<R>, api: PluginApi<R, ()>) -> Result<Push<R>> {
    #[cfg(target_os = "android")]
    let handle = api.register_android_plugin(PLUGIN_IDENTIFIER, "PushPlugin")?;
    #[cfg(target_os = "ios")]
    let handle = api.register_ios_plugin(init_plugin_parkway_push)?;
    Ok(Push(handle))
}

/// What the native side answers `token` with, and sends with `newToken`.
#[derive(Deserialize)]
struct NativeToken {
    token: String,
}

impl NativeToken {
    fn checked(&self) -> Result<PushToken> {
        #[cfg(target_os = "android")]
        let token = PushToken::fcm(&self.token)?;
        #[cfg(target_os = "ios")]
        let token = PushToken::apns(&self.token)?;
        Ok(token)
    }
}

impl<R: Runtime> Push<R> {
    /// This device's push token. On iOS it may wait for APNs, so callers bound the wait.
    pub async fn token(&self) -> Result<PushToken> {
        let answer: NativeToken = self.0.run_mobile_plugin_async("token", ()).await?;
        answer.checked()
    }

    /// Calls `handler` with each token Firebase hands out while the app runs (Android; APNs
    /// gives the token again at each start, which [`Push::token`] returns).
    pub fn on_new_token(&self, handler: impl Fn(PushToken) + Send + Sync + 'static) -> Result<()> {
        self.listen("newToken", move |payload| match serde_json::from_value::<NativeToken>(payload) {
            Ok(native) => match native.checked() {
                Ok(token) => handler(token),
                Err(e) => tracing::warn!(error = %e, "the phone gave a push token the server would refuse"),
            },
            Err(e) => tracing::warn!(error = %e, "an unreadable new push token"),
        })
    }

    /// Calls `handler` with the booking of each tapped push, starting with the tap that
    /// launched the app (the native side holds that one until asked).
    pub fn on_opened(&self, handler: impl Fn(Opened) + Send + Sync + 'static) -> Result<()> {
        let handler = std::sync::Arc::new(handler);
        let live = handler.clone();
        self.listen("opened", move |payload| match Opened::from_tap(&payload) {
            Some(opened) => live(opened),
            None => tracing::debug!("a tapped push named no booking"),
        })?;
        // Asked only now that the listener is there, so a tap is either held or sent, never lost.
        let held: Value = self.0.run_mobile_plugin("takeOpened", ())?;
        if let Some(opened) = Opened::from_tap(&held) {
            handler(opened);
        }
        Ok(())
    }

    /// Registers a channel as the native plugin's listener for `event`.
    fn listen(&self, event: &str, on: impl Fn(Value) + Send + Sync + 'static) -> Result<()> {
        let channel: Channel<Value> = Channel::new(move |body: InvokeResponseBody| {
            match body.deserialize::<Value>() {
                Ok(payload) => on(payload),
                Err(e) => tracing::warn!(error = %e, "an unreadable event from the push plugin"),
            }
            Ok(())
        });
        self.0
            .run_mobile_plugin::<()>("registerListener", serde_json::json!({ "event": event, "handler": channel }))?;
        Ok(())
    }
}
