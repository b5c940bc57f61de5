//! The figures: raw tallies, their summaries, the targets they are held against, the printed
//! report and its JSON form.

use super::booking::{BookingPhase, PostgresBookingPhase, Shape, ShapedRun};
use super::search::{self, PostgresSearchPhase, SearchPhase};
use anyhow::Context;
use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// Target: bookings created per second at 32 concurrent clients (SQLite, either shape).
pub const TARGET_BOOKINGS_PER_S: f64 = 3000.0;
/// Target on PostgreSQL, 32 clients, bookings spread over many driveways.
pub const TARGET_PG_SPREAD_PER_S: f64 = 2500.0;
/// Target on PostgreSQL, 32 clients, every booking on one driveway.
pub const TARGET_PG_HOT_PER_S: f64 = 1500.0;
/// Target on PostgreSQL with one client.
pub const TARGET_PG_ONE_CLIENT_PER_S: f64 = 800.0;
/// No run of a series may be slower than its first by more than this share.
pub const MAX_SLOWDOWN: f64 = 0.10;
/// Target: search p99 latency at one million driveways, in ms.
pub const TARGET_SEARCH_P99_MS: f64 = 10.0;
/// The dataset size the search target applies to.
pub const TARGET_SEARCH_AT: usize = 1_000_000;
/// Target: the server's peak resident memory, in MB.
pub const TARGET_PEAK_RSS_MB: f64 = 150.0;

/// Requests as they complete: latencies and answers.
#[derive(Debug, Default)]
pub struct Tally {
    latencies: Vec<Duration>,
    expected: u64,
    unexpected: BTreeMap<String, u64>,
}

impl Tally {
    /// Records one request: how long it took and how it ended.
    pub fn record(&mut self, latency: Duration, outcome: Result<StatusCode, reqwest::Error>, expected: StatusCode) {
        self.latencies.push(latency);
        match outcome {
            Ok(status) if status == expected => self.expected += 1,
            Ok(status) => *self.unexpected.entry(status.as_u16().to_string()).or_default() += 1,
            Err(e) => *self.unexpected.entry(format!("transport error: {}", error_kind(&e))).or_default() += 1,
        }
    }

    /// Adds another client's tally to this one.
    pub fn merge(&mut self, other: Tally) {
        self.latencies.extend(other.latencies);
        self.expected += other.expected;
        for (answer, n) in other.unexpected {
            *self.unexpected.entry(answer).or_default() += n;
        }
    }

    fn requests(&self) -> u64 {
        self.latencies.len() as u64
    }

    fn unexpected_total(&self) -> u64 {
        self.unexpected.values().sum()
    }
}

fn error_kind(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else if e.is_body() || e.is_decode() {
        "body"
    } else {
        "request"
    }
}

/// Latency percentiles (nearest rank) and mean, in milliseconds.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Latency {
    /// Median.
    pub p50_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Arithmetic mean.
    pub mean_ms: f64,
    /// Slowest.
    pub max_ms: f64,
}

impl Latency {
    /// Summarises samples (sorting them in place).
    pub fn of(samples: &mut [Duration]) -> Latency {
        if samples.is_empty() {
            return Latency::default();
        }
        samples.sort_unstable();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let rank = |p: f64| ((p * samples.len() as f64).ceil() as usize).clamp(1, samples.len()) - 1;
        let total: Duration = samples.iter().sum();
        Latency {
            p50_ms: ms(samples[rank(0.50)]),
            p99_ms: ms(samples[rank(0.99)]),
            mean_ms: ms(total) / samples.len() as f64,
            max_ms: ms(samples[samples.len() - 1]),
        }
    }
}

