//! The commands the UI calls through `window.__TAURI__.core.invoke`. Each is thin: it checks
//! its input and calls the module that does the work.

use crate::client::Tokens;
use crate::error::{Error, Result};
use crate::local::{OutboxItem, OutboxState};
use crate::location::{self, Position};
use crate::replies::Reply;
use crate::startup::Startup;
use crate::state::AppState;
use chrono::Utc;
use parkway_core::ErrorCode;
use parkway_core::api::NewBooking;
use parkway_core::message::MAX_TEXT;
use reqwest::Method;
use serde::Serialize;
use serde_json::Value;
use tauri::State;
use uuid::Uuid;

/// The server the app talks to.
#[tauri::command]
pub fn server_url(state: State<'_, AppState>) -> String {
    state.client.base()
}

/// Signs out (`null`): this phone stops being the user's push target, the server ends the
/// session, the app forgets it, and the notification listener and the outbox stop acting for that user (the outbox keeps their requests for their
/// return). A token adopts an access token alone (older UIs).
#[tauri::command]
pub async fn session_set(state: State<'_, AppState>, token: Option<String>) -> Result<()> {
    match token {
        // This phone stops being a push target first, while the session can still say so.
        None => crate::sign_out::sign_out(&state.client, &state.store).await,
        Some(token) => state.client.set_token(Some(token)),
    }
    state.session_changed.notify_one();
    state.sync.wake();
    Ok(())
}

/// The booking of a tapped push that came before the UI listened for `push-opened` (the tap
/// that launched the app), once: `{"bookingId": "<uuid>"}` or `null`. The UI calls it right
/// after it starts listening.
#[tauri::command]
pub fn push_opened_pending(held: State<'_, crate::push_opened::HeldTap>) -> Option<tauri_plugin_parkway_push::Opened> {
    held.take()
}

/// The sign-in routes whose answer opens a session.
fn opens_session(path: &str) -> bool {
    matches!(path, "/api/auth/login" | "/api/auth/register")
}

/// An HTTP-like answer: the status and the JSON body, error bodies included, so the UI treats
/// it exactly like a `fetch` response.
#[derive(Debug, Serialize)]
pub struct ApiAnswer {
    /// HTTP status.
    pub status: u16,
    /// The JSON body (`null` when empty).
    pub body: Value,
    /// The session's access token when it is not the one the UI sent (the app renewed it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// Any API call, as the UI would make it over HTTP. Searches and the driver's bookings are
/// cached, and answered from the cache (marked `"offline": true`) when the server cannot be
/// reached. Only a transport failure with nothing cached is an error.
#[tauri::command]
pub async fn api(
    state: State<'_, AppState>,
    method: String,
    path: String,
    body: Option<Value>,
    idempotency_key: Option<String>,
    token: Option<String>,
) -> Result<ApiAnswer> {
    // The app holds the session (it renews it and keeps its refresh token away from the page);
    // a UI signed in from before the app knew of it hands its access token over once.
    if let Some(t) = &token
        && state.client.token().is_none()
    {
        state.client.set_token(Some(t.clone()));
        state.session_changed.notify_one();
    }
    if !path.starts_with("/api/") || path.len() > 2048 {
        return Err(Error::Other("only /api/ paths can be called".into()));
    }
    let method =
        Method::from_bytes(method.to_uppercase().as_bytes()).map_err(|_| Error::Other("unknown method".into()))?;
    let is_get = method == Method::GET;
    // What the UI should hold from now on, when the app's session moved on.
    let renewed = |ui: &Option<String>| state.client.token().filter(|t| ui.as_deref() != Some(t.as_str()));
    match state.client.request_with_status(method, &path, body.as_ref(), idempotency_key.as_deref()).await {
        Ok((status, mut answer)) => {
            if opens_session(&path) {
                // The refresh token stays in the app; the page gets the access token only.
                let refresh = answer.as_object_mut().and_then(|o| o.remove("refreshToken"));
                state.client.set_tokens(Tokens {
                    access: answer["token"].as_str().map(str::to_owned),
                    refresh: refresh.and_then(|r| r.as_str().map(str::to_owned)),
                });
                state.session_changed.notify_one();
                state.sync.wake();
                return Ok(ApiAnswer { status, body: answer, token: None });
            }
            let user = state.client.user();
            if is_get {
                crate::cache::remember(&state.store, user, &path, &answer).await;
                // The page can then show its photos offline too.
                if crate::cache::is_driveway_page(&path) {
                    let (media, driveway) = (state.media.clone(), answer.clone());
                    tauri::async_runtime::spawn(async move { media.keep_thumbnails(&driveway).await });
                }
                // The driver's bookings may have changed: keep the phone's reminders in step.
                #[cfg(mobile)]
                if crate::cache::is_my_bookings(&path) {
                    crate::reminders::reschedule(&state.app, &state.store, user).await;
                }
            }
            // The server was just reached: send what waits in the outbox now, not when its
            // backoff (up to 5 minutes) runs out.
            state.sync.wake_now();
            Ok(ApiAnswer { status, body: answer, token: renewed(&token) })
        }
        Err(Error::Api { status, code, message }) => Ok(ApiAnswer {
            status,
            body: serde_json::json!({"error": code, "message": message}),
            token: renewed(&token),
        }),
        Err(Error::Offline(why)) if is_get => {
            match crate::cache::recall(&state.store, state.client.user(), &path).await {
                Some(answer) => Ok(ApiAnswer { status: 200, body: answer, token: None }),
                None => Err(Error::Offline(why)),
            }
        }
        Err(e) => Err(e),
    }
}

/// The answer to a booking attempt.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BookOutcome {
    /// `Synced` (booked now) or `Queued` (saved offline).
    pub state: OutboxState,
    /// The booking when synced.
    pub booking: Option<Value>,
    /// The outbox item when queued.
    pub item: Option<OutboxItem>,
    /// A sentence for the driver.
    pub message: String,
}

