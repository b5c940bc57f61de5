use crate::error::AppError;
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

/// Limits login and register attempts per client address (a token bucket refilled over a
/// minute), so that passwords cannot be guessed quickly. `None` inside means "no limit".
#[derive(Clone)]
pub struct AuthRateLimit(Option<Arc<DefaultKeyedRateLimiter<IpAddr>>>);

impl std::fmt::Debug for AuthRateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuthRateLimit")
    }
}

impl AuthRateLimit {
    /// `per_minute` attempts per address; 0 turns the limit off.
    pub fn new(per_minute: u32) -> AuthRateLimit {
        AuthRateLimit(NonZeroU32::new(per_minute).map(|n| Arc::new(RateLimiter::keyed(Quota::per_minute(n)))))
    }

    /// Takes one attempt for `addr`, or says how long to wait.
    pub fn check(&self, addr: IpAddr) -> Result<(), AppError> {
        let Some(limiter) = &self.0 else { return Ok(()) };
        limiter.check_key(&addr).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            AppError::RateLimited(wait.as_secs().max(1))
        })
    }

    /// Forgets addresses whose buckets are full again, so memory stays bounded.
    pub fn forget_idle(&self) {
        if let Some(limiter) = &self.0 {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}
