//! What every request handler can reach.

use crate::auth::{AuthRateLimit, PasswordHasher, TokenKeys};
use crate::clock::Clock;
use crate::config::Config;
use crate::hub::Hub;
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
    /// "Now".
    pub clock: Clock,
    /// Live notification fan-out.
    pub hub: Hub,
    /// The configuration it started with.
    pub config: Arc<Config>,
}

impl AppState {
    /// Pushes committed notifications to connected clients. Call only after the commit: the
    /// inbox row is the truth, this is the fast path.
    pub fn publish(&self, notices: Vec<Notice>) {
        for notice in notices {
            self.hub.publish(notice);
        }
    }
}
