use crate::error::AppError;
use crate::store::PostgresStore;
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

/// Limits login and register attempts per client address (a token bucket refilled over a
/// minute), so that passwords cannot be guessed quickly.
#[derive(Clone)]
pub struct AuthRateLimit(Limit);

#[derive(Clone)]
enum Limit {
    /// No limit (load tests).
    Off,
    /// Counted in this process: enough for one instance (SQLite).
    Local(Arc<DefaultKeyedRateLimiter<IpAddr>>),
    /// Counted in the database, so the limit holds across every instance (PostgreSQL).
    Shared { store: PostgresStore, per_minute: NonZeroU32 },
}

impl std::fmt::Debug for AuthRateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.0 {
            Limit::Off => "AuthRateLimit(off)",
            Limit::Local(_) => "AuthRateLimit(local)",
            Limit::Shared { .. } => "AuthRateLimit(shared)",
        })
    }
}

impl AuthRateLimit {
    /// `per_minute` attempts per address, counted in this process; 0 turns the limit off.
    pub fn new(per_minute: u32) -> AuthRateLimit {
        match NonZeroU32::new(per_minute) {
            None => AuthRateLimit(Limit::Off),
            Some(n) => AuthRateLimit(Limit::Local(Arc::new(RateLimiter::keyed(Quota::per_minute(n))))),
        }
    }

    /// `per_minute` attempts per address, counted in the store's database so that every
    /// instance sharing it shares the limit; 0 turns the limit off.
    pub fn shared(store: PostgresStore, per_minute: u32) -> AuthRateLimit {
        match NonZeroU32::new(per_minute) {
            None => AuthRateLimit(Limit::Off),
            Some(per_minute) => AuthRateLimit(Limit::Shared { store, per_minute }),
        }
    }

    /// Takes one attempt for `addr`, or says how long to wait.
    pub async fn check(&self, addr: IpAddr) -> Result<(), AppError> {
        match &self.0 {
            Limit::Off => Ok(()),
            Limit::Local(limiter) => limiter.check_key(&addr).map_err(|not_until| {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                AppError::RateLimited(wait.as_secs().max(1))
            }),
            Limit::Shared { store, per_minute } => match store.take_attempt(&addr.to_string(), *per_minute).await? {
                None => Ok(()),
                Some(wait) => Err(AppError::RateLimited(wait.max(1))),
            },
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
