//! How long the outbox takes to sync 1,000 bookings queued offline against a local server
//! (target: ≤ 10 s), three runs, median reported, with the server's plain booking throughput
//! measured in the same run as the baseline.
//!
//! `cargo bench -p parkway-app --bench outbox_sync`

// The same server, users and driveways as the integration tests, from one copy (it uses part
// of it).
#[allow(dead_code)]
#[path = "../tests/app/common.rs"]
mod common;

use chrono::{Duration, Utc};
use common::Backend;
use parkway_app_lib::sync::{Backoff, SyncWorker};
use std::sync::Arc;
use std::time::Instant;

const QUEUED: usize = 1000;
const DRIVEWAYS: usize = 50;

/// One run: a fresh server and app database; returns (sync seconds, direct booking seconds).
async fn run() -> (f64, f64) {
    let backend = Backend::start().await;
    let api = &backend.api;
    let owner = api.register("o@bench.example", "owner").await;
    let driver = api.register("d@bench.example", "driver").await;
    let driver_id = parkway_app_lib::client::user_of(&driver).expect("the token names its user");
    let other = api.register("x@bench.example", "driver").await;
    let driveways = api.create_driveways(&owner, DRIVEWAYS, 0.0).await;
    let start = common::first_slot();
    let slot = |k: usize| start + Duration::hours((k / DRIVEWAYS) as i64);

    // Baseline: the same number of bookings sent directly, one after another.
    let t = Instant::now();
    for k in 0..QUEUED {
        let s = slot(k) + Duration::days(30);
        api.book(&other, &driveways[k % DRIVEWAYS], s, s + Duration::minutes(30)).await;
    }
    let direct = t.elapsed().as_secs_f64();

    let local = backend.app_store().await;
    for k in 0..QUEUED {
        let s = slot(k);
        let request = common::request(&driveways[k % DRIVEWAYS], s, s + Duration::minutes(30));
        local.enqueue(uuid::Uuid::new_v4(), driver_id, &request, None, Utc::now()).await.expect("enqueue");
    }
    let worker = SyncWorker::new(local.clone(), backend.app_client(&driver), Backoff::default(), Arc::new(|_| {}));
    let t = Instant::now();
    let report = worker.pass(Utc::now()).await.expect("pass");
    let synced = t.elapsed().as_secs_f64();
    assert_eq!(report.synced, QUEUED, "{report:?}");
    let _ = backend.server.shutdown().await;
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
