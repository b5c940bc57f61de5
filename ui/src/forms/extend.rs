//! The extend form as data: the new end of a stay, typed as a local date and time
//! (`<input type=datetime-local>`), checked and priced with `parkway-core`'s own rule, so the
//! extra shown is the extra the server charges.

use super::booking::to_utc;
use crate::format;
use chrono::{DateTime, Duration, TimeZone, Utc};
use parkway_core::extension::extra_price;
use parkway_core::money::Cents;
use parkway_core::pricing::Rate;
use parkway_core::slot::{MAX_DURATION_DAYS, MIN_DURATION_MINUTES};
use std::fmt;

/// How much longer the form proposes at first.
pub const DEFAULT_EXTRA_MINUTES: i64 = 60;

/// Why the new end cannot be sent; `Display` is the sentence shown in the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExtendError {
    /// Nothing typed.
    Missing,
    /// Not a date and time.
    Unreadable,
    /// The local time does not exist (the hour skipped when clocks go forward).
    NoSuchLocalTime,
    /// Not after the stay's current end.
    NotLater,
    /// Less than the shortest booking.
    TooShort,
    /// More than the longest booking.
    TooLong,
}

impl fmt::Display for ExtendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ExtendError::Missing => "Choose until when you want to stay.",
            ExtendError::Unreadable => "Dates and times look like 2026-11-24 18:30.",
            ExtendError::NoSuchLocalTime => "That time does not exist on that day (the clocks change); pick another.",
            ExtendError::NotLater => "Pick a time after the current end of your stay.",
            ExtendError::TooShort => "Extend by at least 15 minutes.",
            ExtendError::TooLong => "An extension lasts at most 30 days.",
        })
    }
}

/// A valid new end and what it costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extra {
    /// The stay's new end (UTC).
    pub end: DateTime<Utc>,
    /// The extra to pay: `parkway-core`'s extension price.
    pub price: Cents,
    /// How much longer the stay becomes, in minutes.
    pub minutes: i64,
}

/// The form's one field, as typed: `YYYY-MM-DDTHH:MM`, the value of a `datetime-local` input.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExtendForm {
    /// The new end in local time.
    pub until: String,
}

impl ExtendForm {
    /// A form proposing the current end plus [`DEFAULT_EXTRA_MINUTES`].
    pub fn after<Tz: TimeZone>(current_end: DateTime<Utc>, tz: &Tz) -> ExtendForm {
        ExtendForm::until(current_end + Duration::minutes(DEFAULT_EXTRA_MINUTES), tz)
    }

    /// A form holding `end`.
    pub fn until<Tz: TimeZone>(end: DateTime<Utc>, tz: &Tz) -> ExtendForm {
        let local = end.with_timezone(tz).naive_local();
        ExtendForm { until: format!("{}T{}", format::ymd(&local), format::hhmm(&local)) }
    }

    /// The new end typed, in UTC.
    pub fn new_end<Tz: TimeZone>(&self, tz: &Tz) -> Result<DateTime<Utc>, ExtendError> {
        let typed = self.until.trim();
        if typed.is_empty() {
            return Err(ExtendError::Missing);
        }
        let (date, time) = typed.split_once('T').ok_or(ExtendError::Unreadable)?;
        let date = format::parse_ymd(date).ok_or(ExtendError::Unreadable)?;
        let time = format::parse_hhmm(time).ok_or(ExtendError::Unreadable)?;
        to_utc(date.and_time(time), tz).map_err(|_| ExtendError::NoSuchLocalTime)
    }

    /// The new end checked against the rules of an extension of a stay that began at
    /// `stay_start` and ends at `current_end` now, and its price at `rate`.
    pub fn price<Tz: TimeZone>(
        &self,
        rate: &Rate,
        stay_start: DateTime<Utc>,
        current_end: DateTime<Utc>,
        tz: &Tz,
    ) -> Result<Extra, ExtendError> {
        let end = self.new_end(tz)?;
        let added = end - current_end;
        if added <= Duration::zero() {
            return Err(ExtendError::NotLater);
        }
        if added < Duration::minutes(MIN_DURATION_MINUTES) {
            return Err(ExtendError::TooShort);
        }
        if added > Duration::days(MAX_DURATION_DAYS) {
            return Err(ExtendError::TooLong);
        }
        Ok(Extra { end, price: extra_price(rate, stay_start, current_end, end), minutes: added.num_minutes() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::FixedOffset;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).expect("time").with_timezone(&Utc)
    }

    fn paris_winter() -> FixedOffset {
        FixedOffset::east_opt(3600).expect("offset")
    }

    const HOURLY_3: Rate = Rate { per_hour: Cents(300), per_day: None };

    #[test]
    fn it_proposes_one_more_hour_in_local_time() {
        let f = ExtendForm::after(utc("2026-11-24T22:30:00Z"), &paris_winter());
        assert_eq!(f.until, "2026-11-25T00:30");
        assert_eq!(f.new_end(&paris_winter()), Ok(utc("2026-11-24T23:30:00Z")));
        // Browsers may add seconds.
        let f = ExtendForm { until: "2026-11-25T00:30:00".into() };
        assert_eq!(f.new_end(&paris_winter()), Ok(utc("2026-11-24T23:30:00Z")));
    }

    #[test]
    fn the_extra_is_cores_price_on_the_whole_stay() {
        let (start, end) = (utc("2026-11-24T09:00:00Z"), utc("2026-11-24T11:00:00Z"));
        let f = ExtendForm::until(utc("2026-11-24T12:30:00Z"), &Utc);
        let extra = f.price(&HOURLY_3, start, end, &Utc).expect("valid");
        assert_eq!((extra.price, extra.minutes), (Cents(450), 90));
        assert_eq!(extra.price, extra_price(&HOURLY_3, start, end, extra.end));
        // Under a daily cap already reached, the rest of the day is free.
        let capped = Rate { per_hour: Cents(1000), per_day: Some(Cents(5000)) };
        let f = ExtendForm::until(utc("2026-11-24T20:00:00Z"), &Utc);
        let extra = f.price(&capped, start, utc("2026-11-24T15:00:00Z"), &Utc).expect("valid");
        assert_eq!(extra.price, Cents::ZERO);
    }

    #[test]
    fn refusals_are_sentences() {
        let (start, end) = (utc("2026-11-24T09:00:00Z"), utc("2026-11-24T11:00:00Z"));
        let cases = [
            ("", "Choose until when you want to stay."),
            ("2026-11-24 12:00", "Dates and times look like 2026-11-24 18:30."),
            ("2026-11-24T11:00", "Pick a time after the current end of your stay."),
            ("2026-11-24T10:00", "Pick a time after the current end of your stay."),
            ("2026-11-24T11:10", "Extend by at least 15 minutes."),
            ("2026-12-25T11:00", "An extension lasts at most 30 days."),
        ];
        for (typed, sentence) in cases {
            let f = ExtendForm { until: typed.into() };
            let err = f.price(&HOURLY_3, start, end, &Utc).expect_err(typed);
            assert_eq!(err.to_string(), sentence, "{typed}");
        }
    }
}
