//! Push fan-out: bookings made by 32 clients tell their owner, whose three devices (a browser,
//! an Android phone and an iPhone) are pushed to through the test doubles of Web Push, Firebase
//! and APNs (`parkway-testkit`; the Web Push double decrypts every push, the others check
//! every signature). Measured: booking throughput without devices and then with them (the
//! queue's cost on bookings), the time until all [`NOTIFICATIONS`] × 3 pushes are taken, and
//! the server's peak memory. SQLite, the default.

use super::Options;
use super::booking::{Request, Workload, prepare, run_load};
use super::runs::LoadRun;
use super::server::{ServerProcess, SqliteSync, process_cpu_seconds};
use anyhow::Context;
use reqwest::{Client, StatusCode};
use serde::Serialize;
use serde_json::json;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

/// Notifications fanned out.
const NOTIFICATIONS: i64 = 10_000;
/// Devices of the owner who is told.
const DEVICES: usize = 3;
/// Clients making bookings.
const CLIENTS: usize = 32;
/// The longest the queue may take to drain before the part fails.
const DRAIN_LIMIT: Duration = Duration::from_secs(600);
/// RFC 8291's example browser key, public: good enough to sign pushes to doubles.
const BENCH_VAPID_KEY: &str = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94";

/// The figures of this part.
#[derive(Debug, Serialize)]
pub struct PushReport {
    /// Bookings per second with no device registered.
    pub without_devices: LoadRun,
    /// Bookings per second while each one queues three pushes (the [`NOTIFICATIONS`] bookings).
    pub with_devices: LoadRun,
    /// Pushes taken by the doubles.
    pub pushes: usize,
    /// From the first of those bookings to the last push taken, seconds.
    pub seconds_to_last_push: f64,
    /// After the last booking was answered, until the last push was taken, seconds.
    pub drain_seconds: f64,
    /// The server's peak resident memory, MB.
    pub peak_rss_mb: f64,
    /// CPU cores the server kept busy from the first of those bookings to the last push.
    pub server_cores: f64,
    /// CPU cores this process (the load generator and the three doubles) kept busy then.
    pub bench_cores: f64,
}

impl PushReport {
    /// The summary.
    pub fn print(&self) {
        println!(
            "\npush fan-out: {NOTIFICATIONS} notifications to {DEVICES} devices each, through the Web Push, Firebase and APNs doubles (SQLite, release server)"
        );
        println!("  bookings, no devices:   {}", self.without_devices.summary_line());
        println!("  bookings, 3 devices:    {}", self.with_devices.summary_line());
        println!(
            "  {} pushes taken {:.1} s after the first booking ({:.0}/s), {:.1} s after the last; booking throughput {:+.1} % with devices; server peak memory {:.0} MB",
            self.pushes,
            self.seconds_to_last_push,
            self.pushes as f64 / self.seconds_to_last_push.max(f64::MIN_POSITIVE),
            self.drain_seconds,
            100.0 * (self.with_devices.per_second / self.without_devices.per_second.max(f64::MIN_POSITIVE) - 1.0),
            self.peak_rss_mb,
        );
        println!(
            "  CPU meanwhile: server {:.2} cores, the load generator with the three doubles {:.2} cores",
            self.server_cores, self.bench_cores
        );
    }
}

/// Bookings until [`NOTIFICATIONS`] were sent.
struct Counted {
    inner: Arc<Workload>,
    left: AtomicI64,
}

impl Request for Counted {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn expected(&self) -> StatusCode {
        self.inner.expected()
    }

    async fn send(&self, client: &Client) -> Result<StatusCode, reqwest::Error> {
        self.left.fetch_sub(1, Ordering::Relaxed);
        self.inner.send(client).await
    }

    fn done(&self) -> bool {
        self.left.load(Ordering::Relaxed) <= 0
    }
}

