//! The booking form as data: what the driver typed, turned into a slot, a price and a request
//! with `parkway-core`'s own rules, so the form shows exactly what the server will decide.
//!
//! Dates and times are typed as local wall-clock values (`<input type=date>`, `type=time`); the
//! time zone is a parameter so the tests can fix it.

use crate::format;
use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike, Utc};
use parkway_core::api::NewBooking;
use parkway_core::money::Cents;
use parkway_core::pricing::Rate;
use parkway_core::slot::{SlotError, TimeSlot};
use parkway_core::text::limits::SPECIAL_REQUESTS;
use std::fmt;
use uuid::Uuid;

/// The quick durations offered beside the time fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuickDuration {
    /// 30 minutes.
    HalfHour,
    /// 1 hour.
    Hour,
    /// 2 hours.
    TwoHours,
    /// 4 hours.
    FourHours,
    /// 8 hours.
    EightHours,
}

impl QuickDuration {
    /// Every quick duration, shortest first.
    pub const ALL: [QuickDuration; 5] = [
        QuickDuration::HalfHour,
        QuickDuration::Hour,
        QuickDuration::TwoHours,
        QuickDuration::FourHours,
        QuickDuration::EightHours,
    ];

    /// Its length in minutes.
    pub fn minutes(self) -> i64 {
        match self {
            QuickDuration::HalfHour => 30,
            QuickDuration::Hour => 60,
            QuickDuration::TwoHours => 120,
            QuickDuration::FourHours => 240,
            QuickDuration::EightHours => 480,
        }
    }

    /// The button's text.
    pub fn label(self) -> &'static str {
        match self {
            QuickDuration::HalfHour => "30 min",
            QuickDuration::Hour => "1 h",
            QuickDuration::TwoHours => "2 h",
            QuickDuration::FourHours => "4 h",
            QuickDuration::EightHours => "8 h",
        }
    }
}

/// Why the form cannot be sent yet; `Display` is the sentence shown under the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormError {
    /// No start date or time.
    MissingStart,
    /// No end date or time.
    MissingEnd,
    /// A date field does not hold a date.
    BadDate,
    /// A time field does not hold a time.
    BadTime,
    /// The local time does not exist (the hour skipped when clocks go forward).
    NoSuchLocalTime,
    /// The slot breaks a booking rule.
    Slot(SlotError),
    /// The special requests are too long.
    RequestsTooLong,
}

impl fmt::Display for FormError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormError::MissingStart => f.write_str("Choose a start date and time."),
            FormError::MissingEnd => f.write_str("Choose an end date and time, or pick a duration."),
            FormError::BadDate => f.write_str("Dates look like 2026-11-24."),
            FormError::BadTime => f.write_str("Times look like 09:30."),
            FormError::NoSuchLocalTime => {
                f.write_str("That time does not exist on that day (the clocks change); pick another.")
            }
            FormError::Slot(SlotError::EndNotAfterStart) => f.write_str("The end must be after the start."),
            FormError::Slot(SlotError::TooShort) => f.write_str("A booking lasts at least 15 minutes."),
            FormError::Slot(SlotError::TooLong) => f.write_str("A booking lasts at most 30 days."),
            FormError::Slot(SlotError::InThePast) => f.write_str("The start is in the past; pick a later time."),
            FormError::Slot(SlotError::BeyondHorizon) => f.write_str("Bookings can be made up to two years ahead."),
            FormError::RequestsTooLong => {
                write!(f, "Special requests can be at most {SPECIAL_REQUESTS} characters.")
            }
        }
    }
}

/// The form's fields, as typed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BookingForm {
    /// `YYYY-MM-DD`.
    pub start_date: String,
    /// `HH:MM`.
    pub start_time: String,
    /// `YYYY-MM-DD`; a later date makes a multi-day booking.
    pub end_date: String,
    /// `HH:MM`.
    pub end_time: String,
    /// Notes for the owner.
    pub special_requests: String,
    /// The vehicle chosen; none means the driver's default (the server picks it).
    pub vehicle: Option<Uuid>,
}

