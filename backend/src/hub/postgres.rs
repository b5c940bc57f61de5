//! Fan-out across server instances through PostgreSQL's LISTEN/NOTIFY.
//!
//! Publishing delivers to this instance's connections at once, as the local hub does, and sends
//! `NOTIFY parkway_notifications, '<json>'` for the others. Every instance runs one listener
//! task that delivers what other instances sent to its own connections, skipping its own
//! messages (it delivered those already). A NOTIFY payload must stay under 8000 bytes; a larger
//! notification travels as its id, and listeners read the row from the inbox.
//!
//! NOTIFY is best effort: messages sent while a listener is reconnecting are lost to it. That is
//! fine because the inbox table stays the source of truth: clients catch up with
//! `GET /api/notifications?after=` when they reconnect.

use super::{Fanout, Registry};
use crate::store::Store;
use crate::store::notifications::Notice;
use parkway_core::api::Notification;
use serde::{Deserialize, Serialize};
use sqlx::pool::PoolConnection;
use sqlx::postgres::PgListener;
use sqlx::{PgConnection, PgPool, Postgres};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use uuid::Uuid;

/// The channel every instance listens on.
pub const CHANNEL: &str = "parkway_notifications";
/// Largest payload sent whole; PostgreSQL refuses 8000 bytes and more.
const MAX_PAYLOAD: usize = 7900;
/// Most notices sent in one round trip.
const MAX_BATCH: usize = 256;
/// How long the sender keeps its connection with nothing to send.
const KEEP_IDLE: Duration = Duration::from_secs(5);
/// Longest pause between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// What travels through NOTIFY.
#[derive(Debug, Serialize, Deserialize)]
struct Message {
    /// The instance that published it.
    from: Uuid,
    /// Whose notification.
    user: Uuid,
    /// The notification, when it fits in a payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    notification: Option<Notification>,
    /// Its id, to read it from the inbox when it did not fit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<i64>,
}

impl Message {
    fn payload(from: Uuid, notice: &Notice) -> Option<String> {
        let whole = Message { from, user: notice.user, notification: Some(notice.notification.clone()), id: None };
        let json = serde_json::to_string(&whole).ok()?;
        if json.len() < MAX_PAYLOAD {
            return Some(json);
        }
        serde_json::to_string(&Message {
            from,
            user: notice.user,
            notification: None,
            id: Some(notice.notification.id),
        })
        .ok()
    }
}

/// Delivers locally and notifies the other instances.
#[derive(Debug)]
pub struct PgFanout {
    instance: Uuid,
    registry: Arc<Registry>,
    outbox: mpsc::UnboundedSender<String>,
}

impl Fanout for PgFanout {
    fn publish(&self, notice: &Notice) {
        self.registry.deliver(notice);
        if let Some(payload) = Message::payload(self.instance, notice) {
            // The sender task only stops when the database pool is closed, at shutdown.
            let _ = self.outbox.send(payload);
        }
    }
}

/// The fan-out and its two tasks (sending notifications, listening for the other instances').
#[derive(Debug)]
pub struct Started {
    /// What the hub publishes through.
    pub fanout: Arc<PgFanout>,
    /// Sends this instance's notifications.
    pub sender: JoinHandle<()>,
    /// Receives the other instances' notifications.
    pub listener: JoinHandle<()>,
}

/// Starts fanning out through `pool`; both tasks end once `stop` turns true or the pool closes.
pub fn start(store: Store, pool: PgPool, registry: Arc<Registry>, stop: watch::Receiver<bool>) -> Started {
    let instance = Uuid::new_v4();
    let (outbox, queue) = mpsc::unbounded_channel();
    let sender = tokio::spawn(send(pool.clone(), queue));
    let listener = tokio::spawn(listen(instance, store, pool, registry.clone(), stop));
    Started { fanout: Arc::new(PgFanout { instance, registry, outbox }), sender, listener }
}