/// Longest label kept with an outbox item.
const MAX_LABEL: usize = 300;

/// Books now if the server answers, else saves the request in the outbox. The same key is
/// used for both, so a request that did reach the server is never booked twice. `key` is the
/// UI's idempotency key for this attempt (a new one when absent); `label` says in words what is
/// booked, for the outbox list.
#[tauri::command]
pub async fn book(
    state: State<'_, AppState>,
    request: NewBooking,
    key: Option<Uuid>,
    label: Option<String>,
) -> Result<BookOutcome> {
    let key = key.unwrap_or_else(Uuid::new_v4);
    let label = label.map(|l| l.trim().chars().take(MAX_LABEL).collect::<String>()).filter(|l| !l.is_empty());
    // The outbox sends a request under the name of whoever made it, never another's.
    let user = state.client.user().ok_or_else(|| Error::Api {
        status: 401,
        code: ErrorCode::Unauthorized,
        message: "sign in to book".into(),
    })?;
    match state.client.create_booking(&request, key).await {
        Ok(booking) => {
            state.store.cache_booking(user, &booking, None, Utc::now()).await?;
            Ok(BookOutcome {
                state: OutboxState::Synced,
                booking: serde_json::to_value(&booking).ok(),
                item: None,
                message: "Booked.".into(),
            })
        }
        Err(e) if e.is_retryable() => {
            let item = state.store.enqueue(key, user, &request, label.as_deref(), Utc::now()).await?;
            state.emit_outbox(&item);
            state.sync.wake();
            Ok(BookOutcome {
                state: OutboxState::Queued,
                booking: None,
                item: Some(item),
                message: "Saved offline — will book when you are back online.".into(),
            })
        }
        Err(e) => Err(e),
    }
}

/// The signed-in user's outbox, newest first.
#[tauri::command]
pub async fn outbox_list(state: State<'_, AppState>) -> Result<Vec<OutboxItem>> {
    match state.client.user() {
        Some(user) => state.store.outbox(user).await,
        None => Ok(Vec::new()),
    }
}

