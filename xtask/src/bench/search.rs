//! Search latency: a database seeded in-process with synthetic driveways over a square around a
//! city, then sequential radius searches at random points, with and without a time filter, and
//! place search as someone types (the built-in places of `places/cities.tsv` when
//! `cargo xtask places` has written it, and the driveways' words). On PostgreSQL the same
//! searches run against one server instance, then against two sharing the database
//! (alternating between them). Wide views of the map (the clusters) are measured beside them.

use super::runs::{SearchRun, thousands};
use super::server::{ServerProcess, SqliteSync, sqlite_url};
use super::stats::Tally;
use anyhow::Context;
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use parkway_backend::config::Durability;
use parkway_backend::store::Store;
use parkway_backend::store::db::query;
use parkway_core::api::Role;
use parkway_core::geo::Point;
use parkway_testkit::pgtemp::TempPostgres;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::{Client, StatusCode};
use serde::Deserialize;
use serde::de::IgnoredAny;
use std::path::Path;
use std::time::{Duration, Instant};

/// Side of the square the driveways are spread over: 1M over 100 km × 100 km is 100 per km².
pub const SIDE_KM: f64 = 100.0;
/// Search radius.
pub const RADIUS_M: u32 = 2000;
/// Unmeasured searches before each measured series.
const WARMUP: usize = 50;
/// How often seeding progress is printed.
const PROGRESS_EVERY: Duration = Duration::from_secs(3);

/// What one dataset size measured.
#[derive(Debug)]
pub struct SearchPhase {
    /// Driveways in the database.
    pub driveways: usize,
    /// Seconds spent seeding them.
    pub seed_seconds: f64,
    /// Size of the database file after seeding, in MB.
    pub db_mb: f64,
    /// Without and with a time filter.
    pub runs: Vec<SearchRun>,
    /// The server's peak resident memory at the end of the phase, in MB.
    pub peak_rss_mb: f64,
}

/// What one dataset size measured on PostgreSQL.
#[derive(Debug)]
pub struct PostgresSearchPhase {
    /// Driveways in the database.
    pub driveways: usize,
    /// Seconds spent seeding them (and updating the planner's statistics).
    pub seed_seconds: f64,
    /// Size of the database after seeding, in MB.
    pub db_mb: f64,
    /// Per number of server instances: without and with a time filter.
    pub runs: Vec<(usize, SearchRun)>,
    /// Per number of server instances: the largest instance's peak resident memory, in MB.
    pub peak_rss_mb: Vec<(usize, f64)>,
}

/// Seeds a fresh database with `count` driveways, starts a server on it, runs `searches`
/// measured searches without and with a time filter, and stops the server.
pub async fn measure(binary: &Path, scratch: &Path, count: usize, searches: usize) -> anyhow::Result<SearchPhase> {
    println!("\nsearch over {} driveways", thousands(count as u64));
    let db = scratch.join(format!("search-{count}.db"));
    let center = Point::new(parkway_backend::demo::DEMO_CENTER.0, parkway_backend::demo::DEMO_CENTER.1)?;
    let seed_started = Instant::now();
    seed(&sqlite_url(&db), count, center).await.with_context(|| format!("seeding {}", db.display()))?;
    let seed_seconds = seed_started.elapsed().as_secs_f64();
    let db_mb =
        std::fs::metadata(&db).with_context(|| format!("reading the size of {}", db.display()))?.len() as f64 / 1e6;
    println!("  seeded in {seed_seconds:.1} s, database file {db_mb:.0} MB");

    let server = ServerProcess::start_with(binary, &db, SqliteSync::Full, &places_env()).await?;
    let base = server.base_url();
    println!("  server listening on {base}");
    let client = super::http_client()?;
    map_index_loaded(&client, &base).await?;
    let mut rng = StdRng::seed_from_u64(2026);
    let tomorrow = (Utc::now() + TimeDelta::days(1)).duration_trunc(TimeDelta::days(1))?;
    let slot = (tomorrow + TimeDelta::hours(10), tomorrow + TimeDelta::hours(12));
    let mut runs = Vec::new();
    for filter in [None, Some(slot)] {
        let run = run_searches(&client, std::slice::from_ref(&base), center, &mut rng, filter, searches).await?;
        println!("  {}", run.summary_line());
        runs.push(run);
    }
    let typing = type_ahead(&client, &base, center, searches).await?;
    println!("  {}", typing.summary_line());
    runs.push(typing);
    for run in wide_views(&client, &base, center, &mut rng, slot, searches).await? {
        println!("  {}", run.summary_line());
        runs.push(run);
    }
    attacks(&client, &base, slot).await?;
    let peak_rss_mb = server.peak_rss_mb()?;
    println!("  server peak RSS {peak_rss_mb:.1} MB");
    server.stop().await?;
    Ok(SearchPhase { driveways: count, seed_seconds, db_mb, runs, peak_rss_mb })
}