/// Sends queued payloads in order, as many per round trip as are waiting, on a connection it
/// keeps while it has work: the pool makes a round trip each time it hands a connection out and
/// each time one comes back, twice as many as the notification's own.
async fn send(pool: PgPool, mut queue: mpsc::UnboundedReceiver<String>) {
    let mut kept: Option<PoolConnection<Postgres>> = None;
    loop {
        let first = if kept.is_none() {
            queue.recv().await
        } else {
            match tokio::time::timeout(KEEP_IDLE, queue.recv()).await {
                Ok(first) => first,
                Err(_) => {
                    // Idle: the connection goes back to the pool, whose checks apply again.
                    kept = None;
                    queue.recv().await
                }
            }
        };
        let Some(first) = first else { return };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let mut pause = Duration::from_millis(50);
        for attempt in 1..=3 {
            let sent = match kept.as_mut() {
                Some(conn) => notify(conn, &batch).await,
                None => match pool.acquire().await {
                    Ok(conn) => notify(kept.insert(conn), &batch).await,
                    Err(e) => Err(e),
                },
            };
            match sent {
                Ok(()) => break,
                Err(sqlx::Error::PoolClosed) => return,
                Err(e) => {
                    // The connection may be broken: close it rather than give it back.
                    if let Some(mut conn) = kept.take() {
                        conn.close_on_drop();
                    }
                    if attempt == 3 {
                        tracing::warn!(error = %e, lost = batch.len(), "could not notify the other instances; their clients will catch up from the inbox");
                    } else {
                        tracing::debug!(error = %e, "NOTIFY failed; retrying");
                        tokio::time::sleep(pause).await;
                        pause *= 2;
                    }
                }
            }
        }
    }
}

/// Sends `payloads` to the other instances in one statement.
async fn notify(conn: &mut PgConnection, payloads: &[String]) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_notify($1, payload) FROM UNNEST($2::text[]) AS payload")
        .bind(CHANNEL)
        .bind(payloads)
        .execute(conn)
        .await
        .map(|_| ())
}

/// Listens for the other instances' notifications and delivers them to this instance's
/// connections, reconnecting with backoff whenever the connection fails.
async fn listen(instance: Uuid, store: Store, pool: PgPool, registry: Arc<Registry>, mut stop: watch::Receiver<bool>) {
    let mut backoff = Duration::from_millis(100);
    loop {
        let connected = async {
            let mut listener = PgListener::connect_with(&pool).await?;
            listener.listen(CHANNEL).await?;
            Ok::<_, sqlx::Error>(listener)
        };
        let failure = match tokio::select! { c = connected => c, _ = stop.wait_for(|s| *s) => return } {
            Ok(mut listener) => {
                backoff = Duration::from_millis(100);
                loop {
                    let next = tokio::select! {
                        n = listener.try_recv() => n,
                        _ = stop.wait_for(|s| *s) => return,
                    };
                    match next {
                        Ok(Some(n)) => deliver(instance, &store, &registry, n.payload()).await,
                        // sqlx reconnects (and listens again) on the next call.
                        Ok(None) => tracing::warn!(
                            "lost the LISTEN connection; reconnecting (clients catch up on what was sent meanwhile)"
                        ),
                        Err(e) => break e,
                    }
                }
            }
            Err(e) => e,
        };
        if matches!(failure, sqlx::Error::PoolClosed) {
            return;
        }
        tracing::warn!(error = %failure, retry_in_ms = backoff.as_millis() as u64, "LISTEN failed; reconnecting");
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

async fn deliver(instance: Uuid, store: &Store, registry: &Registry, payload: &str) {
    let message: Message = match serde_json::from_str(payload) {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(error = %e, "ignoring a malformed notification message");
            return;
        }
    };
    if message.from == instance {
        return;
    }
    let notification = match (message.notification, message.id) {
        (Some(n), _) => n,
        (None, Some(id)) => match store.notification(message.user, id).await {
            Ok(Some(n)) => n,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, id, "could not read a notification to deliver");
                return;
            }
        },
        (None, None) => return,
    };
    registry.deliver(&Notice { user: message.user, notification });
    // Let connection tasks forward it before the next one: a burst for one user must not
    // overflow a queue its client is reading promptly.
    tokio::task::yield_now().await;
}
