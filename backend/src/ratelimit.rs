//! Token buckets refilled over a minute, per key: login and register attempts per client
//! address (so that passwords cannot be guessed quickly), messages per sender (so that nobody
//! floods a thread). On SQLite a bucket is counted in this process; on PostgreSQL in the
//! database, so that the limit holds across every instance.

use crate::error::AppError;
use crate::store::PostgresStore;
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::fmt::Display;
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

/// Login and register attempts per client address.
pub type AuthRateLimit = RateLimit<IpAddr>;

/// Messages per sender.
pub type MessageRateLimit = RateLimit<uuid::Uuid>;

/// A bucket per key of `K`.
#[derive(Clone)]
pub struct RateLimit<K: Hash + Eq + Clone>(Limit<K>);

#[derive(Clone)]
enum Limit<K: Hash + Eq + Clone> {
    /// No limit (load tests).
    Off,
    /// Counted in this process: enough for one instance (SQLite).
    Local(Arc<DefaultKeyedRateLimiter<K>>),
    /// Counted in the database, under `prefix` + the key, so the limit holds across every
    /// instance (PostgreSQL).
    Shared { store: PostgresStore, per_minute: NonZeroU32, prefix: &'static str },
}

impl<K: Hash + Eq + Clone> std::fmt::Debug for RateLimit<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.0 {
            Limit::Off => "RateLimit(off)",
            Limit::Local(_) => "RateLimit(local)",
            Limit::Shared { .. } => "RateLimit(shared)",
        })
    }
}

impl<K: Hash + Eq + Clone + Display> RateLimit<K> {
    /// `per_minute` per key, counted in this process; 0 turns the limit off.
    pub fn new(per_minute: u32) -> RateLimit<K> {
        match NonZeroU32::new(per_minute) {
            None => RateLimit(Limit::Off),
            Some(n) => RateLimit(Limit::Local(Arc::new(RateLimiter::keyed(Quota::per_minute(n))))),
        }
    }

    /// `per_minute` per key, counted in the store's database under `prefix` (distinct per use,
    /// so two limits never share a bucket) so that every instance sharing it shares the limit;
    /// 0 turns the limit off.
    pub fn shared(store: PostgresStore, per_minute: u32, prefix: &'static str) -> RateLimit<K> {
        match NonZeroU32::new(per_minute) {
            None => RateLimit(Limit::Off),
            Some(per_minute) => RateLimit(Limit::Shared { store, per_minute, prefix }),
        }
    }

    /// Takes one from `key`'s bucket, or says how long to wait.
    pub async fn check(&self, key: K) -> Result<(), AppError> {
        match &self.0 {
            Limit::Off => Ok(()),
            Limit::Local(limiter) => limiter.check_key(&key).map_err(|not_until| {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                AppError::RateLimited(wait.as_secs().max(1))
            }),
            Limit::Shared { store, per_minute, prefix } => {
                match store.take_attempt(&format!("{prefix}{key}"), *per_minute).await? {
                    None => Ok(()),
                    Some(wait) => Err(AppError::RateLimited(wait.max(1))),
                }
            }
        }
    }

    /// Forgets addresses whose buckets are full again, so memory stays bounded. (The shared
    /// limit's rows are cleaned up by the background jobs.)
    pub fn forget_idle(&self) {
        if let Limit::Local(limiter) = &self.0 {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}
