//! The offline booking outbox's states, shared by the app that keeps the outbox and the UI
//! that shows it.

use serde::{Deserialize, Serialize};

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
    fn only_a_queued_request_can_be_withdrawn() {
        let cancellable: Vec<_> = OutboxState::ALL.into_iter().filter(|s| s.can_cancel()).collect();
        assert_eq!(cancellable, vec![OutboxState::Queued]);
        assert!(OutboxState::Syncing.is_open() && !OutboxState::Syncing.can_cancel());
        assert!(!OutboxState::Synced.is_open() && !OutboxState::Synced.needs_attention());
        assert!(OutboxState::Conflict.needs_attention());
    }
}
