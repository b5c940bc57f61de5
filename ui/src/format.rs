//! How amounts, times and durations read on screen.

use chrono::{DateTime, Datelike, Local, NaiveDate, NaiveTime, TimeZone, Timelike, Utc};
use parkway_core::money::{Cents, Currency, format_amount};

// Dates and times are formatted and parsed by hand: chrono's strftime machinery would add
// tens of kilobytes to the wasm for four fixed patterns.

/// `09:05`.
pub fn hhmm(t: &impl Timelike) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// `2026-11-24`.
pub fn ymd(d: &impl Datelike) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

fn number<T: std::str::FromStr>(s: &str, len: usize) -> Option<T> {
    (s.len() == len && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
}

/// Parses `2026-11-24`.
pub fn parse_ymd(s: &str) -> Option<NaiveDate> {
    let mut parts = s.trim().splitn(3, '-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    NaiveDate::from_ymd_opt(number(y, 4)?, number(m, 2)?, number(d, 2)?)
}

/// Parses `09:05` (seconds, as some browsers add, are ignored).
pub fn parse_hhmm(s: &str) -> Option<NaiveTime> {
    let mut parts = s.trim().splitn(3, ':');
    let (h, m) = (parts.next()?, parts.next()?);
    if let Some(sec) = parts.next() {
        number::<u32>(sec, 2)?;
    }
    NaiveTime::from_hms_opt(number(h, 2)?, number(m, 2)?, 0)
}

/// `$12.50`; whole amounts drop the cents (`$12`), as price tags do.
pub fn price_tag(amount: Cents, currency: &Currency) -> String {
    let full = format_amount(amount, currency);
    match full.strip_suffix(".00") {
        Some(short) => short.to_owned(),
        None => full.replace(".00 ", " "),
    }
}

/// `$12.50`, always with cents, for totals and refunds.
pub fn money(amount: Cents, currency: &Currency) -> String {
    format_amount(amount, currency)
}

/// `2 h 30 min`, `45 min`, `3 days 2 h`.
pub fn duration(minutes: i64) -> String {
    let minutes = minutes.max(0);
    let (days, hours, mins) = (minutes / 1440, (minutes % 1440) / 60, minutes % 60);
    let mut parts = Vec::new();
    if days > 0 {
        parts.push(if days == 1 { "1 day".to_owned() } else { format!("{days} days") });
    }
    if hours > 0 {
        parts.push(format!("{hours} h"));
    }
    if mins > 0 || parts.is_empty() {
        parts.push(format!("{mins} min"));
    }
    parts.join(" ")
}

/// `14:05` for a countdown of seconds (never negative).
pub fn countdown(seconds: i64) -> String {
    let s = seconds.max(0);
    format!("{}:{:02}", s / 60, s % 60)
}

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

fn day_text<Tz: TimeZone>(t: &DateTime<Tz>) -> String {
    let weekday = WEEKDAYS[t.weekday().num_days_from_monday() as usize];
    let month = MONTHS[t.month0() as usize];
    format!("{weekday} {} {month}", t.day())
}

/// `Tue 24 Nov, 10:00–12:00`, or `Tue 24 Nov 22:00 → Wed 25 Nov 09:00` across days, in `tz`.
pub fn slot_in<Tz: TimeZone>(start: DateTime<Utc>, end: DateTime<Utc>, tz: &Tz) -> String {
    let (s, e) = (start.with_timezone(tz), end.with_timezone(tz));
    if s.date_naive() == e.date_naive() {
        format!("{}, {}–{}", day_text(&s), hhmm(&s), hhmm(&e))
    } else {
        format!("{} {} → {} {}", day_text(&s), hhmm(&s), day_text(&e), hhmm(&e))
    }
}

/// A slot in the browser's local time.
pub fn slot(start: DateTime<Utc>, end: DateTime<Utc>) -> String {
    slot_in(start, end, &Local)
}

/// `Tue 24 Nov, 10:00` in the browser's local time.
pub fn instant(t: DateTime<Utc>) -> String {
    let l = t.with_timezone(&Local);
    format!("{}, {}", day_text(&l), hhmm(&l))
}

/// `18:00` when `t` falls on the same local day as `from`, else `Wed 25 Nov, 18:00`: an end
/// time read beside the start it follows.
pub fn end_time_in<Tz: TimeZone>(t: DateTime<Utc>, from: DateTime<Utc>, tz: &Tz) -> String {
    let (l, f) = (t.with_timezone(tz), from.with_timezone(tz));
    if l.date_naive() == f.date_naive() { hhmm(&l) } else { format!("{}, {}", day_text(&l), hhmm(&l)) }
}

/// [`end_time_in`] in the browser's local time.
pub fn end_time(t: DateTime<Utc>, from: DateTime<Utc>) -> String {
    end_time_in(t, from, &Local)
}

/// `just now`, `5 min ago`, `3 h ago`, or the date.
pub fn ago(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - t).num_seconds();
    match secs {
        i64::MIN..=59 => "just now".to_owned(),
        60..=3599 => format!("{} min ago", secs / 60),
        3600..=86_399 => format!("{} h ago", secs / 3600),
        _ => instant(t),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::FixedOffset;

    #[test]
    fn price_tags_drop_zero_cents() {
        let usd = Currency::usd();
        assert_eq!(price_tag(Cents(1200), &usd), "$12");
        assert_eq!(price_tag(Cents(1250), &usd), "$12.50");
        assert_eq!(money(Cents(1200), &usd), "$12.00");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(30), "30 min");
        assert_eq!(duration(150), "2 h 30 min");
        assert_eq!(duration(60), "1 h");
        assert_eq!(duration(1440 + 120), "1 day 2 h");
        assert_eq!(duration(0), "0 min");
        assert_eq!(countdown(14 * 60 + 5), "14:05");
        assert_eq!(countdown(-3), "0:00");
    }

    #[test]
    fn dates_and_times_parse_strictly() {
        assert_eq!(parse_ymd("2026-11-24").map(|d| ymd(&d)).as_deref(), Some("2026-11-24"));
        assert_eq!(parse_hhmm("09:05").map(|t| hhmm(&t)).as_deref(), Some("09:05"));
        assert_eq!(parse_hhmm("09:05:00").map(|t| hhmm(&t)).as_deref(), Some("09:05"));
        for bad in ["2026-2-24", "24/11/2026", "2026-13-01", "2026-11-24x"] {
            assert_eq!(parse_ymd(bad), None, "{bad}");
        }
        for bad in ["9:05", "25:00", "10h", "10:60", ""] {
            assert_eq!(parse_hhmm(bad), None, "{bad}");
        }
    }

    #[test]
    fn slots_show_one_day_or_two() {
        let tz = FixedOffset::east_opt(3600).expect("offset");
        let t = |s: &str| DateTime::parse_from_rfc3339(s).expect("time").with_timezone(&Utc);
        assert_eq!(slot_in(t("2026-11-24T09:00:00Z"), t("2026-11-24T11:00:00Z"), &tz), "Tue 24 Nov, 10:00–12:00");
        assert_eq!(
            slot_in(t("2026-11-24T21:00:00Z"), t("2026-11-25T08:00:00Z"), &tz),
            "Tue 24 Nov 22:00 → Wed 25 Nov 09:00"
        );
        assert_eq!(end_time_in(t("2026-11-24T17:00:00Z"), t("2026-11-24T09:00:00Z"), &tz), "18:00");
        assert_eq!(end_time_in(t("2026-11-24T23:30:00Z"), t("2026-11-24T09:00:00Z"), &tz), "Wed 25 Nov, 00:30");
    }
}
