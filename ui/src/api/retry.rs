//! Retrying with backoff: network errors and 5xx answers only, a few times, waiting longer each
//! time. Writes are safe to retry because they carry an `Idempotency-Key`.

use super::ClientError;
use std::future::Future;
use std::time::Duration;

/// How often and how long to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The first wait.
    pub first: Duration,
    /// Each wait is this many times the previous one.
    pub factor: u32,
    /// Retries after the first attempt.
    pub retries: u32,
}

impl Backoff {
    /// 0.5 s, 1.5 s, 4.5 s: about six seconds before giving up.
    pub const STANDARD: Backoff = Backoff { first: Duration::from_millis(500), factor: 3, retries: 3 };

    /// The wait before retry number `retry` (0-based), or `None` when out of retries.
    pub fn delay(&self, retry: u32) -> Option<Duration> {
        (retry < self.retries).then(|| self.first * self.factor.saturating_pow(retry))
    }
}

/// Runs `attempt` until it succeeds, fails with an error not worth retrying, or retries run out.
pub async fn with_retries<T, F, Fut>(backoff: Backoff, mut attempt: F) -> Result<T, ClientError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ClientError>>,
{
    let mut retry = 0;
    loop {
        match attempt().await {
            Err(e) if e.is_retryable() => match backoff.delay(retry) {
                Some(wait) => {
                    crate::platform::sleep(wait).await;
                    retry += 1;
                }
                None => return Err(e),
            },
            done => return done,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn delays_grow_and_stop() {
        let b = Backoff::STANDARD;
        assert_eq!(b.delay(0), Some(Duration::from_millis(500)));
        assert_eq!(b.delay(1), Some(Duration::from_millis(1500)));
        assert_eq!(b.delay(2), Some(Duration::from_millis(4500)));
        assert_eq!(b.delay(3), None);
    }

    fn run(results: Vec<Result<u8, ClientError>>) -> (Result<u8, ClientError>, usize) {
        let calls = Cell::new(0);
        let out = futures::executor::block_on(with_retries(Backoff::STANDARD, || {
            let i = calls.get();
            calls.set(i + 1);
            let r = results.get(i).cloned().unwrap_or(Err(ClientError::Network));
            async move { r }
        }));
        (out, calls.get())
    }

    #[test]
    fn retries_network_errors_and_5xx_until_success() {
        let (out, calls) = run(vec![Err(ClientError::Network), Err(ClientError::from_answer(502, "")), Ok(7)]);
        assert_eq!(out, Ok(7));
        assert_eq!(calls, 3);
    }

    #[test]
    fn gives_up_after_the_last_retry() {
        let (out, calls) = run(vec![]);
        assert_eq!(out, Err(ClientError::Network));
        assert_eq!(calls, 4);
    }

    #[test]
    fn never_retries_a_4xx_answer() {
        let taken = ClientError::from_answer(409, r#"{"error":"slot_taken","message":"taken"}"#);
        let (out, calls) = run(vec![Err(taken.clone()), Ok(1)]);
        assert_eq!(out, Err(taken));
        assert_eq!(calls, 1);
    }
}
