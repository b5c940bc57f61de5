//! GeoJSON for the map, written as JSON text (cheaper in wasm than building `serde_json`
//! values) and tested natively by parsing it back.

use crate::format::price_tag;
use parkway_core::api::{Cluster, SearchItem};
use parkway_core::money::Cents;
use std::fmt::Write;

/// The source holding the driveways (for the dots).
pub const SOURCE: &str = "driveways";
/// The same driveways for the price tags.
pub const TAG_SOURCE: &str = "driveway-tags";
/// The source holding the groups of a wide view.
pub const CLUSTER_SOURCE: &str = "clusters";
/// The source holding the background grid of the offline style.
pub const GRID_SOURCE: &str = "grid";

/// Prefix of the price-tag images drawn on demand.
pub const TAG_PREFIX: &str = "price:";
/// Prefix of the count images on groups.
pub const COUNT_PREFIX: &str = "count:";
/// Prefix of the highlighted price-tag images.
pub const SELECTED_TAG_PREFIX: &str = "price-selected:";

/// A JSON string literal.
pub fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned())
}

/// A coordinate with 6 decimals (about 10 cm), written without float formatting machinery.
pub fn coordinate(v: f64) -> String {
    let micro = (v * 1e6).round() as i64;
    let sign = if micro < 0 { "-" } else { "" };
    let abs = micro.unsigned_abs();
    format!("{sign}{}.{:06}", abs / 1_000_000, abs % 1_000_000)
}

/// The label on a driveway's marker: the quote for the chosen slot when there is one, else the
/// hourly price (`$4/h`).
pub fn marker_label(item: &SearchItem) -> String {
    let d = &item.driveway;
    match item.quote_cents {
        Some(q) => price_tag(q, &d.currency),
        None => format!("{}/h", price_tag(d.price_per_hour_cents, &d.currency)),
    }
}

