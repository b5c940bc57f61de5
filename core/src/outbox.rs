//! The offline booking outbox: its states and the rules of sending what waits, shared by the
//! app (which keeps its outbox in SQLite) and the web UI (which keeps the browser's in
//! IndexedDB), so that a booking made offline fares the same on both.
//!
//! The rules: requests go out oldest first, each under its own id as the idempotency key, so a
//! replay after a lost answer never books twice. What an answer means is [`Verdict::of`]. A
//! request that may yet go waits [`Backoff::delay`] and holds back those after it (the network
//! is down; order is kept). A request older than [`MAX_AGE_DAYS`] expires.

use crate::ErrorCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How long a request may wait on the device before it expires.
pub const MAX_AGE_DAYS: i64 = 7;

/// Free driveways offered after a conflict.
pub const ALTERNATIVES: usize = 3;

/// How far from the taken driveway free ones are looked for, in metres.
pub const ALTERNATIVES_WITHIN_M: u32 = 3_000;

/// What an expired request says.
pub const EXPIRED: &str = "this booking request was saved more than 7 days ago and has expired; please book again";

/// True when a request saved at `created_at` is too old to send at `now`.
pub fn is_expired(created_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now - created_at > chrono::Duration::days(MAX_AGE_DAYS)
}

/// What the server's answer to a sent request means for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The booking exists (made now, or by an earlier send whose answer was lost).
    Booked,
    /// The slot was taken or closed meanwhile: the driver chooses again.
    Conflict,
    /// No answer, too many requests or a server error: it waits and goes again.
    Retry,
    /// Refused for good, with the server's sentence.
    Refused,
}

impl Verdict {
    /// The verdict on an answer with HTTP `status` and API error `code`; no status means no
    /// answer came (no network, a timeout).
    pub fn of(status: Option<u16>, code: Option<ErrorCode>) -> Verdict {
        match (status, code) {
            (None, _) => Verdict::Retry,
            (Some(200..=299), _) => Verdict::Booked,
            (_, Some(ErrorCode::SlotTaken | ErrorCode::Unavailable)) => Verdict::Conflict,
            (Some(429 | 500..), _) => Verdict::Retry,
            _ => Verdict::Refused,
        }
    }

    /// The state the request is in after it.
    pub fn state(self) -> OutboxState {
        match self {
            Verdict::Booked => OutboxState::Synced,
            Verdict::Conflict => OutboxState::Conflict,
            Verdict::Retry => OutboxState::Queued,
            Verdict::Refused => OutboxState::Failed,
        }
    }
}

/// Retry timing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The first retry's delay.
    pub base: std::time::Duration,
    /// The longest delay.
    pub max: std::time::Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { base: std::time::Duration::from_secs(2), max: std::time::Duration::from_secs(5 * 60) }
    }
}

impl Backoff {
    /// The delay before attempt `attempts + 1`: doubling from `base`, capped at `max`, times
    /// `jitter` (the caller's random draw in 0.5..1.5), so that many phones coming back online
    /// do not retry in step.
    pub fn delay(&self, attempts: i64, jitter: f64) -> chrono::Duration {
        let exp = self.base.as_millis() as f64 * 2f64.powi(attempts.clamp(0, 30) as i32);
        let capped = exp.min(self.max.as_millis() as f64);
        chrono::Duration::milliseconds((capped * jitter.clamp(0.5, 1.5)).min(self.max.as_millis() as f64) as i64)
    }
}

/// Where a booking request made on the device stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutboxState {
    /// Waiting for the network.
    Queued,
    /// Being sent right now.
    Syncing,
    /// The server created the booking.
    Synced,
    /// The slot was taken (or closed) meanwhile.
    Conflict,
    /// The server refused it for another reason.
    Failed,
    /// Too old to send.
    Expired,
    /// The driver cancelled it before it was sent.
    Cancelled,
}

