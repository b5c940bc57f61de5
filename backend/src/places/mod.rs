//! Finding places by name: "Oakland", "500 Howard St", "Oracle Park".
//!
//! Three sources answer one query, and their results are ranked together:
//! 1. the built-in places ([`gazetteer`]), the world's cities and towns, in memory;
//! 2. the driveways' own titles and addresses, from the database's full-text index;
//! 3. an external geocoder ([`geocoder`]) when one is configured, never needed.
//!
//! A result's score adds how well the text matched (twice), how important the place is, and
//! how near it is to where the driver looks ([`score`]). Time zones from coordinates
//! ([`zones`]) live here too: they are the other question asked of a position.

pub mod fold;
pub mod gazetteer;
pub mod geocoder;
pub mod zones;

use crate::error::AppResult;
use crate::store::Store;
use fold::fold;
use gazetteer::Gazetteer;
use geocoder::Geocoder;
use parkway_core::api::{Place, PlaceKind};
use parkway_core::geo::Point;
use std::sync::Arc;

/// A driveway found by its words weighs like a small town: a good text match still lifts it
/// above a big city that only starts the same way.
const DRIVEWAY_IMPORTANCE: f64 = 0.4;

/// Results closer than this to a better one with the same name are the same place.
const SAME_PLACE_M: f64 = 2_000.0;

/// One query.
#[derive(Debug, Clone)]
pub struct PlaceQuery {
    /// What was typed.
    pub text: String,
    /// Where the driver looks, for ranking.
    pub near: Option<Point>,
    /// At most this many results.
    pub limit: usize,
    /// Type-ahead: the external geocoder answers only from its cache.
    pub autocomplete: bool,
}

/// A result with its score.
#[derive(Debug, Clone)]
pub struct Scored {
    /// The result.
    pub place: Place,
    /// Higher is better.
    pub score: f64,
}

/// The score of a result: text match (0–2, counted twice), importance (0–1) and nearness
/// (1 at `near`, ½ at 100 km, falling with distance).
pub fn score(text: f64, importance: f64, lat: f64, lng: f64, near: Option<Point>) -> f64 {
    let nearness = match (near, Point::new(lat, lng)) {
        (Some(near), Ok(p)) => 1.0 / (1.0 + near.distance_m(&p) / 100_000.0),
        _ => 0.0,
    };
    2.0 * text + importance + nearness
}

/// Place search and time zones.
#[derive(Debug, Clone)]
pub struct Places {
    gazetteer: Arc<Gazetteer>,
    geocoder: Option<Geocoder>,
}

impl Places {
    /// Search over `gazetteer`, the driveways and, when given, `geocoder`.
    pub fn new(gazetteer: Gazetteer, geocoder: Option<Geocoder>) -> Places {
        Places { gazetteer: Arc::new(gazetteer), geocoder }
    }

    /// The best results for `q`, best first.
    pub async fn search(&self, store: &Store, q: &PlaceQuery) -> AppResult<Vec<Place>> {
        let folded = fold(&q.text);
        let words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
        let mut all = self.gazetteer.search(&folded, q.near, q.limit);
        // More candidates than needed: the store may match words by their first letters only,
        // and a single letter (the start of a word being typed) is left to the check below, since
        // no index holds one-letter prefixes and "a"* would gather every row with an "address".
        let indexed: Vec<&str> = words.iter().copied().filter(|w| w.len() > 1).collect();
        let candidates = store.driveways_matching(&indexed, q.limit * 4).await?;
        let mut kept: Vec<(String, String, f64, f64)> = Vec::new();
        for (title, address, lat, lng) in candidates {
            let whole = fold(&format!("{title} {address}"));
            if kept.len() == q.limit
                || !words.iter().all(|w| whole.split(' ').any(|t| t.starts_with(w)))
                || kept.iter().any(|k| (&k.0, &k.1, k.2, k.3) == (&title, &address, lat, lng))
            {
                continue;
            }
            kept.push((title.clone(), address.clone(), lat, lng));
            let text = text_match(&folded, &fold(&title), &whole);
            all.push(Scored {
                score: score(text, DRIVEWAY_IMPORTANCE, lat, lng, q.near),
                place: Place { label: format!("{title}, {address}"), kind: PlaceKind::Driveway, lat, lng, bbox: None },
            });
        }
        if let Some(geocoder) = &self.geocoder
            && let Some(found) = geocoder.search(&q.text, !q.autocomplete).await
        {
            for (rank, f) in found.iter().enumerate() {
                // The geocoder ranked its results; keep that order among them.
                let text = 1.6 - 0.05 * rank as f64;
                all.push(Scored {
                    score: score(text, f.importance, f.place.lat, f.place.lng, q.near),
                    place: f.place.clone(),
                });
            }
        }
        Ok(best(all, q.limit))
    }

