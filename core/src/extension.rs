//! Extending a booking: what the extra time costs, when a booking may grow, and how far it
//! could grow when the time asked for is taken.
//!
//! An extension is a booking of its own (its own hold, payment, confirmation and refund) that
//! starts where the booking it extends ends. Its price is what the whole stay costs with it
//! minus what the stay costs without it, so a daily cap applies to the stay as a whole: a
//! driver who already pays the daily price pays nothing more for the rest of that day.

use crate::api::Booking;
use crate::booking::BookingStatus;
use crate::error::ErrorCode;
use crate::money::Cents;
use crate::pricing::Rate;
use crate::slot::{MAX_DURATION_DAYS, MIN_DURATION_MINUTES};
use chrono::{DateTime, Duration, Utc};

/// The price of extending a stay that began at `stay_start` from `current_end` to `new_end`:
/// `price(stay_start..new_end) − price(stay_start..current_end)`, never negative.
pub fn extra_price(
    rate: &Rate,
    stay_start: DateTime<Utc>,
    current_end: DateTime<Utc>,
    new_end: DateTime<Utc>,
) -> Cents {
    let minutes = |end: DateTime<Utc>| ((end - stay_start).num_seconds() + 59).div_euclid(60);
    let with = rate.price_minutes(minutes(new_end));
    let without = rate.price_minutes(minutes(current_end));
    Cents((with.0 - without.0).max(0))
}

/// Why a booking cannot be extended as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtendRefusal {
    /// Only a confirmed stay grows.
    #[error("only a confirmed booking can be extended; this one is {0}")]
    NotConfirmed(BookingStatus),
    /// The stay is over.
    #[error("this booking has already ended; book the driveway again instead")]
    Ended,
    /// An earlier extension has not been paid or answered yet.
    #[error("an extension of this booking is already waiting for payment or for the owner; finish or cancel it first")]
    Waiting,
    /// The new end is not later than the current one.
    #[error("the new end time must be after the booking's current end")]
    NotLater,
    /// Moving one part of an extended stay would tear it apart.
    #[error("an extended stay keeps its times; cancel the extension first, or cancel the booking and book again")]
    PartOfStay,
}

impl ExtendRefusal {
    /// The API error code this refusal answers with.
    pub fn code(&self) -> ErrorCode {
        match self {
            ExtendRefusal::NotLater => ErrorCode::InvalidTimeRange,
            ExtendRefusal::NotConfirmed(_)
            | ExtendRefusal::Ended
            | ExtendRefusal::Waiting
            | ExtendRefusal::PartOfStay => ErrorCode::InvalidTransition,
        }
    }
}

/// The last part of a stay (the booking, or its latest extension) as it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LastPart {
    /// Its state.
    pub status: BookingStatus,
    /// Where the stay ends now.
    pub end: DateTime<Utc>,
}

/// A stay may grow while it is confirmed and has not ended (also while it runs), when no
/// earlier extension is still waiting, and only forward.
pub fn check_extendable(last: LastPart, new_end: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), ExtendRefusal> {
    match last.status {
        BookingStatus::Pending => return Err(ExtendRefusal::Waiting),
        BookingStatus::Confirmed => {}
        other => return Err(ExtendRefusal::NotConfirmed(other)),
    }
    if last.end <= now {
        return Err(ExtendRefusal::Ended);
    }
    if new_end <= last.end {
        return Err(ExtendRefusal::NotLater);
    }
    Ok(())
}

/// The id naming a booking's stay: its first booking's (an extension names it in
/// `extension_of`).
pub fn stay_id(b: &Booking) -> uuid::Uuid {
    b.extension_of.unwrap_or(b.id)
}

/// True when another booking of `all` continues `b`'s stay right where `b` ends and still holds
/// its time: `b` is not the stay's last part, so the stay neither ends nor grows there.
pub fn continued(b: &Booking, all: &[Booking]) -> bool {
    let stay = stay_id(b);
    all.iter().any(|o| o.id != b.id && stay_id(o) == stay && o.start_time == b.end_time && o.status.holds_slot())
}

/// A booking's times may move only while it is a stay of its own: not an extension, and
/// without extensions that still hold their time.
pub fn check_movable(is_extension: bool, live_extensions: i64) -> Result<(), ExtendRefusal> {
    if is_extension || live_extensions > 0 { Err(ExtendRefusal::PartOfStay) } else { Ok(()) }
}

/// The furthest end a stay ending at `current_end` could be extended to, given the start of
/// the next booking in the way and the end of the driveway's opening hours (each `None` when
/// nothing limits it): never more than the longest booking, and `None` when not even the
/// shortest extension fits.
pub fn latest_end(
    current_end: DateTime<Utc>,
    next_booking: Option<DateTime<Utc>>,
    open_until: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    let longest = current_end + Duration::days(MAX_DURATION_DAYS);
    let latest = [next_booking, open_until].into_iter().flatten().fold(longest, DateTime::min);
    (latest - current_end >= Duration::minutes(MIN_DURATION_MINUTES)).then_some(latest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, h, m, 0).single().expect("time")
    }

    #[test]
    fn the_extra_is_the_whole_stay_minus_what_was_paid() {
        let hourly = Rate { per_hour: Cents(300), per_day: None };
        assert_eq!(extra_price(&hourly, at(9, 0), at(11, 0), at(12, 30)), Cents(450));
        // A partial minute is charged the way a booking charges it: on the whole stay.
        let capped = Rate { per_hour: Cents(1000), per_day: Some(Cents(5000)) };
        // 9:00–13:00 costs 4000; to 15:00 it would be 6000, capped at 5000 for the day.
        assert_eq!(extra_price(&capped, at(9, 0), at(13, 0), at(15, 0)), Cents(1000));
        // Already at the daily price: the rest of the day is free.
        assert_eq!(extra_price(&capped, at(9, 0), at(15, 0), at(20, 0)), Cents::ZERO);
    }

    #[test]
    fn only_a_confirmed_running_stay_grows_and_only_forward() {
        let last = LastPart { status: BookingStatus::Confirmed, end: at(12, 0) };
        assert_eq!(check_extendable(last, at(13, 0), at(11, 0)), Ok(()));
        assert_eq!(check_extendable(last, at(12, 0), at(11, 0)), Err(ExtendRefusal::NotLater));
        assert_eq!(check_extendable(last, at(13, 0), at(12, 0)), Err(ExtendRefusal::Ended));
        let waiting = LastPart { status: BookingStatus::Pending, ..last };
        assert_eq!(check_extendable(waiting, at(13, 0), at(11, 0)), Err(ExtendRefusal::Waiting));
        let done = LastPart { status: BookingStatus::Completed, ..last };
        assert_eq!(
            check_extendable(done, at(13, 0), at(11, 0)),
            Err(ExtendRefusal::NotConfirmed(BookingStatus::Completed))
        );
    }

    #[test]
    fn the_latest_end_is_the_nearest_limit_if_an_extension_still_fits() {
        assert_eq!(latest_end(at(12, 0), Some(at(14, 0)), Some(at(18, 0))), Some(at(14, 0)));
        assert_eq!(latest_end(at(12, 0), None, Some(at(18, 0))), Some(at(18, 0)));
        assert_eq!(latest_end(at(12, 0), Some(at(12, 10)), None), None);
        assert_eq!(latest_end(at(12, 0), None, None), Some(at(12, 0) + Duration::days(MAX_DURATION_DAYS)));
    }
}