/// The searches an attacker would send to make the server work: the whole world with a price
/// nobody asks (refused by the 100 km cap since), and the widest box allowed with a filter few
/// pass and a slot (bounded by the candidate budgets). Median and worst of a few, in ms.
async fn attacks(client: &Client, base: &str, slot: (DateTime<Utc>, DateTime<Utc>)) -> anyhow::Result<()> {
    let fmt = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (lat, lng) = parkway_backend::demo::DEMO_CENTER;
    let widest = format!(
        "{base}/api/driveways?bbox={},{},{},{}&limit=500&maxPricePerHourCents=120&start={}&end={}",
        lng - 0.55,
        lat - 0.44,
        lng + 0.55,
        lat + 0.44,
        fmt(slot.0),
        fmt(slot.1)
    );
    let world = format!("{base}/api/driveways?bbox=-180,-90,180,90&limit=1&maxPricePerHourCents=1");
    for (name, url) in [("world box, price 1", world), ("widest box, price filter and slot", widest)] {
        let mut ms = Vec::new();
        let mut status = 0;
        for _ in 0..5 {
            let started = Instant::now();
            let res = client.get(&url).send().await.context("an attack search")?;
            status = res.status().as_u16();
            let _ = res.bytes().await;
            ms.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        ms.sort_by(f64::total_cmp);
        println!("  attack: {name}: median {:.1} ms, worst {:.1} ms (HTTP {status})", ms[2], ms[4]);
    }
    Ok(())
}

/// Seeds a fresh PostgreSQL database with `count` driveways, then measures searches with one
/// and with two server instances on it.
pub async fn measure_postgres(
    binary: &Path,
    postgres: &TempPostgres,
    count: usize,
    searches: usize,
) -> anyhow::Result<PostgresSearchPhase> {
    println!("\nsearch on PostgreSQL over {} driveways", thousands(count as u64));
    let url = postgres.create_database(&format!("search_{count}")).await?;
    let center = Point::new(parkway_backend::demo::DEMO_CENTER.0, parkway_backend::demo::DEMO_CENTER.1)?;
    let seed_started = Instant::now();
    seed(&url, count, center).await.context("seeding the PostgreSQL database")?;
    // What an operator does after a bulk load: fresh planner statistics, and a visibility map
    // that lets the first pass read the index alone. (Autovacuum would get there on its own.)
    let db_mb = {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&url).await.context("connecting to PostgreSQL")?;
        sqlx::query("VACUUM (ANALYZE) driveways").execute(&mut conn).await.context("VACUUM ANALYZE")?;
        let bytes: i64 = sqlx::query_scalar("SELECT pg_database_size(current_database())")
            .fetch_one(&mut conn)
            .await
            .context("reading the database size")?;
        conn.close().await?;
        bytes as f64 / 1e6
    };
    let seed_seconds = seed_started.elapsed().as_secs_f64();
    println!("  seeded and analysed in {seed_seconds:.1} s, database {db_mb:.0} MB");

    let secret = ("PARKWAY_JWT_SECRET", format!("bench-{}", uuid::Uuid::new_v4().simple()));
    let client = super::http_client()?;
    let tomorrow = (Utc::now() + TimeDelta::days(1)).duration_trunc(TimeDelta::days(1))?;
    let slot = (tomorrow + TimeDelta::hours(10), tomorrow + TimeDelta::hours(12));
    let mut runs = Vec::new();
    let mut peak_rss_mb = Vec::new();
    for instances in [1, 2] {
        let mut servers = Vec::with_capacity(instances);
        for _ in 0..instances {
            let mut env = places_env();
            env.push(secret.clone());
            servers.push(ServerProcess::start_on(binary, &url, &env).await?);
        }
        let bases: Vec<String> = servers.iter().map(ServerProcess::base_url).collect();
        println!("  {instances} instance(s) listening on {}", bases.join(", "));
        for base in &bases {
            map_index_loaded(&client, base).await?;
        }
        // The same points as every other series.
        let mut rng = StdRng::seed_from_u64(2026);
        for filter in [None, Some(slot)] {
            let run = run_searches(&client, &bases, center, &mut rng, filter, searches).await?;
            println!("  {instances} instance(s): {}", run.summary_line());
            runs.push((instances, run));
        }
        if instances == 1 {
            let typing = type_ahead(&client, &bases[0], center, searches).await?;
            println!("  {instances} instance(s): {}", typing.summary_line());
            runs.push((instances, typing));
            for run in wide_views(&client, &bases[0], center, &mut rng, slot, searches).await? {
                println!("  {instances} instance(s): {}", run.summary_line());
                runs.push((instances, run));
            }
        }
        let peak = servers.iter().map(ServerProcess::peak_rss_mb).collect::<anyhow::Result<Vec<f64>>>()?;
        peak_rss_mb.push((instances, peak.into_iter().fold(0.0, f64::max)));
        for server in servers {
            server.stop().await?;
        }
    }
    Ok(PostgresSearchPhase { driveways: count, seed_seconds, db_mb, runs, peak_rss_mb })
}

