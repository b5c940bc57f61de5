//! What every request handler can reach.

use crate::auth::{PasswordHasher, TokenKeys};
use crate::clock::Clock;
use crate::config::Config;
use crate::hub::Hub;
use crate::payments::Provider;
use crate::ratelimit::{AuthRateLimit, MessageRateLimit};
use crate::store::Store;
use crate::store::notifications::Notice;
use std::sync::Arc;

/// Shared, cheaply cloned application state.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// Session tokens.
    pub tokens: TokenKeys,
    /// Password hashing.
    pub hasher: PasswordHasher,
    /// Login and register attempts per address.
    pub auth_limit: AuthRateLimit,
    /// Messages per sender and minute.
    pub message_limit: MessageRateLimit,
    /// "Now".
    pub clock: Clock,
    /// Live notification fan-out.
    pub hub: Hub,
    /// The payment provider (Stripe, or simulated without a key).
    pub payments: Provider,
    /// Who pays owners (Stripe Connect, or simulated without a key).
    pub connect: crate::payments::connect::Connect,
    /// Photo files.
    pub media: crate::media::Media,
    /// Photo decoding is CPU work: at most one at a time per CPU, so uploads never starve
    /// the requests beside them.
    pub image_work: Arc<tokio::sync::Semaphore>,
    /// Photo uploads being read; see `Config::max_photo_uploads`.
    pub upload_slots: Arc<tokio::sync::Semaphore>,
    /// Every live driveway's position, for the map's clusters.
    pub clusters: crate::clusters::Clusters,
    /// Place search and time zones.
    pub places: crate::places::Places,
    /// The push services.
    pub push: crate::push::Push,
    /// Woken when notifications are published, so their pushes go at once.
    pub push_wake: Arc<tokio::sync::Notify>,
    /// The configuration it started with.
    pub config: Arc<Config>,
}

impl AppState {
    /// Pushes committed notifications to connected clients. Call only after the commit: the
    /// inbox row is the truth, this is the fast path.
    pub fn publish(&self, notices: Vec<Notice>) {
        if !notices.is_empty() {
            self.push_wake.notify_one();
        }
        for notice in notices {
            self.hub.publish(notice);
        }
    }
}

impl AppState {
    /// Settles what a change left owed to `intent` (if any) and publishes what that caused.
    /// Failures stay owed in the database and are retried by the background job.
    pub async fn settle(&self, intent: Option<String>) {
        let Some(intent) = intent else { return };
        match crate::payments::settle::settle(&self.store, &self.payments, &intent, self.clock.now()).await {
            Ok(notices) => self.publish(notices),
            Err(e) => tracing::warn!(error = %e, "settling a payment failed; will retry"),
        }
    }
}