/// One measured closed-loop load run.
#[derive(Debug, Clone, Serialize)]
pub struct LoadRun {
    /// The request sent.
    pub request: &'static str,
    /// Concurrent clients.
    pub clients: usize,
    /// Wall time of the run, in seconds.
    pub seconds: f64,
    /// Requests completed.
    pub requests: u64,
    /// Answers with the expected status per second.
    pub per_second: f64,
    /// Latency of every request.
    pub latency: Latency,
    /// Answers other than the expected status (must be 0).
    pub unexpected: u64,
    /// Those answers by status code or transport error.
    pub unexpected_by_answer: BTreeMap<String, u64>,
    /// CPU cores the server (every instance together) kept busy on average during the run.
    pub server_cores: Option<f64>,
    /// CPU cores PostgreSQL kept busy on average during the run (PostgreSQL runs only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_cores: Option<f64>,
    /// CPU cores this load generator kept busy on average during the run.
    pub load_generator_cores: Option<f64>,
}

impl LoadRun {
    /// Summarises a run's merged tally.
    pub fn new(request: &'static str, clients: usize, elapsed: Duration, mut tally: Tally) -> LoadRun {
        let seconds = elapsed.as_secs_f64();
        LoadRun {
            request,
            clients,
            seconds,
            requests: tally.requests(),
            per_second: if seconds > 0.0 { tally.expected as f64 / seconds } else { 0.0 },
            latency: Latency::of(&mut tally.latencies),
            unexpected: tally.unexpected_total(),
            unexpected_by_answer: tally.unexpected,
            server_cores: None,
            database_cores: None,
            load_generator_cores: None,
        }
    }

    /// One progress line.
    pub fn summary_line(&self) -> String {
        format!(
            "{} × {:>2} clients, {:.1} s: {:.0}/s, p50 {:.2} ms, p99 {:.2} ms, {} unexpected{}; CPU: server {}, {}load generator {}",
            self.request,
            self.clients,
            self.seconds,
            self.per_second,
            self.latency.p50_ms,
            self.latency.p99_ms,
            self.unexpected,
            describe(&self.unexpected_by_answer),
            cores(self.server_cores),
            self.database_cores.map_or_else(String::new, |c| format!("PostgreSQL {c:.2} cores, ")),
            cores(self.load_generator_cores),
        )
    }
}

/// One measured series of searches.
#[derive(Debug, Clone, Serialize)]
pub struct SearchRun {
    /// The time filter used.
    pub filter: &'static str,
    /// Searches measured.
    pub queries: u64,
    /// Latency of every search.
    pub latency: Latency,
    /// Mean number of driveways per answer.
    pub mean_items: f64,
    /// Answers other than 200 (must be 0).
    pub unexpected: u64,
    /// Those answers by status code or transport error.
    pub unexpected_by_answer: BTreeMap<String, u64>,
}

impl SearchRun {
    /// Summarises a series; `items` is the total count of driveways in the 200 answers.
    pub fn new(filter: &'static str, mut tally: Tally, items: u64) -> SearchRun {
        SearchRun {
            filter,
            queries: tally.requests(),
            mean_items: if tally.expected > 0 { items as f64 / tally.expected as f64 } else { 0.0 },
            latency: Latency::of(&mut tally.latencies),
            unexpected: tally.unexpected_total(),
            unexpected_by_answer: tally.unexpected,
        }
    }

    /// One progress line.
    pub fn summary_line(&self) -> String {
        format!(
            "{} searches, time filter {}: p50 {:.2} ms, p99 {:.2} ms, mean {:.2} ms, {:.1} items, {} unexpected{}",
            self.queries,
            self.filter,
            self.latency.p50_ms,
            self.latency.p99_ms,
            self.latency.mean_ms,
            self.mean_items,
            self.unexpected,
            describe(&self.unexpected_by_answer),
        )
    }
}

fn cores(cores: Option<f64>) -> String {
    cores.map_or_else(|| "?".to_owned(), |c| format!("{c:.2} cores"))
}

fn fixed(value: Option<f64>) -> String {
    value.map_or_else(|| "?".to_owned(), |v| format!("{v:.2}"))
}

fn describe(unexpected: &BTreeMap<String, u64>) -> String {
    if unexpected.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = unexpected.iter().map(|(answer, n)| format!("{answer}: {n}")).collect();
    format!(" ({})", parts.join(", "))
}

