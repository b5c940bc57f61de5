//! Keeps a WebSocket open to the server while someone is signed in, and hands every
//! notification to `deliver` exactly once: after each (re)connection it first catches up from
//! the inbox (`GET /api/notifications?after=`), and it remembers the ids it delivered, so a
//! message is neither missed nor shown twice across reconnections and restarts.
//!
//! Ids are not a perfect clock: on PostgreSQL two transactions can take ids 10 and 11 and commit
//! 11 first. So the app remembers the last [`WINDOW`] ids it delivered rather than only the
//! highest, accepts a lower id it has not seen, and catches up from the oldest id it remembers.

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

/// Where the delivered ids are kept (comma-separated, oldest first); written once the first
/// connection has caught up.
pub const SEEN: &str = "seen_notification_ids";
/// How many delivered ids are remembered.
pub const WINDOW: usize = 200;

/// The ids delivered lately.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seen(Vec<i64>);

impl Seen {
    /// Reads the stored form; anything unreadable is skipped.
    pub fn parse(text: &str) -> Seen {
        let mut ids: Vec<i64> = text.split(',').filter_map(|id| id.trim().parse().ok()).collect();
        ids.sort_unstable();
        ids.dedup();
        Seen(ids)
    }

    /// The stored form.
    pub fn text(&self) -> String {
        self.0.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
    }

    /// Where a catch-up starts: just before the oldest id remembered, so an id that committed
    /// late within the window is fetched too (the ones already delivered are skipped).
    pub fn catch_up_after(&self) -> i64 {
        self.0.first().map_or(0, |oldest| oldest - 1)
    }

    /// Records `id`; false when it was delivered already or is older than anything the window
    /// still covers (a full window forgets its oldest ids, and anything below them counts as
    /// seen, as with a single high-water mark).
    pub fn insert(&mut self, id: i64) -> bool {
        if self.0.len() >= WINDOW && self.0.first().is_some_and(|oldest| id < *oldest) {
            return false;
        }
        match self.0.binary_search(&id) {
            Ok(_) => false,
            Err(at) => {
                self.0.insert(at, id);
                let extra = self.0.len().saturating_sub(WINDOW);
                self.0.drain(..extra);
                true
            }
        }
    }
}

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

/// What earlier versions kept instead: only the highest id delivered.
const LEGACY_LAST_SEEN: &str = "last_notification_id";

/// The ids delivered on this device, or `None` before its first connection.
async fn remembered(store: &LocalStore) -> Option<Seen> {
    if let Ok(Some(text)) = store.setting(SEEN).await {
        return Some(Seen::parse(&text));
    }
    // Upgraded from a version that kept the highest id: start from it rather than from 0,
    // which would show the whole inbox again.
    store.setting(LEGACY_LAST_SEEN).await.ok().flatten().map(|v| Seen::parse(&v))
}

async fn hand_over(store: &LocalStore, deliver: &Deliver, n: &Notification) {
    let mut seen = remembered(store).await.unwrap_or_default();
    if !seen.insert(n.id) {
        return;
    }
    deliver(n);
    if let Err(e) = store.set_setting(SEEN, Some(&seen.text())).await {
        tracing::warn!(error = %e, "could not remember the delivered notifications");
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
    let known = remembered(store).await;
    let inbox = client.notifications_after(known.as_ref().map_or(0, Seen::catch_up_after)).await?;
    if known.is_none() {
        // The first connection on this device: the inbox so far is history (the UI's bell
        // lists it), not news to pop up; only what arrives from now on is shown.
        let mut history = Seen::default();
        for n in &inbox {
            history.insert(n.id);
        }
        store.set_setting(SEEN, Some(&history.text())).await?;
    } else {
        for n in inbox {
            hand_over(store, deliver, &n).await;
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_late_lower_id_is_delivered_once() {
        let mut seen = Seen::default();
        assert!(seen.insert(11));
        assert!(seen.insert(10), "committed after 11, still new");
        assert!(!seen.insert(10) && !seen.insert(11), "never twice");
        assert_eq!(seen.catch_up_after(), 9);
        assert_eq!(Seen::parse(&seen.text()), seen);
        assert_eq!(Seen::parse("3, x,1,3"), Seen(vec![1, 3]));
        assert_eq!(Seen::default().catch_up_after(), 0);
    }

    #[test]
    fn the_window_keeps_the_newest_ids() {
        let mut seen = Seen::default();
        for id in 1..=(WINDOW as i64 + 50) {
            assert!(seen.insert(id));
        }
        assert_eq!(seen.0.len(), WINDOW);
        assert_eq!(seen.catch_up_after(), 50);
        assert!(!seen.insert(3), "older than the window: counted as seen");
        assert!(!seen.insert(WINDOW as i64 + 50));
    }
}