/// Sends a message in a booking's thread now if the server answers, else keeps it on the device
/// and sends it when the network is back (after what waits before it). `key` is the UI's
/// idempotency key for this message, used for both, so a message that did reach the server
/// lands once. The answer is the message as the device holds it: `synced` with the server's
/// copy when it was sent now, `queued` when it was kept.
#[tauri::command]
pub async fn send_message(state: State<'_, AppState>, booking: Uuid, text: String, key: Uuid) -> Result<Reply> {
    let text = parkway_core::text::required("the message", &text, MAX_TEXT).map_err(|e| Error::Api {
        status: 400,
        code: ErrorCode::ValidationFailed,
        message: e.0,
    })?;
    let user = state.client.user().ok_or_else(|| Error::Api {
        status: 401,
        code: ErrorCode::Unauthorized,
        message: "sign in to send a message".into(),
    })?;
    // Behind messages already waiting, this one waits too: the thread keeps its order.
    let waiting = !state.store.pending_replies(user).await?.is_empty();
    if !waiting {
        match state.client.send_message(booking, &text, key).await {
            Ok(message) => {
                return Ok(Reply {
                    id: key,
                    booking_id: booking,
                    text,
                    state: OutboxState::Synced,
                    attempts: 1,
                    last_error: None,
                    created_at: message.created_at,
                    message: Some(message),
                });
            }
            Err(e) if e.is_retryable() => {}
            Err(e) => return Err(e),
        }
    }
    let reply = state.store.enqueue_reply(key, user, booking, &text, Utc::now()).await?;
    state.sync.wake();
    Ok(reply)
}

/// The signed-in user's messages not sent yet (waiting, or refused), oldest first.
#[tauri::command]
pub async fn replies_list(state: State<'_, AppState>) -> Result<Vec<Reply>> {
    match state.client.user() {
        Some(user) => state.store.replies(user).await,
        None => Ok(Vec::new()),
    }
}

/// Clears a message that will not be sent (refused or expired) from its thread.
#[tauri::command]
pub async fn reply_dismiss(state: State<'_, AppState>, id: Uuid) -> Result<()> {
    let user = state.client.user().unwrap_or_default();
    if state.store.dismiss_reply(user, id).await? {
        return Ok(());
    }
    Err(Error::Api {
        status: 409,
        code: ErrorCode::InvalidTransition,
        message: "this message is still waiting to be sent".into(),
    })
}

/// Most bytes an upload may carry: the server's limit on a photo.
const MAX_PHOTO_BYTES: usize = parkway_core::photo::MAX_UPLOAD_BYTES;

/// Uploads a photo of the owner's driveway: the file's bytes come as the raw body of the call
/// (no JSON, no base64), the driveway in the `x-parkway-driveway` header. Answers the photo.
#[tauri::command]
pub async fn upload_photo(state: State<'_, AppState>, request: tauri::ipc::Request<'_>) -> Result<Value> {
    let driveway = request
        .headers()
        .get("x-parkway-driveway")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| Uuid::parse_str(v).ok())
        .ok_or_else(|| Error::Other("the upload names no driveway".into()))?;
    let tauri::ipc::InvokeBody::Raw(bytes) = request.body() else {
        return Err(Error::Other("the upload carries no file".into()));
    };
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(Error::Api {
            status: 413,
            code: ErrorCode::PayloadTooLarge,
            message: format!("a photo may be at most {} MB", MAX_PHOTO_BYTES / (1024 * 1024)),
        });
    }
    state.client.upload_photo(driveway, bytes.clone()).await
}

/// Cancels a queued request before it is sent.
#[tauri::command]
pub async fn outbox_cancel(state: State<'_, AppState>, id: Uuid) -> Result<()> {
    use crate::local::OutboxState;
    if !state.store.transition(id, &[OutboxState::Queued], OutboxState::Cancelled, Utc::now()).await? {
        return Err(Error::Api {
            status: 409,
            code: ErrorCode::InvalidTransition,
            message: "this request is being sent or has been already; cancel the booking instead".into(),
        });
    }
    if let Some(item) = state.store.item(id).await? {
        state.emit_outbox(&item);
    }
    Ok(())
}

