//! Live fan-out of notifications to the clients connected right now.
//!
//! The inbox table is the source of truth; the hub only makes delivery immediate. A client
//! that misses a message (not connected, or too slow and disconnected) catches up with
//! `GET /api/notifications?after=`.
//!
//! Each connection registers a small bounded queue under its user. Publishing serialises the
//! notification once and offers it to that user's queues only, so a message costs nothing for
//! the thousands of other connections. A queue that is full belongs to a client that is not
//! keeping up: it is dropped, which closes that connection, and the server's memory stays flat.

/// Fan-out across instances through PostgreSQL's LISTEN/NOTIFY.
pub mod postgres;

use crate::store::notifications::Notice;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;
use uuid::Uuid;

/// Messages waiting for one connection before it counts as too slow.
pub const QUEUE_PER_CONNECTION: usize = 32;

/// Where published notices go. The in-process implementation delivers to this server's
/// connections; a multi-instance deployment replaces it with one that fans out through the
/// database (every instance then delivers to its own connections).
pub trait Fanout: Send + Sync + std::fmt::Debug {
    /// Sends `notice` towards every connection of its user.
    fn publish(&self, notice: &Notice);
}

/// What a connection's queue carries.
#[derive(Debug, Clone)]
pub enum Delivery {
    /// A notification, serialised once for every connection of its user.
    Message(Arc<str>),
    /// The connection's session ended (sign-out, password change): close it.
    SessionEnded,
}

/// One connection: the id it is removed by, its session, its queue.
type Conn = (u64, Uuid, mpsc::Sender<Delivery>);

/// The connections of this process, by user.
#[derive(Debug, Default)]
pub struct Registry {
    by_user: Mutex<HashMap<Uuid, Vec<Conn>>>,
    next_id: AtomicU64,
}

impl Registry {
    /// Offers `notice` to each of its user's connections; drops the ones that are full.
    pub fn deliver(&self, notice: &Notice) {
        let Ok(json) = serde_json::to_string(&notice.notification) else { return };
        let json: Arc<str> = json.into();
        let mut by_user = self.by_user.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(conns) = by_user.get_mut(&notice.user) {
            conns.retain(|(_, _, tx)| tx.try_send(Delivery::Message(json.clone())).is_ok());
            if conns.is_empty() {
                by_user.remove(&notice.user);
            }
        }
    }

    /// Number of open connections (for metrics and tests).
    pub fn connections(&self) -> usize {
        self.by_user.lock().unwrap_or_else(|e| e.into_inner()).values().map(Vec::len).sum()
    }

    /// Closes this process's connections of `user` that belong to one of `sessions`.
    pub fn end_sessions(&self, user: Uuid, sessions: &[Uuid]) {
        let mut by_user = self.by_user.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(conns) = by_user.get_mut(&user) {
            conns.retain(|(_, session, tx)| {
                let ended = sessions.contains(session);
                if ended {
                    // A full queue closes the connection anyway.
                    let _ = tx.try_send(Delivery::SessionEnded);
                }
                !ended
            });
            if conns.is_empty() {
                by_user.remove(&user);
            }
        }
    }

    fn remove(&self, user: Uuid, id: u64) {
        let mut by_user = self.by_user.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(conns) = by_user.get_mut(&user) {
            conns.retain(|(i, _, _)| *i != id);
            if conns.is_empty() {
                by_user.remove(&user);
            }
        }
    }
}

/// Delivers straight to this process's connections.
#[derive(Debug)]
pub struct LocalFanout(pub Arc<Registry>);

impl Fanout for LocalFanout {
    fn publish(&self, notice: &Notice) {
        self.0.deliver(notice);
    }
}

/// The hub: publish notices, subscribe connections.
#[derive(Debug, Clone)]
pub struct Hub {
    registry: Arc<Registry>,
    fanout: Arc<dyn Fanout>,
}

impl Default for Hub {
    fn default() -> Self {
        let registry = Arc::new(Registry::default());
        Hub { fanout: Arc::new(LocalFanout(registry.clone())), registry }
    }
}

impl Hub {
    /// A hub whose notices travel through `fanout` (which must deliver to `registry`).
    pub fn with_fanout(registry: Arc<Registry>, fanout: Arc<dyn Fanout>) -> Hub {
        Hub { registry, fanout }
    }

    /// Sends a committed notice towards its user's connections.
    pub fn publish(&self, notice: Notice) {
        self.fanout.publish(&notice);
    }

    /// Closes the connections of `user`'s ended `sessions` on this instance (the others notice
    /// when they next check the session, at their next ping).
    pub fn end_sessions(&self, user: Uuid, sessions: &[Uuid]) {
        self.registry.end_sessions(user, sessions);
    }

    /// Registers a connection of `user` in `session`.
    pub fn subscribe(&self, user: Uuid, session: Uuid) -> Subscription {
        let id = self.registry.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(QUEUE_PER_CONNECTION);
        let mut by_user = self.registry.by_user.lock().unwrap_or_else(|e| e.into_inner());
        by_user.entry(user).or_default().push((id, session, tx));
        Subscription { id, user, rx, registry: self.registry.clone() }
    }

    /// This process's connections.
    pub fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }
}

/// One connection's queue; leaving the registry when dropped.
#[derive(Debug)]
pub struct Subscription {
    id: u64,
    user: Uuid,
    rx: mpsc::Receiver<Delivery>,
    registry: Arc<Registry>,
}

impl Subscription {
    /// The next delivery, or `None` once the hub dropped this connection for being too slow.
    pub async fn next(&mut self) -> Option<Delivery> {
        self.rx.recv().await
    }

    /// The user this connection belongs to.
    pub fn user(&self) -> Uuid {
        self.user
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.registry.remove(self.user, self.id);
    }
}
