//! Paying owners through Stripe Connect, against the Connect test double: N completed, paid,
//! settled bookings of one owner whose payout account is active, and the release server's
//! settlement job sending one transfer per booking at `PARKWAY_STRIPE_MAX_RPS`. Halfway the
//! server is killed (SIGKILL, no chance to finish anything) and started again on the same
//! database; it must resume where it stopped and pay every booking exactly once.
//!
//! The rate of a phase is its requests to the double over the time from its first request to
//! its last (intervals, not requests, so that a run paced at exactly `r` a second reads `r`).
//! The limiter starts with a full second's worth of requests (its burst), which flatters a
//! short phase; the steady rate leaves that first second's burst out, and the verdict uses it.

use super::runs::thousands;
use super::server::{ServerProcess, SqliteSync, sqlite_url};
use super::table::{self, Column};
use anyhow::{Context, bail};
use chrono::Utc;
use parkway_backend::config::Durability;
use parkway_backend::store::Store;
use parkway_backend::store::db::query;
use parkway_backend::store::driveways::DrivewayFields;
use parkway_core::api::Role;
use parkway_core::availability::WeeklySchedule;
use parkway_core::geo::Point;
use parkway_core::money::{Cents, Currency};
use parkway_core::pricing::Rate;
use parkway_testkit::connect::ConnectDouble;
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::time::{Duration, Instant};

const SECRET_KEY: &str = "sk_test_bench";
/// The booking's hourly price, in cents.
const PRICE_CENTS: i64 = 1000;
/// How often the double's transfers are counted while the job runs.
const POLL: Duration = Duration::from_millis(100);
/// How long the double may see no new transfer before the run is declared stuck.
const STALL: Duration = Duration::from_secs(30);
/// How long a killed server may take to let go of its port.
const GONE_TIMEOUT: Duration = Duration::from_secs(10);
/// The share of the configured rate a run must reach to be bound by it.
const TARGET_RATIO: f64 = 0.9;
/// The double's log key of a transfer.
const TRANSFER_POST: &str = "POST /v1/transfers";
/// The double's log key of a lookup for a transfer whose answer was lost.
const TRANSFER_LOOKUP: &str = "GET /v1/transfers";

/// One size of the run: how many bookings, at what configured rate.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Shape {
    /// Completed, paid, settled bookings to pay owners for.
    pub bookings: usize,
    /// `PARKWAY_STRIPE_MAX_RPS`.
    pub max_rps: u32,
}

/// The figures of this part.
#[derive(Debug, Serialize)]
pub struct SettlementReport {
    /// One entry per shape.
    pub runs: Vec<SettlementRun>,
}

/// One run of one shape.
#[derive(Debug, Serialize)]
pub struct SettlementRun {
    /// The shape.
    pub shape: Shape,
    /// Runs of this shape (one long run is its own average).
    pub runs: usize,
    /// Writing the bookings and the payout account.
    pub seed_seconds: f64,
    /// From the first server's start to the kill.
    pub before_kill: Phase,
    /// From the second server's start to the last transfer.
    pub after_restart: Phase,
    /// Kill to the second server listening, s.
    pub restart_listening_s: f64,
    /// Kill to the double's first request from the second server, s.
    pub restart_gap_s: f64,
    /// First request of the first phase to the last of the second, s (restart included).
    pub total_seconds: f64,
    /// Requests a second over `total_seconds`.
    pub total_rps: f64,
    /// Transfers the double holds at the end.
    pub transfers_at_double: usize,
    /// Distinct `transfer_group`s among them.
    pub transfer_groups: usize,
    /// Rows of the `transfers` table.
    pub transfer_rows: i64,
    /// Rows of the `transfers` table without a provider id.
    pub rows_without_id: i64,
    /// Both phases' steady rate ≥ 90 % of `max_rps`.
    pub bound_by_rate: bool,
}

