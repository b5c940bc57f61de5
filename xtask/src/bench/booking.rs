//! Booking creation throughput: many clients creating conflict-checked bookings at once, each
//! for a distinct free slot and with an `Idempotency-Key` of its own (as the apps send), so
//! every answer should be `201 Created`. `GET /healthz` under the
//! same load is the baseline: what the HTTP stack alone costs on this machine. On PostgreSQL
//! the same load runs against one and against two server instances sharing the database, the
//! clients' requests spread over the instances.
//!
//! Two shapes of load: bookings spread over many driveways, and every booking on one popular
//! driveway. Each shape runs [`ONE_CLIENT_RUNS`] times with one client, and then (after both
//! shapes' one-client runs, see [`shapes`]) [`SERIES`] times in a row with [`MANY_CLIENTS`], so
//! that a slope (a store slowing down as one driveway's bookings grow) shows. Each run of the
//! hot series is followed by one on an empty driveway of its own ([`Shape::Fresh`]), which tells
//! a slope of the store from one of the machine.

use super::Options;
use super::pg_insight::Insight;
use super::runs::LoadRun;
use super::server::{ServerProcess, SqliteSync, postgres_cpu_seconds, process_cpu_seconds};
use super::stats::Tally;
use anyhow::{Context, bail};
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use parkway_core::api::{AuthResponse, Driveway, NewBooking, NewDriveway, RegisterRequest, Role};
use parkway_testkit::pgtemp::TempPostgres;
use reqwest::{Client, StatusCode};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::task::JoinSet;
use uuid::Uuid;

/// Driveways the bookings are spread over.
pub const DRIVEWAYS: usize = 200;
/// Driveways only the hot shape books, after the spread ones: one for its one-client runs
/// ([`HOT_ONE_CLIENT`]), one for its series ([`HOT_SERIES`]: it starts on an empty calendar and
/// has every slot up to the booking horizon for itself), and one left empty for each
/// [fresh](Shape::Fresh) run beside the series' runs (from [`FRESH`] on).
const HOT_DRIVEWAYS: usize = 2 + SERIES;
const HOT_ONE_CLIENT: usize = DRIVEWAYS;
const HOT_SERIES: usize = DRIVEWAYS + 1;
const FRESH: usize = DRIVEWAYS + 2;
/// Driver accounts the bookings are spread over.
const DRIVERS: usize = 4;
/// Concurrent clients of the baseline and of the loaded booking run.
const MANY_CLIENTS: usize = 32;
/// Consecutive runs at [`MANY_CLIENTS`] of each shape.
pub const SERIES: usize = 5;
/// Runs with one client of each shape: one client's rate swings with the machine's moments
/// (wake-ups, the disk's flushes) more than many clients' does, so it is read as a median too.
pub const ONE_CLIENT_RUNS: usize = 3;

/// How the bookings are spread over driveways.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Shape {
    /// Over [`DRIVEWAYS`] driveways in turn, 30-minute slots.
    Spread,
    /// Every booking on one driveway, 15-minute slots back to back. Slots end at the booking
    /// horizon (about 70,000 of them), which is why this shape's runs are shorter, and why its
    /// series has a driveway of its own; a run that reaches the horizon ends there.
    Hot,
    /// One run as a hot series' run, right after it, on a driveway with no bookings yet: what
    /// that hot run would have done without the bookings the series had left, at the same
    /// moment of this machine. These machines speed up and slow down by the minute, so a hot
    /// run slower than the first may be the machine; slower than its fresh one, it is the store.
    Fresh,
}

impl Shape {
    /// The shape's name in the report.
    pub fn as_str(self) -> &'static str {
        match self {
            Shape::Spread => "spread",
            Shape::Hot => "hot",
            Shape::Fresh => "fresh",
        }
    }

    fn slot(self) -> TimeDelta {
        match self {
            Shape::Spread => TimeDelta::minutes(30),
            Shape::Hot | Shape::Fresh => TimeDelta::minutes(parkway_core::slot::MIN_DURATION_MINUTES),
        }
    }

    fn run_duration(self, options: &Options) -> Duration {
        match self {
            Shape::Spread => options.load_duration(),
            Shape::Hot | Shape::Fresh => options.load_duration().min(Duration::from_secs(3)),
        }
    }

    fn warmup_duration(self, options: &Options) -> Duration {
        match self {
            Shape::Spread => options.warmup_duration(),
            Shape::Hot => options.warmup_duration().min(Duration::from_millis(500)),
            // The server is warm from the hot series, and the driveway must stay empty.
            Shape::Fresh => Duration::ZERO,
        }
    }
}

