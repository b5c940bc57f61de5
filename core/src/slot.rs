use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// The shortest bookable slot.
pub const MIN_DURATION_MINUTES: i64 = 15;
/// The longest bookable slot.
pub const MAX_DURATION_DAYS: i64 = 30;
/// How far in the past a booking may start (clock skew, the time to fill in a form).
pub const PAST_TOLERANCE_MINUTES: i64 = 5;
/// No time more than this far from now is accepted (about two years): nobody books further
/// ahead, and the bound keeps every date computation far from overflow.
pub const HORIZON_DAYS: i64 = 731;

/// A half-open interval `[start, end)` of UTC instants with `start < end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", try_from = "RawSlot")]
pub struct TimeSlot {
    start_time: DateTime<Utc>,
    end_time: DateTime<Utc>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSlot {
    #[serde(deserialize_with = "crate::time::utc")]
    start_time: DateTime<Utc>,
    #[serde(deserialize_with = "crate::time::utc")]
    end_time: DateTime<Utc>,
}

impl TryFrom<RawSlot> for TimeSlot {
    type Error = SlotError;
    fn try_from(raw: RawSlot) -> Result<Self, SlotError> {
        TimeSlot::new(raw.start_time, raw.end_time)
    }
}

/// Why a slot was refused. Every variant maps to `400 invalid_time_range`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlotError {
    /// The end is not after the start.
    #[error("the end time must be after the start time")]
    EndNotAfterStart,
    /// Shorter than the minimum.
    #[error("a booking must last at least {MIN_DURATION_MINUTES} minutes")]
    TooShort,
    /// Longer than the maximum.
    #[error("a booking can last at most {MAX_DURATION_DAYS} days")]
    TooLong,
    /// Starts too far in the past.
    #[error("the start time is in the past")]
    InThePast,
    /// More than [`HORIZON_DAYS`] from now.
    #[error("times more than two years from now are not accepted")]
    BeyondHorizon,
}

/// Refuses an instant more than [`HORIZON_DAYS`] from `now`, either way.
pub fn check_horizon(t: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), SlotError> {
    let reach = Duration::days(HORIZON_DAYS);
    // Subtraction of two valid instants cannot overflow chrono's range of durations.
    if (t - now).abs() > reach { Err(SlotError::BeyondHorizon) } else { Ok(()) }
}

impl TimeSlot {
    /// A slot with `start < end`; no other rule applies (searches and availability use this).
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Result<TimeSlot, SlotError> {
        if end <= start {
            return Err(SlotError::EndNotAfterStart);
        }
        Ok(TimeSlot { start_time: start, end_time: end })
    }

    /// A slot that can be booked at `now`: 15 min to 30 days long, starting no more than
    /// 5 minutes ago.
    pub fn bookable(start: DateTime<Utc>, end: DateTime<Utc>, now: DateTime<Utc>) -> Result<TimeSlot, SlotError> {
        let slot = TimeSlot::new(start, end)?;
        slot.check_bookable(now)?;
        Ok(slot)
    }

    /// Refuses a slot reaching more than [`HORIZON_DAYS`] before or after `now`.
    pub fn check_horizon(&self, now: DateTime<Utc>) -> Result<(), SlotError> {
        check_horizon(self.start_time, now)?;
        check_horizon(self.end_time, now)
    }

    /// Checks the booking rules of an existing slot at `now`.
    pub fn check_bookable(&self, now: DateTime<Utc>) -> Result<(), SlotError> {
        self.check_horizon(now)?;
        let length = self.duration();
        if length < Duration::minutes(MIN_DURATION_MINUTES) {
            return Err(SlotError::TooShort);
        }
        if length > Duration::days(MAX_DURATION_DAYS) {
            return Err(SlotError::TooLong);
        }
        if self.start_time < now - Duration::minutes(PAST_TOLERANCE_MINUTES) {
            return Err(SlotError::InThePast);
        }
        Ok(())
    }

    /// The first instant of the slot.
    pub fn start(&self) -> DateTime<Utc> {
        self.start_time
    }

    /// The first instant after the slot.
    pub fn end(&self) -> DateTime<Utc> {
        self.end_time
    }

    /// `end - start`.
    pub fn duration(&self) -> Duration {
        self.end_time - self.start_time
    }

