//! Extending stays beside creating bookings: 32 clients extending confirmed stays, each request
//! a new extension of the next stay, and the same 32 clients creating bookings, on one server,
//! in alternating runs so that both see the same machine.
//!
//! The stays are on driveways whose daily price caps a stay at its first hour's price, so the
//! rest of their day costs nothing more: each extension is confirmed at once (nothing to pay),
//! and the stay can be extended again by the next request. A paid extension does the same
//! writes, minus the driver's "confirmed" notice, and then waits for its payment, which the
//! payments part measures.

use super::Options;
use super::booking::{self, Request, Shape, Workload, expect_json, register, run_load};
use super::runs::LoadRun;
use super::server::{ServerProcess, SqliteSync};
use super::stats::SeriesRates;
use anyhow::Context;
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use parkway_core::api::{Booking, Driveway, ExtendBooking, NewBooking, NewDriveway, Role};
use parkway_core::money::Cents;
use reqwest::{Client, StatusCode};
use serde::Serialize;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use tokio::task::JoinSet;

/// Concurrent clients of every run.
const CLIENTS: usize = 32;
/// Driveways with stays to extend.
const DRIVEWAYS: usize = 150;
/// Stays per driveway, two days apart.
const STAYS_PER_DRIVEWAY: usize = 10;
/// Each extension adds this much.
const STEP_MINUTES: i64 = 15;
/// Extensions one stay takes before its day is over (and the next would cost money): from its
/// first hour to 24 hours.
const FREE_STEPS: u32 = (23 * 60 / STEP_MINUTES) as u32;

/// Both series, in the order they ran (alternating).
#[derive(Debug, Serialize)]
pub struct ExtensionReport {
    /// Booking creation, bookings spread over driveways.
    pub booking: Vec<LoadRun>,
    /// Extensions.
    pub extension: Vec<LoadRun>,
    /// Stays prepared (booked and paid) before the runs.
    pub stays: usize,
}

impl ExtensionReport {
    /// The summary table.
    pub fn print(&self) {
        println!("\nextending stays beside creating bookings (SQLite, sync=full, {CLIENTS} clients, runs alternating)");
        for (name, runs) in [("POST /api/bookings", &self.booking), ("POST /api/bookings/{id}/extend", &self.extension)]
        {
            let rates: Vec<f64> = runs.iter().map(|r| r.per_second).collect();
            let p99: Vec<f64> = runs.iter().map(|r| r.latency.p99_ms).collect();
            let unexpected: u64 = runs.iter().map(|r| r.unexpected).sum();
            let series = SeriesRates::of(&rates);
            println!(
                "  {name:<32} median {:>6.0}/s (slowest {:.0}/s, first {:.0}/s), median p99 {:.1} ms, {unexpected} unexpected",
                series.median,
                series.slowest,
                series.first,
                SeriesRates::of(&p99).median,
            );
        }
    }
}

/// One stay: where to extend it, whose it is, and where it ended when prepared.
#[derive(Debug)]
struct Stay {
    url: String,
    token: String,
    end: DateTime<Utc>,
    extended: AtomicU32,
}

/// Request `i` extends stay `i % stays.len()` by one more step than its last request did.
#[derive(Debug)]
pub struct ExtendPlan {
    stays: Vec<Stay>,
    next: AtomicU64,
}

impl Request for ExtendPlan {
    fn name(&self) -> &'static str {
        "POST /api/bookings/{id}/extend"
    }

    fn expected(&self) -> StatusCode {
        StatusCode::CREATED
    }

    async fn send(&self, client: &Client) -> Result<StatusCode, reqwest::Error> {
        let (url, token, body) = self.next_request();
        let response = client.post(url).bearer_auth(token).json(&body).send().await?;
        let status = response.status();
        response.bytes().await?;
        Ok(status)
    }
}

impl ExtendPlan {
    fn next_request(&self) -> (&str, &str, ExtendBooking) {
        let i = self.next.fetch_add(1, Ordering::Relaxed) as usize % self.stays.len();
        let stay = &self.stays[i];
        let steps = stay.extended.fetch_add(1, Ordering::Relaxed) + 1;
        let end = stay.end + TimeDelta::minutes(STEP_MINUTES * i64::from(steps));
        (&stay.url, &stay.token, ExtendBooking { end_time: end, expected_extra_cents: Some(Cents::ZERO) })
    }

    /// Extensions left before some stay would need paying for.
    fn free_left(&self) -> u64 {
        self.stays.iter().map(|s| u64::from(FREE_STEPS.saturating_sub(s.extended.load(Ordering::Relaxed)))).sum()
    }
}

