//! What a push service double took, in order, and a wait for it: shared by the Web Push,
//! Firebase and APNs doubles.

use std::sync::Mutex;
use tokio::sync::Notify;

/// The items a double took, in order.
pub(crate) struct Taken<T> {
    items: Mutex<Vec<T>>,
    arrived: Notify,
}

impl<T> Default for Taken<T> {
    fn default() -> Self {
        Taken { items: Mutex::new(Vec::new()), arrived: Notify::new() }
    }
}

impl<T: Clone> Taken<T> {
    fn items(&self) -> std::sync::MutexGuard<'_, Vec<T>> {
        self.items.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds one and wakes whoever waits; the number taken so far.
    pub(crate) fn push(&self, item: T) -> usize {
        let count = {
            let mut items = self.items();
            items.push(item);
            items.len()
        };
        self.arrived.notify_waiters();
        count
    }

    /// How many were taken.
    pub(crate) fn len(&self) -> usize {
        self.items().len()
    }

    /// Every one taken, in order.
    pub(crate) fn all(&self) -> Vec<T> {
        self.items().clone()
    }

    /// Waits until at least `count` were taken (the caller bounds the wait); then all of them.
    pub(crate) async fn wait_for(&self, count: usize) -> Vec<T> {
        loop {
            // Registered before the check, so a push in between still wakes it.
            let arrived = self.arrived.notified();
            if self.len() >= count {
                return self.all();
            }
            arrived.await;
        }
    }
}
