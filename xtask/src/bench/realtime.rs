//! Many idle WebSocket clients on one server: what each costs the server in memory, and how
//! fast a notification reaches its recipients while they are all connected.
//!
//! Owners keep a few connections each (their phones and desktops); the rest of the connections
//! belong to drivers who receive nothing and only cost memory. Drivers then book the owners'
//! driveways; each booking notifies its owner, and the time from sending the booking request to
//! each of the owner's sockets receiving the message is recorded (an upper bound on
//! commit-to-receipt, since the commit happens inside that request). Then each driver writes
//! to the owner of a driveway they booked, and the time from sending the message to each of the
//! owner's sockets receiving it is recorded the same way.

use super::server::{ServerProcess, SqliteSync};
use super::stats::percentile_of_sorted;
use anyhow::{Context, bail};
use futures_util::StreamExt;
use serde::Serialize;
use serde_json::json;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::Message;

const OWNERS: usize = 20;
const CONNECTIONS_PER_OWNER: usize = 5;
const DRIVERS: usize = 20;
const BOOKINGS: usize = 400;
/// Messages written, one per booking for the first ones (each driver stays under the server's
/// per-user rate).
const MESSAGES: usize = 200;

/// The figures of this part.
#[derive(Debug, Serialize)]
pub struct RealtimeReport {
    /// Connections open at once.
    pub connections: usize,
    /// Server RSS with no WebSocket open, MB.
    pub rss_before_mb: f64,
    /// Server RSS with every connection open and idle, MB.
    pub rss_connected_mb: f64,
    /// (connected − before) / connections, KiB.
    pub kib_per_connection: f64,
    /// Seconds to open every connection.
    pub connect_seconds: f64,
    /// Messages expected at owners' sockets.
    pub expected_deliveries: usize,
    /// Messages received.
    pub deliveries: usize,
    /// Request-sent to message-received latency, median, ms.
    pub delivery_p50_ms: f64,
    /// The same, 99th percentile, ms.
    pub delivery_p99_ms: f64,
    /// Messages expected at owners' sockets.
    pub expected_message_deliveries: usize,
    /// Messages received.
    pub message_deliveries: usize,
    /// Message-sent to message-received latency, median, ms.
    pub message_p50_ms: f64,
    /// The same, 99th percentile, ms.
    pub message_p99_ms: f64,
    /// Server peak RSS, MB.
    pub peak_rss_mb: f64,
}

impl RealtimeReport {
    /// Prints the section of the report.
    pub fn print(&self) {
        let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
        println!("\nReal-time: {} WebSocket connections held open at once", self.connections);
        println!("  opened in {:.1} s", self.connect_seconds);
        println!(
            "  server RSS {:.1} MB before, {:.1} MB connected: {:.1} KiB per idle connection (target ≤ 16 KiB: {})",
            self.rss_before_mb,
            self.rss_connected_mb,
            self.kib_per_connection,
            verdict(self.kib_per_connection <= 16.0)
        );
        println!(
            "  delivery (booking request sent → owner's socket received), {} of {} messages: p50 {:.1} ms, p99 {:.1} ms (target p99 ≤ 50 ms: {})",
            self.deliveries,
            self.expected_deliveries,
            self.delivery_p50_ms,
            self.delivery_p99_ms,
            verdict(self.delivery_p99_ms <= 50.0 && self.deliveries == self.expected_deliveries)
        );
        println!(
            "  message delivery (driver's message sent → owner's socket received), {} of {}: p50 {:.1} ms, p99 {:.1} ms (target p99 ≤ 50 ms: {})",
            self.message_deliveries,
            self.expected_message_deliveries,
            self.message_p50_ms,
            self.message_p99_ms,
            verdict(self.message_p99_ms <= 50.0 && self.message_deliveries == self.expected_message_deliveries)
        );
        println!("  server peak RSS {:.1} MB", self.peak_rss_mb);
    }
}

