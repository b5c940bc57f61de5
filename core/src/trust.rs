//! The trust rules: what no client, however written, can make the server do.
//!
//! Each rule is a function over typed states, so the store asks one question and writes, and
//! the sentence a person reads sits beside the rule that produced it.

use crate::booking::{BookingStatus, PaymentStatus};
use crate::error::ErrorCode;
use crate::money::{Cents, Currency, format_amount};
use crate::payment::IntentStatus;
use crate::refund::{CancelledBy, refund_amount};
use chrono::{DateTime, Duration, Utc};

/// How long before its start a confirmed booking's access instructions are shown.
pub const INSTRUCTIONS_LEAD_MINUTES: i64 = 60;
/// A moved paid booking must still start at least this far ahead.
pub const MOVE_NOTICE_HOURS: i64 = 24;
/// Unpaid pending bookings one driver may hold at once, unless configured otherwise.
pub const DEFAULT_MAX_UNPAID_HOLDS: u32 = 3;

/// A rule said no. Each variant carries its code and the sentence for the person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// `409 price_locked`: a payment exists, so the price cannot change.
    #[error(
        "a payment has been started for this booking, so its price can no longer change; cancel it and book the new time instead"
    )]
    PriceLocked,
    /// `409 invalid_transition`: a paid booking may move only while a cancellation would be free.
    #[error(
        "a paid booking can be moved only while it could be cancelled for a full refund, to a time at least {MOVE_NOTICE_HOURS} hours away; cancel it and book again instead"
    )]
    MoveTooLate,
    /// `409 hold_limit`: too many unpaid holds.
    #[error("you already hold {0} unpaid bookings; pay for or cancel one before booking another")]
    HoldLimit(u32),
    /// `400 self_booking`.
    #[error("you cannot book your own driveway")]
    SelfBooking,
    /// `402 payment_required`: the owner cannot confirm before the money is in.
    #[error("the driver has not paid yet; you can confirm once the payment is in")]
    NotPaid,
    /// `409 invalid_transition`: the slot is over, so there is nothing left to confirm.
    #[error("this booking's time has already passed")]
    Over,
    /// `409 invalid_transition`: only a booking that holds its slot can change.
    #[error("a {0} booking cannot be changed")]
    NotChangeable(BookingStatus),
    /// `409 invalid_transition`: a booking that has started keeps its times and notes.
    #[error("a booking cannot be changed once it has started")]
    Started,
    /// `409 price_mismatch`: the client showed another price than the server's.
    #[error("the price for this slot is {}, not {}; please review it and book again", format_amount(*.actual, .currency), format_amount(*.expected, .currency))]
    PriceMismatch {
        /// The server's price.
        actual: Cents,
        /// The price the client showed.
        expected: Cents,
        /// Their currency.
        currency: Currency,
    },
}

impl Refusal {
    /// The API error code this refusal answers with.
    pub fn code(&self) -> ErrorCode {
        match self {
            Refusal::PriceLocked => ErrorCode::PriceLocked,
            Refusal::MoveTooLate => ErrorCode::InvalidTransition,
            Refusal::HoldLimit(_) => ErrorCode::HoldLimit,
            Refusal::SelfBooking => ErrorCode::SelfBooking,
            Refusal::NotPaid => ErrorCode::PaymentRequired,
            Refusal::Over | Refusal::NotChangeable(_) | Refusal::Started => ErrorCode::InvalidTransition,
            Refusal::PriceMismatch { .. } => ErrorCode::PriceMismatch,
        }
    }
}

/// Where a booking's money stands, as far as the trust rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoneyState {
    /// No payment intent exists, or every one was cancelled or failed.
    None,
    /// An intent exists and can still be paid: its amount is fixed.
    Started,
    /// The money is authorised or collected.
    Held,
}