/// One server's share of a run, as the double saw it.
#[derive(Debug, Serialize)]
pub struct Phase {
    /// `POST /v1/transfers`.
    pub transfers: usize,
    /// `GET /v1/transfers` (looking for a transfer whose answer the kill lost).
    pub lookups: usize,
    /// Every request, these two included.
    pub requests: usize,
    /// First request to last, s.
    pub seconds: f64,
    /// Requests a second over `seconds`.
    pub rps: f64,
    /// Requests a second after the limiter's initial burst (its first `max_rps` requests);
    /// `None` when the phase was shorter.
    pub steady_rps: Option<f64>,
    /// Most requests in any one second.
    pub busiest_second: usize,
    /// The server's CPU time (user + system), s.
    pub server_cpu_seconds: f64,
}

impl SettlementReport {
    /// Prints the section of the report.
    pub fn print(&self) {
        println!("\nSettlement: owners paid through the Stripe Connect test double, the server killed halfway");
        let columns = [
            Column::right("bookings", 8),
            Column::right("max rps", 7),
            Column::left("phase", 6).after_gap(2),
            Column::right("transfers", 9),
            Column::right("lookups", 7),
            Column::right("seconds", 7),
            Column::right("req/s", 6),
            Column::right("of rate", 7),
            Column::right("steady", 6),
            Column::right("of rate", 7),
            Column::right("busiest 1 s", 11),
            Column::right("CPU ms/req", 10),
        ];
        let mut rows = Vec::new();
        for run in &self.runs {
            let rate = f64::from(run.shape.max_rps);
            for (i, (name, p)) in
                [("before kill", &run.before_kill), ("after restart", &run.after_restart)].into_iter().enumerate()
            {
                let (bookings, max_rps) = if i == 0 {
                    (thousands(run.shape.bookings as u64), run.shape.max_rps.to_string())
                } else {
                    (String::new(), String::new())
                };
                rows.push(vec![
                    bookings,
                    max_rps,
                    name.to_owned(),
                    thousands(p.transfers as u64),
                    p.lookups.to_string(),
                    format!("{:.1}", p.seconds),
                    format!("{:.1}", p.rps),
                    percent(p.rps / rate),
                    p.steady_rps.map_or_else(|| "–".to_owned(), |r| format!("{r:.1}")),
                    p.steady_rps.map_or_else(|| "–".to_owned(), |r| percent(r / rate)),
                    p.busiest_second.to_string(),
                    format!("{:.2}", 1000.0 * p.server_cpu_seconds / p.requests.max(1) as f64),
                ]);
            }
        }
        for line in table::with_headings(&columns, &rows) {
            println!("{line}");
        }
        for run in &self.runs {
            let rate = f64::from(run.shape.max_rps);
            println!(
                "  {} bookings at {} rps ({} run): restart after the kill: listening in {:.2} s, first request in {:.2} s; \
                 all in {:.1} s, {:.1} req/s ({} of the rate, restart included)",
                thousands(run.shape.bookings as u64),
                run.shape.max_rps,
                run.runs,
                run.restart_listening_s,
                run.restart_gap_s,
                run.total_seconds,
                run.total_rps,
                percent(run.total_rps / rate),
            );
            println!(
                "    paid once: {} transfers at the double, {} transfer groups, {} rows, {} without a transfer id",
                thousands(run.transfers_at_double as u64),
                thousands(run.transfer_groups as u64),
                thousands(run.transfer_rows.max(0) as u64),
                run.rows_without_id,
            );
            println!(
                "    bound by the rate: {} (≥ {:.0} % of PARKWAY_STRIPE_MAX_RPS)",
                if run.bound_by_rate { "yes" } else { "no" },
                TARGET_RATIO * 100.0
            );
        }
        println!(
            "  req/s: a phase's requests over its first to last request; steady: the same after the limiter's \
             initial burst of one second's worth; busiest 1 s: most requests within any one second (that burst \
             and the paced requests after it); CPU: the server's, start-up included"
        );
    }
}

fn percent(ratio: f64) -> String {
    format!("{:.0} %", ratio * 100.0)
}

/// Runs every shape in turn, each with its own double and database.
pub async fn measure(binary: &Path, scratch: &Path, shapes: &[Shape]) -> anyhow::Result<SettlementReport> {
    let mut runs = Vec::new();
    for &shape in shapes {
        runs.push(run_shape(binary, scratch, shape).await?);
    }
    Ok(SettlementReport { runs })
}