/// One measured run and the shape of its load.
#[derive(Debug)]
pub struct ShapedRun {
    /// How the bookings were spread.
    pub shape: Shape,
    /// What was measured.
    pub run: LoadRun,
}

/// What one booking phase (one server, one durability setting) measured.
#[derive(Debug)]
pub struct BookingPhase {
    /// The server's SQLite durability.
    pub sync: SqliteSync,
    /// `GET /healthz` at [`MANY_CLIENTS`] clients, when asked for.
    pub baseline: Option<LoadRun>,
    /// Booking creation of each shape at 1 and then [`SERIES`] times at [`MANY_CLIENTS`] clients.
    pub runs: Vec<ShapedRun>,
    /// The server's peak resident memory once users and driveways exist, before any load, in MB.
    pub setup_rss_mb: f64,
    /// The server's peak resident memory at the end of the phase, in MB.
    pub peak_rss_mb: f64,
}

/// What one PostgreSQL booking phase (some instances on one database) measured.
#[derive(Debug)]
pub struct PostgresBookingPhase {
    /// Server instances sharing the database.
    pub instances: usize,
    /// Booking creation of each shape at 1 and then [`SERIES`] times at [`MANY_CLIENTS`] clients.
    pub runs: Vec<ShapedRun>,
    /// Each instance's peak resident memory at the end of the phase, in MB.
    pub peak_rss_mb: Vec<f64>,
}

/// Starts a server with a fresh database and the given durability, prepares users and
/// driveways over HTTP, measures (the baseline first when `with_baseline`), and stops it.
pub async fn measure(
    binary: &Path,
    scratch: &Path,
    sync: SqliteSync,
    options: &Options,
    with_baseline: bool,
) -> anyhow::Result<BookingPhase> {
    println!("\nbooking creation with PARKWAY_SQLITE_SYNC={}", sync.as_str());
    let db = scratch.join(format!("booking-{}.db", sync.as_str()));
    let server = ServerProcess::start(binary, &db, sync).await?;
    let base = server.base_url();
    println!("  server listening on {base}");
    let client = super::http_client()?;
    let plan = prepare(&client, std::slice::from_ref(&base)).await.context("preparing users and driveways")?;
    let setup_rss_mb = server.peak_rss_mb()?;
    println!(
        "  registered 1 owner and {DRIVERS} drivers, created {} driveways (server peak RSS so far {setup_rss_mb:.1} MB)",
        DRIVEWAYS + HOT_DRIVEWAYS
    );

    let baseline = if with_baseline {
        let health = Arc::new(Workload::Health { url: format!("{base}/healthz") });
        let durations = (options.warmup_duration(), options.load_duration());
        load(std::slice::from_ref(&server), &client, &health, MANY_CLIENTS, durations, 1).await?.1.pop()
    } else {
        None
    };
    let runs = shapes(std::slice::from_ref(&server), &client, plan, options, None).await?;
    let peak_rss_mb = server.peak_rss_mb()?;
    println!("  server peak RSS {peak_rss_mb:.1} MB");
    server.stop().await?;
    Ok(BookingPhase { sync, baseline, runs, setup_rss_mb, peak_rss_mb })
}

