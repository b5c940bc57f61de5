//! The sync worker: replays the outbox when the network is back.
//!
//! Items go out in the order they were made, each with its client id as the idempotency key,
//! so a replay after a lost answer or a crash never books twice. Network errors, timeouts, 429
//! and 5xx are retried with exponential backoff and jitter; the first such error ends the pass
//! (the network is down; order is kept). `409 slot_taken`/`unavailable` make the item a
//! conflict, with free driveways nearby for the same slot; any other refusal fails it with the
//! server's sentence. Items older than a week expire. While nobody is signed in, items wait.
//! A pass never runs twice at once.
//!
//! Messages written offline (see [`crate::replies`]) go out after the bookings, by the same
//! rules, except that a refused message simply stays refused, with its words, for its writer.

use crate::client::BackendClient;
use crate::error::Error;
use crate::local::{LocalStore, OutboxItem, OutboxState};
use crate::replies::Reply;
use chrono::{DateTime, Duration, Utc};
use parkway_core::outbox::{self, Verdict};
use parkway_core::slot::TimeSlot;
use rand::Rng;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::{Mutex, Notify};

// The rules of sending live in `parkway_core::outbox`, shared with the web UI's outbox.
pub use parkway_core::outbox::{ALTERNATIVES, Backoff, MAX_AGE_DAYS};

/// The delay before an item's next attempt, with fresh jitter.
fn retry_delay(backoff: &Backoff, attempts: i64) -> Duration {
    backoff.delay(attempts, rand::rng().random_range(0.5..1.5))
}

/// What a pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PassReport {
    /// Items booked on the server.
    pub synced: usize,
    /// Items whose slot was taken.
    pub conflicts: usize,
    /// Items refused otherwise.
    pub failed: usize,
    /// Items that expired.
    pub expired: usize,
    /// Items left for a later attempt.
    pub waiting: usize,
    /// True when another pass was already running, so this one did nothing.
    pub skipped: bool,
}

/// What changed in the outbox.
#[derive(Debug, Clone, Copy)]
pub enum Change<'a> {
    /// A booking request.
    Booking(&'a OutboxItem),
    /// A message (sent: it carries the server's copy).
    Reply(&'a Reply),
}

/// Receives every change of the outbox (the app forwards it to the UI as an event).
pub type Listener = Arc<dyn Fn(Change<'_>) + Send + Sync>;

/// The worker.
pub struct SyncWorker {
    store: LocalStore,
    client: BackendClient,
    backoff: Backoff,
    listener: Listener,
    running: Mutex<()>,
    wake: Notify,
    /// Set by [`SyncWorker::wake_now`]: the next pass sends even items still backing off.
    force: AtomicBool,
}

impl std::fmt::Debug for SyncWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncWorker").finish_non_exhaustive()
    }
}

impl SyncWorker {
    /// A worker over the app's store and client.
    pub fn new(store: LocalStore, client: BackendClient, backoff: Backoff, listener: Listener) -> Arc<SyncWorker> {
        Arc::new(SyncWorker {
            store,
            client,
            backoff,
            listener,
            running: Mutex::new(()),
            wake: Notify::new(),
            force: AtomicBool::new(false),
        })
    }

    /// Asks the background loop to run a pass now (new item, app resumed); items backing off
    /// wait for their time.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Asks for a pass that sends everything waiting now, backoff or not: the server was just
    /// reached, or the driver pressed "Try now".
    pub fn wake_now(&self) {
        self.force.store(true, Ordering::SeqCst);
        self.wake.notify_one();
    }

    async fn emit(&self, id: uuid::Uuid) {
        if let Ok(Some(item)) = self.store.item(id).await {
            (self.listener)(Change::Booking(&item));
        }
    }

    /// One pass over the outbox at `now`.
    pub async fn pass(&self, now: DateTime<Utc>) -> crate::error::Result<PassReport> {
        let Ok(_guard) = self.running.try_lock() else {
            return Ok(PassReport { skipped: true, ..PassReport::default() });
        };
        let force = self.force.swap(false, Ordering::SeqCst);
        let mut report = PassReport::default();
        // Signed out: the requests wait for the next sign-in rather than fail as unauthorised.
        // Signed out: the requests wait for their owner's next sign-in rather than fail as
        // unauthorised; nobody else's session ever sends them.
        let Some(user) = self.client.user() else {
            report.waiting = self.store.queued().await?;
            return Ok(report);
        };
        let mut network_down = false;
        for (item, due) in self.store.pending(user).await? {
            if outbox::is_expired(item.created_at, now) {
                if self
                    .store
                    .transition(item.id, &[OutboxState::Queued, OutboxState::Syncing], OutboxState::Syncing, now)
                    .await?
                {
                    self.store.finish(item.id, OutboxState::Expired, Some(outbox::EXPIRED), None, None, now).await?;
                    report.expired += 1;
                    self.emit(item.id).await;
                }
                continue;
            }
            if network_down || (due > now && !force) {
                report.waiting += 1;
                continue;
            }
            // Claim it; a cancellation that got there first wins.
            if !self
                .store
                .transition(item.id, &[OutboxState::Queued, OutboxState::Syncing], OutboxState::Syncing, now)
                .await?
            {
                continue;
            }
            self.emit(item.id).await;
            let answer = self.client.create_booking(&item.request, item.id).await;
            match (Error::verdict_of(&answer), answer) {
                (_, Ok(booking)) => {
                    self.store.finish(item.id, OutboxState::Synced, None, Some(&booking), None, now).await?;
                    self.store.cache_booking(user, &booking, None, now).await?;
                    report.synced += 1;
                }
                (Verdict::Conflict, Err(e)) => {
                    let alternatives = self.alternatives(&item).await;
                    self.store
                        .finish(item.id, OutboxState::Conflict, Some(&e.to_string()), None, alternatives.as_ref(), now)
                        .await?;
                    report.conflicts += 1;
                }
                (Verdict::Retry, Err(e)) => {
                    let next = now + retry_delay(&self.backoff, item.attempts);
                    self.store.retry_later(item.id, &e.to_string(), next, now).await?;
                    report.waiting += 1;
                    // Keep the order: nothing after this item goes out before it.
                    network_down = true;
                }
                (_, Err(e)) => {
                    self.store.finish(item.id, OutboxState::Failed, Some(&e.to_string()), None, None, now).await?;
                    report.failed += 1;
                }
            }
            self.emit(item.id).await;
        }
        if !network_down {
            self.send_replies(user, now, force, &mut report).await?;
        } else {
            report.waiting += self.store.pending_replies(user).await?.len();
        }
        Ok(report)
    }

