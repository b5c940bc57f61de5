//! Parkway's app: the web UI in a Tauri shell, plus what only an app can do — book while
//! offline (an outbox in local SQLite, synced when the network is back), show native
//! notifications for every change to the user's bookings, and know where the driver is.

/// The buttons on notifications (Extend on a stay ending soon).
pub mod actions;
/// Caching API answers for offline use.
pub mod cache;
/// The typed client for the server's API.
pub mod client;
/// The commands the UI calls.
pub mod commands;
/// The in-process server of the desktop app.
#[cfg(desktop)]
pub mod embedded;
/// The app's error type.
pub mod error;
/// One secret in the OS keychain.
#[cfg(desktop)]
pub mod keychain;
/// Keeping a WebSocket open for notifications.
pub mod listen;
/// The app's own database.
pub mod local;
/// Where the driver is.
pub mod location;
/// Photos kept on the device.
pub mod media_cache;
/// This phone as a push target: registered after sign-in, removed at sign-out.
pub mod push_device;
/// Bookings opened by tapping a push, sent to the UI.
pub mod push_opened;
/// Booking reminders scheduled on the phone.
pub mod reminders;
/// Messages written offline, waiting to be sent.
pub mod replies;
/// The session kept across restarts (the refresh token in the OS keychain where there is one).
pub mod saved_session;
/// Signing out.
pub mod sign_out;
/// How long the app took to show its map.
pub mod startup;
/// Shared state of the commands.
pub mod state;
/// Replaying the outbox.
pub mod sync;
/// The street map kept on the device, on the `parkway-tiles` scheme.
pub mod tiles;

use crate::client::BackendClient;
use crate::local::LocalStore;
use crate::saved_session::SavedSession;
use crate::state::AppState;
use crate::sync::{Backoff, SyncWorker};
use std::sync::Arc;
use tauri::{Emitter, Manager};
use tauri_plugin_notification::{NotificationExt, PermissionState};
use tokio::sync::Notify;

/// Where a phone build finds the server unless `PARKWAY_SERVER_URL` was set when it was built
/// (the Android emulator reaches the development machine's loopback at 10.0.2.2).
#[cfg(mobile)]
const DEFAULT_MOBILE_SERVER: &str = match option_env!("PARKWAY_SERVER_URL") {
    Some(url) => url,
    None => "http://10.0.2.2:8080",
};

