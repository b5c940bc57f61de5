//! Live fan-out of notifications to the clients connected right now.
//!
//! The inbox table is the source of truth; the hub only makes delivery immediate. A client
//! that misses a message (not connected, too slow) catches up with `GET /api/notifications`.

use crate::store::notifications::Notice;
use parkway_core::api::Notification;
use std::sync::Arc;
use tokio::sync::broadcast;
use uuid::Uuid;

/// Capacity of the in-process channel; a receiver further behind than this is told it lagged.
const CAPACITY: usize = 4096;

/// Publishes notices to every subscriber in this process.
#[derive(Debug, Clone)]
pub struct Hub {
    tx: broadcast::Sender<Arc<Notice>>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub { tx: broadcast::channel(CAPACITY).0 }
    }
}

impl Hub {
    /// Sends a notice to current subscribers; nobody listening is fine.
    pub fn publish(&self, notice: Notice) {
        let _ = self.tx.send(Arc::new(notice));
    }

    /// A stream of every notice published from now on; the caller filters by user.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Notice>> {
        self.tx.subscribe()
    }
}

/// True when `notice` is for `user`.
pub fn is_for(notice: &Notice, user: Uuid) -> bool {
    notice.user == user
}

/// The notification inside a notice.
pub fn body(notice: &Notice) -> &Notification {
    &notice.notification
}