async fn run_shape(binary: &Path, scratch: &Path, shape: Shape) -> anyhow::Result<SettlementRun> {
    let Shape { bookings, max_rps } = shape;
    println!("\nsettlement: {} bookings at PARKWAY_STRIPE_MAX_RPS={max_rps}", thousands(bookings as u64));
    let double = ConnectDouble::start(SECRET_KEY).await;
    let account = create_account(&double.base()).await?;
    double.complete_onboarding(&account).await;

    let db = scratch.join(format!("settlement-{bookings}-{max_rps}.db"));
    let seeding = Instant::now();
    seed(&db, &account, bookings).await?;
    let seed_seconds = seeding.elapsed().as_secs_f64();
    println!(
        "  {} settled bookings and an active payout account written in {seed_seconds:.1} s",
        thousands(bookings as u64)
    );

    let env = [
        ("STRIPE_SECRET_KEY", SECRET_KEY.to_owned()),
        // No charge is looked up for bookings without a payment row, so charges need no
        // emulator; pointing them at the double keeps any stray call visible in its log.
        ("STRIPE_API_BASE", double.base()),
        ("STRIPE_CONNECT_API_BASE", double.base()),
        ("PARKWAY_STRIPE_MAX_RPS", max_rps.to_string()),
        ("PARKWAY_JOB_INTERVAL_SECS", "1".to_owned()),
    ];
    let before = double.request_times().len();
    let server = ServerProcess::start_with(binary, &db, SqliteSync::Full, &env).await?;
    let half = bookings / 2;
    wait_for_transfers(&double, half).await?;
    let cpu_before_kill = server.cpu_seconds()?;
    let addr = server.base_url().trim_start_matches("http://").to_owned();
    // Dropping the process handle sends SIGKILL: no graceful stop, nothing finished.
    let killed = Instant::now();
    drop(server);
    wait_until_gone(&addr).await?;
    let times_at_kill = double.request_times();
    let counts_at_kill = double.request_counts();
    println!(
        "  killed the server (SIGKILL) with {} transfers made; starting it again on the same database",
        thousands(double.transfers().len() as u64)
    );

    let server = ServerProcess::start_with(binary, &db, SqliteSync::Full, &env).await?;
    let restart_listening_s = killed.elapsed().as_secs_f64();
    wait_for_transfers(&double, bookings).await?;
    let cpu_after_restart = server.cpu_seconds()?;
    // A graceful stop lets the job record the last transfer's id before the check below.
    server.stop().await?;

    let times = double.request_times();
    let counts = double.request_counts();
    let transfers = double.transfers();
    let phase1_times = &times_at_kill[before..];
    let phase2_times = &times[times_at_kill.len()..];
    let (Some(&first), Some(&last), Some(&restarted)) =
        (phase1_times.first(), phase2_times.last(), phase2_times.first())
    else {
        bail!("the double saw no requests from one of the two servers");
    };
    let no_counts = BTreeMap::new();
    let before_kill = phase(phase1_times, &counts_at_kill, &no_counts, max_rps, cpu_before_kill);
    let after_restart = phase(phase2_times, &counts, &counts_at_kill, max_rps, cpu_after_restart);
    let stray: Vec<&String> = counts
        .keys()
        .filter(|k| !matches!(k.as_str(), TRANSFER_POST | TRANSFER_LOOKUP | "POST /v1/accounts"))
        .collect();
    if !stray.is_empty() {
        bail!("the server made requests other than transfers and lookups: {stray:?}");
    }

    // Paid exactly once: at the double, and in the database.
    let groups: HashSet<&str> = transfers.iter().filter_map(|t| t.transfer_group.as_deref()).collect();
    let elsewhere = transfers.iter().filter(|t| t.destination != account).count();
    let store = Store::connect(&sqlite_url(&db), Durability::Full).await.context("reopening the database")?;
    let transfer_rows: i64 = store.reader().scalar(query("SELECT COUNT(*) FROM transfers")).await?;
    let rows_without_id: i64 =
        store.reader().scalar(query("SELECT COUNT(*) FROM transfers WHERE transfer_id IS NULL")).await?;
    store.close().await;
    if transfers.len() != bookings {
        bail!("{} transfers at the double for {bookings} bookings", transfers.len());
    }
    if groups.len() != bookings {
        bail!("{} distinct transfer groups at the double for {bookings} bookings", groups.len());
    }
    if elsewhere > 0 {
        bail!("{elsewhere} transfers went to an account other than the owner's");
    }
    if rows_without_id != 0 || transfer_rows != bookings as i64 {
        bail!(
            "the database has {transfer_rows} transfer rows, {rows_without_id} without a transfer id, for {bookings} bookings"
        );
    }

    let total_seconds = last.duration_since(first).as_secs_f64();
    let rate = f64::from(max_rps);
    let bound = |p: &Phase| p.steady_rps.unwrap_or(p.rps) >= TARGET_RATIO * rate;
    let bound_by_rate = bound(&before_kill) && bound(&after_restart);
    Ok(SettlementRun {
        shape,
        runs: 1,
        seed_seconds,
        restart_listening_s,
        restart_gap_s: restarted.duration_since(killed).as_secs_f64(),
        total_seconds,
        total_rps: (before_kill.requests + after_restart.requests).saturating_sub(1) as f64
            / total_seconds.max(f64::EPSILON),
        transfers_at_double: transfers.len(),
        transfer_groups: groups.len(),
        transfer_rows,
        rows_without_id,
        bound_by_rate,
        before_kill,
        after_restart,
    })
}