async fn register(client: &reqwest::Client, base: &str, role: &str, n: usize) -> anyhow::Result<(String, String)> {
    let email = format!("{role}{n}-{}@bench.example", uuid::Uuid::new_v4().simple());
    let res: serde_json::Value = client
        .post(format!("{base}/api/auth/register"))
        .json(&json!({"email": email, "password": "bench password", "name": "Bench", "roles": [role]}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let token = res["token"].as_str().context("no token")?.to_owned();
    let id = res["user"]["id"].as_str().context("no id")?.to_owned();
    Ok((token, id))
}

fn soft_fd_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// Runs the part against a fresh server.
pub async fn measure(binary: &Path, scratch: &Path, connections: usize) -> anyhow::Result<RealtimeReport> {
    println!("\nreal-time: {connections} WebSocket connections");
    if let Some(limit) = soft_fd_limit()
        && limit < connections as u64 + 500
    {
        bail!(
            "the open-file limit is {limit}; raise it (ulimit -n {}) to open {connections} connections",
            connections + 1000
        );
    }
    let server = ServerProcess::start(binary, &scratch.join("realtime.db"), SqliteSync::Normal).await?;
    let base = server.base_url();
    let ws_base = base.replace("http://", "ws://");
    let client = super::http_client()?;

    let mut owners = Vec::new();
    for i in 0..OWNERS {
        let (token, _) = register(&client, &base, "owner", i).await?;
        let d: serde_json::Value = client
            .post(format!("{base}/api/driveways"))
            .bearer_auth(&token)
            .json(&json!({"title": "Bench", "address": "1 Bench St", "lat": 37.77, "lng": -122.42, "pricePerHourCents": 300}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        owners.push((token, d["id"].as_str().context("no driveway id")?.to_owned()));
    }
    let mut drivers = Vec::new();
    for i in 0..DRIVERS {
        drivers.push(register(&client, &base, "driver", i).await?.0);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_before_mb = server.rss_mb()?;

    // Open the connections: owners' first, then idle drivers' until the total is reached.
    let started = Instant::now();
    // (owner, is a message, when): bookings and messages are told apart by the event's type.
    let received: Arc<Mutex<Vec<(usize, bool, Instant)>>> = Arc::new(Mutex::new(Vec::new()));
    let mut readers = Vec::new();
    let mut idle = Vec::new();
    for (o, (token, _)) in owners.iter().enumerate() {
        for _ in 0..CONNECTIONS_PER_OWNER {
            let (socket, _) = tokio_tungstenite::connect_async(format!("{ws_base}/api/ws?token={token}")).await?;
            let received = received.clone();
            readers.push(tokio::spawn(async move {
                let (_, mut read) = socket.split();
                while let Some(Ok(msg)) = read.next().await {
                    if let Message::Text(text) = msg {
                        let at = Instant::now();
                        let kind: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
                        received.lock().await.push((o, kind["type"] == "message", at));
                    }
                }
            }));
        }
    }
    let rest = connections.saturating_sub(readers.len());
    let mut opened = 0;
    while opened < rest {
        let batch = (rest - opened).min(200);
        let mut pending = Vec::with_capacity(batch);
        for i in 0..batch {
            let url = format!("{ws_base}/api/ws?token={}", drivers[(opened + i) % drivers.len()]);
            pending.push(tokio::spawn(async move { tokio_tungstenite::connect_async(url).await }));
        }
        for p in pending {
            idle.push(p.await?.context("opening a WebSocket")?.0);
        }
        opened += batch;
        if opened % 2000 == 0 || opened == rest {
            println!("  {} connections open", opened + readers.len());
        }
    }
    let connect_seconds = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_connected_mb = server.rss_mb()?;

    // Bookings: each notifies one owner's sockets.
    let mut sent_at = Vec::with_capacity(BOOKINGS);
    let mut booking_ids = Vec::with_capacity(BOOKINGS);
    let start = chrono::Utc::now() + chrono::Duration::days(2);
    for i in 0..BOOKINGS {
        let o = i % OWNERS;
        let slot_start = start + chrono::Duration::minutes(30 * (i / OWNERS) as i64);
        let body = json!({
            "driveway": owners[o].1,
            "startTime": slot_start.to_rfc3339(),
            "endTime": (slot_start + chrono::Duration::minutes(30)).to_rfc3339(),
        });
        let sent = Instant::now();
        let booking: serde_json::Value = client
            .post(format!("{base}/api/bookings"))
            .bearer_auth(&drivers[i % drivers.len()])
            .json(&body)
            .send()
            .await?
            .error_for_status()
            .context("a benchmark booking was refused")?
            .json()
            .await?;
        sent_at.push((o, sent));
        booking_ids.push(booking["id"].as_str().context("no booking id")?.to_owned());
        // A steady trickle, not a burst: latency under load, not queueing behind the burst.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;

    // Messages: driver i writes about booking i, which reaches that driveway's owner.
    let mut message_sent_at = Vec::with_capacity(MESSAGES);
    for (i, booking) in booking_ids.iter().take(MESSAGES).enumerate() {
        let sent = Instant::now();
        client
            .post(format!("{base}/api/bookings/{booking}/messages"))
            .bearer_auth(&drivers[i % drivers.len()])
            .json(&json!({"text": format!("Which side of the driveway should I use? ({i})")}))
            .send()
            .await?
            .error_for_status()
            .context("a benchmark message was refused")?;
        message_sent_at.push((i % OWNERS, sent));
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let peak_rss_mb = server.peak_rss_mb()?;

    let got = received.lock().await.clone();
    let latencies = latencies_of(&sent_at, &got, false);
    let message_latencies = latencies_of(&message_sent_at, &got, true);
    let report = RealtimeReport {
        connections: readers.len() + idle.len(),
        rss_before_mb,
        rss_connected_mb,
        kib_per_connection: (rss_connected_mb - rss_before_mb) * 1e6 / 1024.0 / connections as f64,
        connect_seconds,
        expected_deliveries: BOOKINGS * CONNECTIONS_PER_OWNER,
        deliveries: got.iter().filter(|(_, message, _)| !message).count(),
        delivery_p50_ms: percentile_of_sorted(&latencies, 0.5),
        delivery_p99_ms: percentile_of_sorted(&latencies, 0.99),
        expected_message_deliveries: MESSAGES * CONNECTIONS_PER_OWNER,
        message_deliveries: got.iter().filter(|(_, message, _)| *message).count(),
        message_p50_ms: percentile_of_sorted(&message_latencies, 0.5),
        message_p99_ms: percentile_of_sorted(&message_latencies, 0.99),
        peak_rss_mb,
    };
    drop(idle);
    for r in readers {
        r.abort();
    }
    server.stop().await?;
    Ok(report)
}

/// Latencies (ms, sorted) of the events of one kind: each owner's arrivals, in order, matched
/// to the sends that reached that owner, in order (each send reaches every socket of its owner).
fn latencies_of(sends: &[(usize, Instant)], got: &[(usize, bool, Instant)], messages: bool) -> Vec<f64> {
    let mut latencies = Vec::new();
    for o in 0..OWNERS {
        let sent: Vec<Instant> = sends.iter().filter(|(x, _)| *x == o).map(|(_, t)| *t).collect();
        let mut arrivals: Vec<Instant> =
            got.iter().filter(|(x, kind, _)| *x == o && *kind == messages).map(|(_, _, t)| *t).collect();
        arrivals.sort();
        for (k, arrival) in arrivals.iter().enumerate() {
            if let Some(at) = sent.get(k / CONNECTIONS_PER_OWNER) {
                latencies.push(arrival.saturating_duration_since(*at).as_secs_f64() * 1000.0);
            }
        }
    }
    latencies.sort_by(f64::total_cmp);
    latencies
}