impl MoneyState {
    /// Where a booking's money stands, from its payment status and its live (not cancelled)
    /// intent's status. After a decline the next card gets a fresh intent, priced anew.
    pub fn of(payment: PaymentStatus, live: Option<IntentStatus>) -> MoneyState {
        match (payment, live) {
            (PaymentStatus::Paid | PaymentStatus::Refunded, _) => MoneyState::Held,
            (_, Some(intent)) if intent.holds_money() => MoneyState::Held,
            (PaymentStatus::Pending, Some(_)) => MoneyState::Started,
            _ => MoneyState::None,
        }
    }
}

/// Why money that arrived does not pay for its booking as it stands: it changes nothing about
/// the booking and goes back in full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Misdirected {
    /// The intent's amount is not its booking's total.
    AmountMismatch,
    /// The intent is no longer its booking's (replaced or cancelled), or a direct intent was
    /// never linked to a booking within the hold time.
    Orphaned,
}

impl Misdirected {
    /// The name stored with the record of it.
    pub fn as_str(self) -> &'static str {
        match self {
            Misdirected::AmountMismatch => "amount_mismatch",
            Misdirected::Orphaned => "orphaned",
        }
    }
}

/// Money pays for a booking only through the booking's current intent, and only for exactly
/// its total: nobody pays less than what they hold.
pub fn check_payment_fits(current_intent: bool, amount: Cents, total: Cents) -> Result<(), Misdirected> {
    if !current_intent {
        Err(Misdirected::Orphaned)
    } else if amount != total {
        Err(Misdirected::AmountMismatch)
    } else {
        Ok(())
    }
}

/// Nobody pays less than the price of what they hold: once a payment exists, a change that
/// alters the price is refused.
pub fn check_price_change(money: MoneyState, old: Cents, new: Cents) -> Result<(), Refusal> {
    if money != MoneyState::None && old != new { Err(Refusal::PriceLocked) } else { Ok(()) }
}

/// No better refund by moving: a booking whose money is held may change its time only while a
/// driver's cancellation would be refunded in full by the notice it gives (its start at least
/// [`MOVE_NOTICE_HOURS`] away; the 10-minute grace after booking does not count, or moving
/// would stretch it forever), and only to a start also that far away.
pub fn check_move(
    money: MoneyState,
    status: BookingStatus,
    booked_at: DateTime<Utc>,
    (start, end): (DateTime<Utc>, DateTime<Utc>),
    new_start: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), Refusal> {
    if money != MoneyState::Held {
        return Ok(());
    }
    let notice = Duration::hours(MOVE_NOTICE_HOURS);
    // Seen as if booked long ago: only the notice counts.
    let long_ago = booked_at.min(now - Duration::days(1));
    let shown = instructions_visible(status, start, end, now);
    let free = driver_refund(Cents(100), long_ago, start, now, shown) == Cents(100);
    if free && start - now >= notice && new_start - now >= notice { Ok(()) } else { Err(Refusal::MoveTooLate) }
}

/// Access instructions near the slot only: shown for a confirmed booking from
/// [`INSTRUCTIONS_LEAD_MINUTES`] before its start until its end.
pub fn instructions_visible(
    status: BookingStatus,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
) -> bool {
    status == BookingStatus::Confirmed && now >= start - Duration::minutes(INSTRUCTIONS_LEAD_MINUTES) && now < end
}

/// The refund when the driver cancels: the policy of [`refund_amount`], except that once the
/// access instructions have been shown the 10-minute free cancellation no longer applies.
pub fn driver_refund(
    paid: Cents,
    booked_at: DateTime<Utc>,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    instructions_shown: bool,
) -> Cents {
    // Seen from "now", a booking whose instructions were shown was made long ago: only the
    // time left before the start counts.
    let booked_at = if instructions_shown { booked_at.min(now - Duration::days(1)) } else { booked_at };
    refund_amount(paid, CancelledBy::Driver, booked_at, start, now)
}

/// No hoarding: a driver holding `unpaid` unpaid pending bookings may hold another only below
/// `max` (`0` means no limit).
pub fn check_hold(unpaid: i64, max: u32) -> Result<(), Refusal> {
    if max > 0 && unpaid >= i64::from(max) { Err(Refusal::HoldLimit(max)) } else { Ok(()) }
}

