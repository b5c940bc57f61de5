//! The booking server's report: the measured runs, the targets they are held against (each
//! checked once, as its figures are added), the printed tables and the JSON file.

use super::booking::{BookingPhase, PostgresBookingPhase, Shape, ShapedRun};
use super::search::{self, PostgresSearchPhase, SearchPhase};
use super::stats::{Latency, SeriesRates, Tally};
use super::table::{self, Column};
use anyhow::Context;
use chrono::{DateTime, Utc};
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
    pub fn new(request: &'static str, clients: usize, elapsed: Duration, tally: Tally) -> LoadRun {
        let seconds = elapsed.as_secs_f64();
        let outcomes = tally.summarise();
        LoadRun {
            request,
            clients,
            seconds,
            requests: outcomes.requests,
            per_second: if seconds > 0.0 { outcomes.expected as f64 / seconds } else { 0.0 },
            latency: outcomes.latency,
            unexpected: outcomes.unexpected,
            unexpected_by_answer: outcomes.unexpected_by_answer,
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
    pub fn new(filter: &'static str, tally: Tally, items: u64) -> SearchRun {
        let outcomes = tally.summarise();
        SearchRun {
            filter,
            queries: outcomes.requests,
            mean_items: if outcomes.expected > 0 { items as f64 / outcomes.expected as f64 } else { 0.0 },
            latency: outcomes.latency,
            unexpected: outcomes.unexpected,
            unexpected_by_answer: outcomes.unexpected_by_answer,
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

/// A search series with the dataset it ran on and, on PostgreSQL, the number of server
/// instances.
#[derive(Debug, Serialize)]
struct SearchRow {
    driveways: usize,
    /// `None` on SQLite, which always runs one instance.
    #[serde(skip_serializing_if = "Option::is_none")]
    instances: Option<usize>,
    /// Whether the series met the p99 target; `None` where the target does not apply (datasets
    /// other than [`TARGET_SEARCH_AT`]). The verdict itself is in [`Report::verdicts`].
    #[serde(skip)]
    met: Option<bool>,
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
    /// Whether the figure is within [`TARGET_PEAK_RSS_MB`].
    #[serde(skip)]
    met: bool,
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
    postgres_search: Vec<SearchRow>,
    peak_rss: Vec<RssRow>,
    /// Every target check, made once as the figures were added; the printer only reads them.
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
        // Shown against the target but not counted: VmHWM only grows, so the same server's
        // figure at the end of the phase, which is counted, already includes this one.
        self.peak_rss.push(RssRow {
            phase: format!("booking setup, sync={sync}"),
            peak_rss_mb: phase.setup_rss_mb,
            met: within_rss_target(phase.setup_rss_mb),
        });
        self.add_rss(format!("booking, sync={sync}"), phase.peak_rss_mb);
    }

    /// Adds a search phase and checks its figures against the targets.
    pub fn add_search_phase(&mut self, phase: SearchPhase) {
        self.datasets.push(Dataset {
            driveways: phase.driveways,
            seed_seconds: phase.seed_seconds,
            db_mb: phase.db_mb,
        });
        let driveways = phase.driveways;
        for run in phase.runs {
            let target = format!(
                "search p99 at {} driveways, filter {}: ≤ {TARGET_SEARCH_P99_MS:.0} ms",
                thousands(driveways as u64),
                run.filter
            );
            let met = self.check_search(driveways, target, &run);
            self.search.push(SearchRow { driveways, instances: None, met, run });
        }
        self.add_rss(format!("search, {} driveways", thousands(driveways as u64)), phase.peak_rss_mb);
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
        let driveways = phase.driveways;
        for (instances, run) in phase.runs {
            let target = format!(
                "PostgreSQL search p99 at {} driveways, {instances} instance(s), filter {}: ≤ {TARGET_SEARCH_P99_MS:.0} ms",
                thousands(driveways as u64),
                run.filter
            );
            let met = self.check_search(driveways, target, &run);
            self.postgres_search.push(SearchRow { driveways, instances: Some(instances), met, run });
        }
        for (instances, peak) in phase.peak_rss_mb {
            self.add_rss(
                format!("PostgreSQL search, {} driveways, {instances} inst.", thousands(driveways as u64)),
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
            self.check_series(store, shape, clients, &runs, target(shape, clients));
        }
    }

    /// Holds one booking series to its rate target (when it has one) and, when it has more
    /// than one run, to [`MAX_SLOWDOWN`].
    fn check_series(&mut self, store: &str, shape: Shape, clients: usize, runs: &[(f64, bool)], target: Option<f64>) {
        let shape_name = shape.as_str();
        let clean = runs.iter().all(|&(_, clean)| clean);
        let rates: Vec<f64> = runs.iter().map(|&(rate, _)| rate).collect();
        let SeriesRates { first, slowest, median } = SeriesRates::of(&rates);
        if let Some(target) = target {
            self.check(Verdict {
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
            self.check(Verdict {
                target: format!(
                    "{store}, {shape_name}, {clients} clients: no run more than {:.0} % slower than the first",
                    MAX_SLOWDOWN * 100.0
                ),
                measured: slowest / first,
                met: slowest >= first * (1.0 - MAX_SLOWDOWN),
            });
        }
    }

    /// Holds a search series to the p99 target, which applies at [`TARGET_SEARCH_AT`]
    /// driveways only (`None` elsewhere); every answer must also have been a 200.
    fn check_search(&mut self, driveways: usize, target: String, run: &SearchRun) -> Option<bool> {
        (driveways == TARGET_SEARCH_AT).then(|| {
            self.check(Verdict {
                target,
                measured: run.latency.p99_ms,
                met: run.latency.p99_ms <= TARGET_SEARCH_P99_MS && run.unexpected == 0,
            })
        })
    }

    /// Adds a phase's peak memory and holds it to [`TARGET_PEAK_RSS_MB`].
    fn add_rss(&mut self, phase: String, peak_rss_mb: f64) {
        let met = self.check(Verdict {
            target: format!("peak RSS, {phase}: ≤ {TARGET_PEAK_RSS_MB:.0} MB"),
            measured: peak_rss_mb,
            met: within_rss_target(peak_rss_mb),
        });
        self.peak_rss.push(RssRow { phase, peak_rss_mb, met });
    }

    /// Keeps a verdict and says whether it was met.
    fn check(&mut self, verdict: Verdict) -> bool {
        let met = verdict.met;
        self.verdicts.push(verdict);
        met
    }

    /// Prints the report as tables, targets next to the figures.
    pub fn print(&self) {
        for line in self.lines() {
            println!("{line}");
        }
    }

    /// The printed report, line by line; each section after the title starts with a blank line.
    fn lines(&self) -> Vec<String> {
        [
            self.title_lines(),
            self.baseline_lines(),
            self.booking_lines(),
            self.search_lines(),
            self.postgres_search_lines(),
            self.rss_lines(),
            self.verdict_lines(),
        ]
        .concat()
    }

    fn title_lines(&self) -> Vec<String> {
        let mode = if self.quick { " --quick (smoke run: short and small; not the real figures)" } else { "" };
        vec![
            format!("Parkway booking server benchmark{mode}"),
            format!(
                "{} CPUs, server and load generator on the same machine, HTTP over loopback, {}",
                self.cpus,
                self.generated_at.format("%Y-%m-%d %H:%M UTC")
            ),
        ]
    }

    fn baseline_lines(&self) -> Vec<String> {
        let Some(base) = &self.healthz_baseline else { return Vec::new() };
        vec![
            String::new(),
            "Baseline: GET /healthz (raw HTTP overhead, no database)".to_owned(),
            format!(
                "  {} clients: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, {} unexpected; CPU: server {}, load generator {}",
                base.clients,
                base.per_second,
                base.latency.p50_ms,
                base.latency.p99_ms,
                base.unexpected,
                cores(base.server_cores),
                cores(base.load_generator_cores),
            ),
        ]
    }

    /// One table for every store, SQLite and PostgreSQL alike.
    fn booking_lines(&self) -> Vec<String> {
        if self.booking.is_empty() {
            return Vec::new();
        }
        const COLUMNS: [Column; 12] = [
            Column::left("store", 18),
            Column::left("shape", 6),
            Column::right("clients", 7),
            Column::right("run", 3),
            Column::right("requests", 9),
            Column::right("bookings/s", 11),
            Column::right("p50 ms", 8),
            Column::right("p99 ms", 8),
            Column::right("non-201", 8),
            Column::right("srv cores", 9),
            Column::right("db cores", 8),
            Column::right("gen cores", 9),
        ];
        let rows: Vec<Vec<String>> = self
            .booking
            .iter()
            .map(|row| {
                let r = &row.run;
                vec![
                    row.store.clone(),
                    row.shape.as_str().to_owned(),
                    r.clients.to_string(),
                    row.run_in_series.to_string(),
                    r.requests.to_string(),
                    format!("{:.0}", r.per_second),
                    format!("{:.2}", r.latency.p50_ms),
                    format!("{:.2}", r.latency.p99_ms),
                    r.unexpected.to_string(),
                    fixed(r.server_cores),
                    fixed(r.database_cores),
                    fixed(r.load_generator_cores),
                ]
            })
            .collect();
        let heading = format!(
            "Booking creation: POST /api/bookings, conflict-checked, distinct free slots (all should be 201); \
             spread over {} driveways or all on one (hot); PostgreSQL with 1 or 2 server instances, fsync on",
            super::booking::DRIVEWAYS
        );
        [vec![String::new(), heading], table::with_headings(&COLUMNS, &rows)].concat()
    }

    fn search_lines(&self) -> Vec<String> {
        if self.search.is_empty() {
            return Vec::new();
        }
        let mut lines = vec![
            String::new(),
            format!(
                "Search: GET /api/driveways, radius {} m, default limit, sequential; random points in a {:.0} km square",
                self.search_radius_m, self.search_square_km
            ),
        ];
        lines.extend(self.datasets.iter().map(|d| {
            format!(
                "  {} driveways seeded in {:.1} s ({:.0} MB file)",
                thousands(d.driveways as u64),
                d.seed_seconds,
                d.db_mb
            )
        }));
        lines.extend(search_table(&self.search));
        // Only the largest dataset is held to the target, and a quick run does not seed it.
        if !self.search.iter().any(|row| row.met.is_some()) {
            lines.push("  (1M driveways not measured in this run)".to_owned());
        }
        lines
    }

    fn postgres_search_lines(&self) -> Vec<String> {
        if self.postgres_search.is_empty() {
            return Vec::new();
        }
        let mut lines = vec![
            String::new(),
            "PostgreSQL search: the same searches, 1 and 2 server instances on one database (taken in turn)"
                .to_owned(),
        ];
        lines.extend(self.postgres_datasets.iter().map(|d| {
            format!(
                "  {} driveways seeded and analysed in {:.1} s ({:.0} MB database)",
                thousands(d.driveways as u64),
                d.seed_seconds,
                d.db_mb
            )
        }));
        lines.extend(search_table(&self.postgres_search));
        lines
    }

    fn rss_lines(&self) -> Vec<String> {
        if self.peak_rss.is_empty() {
            return Vec::new();
        }
        const COLUMNS: [Column; 4] = [
            Column::left("", 28),
            Column::right("", 10),
            Column::left("", 0).after_gap(2),
            Column::left("", 0).after_gap(2),
        ];
        let rows: Vec<Vec<String>> = self
            .peak_rss
            .iter()
            .map(|row| {
                vec![
                    row.phase.clone(),
                    format!("{:.1} MB", row.peak_rss_mb),
                    format!("≤ {TARGET_PEAK_RSS_MB:.0} MB"),
                    verdict(row.met).to_owned(),
                ]
            })
            .collect();
        [
            vec![String::new(), "Server peak RSS (VmHWM of the server process at the end of each phase)".to_owned()],
            table::without_headings(&COLUMNS, &rows),
        ]
        .concat()
    }

    fn verdict_lines(&self) -> Vec<String> {
        let missed: Vec<&Verdict> = self.verdicts.iter().filter(|v| !v.met).collect();
        let mut lines = vec![
            String::new(),
            format!("Targets: {} of {} met", self.verdicts.len() - missed.len(), self.verdicts.len()),
        ];
        lines.extend(missed.iter().map(|v| format!("  missed: {} (measured {:.2})", v.target, v.measured)));
        lines
    }

    /// Writes the report as pretty JSON.
    pub fn write_json(&self, path: &Path) -> anyhow::Result<()> {
        let json = serde_json::to_string_pretty(self).context("serialising the report")?;
        std::fs::write(path, json + "\n").with_context(|| format!("writing {}", path.display()))
    }
}

/// The search series as a table, SQLite's or PostgreSQL's (whose rows add the number of
/// instances), each with its verdict or a note that the target applies elsewhere.
fn search_table(rows: &[SearchRow]) -> Vec<String> {
    let with_instances = rows.iter().any(|row| row.instances.is_some());
    let mut columns = vec![Column::right("driveways", 10)];
    if with_instances {
        columns.push(Column::right("instances", 9));
    }
    columns.extend([
        Column::left("time filter", 18),
        Column::right("queries", 7),
        Column::right("p50 ms", 7),
        Column::right("p99 ms", 7),
        Column::right("mean ms", 8),
        Column::right("items", 6),
        Column::right("non-200", 7),
        Column::left("target", 0).after_gap(2),
    ]);
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            let r = &row.run;
            let mut cells = vec![thousands(row.driveways as u64)];
            cells.extend(row.instances.map(|n| n.to_string()));
            cells.extend([
                r.filter.to_owned(),
                r.queries.to_string(),
                format!("{:.2}", r.latency.p50_ms),
                format!("{:.2}", r.latency.p99_ms),
                format!("{:.2}", r.latency.mean_ms),
                format!("{:.1}", r.mean_items),
                r.unexpected.to_string(),
                search_target_note(row.met),
            ]);
            cells
        })
        .collect();
    table::with_headings(&columns, &cells)
}

/// The target column of a search row.
fn search_target_note(met: Option<bool>) -> String {
    match met {
        Some(met) => format!("p99 ≤ {TARGET_SEARCH_P99_MS:.0} ms  {}", verdict(met)),
        None => format!("(p99 ≤ {TARGET_SEARCH_P99_MS:.0} ms applies at 1M)"),
    }
}

fn within_rss_target(peak_rss_mb: f64) -> bool {
    peak_rss_mb <= TARGET_PEAK_RSS_MB
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
