//! The booking and payment state machines of the API contract.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Where a booking stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BookingStatus {
    /// Holds the slot; waiting for payment and, for request-to-book driveways, the owner.
    Pending,
    /// The owner (or instant book) accepted it.
    Confirmed,
    /// Cancelled by the driver or owner, declined, or expired. Frees the slot.
    Cancelled,
    /// The slot has ended.
    Completed,
}

/// What can happen to a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookingEvent {
    /// The owner accepted, or payment succeeded on an instant-book driveway.
    Confirm,
    /// Someone cancelled or declined, or the hold expired.
    Cancel,
    /// The slot ended.
    Complete,
}

/// A transition the state machine does not allow; maps to `409 invalid_transition`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a {from} booking cannot be {}", event_past(*.event))]
pub struct InvalidTransition {
    /// The state the booking was in.
    pub from: BookingStatus,
    /// What was attempted.
    pub event: BookingEvent,
}

fn event_past(e: BookingEvent) -> &'static str {
    match e {
        BookingEvent::Confirm => "confirmed",
        BookingEvent::Cancel => "cancelled",
        BookingEvent::Complete => "completed",
    }
}

impl BookingStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [BookingStatus; 4] =
        [BookingStatus::Pending, BookingStatus::Confirmed, BookingStatus::Cancelled, BookingStatus::Completed];

    /// pending → confirmed | cancelled; confirmed → completed | cancelled; nothing else.
    pub fn transition(self, event: BookingEvent) -> Result<BookingStatus, InvalidTransition> {
        use BookingEvent as E;
        use BookingStatus as S;
        match (self, event) {
            (S::Pending, E::Confirm) => Ok(S::Confirmed),
            (S::Pending | S::Confirmed, E::Cancel) => Ok(S::Cancelled),
            (S::Confirmed, E::Complete) => Ok(S::Completed),
            (from, event) => Err(InvalidTransition { from, event }),
        }
    }

    /// True while the booking holds its slot against other bookings.
    pub fn holds_slot(self) -> bool {
        matches!(self, BookingStatus::Pending | BookingStatus::Confirmed)
    }

    /// The lower-case name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            BookingStatus::Pending => "pending",
            BookingStatus::Confirmed => "confirmed",
            BookingStatus::Cancelled => "cancelled",
            BookingStatus::Completed => "completed",
        }
    }
}

impl fmt::Display for BookingStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status name that is not one of the four.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown status")]
pub struct UnknownStatus;

impl FromStr for BookingStatus {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, UnknownStatus> {
        BookingStatus::ALL.into_iter().find(|v| v.as_str() == s).ok_or(UnknownStatus)
    }
}

/// Where a booking's money stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PaymentStatus {
    /// Nothing collected yet (or only authorised).
    Pending,
    /// Collected.
    Paid,
    /// The last attempt failed; the driver may try another card.
    Failed,
    /// Given back, wholly or partly.
    Refunded,
}

/// What the payment provider reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentEvent {
    /// The money was collected.
    Succeeded,
    /// A card was authorised; the money is collected later (when the owner confirms).
    Authorized,
    /// An attempt failed.
    Failed,
    /// A refund went through.
    Refunded,
}

impl PaymentStatus {
    /// Every status.
    pub const ALL: [PaymentStatus; 4] =
        [PaymentStatus::Pending, PaymentStatus::Paid, PaymentStatus::Failed, PaymentStatus::Refunded];

    /// Payment states only move forward, so a duplicate or late event changes nothing:
    /// pending → paid | failed; failed → paid (another card), or back to pending when another
    /// card is authorised; paid → refunded. `None` means "ignore this event".
    pub fn apply(self, event: PaymentEvent) -> Option<PaymentStatus> {
        use PaymentEvent as E;
        use PaymentStatus as S;
        match (self, event) {
            (S::Pending | S::Failed, E::Succeeded) => Some(S::Paid),
            (S::Pending, E::Failed) => Some(S::Failed),
            (S::Failed, E::Authorized) => Some(S::Pending),
            (S::Paid, E::Refunded) => Some(S::Refunded),
            _ => None,
        }
    }

    /// The lower-case name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Pending => "pending",
            PaymentStatus::Paid => "paid",
            PaymentStatus::Failed => "failed",
            PaymentStatus::Refunded => "refunded",
        }
    }
}

impl fmt::Display for PaymentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PaymentStatus {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, UnknownStatus> {
        PaymentStatus::ALL.into_iter().find(|v| v.as_str() == s).ok_or(UnknownStatus)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn allowed_booking_transitions() {
        use BookingEvent as E;
        use BookingStatus as S;
        assert_eq!(S::Pending.transition(E::Confirm), Ok(S::Confirmed));
        assert_eq!(S::Pending.transition(E::Cancel), Ok(S::Cancelled));
        assert_eq!(S::Confirmed.transition(E::Complete), Ok(S::Completed));
        assert_eq!(S::Confirmed.transition(E::Cancel), Ok(S::Cancelled));
        assert!(S::Pending.transition(E::Complete).is_err());
        assert!(S::Confirmed.transition(E::Confirm).is_err());
        for e in [E::Confirm, E::Cancel, E::Complete] {
            assert!(S::Cancelled.transition(e).is_err());
            assert!(S::Completed.transition(e).is_err());
        }
        let err = S::Cancelled.transition(E::Cancel).expect_err("refused");
        assert_eq!(err.to_string(), "a cancelled booking cannot be cancelled");
    }

    #[test]
    fn names_round_trip() {
        for s in BookingStatus::ALL {
            assert_eq!(s.as_str().parse::<BookingStatus>(), Ok(s));
        }
        for s in PaymentStatus::ALL {
            assert_eq!(s.as_str().parse::<PaymentStatus>(), Ok(s));
        }
    }

    fn booking_event() -> impl Strategy<Value = BookingEvent> {
        prop_oneof![Just(BookingEvent::Confirm), Just(BookingEvent::Cancel), Just(BookingEvent::Complete)]
    }

    fn payment_event() -> impl Strategy<Value = PaymentEvent> {
        prop_oneof![
            Just(PaymentEvent::Succeeded),
            Just(PaymentEvent::Authorized),
            Just(PaymentEvent::Failed),
            Just(PaymentEvent::Refunded)
        ]
    }

    proptest! {
        #[test]
        fn terminal_booking_states_stay_terminal(events in proptest::collection::vec(booking_event(), 0..20)) {
            let mut s = BookingStatus::Pending;
            let mut ended = false;
            for e in events {
                if let Ok(next) = s.transition(e) {
                    prop_assert!(!ended);
                    s = next;
                }
                if matches!(s, BookingStatus::Cancelled | BookingStatus::Completed) { ended = true; }
            }
        }

        #[test]
        fn payment_events_are_idempotent(events in proptest::collection::vec(payment_event(), 0..20)) {
            // Applying each event twice in a row gives the same result as once.
            let mut once = PaymentStatus::Pending;
            let mut twice = PaymentStatus::Pending;
            for e in events {
                once = once.apply(e).unwrap_or(once);
                twice = twice.apply(e).unwrap_or(twice);
                twice = twice.apply(e).unwrap_or(twice);
                prop_assert_eq!(once, twice);
            }
        }

        #[test]
        fn refunded_is_final(events in proptest::collection::vec(payment_event(), 0..20)) {
            let mut s = PaymentStatus::Refunded;
            for e in events { s = s.apply(e).unwrap_or(s); }
            prop_assert_eq!(s, PaymentStatus::Refunded);
        }
    }
}