/// A booking run with the store it ran on, the shape of its load and its place in a series.
#[derive(Debug, Serialize)]
struct BookingRow {
    /// `SQLite sync=full`, `PostgreSQL ×2`, …
    store: String,
    shape: Shape,
    /// 1 for the first run of a series.
    run_in_series: usize,
    #[serde(flatten)]
    run: LoadRun,
}

/// A search series with the dataset it ran on.
#[derive(Debug, Serialize)]
struct SearchRow {
    driveways: usize,
    #[serde(flatten)]
    run: SearchRun,
}

/// A search series on PostgreSQL with its dataset and number of server instances.
#[derive(Debug, Serialize)]
struct PostgresSearchRow {
    driveways: usize,
    instances: usize,
    #[serde(flatten)]
    run: SearchRun,
}

/// A seeded dataset.
#[derive(Debug, Serialize)]
struct Dataset {
    driveways: usize,
    seed_seconds: f64,
    db_mb: f64,
}

/// The server's peak memory in one phase.
#[derive(Debug, Serialize)]
struct RssRow {
    phase: String,
    peak_rss_mb: f64,
}

/// A target and whether this run met it.
#[derive(Debug, Serialize)]
struct Verdict {
    target: String,
    measured: f64,
    met: bool,
}

/// The targets, as numbers.
#[derive(Debug, Serialize)]
struct Targets {
    bookings_per_s_at_32_clients: f64,
    search_p99_ms_at_1m_driveways: f64,
    peak_rss_mb: f64,
}

/// Everything one `cargo xtask bench` measured.
#[derive(Debug, Serialize)]
pub struct Report {
    generated_at: DateTime<Utc>,
    quick: bool,
    cpus: usize,
    search_radius_m: u32,
    search_square_km: f64,
    targets: Targets,
    healthz_baseline: Option<LoadRun>,
    booking: Vec<BookingRow>,
    datasets: Vec<Dataset>,
    search: Vec<SearchRow>,
    postgres_datasets: Vec<Dataset>,
    postgres_search: Vec<PostgresSearchRow>,
    peak_rss: Vec<RssRow>,
    verdicts: Vec<Verdict>,
}

impl Report {
    /// An empty report.
    pub fn new(quick: bool) -> Report {
        Report {
            generated_at: Utc::now(),
            quick,
            cpus: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            search_radius_m: search::RADIUS_M,
            search_square_km: search::SIDE_KM,
            targets: Targets {
                bookings_per_s_at_32_clients: TARGET_BOOKINGS_PER_S,
                search_p99_ms_at_1m_driveways: TARGET_SEARCH_P99_MS,
                peak_rss_mb: TARGET_PEAK_RSS_MB,
            },
            healthz_baseline: None,
            booking: Vec::new(),
            datasets: Vec::new(),
            search: Vec::new(),
            postgres_datasets: Vec::new(),
            postgres_search: Vec::new(),
            peak_rss: Vec::new(),
            verdicts: Vec::new(),
        }
    }

    /// Adds a booking phase and checks its figures against the targets.
    pub fn add_booking_phase(&mut self, phase: BookingPhase) {
        let sync = phase.sync.as_str();
        if let Some(baseline) = phase.baseline {
            self.healthz_baseline = Some(baseline);
        }
        let store = format!("SQLite sync={sync}");
        self.add_booking_runs(&store, phase.runs, |shape, clients| match (shape, clients) {
            (_, 1) => None,
            _ => Some(TARGET_BOOKINGS_PER_S),
        });
        self.peak_rss.push(RssRow { phase: format!("booking setup, sync={sync}"), peak_rss_mb: phase.setup_rss_mb });
        self.add_rss(format!("booking, sync={sync}"), phase.peak_rss_mb);
    }