/// A phase's figures from its requests' arrival times and the double's request counts at its
/// end and at its start.
fn phase(
    times: &[Instant],
    counts: &BTreeMap<String, usize>,
    earlier: &BTreeMap<String, usize>,
    max_rps: u32,
    server_cpu_seconds: f64,
) -> Phase {
    let made = |key: &str| counts.get(key).copied().unwrap_or(0) - earlier.get(key).copied().unwrap_or(0);
    let rate_between = |from: usize| -> Option<f64> {
        let (first, last) = (times.get(from)?, times.last()?);
        let seconds = last.duration_since(*first).as_secs_f64();
        (times.len() - 1 > from && seconds > 0.0).then(|| (times.len() - 1 - from) as f64 / seconds)
    };
    let seconds = match (times.first(), times.last()) {
        (Some(first), Some(last)) => last.duration_since(*first).as_secs_f64(),
        _ => 0.0,
    };
    Phase {
        transfers: made(TRANSFER_POST),
        lookups: made(TRANSFER_LOOKUP),
        requests: times.len(),
        seconds,
        rps: rate_between(0).unwrap_or(0.0),
        steady_rps: rate_between(max_rps as usize),
        busiest_second: busiest_second(times),
        server_cpu_seconds,
    }
}

/// The most requests that arrived within any one second.
fn busiest_second(times: &[Instant]) -> usize {
    let mut most = 0;
    let mut start = 0;
    for (end, t) in times.iter().enumerate() {
        while t.duration_since(times[start]) >= Duration::from_secs(1) {
            start += 1;
        }
        most = most.max(end + 1 - start);
    }
    most
}

/// Creates an Express account with the transfers capability at the double.
async fn create_account(base: &str) -> anyhow::Result<String> {
    let answer: serde_json::Value = super::http_client()?
        .post(format!("{base}/v1/accounts"))
        .bearer_auth(SECRET_KEY)
        .form(&[("type", "express"), ("capabilities[transfers][requested]", "true")])
        .send()
        .await
        .context("creating a connected account at the double")?
        .error_for_status()
        .context("creating a connected account at the double")?
        .json()
        .await?;
    Ok(answer["id"].as_str().context("no id in the double's account")?.to_owned())
}