/// Starts `instances` servers on a fresh database of `postgres` (sharing a signing secret, so a
/// session works on any of them), prepares users and driveways, measures with the requests
/// spread over the instances, and stops them.
pub async fn measure_postgres(
    binary: &Path,
    postgres: &TempPostgres,
    instances: usize,
    options: &Options,
) -> anyhow::Result<PostgresBookingPhase> {
    println!("\nbooking creation on PostgreSQL, {instances} server instance(s) on one database");
    let url = postgres.create_database(&format!("booking_{instances}")).await?;
    let secret = ("PARKWAY_JWT_SECRET", format!("bench-{}", Uuid::new_v4().simple()));
    let mut servers = Vec::with_capacity(instances);
    for _ in 0..instances {
        servers.push(ServerProcess::start_on(binary, &url, std::slice::from_ref(&secret)).await?);
    }
    let bases: Vec<String> = servers.iter().map(ServerProcess::base_url).collect();
    println!("  servers listening on {}", bases.join(", "));
    let client = super::http_client()?;
    let plan = prepare(&client, &bases).await.context("preparing users and driveways")?;
    let insight = Insight::connect(&url).await?;
    insight.analyze_set_up().await?;
    insight.checkpoint().await?;
    let runs = shapes(&servers, &client, plan, options, Some(&insight)).await?;
    let peak_rss_mb = servers.iter().map(ServerProcess::peak_rss_mb).collect::<anyhow::Result<Vec<_>>>()?;
    println!("  server peak RSS {}", peak_rss_mb.iter().map(|mb| format!("{mb:.1} MB")).collect::<Vec<_>>().join(", "));
    for server in servers {
        server.stop().await?;
    }
    Ok(PostgresBookingPhase { instances, runs, peak_rss_mb })
}

/// Both shapes: [`ONE_CLIENT_RUNS`] runs with one client each, then [`SERIES`] runs in a row
/// at [`MANY_CLIENTS`] of each, the hot ones each followed by a [fresh](Shape::Fresh) run. With
/// `insight` (PostgreSQL), what the database did during each group of runs is printed after it.
///
/// The one-client runs go first, while the database holds only the set-up: one client measures
/// a booking's way through the server and the database, alone. Placed after a series, it
/// measured the database catching up on the series' writes too (the checkpoint its WAL called
/// for, autovacuum of the tables it grew), which one client at a quiet hour never meets: on
/// PostgreSQL the hot shape's one-client runs, then right after the spread series, were a fifth
/// slower than the spread shape's, and as fast when run before it.
async fn shapes(
    servers: &[ServerProcess],
    client: &Client,
    plan: BookingPlan,
    options: &Options,
    insight: Option<&Insight>,
) -> anyhow::Result<Vec<ShapedRun>> {
    // The spread series goes on with the slots after its one-client runs'; the hot series has
    // a driveway of its own.
    let spread = Arc::new(Workload::Booking(plan.shaped(Shape::Spread)));
    let groups = [
        (Shape::Spread, Arc::clone(&spread), 1, ONE_CLIENT_RUNS),
        (Shape::Hot, Arc::new(Workload::Booking(plan.shaped(Shape::Hot))), 1, ONE_CLIENT_RUNS),
        (Shape::Spread, spread, MANY_CLIENTS, SERIES),
        (Shape::Hot, Arc::new(Workload::Booking(plan.hot_series())), MANY_CLIENTS, SERIES),
    ];
    let mut runs = Vec::new();
    for (shape, bookings, clients, times) in groups {
        let paired = shape == Shape::Hot && clients > 1;
        let beside = if paired { ", each run followed by one on an empty driveway (fresh)" } else { "" };
        println!("  {} bookings, {clients} client(s){beside}:", shape.as_str());
        let durations = (shape.warmup_duration(options), shape.run_duration(options));
        let watch = match insight {
            Some(insight) => Some((insight.reset().await?, insight.sample_waits())),
            None => None,
        };
        let (warmup, measured) = if paired {
            hot_beside_fresh(servers, client, &plan, &bookings, options, times).await?
        } else {
            let (warmup, measured) = load(servers, client, &bookings, clients, durations, times).await?;
            (warmup, measured.into_iter().map(|run| ShapedRun { shape, run }).collect())
        };
        let requests = warmup.requests + measured.iter().map(|shaped| shaped.run.requests).sum::<u64>();
        runs.extend(measured);
        if let (Some(insight), Some((multixacts, sampler))) = (insight, watch) {
            insight.print(sampler.finish().await?, multixacts, requests).await?;
        }
    }
    Ok(runs)
}

