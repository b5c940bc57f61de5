//! The cancellation policy: who gets how much back.
//!
//! Driver cancels at least 24 h before the start, or within 10 minutes of booking: full refund.
//! Driver cancels later but before the start: half. After the start: nothing.
//! The owner cancelling or declining always refunds in full.

use crate::money::Cents;
use chrono::{DateTime, Duration, Utc};

/// Who is cancelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelledBy {
    /// The driver who booked.
    Driver,
    /// The driveway's owner (cancel or decline), or the system (expiry, no answer).
    Owner,
}

/// The amount to refund of `paid` when a booking for `start`, made at `booked_at`, is cancelled
/// at `now`.
pub fn refund_amount(
    paid: Cents,
    by: CancelledBy,
    booked_at: DateTime<Utc>,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Cents {
    match by {
        CancelledBy::Owner => paid,
        CancelledBy::Driver if now - booked_at <= Duration::minutes(10) => paid,
        CancelledBy::Driver if start - now >= Duration::hours(24) => paid,
        CancelledBy::Driver if now < start => paid.fraction(1, 2),
        CancelledBy::Driver => Cents::ZERO,
    }
}

/// The policy in one sentence, as the booking form and README show it.
pub const POLICY_SENTENCE: &str = "Free cancellation up to 24 hours before the start (or within 10 minutes of booking); \
     50% back if you cancel later but before the start; no refund once the slot has started.";

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn policy_by_timing() {
        let booked = Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).single().expect("t");
        let start = Utc.with_ymd_and_hms(2026, 11, 10, 12, 0, 0).single().expect("t");
        let paid = Cents(1001);
        let d = CancelledBy::Driver;
        assert_eq!(refund_amount(paid, d, booked, start, start - Duration::hours(24)), paid);
        assert_eq!(refund_amount(paid, d, booked, start, start - Duration::hours(23)), Cents(500));
        assert_eq!(refund_amount(paid, d, booked, start, start + Duration::minutes(1)), Cents::ZERO);
        // within 10 minutes of booking, even for a slot starting soon
        let late_booking = start - Duration::hours(1);
        assert_eq!(refund_amount(paid, d, late_booking, start, late_booking + Duration::minutes(9)), paid);
        assert_eq!(refund_amount(paid, CancelledBy::Owner, booked, start, start + Duration::hours(1)), paid);
    }
}
