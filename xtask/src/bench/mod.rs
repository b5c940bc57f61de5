//! `cargo xtask bench`: the booking server measured from the outside, over HTTP on loopback,
//! the way a client sees it. The server runs as its own release process, so its memory can be
//! read from `/proc` and the figures include the real HTTP stack. Receipt rendering is the
//! exception: CPU work with no I/O, measured in this process on one thread.

/// Booking creation throughput and the `/healthz` baseline.
mod booking;
/// Extending stays beside creating bookings.
mod extension;
/// Payment step latency and webhook throughput against localstripe.
mod payments;
/// What PostgreSQL waited on and spent its time on during a booking run.
mod pg_insight;
/// pgbench on the booking runs' PostgreSQL server, as their yardstick.
mod pgbench;
/// Photo uploads (alone and four at once) and serving.
mod photos;
/// Push fan-out through the push service doubles, and its cost on bookings.
mod push;
/// WebSocket connections: memory per connection and delivery latency.
mod realtime;
/// Receipts rendered as PDF and HTML per second, on one thread in this process.
mod receipts;
/// The booking server's runs, their targets and verdicts, the printed tables and the JSON file.
mod report;
/// One measured run (load or searches) and its summary line.
mod runs;
/// Search latency over large synthetic datasets.
mod search;
/// Building, starting, watching and stopping the release server.
mod server;
/// Paying owners through the Connect test double at a configured request rate, resumed after a kill.
mod settlement;
/// Tallies of request outcomes, latency percentiles and other arithmetic on samples.
mod stats;
/// Plain-text tables with aligned columns, for the printed report.
mod table;
/// Street map serving: range requests of a PMTiles archive.
mod tiles;

pub(crate) use server::listening_address;

use crate::Workspace;
use anyhow::{Context, bail};
use server::SqliteSync;
use std::time::Duration;

/// What `cargo xtask bench` was asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// A short smoke run instead of the full measurement.
    pub quick: bool,
    /// Run only one part.
    pub only: Option<Part>,
}

/// A part of the benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Booking creation throughput.
    Booking,
    /// Search latency.
    Search,
    /// WebSocket memory and delivery latency.
    Realtime,
    /// Payments against localstripe.
    Payments,
    /// Owners paid through the Connect test double, paced and resumed after a kill.
    Settlement,
    /// Booking throughput and search latency on PostgreSQL, with one and two instances.
    Postgres,
    /// Only the booking throughput on PostgreSQL.
    PostgresBooking,
    /// The desktop app: start to the first map frame, idle memory, the outbox sync.
    App,
    /// Receipt rendering (PDF and HTML) per second on one core, in this process.
    Receipts,
    /// Extending stays beside creating bookings, 32 clients each.
    Extension,
    /// Photo uploads of a 12-megapixel JPEG and photo serving.
    Photos,
    /// Street map tiles read from a PMTiles archive with range requests.
    Tiles,
    /// Notifications pushed to three devices each through the push service doubles.
    Push,
}

/// The names `--only` takes.
const PART_NAMES: &str = "booking, search, realtime, payments, settlement, postgres, postgres-booking, app, receipts, extension, photos, tiles or push";

impl Options {
    /// Parses the arguments after `bench`.
    pub fn parse(mut args: impl Iterator<Item = String>) -> anyhow::Result<Options> {
        let mut options = Options { quick: false, only: None };
        while let Some(arg) = args.next() {
            let only = match arg.as_str() {
                "--quick" => {
                    options.quick = true;
                    continue;
                }
                "--only" => args.next().with_context(|| format!("--only needs {PART_NAMES}"))?,
                other => match other.strip_prefix("--only=") {
                    Some(value) => value.to_owned(),
                    None => {
                        bail!("unknown bench option {other:?} (expected --quick, or --only and one of {PART_NAMES})")
                    }
                },
            };
            options.only = Some(match only.as_str() {
                "booking" => Part::Booking,
                "search" => Part::Search,
                "realtime" => Part::Realtime,
                "payments" => Part::Payments,
                "settlement" => Part::Settlement,
                "postgres" => Part::Postgres,
                "postgres-booking" => Part::PostgresBooking,
                "app" => Part::App,
                "receipts" => Part::Receipts,
                "extension" => Part::Extension,
                "photos" => Part::Photos,
                "tiles" => Part::Tiles,
                "push" => Part::Push,
                other => bail!("--only takes {PART_NAMES}, not {other:?}"),
            });
        }
        Ok(options)
    }