    /// Whole minutes, counting a started minute as a whole one.
    pub fn billable_minutes(&self) -> i64 {
        let secs = self.duration().num_seconds();
        (secs + 59) / 60
    }

    /// True when the two half-open intervals share an instant.
    pub fn overlaps(&self, other: &TimeSlot) -> bool {
        self.start_time < other.end_time && other.start_time < self.end_time
    }

    /// The same slot moved so that it starts at `start`.
    pub fn starting_at(&self, start: DateTime<Utc>) -> TimeSlot {
        TimeSlot { start_time: start, end_time: start + self.duration() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, h, m, 0).single().expect("valid")
    }

    #[test]
    fn end_must_follow_start() {
        assert_eq!(TimeSlot::new(t(10, 0), t(10, 0)), Err(SlotError::EndNotAfterStart));
        assert_eq!(TimeSlot::new(t(10, 0), t(9, 0)), Err(SlotError::EndNotAfterStart));
    }

    #[test]
    fn bookable_rules() {
        let now = t(9, 0);
        assert_eq!(TimeSlot::bookable(t(10, 0), t(10, 14), now), Err(SlotError::TooShort));
        assert!(TimeSlot::bookable(t(10, 0), t(10, 15), now).is_ok());
        assert_eq!(TimeSlot::bookable(t(8, 54), t(10, 0), now), Err(SlotError::InThePast));
        assert!(TimeSlot::bookable(t(8, 55), t(10, 0), now).is_ok());
        let end = t(10, 0) + Duration::days(30);
        assert!(TimeSlot::bookable(t(10, 0), end, now).is_ok());
        assert_eq!(TimeSlot::bookable(t(10, 0), end + Duration::minutes(1), now), Err(SlotError::TooLong));
    }

    #[test]
    fn deserializes_with_offsets_into_utc() {
        let slot: TimeSlot =
            serde_json::from_str(r#"{"startTime":"2026-11-24T10:00:00+01:00","endTime":"2026-11-24T11:00:00Z"}"#)
                .expect("valid slot");
        assert_eq!(slot.start(), t(9, 0));
        assert!(
            serde_json::from_str::<TimeSlot>(
                r#"{"startTime":"2026-11-24T11:00:00Z","endTime":"2026-11-24T10:00:00Z"}"#
            )
            .is_err()
        );
    }

    proptest! {
        #[test]
        fn overlap_is_symmetric_and_matches_the_definition(a in 0i64..10_000, la in 1i64..500, b in 0i64..10_000, lb in 1i64..500) {
            let base = t(0, 0);
            let x = TimeSlot::new(base + Duration::minutes(a), base + Duration::minutes(a + la)).expect("valid");
            let y = TimeSlot::new(base + Duration::minutes(b), base + Duration::minutes(b + lb)).expect("valid");
            prop_assert_eq!(x.overlaps(&y), y.overlaps(&x));
            let shares_a_minute = (a.max(b)) < (a + la).min(b + lb);
            prop_assert_eq!(x.overlaps(&y), shares_a_minute);
        }

        #[test]
        fn bookable_slots_obey_every_rule(start_off in -20i64..20_000, len in 0i64..50_000) {
            let now = t(12, 0);
            let start = now + Duration::minutes(start_off);
            let end = start + Duration::minutes(len);
            match TimeSlot::bookable(start, end, now) {
                Ok(s) => {
                    prop_assert!(s.duration() >= Duration::minutes(MIN_DURATION_MINUTES));
                    prop_assert!(s.duration() <= Duration::days(MAX_DURATION_DAYS));
                    prop_assert!(s.start() >= now - Duration::minutes(PAST_TOLERANCE_MINUTES));
                }
                Err(_) => {
                    let ok = (MIN_DURATION_MINUTES..=MAX_DURATION_DAYS * 24 * 60).contains(&len) && start_off >= -PAST_TOLERANCE_MINUTES;
                    prop_assert!(!ok);
                }
            }
        }

        #[test]
        fn billable_minutes_round_up(secs in 1i64..10_000_000) {
            let s = TimeSlot::new(t(0, 0), t(0, 0) + Duration::seconds(secs)).expect("valid");
            prop_assert!(s.billable_minutes() * 60 >= secs);
            prop_assert!((s.billable_minutes() - 1) * 60 < secs);
        }
    }
}