/// The hot series at [`MANY_CLIENTS`]: a warm-up, then `times` runs on `hot`, each followed
/// right away by a [fresh](Shape::Fresh) run on an empty driveway of its own.
async fn hot_beside_fresh(
    servers: &[ServerProcess],
    client: &Client,
    plan: &BookingPlan,
    hot: &Arc<Workload>,
    options: &Options,
    times: usize,
) -> anyhow::Result<(LoadRun, Vec<ShapedRun>)> {
    let run = Shape::Hot.run_duration(options);
    let fresh_durations = (Shape::Fresh.warmup_duration(options), Shape::Fresh.run_duration(options));
    let mut warmup = None;
    let mut runs = Vec::with_capacity(2 * times);
    for i in 0..times {
        let hot_warmup = if i == 0 { Shape::Hot.warmup_duration(options) } else { Duration::ZERO };
        let (first, measured) = load(servers, client, hot, MANY_CLIENTS, (hot_warmup, run), 1).await?;
        warmup.get_or_insert(first);
        runs.extend(measured.into_iter().map(|run| ShapedRun { shape: Shape::Hot, run }));
        let fresh = Arc::new(Workload::Booking(plan.fresh(i)));
        let (_, measured) = load(servers, client, &fresh, MANY_CLIENTS, fresh_durations, 1).await?;
        runs.extend(measured.into_iter().map(|run| ShapedRun { shape: Shape::Fresh, run }));
    }
    Ok((warmup.context("a series has at least one run")?, runs))
}

/// A warm-up run, then `times` measured runs in a row, each with a progress line; returns both.
/// Also notes
/// how many cores the servers, PostgreSQL (when it is busy) and this load generator kept busy,
/// since all share the machine.
async fn load(
    servers: &[ServerProcess],
    client: &Client,
    workload: &Arc<Workload>,
    clients: usize,
    (warmup, duration): (Duration, Duration),
    times: usize,
) -> anyhow::Result<(LoadRun, Vec<LoadRun>)> {
    let warmup = run_load(client, workload, clients, warmup).await?;
    let servers_cpu = || servers.iter().map(ServerProcess::cpu_seconds).sum::<anyhow::Result<f64>>();
    let mut runs = Vec::with_capacity(times);
    for _ in 0..times {
        let server_cpu = servers_cpu()?;
        let database_cpu = postgres_cpu_seconds();
        let own_cpu = process_cpu_seconds("self")?;
        let mut run = run_load(client, workload, clients, duration).await?;
        run.server_cores = Some((servers_cpu()? - server_cpu) / run.seconds);
        let database_cores = (postgres_cpu_seconds() - database_cpu) / run.seconds;
        run.database_cores = (database_cores > 0.01).then_some(database_cores);
        run.load_generator_cores = Some((process_cpu_seconds("self")? - own_cpu) / run.seconds);
        println!("    {}", run.summary_line());
        runs.push(run);
    }
    Ok((warmup, runs))
}

/// What every client of a load run sends, over and over: a name for the report, the answer
/// expected, and one request (its whole answer read, so the connection can be reused).
pub(super) trait Request: Send + Sync + 'static {
    /// The request, as the report names it.
    fn name(&self) -> &'static str;
    /// The status every answer should have.
    fn expected(&self) -> StatusCode;
    /// Sends one request and reads the whole answer.
    fn send(&self, client: &Client) -> impl std::future::Future<Output = Result<StatusCode, reqwest::Error>> + Send;
    /// True once the workload has sent all it means to, before the run's time is up.
    fn done(&self) -> bool {
        false
    }
}

/// This part's requests.
pub(super) enum Workload {
    /// `GET /healthz`.
    Health { url: String },
    /// `POST /api/bookings` for the next free slot.
    Booking(BookingPlan),
}

impl Request for Workload {
    fn name(&self) -> &'static str {
        match self {
            Workload::Health { .. } => "GET /healthz",
            Workload::Booking(_) => "POST /api/bookings",
        }
    }

    fn expected(&self) -> StatusCode {
        match self {
            Workload::Health { .. } => StatusCode::OK,
            Workload::Booking(_) => StatusCode::CREATED,
        }
    }

    fn done(&self) -> bool {
        match self {
            Workload::Health { .. } => false,
            Workload::Booking(plan) => plan.full(),
        }
    }

    async fn send(&self, client: &Client) -> Result<StatusCode, reqwest::Error> {
        let response = match self {
            Workload::Health { url } => client.get(url).send().await?,
            Workload::Booking(plan) => {
                let (url, token, body) = plan.next_request();
                // A key on every request, as the apps send one (their retries replay it).
                let key = Uuid::new_v4().to_string();
                client.post(url).bearer_auth(token).header("Idempotency-Key", key).json(&body).send().await?
            }
        };
        let status = response.status();
        response.bytes().await?;
        Ok(status)
    }
}