/// Starts a server with a fresh database, prepares bookings and paid stays, then alternates a
/// run of booking creation and a run of extensions, [`booking::SERIES`] times each.
pub async fn measure(binary: &Path, scratch: &Path, options: &Options) -> anyhow::Result<ExtensionReport> {
    println!("\nextending stays beside creating bookings");
    let server = ServerProcess::start(binary, &scratch.join("extension.db"), SqliteSync::Full).await?;
    let base = server.base_url();
    let client = super::http_client()?;
    let bookings = booking::prepare(&client, std::slice::from_ref(&base)).await.context("preparing bookings")?;
    let bookings = Arc::new(Workload::Booking(bookings.shaped(Shape::Spread)));
    let plan = stays(&client, &base).await.context("preparing stays to extend")?;
    let stays = plan.stays.len();
    println!("  {stays} stays booked and paid, {} free extensions available", plan.free_left());
    let extensions = Arc::new(plan);

    let (warmup, duration) = (options.warmup_duration(), options.load_duration());
    run_load(&client, &bookings, CLIENTS, warmup).await?;
    run_load(&client, &extensions, CLIENTS, warmup).await?;
    let mut report = ExtensionReport { booking: Vec::new(), extension: Vec::new(), stays };
    for _ in 0..booking::SERIES {
        let run = run_load(&client, &bookings, CLIENTS, duration).await?;
        println!("    {}", run.summary_line());
        report.booking.push(run);
        let run = run_load(&client, &extensions, CLIENTS, duration).await?;
        println!("    {}", run.summary_line());
        report.extension.push(run);
    }
    println!("  {} free extensions were left", extensions.free_left());
    server.stop().await?;
    Ok(report)
}

/// A second owner's driveways, capped at one hour's price a day, and on each
/// [`STAYS_PER_DRIVEWAY`] one-hour stays of four drivers, booked and paid (which confirms
/// them: the driveways book instantly).
async fn stays(client: &Client, base: &str) -> anyhow::Result<ExtendPlan> {
    let owner = register(client, base, "stays-owner@parkway.bench", Role::Owner).await?;
    let mut drivers = Vec::new();
    for i in 0..4 {
        drivers.push(register(client, base, &format!("stays-driver{i}@parkway.bench"), Role::Driver).await?);
    }
    let (lat0, lng0) = parkway_backend::demo::DEMO_CENTER;
    let mut driveways = Vec::with_capacity(DRIVEWAYS);
    for i in 0..DRIVEWAYS {
        let body = NewDriveway {
            title: format!("Capped driveway {i}"),
            address: format!("{} Stay St", 100 + i),
            lat: Some(lat0 - 0.05 - (i / 15) as f64 * 0.001),
            lng: Some(lng0 + (i % 15) as f64 * 0.001),
            price_per_hour_cents: 300,
            price_per_day_cents: Some(300),
            currency: None,
            timezone: None,
            instant_book: Some(true),
            access_instructions: None,
            availability: None,
        };
        let response = client.post(format!("{base}/api/driveways")).bearer_auth(&owner).json(&body).send().await?;
        let driveway: Driveway = expect_json(response, StatusCode::CREATED, "POST /api/driveways").await?;
        driveways.push(driveway.id);
    }
    let first_start = (Utc::now() + TimeDelta::days(1)).duration_trunc(TimeDelta::hours(1))?;
    let mut tasks = JoinSet::new();
    let mut stays = Vec::new();
    let client = Arc::new(client.clone());
    let stay = |b: Booking, token: String| Stay {
        url: format!("{base}/api/bookings/{}/extend", b.id),
        token,
        end: b.end_time,
        extended: AtomicU32::new(0),
    };
    for (n, (d, k)) in driveways.iter().flat_map(|d| (0..STAYS_PER_DRIVEWAY).map(move |k| (*d, k))).enumerate() {
        let (client, base, token) = (Arc::clone(&client), base.to_owned(), drivers[n % drivers.len()].clone());
        let start = first_start + TimeDelta::days(2 * k as i64);
        tasks.spawn(async move { paid_stay(&client, &base, &token, d, start).await.map(|b| (b, token)) });
        // A few at a time: the server is being set up, not measured.
        while tasks.len() >= 8 {
            let (b, token) = tasks.join_next().await.context("a stay")???;
            stays.push(stay(b, token));
        }
    }
    while let Some(joined) = tasks.join_next().await {
        let (b, token) = joined??;
        stays.push(stay(b, token));
    }
    Ok(ExtendPlan { stays, next: AtomicU64::new(0) })
}

/// Books one hour from `start` and pays for it through the simulated provider.
async fn paid_stay(
    client: &Client,
    base: &str,
    token: &str,
    driveway: uuid::Uuid,
    start: DateTime<Utc>,
) -> anyhow::Result<Booking> {
    let body = NewBooking {
        driveway,
        start_time: start,
        end_time: start + TimeDelta::hours(1),
        special_requests: None,
        driver_location: None,
        expected_total_cents: None,
        stripe_payment_id: None,
        vehicle_id: None,
    };
    let response = client.post(format!("{base}/api/bookings")).bearer_auth(token).json(&body).send().await?;
    let booking: Booking = expect_json(response, StatusCode::CREATED, "POST /api/bookings").await?;
    let response = client
        .post(format!("{base}/api/payments/create-payment-intent"))
        .bearer_auth(token)
        .json(&serde_json::json!({"bookingId": booking.id}))
        .send()
        .await?;
    let intent: serde_json::Value = expect_json(response, StatusCode::OK, "create-payment-intent").await?;
    let id = intent["paymentIntentId"].as_str().context("no paymentIntentId")?;
    let response = client
        .post(format!("{base}/api/payments/simulated/{id}/confirm"))
        .bearer_auth(token)
        .json(&serde_json::json!({"card": "4242424242424242"}))
        .send()
        .await?;
    let _: serde_json::Value = expect_json(response, StatusCode::OK, "simulated confirm").await?;
    Ok(booking)
}