/// Starts the app.
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    let startup = startup::Startup::now();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_notification::init())
        // After the notification plugin: on iOS it takes over the notification delegate and
        // passes the local notifications on to the one it found (see the plugin's docs).
        .plugin(tauri_plugin_parkway_push::init())
        .plugin(tauri_plugin_geolocation::init())
        // Used from Rust only (`open_in_browser`): the webview is granted none of its commands.
        .plugin(tauri_plugin_opener::init())
        .manage(startup)
        .manage(push_opened::HeldTap::default())
        // Photos, from the device's copies when there are any (see `media_cache`).
        .register_asynchronous_uri_scheme_protocol(media_cache::SCHEME, |ctx, request, responder| {
            let app = ctx.app_handle().clone();
            let path = request.uri().path().to_owned();
            tauri::async_runtime::spawn(async move {
                let Some(state) = app.try_state::<AppState>() else {
                    return responder
                        .respond(tauri::http::Response::builder().status(503).body(Vec::new()).unwrap_or_default());
                };
                responder.respond(media_cache::answer(&state.media, &path).await);
            });
        })
        .register_asynchronous_uri_scheme_protocol(tiles::SCHEME, |ctx, request, responder| {
            let dir = ctx.app_handle().path().app_data_dir().unwrap_or_default();
            let range = request.headers().get("range").and_then(|v| v.to_str().ok());
            responder.respond(tiles::answer(&dir, request.method().as_str(), request.uri().path(), range));
        })
        .setup(|app| {
            let handle = app.handle().clone();
            tauri::async_runtime::block_on(setup(handle)).map_err(|e| e.to_string())?;
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::server_url,
            commands::session_set,
            commands::api,
            commands::book,
            commands::outbox_list,
            commands::outbox_cancel,
            commands::outbox_dismiss,
            commands::sync_now,
            commands::cached_bookings,
            commands::current_position,
            commands::set_manual_position,
            commands::map_drawn,
            commands::open_in_browser,
            commands::upload_photo,
            commands::send_message,
            commands::replies_list,
            commands::reply_dismiss,
            commands::push_opened_pending,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = app {
        eprintln!("Parkway could not start: {e}");
        std::process::exit(1);
    }
}

/// Opens the local database, finds (or starts) the server, and starts the sync worker and the
/// notification listener.
async fn setup(app: tauri::AppHandle) -> anyhow::Result<()> {
    let data_dir = app.path().app_data_dir()?;
    std::fs::create_dir_all(&data_dir)?;
    let store = LocalStore::open(&data_dir.join("parkway-app.db")).await?;

    let configured = std::env::var("PARKWAY_SERVER_URL").ok().filter(|u| !u.trim().is_empty());
    let saved = store.setting("server_url").await?;
    #[cfg(desktop)]
    let base = match configured.or(saved) {
        Some(url) => url,
        None => format!("http://{}", embedded::start(&data_dir)?),
    };
    #[cfg(mobile)]
    let base = configured.or(saved).unwrap_or_else(|| DEFAULT_MOBILE_SERVER.to_owned());

    client::check_server_url(&base, !cfg!(debug_assertions))?;
    let client = BackendClient::new(&base)?;
    let saved = SavedSession::open(store.clone(), Some(saved_session::KEYCHAIN_SERVICE)).await?;
    client.set_tokens(saved.load().await?);
    tauri::async_runtime::spawn(saved.keep(client.watch_tokens()));

    let events = app.clone();
    let sync = SyncWorker::new(
        store.clone(),
        client.clone(),
        Backoff::default(),
        Arc::new(move |change| {
            let _ = match change {
                sync::Change::Booking(item) => events.emit("outbox-changed", item),
                sync::Change::Reply(reply) => events.emit("replies-changed", reply),
            };
        }),
    );
    tauri::async_runtime::spawn(sync.clone().run(std::time::Duration::from_secs(30)));

    ask_notification_permission_once(&app, &store).await;
    actions::register(&app);
    let session_changed = Arc::new(Notify::new());
    let notifier = app.clone();
    let deliver: listen::Deliver = Arc::new(move |n| {
        // On a phone the driver's reminders were scheduled on the device already.
        #[cfg(mobile)]
        let native = !(n.kind == parkway_core::notification::NotificationType::BookingReminder
            && n.data["bookingId"].as_str().is_some_and(reminders::covers));
        #[cfg(desktop)]
        let native = true;
        let mut shown = notifier.notification().builder().title(&n.title).body(&n.message);
        if n.data["action"] == "extend"
            && let Some(booking) = n.data["bookingId"].as_str()
        {
            shown = actions::offer_extend(shown, booking);
        }
        // A missing notification daemon (a bare Linux desktop) must not stop anything.
        if native && let Err(e) = shown.show() {
            tracing::warn!(error = %e, "could not show a native notification");
        }
        let _ = notifier.emit("notification", n);
    });
    tauri::async_runtime::spawn(listen::run(client.clone(), store.clone(), deliver, session_changed.clone()));

    #[cfg(mobile)]
    {
        let (app, store) = (app.clone(), store.clone());
        let user = client.user();
        tauri::async_runtime::spawn(async move { reminders::reschedule(&app, &store, user).await });
    }
    #[cfg(mobile)]
    start_push(&app, &client, &store);
    let media =
        media_cache::MediaCache::new(data_dir.join("photos"), client.clone(), media_cache::DEFAULT_BUDGET_BYTES);
    app.manage(AppState { store, client, sync, session_changed, app: app.clone(), media });
    Ok(())
}

/// Registers the phone for pushes now and after each sign-in, registers each new token, and
/// sends each tapped push's booking to the UI (see [`push_opened`]).
#[cfg(mobile)]
fn start_push(app: &tauri::AppHandle, client: &BackendClient, store: &LocalStore) {
    use tauri_plugin_parkway_push::PushExt;
    tauri::async_runtime::spawn(push_device::keep(client.clone(), store.clone(), app.clone()));
    let (renewing, kept) = (client.clone(), store.clone());
    let new_token = app.push().on_new_token(move |token| {
        let (client, store) = (renewing.clone(), kept.clone());
        tauri::async_runtime::spawn(async move {
            if let Err(e) = push_device::register(&client, &store, &token).await {
                tracing::warn!(error = %e, "the phone's new push token was not registered; trying again at the next start");
            }
        });
    });
    let events = app.clone();
    let opened = app.push().on_opened(move |opened| {
        events.state::<push_opened::HeldTap>().tapped(opened);
        if let Err(e) = events.emit(push_opened::EVENT, opened) {
            tracing::warn!(error = %e, "could not tell the UI about a tapped push");
        }
    });
    for (what, result) in [("new tokens", new_token), ("tapped pushes", opened)] {
        if let Err(e) = result {
            tracing::warn!(error = %e, "the push plugin will not report {what}");
        }
    }
}

async fn ask_notification_permission_once(app: &tauri::AppHandle, store: &LocalStore) {
    if store.setting("notification_permission_asked").await.ok().flatten().is_some() {
        return;
    }
    let notifications = app.notification();
    if !matches!(notifications.permission_state(), Ok(PermissionState::Granted)) {
        let _ = notifications.request_permission();
    }
    let _ = store.set_setting("notification_permission_asked", Some("yes")).await;
}