/// The form's price for a valid slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Priced {
    /// The slot in UTC.
    pub slot: TimeSlot,
    /// What the server will charge: `parkway-core`'s pricing rule.
    pub total: Cents,
    /// Billable minutes.
    pub minutes: i64,
}

fn parse_date(s: &str) -> Result<NaiveDate, FormError> {
    format::parse_ymd(s).ok_or(FormError::BadDate)
}

fn parse_time(s: &str) -> Result<NaiveTime, FormError> {
    format::parse_hhmm(s).ok_or(FormError::BadTime)
}

pub(crate) fn to_utc<Tz: TimeZone>(naive: NaiveDateTime, tz: &Tz) -> Result<DateTime<Utc>, FormError> {
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
        // Clocks going back: the first of the two readings.
        LocalResult::Ambiguous(early, _) => Ok(early.with_timezone(&Utc)),
        LocalResult::None => Err(FormError::NoSuchLocalTime),
    }
}

impl BookingForm {
    /// A form for the next quarter hour, lasting `minutes`.
    pub fn starting_soon<Tz: TimeZone>(now: DateTime<Utc>, minutes: i64, tz: &Tz) -> BookingForm {
        let local = now.with_timezone(tz).naive_local();
        let past_quarter = i64::from(local.minute() % 15) * 60 + i64::from(local.second());
        let start = local + Duration::seconds(15 * 60 - past_quarter);
        let start = start.with_nanosecond(0).unwrap_or(start);
        let mut form = BookingForm::default();
        form.set_start(start);
        form.set_end(start + Duration::minutes(minutes));
        form
    }

    /// A form holding a given slot.
    pub fn for_slot<Tz: TimeZone>(start: DateTime<Utc>, end: DateTime<Utc>, tz: &Tz) -> BookingForm {
        let mut form = BookingForm::default();
        form.set_start(start.with_timezone(tz).naive_local());
        form.set_end(end.with_timezone(tz).naive_local());
        form
    }

    fn set_start(&mut self, t: NaiveDateTime) {
        self.start_date = format::ymd(&t);
        self.start_time = format::hhmm(&t);
    }

    fn set_end(&mut self, t: NaiveDateTime) {
        self.end_date = format::ymd(&t);
        self.end_time = format::hhmm(&t);
    }

    fn local_start(&self) -> Result<NaiveDateTime, FormError> {
        if self.start_date.trim().is_empty() || self.start_time.trim().is_empty() {
            return Err(FormError::MissingStart);
        }
        Ok(parse_date(&self.start_date)?.and_time(parse_time(&self.start_time)?))
    }

    fn local_end(&self) -> Result<NaiveDateTime, FormError> {
        if self.end_time.trim().is_empty() {
            return Err(FormError::MissingEnd);
        }
        // An empty end date means the start's day.
        let date = if self.end_date.trim().is_empty() { &self.start_date } else { &self.end_date };
        if date.trim().is_empty() {
            return Err(FormError::MissingEnd);
        }
        Ok(parse_date(date)?.and_time(parse_time(&self.end_time)?))
    }

    /// Sets the end to the start plus a quick duration (the date follows past midnight).
    pub fn apply(&mut self, quick: QuickDuration) -> Result<(), FormError> {
        let start = self.local_start()?;
        self.set_end(start + Duration::minutes(quick.minutes()));
        Ok(())
    }

    /// Moves the start, keeping the slot's length when the old slot was readable.
    pub fn move_start(&mut self, date: Option<String>, time: Option<String>) {
        let length = match (self.local_start(), self.local_end()) {
            (Ok(s), Ok(e)) if e > s => Some(e - s),
            _ => None,
        };
        if let Some(d) = date {
            self.start_date = d;
        }
        if let Some(t) = time {
            self.start_time = t;
        }
        if let (Some(length), Ok(start)) = (length, self.local_start()) {
            self.set_end(start + length);
        }
    }

