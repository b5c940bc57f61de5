//! The driveway form as data: prices typed in dollars, a position, a time zone and a weekly
//! schedule edited as rows, turned into the API's `NewDriveway` with the server's rules.

use parkway_core::api::{Driveway, DrivewayPatch, NewDriveway};
use parkway_core::availability::{OpenWindow, WeeklySchedule};
use parkway_core::money::Cents;
use parkway_core::text::limits;

/// Day names, 0 = Monday, as the API numbers them.
pub const DAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/// One row of the availability editor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowRow {
    /// 0 = Monday.
    pub day: u8,
    /// `HH:MM`.
    pub open: String,
    /// `HH:MM`; `24:00` closes at midnight.
    pub close: String,
}

/// The form's fields, as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrivewayForm {
    /// Short title.
    pub title: String,
    /// Street address.
    pub address: String,
    /// Latitude, as typed.
    pub lat: String,
    /// Longitude, as typed.
    pub lng: String,
    /// Dollars per hour, as typed (`4`, `4.50`).
    pub price_per_hour: String,
    /// Dollars per day, optional.
    pub price_per_day: String,
    /// IANA time zone of the schedule.
    pub timezone: String,
    /// Confirm bookings as soon as they are paid.
    pub instant_book: bool,
    /// Shown to drivers once their booking is confirmed.
    pub access_instructions: String,
    /// Opening hours; empty = always open.
    pub windows: Vec<WindowRow>,
}

impl DrivewayForm {
    /// An empty form in the browser's time zone.
    pub fn empty(timezone: String) -> DrivewayForm {
        DrivewayForm {
            title: String::new(),
            address: String::new(),
            lat: String::new(),
            lng: String::new(),
            price_per_hour: String::new(),
            price_per_day: String::new(),
            timezone,
            instant_book: false,
            access_instructions: String::new(),
            windows: Vec::new(),
        }
    }

    /// The form for editing an existing driveway.
    pub fn from_driveway(d: &Driveway) -> DrivewayForm {
        let windows = schedule_rows(&d.availability);
        DrivewayForm {
            title: d.title.clone(),
            address: d.address.clone(),
            lat: crate::map::features::coordinate(d.lat),
            lng: crate::map::features::coordinate(d.lng),
            price_per_hour: dollars(d.price_per_hour_cents),
            price_per_day: d.price_per_day_cents.map(dollars).unwrap_or_default(),
            timezone: d.timezone.clone(),
            instant_book: d.instant_book,
            access_instructions: d.access_instructions.clone().unwrap_or_default(),
            windows,
        }
    }

    /// Weekdays 08:00–18:00, a common start.
    pub fn weekdays_office_hours() -> Vec<WindowRow> {
        (0..5).map(|day| WindowRow { day, open: "08:00".into(), close: "18:00".into() }).collect()
    }

    /// The checked request, or the first problem as a sentence.
    pub fn to_new(&self) -> Result<NewDriveway, String> {
        let title = self.title.trim();
        if title.is_empty() {
            return Err("Give the driveway a title.".into());
        }
        if title.chars().count() > limits::TITLE {
            return Err(format!("The title can be at most {} characters.", limits::TITLE));
        }
        let address = self.address.trim();
        if address.is_empty() {
            return Err("Enter the address drivers should go to.".into());
        }
        let lat = parse_coordinate(&self.lat, 90.0).ok_or("Latitude is a number between -90 and 90.")?;
        let lng = parse_coordinate(&self.lng, 180.0).ok_or("Longitude is a number between -180 and 180.")?;
        let per_hour = parse_dollars(&self.price_per_hour)
            .filter(|c| c.get() > 0)
            .ok_or("The hourly price is an amount above zero, like 4 or 4.50.")?;
        let per_day = match self.price_per_day.trim() {
            "" => None,
            s => Some(
                parse_dollars(s).filter(|c| c.get() > 0).ok_or("The daily price is an amount above zero, or empty.")?,
            ),
        };
        let notes = self.access_instructions.trim();
        if notes.chars().count() > limits::ACCESS_INSTRUCTIONS {
            return Err(format!("Access instructions can be at most {} characters.", limits::ACCESS_INSTRUCTIONS));
        }
        let timezone = self.timezone.trim();
        Ok(NewDriveway {
            title: title.to_owned(),
            address: address.to_owned(),
            lat: Some(lat),
            lng: Some(lng),
            price_per_hour_cents: per_hour.get(),
            price_per_day_cents: per_day.map(Cents::get),
            currency: None,
            // Left empty, the server takes the zone at the driveway's position.
            timezone: (!timezone.is_empty()).then(|| timezone.to_owned()),
            instant_book: Some(self.instant_book),
            access_instructions: (!notes.is_empty()).then(|| notes.to_owned()),
            availability: Some(self.schedule()?),
        })
    }