/// Nobody books their own driveway.
pub fn check_not_self(driver: uuid::Uuid, owner: uuid::Uuid) -> Result<(), Refusal> {
    if driver == owner { Err(Refusal::SelfBooking) } else { Ok(()) }
}

/// The owner confirms only a booking whose money is authorised or collected.
pub fn check_paid_before_confirm(money: MoneyState) -> Result<(), Refusal> {
    if money == MoneyState::Held { Ok(()) } else { Err(Refusal::NotPaid) }
}

/// The owner confirms only a booking whose slot is not over yet.
pub fn check_confirmable(end: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), Refusal> {
    if end <= now { Err(Refusal::Over) } else { Ok(()) }
}

/// The driver changes a booking only while it holds its slot and has not started.
pub fn check_changeable(status: BookingStatus, start: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), Refusal> {
    if !status.holds_slot() {
        Err(Refusal::NotChangeable(status))
    } else if start <= now {
        Err(Refusal::Started)
    } else {
        Ok(())
    }
}

/// The server prices every booking; a client that showed another price (`expected`) is told
/// the real one before anything is booked.
pub fn check_expected_price(expected: Option<Cents>, actual: Cents, currency: Currency) -> Result<(), Refusal> {
    match expected {
        Some(expected) if expected != actual => Err(Refusal::PriceMismatch { actual, expected, currency }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_held_once_authorised_or_paid_and_started_by_a_live_intent() {
        use IntentStatus as I;
        use PaymentStatus as P;
        assert_eq!(MoneyState::of(P::Pending, None), MoneyState::None);
        assert_eq!(MoneyState::of(P::Pending, Some(I::RequiresPaymentMethod)), MoneyState::Started);
        assert_eq!(MoneyState::of(P::Pending, Some(I::RequiresCapture)), MoneyState::Held);
        assert_eq!(MoneyState::of(P::Failed, Some(I::RequiresPaymentMethod)), MoneyState::None);
        assert_eq!(MoneyState::of(P::Paid, None), MoneyState::Held);
        assert_eq!(MoneyState::of(P::Refunded, Some(I::Succeeded)), MoneyState::Held);
    }

    #[test]
    fn only_a_live_booking_that_has_not_started_changes() {
        let now = Utc::now();
        let later = now + Duration::hours(2);
        assert_eq!(check_changeable(BookingStatus::Pending, later, now), Ok(()));
        assert_eq!(check_changeable(BookingStatus::Confirmed, now, now), Err(Refusal::Started));
        let cancelled = check_changeable(BookingStatus::Cancelled, later, now);
        assert_eq!(cancelled, Err(Refusal::NotChangeable(BookingStatus::Cancelled)));
        assert_eq!(cancelled.map_err(|r| r.to_string()), Err("a cancelled booking cannot be changed".into()));
        assert_eq!(check_confirmable(now, now), Err(Refusal::Over));
        assert_eq!(check_confirmable(later, now), Ok(()));
    }

    #[test]
    fn a_client_shown_another_price_is_told_the_real_one() {
        let eur = Currency::parse("EUR").expect("currency");
        assert_eq!(check_expected_price(None, Cents(375), eur.clone()), Ok(()));
        assert_eq!(check_expected_price(Some(Cents(375)), Cents(375), eur.clone()), Ok(()));
        let refused = check_expected_price(Some(Cents(300)), Cents(375), eur).expect_err("refused");
        assert_eq!(refused.code(), ErrorCode::PriceMismatch);
        assert!(refused.to_string().starts_with("the price for this slot is "), "{refused}");
    }

    #[test]
    fn only_the_current_intent_for_the_full_total_pays() {
        assert_eq!(check_payment_fits(true, Cents(500), Cents(500)), Ok(()));
        assert_eq!(check_payment_fits(true, Cents(125), Cents(500)), Err(Misdirected::AmountMismatch));
        assert_eq!(check_payment_fits(true, Cents(900), Cents(500)), Err(Misdirected::AmountMismatch));
        assert_eq!(check_payment_fits(false, Cents(500), Cents(500)), Err(Misdirected::Orphaned));
    }
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn t(h: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).single().expect("t") + Duration::hours(h)
    }

    #[test]
    fn the_price_locks_once_a_payment_exists() {
        assert_eq!(check_price_change(MoneyState::None, Cents(75), Cents(9000)), Ok(()));
        assert_eq!(check_price_change(MoneyState::Started, Cents(75), Cents(9000)), Err(Refusal::PriceLocked));
        assert_eq!(check_price_change(MoneyState::Held, Cents(75), Cents(75)), Ok(()));
        assert_eq!(Refusal::PriceLocked.code(), ErrorCode::PriceLocked);
    }

    #[test]
    fn a_paid_booking_two_hours_away_cannot_move_a_week_out() {
        let now = t(0);
        let booked = now - Duration::hours(1);
        let r = check_move(MoneyState::Held, BookingStatus::Confirmed, booked, (t(2), t(3)), t(8 * 24), now);
        assert_eq!(r, Err(Refusal::MoveTooLate));
        // Unpaid: anything goes (the price is checked separately).
        assert_eq!(check_move(MoneyState::None, BookingStatus::Pending, booked, (t(2), t(3)), t(8 * 24), now), Ok(()));
        // Far enough ahead on both ends.
        assert_eq!(check_move(MoneyState::Held, BookingStatus::Confirmed, booked, (t(48), t(49)), t(72), now), Ok(()));
        // The new start must also be a day away.
        assert_eq!(
            check_move(MoneyState::Held, BookingStatus::Confirmed, booked, (t(48), t(49)), t(5), now),
            Err(Refusal::MoveTooLate)
        );
    }

    #[test]
    fn instructions_show_an_hour_before_until_the_end() {
        let (start, end) = (t(10), t(12));
        let c = BookingStatus::Confirmed;
        assert!(!instructions_visible(c, start, end, t(8)));
        assert!(instructions_visible(c, start, end, t(9)));
        assert!(instructions_visible(c, start, end, t(11)));
        assert!(!instructions_visible(c, start, end, t(12)));
        assert!(!instructions_visible(BookingStatus::Pending, start, end, t(11)));
    }

    #[test]
    fn shown_instructions_end_the_ten_minute_free_cancellation() {
        let start = t(10);
        let booked = t(9) + Duration::minutes(30);
        let now = booked + Duration::minutes(5);
        assert_eq!(driver_refund(Cents(1000), booked, start, now, false), Cents(1000));
        assert_eq!(driver_refund(Cents(1000), booked, start, now, true), Cents(500));
    }

    #[test]
    fn holds_are_bounded() {
        assert_eq!(check_hold(2, 3), Ok(()));
        assert_eq!(check_hold(3, 3), Err(Refusal::HoldLimit(3)));
        assert_eq!(check_hold(1000, 0), Ok(()));
    }

    proptest! {
        /// Moving never improves the refund: whenever a held booking may move, a cancellation
        /// at that moment would already have been refunded in full.
        #[test]
        fn moving_never_buys_a_better_refund(booked in 0i64..500, start in 0i64..500, to in 0i64..500, now in 0i64..500) {
            let (booked, start, to, now) = (t(booked), t(start), t(to), t(now));
            let end = start + Duration::hours(1);
            if check_move(MoneyState::Held, BookingStatus::Confirmed, booked, (start, end), to, now).is_ok() {
                let shown = instructions_visible(BookingStatus::Confirmed, start, end, now);
                prop_assert_eq!(driver_refund(Cents(100), booked, start, now, shown), Cents(100));
                prop_assert!(to - now >= Duration::hours(MOVE_NOTICE_HOURS));
            }
        }
    }
}
