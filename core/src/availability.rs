//! Weekly opening hours, evaluated in the driveway's own time zone.
//!
//! A schedule is a list of windows such as Monday 08:00–18:00. An empty schedule means the
//! driveway is always open. Windows are local wall-clock times, so "08:00" stays 08:00 across a
//! daylight-saving change; that is why coverage is computed per local day rather than by adding
//! fixed offsets.

use crate::slot::TimeSlot;
use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// Most windows one schedule may hold (several per day is plenty).
pub const MAX_WINDOWS: usize = 70;
const MINUTES_PER_DAY: u16 = 24 * 60;

/// One opening window: a weekday (0 = Monday) and local times `open < close`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawWindow", into = "RawWindow")]
pub struct OpenWindow {
    day: u8,
    open: u16,
    close: u16,
}

#[derive(Serialize, Deserialize)]
struct RawWindow {
    day: i64,
    open: String,
    close: String,
}

/// Why a window or schedule was refused; maps to `400 validation_failed`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// The day is not 0..=6.
    #[error("availability day must be 0 (Monday) to 6 (Sunday)")]
    BadDay,
    /// A time is not `HH:MM`.
    #[error("availability times must look like \"08:00\" (24-hour clock; \"24:00\" closes at midnight)")]
    BadTime,
    /// `open` is not before `close`.
    #[error("an availability window must open before it closes")]
    Empty,
    /// Too many windows.
    #[error("a schedule can hold at most {MAX_WINDOWS} windows")]
    TooMany,
    /// The time zone is not an IANA name.
    #[error("timezone must be an IANA name such as \"Europe/Paris\"")]
    BadTimeZone,
}

fn parse_hhmm(s: &str) -> Result<u16, ScheduleError> {
    let (h, m) = s.split_once(':').ok_or(ScheduleError::BadTime)?;
    // Two ASCII digits each: Rust's integer parsing would also take "+8".
    let digits = |part: &str| part.len() == 2 && part.bytes().all(|b| b.is_ascii_digit());
    if !digits(h) || !digits(m) {
        return Err(ScheduleError::BadTime);
    }
    let h: u16 = h.parse().map_err(|_| ScheduleError::BadTime)?;
    let m: u16 = m.parse().map_err(|_| ScheduleError::BadTime)?;
    if m >= 60 || h > 24 || (h == 24 && m != 0) {
        return Err(ScheduleError::BadTime);
    }
    Ok(h * 60 + m)
}

