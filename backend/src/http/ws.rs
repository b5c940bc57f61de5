//! `GET /api/ws`: live notifications over a WebSocket.
//!
//! The token comes in `?token=` or as the pair `Sec-WebSocket-Protocol: bearer, <JWT>`
//! (browsers cannot set headers on a WebSocket). It is checked before the upgrade, so a bad one
//! gets a plain 401. The server pings every `ws_ping_interval` and closes a connection that did
//! not answer the previous ping. Buffers are small and incoming messages capped: clients only
//! listen, and ten thousand idle phones must not cost much.

use super::extract::Query;
use crate::error::{AppError, AppResult};
use crate::hub::{Delivery, Subscription};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::HeaderValue;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use std::time::Duration;

/// Close code sent to a client dropped for not keeping up (it should catch up from the inbox).
pub const CLOSE_TOO_SLOW: u16 = 4008;
/// Close code sent when the connection's session ended (sign-out, password change).
pub const CLOSE_SESSION_ENDED: u16 = 4001;
/// How long one send may take before the client counts as stalled.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// `/api/ws`.
pub fn router() -> Router<AppState> {
    Router::new().route("/ws", get(upgrade))
}

#[derive(Debug, Deserialize)]
struct WsParams {
    token: Option<String>,
}

async fn upgrade(
    State(state): State<AppState>,
    Query(p): Query<WsParams>,
    mut ws: WebSocketUpgrade,
) -> AppResult<Response> {
    // axum hands the offered protocols over as a set, so look for the pair, not an order.
    let offered: Vec<String> =
        ws.requested_protocols().filter_map(|v| v.to_str().ok()).map(|v| v.trim().to_owned()).collect();
    let from_protocol =
        if offered.iter().any(|p| p == "bearer") { offered.into_iter().find(|p| p != "bearer") } else { None };
    let used_protocol = from_protocol.is_some();
    let token = from_protocol.or(p.token).ok_or_else(|| {
        AppError::unauthorized("pass the session token as ?token= or Sec-WebSocket-Protocol: bearer, <token>")
    })?;
    let claims = state.tokens.verify(&token, state.clock.now().timestamp())?;
    if !state.store.session_open(claims.sub, claims.sid, state.clock.now()).await? {
        return Err(AppError::unauthorized("your session has ended; please sign in again"));
    }
    if used_protocol {
        ws.set_selected_protocol(HeaderValue::from_static("bearer"));
    }
    let subscription = state.hub.subscribe(claims.sub, claims.sid);
    let ping_every = state.config.ws_ping_interval;
    let session = claims.sid;
    Ok(ws
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_write_buffer_size(64 * 1024)
        .max_message_size(4 * 1024)
        .max_frame_size(4 * 1024)
        .on_upgrade(move |socket| serve(socket, subscription, ping_every, state, session)))
}

async fn close(socket: &mut WebSocket, code: u16, reason: &'static str) {
    let frame = CloseFrame { code, reason: reason.into() };
    let _ = tokio::time::timeout(Duration::from_secs(1), socket.send(Message::Close(Some(frame)))).await;
}

async fn serve(
    mut socket: WebSocket,
    mut sub: Subscription,
    ping_every: Duration,
    state: AppState,
    session: uuid::Uuid,
) {
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + ping_every, ping_every);
    let mut awaiting_pong = false;
    loop {
        tokio::select! {
            next = sub.next() => match next {
                Some(Delivery::Message(json)) => {
                    let sent = tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Text(json.as_ref().into()))).await;
                    if !matches!(sent, Ok(Ok(()))) {
                        break;
                    }
                }
                Some(Delivery::SessionEnded) => {
                    close(&mut socket, CLOSE_SESSION_ENDED, "your session has ended; sign in again").await;
                    break;
                }
                None => {
                    close(&mut socket, CLOSE_TOO_SLOW, "too slow; reconnect and catch up from the inbox").await;
                    break;
                }
            },
            _ = ping.tick() => {
                if awaiting_pong {
                    break;
                }
                // A session ended through another instance is noticed here.
                if !matches!(state.store.session_open(sub.user(), session, state.clock.now()).await, Ok(true)) {
                    close(&mut socket, CLOSE_SESSION_ENDED, "your session has ended; sign in again").await;
                    break;
                }
                awaiting_pong = true;
                if tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Ping(Default::default()))).await.is_err() {
                    break;
                }
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                // Any traffic proves the client is alive; clients have nothing else to say.
                Some(Ok(_)) => awaiting_pong = false,
            },
        }
    }
}