/// A FeatureCollection of points with `id`, `label`, `title` and `price` properties.
pub fn driveways(items: &[SearchItem]) -> String {
    let mut out = String::with_capacity(64 + items.len() * 200);
    out.push_str(r#"{"type":"FeatureCollection","features":["#);
    for (i, item) in items.iter().enumerate() {
        let d = &item.driveway;
        if i > 0 {
            out.push(',');
        }
        let _ = write!(
            out,
            r#"{{"type":"Feature","geometry":{{"type":"Point","coordinates":[{},{}]}},"properties":{{"id":"{}","label":{},"title":{},"price":{}}}}}"#,
            coordinate(d.lng),
            coordinate(d.lat),
            d.id,
            quote(&marker_label(item)),
            quote(&d.title),
            d.price_per_hour_cents.get()
        );
    }
    out.push_str("]}");
    out
}

/// A group's count as short as a circle needs: `7`, `999`, `1.2k`, `12k`.
pub fn count_label(count: u32) -> String {
    match count {
        0..=999 => count.to_string(),
        1_000..=9_999 => format!("{}.{}k", count / 1000, count % 1000 / 100),
        _ => format!("{}k", count / 1000),
    }
}

/// A FeatureCollection of a wide view's marks with `count` and `label` properties, and `id`
/// for a single driveway (whose label is its price tag).
pub fn clusters(items: &[Cluster]) -> String {
    let mut out = String::with_capacity(64 + items.len() * 140);
    out.push_str(r#"{"type":"FeatureCollection","features":["#);
    for (i, c) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let (label, id) = match (c.driveway_id, &c.currency) {
            (Some(id), Some(currency)) if c.count == 1 => {
                (format!("{}/h", price_tag(Cents(c.min_price_cents), currency)), id.to_string())
            }
            _ => (count_label(c.count), String::new()),
        };
        let _ = write!(
            out,
            r#"{{"type":"Feature","geometry":{{"type":"Point","coordinates":[{},{}]}},"properties":{{"count":{},"label":{},"id":{}}}}}"#,
            coordinate(c.lng),
            coordinate(c.lat),
            c.count,
            quote(&label),
            quote(&id)
        );
    }
    out.push_str("]}");
    out
}

/// A grid of lines covering the bounds, about eight cells across whatever the zoom, with
/// spacings of 1, 2 or 5 × 10ⁿ degrees so lines stay put while panning.
pub fn grid(west: f64, south: f64, east: f64, north: f64) -> String {
    let span = (east - west).abs().max((north - south).abs()).max(1e-6);
    let raw = span / 8.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * magnitude).find(|s| *s >= raw).unwrap_or(magnitude * 10.0);
    let (x0, x1) = ((west / step).floor() as i64 - 1, (east / step).ceil() as i64 + 1);
    let (y0, y1) = ((south / step).floor() as i64 - 1, (north / step).ceil() as i64 + 1);
    let mut lines: Vec<String> = Vec::new();
    // Bounded: a degenerate view never produces more than a few dozen lines.
    for i in x0..=x1.min(x0 + 60) {
        let x = coordinate(i as f64 * step);
        let (s, n) = (coordinate((south - span).max(-85.0)), coordinate((north + span).min(85.0)));
        lines.push(format!("[[{x},{s}],[{x},{n}]]"));
    }
    for j in y0..=y1.min(y0 + 60) {
        let y = coordinate((j as f64 * step).clamp(-85.0, 85.0));
        let (w, e) = (coordinate(west - span), coordinate(east + span));
        lines.push(format!("[[{w},{y}],[{e},{y}]]"));
    }
    format!(
        r#"{{"type":"Feature","geometry":{{"type":"MultiLineString","coordinates":[{}]}},"properties":{{}}}}"#,
        lines.join(",")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use parkway_core::api::Driveway;
    use parkway_core::availability::WeeklySchedule;
    use parkway_core::money::{Cents, Currency};
    use serde_json::{Value, json};
    use uuid::Uuid;

    fn item(price: i64, quote: Option<i64>) -> SearchItem {
        SearchItem {
            driveway: Driveway {
                id: Uuid::from_u128(1),
                owner: Uuid::from_u128(2),
                title: "Elm \"St\"".into(),
                address: "1 Elm St".into(),
                lat: 37.7,
                lng: -122.4,
                price_per_hour_cents: Cents(price),
                price_per_day_cents: None,
                currency: Currency::usd(),
                timezone: "UTC".into(),
                instant_book: false,
                access_instructions: None,
                availability: WeeklySchedule::always_open(),
                rating: None,
                photos: Vec::new(),
                created_at: Utc::now(),
                updated_at: Utc::now(),
            },
            distance_m: 10.0,
            quote_cents: quote.map(Cents),
        }
    }

    #[test]
    fn markers_carry_id_and_price_label() {
        let fc: Value = serde_json::from_str(&driveways(&[item(450, None), item(400, Some(1200))])).expect("json");
        let f = &fc["features"];
        assert_eq!(f[0]["geometry"]["coordinates"], json!([-122.4, 37.7]));
        assert_eq!(f[0]["properties"]["label"], "$4.50/h");
        assert_eq!(f[0]["properties"]["title"], "Elm \"St\"");
        assert_eq!(f[0]["properties"]["id"], Uuid::from_u128(1).to_string());
        assert_eq!(f[1]["properties"]["label"], "$12");
        let empty: Value = serde_json::from_str(&driveways(&[])).expect("json");
        assert_eq!(empty["features"], json!([]));
    }

    #[test]
    fn groups_carry_their_count_and_singles_their_price() {
        let group =
            Cluster { lat: 37.7, lng: -122.4, count: 1234, min_price_cents: 200, driveway_id: None, currency: None };
        let single = Cluster {
            count: 1,
            min_price_cents: 450,
            driveway_id: Some(Uuid::from_u128(7)),
            currency: Some(Currency::usd()),
            ..group.clone()
        };
        let fc: Value = serde_json::from_str(&clusters(&[group, single])).expect("json");
        let f = &fc["features"];
        assert_eq!(f[0]["properties"], json!({"count": 1234, "label": "1.2k", "id": ""}));
        assert_eq!(f[1]["properties"]["label"], "$4.50/h");
        assert_eq!(f[1]["properties"]["id"], Uuid::from_u128(7).to_string());
        assert_eq!(f[1]["geometry"]["coordinates"], json!([-122.4, 37.7]));
        let labels: Vec<String> = [1, 999, 1000, 9_950, 10_000, 123_456].into_iter().map(count_label).collect();
        assert_eq!(labels, ["1", "999", "1.0k", "9.9k", "10k", "123k"]);
    }

    #[test]
    fn coordinates_have_six_decimals() {
        assert_eq!(coordinate(-122.4194), "-122.419400");
        assert_eq!(coordinate(0.0000004), "0.000000");
        assert_eq!(coordinate(-0.5), "-0.500000");
        assert_eq!(coordinate(37.77491234), "37.774912");
    }

    #[test]
    fn grid_has_a_handful_of_lines_at_any_zoom() {
        for span in [0.01, 0.1, 3.0, 90.0] {
            let g: Value = serde_json::from_str(&grid(-122.4, 37.7, -122.4 + span, 37.7 + span)).expect("json");
            let n = g["geometry"]["coordinates"].as_array().map(Vec::len).unwrap_or(0);
            assert!((8..=40).contains(&n), "span {span}: {n} lines");
        }
    }
}
