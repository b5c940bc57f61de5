//! How long the outbox takes to sync 1,000 bookings queued offline against a local server
//! (target: ≤ 10 s), three runs, median reported, with the server's plain booking throughput
//! measured in the same run as the baseline.
//!
//! `cargo bench -p parkway-app --bench outbox_sync`

use chrono::{Duration, DurationRound, Utc};
use parkway_app_lib::client::BackendClient;
use parkway_app_lib::local::LocalStore;
use parkway_app_lib::sync::{Backoff, SyncWorker};
use parkway_backend::{Config, Server};
use parkway_core::api::NewBooking;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Instant;

const QUEUED: usize = 1000;
const DRIVEWAYS: usize = 50;

async fn post(http: &reqwest::Client, url: String, token: Option<&str>, body: Value) -> Value {
    let mut req = http.post(url).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.expect("sent").json().await.expect("json")
}

/// One run: a fresh server and app database; returns (sync seconds, direct booking seconds).
async fn run() -> (f64, f64) {
    let dir = tempfile::tempdir().expect("dir");
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("server.db").display());
    let server = Server::start(Config::for_database(&db)).await.expect("server");
    let base = format!("http://{}", server.addr());
    let http = reqwest::Client::new();
    let reg =
        |email: String, role: &str| json!({"email": email, "password": "bench password", "name": "B", "roles": [role]});
    let owner = post(&http, format!("{base}/api/auth/register"), None, reg("o@bench.example".into(), "owner")).await;
    let driver = post(&http, format!("{base}/api/auth/register"), None, reg("d@bench.example".into(), "driver")).await;
    let other = post(&http, format!("{base}/api/auth/register"), None, reg("x@bench.example".into(), "driver")).await;
    let owner_token = owner["token"].as_str().expect("token");
    let mut driveways = Vec::new();
    for i in 0..DRIVEWAYS {
        let body =
            json!({"title": format!("D{i}"), "address": "A", "lat": 37.7, "lng": -122.4, "pricePerHourCents": 300});
        driveways.push(
            post(&http, format!("{base}/api/driveways"), Some(owner_token), body).await["id"]
                .as_str()
                .expect("id")
                .to_owned(),
        );
    }
    let start = (Utc::now() + Duration::days(2)).duration_trunc(Duration::hours(1)).expect("trunc");
    let slot = |k: usize| start + Duration::hours((k / DRIVEWAYS) as i64);

    // Baseline: the same number of bookings sent directly, one after another.
    let t = Instant::now();
    for k in 0..QUEUED {
        let s = slot(k) + Duration::days(30);
        let body = json!({"driveway": driveways[k % DRIVEWAYS], "startTime": s, "endTime": s + Duration::minutes(30)});
        post(&http, format!("{base}/api/bookings"), other["token"].as_str(), body).await;
    }
    let direct = t.elapsed().as_secs_f64();

    let local = LocalStore::open(&dir.path().join("app.db")).await.expect("local");
    for k in 0..QUEUED {
        let s = slot(k);
        let request = NewBooking {
            driveway: driveways[k % DRIVEWAYS].parse().expect("uuid"),
            start_time: s,
            end_time: s + Duration::minutes(30),
            special_requests: None,
            driver_location: None,
            expected_total_cents: None,
            stripe_payment_id: None,
        };
        local.enqueue(uuid::Uuid::new_v4(), &request, None, Utc::now()).await.expect("enqueue");
    }
    let client = BackendClient::new(&base).expect("client");
    client.set_token(driver["token"].as_str().map(str::to_owned));
    let worker = SyncWorker::new(local.clone(), client, Backoff::default(), Arc::new(|_| {}));
    let t = Instant::now();
    let report = worker.pass(Utc::now()).await.expect("pass");
    let synced = t.elapsed().as_secs_f64();
    assert_eq!(report.synced, QUEUED, "{report:?}");
    let _ = server.shutdown().await;
    (synced, direct)
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let mut sync = Vec::new();
    let mut direct = Vec::new();
    for i in 0..3 {
        let (s, d) = runtime.block_on(run());
        println!("run {}: outbox sync of {QUEUED} bookings {s:.2} s; same count sent directly {d:.2} s", i + 1);
        sync.push(s);
        direct.push(d);
    }
    sync.sort_by(f64::total_cmp);
    direct.sort_by(f64::total_cmp);
    let verdict = if sync[1] <= 10.0 { "met" } else { "MISSED" };
    println!(
        "median: outbox sync {:.2} s ({:.0} bookings/s), direct baseline {:.2} s; target ≤ 10 s: {verdict}",
        sync[1],
        QUEUED as f64 / sync[1],
        direct[1]
    );
}