    /// Where an address is, from the external geocoder; `None` without one or when it does
    /// not know the address.
    pub async fn locate(&self, address: &str) -> Option<Point> {
        let found = self.geocoder.as_ref()?.search(address, true).await?;
        let first = found.first()?;
        Point::new(first.place.lat, first.place.lng).ok()
    }

    /// The IANA time zone at `point` ("America/Los_Angeles").
    pub async fn time_zone(&self, point: Point) -> String {
        zones::at(point).await
    }

    /// How many built-in places were loaded.
    pub fn built_in(&self) -> usize {
        self.gazetteer.len()
    }
}

/// How well a driveway's words match the folded query: its whole title (2), a run of its
/// words (1.5), or only the starts of words, as the index found it (1).
fn text_match(query: &str, title: &str, all: &str) -> f64 {
    if title == query {
        2.0
    } else if format!(" {all} ").contains(&format!(" {query}")) {
        1.5
    } else {
        1.0
    }
}

/// The `limit` best, with the same place from two sources kept once.
fn best(mut all: Vec<Scored>, limit: usize) -> Vec<Place> {
    all.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept: Vec<Place> = Vec::with_capacity(limit);
    for s in all {
        if kept.len() == limit {
            break;
        }
        let duplicate = kept.iter().any(|k| same_place(k, &s.place));
        if !duplicate {
            kept.push(s.place);
        }
    }
    kept
}

/// Two results are one place when they have the same first name and stand within
/// [`SAME_PLACE_M`] of each other (a city from the built-in places and from the geocoder).
fn same_place(a: &Place, b: &Place) -> bool {
    let name = |p: &Place| fold(p.label.split(',').next().unwrap_or_default());
    let close = match (Point::new(a.lat, a.lng), Point::new(b.lat, b.lng)) {
        (Ok(p), Ok(q)) => p.distance_m(&q) < SAME_PLACE_M,
        _ => false,
    };
    close && name(a) == name(b) && (a.kind == PlaceKind::Driveway) == (b.kind == PlaceKind::Driveway)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(label: &str, kind: PlaceKind, lat: f64, lng: f64) -> Place {
        Place { label: label.into(), kind, lat, lng, bbox: None }
    }

    #[test]
    fn the_same_city_from_two_sources_is_kept_once_and_the_better_one_wins() {
        let a = Scored { place: place("Oakland, CA, United States", PlaceKind::City, 37.804, -122.271), score: 5.0 };
        let b = Scored {
            place: place("Oakland, Alameda County, California", PlaceKind::City, 37.805, -122.272),
            score: 4.0,
        };
        let c = Scored { place: place("Oakland, TN, United States", PlaceKind::Town, 35.2, -89.5), score: 3.0 };
        let kept = best(vec![b, c, a], 10);
        let labels: Vec<_> = kept.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(labels, ["Oakland, CA, United States", "Oakland, TN, United States"]);
    }

    #[test]
    fn a_driveway_matching_its_title_beats_one_matching_word_starts() {
        assert_eq!(text_match("corner lot", "corner lot", "corner lot 1 main st"), 2.0);
        assert_eq!(text_match("500 howard", "garage", "garage 500 howard st"), 1.5);
        assert_eq!(text_match("howard 500", "garage", "garage 500 howard st"), 1.0);
    }
}