    /// The quick duration the current slot matches, for showing the button as pressed.
    pub fn quick_duration(&self) -> Option<QuickDuration> {
        let (s, e) = (self.local_start().ok()?, self.local_end().ok()?);
        let minutes = (e - s).num_minutes();
        QuickDuration::ALL.into_iter().find(|q| q.minutes() == minutes)
    }

    /// The slot, checked against the booking rules at `now`.
    pub fn slot<Tz: TimeZone>(&self, tz: &Tz, now: DateTime<Utc>) -> Result<TimeSlot, FormError> {
        let start = to_utc(self.local_start()?, tz)?;
        let end = to_utc(self.local_end()?, tz)?;
        TimeSlot::bookable(start, end, now).map_err(FormError::Slot)
    }

    /// The slot and its price, by the same rule the server applies.
    pub fn price<Tz: TimeZone>(&self, rate: &Rate, tz: &Tz, now: DateTime<Utc>) -> Result<Priced, FormError> {
        let slot = self.slot(tz, now)?;
        Ok(Priced { slot, total: rate.price(&slot), minutes: slot.billable_minutes() })
    }

    /// The request to send, carrying the price shown as `expectedTotalCents`.
    pub fn request<Tz: TimeZone>(
        &self,
        driveway: Uuid,
        rate: &Rate,
        tz: &Tz,
        now: DateTime<Utc>,
    ) -> Result<NewBooking, FormError> {
        let priced = self.price(rate, tz, now)?;
        let notes = self.special_requests.trim();
        if notes.chars().count() > SPECIAL_REQUESTS {
            return Err(FormError::RequestsTooLong);
        }
        Ok(NewBooking {
            driveway,
            start_time: priced.slot.start(),
            end_time: priced.slot.end(),
            special_requests: (!notes.is_empty()).then(|| notes.to_owned()),
            driver_location: None,
            expected_total_cents: Some(priced.total.get()),
            stripe_payment_id: None,
            vehicle_id: self.vehicle,
        })
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

    fn form(sd: &str, st: &str, ed: &str, et: &str) -> BookingForm {
        BookingForm {
            start_date: sd.into(),
            start_time: st.into(),
            end_date: ed.into(),
            end_time: et.into(),
            special_requests: String::new(),
            vehicle: None,
        }
    }

    const NOW: &str = "2026-11-24T08:00:00Z";
    const HOURLY_3: Rate = Rate { per_hour: Cents(300), per_day: None };

    #[test]
    fn quick_durations_set_the_end_and_cross_midnight() {
        let mut f = form("2026-11-24", "22:30", "", "");
        f.apply(QuickDuration::FourHours).expect("start is set");
        assert_eq!((f.end_date.as_str(), f.end_time.as_str()), ("2026-11-25", "02:30"));
        assert_eq!(f.quick_duration(), Some(QuickDuration::FourHours));
        for q in QuickDuration::ALL {
            f.apply(q).expect("start is set");
            let priced = f.price(&HOURLY_3, &Utc, utc(NOW)).expect("valid");
            assert_eq!(priced.minutes, q.minutes());
            assert_eq!(priced.total, HOURLY_3.price_minutes(q.minutes()));
        }
        let mut empty = BookingForm::default();
        assert_eq!(empty.apply(QuickDuration::Hour), Err(FormError::MissingStart));
    }

    #[test]
    fn price_is_cores_price_of_the_local_slot() {
        // 10:00–12:30 in UTC+1 is 09:00Z–11:30Z: 150 minutes at $3/h = $7.50.
        let f = form("2026-11-24", "10:00", "2026-11-24", "12:30");
        let priced = f.price(&HOURLY_3, &paris_winter(), utc(NOW)).expect("valid");
        assert_eq!(priced.slot.start(), utc("2026-11-24T09:00:00Z"));
        assert_eq!(priced.total, Cents(750));
        // Multi-day with a daily cap: 2 days and 3 hours at $3/h capped at $20/day.
        let capped = Rate { per_hour: Cents(300), per_day: Some(Cents(2000)) };
        let f = form("2026-11-24", "10:00", "2026-11-26", "13:00");
        let priced = f.price(&capped, &Utc, utc(NOW)).expect("valid");
        assert_eq!(priced.total, Cents(2 * 2000 + 900));
        assert_eq!(priced.total, capped.price(&priced.slot));
    }

    #[test]
    fn validation_messages_are_sentences() {
        let now = utc(NOW);
        let cases = [
            (form("", "", "", ""), "Choose a start date and time."),
            (form("2026-11-24", "10:00", "", ""), "Choose an end date and time, or pick a duration."),
            (form("24/11/2026", "10:00", "", "11:00"), "Dates look like 2026-11-24."),
            (form("2026-11-24", "10h", "", "11:00"), "Times look like 09:30."),
            (form("2026-11-24", "10:00", "2026-11-24", "10:00"), "The end must be after the start."),
            (form("2026-11-24", "10:00", "2026-11-24", "10:10"), "A booking lasts at least 15 minutes."),
            (form("2026-11-24", "10:00", "2026-12-25", "10:00"), "A booking lasts at most 30 days."),
            (form("2026-11-24", "07:00", "2026-11-24", "09:00"), "The start is in the past; pick a later time."),
        ];
        for (f, message) in cases {
            let err = f.price(&HOURLY_3, &Utc, now).expect_err("invalid");
            assert_eq!(err.to_string(), message, "{f:?}");
        }
        let mut long = form("2026-11-24", "10:00", "", "11:00");
        long.special_requests = "x".repeat(SPECIAL_REQUESTS + 1);
        let err = long.request(Uuid::nil(), &HOURLY_3, &Utc, now).expect_err("too long");
        assert_eq!(err.to_string(), "Special requests can be at most 1000 characters.");
    }

    #[test]
    fn request_carries_the_price_shown_and_trimmed_notes() {
        let mut f = form("2026-11-24", "10:00", "", "11:00");
        f.special_requests = "  blue car \n".into();
        let id = Uuid::from_u128(7);
        let req = f.request(id, &HOURLY_3, &Utc, utc(NOW)).expect("valid");
        assert_eq!(req.driveway, id);
        assert_eq!(req.expected_total_cents, Some(300));
        assert_eq!(req.special_requests.as_deref(), Some("blue car"));
        f.special_requests = "   ".into();
        assert_eq!(f.request(id, &HOURLY_3, &Utc, utc(NOW)).expect("valid").special_requests, None);
    }

    #[test]
    fn starting_soon_rounds_up_to_the_next_quarter() {
        let f = BookingForm::starting_soon(utc("2026-11-24T08:07:30Z"), 60, &paris_winter());
        assert_eq!(f, form("2026-11-24", "09:15", "2026-11-24", "10:15"));
        let f = BookingForm::starting_soon(utc("2026-11-24T23:50:00Z"), 120, &Utc);
        assert_eq!(f, form("2026-11-25", "00:00", "2026-11-25", "02:00"));
    }

    #[test]
    fn moving_the_start_keeps_the_length() {
        let mut f = form("2026-11-24", "10:00", "2026-11-24", "12:00");
        f.move_start(None, Some("23:00".into()));
        assert_eq!(f, form("2026-11-24", "23:00", "2026-11-25", "01:00"));
        f.move_start(Some("2026-11-30".into()), None);
        assert_eq!(f, form("2026-11-30", "23:00", "2026-12-01", "01:00"));
    }

    #[test]
    fn round_trips_a_slot_through_local_fields() {
        let (s, e) = (utc("2026-11-24T21:00:00Z"), utc("2026-11-25T03:00:00Z"));
        let f = BookingForm::for_slot(s, e, &paris_winter());
        assert_eq!(f, form("2026-11-24", "22:00", "2026-11-25", "04:00"));
        let slot = f.slot(&paris_winter(), utc(NOW)).expect("valid");
        assert_eq!((slot.start(), slot.end()), (s, e));
    }
}