/// Creates the database, an owner, and `count` driveways around `center`, printing progress.
async fn seed(url: &str, count: usize, center: Point) -> anyhow::Result<()> {
    let store = Store::connect(url, Durability::Normal).await.context("opening the database")?;
    let now = Utc::now();
    // Nobody signs in as this owner, so the stored hash need not be a real one.
    let owner = store
        .create_user("owner@parkway.bench", "Bench owner", "not-a-password-hash", &[Role::Owner], now)
        .await
        .context("creating the owner")?;
    // Seeding commits every 10k rows; a reader sees the count grow (rowid = `seq`).
    let reader = store.reader().clone();
    let started = Instant::now();
    let progress = tokio::spawn(async move {
        loop {
            tokio::time::sleep(PROGRESS_EVERY).await;
            let done: Option<i64> =
                reader.scalar_optional(query("SELECT MAX(seq) FROM driveways")).await.ok().flatten();
            let done = done.unwrap_or(0).max(0) as u64;
            println!(
                "  seeded {} / {} driveways ({:.0} s)",
                thousands(done),
                thousands(count as u64),
                started.elapsed().as_secs_f64()
            );
        }
    });
    let seeded = parkway_backend::demo::synthetic(&store, owner.id, count, center, SIDE_KM, now).await;
    progress.abort();
    seeded.context("inserting synthetic driveways")?;
    store.close().await;
    Ok(())
}

/// What people type into the place search, letter by letter: cities of every size, a landmark
/// the built-in places do not know, and the words every synthetic driveway shares (the worst
/// case for the driveways' full-text index).
const TYPED: &[&str] = &[
    "Oakland",
    "San Francisco",
    "Sacramento",
    "Springfield",
    "Paris",
    "Zürich",
    "Oracle Park",
    "Driveway",
    "Synthetic address",
];

