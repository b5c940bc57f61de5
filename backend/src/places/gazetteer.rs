//! The built-in places: the world's cities and towns, loaded at start from a tab-separated file
//! (`cargo xtask places` writes one from GeoNames' data) into a sorted index of their folded
//! names, so a type-ahead query is a binary search and a short walk.
//!
//! The file's first line names its columns:
//! `name, alternates ("|"-separated), region, country_code, country, lat, lng, population`.
//! Every name and alternate is one key; a query's words may also go on past the name into
//! the region and the country ("oakland ca", "paris france").
//!
//! All strings live in one arena and the index holds offsets into it: about 170,000 places
//! and 400,000 keys then take tens of megabytes less than one allocation each would.

use super::fold::fold;
use super::{Scored, score};
use anyhow::{Context, bail};
use parkway_core::api::{Place, PlaceKind};
use parkway_core::geo::Point;
use std::path::Path;

/// At most this many keys are looked at for one reading of a query: a one-letter prefix
/// cannot make a request walk the whole index.
const MAX_EXAMINED: usize = 20_000;

/// A name is read from at most this many of a query's first words: a 200-character query of
/// a hundred short words is not read a hundred ways.
const MAX_NAME_WORDS: usize = 8;

/// Prefixes up to this long are answered from a table of their most populous places: walking
/// every key that starts with "sa" costs milliseconds, and finds mostly villages.
const SHORT_PREFIX: usize = 3;
/// Places kept per short prefix.
const SHORT_PREFIX_PLACES: usize = 32;

/// Places of at least this many people are cities; smaller ones are towns.
const CITY_POPULATION: u32 = 15_000;

/// The index.
#[derive(Debug, Default)]
pub struct Gazetteer {
    arena: String,
    places: Vec<Entry>,
    countries: Vec<String>,
    keys: Vec<Key>,
    /// The most populous places whose keys start with each prefix of up to [`SHORT_PREFIX`]
    /// bytes, with whether the key was an alternate.
    short: std::collections::HashMap<Box<str>, Vec<(u32, bool)>>,
}

/// A stretch of the arena.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: u32,
    len: u32,
}

#[derive(Debug)]
struct Entry {
    name: Span,
    region: Span,
    /// Folded region, country code and country name, for the words after a name.
    qualifiers: Span,
    country: u16,
    lat: f32,
    lng: f32,
    population: u32,
}

#[derive(Debug)]
struct Key {
    text: Span,
    place: u32,
    alternate: bool,
}

impl Gazetteer {
    /// Reads the file at `path`; a malformed line is an error that names it.
    pub fn load(path: &Path) -> anyhow::Result<Gazetteer> {
        use std::io::BufRead;
        // Line by line: the whole file (12 MB for the world) is never in memory beside the index.
        let file = std::fs::File::open(path).with_context(|| format!("could not read {}", path.display()))?;
        let lines = std::io::BufReader::new(file).lines();
        Gazetteer::from_lines(lines).with_context(|| format!("{} is not a places file", path.display()))
    }

    /// Parses the file's text.
    pub fn parse(text: &str) -> anyhow::Result<Gazetteer> {
        Gazetteer::from_lines(text.lines().map(|l| Ok(l.to_owned())))
    }

    fn from_lines(lines: impl Iterator<Item = std::io::Result<String>>) -> anyhow::Result<Gazetteer> {
        let mut g = Gazetteer::default();
        let mut country_index = std::collections::HashMap::<String, u16>::new();
        let mut lines = lines.enumerate();
        match lines.next() {
            Some((_, Ok(header))) if header.starts_with("name\t") => {}
            Some((_, Err(e))) => return Err(e.into()),
            _ => bail!("the first line must name the columns (name, alternates, region, country_code, ...)"),
        }
        for (n, line) in lines {
            let line = line.with_context(|| format!("line {}", n + 1))?;
            if line.trim().is_empty() {
                continue;
            }
            let cols: Vec<&str> = line.split('\t').collect();
            let [name, alternates, region, code, country, lat, lng, population] = cols[..] else {
                bail!("line {}: expected 8 tab-separated columns, found {}", n + 1, cols.len());
            };
            let number = |what: &str, v: &str| -> anyhow::Result<f64> {
                v.trim().parse::<f64>().map_err(|_| anyhow::anyhow!("line {}: {what} {v:?} is not a number", n + 1))
            };
            let point = Point::new(number("lat", lat)?, number("lng", lng)?)
                .map_err(|e| anyhow::anyhow!("line {}: {e}", n + 1))?;
            let population = population.trim().parse::<u32>().unwrap_or(0);
            let next = u16::try_from(g.countries.len()).context("too many countries")?;
            let country_at = *country_index.entry(code.to_owned()).or_insert_with(|| {
                g.countries.push(country.to_owned());
                next
            });
            let place = u32::try_from(g.places.len()).context("too many places")?;
            let name_span = g.push(name)?;
            let region_span = g.push(region)?;
            let qualifiers = g.push(&fold(&format!("{region} {code} {country}")))?;
            g.places.push(Entry {
                name: name_span,
                region: region_span,
                qualifiers,
                country: country_at,
                lat: point.lat() as f32,
                lng: point.lng() as f32,
                population,
            });
            let folded_name = fold(name);
            for (key, alternate) in std::iter::once((folded_name.clone(), false))
                .chain(alternates.split('|').map(|a| (fold(a), true)).filter(|(a, _)| *a != folded_name))
            {
                if !key.is_empty() {
                    let text = g.push(&key)?;
                    g.keys.push(Key { text, place, alternate });
                }
            }
        }
        let Gazetteer { arena, keys, .. } = &mut g;
        keys.sort_by(|a, b| slice(arena, a.text).cmp(slice(arena, b.text)));
        keys.dedup_by(|a, b| a.place == b.place && slice(arena, a.text) == slice(arena, b.text));
        g.short = short_prefixes(&g);
        g.arena.shrink_to_fit();
        g.keys.shrink_to_fit();
        g.places.shrink_to_fit();
        Ok(g)
    }