    fn runs(&self, part: Part) -> bool {
        match (self.only, part) {
            (None, _) => true,
            (Some(Part::Postgres), Part::PostgresBooking) => true,
            (Some(only), part) => only == part,
        }
    }

    /// How long each measured load run lasts.
    fn load_duration(&self) -> Duration {
        if self.quick { Duration::from_secs(3) } else { Duration::from_secs(10) }
    }

    /// The unmeasured run before each measured one: opens connections, warms caches.
    fn warmup_duration(&self) -> Duration {
        if self.quick { Duration::from_millis(500) } else { Duration::from_secs(1) }
    }

    /// Searches per dataset and filter.
    fn searches(&self) -> usize {
        if self.quick { 300 } else { 2000 }
    }

    /// Dataset sizes for the search part.
    fn search_sizes(&self) -> &'static [usize] {
        if self.quick { &[100_000] } else { &[100_000, 1_000_000] }
    }

    /// Bookings to settle and the configured Stripe request rate: the default rate, then one
    /// well above it (10,000 at the default would take seven minutes).
    fn settlement_shapes(&self) -> Vec<settlement::Shape> {
        let shape = |bookings, max_rps| settlement::Shape { bookings, max_rps };
        if self.quick { vec![shape(300, 25)] } else { vec![shape(1_000, 25), shape(10_000, 200)] }
    }

    /// Receipt renders: 20 unmeasured, then 5 measured runs of 200 (50 when quick).
    fn receipt_shape(&self) -> receipts::Shape {
        receipts::Shape { warmup: 20, runs: 5, renders: if self.quick { 50 } else { 200 } }
    }
}

/// Runs the benchmark as an optimised build of this program, with the options `given`.
///
/// The load generator shares the machine's two CPUs with the server and the database it
/// measures. Built unoptimised, it took nearly twice the CPU per booking (0.11 against 0.06
/// cores at one client), and at one client its own time is part of every request's round trip.
pub fn run_optimised(workspace: &Workspace, given: &[String]) -> anyhow::Result<()> {
    let mut args = vec!["run", "--release", "--package", "xtask", "--", "bench"];
    args.extend(given.iter().map(String::as_str));
    crate::cmd::run(&workspace.root, &crate::cmd::cargo(), &args, &[])
}