/// `PARKWAY_PLACES` for the server when `cargo xtask places` has written the built-in places.
fn places_env() -> Vec<(&'static str, String)> {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../places/cities.tsv");
    if file.exists() {
        vec![("PARKWAY_PLACES", file.to_string_lossy().into_owned())]
    } else {
        println!("  (no places/cities.tsv: place search measured over the driveways only; run `cargo xtask places`)");
        Vec::new()
    }
}

/// Place search as someone types: every prefix of two letters or more of [`TYPED`], near the
/// city, as type-ahead (`autocomplete=true`), in turn until `count` are measured.
async fn type_ahead(client: &Client, base: &str, center: Point, count: usize) -> anyhow::Result<SearchRun> {
    let prefixes: Vec<String> = TYPED
        .iter()
        .flat_map(|word| {
            let chars: Vec<char> = word.chars().collect();
            (2..=chars.len()).map(move |n| chars[..n].iter().collect::<String>())
        })
        .collect();
    let url = format!("{base}/api/places");
    let near = format!("{},{}", center.lat(), center.lng());
    let mut tally = Tally::default();
    let mut items = 0u64;
    for i in 0..WARMUP + count {
        let q = &prefixes[i % prefixes.len()];
        let query = [("q", q.as_str()), ("near", near.as_str()), ("autocomplete", "true")];
        let (latency, answer) = timed_get(client, &url, &query).await;
        if i >= WARMUP {
            items += counted(&mut tally, latency, answer)?;
        }
    }
    Ok(SearchRun::new("place type-ahead", tally, items))
}

/// The contiguous United States.
const COUNTRY: &str = "-125,24,-66,50";

/// Waits for the server's copy of every driveway's position (which it loads at start, on the
/// side), so that no series measures that load: asks for the first wide view and prints how
/// long it took.
async fn map_index_loaded(client: &Client, base: &str) -> anyhow::Result<()> {
    let url = format!("{base}/api/driveways/clusters");
    let (latency, first) = timed_get(client, &url, &[("bbox", COUNTRY), ("zoom", "4")]).await;
    let first = first.context("the first wide view")?;
    anyhow::ensure!(first.0 == StatusCode::OK, "the first wide view answered {}", first.0);
    println!("  first wide view after start (waits for the map index): {:.0} ms", latency.as_secs_f64() * 1000.0);
    Ok(())
}

/// The map zoomed out (`GET /api/driveways/clusters`): the contiguous United States at zoom 4
/// (every driveway is scanned; they fall in a cell or two), and boxes of the seeded square's
/// size at zoom 9 panned at random (every one of its ~250 cells holds driveways: the largest
/// answer a screen gets), without and with a slot.
async fn wide_views(
    client: &Client,
    base: &str,
    center: Point,
    rng: &mut StdRng,
    slot: (DateTime<Utc>, DateTime<Utc>),
    count: usize,
) -> anyhow::Result<Vec<SearchRun>> {
    let url = format!("{base}/api/driveways/clusters");
    let country = [("bbox", COUNTRY.to_owned()), ("zoom", "4".to_owned())];
    let half_lat = SIDE_KM / 111.0 / 2.0;
    let half_lng = SIDE_KM / (111.0 * center.lat().to_radians().cos()) / 2.0;
    let fmt = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut runs = Vec::new();
    for (name, region, with_slot) in [
        ("clusters: country at zoom 4", false, false),
        ("clusters: 100 km at zoom 9", true, false),
        ("clusters: 100 km at zoom 9, 2 h slot", true, true),
    ] {
        let mut tally = Tally::default();
        let (mut items, mut bytes, mut most_bytes) = (0u64, 0usize, 0usize);
        for i in 0..WARMUP + count {
            let mut query = if region {
                let lat = center.lat() + (rng.random::<f64>() - 0.5) * half_lat;
                let lng = center.lng() + (rng.random::<f64>() - 0.5) * half_lng;
                let bbox = format!("{},{},{},{}", lng - half_lng, lat - half_lat, lng + half_lng, lat + half_lat);
                vec![("bbox", bbox), ("zoom", "9".to_owned())]
            } else {
                country.to_vec()
            };
            if with_slot {
                query.push(("start", fmt(slot.0)));
                query.push(("end", fmt(slot.1)));
            }
            let (latency, answer) = timed_get(client, &url, &query).await;
            if i >= WARMUP {
                let size = answer.as_ref().map(|(_, body)| body.len()).unwrap_or(0);
                bytes += size;
                most_bytes = most_bytes.max(size);
                items += counted(&mut tally, latency, answer)?;
            }
        }
        let run = SearchRun::new(name, tally, items);
        println!(
            "  {name}: answers {:.1} KB on average, {:.1} KB at most",
            bytes as f64 / run.queries.max(1) as f64 / 1000.0,
            most_bytes as f64 / 1000.0
        );
        runs.push(run);
    }
    Ok(runs)
}