    /// How many places it holds.
    pub fn len(&self) -> usize {
        self.places.len()
    }

    /// True when it holds none.
    pub fn is_empty(&self) -> bool {
        self.places.is_empty()
    }

    fn push(&mut self, s: &str) -> anyhow::Result<Span> {
        let start = u32::try_from(self.arena.len()).context("the places file is too large")?;
        self.arena.push_str(s);
        Ok(Span { start, len: u32::try_from(s.len()).context("a name is too long")? })
    }

    fn text(&self, span: Span) -> &str {
        slice(&self.arena, span)
    }

    /// The best `limit` places for the folded query, scored for `near`.
    pub fn search(&self, query: &str, near: Option<Point>, limit: usize) -> Vec<Scored> {
        let words: Vec<&str> = query.split(' ').filter(|w| !w.is_empty()).collect();
        // Best text score per place, over every way of reading the query as a name followed
        // by qualifiers.
        let mut best: std::collections::HashMap<u32, f64> = std::collections::HashMap::new();
        for split in (1..=words.len().min(MAX_NAME_WORDS)).rev() {
            let name = words[..split].join(" ");
            if name.len() < 2 {
                continue;
            }
            let rest = &words[split..];
            if name.len() <= SHORT_PREFIX && rest.is_empty() {
                for &(place, alternate) in self.short.get(name.as_str()).into_iter().flatten() {
                    let slot = best.entry(place).or_insert(0.0);
                    *slot = slot.max(if alternate { 0.9 } else { 1.0 });
                }
                continue;
            }
            let from = self.keys.partition_point(|k| self.text(k.text) < name.as_str());
            for key in self.keys[from..].iter().take(MAX_EXAMINED) {
                let text = self.text(key.text);
                if !text.starts_with(&name) {
                    break;
                }
                let place = &self.places[key.place as usize];
                let qualifiers = self.text(place.qualifiers);
                if !rest.iter().all(|w| qualifiers.split(' ').any(|q| q.starts_with(w))) {
                    continue;
                }
                // A whole name beats the start of one. Among starts, how much of the name was
                // typed counts a little: "sa" is the start of São Paulo more than of San, Mali.
                let mut t =
                    if text.len() == name.len() { 2.0 } else { 1.0 + 0.2 * name.len() as f64 / text.len() as f64 };
                if key.alternate {
                    t *= 0.9;
                }
                let slot = best.entry(key.place).or_insert(0.0);
                *slot = slot.max(t);
            }
        }
        let mut scored: Vec<(u32, f64)> = best
            .into_iter()
            .map(|(i, text)| {
                let p = &self.places[i as usize];
                (i, score(text, importance(p.population), f64::from(p.lat), f64::from(p.lng), near))
            })
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored.truncate(limit);
        scored.into_iter().map(|(i, s)| Scored { place: self.place(i), score: s }).collect()
    }

    fn place(&self, i: u32) -> Place {
        let p = &self.places[i as usize];
        let region = self.text(p.region);
        let country = &self.countries[usize::from(p.country)];
        let label = [self.text(p.name), region, country].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>();
        Place {
            label: label.join(", "),
            kind: if p.population >= CITY_POPULATION { PlaceKind::City } else { PlaceKind::Town },
            lat: round5(f64::from(p.lat)),
            lng: round5(f64::from(p.lng)),
            bbox: None,
        }
    }
}

/// For every prefix of up to [`SHORT_PREFIX`] bytes of every key, its most populous places.
fn short_prefixes(g: &Gazetteer) -> std::collections::HashMap<Box<str>, Vec<(u32, bool)>> {
    let mut table: std::collections::HashMap<Box<str>, Vec<(u32, bool)>> = std::collections::HashMap::new();
    for key in &g.keys {
        let text = g.text(key.text);
        for len in 2..=SHORT_PREFIX.min(text.len()) {
            // Folded keys are ASCII, so every byte is a character boundary.
            let list = table.entry(text[..len].into()).or_default();
            match list.iter_mut().find(|(p, _)| *p == key.place) {
                // A place's own name counts over its alternates.
                Some(entry) => entry.1 &= key.alternate,
                None => list.push((key.place, key.alternate)),
            }
        }
    }
    for list in table.values_mut() {
        list.sort_by_key(|&(p, alternate)| (std::cmp::Reverse(g.places[p as usize].population), alternate, p));
        list.truncate(SHORT_PREFIX_PLACES);
        list.shrink_to_fit();
    }
    table
}