/// Who books what: slot `i` is driveway `i % driveways.len()`, starting `i / driveways.len()`
/// slot lengths after `first_start`, so no two requests ever overlap and every one passes the
/// conflict check. Request `i` goes to server `i % urls.len()`. Once the slots reach the
/// booking horizon, the plan is [full](BookingPlan::full).
#[derive(Debug)]
pub(super) struct BookingPlan {
    /// The owner of every driveway.
    pub(super) owner_token: String,
    urls: Vec<String>,
    driver_tokens: Vec<String>,
    driveways: Vec<Uuid>,
    first_start: DateTime<Utc>,
    slot: TimeDelta,
    next: AtomicU64,
}

impl BookingPlan {
    /// The plan of one shape: the spread one books the first [`DRIVEWAYS`] driveways, the hot
    /// one (with one client) only the next one, and the fresh one the first of those left
    /// empty; nothing else books those.
    pub(super) fn shaped(&self, shape: Shape) -> BookingPlan {
        match shape {
            Shape::Spread => self.on(&self.driveways[..DRIVEWAYS], shape),
            Shape::Hot => self.on(std::slice::from_ref(&self.driveways[HOT_ONE_CLIENT]), shape),
            Shape::Fresh => self.fresh(0),
        }
    }

    /// The plan of the fresh run after the hot series' run `i`: an empty driveway of its own.
    fn fresh(&self, i: usize) -> BookingPlan {
        self.on(std::slice::from_ref(&self.driveways[FRESH + i]), Shape::Fresh)
    }

    /// The hot shape's plan for its series of many clients: a driveway booked by nothing else.
    fn hot_series(&self) -> BookingPlan {
        self.on(std::slice::from_ref(&self.driveways[HOT_SERIES]), Shape::Hot)
    }

    fn on(&self, driveways: &[Uuid], shape: Shape) -> BookingPlan {
        BookingPlan {
            owner_token: self.owner_token.clone(),
            urls: self.urls.clone(),
            driver_tokens: self.driver_tokens.clone(),
            driveways: driveways.to_vec(),
            first_start: self.first_start,
            slot: shape.slot(),
            next: AtomicU64::new(0),
        }
    }

    /// True once the next slots would come near the booking horizon (with a day's margin and a
    /// round per client, which may each take one more after asking): every later booking would
    /// be refused, so the run ends there rather than count refusals.
    fn full(&self) -> bool {
        let reach = TimeDelta::days(parkway_core::slot::HORIZON_DAYS - 1) - (self.first_start - Utc::now());
        let rounds = reach.num_minutes() / self.slot.num_minutes().max(1);
        let taken = self.next.load(Ordering::Relaxed) / self.driveways.len() as u64;
        taken + MANY_CLIENTS as u64 >= u64::try_from(rounds).unwrap_or(0)
    }

    fn next_request(&self) -> (&str, &str, NewBooking) {
        let i = self.next.fetch_add(1, Ordering::Relaxed) as usize;
        let round = (i / self.driveways.len()) as i32;
        let start = self.first_start + self.slot * round;
        let body = NewBooking {
            driveway: self.driveways[i % self.driveways.len()],
            start_time: start,
            end_time: start + self.slot,
            special_requests: None,
            driver_location: None,
            expected_total_cents: None,
            stripe_payment_id: None,
            vehicle_id: None,
        };
        (&self.urls[i % self.urls.len()], &self.driver_tokens[i % self.driver_tokens.len()], body)
    }
}