    /// The same fields as a full update (clearing what was emptied).
    pub fn to_patch(&self) -> Result<DrivewayPatch, String> {
        let n = self.to_new()?;
        Ok(DrivewayPatch {
            title: Some(n.title),
            address: Some(n.address),
            lat: n.lat,
            lng: n.lng,
            price_per_hour_cents: Some(n.price_per_hour_cents),
            price_per_day_cents: Some(n.price_per_day_cents),
            currency: None,
            timezone: n.timezone,
            instant_book: n.instant_book,
            access_instructions: Some(n.access_instructions),
            availability: n.availability,
        })
    }

    /// The weekly schedule, checked by `parkway-core`.
    pub fn schedule(&self) -> Result<WeeklySchedule, String> {
        let mut windows = Vec::with_capacity(self.windows.len());
        for row in &self.windows {
            let day = DAYS.get(usize::from(row.day)).copied().unwrap_or("that day");
            let (open, close) = match (minutes(&row.open), minutes(&row.close)) {
                (Some(o), Some(c)) => (o, c),
                _ => return Err(format!("{day}: times look like 08:00 (24:00 for midnight).")),
            };
            let window =
                OpenWindow::new(row.day, open, close).map_err(|_| format!("{day}: it must open before it closes."))?;
            windows.push(window);
        }
        WeeklySchedule::new(windows).map_err(|e| super::auth::sentence(&e.to_string()))
    }
}

#[derive(serde::Deserialize)]
struct RawRow {
    day: u8,
    open: String,
    close: String,
}

/// A schedule's windows as `{day, open, close}` rows, sorted by day and time. (Through JSON
/// text: the windows keep their times private, and text is the cheapest path in wasm.)
pub fn schedule_rows(schedule: &WeeklySchedule) -> Vec<WindowRow> {
    let mut rows: Vec<WindowRow> = serde_json::to_string(schedule)
        .ok()
        .and_then(|text| crate::api::decode::<Vec<RawRow>>(&text).ok())
        .unwrap_or_default()
        .into_iter()
        .map(|r| WindowRow { day: r.day, open: r.open, close: r.close })
        .collect();
    rows.sort_by(|a, b| (a.day, &a.open).cmp(&(b.day, &b.open)));
    rows
}