/// Runs the benchmark: builds the server, runs the chosen parts, prints and saves the report.
pub async fn run(workspace: &Workspace, options: &Options) -> anyhow::Result<()> {
    // Receipts render in this process: run alone, that part needs no server, so none is built
    // (the path stays empty and no part that would use it runs).
    let binary = if options.only == Some(Part::Receipts) {
        std::path::PathBuf::new()
    } else {
        server::build_release(workspace).await?
    };
    let bench_dir = workspace.target.join("bench");
    std::fs::create_dir_all(&bench_dir).with_context(|| format!("creating {}", bench_dir.display()))?;
    // Databases live on the same disk as the build, not in a possibly RAM-backed /tmp, so that
    // `synchronous=FULL` pays for real fsyncs.
    let scratch = tempfile::Builder::new()
        .prefix("run-")
        .tempdir_in(&bench_dir)
        .with_context(|| format!("creating a scratch directory in {}", bench_dir.display()))?;

    // First, while no server or client of the other parts runs: a plain loop on this thread.
    let receipts = if options.runs(Part::Receipts) {
        let shape = options.receipt_shape();
        Some(tokio::task::block_in_place(|| receipts::measure(shape))?)
    } else {
        None
    };

    let mut report = report::Report::new(options.quick);
    if options.runs(Part::Booking) {
        for (i, sync) in [SqliteSync::Full, SqliteSync::Normal].into_iter().enumerate() {
            let with_baseline = i == 0;
            let phase = booking::measure(&binary, scratch.path(), sync, options, with_baseline).await?;
            report.add_booking_phase(phase);
        }
    }
    if options.runs(Part::Search) {
        for &count in options.search_sizes() {
            let phase = search::measure(&binary, scratch.path(), count, options.searches()).await?;
            report.add_search_phase(phase);
        }
    }

    if options.runs(Part::PostgresBooking) {
        // The cluster's files sit beside the SQLite databases, on the same disk, and commits
        // are fsynced as SQLite's are with sync=full.
        let postgres = parkway_testkit::pgtemp::TempPostgres::start(
            Some(&bench_dir),
            &[
                ("max_connections", "200"),
                ("shared_buffers", "512MB"),
                // Where the database spends its time, printed after each booking phase.
                ("shared_preload_libraries", "pg_stat_statements"),
                ("pg_stat_statements.track_planning", "on"),
            ],
        )
        .context("starting a throwaway PostgreSQL server")?;
        println!("\nPostgreSQL (Debian's package) on 127.0.0.1:{}", postgres.port());
        report.set_postgres_anchor(pgbench::measure(&postgres, options).await?);
        for instances in [1, 2] {
            let phase = booking::measure_postgres(&binary, &postgres, instances, options).await?;
            report.add_postgres_booking_phase(phase);
        }
        for &count in options.search_sizes().iter().filter(|_| options.runs(Part::Postgres)) {
            let phase = search::measure_postgres(&binary, &postgres, count, options.searches()).await?;
            report.add_postgres_search_phase(phase);
        }
    }

    let realtime = if options.runs(Part::Realtime) {
        let connections = if options.quick { 1_000 } else { 10_000 };
        Some(realtime::measure(&binary, scratch.path(), connections).await?)
    } else {
        None
    };

    let payments = if options.runs(Part::Payments) {
        Some(payments::measure(&workspace.root, &binary, scratch.path()).await?)
    } else {
        None
    };

    let extension = if options.runs(Part::Extension) {
        Some(extension::measure(&binary, scratch.path(), options).await?)
    } else {
        None
    };

    let photos =
        if options.runs(Part::Photos) { Some(photos::measure(&binary, scratch.path(), options).await?) } else { None };

    let tiles =
        if options.runs(Part::Tiles) { Some(tiles::measure(&binary, scratch.path(), options).await?) } else { None };

    let push =
        if options.runs(Part::Push) { Some(push::measure(&binary, scratch.path(), options).await?) } else { None };

    let settlement = if options.runs(Part::Settlement) {
        Some(settlement::measure(&binary, scratch.path(), &options.settlement_shapes()).await?)
    } else {
        None
    };

    if options.runs(Part::Booking) || options.runs(Part::Search) || options.runs(Part::PostgresBooking) {
        println!();
        report.print();
        let json_path = bench_dir.join("booking-server.json");
        report.write_json(&json_path)?;
        println!("\nreport written to {}", json_path.display());
    }
    if let Some(r) = &realtime {
        r.print();
        let path = bench_dir.join("realtime.json");
        std::fs::write(&path, serde_json::to_vec_pretty(r)?).with_context(|| format!("writing {}", path.display()))?;
        println!("report written to {}", path.display());
    }
    if let Some(p) = &payments {
        p.print();
        let path = bench_dir.join("payments.json");
        std::fs::write(&path, serde_json::to_vec_pretty(p)?).with_context(|| format!("writing {}", path.display()))?;
        println!("report written to {}", path.display());
    }
    if let Some(s) = &settlement {
        s.print();
        let path = bench_dir.join("settlement.json");
        std::fs::write(&path, serde_json::to_vec_pretty(s)?).with_context(|| format!("writing {}", path.display()))?;
        println!("report written to {}", path.display());
    }
    if let Some(e) = &extension {
        e.print();
        let path = bench_dir.join("extension.json");
        std::fs::write(&path, serde_json::to_vec_pretty(e)?).with_context(|| format!("writing {}", path.display()))?;
        println!("report written to {}", path.display());
    }
    if let Some(p) = &photos {
        p.print();
        let path = bench_dir.join("photos.json");
        std::fs::write(&path, serde_json::to_vec_pretty(p)?).with_context(|| format!("writing {}", path.display()))?;
        println!("report written to {}", path.display());
    }
    if let Some(t) = &tiles {
        t.print();
        let path = bench_dir.join("tiles.json");
        std::fs::write(&path, serde_json::to_vec_pretty(t)?).with_context(|| format!("writing {}", path.display()))?;
        println!("report written to {}", path.display());
    }
    if let Some(p) = &push {
        p.print();
        let path = bench_dir.join("push.json");
        std::fs::write(&path, serde_json::to_vec_pretty(p)?).with_context(|| format!("writing {}", path.display()))?;
        println!("report written to {}", path.display());
    }
    if let Some(r) = &receipts {
        r.print();
        let path = bench_dir.join("receipts.json");
        std::fs::write(&path, serde_json::to_vec_pretty(r)?).with_context(|| format!("writing {}", path.display()))?;
        println!("report written to {}", path.display());
    }
    if options.runs(Part::App) {
        println!("\nthe desktop app (release build) under Xvfb");
        tokio::task::block_in_place(|| crate::desktop::bench(workspace, if options.quick { 3 } else { 5 }))?;
    }
    Ok(())
}

/// The one HTTP client every benchmark client shares (it pools connections per host).
fn http_client() -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(30))
        .build()
        .context("building the HTTP client")
}