    /// Sends the messages that wait, oldest first; the first that cannot go yet holds the rest
    /// back, so that the other side reads them in the order they were written.
    async fn send_replies(
        &self,
        user: uuid::Uuid,
        now: DateTime<Utc>,
        force: bool,
        report: &mut PassReport,
    ) -> crate::error::Result<()> {
        let mut held = false;
        for (reply, due) in self.store.pending_replies(user).await? {
            if outbox::is_expired(reply.created_at, now) {
                let why = "this message was written more than 7 days ago and was not sent";
                self.store.give_up_reply(reply.id, OutboxState::Expired, why, now).await?;
                report.expired += 1;
                self.emit_reply(reply.id).await;
                continue;
            }
            if held || (due > now && !force) || !self.store.claim_reply(reply.id, now).await? {
                report.waiting += 1;
                held = true;
                continue;
            }
            self.emit_reply(reply.id).await;
            match self.client.send_message(reply.booking_id, &reply.text, reply.id).await {
                Ok(message) => {
                    self.store.reply_sent(reply.id).await?;
                    report.synced += 1;
                    (self.listener)(Change::Reply(&Reply {
                        state: OutboxState::Synced,
                        attempts: reply.attempts + 1,
                        message: Some(message),
                        ..reply
                    }));
                    continue;
                }
                Err(e) if e.is_retryable() => {
                    let next = now + retry_delay(&self.backoff, reply.attempts);
                    self.store.retry_reply_later(reply.id, &e.to_string(), next, now).await?;
                    report.waiting += 1;
                    held = true;
                }
                Err(e) => {
                    self.store.give_up_reply(reply.id, OutboxState::Failed, &e.to_string(), now).await?;
                    report.failed += 1;
                }
            }
            self.emit_reply(reply.id).await;
        }
        Ok(())
    }

    async fn emit_reply(&self, id: uuid::Uuid) {
        if let Ok(Some(reply)) = self.store.reply(id).await {
            (self.listener)(Change::Reply(&reply));
        }
    }

    /// Up to three free driveways near the one that was taken, for the same slot.
    async fn alternatives(&self, item: &OutboxItem) -> Option<serde_json::Value> {
        let slot = TimeSlot::new(item.request.start_time, item.request.end_time).ok()?;
        let taken = self.client.driveway(item.request.driveway).await.ok()?;
        let found = self.client.free_near(taken.lat, taken.lng, &slot, ALTERNATIVES + 1).await.ok()?;
        let others: Vec<_> = found.into_iter().filter(|d| d.driveway.id != taken.id).take(ALTERNATIVES).collect();
        serde_json::to_value(others).ok()
    }

    /// Runs passes forever: at start (after requeueing what a crash left half-sent), whenever
    /// woken, and when the next retry is due (at least every `idle`).
    pub async fn run(self: Arc<Self>, idle: std::time::Duration) {
        if let Err(e) = self.store.requeue_interrupted().await {
            tracing::warn!(error = %e, "could not requeue interrupted outbox items");
        }
        loop {
            match self.pass(Utc::now()).await {
                Ok(report) if report.synced + report.conflicts + report.failed + report.expired > 0 => {
                    tracing::info!(?report, "outbox sync pass");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "outbox sync pass failed"),
            }
            let next_due = self.next_due().await.unwrap_or(idle).min(idle);
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(next_due) => {}
            }
        }
    }

    async fn next_due(&self) -> Option<std::time::Duration> {
        let user = self.client.user()?;
        let bookings = self.store.pending(user).await.ok()?;
        let replies = self.store.pending_replies(user).await.ok()?;
        let soonest = bookings.iter().map(|(_, due)| *due).chain(replies.iter().map(|(_, due)| *due)).min()?;
        Some((soonest - Utc::now()).to_std().unwrap_or_default())
    }
}