/// A place's weight by its population, from 0 (a hamlet) to 1 (ten million people).
fn importance(population: u32) -> f64 {
    (f64::from(population.max(1)).log10() / 7.0).clamp(0.0, 1.0)
}

/// Five decimals (about a metre): what the file holds, without the float's noise.
fn round5(v: f64) -> f64 {
    (v * 1e5).round() / 1e5
}

fn slice(arena: &str, span: Span) -> &str {
    &arena[span.start as usize..(span.start + span.len) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "name\talternates\tregion\tcountry_code\tcountry\tlat\tlng\tpopulation\n\
        Oakland\tOaklandas\tCA\tUS\tUnited States\t37.80437\t-122.2708\t419267\n\
        Oakland\t\tTN\tUS\tUnited States\t35.22898\t-89.51508\t7488\n\
        Oakland Park\t\tFL\tUS\tUnited States\t26.17231\t-80.13199\t44229\n\
        München\tMunich|Monaco di Baviera\t\tDE\tGermany\t48.13743\t11.57549\t1260391\n\
        Zürich\t\t\tCH\tSwitzerland\t47.36667\t8.55\t341730\n";

    fn labels(g: &Gazetteer, q: &str, near: Option<Point>) -> Vec<String> {
        g.search(&fold(q), near, 5).into_iter().map(|s| s.place.label).collect()
    }

    #[test]
    fn an_exact_name_beats_a_longer_one_and_the_larger_town_comes_first() {
        let g = Gazetteer::parse(FILE).expect("parses");
        assert_eq!(g.len(), 5);
        assert_eq!(
            labels(&g, "Oakland", None),
            ["Oakland, CA, United States", "Oakland, TN, United States", "Oakland Park, FL, United States"]
        );
    }

    #[test]
    fn words_after_the_name_narrow_by_region_or_country() {
        let g = Gazetteer::parse(FILE).expect("parses");
        assert_eq!(labels(&g, "oakland tn", None), ["Oakland, TN, United States"]);
        assert_eq!(labels(&g, "oakland, united st", None).len(), 3);
        assert!(labels(&g, "oakland germany", None).is_empty());
    }

    #[test]
    fn accents_case_and_alternate_names_find_the_place() {
        let g = Gazetteer::parse(FILE).expect("parses");
        assert_eq!(labels(&g, "ZURICH", None), ["Zürich, Switzerland"]);
        assert_eq!(labels(&g, "munich", None), ["München, Germany"]);
        assert_eq!(labels(&g, "münch", None), ["München, Germany"]);
    }

    #[test]
    fn a_near_place_beats_a_far_one_of_the_same_size() {
        let file = "name\talternates\tregion\tcountry_code\tcountry\tlat\tlng\tpopulation\n\
            Springfield\t\tIL\tUS\tUnited States\t39.80172\t-89.64371\t116565\n\
            Springfield\t\tMO\tUS\tUnited States\t37.21533\t-93.29824\t166810\n";
        let g = Gazetteer::parse(file).expect("parses");
        let chicago = Point::new(41.85, -87.65).ok();
        let tulsa = Point::new(36.15, -95.99).ok();
        assert_eq!(labels(&g, "springfield", chicago)[0], "Springfield, IL, United States");
        assert_eq!(labels(&g, "springfield", tulsa)[0], "Springfield, MO, United States");
    }

    #[test]
    fn a_malformed_line_is_named() {
        let bad = "name\talternates\tregion\tcountry_code\tcountry\tlat\tlng\tpopulation\nX\t\t\tUS\tUS\tnorth\t1\t5\n";
        let err = Gazetteer::parse(bad).expect_err("refused").to_string();
        assert!(err.contains("line 2"), "{err}");
        assert!(Gazetteer::parse("no header\n").is_err());
    }
}
#[cfg(test)]
mod measure {
    /// `cargo test --release -p parkway-backend --lib measure_real_file -- --ignored --nocapture`
    /// after `cargo xtask places`: load time, memory and a few queries on the real file.
    #[test]
    #[ignore]
    fn measure_real_file() {
        let t = std::time::Instant::now();
        let g = super::Gazetteer::load(std::path::Path::new("../places/cities.tsv")).expect("loads");
        eprintln!("load {:?} places {} keys {} arena {}", t.elapsed(), g.len(), g.keys.len(), g.arena.len());
        let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        for l in s.lines().filter(|l| l.starts_with("VmRSS") || l.starts_with("VmHWM")) {
            eprintln!("{l}");
        }
        for q in ["oakland", "sa", "s", "wien", "san fran", "paris", "springfield", "new york", "oak", "oakl"] {
            let t = std::time::Instant::now();
            let r = g.search(&super::fold(q), None, 5);
            eprintln!("{q:>12} {:?} {:?}", t.elapsed(), r.iter().map(|s| s.place.label.as_str()).collect::<Vec<_>>());
        }
    }
}
