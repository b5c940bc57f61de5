//! The search filters turned into query parameters.

use super::driveway::parse_dollars;
use crate::format::{parse_hhmm, parse_ymd};
use crate::state::Filters;
use chrono::{DateTime, Duration, LocalResult, TimeZone, Utc};
use parkway_core::money::Cents;

/// A time window in UTC.
pub type Window = (DateTime<Utc>, DateTime<Utc>);

/// The time window to search in, if the driver chose one. An end before the start means the
/// next day (an overnight window).
pub fn window<Tz: TimeZone>(f: &Filters, tz: &Tz) -> Result<Option<Window>, String> {
    if f.date.trim().is_empty() && f.from.trim().is_empty() && f.until.trim().is_empty() {
        return Ok(None);
    }
    let date = parse_ymd(&f.date).ok_or_else(|| "Choose a date.".to_owned())?;
    let from = parse_hhmm(&f.from).ok_or_else(|| "Choose a start time.".to_owned())?;
    let until = parse_hhmm(&f.until).ok_or_else(|| "Choose an end time.".to_owned())?;
    let start = date.and_time(from);
    let mut end = date.and_time(until);
    if end <= start {
        end += Duration::days(1);
    }
    let utc = |t| match tz.from_local_datetime(&t) {
        LocalResult::Single(x) | LocalResult::Ambiguous(x, _) => Ok(x.with_timezone(&Utc)),
        LocalResult::None => Err("That time does not exist on that day (the clocks change).".to_owned()),
    };
    Ok(Some((utc(start)?, utc(end)?)))
}

/// The highest hourly price, if the driver set one.
pub fn max_price(f: &Filters) -> Result<Option<Cents>, String> {
    match f.max_price.trim() {
        "" => Ok(None),
        s => parse_dollars(s).map(Some).ok_or_else(|| "The maximum price is an amount like 5 or 5.50.".to_owned()),
    }
}

/// The fewest average stars, if the driver chose a minimum: whole stars 1 to 5.
pub fn min_rating(f: &Filters) -> Option<u8> {
    f.min_rating.trim().parse::<u8>().ok().filter(|s| (1..=5).contains(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filters(date: &str, from: &str, until: &str, max: &str) -> Filters {
        Filters {
            date: date.into(),
            from: from.into(),
            until: until.into(),
            max_price: max.into(),
            min_rating: String::new(),
        }
    }

    #[test]
    fn minimum_rating_is_whole_stars() {
        let with = |s: &str| Filters { min_rating: s.into(), ..Filters::default() };
        assert_eq!(min_rating(&with("")), None);
        assert_eq!(min_rating(&with("4")), Some(4));
        assert_eq!(min_rating(&with("5")), Some(5));
        assert_eq!(min_rating(&with("0")), None);
        assert_eq!(min_rating(&with("4.5")), None);
        assert_eq!(min_rating(&with("6")), None);
    }

    #[test]
    fn windows_are_local_and_may_run_overnight() {
        assert_eq!(window(&filters("", "", "", ""), &Utc), Ok(None));
        let (s, e) = window(&filters("2026-11-24", "22:00", "06:00", ""), &Utc).expect("ok").expect("some");
        assert_eq!(s.to_rfc3339(), "2026-11-24T22:00:00+00:00");
        assert_eq!(e.to_rfc3339(), "2026-11-25T06:00:00+00:00");
        assert_eq!(window(&filters("2026-11-24", "", "", ""), &Utc), Err("Choose a start time.".into()));
    }

    #[test]
    fn max_price_in_dollars() {
        assert_eq!(max_price(&filters("", "", "", "5.5")), Ok(Some(Cents(550))));
        assert_eq!(max_price(&filters("", "", "", "")), Ok(None));
        assert!(max_price(&filters("", "", "", "cheap")).is_err());
    }
}