    /// Adds a search phase and checks its figures against the targets.
    pub fn add_search_phase(&mut self, phase: SearchPhase) {
        self.datasets.push(Dataset {
            driveways: phase.driveways,
            seed_seconds: phase.seed_seconds,
            db_mb: phase.db_mb,
        });
        for run in phase.runs {
            if phase.driveways == TARGET_SEARCH_AT {
                self.verdicts.push(Verdict {
                    target: format!(
                        "search p99 at {} driveways, filter {}: ≤ {TARGET_SEARCH_P99_MS:.0} ms",
                        thousands(phase.driveways as u64),
                        run.filter
                    ),
                    measured: run.latency.p99_ms,
                    met: run.latency.p99_ms <= TARGET_SEARCH_P99_MS && run.unexpected == 0,
                });
            }
            self.search.push(SearchRow { driveways: phase.driveways, run });
        }
        self.add_rss(format!("search, {} driveways", thousands(phase.driveways as u64)), phase.peak_rss_mb);
    }

    /// Adds a PostgreSQL booking phase and checks it against PostgreSQL's targets.
    pub fn add_postgres_booking_phase(&mut self, phase: PostgresBookingPhase) {
        let n = phase.instances;
        self.add_booking_runs(&format!("PostgreSQL ×{n}"), phase.runs, |shape, clients| match (shape, clients) {
            (_, 1) => Some(TARGET_PG_ONE_CLIENT_PER_S),
            (Shape::Spread, _) => Some(TARGET_PG_SPREAD_PER_S),
            (Shape::Hot, _) => Some(TARGET_PG_HOT_PER_S),
        });
        let peak = phase.peak_rss_mb.iter().copied().fold(0.0, f64::max);
        self.add_rss(format!("PostgreSQL booking, {n} instance(s)"), peak);
    }

    /// Adds a PostgreSQL search phase, held against the same targets as SQLite.
    pub fn add_postgres_search_phase(&mut self, phase: PostgresSearchPhase) {
        self.postgres_datasets.push(Dataset {
            driveways: phase.driveways,
            seed_seconds: phase.seed_seconds,
            db_mb: phase.db_mb,
        });
        for (instances, run) in phase.runs {
            if phase.driveways == TARGET_SEARCH_AT {
                self.verdicts.push(Verdict {
                    target: format!(
                        "PostgreSQL search p99 at {} driveways, {instances} instance(s), filter {}: ≤ {TARGET_SEARCH_P99_MS:.0} ms",
                        thousands(phase.driveways as u64),
                        run.filter
                    ),
                    measured: run.latency.p99_ms,
                    met: run.latency.p99_ms <= TARGET_SEARCH_P99_MS && run.unexpected == 0,
                });
            }
            self.postgres_search.push(PostgresSearchRow { driveways: phase.driveways, instances, run });
        }
        for (instances, peak) in phase.peak_rss_mb {
            self.add_rss(
                format!("PostgreSQL search, {} driveways, {instances} inst.", thousands(phase.driveways as u64)),
                peak,
            );
        }
    }

    /// Records the runs of one store. A series (the runs of one shape at one number of clients)
    /// is held to `target` by its median, and no run of it may be slower than its first by more
    /// than [`MAX_SLOWDOWN`].
    fn add_booking_runs(&mut self, store: &str, runs: Vec<ShapedRun>, target: impl Fn(Shape, usize) -> Option<f64>) {
        // Per series, in order: each run's bookings/s and whether every answer was a 201.
        let mut series: BTreeMap<(Shape, usize), Vec<(f64, bool)>> = BTreeMap::new();
        for ShapedRun { shape, run } in runs {
            let of_series = series.entry((shape, run.clients)).or_default();
            of_series.push((run.per_second, run.unexpected == 0));
            self.booking.push(BookingRow { store: store.to_owned(), shape, run_in_series: of_series.len(), run });
        }
        for ((shape, clients), runs) in series {
            let shape_name = shape.as_str();
            let clean = runs.iter().all(|&(_, clean)| clean);
            let mut rates: Vec<f64> = runs.iter().map(|&(rate, _)| rate).collect();
            let first = rates[0];
            let slowest = rates.iter().copied().fold(f64::INFINITY, f64::min);
            rates.sort_by(f64::total_cmp);
            let median = rates[rates.len() / 2];
            if let Some(target) = target(shape, clients) {
                self.verdicts.push(Verdict {
                    target: format!(
                        "{store}, {shape_name}, {clients} client(s): median of {} run(s) ≥ {} bookings/s",
                        runs.len(),
                        thousands(target as u64)
                    ),
                    measured: median,
                    met: median >= target && clean,
                });
            }
            if runs.len() > 1 {
                self.verdicts.push(Verdict {
                    target: format!(
                        "{store}, {shape_name}, {clients} clients: no run more than {:.0} % slower than the first",
                        MAX_SLOWDOWN * 100.0
                    ),
                    measured: slowest / first,
                    met: slowest >= first * (1.0 - MAX_SLOWDOWN),
                });
            }
        }
    }