fn minutes(s: &str) -> Option<u16> {
    let (h, m) = s.trim().split_once(':')?;
    let (h, m): (u16, u16) = (h.parse().ok()?, m.get(..2)?.parse().ok()?);
    (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
}

/// Parses a decimal coordinate such as `-122.4194`. Written out rather than with
/// `str::parse::<f64>`, whose correctly rounded algorithm brings about 20 KB of tables into
/// the wasm; a coordinate has at most 9 decimals here (well under a millimetre), so integer
/// digits scaled once are exact enough.
pub fn parse_coordinate(s: &str, limit: f64) -> Option<f64> {
    let s = s.trim();
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && frac.is_empty()
        || whole.len() > 3
        || frac.len() > 9
        || !whole.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let mantissa = whole.bytes().chain(frac.bytes()).fold(0i64, |n, b| n * 10 + i64::from(b - b'0'));
    let v = mantissa as f64 / 10f64.powi(frac.len() as i32);
    let v = if negative { -v } else { v };
    (v.abs() <= limit).then_some(v)
}

/// Parses `4`, `4.5`, `4.50`, `$4.50` into cents; more than two decimals is refused.
pub fn parse_dollars(s: &str) -> Option<Cents> {
    let s = s.trim().trim_start_matches('$').trim();
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() && frac.is_empty()
        || frac.len() > 2
        || !whole.chars().chain(frac.chars()).all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let frac: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    whole.checked_mul(100)?.checked_add(frac).map(Cents)
}

/// `4.50` for 450 cents, `4` for 400.
pub fn dollars(c: Cents) -> String {
    let s = c.to_string();
    s.strip_suffix(".00").map(str::to_owned).unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled() -> DrivewayForm {
        DrivewayForm {
            title: "Sunny driveway".into(),
            address: "1 Main St".into(),
            lat: "37.77".into(),
            lng: "-122.41".into(),
            price_per_hour: "4.5".into(),
            price_per_day: "".into(),
            timezone: "America/Los_Angeles".into(),
            instant_book: true,
            access_instructions: "Gate code 1234".into(),
            windows: DrivewayForm::weekdays_office_hours(),
        }
    }

    #[test]
    fn coordinates_parse_like_decimals() {
        assert_eq!(parse_coordinate(" -122.4194 ", 180.0), Some(-122.4194));
        assert_eq!(parse_coordinate("37.774929", 90.0), Some(37.774929));
        assert_eq!(parse_coordinate("+45", 90.0), Some(45.0));
        assert_eq!(parse_coordinate(".5", 90.0), Some(0.5));
        assert_eq!(parse_coordinate("90.000000001", 90.0), None);
        for bad in ["", "-", ".", "1e5", "12,5", "NaN", "inf", "1.2.3", "--1", "1234", "0.1234567891"] {
            assert_eq!(parse_coordinate(bad, 180.0), None, "{bad}");
        }
    }

    #[test]
    fn dollars_parse_to_cents() {
        assert_eq!(parse_dollars("4"), Some(Cents(400)));
        assert_eq!(parse_dollars("$4.5"), Some(Cents(450)));
        assert_eq!(parse_dollars("0.05"), Some(Cents(5)));
        assert_eq!(parse_dollars(".5"), Some(Cents(50)));
        for bad in ["", "4.505", "four", "-3", "4,50", "."] {
            assert_eq!(parse_dollars(bad), None, "{bad}");
        }
        assert_eq!(dollars(Cents(450)), "4.50");
        assert_eq!(dollars(Cents(400)), "4");
    }

    #[test]
    fn a_filled_form_becomes_a_request() {
        let n = filled().to_new().expect("valid");
        assert_eq!(n.price_per_hour_cents, 450);
        assert_eq!(n.price_per_day_cents, None);
        assert_eq!(n.instant_book, Some(true));
        let json = serde_json::to_value(&n.availability).expect("json");
        assert_eq!(json[0], serde_json::json!({"day": 0, "open": "08:00", "close": "18:00"}));
        assert_eq!(json.as_array().map(Vec::len), Some(5));
    }

    #[test]
    fn problems_are_sentences() {
        let mut f = filled();
        f.price_per_hour = "0".into();
        assert_eq!(f.to_new().expect_err("zero"), "The hourly price is an amount above zero, like 4 or 4.50.");
        let mut f = filled();
        f.lat = "91".into();
        assert_eq!(f.to_new().expect_err("lat"), "Latitude is a number between -90 and 90.");
        let mut f = filled();
        f.windows[1].close = "07:00".into();
        assert_eq!(f.to_new().expect_err("window"), "Tuesday: it must open before it closes.");
        let mut f = filled();
        f.windows[2].open = "8am".into();
        assert_eq!(f.to_new().expect_err("time"), "Wednesday: times look like 08:00 (24:00 for midnight).");
    }

    #[test]
    fn patch_clears_emptied_fields() {
        let mut f = filled();
        f.access_instructions = "  ".into();
        let p = f.to_patch().expect("valid");
        assert_eq!(p.access_instructions, Some(None));
        assert_eq!(p.price_per_day_cents, Some(None));
        let json = serde_json::to_value(&p).expect("json");
        assert!(json["accessInstructions"].is_null());
    }
}