/// Registers the owner and the drivers and creates the driveways, all over HTTP (on the first
/// of `bases`); bookings go to every one of them.
pub(super) async fn prepare(client: &Client, bases: &[String]) -> anyhow::Result<BookingPlan> {
    let base = bases.first().context("no server to prepare")?.as_str();
    let owner = register(client, base, "owner@parkway.bench", Role::Owner).await?;
    let mut driver_tokens = Vec::with_capacity(DRIVERS);
    for i in 0..DRIVERS {
        driver_tokens.push(register(client, base, &format!("driver{i}@parkway.bench"), Role::Driver).await?);
    }
    let (lat0, lng0) = parkway_backend::demo::DEMO_CENTER;
    let mut driveways = Vec::with_capacity(DRIVEWAYS + HOT_DRIVEWAYS);
    for i in 0..DRIVEWAYS + HOT_DRIVEWAYS {
        // A 20 × 10 grid about 100 m apart; where they are does not matter for bookings.
        let body = NewDriveway {
            title: format!("Bench driveway {i}"),
            address: format!("{} Bench St", 100 + i),
            lat: Some(lat0 + (i / 20) as f64 * 0.001),
            lng: Some(lng0 + (i % 20) as f64 * 0.001),
            price_per_hour_cents: 300,
            price_per_day_cents: None,
            currency: None,
            timezone: None,
            instant_book: Some(true),
            access_instructions: None,
            availability: None,
        };
        let response = client
            .post(format!("{base}/api/driveways"))
            .bearer_auth(&owner)
            .json(&body)
            .send()
            .await
            .context("POST /api/driveways")?;
        let driveway: Driveway = expect_json(response, StatusCode::CREATED, "POST /api/driveways").await?;
        driveways.push(driveway.id);
    }
    // Whole minutes, a day ahead: far from the "not in the past" rule, whatever the run length.
    let first_start = (Utc::now() + TimeDelta::days(1)).duration_trunc(TimeDelta::minutes(1))?;
    Ok(BookingPlan {
        owner_token: owner,
        urls: bases.iter().map(|b| format!("{b}/api/bookings")).collect(),
        driver_tokens,
        driveways,
        first_start,
        slot: Shape::Spread.slot(),
        next: AtomicU64::new(0),
    })
}

/// Registers an account with one role and returns its token.
pub(super) async fn register(client: &Client, base: &str, email: &str, role: Role) -> anyhow::Result<String> {
    let body = RegisterRequest {
        email: email.to_owned(),
        password: "bench-password".to_owned(),
        name: format!("Bench {}", role.as_str()),
        roles: vec![role],
    };
    let response =
        client.post(format!("{base}/api/auth/register")).json(&body).send().await.context("POST /api/auth/register")?;
    let auth: AuthResponse = expect_json(response, StatusCode::CREATED, "POST /api/auth/register").await?;
    Ok(auth.token)
}

/// The JSON body of an answer with the expected status; otherwise an error quoting the body.
pub(super) async fn expect_json<T: serde::de::DeserializeOwned>(
    response: reqwest::Response,
    expected: StatusCode,
    what: &str,
) -> anyhow::Result<T> {
    let status = response.status();
    let body = response.bytes().await.with_context(|| format!("reading the answer to {what}"))?;
    if status != expected {
        bail!("{what} answered {status} (expected {expected}): {}", String::from_utf8_lossy(&body));
    }
    serde_json::from_slice(&body).with_context(|| format!("parsing the answer to {what}"))
}

/// `clients` tasks sharing one HTTP client send requests back to back until `duration` has
/// passed; a request in flight at the deadline still completes and counts.
pub(super) async fn run_load<W: Request>(
    client: &Client,
    workload: &Arc<W>,
    clients: usize,
    duration: Duration,
) -> anyhow::Result<LoadRun> {
    let started = Instant::now();
    let deadline = started + duration;
    let expected = workload.expected();
    let mut tasks = JoinSet::new();
    for _ in 0..clients {
        let client = client.clone();
        let workload = Arc::clone(workload);
        tasks.spawn(async move {
            let mut tally = Tally::default();
            while Instant::now() < deadline && !workload.done() {
                let sent = Instant::now();
                let outcome = workload.send(&client).await;
                tally.record(sent.elapsed(), outcome, expected);
            }
            tally
        });
    }
    let mut total = Tally::default();
    while let Some(joined) = tasks.join_next().await {
        total.merge(joined.context("a load task failed")?);
    }
    Ok(LoadRun::new(workload.name(), clients, started.elapsed(), total))
}