    fn add_rss(&mut self, phase: String, peak_rss_mb: f64) {
        self.verdicts.push(Verdict {
            target: format!("peak RSS, {phase}: ≤ {TARGET_PEAK_RSS_MB:.0} MB"),
            measured: peak_rss_mb,
            met: peak_rss_mb <= TARGET_PEAK_RSS_MB,
        });
        self.peak_rss.push(RssRow { phase, peak_rss_mb });
    }

    /// Prints the report as tables, targets next to the figures.
    pub fn print(&self) {
        let mode = if self.quick { " --quick (smoke run: short and small; not the real figures)" } else { "" };
        println!("Parkway booking server benchmark{mode}");
        println!(
            "{} CPUs, server and load generator on the same machine, HTTP over loopback, {}",
            self.cpus,
            self.generated_at.format("%Y-%m-%d %H:%M UTC")
        );

        if let Some(base) = &self.healthz_baseline {
            println!("\nBaseline: GET /healthz (raw HTTP overhead, no database)");
            println!(
                "  {} clients: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, {} unexpected; CPU: server {}, load generator {}",
                base.clients,
                base.per_second,
                base.latency.p50_ms,
                base.latency.p99_ms,
                base.unexpected,
                cores(base.server_cores),
                cores(base.load_generator_cores),
            );
        }

        if !self.booking.is_empty() {
            println!(
                "\nBooking creation: POST /api/bookings, conflict-checked, distinct free slots (all should be 201); \
                 spread over {} driveways or all on one (hot); PostgreSQL with 1 or 2 server instances, fsync on",
                super::booking::DRIVEWAYS
            );
            println!(
                "  {:<18} {:<6} {:>7} {:>3} {:>9} {:>11} {:>8} {:>8} {:>8} {:>9} {:>8} {:>9}",
                "store",
                "shape",
                "clients",
                "run",
                "requests",
                "bookings/s",
                "p50 ms",
                "p99 ms",
                "non-201",
                "srv cores",
                "db cores",
                "gen cores"
            );
            for row in &self.booking {
                let r = &row.run;
                println!(
                    "  {:<18} {:<6} {:>7} {:>3} {:>9} {:>11.0} {:>8.2} {:>8.2} {:>8} {:>9} {:>8} {:>9}",
                    row.store,
                    row.shape.as_str(),
                    r.clients,
                    row.run_in_series,
                    r.requests,
                    r.per_second,
                    r.latency.p50_ms,
                    r.latency.p99_ms,
                    r.unexpected,
                    fixed(r.server_cores),
                    fixed(r.database_cores),
                    fixed(r.load_generator_cores),
                );
            }
        }

        if !self.search.is_empty() {
            println!(
                "\nSearch: GET /api/driveways, radius {} m, default limit, sequential; random points in a {:.0} km square",
                self.search_radius_m, self.search_square_km
            );
            for d in &self.datasets {
                println!(
                    "  {} driveways seeded in {:.1} s ({:.0} MB file)",
                    thousands(d.driveways as u64),
                    d.seed_seconds,
                    d.db_mb
                );
            }
            println!(
                "  {:>10} {:<18} {:>7} {:>7} {:>7} {:>8} {:>6} {:>7}  target",
                "driveways", "time filter", "queries", "p50 ms", "p99 ms", "mean ms", "items", "non-200"
            );
            for row in &self.search {
                let r = &row.run;
                let target = if row.driveways == TARGET_SEARCH_AT {
                    let met = r.latency.p99_ms <= TARGET_SEARCH_P99_MS && r.unexpected == 0;
                    format!("p99 ≤ {TARGET_SEARCH_P99_MS:.0} ms  {}", verdict(met))
                } else {
                    format!("(p99 ≤ {TARGET_SEARCH_P99_MS:.0} ms applies at 1M)")
                };
                println!(
                    "  {:>10} {:<18} {:>7} {:>7.2} {:>7.2} {:>8.2} {:>6.1} {:>7}  {target}",
                    thousands(row.driveways as u64),
                    r.filter,
                    r.queries,
                    r.latency.p50_ms,
                    r.latency.p99_ms,
                    r.latency.mean_ms,
                    r.mean_items,
                    r.unexpected
                );
            }
            if !self.search.iter().any(|row| row.driveways == TARGET_SEARCH_AT) {
                println!("  (1M driveways not measured in this run)");
            }
        }

        if !self.postgres_search.is_empty() {
            println!(
                "\nPostgreSQL search: the same searches, 1 and 2 server instances on one database (taken in turn)"
            );
            for d in &self.postgres_datasets {
                println!(
                    "  {} driveways seeded and analysed in {:.1} s ({:.0} MB database)",
                    thousands(d.driveways as u64),
                    d.seed_seconds,
                    d.db_mb
                );
            }
            println!(
                "  {:>10} {:>9} {:<18} {:>7} {:>7} {:>7} {:>8} {:>6} {:>7}  target",
                "driveways", "instances", "time filter", "queries", "p50 ms", "p99 ms", "mean ms", "items", "non-200"
            );
            for row in &self.postgres_search {
                let r = &row.run;
                let target = if row.driveways == TARGET_SEARCH_AT {
                    let met = r.latency.p99_ms <= TARGET_SEARCH_P99_MS && r.unexpected == 0;
                    format!("p99 ≤ {TARGET_SEARCH_P99_MS:.0} ms  {}", verdict(met))
                } else {
                    format!("(p99 ≤ {TARGET_SEARCH_P99_MS:.0} ms applies at 1M)")
                };
                println!(
                    "  {:>10} {:>9} {:<18} {:>7} {:>7.2} {:>7.2} {:>8.2} {:>6.1} {:>7}  {target}",
                    thousands(row.driveways as u64),
                    row.instances,
                    r.filter,
                    r.queries,
                    r.latency.p50_ms,
                    r.latency.p99_ms,
                    r.latency.mean_ms,
                    r.mean_items,
                    r.unexpected
                );
            }
        }

        if !self.peak_rss.is_empty() {
            println!("\nServer peak RSS (VmHWM of the server process at the end of each phase)");
            for row in &self.peak_rss {
                println!(
                    "  {:<28} {:>7.1} MB  ≤ {TARGET_PEAK_RSS_MB:.0} MB  {}",
                    row.phase,
                    row.peak_rss_mb,
                    verdict(row.peak_rss_mb <= TARGET_PEAK_RSS_MB)
                );
            }
        }

        let missed = self.verdicts.iter().filter(|v| !v.met).count();
        println!("\nTargets: {} of {} met", self.verdicts.len() - missed, self.verdicts.len());
        for v in self.verdicts.iter().filter(|v| !v.met) {
            println!("  missed: {} (measured {:.2})", v.target, v.measured);
        }
    }

    /// Writes the report as pretty JSON.
    pub fn write_json(&self, path: &Path) -> anyhow::Result<()> {
        let json = serde_json::to_string_pretty(self).context("serialising the report")?;
        std::fs::write(path, json + "\n").with_context(|| format!("writing {}", path.display()))
    }
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