/// A fresh database: an owner, a driver, a driveway, `bookings` completed, paid and settled
/// stays, and the owner's active payout account at `account`.
async fn seed(db: &Path, account: &str, bookings: usize) -> anyhow::Result<()> {
    let store = Store::connect(&sqlite_url(db), Durability::Normal).await.context("opening the database")?;
    let now = Utc::now();
    // Nobody signs in as these users, so the stored hashes need not be real ones.
    let owner = store
        .create_user("owner@settlement.bench", "Bench owner", "not-a-password-hash", &[Role::Owner], now)
        .await
        .context("creating the owner")?;
    let driver = store
        .create_user("driver@settlement.bench", "Bench driver", "not-a-password-hash", &[Role::Driver], now)
        .await
        .context("creating the driver")?;
    let fields = DrivewayFields {
        title: "Bench driveway".to_owned(),
        address: "1 Bench St, San Francisco, CA".to_owned(),
        point: Point::new(37.77, -122.42)?,
        rate: Rate { per_hour: Cents(PRICE_CENTS), per_day: None },
        currency: Currency::usd(),
        timezone: "America/Los_Angeles".to_owned(),
        instant_book: true,
        access_instructions: None,
        availability: WeeklySchedule::always_open(),
    };
    let driveway = store.create_driveway(owner.id, &fields, now).await.context("creating the driveway")?;
    parkway_backend::demo::history(&store, owner.id, driver.id, &[(driveway.id, PRICE_CENTS)], bookings, now)
        .await
        .context("inserting settled bookings")?;
    let mut tx = store.begin_write().await?;
    tx.execute(
        query(
            "INSERT INTO payout_accounts (owner_id, account_id, status, payouts_enabled, requirements_due, \
             created_at, updated_at) VALUES (?, ?, 'active', ?, '[]', ?, ?)",
        )
        .bind(owner.id)
        .bind(account)
        .bind(true)
        .bind(now.timestamp_millis())
        .bind(now.timestamp_millis()),
    )
    .await
    .context("writing the payout account")?;
    tx.commit().await?;
    store.close().await;
    Ok(())
}

/// Waits until the double holds `target` transfers, failing when none arrives for [`STALL`].
async fn wait_for_transfers(double: &ConnectDouble, target: usize) -> anyhow::Result<()> {
    let mut seen = (usize::MAX, Instant::now());
    loop {
        let made = double.transfers().len();
        if made >= target {
            return Ok(());
        }
        if made != seen.0 {
            seen = (made, Instant::now());
        } else if seen.1.elapsed() > STALL {
            bail!("settlement stalled: {made} of {target} transfers at the double, none new in {} s", STALL.as_secs());
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Waits until nothing listens at `addr` any more: the killed process is gone and has let go
/// of its files.
async fn wait_until_gone(addr: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + GONE_TIMEOUT;
    while tokio::net::TcpStream::connect(addr).await.is_ok() {
        if Instant::now() > deadline {
            bail!("the killed server still listens at {addr} after {} s", GONE_TIMEOUT.as_secs());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_busiest_second_counts_requests_less_than_a_second_apart() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        assert_eq!(busiest_second(&[]), 0);
        assert_eq!(busiest_second(&[at(0), at(999), at(1000), at(1500), at(1999)]), 3);
        assert_eq!(busiest_second(&[at(0), at(1), at(999), at(1500)]), 3);
    }

    #[test]
    fn a_phase_paced_at_its_rate_reads_that_rate() {
        let t0 = Instant::now();
        // A burst of 10 at once, then one every 100 ms: 10 a second.
        let times: Vec<Instant> =
            std::iter::repeat_n(t0, 10).chain((1..=50).map(|i| t0 + Duration::from_millis(100 * i))).collect();
        let counts = BTreeMap::from([(TRANSFER_POST.to_owned(), 60)]);
        let p = phase(&times, &counts, &BTreeMap::new(), 10, 0.0);
        assert_eq!((p.transfers, p.lookups, p.requests), (60, 0, 60));
        assert!(p.steady_rps.is_some_and(|r| (r - 10.0).abs() < 1e-9), "{:?}", p.steady_rps);
        assert!(p.rps > 11.0, "the burst flatters the whole phase: {}", p.rps);
        assert_eq!(p.busiest_second, 19);
    }
}
