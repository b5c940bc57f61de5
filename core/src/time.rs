//! Reading the API's timestamps (RFC 3339, such as `2026-11-24T09:30:00Z`).
//!
//! chrono's own `Deserialize` for `DateTime<Utc>` goes through its general format machinery
//! (every strftime item, RFC 2822, …), which costs the web UI's wasm about 12 KB. The API only
//! ever carries RFC 3339, which this reads directly; the tests check it agrees with chrono.
//! Writing is left to chrono (`Serialize` is unchanged).

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};

/// What a bad timestamp is told with.
const EXPECTED: &str = "expected an RFC 3339 timestamp such as 2026-11-24T09:30:00Z";

/// Reads `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; the separator may also be `t` or a
/// space, and `Z` may be `z`, as RFC 3339 allows. A fraction beyond nanoseconds is cut.
pub fn parse_rfc3339(s: &str) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let number = |from: usize, to: usize| -> Option<u32> {
        b.get(from..to)?.iter().try_fold(0u32, |n, &c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
    };
    let year = i32::try_from(number(0, 4)?).ok()?;
    let (month, day) = (number(5, 7)?, number(8, 10)?);
    let (hour, minute, second) = (number(11, 13)?, number(14, 16)?, number(17, 19)?);
    let mut i = 19;
    let mut nanos = 0u32;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            if i - start < 9 {
                nanos = nanos * 10 + u32::from(b[i] - b'0');
            }
            i += 1;
        }
        let digits = i - start;
        if digits == 0 {
            return None;
        }
        for _ in digits.min(9)..9 {
            nanos *= 10;
        }
    }
    let offset_seconds: i64 = match *b.get(i)? {
        b'Z' | b'z' if i + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if i + 6 == b.len() && b[i + 3] == b':' => {
            let (h, m) = (number(i + 1, i + 3)?, number(i + 4, i + 6)?);
            if h > 23 || m > 59 {
                return None;
            }
            let v = i64::from(h * 3600 + m * 60);
            if sign == b'-' { -v } else { v }
        }
        _ => return None,
    };
    // A leap second (:60) is chrono's second 59 with a nanosecond count past one second.
    let (second, nanos) = if second == 60 { (59, nanos + 1_000_000_000) } else { (second, nanos) };
    let local =
        NaiveDate::from_ymd_opt(year, month, day)?.and_time(NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?);
    let utc = local.checked_sub_signed(TimeDelta::seconds(offset_seconds))?;
    Some(Utc.from_utc_datetime(&utc))
}

/// `#[serde(deserialize_with = "crate::time::utc")]` for a `DateTime<Utc>` field.
pub fn utc<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    let text = String::deserialize(d)?;
    parse_rfc3339(&text).ok_or_else(|| D::Error::custom(EXPECTED))
}

/// `#[serde(default, deserialize_with = "crate::time::utc_opt")]` for an optional one.
pub fn utc_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    match Option::<String>::deserialize(d)? {
        Some(text) => parse_rfc3339(&text).map(Some).ok_or_else(|| D::Error::custom(EXPECTED)),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::SecondsFormat;
    use proptest::prelude::*;

    fn chrono_reads(s: &str) -> Option<DateTime<Utc>> {
        DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
    }

    #[test]
    fn reads_what_the_api_writes_and_what_clients_send() {
        for s in [
            "2026-11-24T09:30:00Z",
            "2026-11-24T09:30:00.123Z",
            "2026-11-24T09:30:00.123456789Z",
            "2026-11-24t09:30:00z",
            "2026-11-24 09:30:00Z",
            "2026-11-24T10:30:00+01:00",
            "2026-11-24T01:30:00-08:00",
            "2026-03-29T02:30:00+05:45",
            "2016-12-31T23:59:60Z",
        ] {
            assert_eq!(parse_rfc3339(s), chrono_reads(s), "{s}");
            assert!(parse_rfc3339(s).is_some(), "{s}");
        }
        assert_eq!(
            parse_rfc3339("2026-11-24T09:30:00.1234567891Z"),
            chrono_reads("2026-11-24T09:30:00.123456789Z"),
            "a fraction past nanoseconds is cut"
        );
    }

    #[test]
    fn refuses_what_is_not_rfc_3339() {
        for s in [
            "",
            "2026-11-24",
            "2026-11-24T09:30Z",
            "2026-11-24T09:30:00",
            "2026-11-24T09:30:00+0100",
            "2026-11-24T09:30:00+24:00",
            "2026-11-24T09:30:00.Z",
            "2026-13-24T09:30:00Z",
            "2026-02-30T09:30:00Z",
            "2026-11-24T25:30:00Z",
            "2026-11-24T09:30:00Zjunk",
            "+026-11-24T09:30:00Z",
            "2026-11-24T09:3a:00Z",
            "２026-11-24T09:30:00Z",
        ] {
            assert_eq!(parse_rfc3339(s), None, "{s}");
        }
    }

    #[test]
    fn serde_fields_read_and_explain() {
        #[derive(Deserialize)]
        struct Row {
            #[serde(deserialize_with = "utc")]
            at: DateTime<Utc>,
            #[serde(default, deserialize_with = "utc_opt")]
            read: Option<DateTime<Utc>>,
        }
        let row: Row = serde_json::from_str(r#"{"at":"2026-11-24T09:30:00Z","read":null}"#).expect("row");
        assert_eq!(row.at, chrono_reads("2026-11-24T09:30:00Z").expect("t"));
        assert_eq!(row.read, None);
        let row: Row = serde_json::from_str(r#"{"at":"2026-11-24T09:30:00Z"}"#).expect("missing is none");
        assert_eq!(row.read, None);
        let bad = serde_json::from_str::<Row>(r#"{"at":"tomorrow"}"#).err().expect("refused").to_string();
        assert!(bad.contains("RFC 3339"), "{bad}");
    }

    proptest! {
        #[test]
        fn agrees_with_chrono(secs in -2_000_000_000i64..4_000_000_000i64, nanos in 0u32..1_000_000_000,
                              offset_min in -1439i32..1440, digits in 0usize..10) {
            let t = DateTime::from_timestamp(secs, nanos).expect("in range");
            let offset = chrono::FixedOffset::east_opt(offset_min * 60).expect("offset");
            let format = match digits {
                0 => SecondsFormat::Secs,
                1..=3 => SecondsFormat::Millis,
                4..=6 => SecondsFormat::Micros,
                _ => SecondsFormat::Nanos,
            };
            for text in [t.to_rfc3339_opts(format, true), t.with_timezone(&offset).to_rfc3339_opts(format, false)] {
                prop_assert_eq!(parse_rfc3339(&text), chrono_reads(&text), "{}", text);
            }
        }
    }
}
