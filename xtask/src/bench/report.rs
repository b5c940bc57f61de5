//! The booking server's report: the measured runs, the targets they are held against (each
//! checked once, as its figures are added) and the JSON file. The printed tables are in `text`.

/// The report as printed text: its tables, with the verdicts beside the figures.
mod text;

use super::booking::{BookingPhase, PostgresBookingPhase, Shape, ShapedRun};
use super::pgbench::Anchor;
use super::runs::{LoadRun, SearchRun, thousands};
use super::search::{self, PostgresSearchPhase, SearchPhase};
use super::stats::SeriesRates;
use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

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
/// A wide view's groups (`GET /api/driveways/clusters`), p99 at a million driveways.
pub const TARGET_CLUSTERS_P99_MS: f64 = 20.0;

/// The p99 target of a search series: the clusters have their own.
pub fn p99_target(run: &SearchRun) -> f64 {
    if run.filter.starts_with("clusters") { TARGET_CLUSTERS_P99_MS } else { TARGET_SEARCH_P99_MS }
}
/// The dataset size the search target applies to.
pub const TARGET_SEARCH_AT: usize = 1_000_000;
/// Target: the server's peak resident memory, in MB.
pub const TARGET_PEAK_RSS_MB: f64 = 150.0;

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
    /// pgbench on the PostgreSQL server of the booking runs, measured just before them.
    postgres_anchor: Option<Anchor>,
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
            postgres_anchor: None,
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
            (Shape::Fresh, _) | (_, 1) => None,
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
                "search p99 at {} driveways, filter {}: ≤ {:.0} ms",
                thousands(driveways as u64),
                run.filter,
                p99_target(&run)
            );
            let met = self.check_search(driveways, target, &run);
            self.search.push(SearchRow { driveways, instances: None, met, run });
        }
        self.add_rss(format!("search, {} driveways", thousands(driveways as u64)), phase.peak_rss_mb);
    }

    /// Notes what pgbench did on the PostgreSQL server the booking phases run on.
    pub fn set_postgres_anchor(&mut self, anchor: Anchor) {
        self.postgres_anchor = Some(anchor);
    }

    /// Adds a PostgreSQL booking phase and checks it against PostgreSQL's targets.
    pub fn add_postgres_booking_phase(&mut self, phase: PostgresBookingPhase) {
        let n = phase.instances;
        self.add_booking_runs(&format!("PostgreSQL ×{n}"), phase.runs, |shape, clients| match (shape, clients) {
            (Shape::Fresh, _) => None,
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
                "PostgreSQL search p99 at {} driveways, {instances} instance(s), filter {}: ≤ {:.0} ms",
                thousands(driveways as u64),
                run.filter,
                p99_target(&run)
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
    /// is held to `target` by its median, and no run of a series of many clients may be slower
    /// than its first by more than [`MAX_SLOWDOWN`] (one client's runs measure no slope: they are
    /// repeated only for their median). A hot series with fresh runs beside it is held to that
    /// margin run by run against the fresh run right after each instead, which the machine's
    /// own swings between runs, by the minute, do not move.
    fn add_booking_runs(&mut self, store: &str, runs: Vec<ShapedRun>, target: impl Fn(Shape, usize) -> Option<f64>) {
        // Per series, in order: each run's bookings/s and whether every answer was a 201.
        let mut series: BTreeMap<(Shape, usize), Vec<(f64, bool)>> = BTreeMap::new();
        for ShapedRun { shape, run } in runs {
            let of_series = series.entry((shape, run.clients)).or_default();
            of_series.push((run.per_second, run.unexpected == 0));
            self.booking.push(BookingRow { store: store.to_owned(), shape, run_in_series: of_series.len(), run });
        }
        let fresh = series.iter().find(|((shape, _), _)| *shape == Shape::Fresh);
        let paired = fresh.and_then(|(&(_, clients), fresh)| {
            let hot = series.get(&(Shape::Hot, clients))?;
            let lowest = hot.iter().zip(fresh).map(|(hot, fresh)| hot.0 / fresh.0).fold(f64::INFINITY, f64::min);
            Some((clients, lowest))
        });
        if let Some((clients, lowest)) = paired {
            self.check(Verdict {
                target: format!(
                    "{store}, hot, {clients} clients: no run more than {:.0} % slower than an empty driveway's just after it",
                    MAX_SLOWDOWN * 100.0
                ),
                measured: lowest,
                met: lowest >= 1.0 - MAX_SLOWDOWN,
            });
        }
        for ((shape, clients), runs) in series {
            // Fresh runs are each on a driveway of their own: they make no series to slope.
            let against_fresh = shape == Shape::Hot && paired.is_some_and(|(at, _)| at == clients);
            let slope = shape != Shape::Fresh && !against_fresh;
            self.check_series(store, shape, clients, &runs, target(shape, clients), slope);
        }
    }

    /// Holds one booking series to its rate target (when it has one) and, when it has more
    /// than one run of many clients and `slope` is asked, to [`MAX_SLOWDOWN`] against its first.
    fn check_series(
        &mut self,
        store: &str,
        shape: Shape,
        clients: usize,
        runs: &[(f64, bool)],
        target: Option<f64>,
        slope: bool,
    ) {
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
        if slope && runs.len() > 1 && clients > 1 {
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
                met: run.latency.p99_ms <= p99_target(run) && run.unexpected == 0,
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

    /// Writes the report as pretty JSON.
    pub fn write_json(&self, path: &Path) -> anyhow::Result<()> {
        let json = serde_json::to_string_pretty(self).context("serialising the report")?;
        std::fs::write(path, json + "\n").with_context(|| format!("writing {}", path.display()))
    }
}

/// Whether a peak resident memory is within [`TARGET_PEAK_RSS_MB`].
fn within_rss_target(peak_rss_mb: f64) -> bool {
    peak_rss_mb <= TARGET_PEAK_RSS_MB
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::server::SqliteSync;
    use crate::bench::stats::Latency;

    fn load_run(clients: usize, per_second: f64, unexpected: u64) -> LoadRun {
        LoadRun {
            request: "POST /api/bookings",
            clients,
            seconds: 3.0,
            requests: (per_second * 3.0) as u64 + unexpected,
            per_second,
            latency: Latency { p50_ms: 1.0, p99_ms: 4.0, mean_ms: 2.0, max_ms: 9.0 },
            unexpected,
            unexpected_by_answer: BTreeMap::from([("409".to_owned(), unexpected)]),
            server_cores: Some(1.25),
            database_cores: None,
            load_generator_cores: Some(0.75),
        }
    }

    fn search_run(filter: &'static str, p99_ms: f64, unexpected: u64) -> SearchRun {
        SearchRun {
            filter,
            queries: 300,
            latency: Latency { p50_ms: p99_ms / 4.0, p99_ms, mean_ms: p99_ms / 2.0, max_ms: p99_ms * 2.0 },
            mean_items: 42.5,
            unexpected,
            unexpected_by_answer: BTreeMap::new(),
        }
    }

    fn spread(clients: usize, per_second: f64) -> ShapedRun {
        ShapedRun { shape: Shape::Spread, run: load_run(clients, per_second, 0) }
    }

    fn hot(clients: usize, per_second: f64, unexpected: u64) -> ShapedRun {
        ShapedRun { shape: Shape::Hot, run: load_run(clients, per_second, unexpected) }
    }

    fn fresh(clients: usize, per_second: f64) -> ShapedRun {
        ShapedRun { shape: Shape::Fresh, run: load_run(clients, per_second, 0) }
    }

    /// A report of every kind of row, with targets met and missed.
    fn report() -> Report {
        let mut report = Report::new(false);
        report.generated_at = DateTime::parse_from_rfc3339("2024-05-06T07:08:09Z").expect("a date").to_utc();
        report.cpus = 2;
        report.add_booking_phase(BookingPhase {
            sync: SqliteSync::Full,
            baseline: None,
            // Spread: the third run is 16 % slower than the first. Hot: a 409 spoils the median,
            // and the first run is 14 % slower than an empty driveway's right after it (the
            // second, slower than the first, is within 5 % of its own).
            runs: vec![
                spread(1, 900.0),
                spread(32, 3100.0),
                spread(32, 3200.0),
                spread(32, 2600.0),
                hot(32, 3100.0, 1),
                fresh(32, 3600.0),
                hot(32, 3050.0, 0),
                fresh(32, 3200.0),
            ],
            setup_rss_mb: 155.0,
            peak_rss_mb: 160.0,
        });
        for driveways in [100_000, TARGET_SEARCH_AT] {
            report.add_search_phase(SearchPhase {
                driveways,
                seed_seconds: 12.34,
                db_mb: 55.5,
                runs: vec![search_run("none", 8.0, 0), search_run("2 h slot tomorrow", 12.0, 0)],
                peak_rss_mb: 70.0,
            });
        }
        report.set_postgres_anchor(Anchor {
            scale: 32,
            seconds: 10,
            one_client_tps: 1000.0,
            many_clients: 32,
            many_clients_tps: 2000.0,
        });
        report.add_postgres_booking_phase(PostgresBookingPhase {
            instances: 2,
            // One client's runs are held to their median only: the second's dip is no slope. The
            // fresh run has no rate target of its own.
            runs: vec![spread(1, 850.0), spread(1, 700.0), spread(1, 900.0), hot(32, 1400.0, 0), fresh(32, 1500.0)]
                .into_iter()
                .map(|mut shaped| {
                    shaped.run.database_cores = Some(0.5);
                    shaped
                })
                .collect(),
            peak_rss_mb: vec![100.0, 120.0],
        });
        report.add_postgres_search_phase(PostgresSearchPhase {
            driveways: TARGET_SEARCH_AT,
            seed_seconds: 30.0,
            db_mb: 200.0,
            runs: vec![(1, search_run("none", 9.0, 0)), (2, search_run("none", 9.5, 1))],
            peak_rss_mb: vec![(1, 120.0), (2, 130.0)],
        });
        report
    }

    #[test]
    fn each_target_is_checked_once_as_its_figures_are_added() {
        let report = report();
        let verdicts: Vec<(&str, f64, bool)> =
            report.verdicts.iter().map(|v| (v.target.as_str(), v.measured, v.met)).collect();
        assert_eq!(
            verdicts,
            [
                (
                    "SQLite sync=full, hot, 32 clients: no run more than 10 % slower than an empty driveway's just after it",
                    3100.0 / 3600.0,
                    false
                ),
                ("SQLite sync=full, spread, 32 client(s): median of 3 run(s) ≥ 3,000 bookings/s", 3100.0, true),
                (
                    "SQLite sync=full, spread, 32 clients: no run more than 10 % slower than the first",
                    2600.0 / 3100.0,
                    false
                ),
                ("SQLite sync=full, hot, 32 client(s): median of 2 run(s) ≥ 3,000 bookings/s", 3100.0, false),
                ("peak RSS, booking, sync=full: ≤ 150 MB", 160.0, false),
                ("peak RSS, search, 100,000 driveways: ≤ 150 MB", 70.0, true),
                ("search p99 at 1,000,000 driveways, filter none: ≤ 10 ms", 8.0, true),
                ("search p99 at 1,000,000 driveways, filter 2 h slot tomorrow: ≤ 10 ms", 12.0, false),
                ("peak RSS, search, 1,000,000 driveways: ≤ 150 MB", 70.0, true),
                (
                    "PostgreSQL ×2, hot, 32 clients: no run more than 10 % slower than an empty driveway's just after it",
                    1400.0 / 1500.0,
                    true
                ),
                ("PostgreSQL ×2, spread, 1 client(s): median of 3 run(s) ≥ 800 bookings/s", 850.0, true),
                ("PostgreSQL ×2, hot, 32 client(s): median of 1 run(s) ≥ 1,500 bookings/s", 1400.0, false),
                ("peak RSS, PostgreSQL booking, 2 instance(s): ≤ 150 MB", 120.0, true),
                ("PostgreSQL search p99 at 1,000,000 driveways, 1 instance(s), filter none: ≤ 10 ms", 9.0, true),
                ("PostgreSQL search p99 at 1,000,000 driveways, 2 instance(s), filter none: ≤ 10 ms", 9.5, false),
                ("peak RSS, PostgreSQL search, 1,000,000 driveways, 1 inst.: ≤ 150 MB", 120.0, true),
                ("peak RSS, PostgreSQL search, 1,000,000 driveways, 2 inst.: ≤ 150 MB", 130.0, true),
            ]
        );
        // The rows carry the outcome of their own check for the printer.
        let search_met: Vec<Option<bool>> = report.search.iter().map(|row| row.met).collect();
        assert_eq!(search_met, [None, None, Some(true), Some(false)]);
        // The setup figure is shown against the target but is not a verdict of its own.
        assert_eq!(report.peak_rss[0].phase, "booking setup, sync=full");
        assert!(!report.peak_rss[0].met);
    }

    #[test]
    fn the_printed_report_shows_the_verdicts_beside_the_figures() {
        let lines = report().lines();
        let expect = [
            "  store              shape  clients run  requests  bookings/s   p50 ms   p99 ms  non-201 srv cores db cores gen cores",
            "  SQLite sync=full   hot         32   1      9301        3100     1.00     4.00        1      1.25        ?      0.75",
            "   driveways time filter        queries  p50 ms  p99 ms  mean ms  items non-200  target",
            "     100,000 none                   300    2.00    8.00     4.00   42.5       0  (p99 ≤ 10 ms applies at 1M)",
            "   1,000,000 2 h slot tomorrow      300    3.00   12.00     6.00   42.5       0  p99 ≤ 10 ms  MISSED",
            "   driveways instances time filter        queries  p50 ms  p99 ms  mean ms  items non-200  target",
            "   1,000,000         2 none                   300    2.38    9.50     4.75   42.5       1  p99 ≤ 10 ms  MISSED",
            "  PostgreSQL ×2      hot         32   1      4200        1400     1.00     4.00        0      1.25     0.50      0.75",
            // Against pgbench: the spread one-client median (850) and the hot series (1400).
            "  each series' median bookings/s ÷ pgbench's transactions/s at as many clients:",
            "    PostgreSQL ×2  spread, 1: 0.85; hot, 32: 0.70",
            "  booking setup, sync=full                          155.0 MB  ≤ 150 MB  MISSED",
            "  PostgreSQL search, 1,000,000 driveways, 2 inst.   130.0 MB  ≤ 150 MB  met",
            "  SQLite sync=full   fresh       32   1     10800        3600     1.00     4.00        0      1.25        ?      0.75",
            "Targets: 10 of 17 met",
            "  missed: SQLite sync=full, hot, 32 clients: no run more than 10 % slower than an empty driveway's just after it (measured 0.86)",
            "  missed: PostgreSQL ×2, hot, 32 client(s): median of 1 run(s) ≥ 1,500 bookings/s (measured 1400.00)",
        ];
        for line in expect {
            assert!(lines.iter().any(|l| l == line), "no line {line:?} in\n{}", lines.join("\n"));
        }
        assert!(!lines.iter().any(|l| l.contains("not measured in this run")));
    }

    #[test]
    fn the_json_keeps_its_keys() {
        let json = serde_json::to_value(report()).expect("the report serialises");
        let keys = |value: &serde_json::Value| -> Vec<String> {
            let mut keys: Vec<String> = value.as_object().expect("an object").keys().cloned().collect();
            keys.sort();
            keys
        };
        let run = [
            "clients",
            "latency",
            "load_generator_cores",
            "per_second",
            "request",
            "requests",
            "seconds",
            "server_cores",
            "unexpected",
            "unexpected_by_answer",
        ];
        let search = ["driveways", "filter", "latency", "mean_items", "queries", "unexpected", "unexpected_by_answer"];
        assert_eq!(
            keys(&json),
            [
                "booking",
                "cpus",
                "datasets",
                "generated_at",
                "healthz_baseline",
                "peak_rss",
                "postgres_anchor",
                "postgres_datasets",
                "postgres_search",
                "quick",
                "search",
                "search_radius_m",
                "search_square_km",
                "targets",
                "verdicts",
            ]
        );
        let mut booking: Vec<&str> = [&run[..], &["run_in_series", "shape", "store"]].concat();
        booking.sort();
        assert_eq!(keys(&json["booking"][0]), booking);
        let mut postgres_booking = [&booking[..], &["database_cores"]].concat();
        postgres_booking.sort();
        assert_eq!(keys(&json["booking"][8]), postgres_booking);
        assert_eq!(keys(&json["search"][0]), search);
        let mut postgres_search = [&search[..], &["instances"]].concat();
        postgres_search.sort();
        assert_eq!(keys(&json["postgres_search"][0]), postgres_search);
        assert_eq!(keys(&json["peak_rss"][0]), ["peak_rss_mb", "phase"]);
        assert_eq!(keys(&json["verdicts"][0]), ["measured", "met", "target"]);
        assert_eq!(keys(&json["datasets"][0]), ["db_mb", "driveways", "seed_seconds"]);
        assert_eq!(
            keys(&json["targets"]),
            ["bookings_per_s_at_32_clients", "peak_rss_mb", "search_p99_ms_at_1m_driveways"]
        );
    }
}
