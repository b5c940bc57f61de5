//! Push notifications on Parkway's phone apps: the device's push token (Firebase on Android,
//! APNs on iOS), the new tokens Firebase hands out while the app runs, and the booking a tapped
//! push opens. On desktop it does nothing: the desktop app keeps its WebSocket open and
//! registers no push device.
//!
//! The server sends each notification to a phone as
//! - Firebase HTTP v1: `message.notification {title, body}` and `message.data {id, type, data}`,
//!   where `data` is the notification's data as JSON *text* (`"{\"bookingId\":\"…\"}"`);
//! - APNs: `{aps: {alert: {title, body}}, id, type, data: {bookingId, …}}`.
//!
//! The system shows the push; this plugin only hears of it when it is tapped. The native side
//! hands the push's `data` over as it came, and [`Opened::from_tap`] reads the booking from it
//! here, where it can be tested without a phone.
//!
//! # Use
//!
//! Register the plugin **after** `tauri-plugin-notification`: on iOS there is one notification
//! delegate, and this plugin takes it over and passes on what is not a push (the local
//! notifications and their buttons) to the one it found.
//!
//! ```text
//! tauri::Builder::default()
//!     .plugin(tauri_plugin_notification::init())
//!     .plugin(tauri_plugin_parkway_push::init())
//! ```
//! then, on a phone, [`PushExt::push`] gives [`Push::token`], [`Push::on_new_token`] and
//! [`Push::on_opened`] (which also delivers the tap that launched the app).
//!
//! # What the app must provide (none of it can be kept in this repository)
//!
//! **Android.** Firebase needs the project's `google-services.json` in
//! `src-tauri/gen/android/app/`, and the Google services Gradle plugin in the generated project:
//! ```text
//! // gen/android/build.gradle.kts, buildscript.dependencies:
//! classpath("com.google.gms:google-services:4.4.2")
//! // gen/android/app/build.gradle.kts, plugins:
//! id("com.google.gms.google-services")
//! ```
//! The plugin's own manifest (merged into the app's) declares the messaging service and the
//! `POST_NOTIFICATIONS` permission:
//! ```xml
//! <uses-permission android:name="android.permission.POST_NOTIFICATIONS" />
//! <application>
//!   <service android:name="app.parkway.push.PushService" android:exported="false">
//!     <intent-filter><action android:name="com.google.firebase.MESSAGING_EVENT" /></intent-filter>
//!   </service>
//! </application>
//! ```
//!
//! **iOS.** The Push Notifications capability: an App ID with push enabled and the entitlement
//! in `src-tauri/gen/apple/<app>_iOS/<app>_iOS.entitlements`:
//! ```xml
//! <key>aps-environment</key>
//! <string>production</string>  <!-- "development" for builds signed for development -->
//! ```
//! Nothing is needed in `Info.plist` for a push that only shows an alert; for a push that should
//! wake the app in the background (not used today) add
//! `<key>UIBackgroundModes</key><array><string>remote-notification</string></array>`.
//! The server's APNs key, team id and topic (the bundle id) are the server's settings.

/// The desktop stand-in, which does nothing.
#[cfg(desktop)]
mod desktop;
/// The plugin's error type.
mod error;
/// Where the native plugin is called (Android and iOS).
#[cfg(mobile)]
#[cfg_attr(target_os = "ios", allow(unsafe_code))]
mod mobile;
/// The booking a tapped push opens.
mod opened;

pub use error::{Error, Result};
pub use opened::Opened;
// A device's push token, checked by the server's own rules (they live in core).
pub use parkway_core::device::{InvalidToken, PushToken};

#[cfg(desktop)]
pub use desktop::Push;
#[cfg(mobile)]
pub use mobile::Push;

use tauri::plugin::{Builder, TauriPlugin};
use tauri::{Manager, Runtime};

/// Reaching the plugin from the app.
pub trait PushExt<R: Runtime> {
    /// The push plugin.
    fn push(&self) -> &Push<R>;
}

impl<R: Runtime, T: Manager<R>> PushExt<R> for T {
    fn push(&self) -> &Push<R> {
        self.state::<Push<R>>().inner()
    }
}

/// The plugin, to pass to `tauri::Builder::plugin`.
pub fn init<R: Runtime>() -> TauriPlugin<R> {
    Builder::new("parkway-push")
        .setup(|app, api| {
            #[cfg(mobile)]
            let push = mobile::init(app, api)?;
            #[cfg(desktop)]
            let push = desktop::init(app, api);
            app.manage(push);
            Ok(())
        })
        .build()
}