impl OutboxState {
    /// Every state, in the order a request usually passes through them.
    pub const ALL: [OutboxState; 7] = [
        OutboxState::Queued,
        OutboxState::Syncing,
        OutboxState::Synced,
        OutboxState::Conflict,
        OutboxState::Failed,
        OutboxState::Expired,
        OutboxState::Cancelled,
    ];

    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxState::Queued => "queued",
            OutboxState::Syncing => "syncing",
            OutboxState::Synced => "synced",
            OutboxState::Conflict => "conflict",
            OutboxState::Failed => "failed",
            OutboxState::Expired => "expired",
            OutboxState::Cancelled => "cancelled",
        }
    }

    /// The state named `s`, if any.
    pub fn parse(s: &str) -> Option<OutboxState> {
        OutboxState::ALL.into_iter().find(|state| state.as_str() == s)
    }

    /// True while the request may still reach the server.
    pub fn is_open(self) -> bool {
        matches!(self, OutboxState::Queued | OutboxState::Syncing)
    }

    /// True when the driver may still withdraw it: only before it is being sent, because a
    /// request on the wire may already have booked.
    pub fn can_cancel(self) -> bool {
        self == OutboxState::Queued
    }

    /// True when the driver needs to act (book elsewhere or again).
    pub fn needs_attention(self) -> bool {
        matches!(self, OutboxState::Conflict | OutboxState::Failed | OutboxState::Expired)
    }

    /// A few words for a badge.
    pub fn label(self) -> &'static str {
        match self {
            OutboxState::Queued => "Saved offline",
            OutboxState::Syncing => "Sending…",
            OutboxState::Synced => "Booked",
            OutboxState::Conflict => "Slot taken",
            OutboxState::Failed => "Not booked",
            OutboxState::Expired => "Expired",
            OutboxState::Cancelled => "Cancelled",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_text_and_json() {
        for state in OutboxState::ALL {
            assert_eq!(OutboxState::parse(state.as_str()), Some(state));
            let json = serde_json::to_string(&state).expect("json");
            assert_eq!(json, format!("\"{}\"", state.as_str()));
        }
        assert_eq!(OutboxState::parse("booked"), None);
    }

    #[test]
    fn answers_decide_the_state() {
        assert_eq!(Verdict::of(Some(201), None).state(), OutboxState::Synced);
        assert_eq!(Verdict::of(Some(409), Some(ErrorCode::SlotTaken)), Verdict::Conflict);
        assert_eq!(Verdict::of(Some(409), Some(ErrorCode::Unavailable)), Verdict::Conflict);
        for status in [429, 500, 502, 503] {
            assert_eq!(Verdict::of(Some(status), Some(ErrorCode::Internal)), Verdict::Retry, "{status}");
        }
        assert_eq!(Verdict::of(None, None).state(), OutboxState::Queued);
        assert_eq!(Verdict::of(Some(404), Some(ErrorCode::NotFound)).state(), OutboxState::Failed);
        assert_eq!(Verdict::of(Some(400), Some(ErrorCode::ValidationFailed)), Verdict::Refused);
    }

    #[test]
    fn retries_back_off_within_bounds_and_requests_expire_after_a_week() {
        let b = Backoff::default();
        assert_eq!(b.delay(0, 1.0).num_seconds(), 2);
        assert_eq!(b.delay(3, 1.0).num_seconds(), 16);
        assert_eq!(b.delay(30, 1.5).num_seconds(), 300, "capped at the maximum");
        assert_eq!(b.delay(0, 0.0).num_milliseconds(), 1_000, "jitter is at least half");
        let saved = Utc::now();
        assert!(!is_expired(saved, saved + chrono::Duration::days(MAX_AGE_DAYS)));
        assert!(is_expired(saved, saved + chrono::Duration::days(MAX_AGE_DAYS) + chrono::Duration::seconds(1)));
    }

    #[test]
    fn only_a_queued_request_can_be_withdrawn() {
        let cancellable: Vec<_> = OutboxState::ALL.into_iter().filter(|s| s.can_cancel()).collect();
        assert_eq!(cancellable, vec![OutboxState::Queued]);
        assert!(OutboxState::Syncing.is_open() && !OutboxState::Syncing.can_cancel());
        assert!(!OutboxState::Synced.is_open() && !OutboxState::Synced.needs_attention());
        assert!(OutboxState::Conflict.needs_attention());
    }
}