/// Runs the part on a fresh server.
pub async fn measure(binary: &Path, scratch: &Path, options: &Options) -> anyhow::Result<PushReport> {
    use parkway_testkit::{apns::ApnsDouble, fcm::FcmDouble, webpush::WebPushDouble};
    let (web, firebase, apple) = (WebPushDouble::start().await, FcmDouble::start().await, ApnsDouble::start().await);
    let account = scratch.join("fcm-service-account.json");
    std::fs::write(&account, firebase.service_account_json()).context("writing the service account key")?;
    let (apns_key, key_id, team_id, topic) = apple.credentials();
    let p8 = scratch.join("apns-key.p8");
    std::fs::write(&p8, apns_key).context("writing the APNs key")?;
    let env = [
        ("PARKWAY_VAPID_PRIVATE_KEY", BENCH_VAPID_KEY.to_owned()),
        ("PARKWAY_VAPID_SUBJECT", "mailto:bench@parkway.test".to_owned()),
        ("PARKWAY_WEB_PUSH_ORIGINS", web.origin().to_owned()),
        ("PARKWAY_FCM_SERVICE_ACCOUNT", account.display().to_string()),
        ("PARKWAY_FCM_API_BASE", firebase.api_base().to_owned()),
        ("PARKWAY_APNS_KEY", p8.display().to_string()),
        ("PARKWAY_APNS_KEY_ID", key_id.to_owned()),
        ("PARKWAY_APNS_TEAM_ID", team_id.to_owned()),
        ("PARKWAY_APNS_TOPIC", topic.to_owned()),
        ("PARKWAY_APNS_API_BASE", apple.api_base().to_owned()),
    ];
    let server = ServerProcess::start_with(binary, &scratch.join("push.db"), SqliteSync::Full, &env).await?;
    let base = server.base_url();
    let client = super::http_client()?;
    let plan = prepare(&client, std::slice::from_ref(&base)).await.context("preparing users and driveways")?;
    let owner = plan.owner_token.clone();
    let bookings = Arc::new(Workload::Booking(plan.shaped(super::booking::Shape::Spread)));

    run_load(&client, &bookings, CLIENTS, options.warmup_duration()).await?;
    let without_devices = run_load(&client, &bookings, CLIENTS, options.load_duration()).await?;
    println!("  bookings, no devices: {}", without_devices.summary_line());

    let (endpoint, browser) = web.subscribe();
    let devices = [
        json!({"platform": "web", "subscription": {"endpoint": endpoint, "keys": {"p256dh": browser.p256dh(), "auth": browser.auth()}}}),
        json!({"platform": "android", "token": "bench-phone:APA91b"}),
        json!({"platform": "ios", "token": "ab".repeat(32)}),
    ];
    for device in devices {
        let response = client.post(format!("{base}/api/devices")).bearer_auth(&owner).json(&device).send().await?;
        anyhow::ensure!(response.status() == StatusCode::CREATED, "POST /api/devices answered {}", response.status());
    }
    let counted = Arc::new(Counted { inner: bookings, left: AtomicI64::new(NOTIFICATIONS) });
    let (server_cpu, own_cpu) = (server.cpu_seconds()?, process_cpu_seconds("self")?);
    let started = Instant::now();
    let with_devices = run_load(&client, &counted, CLIENTS, DRAIN_LIMIT).await?;
    let booked = Instant::now();
    println!("  bookings, 3 devices:  {}", with_devices.summary_line());
    let notified = usize::try_from(with_devices.requests - with_devices.unexpected).unwrap_or(0);
    let expected = notified * DEVICES;
    let taken = || web.received_count() + firebase.message_count() + apple.taken_count();
    while taken() < expected {
        anyhow::ensure!(
            started.elapsed() < DRAIN_LIMIT,
            "only {} of {expected} pushes were taken in {DRAIN_LIMIT:?} (refused: {:?} {:?} {:?})",
            taken(),
            web.refused(),
            firebase.refused(),
            apple.refused()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let done = Instant::now();
    let seconds = (done - started).as_secs_f64();
    let server_cores = (server.cpu_seconds()? - server_cpu) / seconds;
    let bench_cores = (process_cpu_seconds("self")? - own_cpu) / seconds;
    let peak_rss_mb = server.peak_rss_mb()?;
    server.stop().await?;
    Ok(PushReport {
        without_devices,
        with_devices,
        pushes: taken(),
        seconds_to_last_push: seconds,
        drain_seconds: (done - booked).as_secs_f64(),
        peak_rss_mb,
        server_cores,
        bench_cores,
    })
}
