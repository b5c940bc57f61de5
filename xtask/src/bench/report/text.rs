//! The report as printed text: a section per part with its figures in aligned tables, each
//! figure that is held to a target beside its verdict, then the count of targets met and the
//! ones missed. Everything here reads the report; the target checks were made as rows were
//! added.

use super::{Report, SearchRow, TARGET_PEAK_RSS_MB, Verdict, p99_target};
use crate::bench::booking::{self, Shape};
use crate::bench::runs::{cores, thousands};
use crate::bench::stats::SeriesRates;
use crate::bench::table::{self, Column};
use std::collections::BTreeMap;

impl Report {
    /// Prints the report as tables, targets next to the figures.
    pub fn print(&self) {
        for line in self.lines() {
            println!("{line}");
        }
    }

    /// The printed report, line by line; each section after the title starts with a blank line.
    pub(super) fn lines(&self) -> Vec<String> {
        [
            self.title_lines(),
            self.baseline_lines(),
            self.booking_lines(),
            self.anchor_lines(),
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

    fn anchor_lines(&self) -> Vec<String> {
        let Some(anchor) = &self.postgres_anchor else { return Vec::new() };
        let mut lines = vec![
            String::new(),
            format!(
                "Anchor: pgbench TPC-B on the same PostgreSQL server just before, scale {}, {} s a run \
                 (three updates, a select and an insert, one fsynced commit)",
                anchor.scale, anchor.seconds
            ),
            format!(
                "  1 client: {:.0} transactions/s; {} clients: {:.0} transactions/s",
                anchor.one_client_tps, anchor.many_clients, anchor.many_clients_tps
            ),
        ];
        // The machine's pace swings between runs by more than most changes move a rate: a
        // series read against the database's own yardstick, a moment apart, swings much less.
        let mut series: BTreeMap<(&str, usize, Shape), Vec<f64>> = BTreeMap::new();
        for row in self.booking.iter().filter(|row| row.store.starts_with("PostgreSQL") && row.shape != Shape::Fresh) {
            series.entry((row.store.as_str(), row.run.clients, row.shape)).or_default().push(row.run.per_second);
        }
        let mut stores: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for ((store, clients, shape), rates) in series {
            let pgbench = match clients {
                1 => anchor.one_client_tps,
                n if n == anchor.many_clients as usize => anchor.many_clients_tps,
                _ => continue,
            };
            let median = SeriesRates::of(&rates).median;
            stores.entry(store).or_default().push(format!("{}, {clients}: {:.2}", shape.as_str(), median / pgbench));
        }
        if !stores.is_empty() {
            lines.push("  each series' median bookings/s ÷ pgbench's transactions/s at as many clients:".to_owned());
            lines.extend(stores.into_iter().map(|(store, ratios)| format!("    {store}  {}", ratios.join("; "))));
        }
        lines
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
            "Booking creation: POST /api/bookings, conflict-checked, each with its own Idempotency-Key, distinct free slots (all should be 201); \
             spread over {} driveways or all on one (hot); PostgreSQL with 1 or 2 server instances, fsync on",
            booking::DRIVEWAYS
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
            "PostgreSQL search: the same searches, 1 and 2 server instances on one database (taken in turn)".to_owned(),
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
                search_target_note(row.met, p99_target(&row.run)),
            ]);
            cells
        })
        .collect();
    table::with_headings(&columns, &cells)
}

/// The target column of a search row.
fn search_target_note(met: Option<bool>, target_ms: f64) -> String {
    match met {
        Some(met) => format!("p99 ≤ {target_ms:.0} ms  {}", verdict(met)),
        None => format!("(p99 ≤ {target_ms:.0} ms applies at 1M)"),
    }
}

/// A verdict in a word, loud when missed.
fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

/// A figure to two decimals, or `?` when it could not be measured.
fn fixed(value: Option<f64>) -> String {
    value.map_or_else(|| "?".to_owned(), |v| format!("{v:.2}"))
}