fn format_hhmm(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

impl TryFrom<RawWindow> for OpenWindow {
    type Error = ScheduleError;
    fn try_from(raw: RawWindow) -> Result<Self, ScheduleError> {
        if !(0..=6).contains(&raw.day) {
            return Err(ScheduleError::BadDay);
        }
        OpenWindow::new(raw.day as u8, parse_hhmm(&raw.open)?, parse_hhmm(&raw.close)?)
    }
}

impl From<OpenWindow> for RawWindow {
    fn from(w: OpenWindow) -> Self {
        RawWindow { day: w.day.into(), open: format_hhmm(w.open), close: format_hhmm(w.close) }
    }
}

impl OpenWindow {
    /// A window on `day` (0 = Monday) from `open` to `close`, in minutes after local midnight.
    pub fn new(day: u8, open: u16, close: u16) -> Result<OpenWindow, ScheduleError> {
        if day > 6 {
            return Err(ScheduleError::BadDay);
        }
        if close > MINUTES_PER_DAY {
            return Err(ScheduleError::BadTime);
        }
        if open >= close {
            return Err(ScheduleError::Empty);
        }
        Ok(OpenWindow { day, open, close })
    }

    /// The weekday, 0 = Monday.
    pub fn day(&self) -> u8 {
        self.day
    }
}

/// A driveway's weekly schedule. Empty means always open.
// Deserialised through `new`, so no body, stored row or client can hold a longer one.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "Vec<OpenWindow>")]
pub struct WeeklySchedule(Vec<OpenWindow>);

impl TryFrom<Vec<OpenWindow>> for WeeklySchedule {
    type Error = ScheduleError;
    fn try_from(windows: Vec<OpenWindow>) -> Result<WeeklySchedule, ScheduleError> {
        WeeklySchedule::new(windows)
    }
}

impl WeeklySchedule {
    /// A schedule from parsed windows, refusing more than [`MAX_WINDOWS`].
    pub fn new(windows: Vec<OpenWindow>) -> Result<WeeklySchedule, ScheduleError> {
        if windows.len() > MAX_WINDOWS {
            return Err(ScheduleError::TooMany);
        }
        Ok(WeeklySchedule(windows))
    }

    /// Always open.
    pub fn always_open() -> WeeklySchedule {
        WeeklySchedule(Vec::new())
    }

    /// The windows.
    pub fn windows(&self) -> &[OpenWindow] {
        &self.0
    }

    /// True when every instant of `slot` falls inside an opening window, evaluated in `tz`.
    /// Adjacent windows (Monday 18:00–24:00, Tuesday 00:00–08:00) join into one.
    pub fn covers(&self, slot: &TimeSlot, tz: Tz) -> bool {
        self.0.is_empty() || self.open_until(slot.start(), slot.end(), tz) >= slot.end()
    }

    /// How long the driveway stays open from `from` without a break, looking no further than
    /// `horizon`: `from` itself when it is closed then, `horizon` when it stays open that long
    /// (always, for a schedule without windows).
    pub fn open_until(&self, from: DateTime<Utc>, horizon: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
        if self.0.is_empty() {
            return horizon;
        }
        let first = from.with_timezone(&tz).date_naive() - Duration::days(1);
        let last = horizon.with_timezone(&tz).date_naive();
        let mut intervals: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
        let mut date = first;
        while date <= last {
            let weekday = date.weekday().num_days_from_monday() as u8;
            for w in self.0.iter().filter(|w| w.day == weekday) {
                let open = local_instant(tz, date, w.open, Edge::Open);
                let close = local_instant(tz, date, w.close, Edge::Close);
                if open < close {
                    intervals.push((open, close));
                }
            }
            date += Duration::days(1);
        }
        intervals.sort();
        let mut covered_until = from;
        for (open, close) in intervals {
            if open > covered_until {
                break;
            }
            covered_until = covered_until.max(close);
            if covered_until >= horizon {
                return horizon;
            }
        }
        covered_until
    }
}

#[derive(Clone, Copy)]
enum Edge {
    Open,
    Close,
}

/// The UTC instant of local wall time `minutes` after midnight of `date` in `tz`.
/// Ambiguous times (clocks going back) take the reading that keeps the window widest; times
/// that do not exist (clocks going forward) move to the first instant after the gap.
fn local_instant(tz: Tz, date: NaiveDate, minutes: u16, edge: Edge) -> DateTime<Utc> {
    let naive: NaiveDateTime = date.and_time(NaiveTime::MIN) + Duration::minutes(minutes.into());
    let mut probe = naive;
    for _ in 0..=24 * 4 {
        match tz.from_local_datetime(&probe) {
            LocalResult::Single(t) => return t.with_timezone(&Utc),
            LocalResult::Ambiguous(early, late) => {
                return match edge {
                    Edge::Open => early.with_timezone(&Utc),
                    Edge::Close => late.with_timezone(&Utc),
                };
            }
            LocalResult::None => probe += Duration::minutes(15),
        }
    }
    // No zone has a gap longer than a day; treat it as UTC rather than panic.
    Utc.from_utc_datetime(&naive)
}

/// Parses an IANA time-zone name.
pub fn parse_timezone(name: &str) -> Result<Tz, ScheduleError> {
    name.parse::<Tz>().map_err(|_| ScheduleError::BadTimeZone)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_two_digits_each() {
        assert_eq!(parse_hhmm("08:30"), Ok(510));
        assert_eq!(parse_hhmm("24:00"), Ok(1440));
        for bad in ["+8:00", "8:00", "08:+1", " 8:00", "08:60", "24:01", "0800"] {
            assert_eq!(parse_hhmm(bad), Err(ScheduleError::BadTime), "{bad}");
        }
    }
    use chrono::TimeZone;

    fn slot(a: &str, b: &str) -> TimeSlot {
        let p = |s: &str| DateTime::parse_from_rfc3339(s).expect("rfc3339").with_timezone(&Utc);
        TimeSlot::new(p(a), p(b)).expect("valid slot")
    }

    fn weekdays_9_to_5() -> WeeklySchedule {
        WeeklySchedule::new((0..5).map(|d| OpenWindow::new(d, 9 * 60, 17 * 60).expect("ok")).collect()).expect("ok")
    }

    #[test]
    fn empty_schedule_is_always_open() {
        assert!(WeeklySchedule::always_open().covers(&slot("2026-11-28T01:00:00Z", "2026-12-03T01:00:00Z"), Tz::UTC));
    }

    #[test]
    fn slot_inside_a_window_is_covered_in_local_time() {
        // 2026-11-24 is a Tuesday. Paris is UTC+1 in November: 09:00 local = 08:00Z.
        let paris: Tz = "Europe/Paris".parse().expect("tz");
        let s = weekdays_9_to_5();
        assert!(s.covers(&slot("2026-11-24T08:00:00Z", "2026-11-24T16:00:00Z"), paris));
        assert!(!s.covers(&slot("2026-11-24T07:59:00Z", "2026-11-24T09:00:00Z"), paris));
        assert!(!s.covers(&slot("2026-11-24T15:00:00Z", "2026-11-24T16:01:00Z"), paris));
        // Saturday
        assert!(!s.covers(&slot("2026-11-28T10:00:00Z", "2026-11-28T11:00:00Z"), paris));
    }

    #[test]
    fn adjacent_windows_join_across_midnight() {
        let s = WeeklySchedule::new(vec![
            OpenWindow::new(1, 18 * 60, 24 * 60).expect("ok"),
            OpenWindow::new(2, 0, 8 * 60).expect("ok"),
        ])
        .expect("ok");
        assert!(s.covers(&slot("2026-11-24T20:00:00Z", "2026-11-25T07:00:00Z"), Tz::UTC));
        assert!(!s.covers(&slot("2026-11-24T20:00:00Z", "2026-11-25T09:00:00Z"), Tz::UTC));
    }

    #[test]
    fn open_until_follows_joined_windows_and_stops_at_the_horizon() {
        let s = WeeklySchedule::new(vec![
            OpenWindow::new(1, 18 * 60, 24 * 60).expect("ok"),
            OpenWindow::new(2, 0, 8 * 60).expect("ok"),
        ])
        .expect("ok");
        let t = |s: &str| DateTime::parse_from_rfc3339(s).expect("rfc3339").with_timezone(&Utc);
        let far = t("2026-12-30T00:00:00Z");
        assert_eq!(s.open_until(t("2026-11-24T20:00:00Z"), far, Tz::UTC), t("2026-11-25T08:00:00Z"));
        // Closed at the instant asked about.
        assert_eq!(s.open_until(t("2026-11-25T09:00:00Z"), far, Tz::UTC), t("2026-11-25T09:00:00Z"));
        assert_eq!(
            s.open_until(t("2026-11-24T20:00:00Z"), t("2026-11-24T22:00:00Z"), Tz::UTC),
            t("2026-11-24T22:00:00Z")
        );
        assert_eq!(WeeklySchedule::always_open().open_until(t("2026-11-24T20:00:00Z"), far, Tz::UTC), far);
    }

    #[test]
    fn windows_keep_their_wall_clock_across_dst() {
        // Europe/Paris leaves summer time on Sunday 2026-10-25. Monday 26 opens at 09:00 local,
        // which is 08:00Z after the change, and Friday 23 opens at 09:00 local = 07:00Z.
        let paris: Tz = "Europe/Paris".parse().expect("tz");
        let s = weekdays_9_to_5();
        assert!(s.covers(&slot("2026-10-23T07:00:00Z", "2026-10-23T15:00:00Z"), paris));
        assert!(!s.covers(&slot("2026-10-26T07:00:00Z", "2026-10-26T08:00:00Z"), paris));
        assert!(s.covers(&slot("2026-10-26T08:00:00Z", "2026-10-26T16:00:00Z"), paris));
    }

    #[test]
    fn a_day_with_a_gap_still_opens() {
        // America/New_York springs forward at 02:00 on Sunday 2026-03-08: 02:30 does not exist.
        let ny: Tz = "America/New_York".parse().expect("tz");
        let s = WeeklySchedule::new(vec![OpenWindow::new(6, 2 * 60 + 30, 5 * 60).expect("ok")]).expect("ok");
        // 03:00 EDT = 07:00Z is open; the window starts at the first instant after the gap.
        assert!(s.covers(&slot("2026-03-08T07:00:00Z", "2026-03-08T09:00:00Z"), ny));
        let open = local_instant(ny, NaiveDate::from_ymd_opt(2026, 3, 8).expect("date"), 150, Edge::Open);
        assert_eq!(open, Utc.with_ymd_and_hms(2026, 3, 8, 7, 0, 0).single().expect("t"));
    }

    #[test]
    fn windows_parse_from_json_and_reject_nonsense() {
        let s: WeeklySchedule = serde_json::from_str(r#"[{"day":0,"open":"08:00","close":"24:00"}]"#).expect("ok");
        assert_eq!(serde_json::to_string(&s).expect("json"), r#"[{"day":0,"open":"08:00","close":"24:00"}]"#);
        for bad in [
            r#"[{"day":7,"open":"08:00","close":"09:00"}]"#,
            r#"[{"day":0,"open":"8:00","close":"09:00"}]"#,
            r#"[{"day":0,"open":"09:00","close":"09:00"}]"#,
            r#"[{"day":0,"open":"09:60","close":"10:00"}]"#,
            r#"[{"day":0,"open":"09:00","close":"24:30"}]"#,
        ] {
            assert!(serde_json::from_str::<WeeklySchedule>(bad).is_err(), "{bad}");
        }
        assert!(parse_timezone("Mars/Olympus").is_err());
    }
}