/// Removes a finished item (booked, refused, expired or cancelled) from the outbox list.
#[tauri::command]
pub async fn outbox_dismiss(state: State<'_, AppState>, id: Uuid) -> Result<()> {
    if state.store.dismiss(id).await? {
        return Ok(());
    }
    Err(Error::Api {
        status: 409,
        code: ErrorCode::InvalidTransition,
        message: "this request is still waiting to be sent; cancel it first".into(),
    })
}

/// Sends the outbox now ("Try now"), even items still backing off.
#[tauri::command]
pub fn sync_now(state: State<'_, AppState>) {
    state.sync.wake_now();
}

/// The driver's bookings as last seen, with access instructions, readable offline.
#[tauri::command]
pub async fn cached_bookings(state: State<'_, AppState>) -> Result<Vec<Value>> {
    match state.client.user() {
        Some(user) => state.store.cached_bookings(user).await,
        None => Ok(Vec::new()),
    }
}

/// Where the driver is (device on phones; the last place picked on the map on desktop).
#[tauri::command]
pub async fn current_position(app: tauri::AppHandle, state: State<'_, AppState>) -> Result<Position> {
    #[cfg(mobile)]
    {
        let _ = &state;
        location::device(&app).await
    }
    #[cfg(desktop)]
    {
        let _ = &app;
        location::manual(&state.store).await
    }
}

/// Remembers the place picked on the map (the desktop's "near me").
#[tauri::command]
pub async fn set_manual_position(state: State<'_, AppState>, lat: f64, lng: f64) -> Result<()> {
    location::set_manual(&state.store, lat, lng).await
}

/// The UI drew its first map frame with driveways on it: logged once, with the time since the
/// app started.
#[tauri::command]
pub fn map_drawn(startup: State<'_, Startup>) {
    if let Some(elapsed) = startup.map_drawn() {
        tracing::info!(ms = elapsed.as_millis() as u64, "first map frame with driveways drawn");
    }
}

/// Opens a page in the system's browser: payout onboarding, which belongs to the payment
/// provider (or, simulated, to the server) and not in the app's own window. Only `https` pages
/// and the server's own are opened, so a page shown in the app cannot make it launch anything
/// else.
#[tauri::command]
pub fn open_in_browser(app: tauri::AppHandle, state: State<'_, AppState>, url: String) -> Result<()> {
    use tauri_plugin_opener::OpenerExt;
    if !may_open(&url, &state.client.base()) {
        return Err(Error::Api {
            status: 400,
            code: ErrorCode::ValidationFailed,
            message: "the app opens only https pages and its server's own in a browser".to_owned(),
        });
    }
    app.opener().open_url(url, None::<&str>).map_err(|e| Error::Other(format!("no browser could be opened: {e}")))
}

/// True for an `https` URL, or one on the app's own server.
fn may_open(url: &str, server: &str) -> bool {
    let server = server.trim_end_matches('/');
    (url.starts_with("https://") && !url.contains(char::is_whitespace))
        || url.strip_prefix(server).is_some_and(|rest| rest.starts_with('/'))
}

#[cfg(test)]
mod opening {
    use super::may_open;

    #[test]
    fn only_https_pages_and_the_servers_own_are_opened() {
        let server = "http://127.0.0.1:8080";
        assert!(may_open("https://connect.stripe.com/setup/e/acct_1/abc", server));
        assert!(may_open("http://127.0.0.1:8080/api/payouts/simulated/onboarding?token=ab", server));
        assert!(!may_open("http://127.0.0.1:80801/evil", server), "another port is another server");
        assert!(!may_open("http://example.com/", server));
        assert!(!may_open("file:///etc/passwd", server));
        assert!(!may_open("javascript:alert(1)", server));
    }
}
