//! Keeps a WebSocket open to the server while someone is signed in, and hands every
//! notification to `deliver` exactly once: after each (re)connection it first catches up from
//! the inbox (`GET /api/notifications?after=`), and it remembers the last id it delivered, so a
//! message is neither missed nor shown twice across reconnections and restarts.

use crate::client::BackendClient;
use crate::local::LocalStore;
use futures_util::StreamExt;
use parkway_core::api::Notification;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

const LAST_SEEN: &str = "last_notification_id";

/// Receives each new notification once.
pub type Deliver = Arc<dyn Fn(&Notification) + Send + Sync>;

/// The listener's loop. `session_changed` is notified on sign-in and sign-out.
pub async fn run(client: BackendClient, store: LocalStore, deliver: Deliver, session_changed: Arc<Notify>) {
    let mut delay = Duration::from_secs(1);
    loop {
        let Some(token) = client.token() else {
            session_changed.notified().await;
            continue;
        };
        match session(&client, &store, &deliver, &token, &session_changed).await {
            Ok(()) => delay = Duration::from_secs(1),
            Err(e) => {
                tracing::info!(error = %e, "notification connection lost; reconnecting in {:?}", delay);
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = session_changed.notified() => {}
                }
                delay = (delay * 2).min(Duration::from_secs(60));
            }
        }
    }
}

async fn last_seen(store: &LocalStore) -> i64 {
    store.setting(LAST_SEEN).await.ok().flatten().and_then(|v| v.parse().ok()).unwrap_or(0)
}

async fn hand_over(store: &LocalStore, deliver: &Deliver, n: &Notification) {
    if n.id <= last_seen(store).await {
        return;
    }
    deliver(n);
    if let Err(e) = store.set_setting(LAST_SEEN, Some(&n.id.to_string())).await {
        tracing::warn!(error = %e, "could not remember the last notification");
    }
}

/// One connection: catch up, then stream until it drops or the session changes.
async fn session(
    client: &BackendClient,
    store: &LocalStore,
    deliver: &Deliver,
    token: &str,
    session_changed: &Notify,
) -> anyhow::Result<()> {
    let url = format!("{}/api/ws", client.base().replacen("http", "ws", 1));
    let mut request = url.into_client_request()?;
    request.headers_mut().insert("sec-websocket-protocol", HeaderValue::from_str(&format!("bearer, {token}"))?);
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    // Connected first, then caught up: anything that happens in between arrives on the socket
    // and is dropped as already seen if the catch-up also returned it.
    for n in client.notifications_after(last_seen(store).await).await? {
        hand_over(store, deliver, &n).await;
    }
    loop {
        tokio::select! {
            msg = socket.next() => match msg {
                Some(Ok(Message::Text(text))) => {
                    if let Ok(n) = serde_json::from_str::<Notification>(&text) {
                        hand_over(store, deliver, &n).await;
                    }
                }
                Some(Ok(Message::Close(_))) | None => anyhow::bail!("the server closed the connection"),
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e.into()),
            },
            _ = session_changed.notified() => return Ok(()),
        }
    }
}