/// One GET with its query, timed from sending to the last byte of the answer.
async fn timed_get<Q: serde::Serialize + ?Sized>(
    client: &Client,
    url: &str,
    query: &Q,
) -> (Duration, Result<(StatusCode, bytes::Bytes), reqwest::Error>) {
    let sent = Instant::now();
    let answer = match client.get(url).query(query).send().await {
        Ok(response) => {
            let status = response.status();
            response.bytes().await.map(|body| (status, body))
        }
        Err(e) => Err(e),
    };
    (sent.elapsed(), answer)
}

/// Records a measured answer in `tally` and returns how many items a 200 answer listed.
fn counted(
    tally: &mut Tally,
    latency: Duration,
    answer: Result<(StatusCode, bytes::Bytes), reqwest::Error>,
) -> anyhow::Result<u64> {
    let mut items = 0;
    if let Ok((StatusCode::OK, body)) = &answer {
        let page: Page = serde_json::from_slice(body).context("parsing a search answer")?;
        items = page.items.len() as u64;
    }
    tally.record(latency, answer.map(|(status, _)| status), StatusCode::OK);
    Ok(items)
}

/// The part of a search answer the benchmark looks at.
#[derive(Deserialize)]
struct Page {
    items: Vec<IgnoredAny>,
}

/// Sequential searches at random points of the square, taking the servers in turn; `slot` adds
/// `start`/`end`.
async fn run_searches(
    client: &Client,
    bases: &[String],
    center: Point,
    rng: &mut StdRng,
    slot: Option<(DateTime<Utc>, DateTime<Utc>)>,
    count: usize,
) -> anyhow::Result<SearchRun> {
    let urls: Vec<String> = bases.iter().map(|base| format!("{base}/api/driveways")).collect();
    let dlat = SIDE_KM / 111.0;
    let dlng = SIDE_KM / (111.0 * center.lat().to_radians().cos());
    let mut tally = Tally::default();
    let mut items = 0u64;
    for i in 0..WARMUP + count {
        let lat = center.lat() + (rng.random::<f64>() - 0.5) * dlat;
        let lng = center.lng() + (rng.random::<f64>() - 0.5) * dlng;
        let mut query = vec![("lat", lat.to_string()), ("lng", lng.to_string()), ("radiusM", RADIUS_M.to_string())];
        if let Some((start, end)) = slot {
            query.push(("start", start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)));
            query.push(("end", end.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)));
        }
        let (latency, answer) = timed_get(client, &urls[i % urls.len()], &query).await;
        if i >= WARMUP {
            items += counted(&mut tally, latency, answer)?;
        }
    }
    let filter = if slot.is_some() { "2 h slot tomorrow" } else { "none" };
    Ok(SearchRun::new(filter, tally, items))
}
