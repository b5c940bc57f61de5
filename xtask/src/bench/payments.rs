//! Payments against the localstripe emulator: how long the payment step adds to a booking, and
//! how many signed webhook events per second the server verifies and records (distinct events,
//! then the same events again as duplicates).

use super::server::{ServerProcess, SqliteSync};
use super::stats::percentile_of_sorted;
use anyhow::{Context, bail};
use parkway_backend::payments::signature;
use serde::Serialize;
use serde_json::json;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

const SECRET_KEY: &str = "sk_test_bench";
const WEBHOOK_SECRET: &str = "whsec_bench";
const BOOKINGS: usize = 200;
const EVENTS: usize = 4000;
const CONCURRENCY: usize = 16;

/// The figures of this part.
#[derive(Debug, Serialize)]
pub struct PaymentsReport {
    /// `POST /api/bookings` alone, median ms.
    pub booking_p50_ms: f64,
    /// `POST /api/payments/create-payment-intent` after it (the added step), median ms.
    pub payment_step_p50_ms: f64,
    /// The same, 99th percentile, ms.
    pub payment_step_p99_ms: f64,
    /// Distinct signed events per second.
    pub distinct_events_per_s: f64,
    /// Duplicate signed events per second.
    pub duplicate_events_per_s: f64,
    /// Answers other than 200 to the events.
    pub unexpected: usize,
}

impl PaymentsReport {
    /// Prints the section of the report.
    pub fn print(&self) {
        println!("\nPayments against the localstripe emulator");
        println!(
            "  booking alone p50 {:.2} ms; payment step (create PaymentIntent at the provider) p50 {:.2} ms, p99 {:.2} ms",
            self.booking_p50_ms, self.payment_step_p50_ms, self.payment_step_p99_ms
        );
        println!(
            "  webhooks ({CONCURRENCY} senders): {:.0} distinct events/s, {:.0} duplicate events/s, {} unexpected answers",
            self.distinct_events_per_s, self.duplicate_events_per_s, self.unexpected
        );
    }
}

/// Runs the part: localstripe from the project's `.venv`, a server configured for it.
pub async fn measure(root: &Path, binary: &Path, scratch: &Path) -> anyhow::Result<PaymentsReport> {
    println!("\npayments: localstripe and a server using it");
    let localstripe = root.join(".venv/bin/localstripe");
    if !localstripe.exists() {
        bail!("{} is missing: run scripts/setup.sh", localstripe.display());
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let mut emulator = tokio::process::Command::new(&localstripe)
        .args(["--port", &port.to_string(), "--from-scratch"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("starting localstripe")?;
    let stripe = format!("http://127.0.0.1:{port}");
    let client = super::http_client()?;
    let mut ready = false;
    for _ in 0..100 {
        if client.get(format!("{stripe}/v1/payment_intents")).bearer_auth(SECRET_KEY).send().await.is_ok() {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if !ready {
        bail!("localstripe did not start");
    }
    let env = [
        ("STRIPE_SECRET_KEY", SECRET_KEY.to_owned()),
        ("STRIPE_API_BASE", stripe.clone()),
        ("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET.to_owned()),
    ];
    let server = ServerProcess::start_with(binary, &scratch.join("payments.db"), SqliteSync::Full, &env).await?;
    let base = server.base_url();

    let register = |role: &'static str| {
        let (client, base) = (client.clone(), base.clone());
        async move {
            let email = format!("{role}-{}@bench.example", uuid::Uuid::new_v4().simple());
            let v: serde_json::Value = client
                .post(format!("{base}/api/auth/register"))
                .json(&json!({"email": email, "password": "bench password", "name": "Bench", "roles": [role]}))
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            anyhow::Ok(v["token"].as_str().context("no token")?.to_owned())
        }
    };
    let owner = register("owner").await?;
    let driver = register("driver").await?;
    let d: serde_json::Value = client
        .post(format!("{base}/api/driveways"))
        .bearer_auth(&owner)
        .json(&json!({"title": "Bench", "address": "1 Bench St", "lat": 37.77, "lng": -122.42, "pricePerHourCents": 300, "instantBook": true}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let driveway = d["id"].as_str().context("no driveway id")?.to_owned();

    let mut booking_ms = Vec::new();
    let mut payment_ms = Vec::new();
    let start = chrono::Utc::now() + chrono::Duration::days(2);
    for i in 0..BOOKINGS {
        let s = start + chrono::Duration::minutes(30 * i as i64);
        let t0 = Instant::now();
        let b: serde_json::Value = client
            .post(format!("{base}/api/bookings"))
            .bearer_auth(&driver)
            .json(&json!({"driveway": driveway, "startTime": s.to_rfc3339(), "endTime": (s + chrono::Duration::minutes(30)).to_rfc3339()}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let t1 = Instant::now();
        client
            .post(format!("{base}/api/payments/create-payment-intent"))
            .bearer_auth(&driver)
            .json(&json!({"bookingId": b["id"]}))
            .send()
            .await?
            .error_for_status()
            .context("creating a payment intent")?;
        let t2 = Instant::now();
        booking_ms.push((t1 - t0).as_secs_f64() * 1000.0);
        payment_ms.push((t2 - t1).as_secs_f64() * 1000.0);
    }
    booking_ms.sort_by(f64::total_cmp);
    payment_ms.sort_by(f64::total_cmp);

    // Signed events for intents the server does not know: verified, recorded, acknowledged.
    let events: Vec<Vec<u8>> = (0..EVENTS)
        .map(|i| {
            serde_json::to_vec(&json!({
                "id": format!("evt_bench_{i}"), "type": "payment_intent.succeeded",
                "data": {"object": {"id": format!("pi_bench_{i}"), "status": "succeeded"}}
            }))
        })
        .collect::<Result<_, _>>()?;
    let mut unexpected = 0;
    let mut rates = Vec::new();
    for _round in 0..2 {
        let started = Instant::now();
        let mut tasks = Vec::new();
        for lane in 0..CONCURRENCY {
            let (client, url) = (client.clone(), format!("{base}/api/payments/webhook"));
            let mine: Vec<Vec<u8>> = events.iter().skip(lane).step_by(CONCURRENCY).cloned().collect();
            tasks.push(tokio::spawn(async move {
                let mut bad = 0;
                for body in mine {
                    let header = signature::sign(&body, WEBHOOK_SECRET, chrono::Utc::now().timestamp());
                    let ok = client
                        .post(&url)
                        .header("stripe-signature", header)
                        .header("content-type", "application/json")
                        .body(body)
                        .send()
                        .await
                        .is_ok_and(|r| r.status().is_success());
                    if !ok {
                        bad += 1;
                    }
                }
                bad
            }));
        }
        for t in tasks {
            unexpected += t.await?;
        }
        rates.push(EVENTS as f64 / started.elapsed().as_secs_f64());
    }
    server.stop().await?;
    let _ = emulator.kill().await;
    Ok(PaymentsReport {
        booking_p50_ms: percentile_of_sorted(&booking_ms, 0.5),
        payment_step_p50_ms: percentile_of_sorted(&payment_ms, 0.5),
        payment_step_p99_ms: percentile_of_sorted(&payment_ms, 0.99),
        distinct_events_per_s: rates[0],
        duplicate_events_per_s: rates[1],
        unexpected,
    })
}
