//! The clients price slots and check opening hours with `parkway-core` for instant feedback;
//! the server decides with the same code. These tests hold the two to the same answers over
//! many generated cases, through the real HTTP API.

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use parkway_backend::{Config, Server};
use parkway_core::ErrorCode;
use parkway_core::availability::WeeklySchedule;
use parkway_core::money::Cents;
use parkway_core::pricing::Rate;
use parkway_core::slot::TimeSlot;
use serde_json::{Value, json};

/// A small deterministic generator, so failures are reproducible.
struct Gen(u64);

impl Gen {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

struct Harness {
    base: String,
    client: reqwest::Client,
    _server: Server,
    _dir: tempfile::TempDir,
}

async fn harness() -> Harness {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("p.db").display());
    let mut config = Config::for_database(url);
    config.media_dir = dir.path().join("media");
    // One driver books many slots here, none of them paid.
    config.max_unpaid_holds = 0;
    let server = Server::start(config).await.expect("server");
    Harness { base: format!("http://{}", server.addr()), client: reqwest::Client::new(), _server: server, _dir: dir }
}

impl Harness {
    async fn send(&self, req: reqwest::RequestBuilder) -> (u16, Value) {
        let res = req.send().await.expect("sent");
        (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
    }

    async fn token(&self, roles: Value) -> String {
        let email = format!("{}@example.com", uuid_like());
        let body = json!({"email": email, "password": "correct horse", "name": "T", "roles": roles});
        let (_, v) = self.send(self.client.post(format!("{}/api/auth/register", self.base)).json(&body)).await;
        v["token"].as_str().expect("token").to_owned()
    }
}

fn uuid_like() -> String {
    format!("{:x}", Utc::now().timestamp_nanos_opt().unwrap_or_default())
}

fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[tokio::test]
async fn server_quotes_equal_core_prices() {
    let h = harness().await;
    let owner = h.token(json!(["owner"])).await;
    let mut g = Gen(11);
    // Next March: the server accepts times up to two years ahead.
    let base = Utc.with_ymd_and_hms(Utc::now().year() + 1, 3, 1, 0, 0, 0).single().expect("t");
    for _ in 0..15 {
        let per_hour = 1 + g.next(5000) as i64;
        let per_day = (g.next(2) == 0).then(|| 1 + g.next(60_000) as i64);
        let body = json!({"title": "T", "address": "A", "lat": 10.0, "lng": 10.0, "pricePerHourCents": per_hour, "pricePerDayCents": per_day});
        let (status, d) =
            h.send(h.client.post(format!("{}/api/driveways", h.base)).bearer_auth(&owner).json(&body)).await;
        assert_eq!(status, 201);
        let rate = Rate { per_hour: Cents(per_hour), per_day: per_day.map(Cents) };
        for _ in 0..10 {
            let start = base + Duration::minutes(g.next(100_000) as i64);
            let slot =
                TimeSlot::new(start, start + Duration::seconds(1 + g.next(30 * 24 * 3600) as i64)).expect("slot");
            let url = format!(
                "{}/api/driveways/{}/quote?start={}&end={}",
                h.base,
                d["id"].as_str().expect("id"),
                rfc(slot.start()),
                rfc(slot.end())
            );
            let (status, q) = h.send(h.client.get(url)).await;
            assert_eq!(status, 200);
            assert_eq!(
                q["totalCents"].as_i64(),
                Some(rate.price(&slot).0),
                "{per_hour}/h {per_day:?}/day for {slot:?}"
            );
        }
    }
}

#[tokio::test]
async fn server_opening_hours_decisions_equal_core() {
    let h = harness().await;
    let owner = h.token(json!(["owner"])).await;
    let driver = h.token(json!(["driver"])).await;
    let mut g = Gen(5);
    for zone in ["Europe/Paris", "America/New_York", "Asia/Kolkata", "UTC"] {
        // A few random windows per zone.
        let mut windows = Vec::new();
        for day in 0..7 {
            if g.next(3) > 0 {
                let open = g.next(20) * 60;
                let close = (open + 60 + g.next(8) * 60).min(24 * 60);
                windows.push(json!({"day": day, "open": format!("{:02}:{:02}", open / 60, open % 60), "close": format!("{:02}:{:02}", close / 60, close % 60)}));
            }
        }
        let schedule: WeeklySchedule = serde_json::from_value(Value::Array(windows.clone())).expect("schedule");
        let tz: chrono_tz::Tz = zone.parse().expect("tz");
        let body = json!({"title": "T", "address": "A", "lat": 10.0, "lng": 10.0, "pricePerHourCents": 100, "timezone": zone, "availability": windows});
        let (_, d) = h.send(h.client.post(format!("{}/api/driveways", h.base)).bearer_auth(&owner).json(&body)).await;
        let id = d["id"].as_str().expect("id").to_owned();
        // Cover the days around the spring DST change as well as ordinary ones.
        let base = Utc.with_ymd_and_hms(Utc::now().year() + 1, 3, 27, 0, 0, 0).single().expect("t");
        for i in 0..25 {
            let start = base + Duration::minutes(30 * g.next(14 * 48) as i64);
            let slot = TimeSlot::new(start, start + Duration::minutes(15 * (1 + g.next(16) as i64))).expect("slot");
            let req = h
                .client
                .post(format!("{}/api/bookings", h.base))
                .bearer_auth(&driver)
                .json(&json!({"driveway": id, "startTime": rfc(slot.start()), "endTime": rfc(slot.end())}));
            let (status, b) = h.send(req).await;
            let open = schedule.covers(&slot, tz);
            if open {
                assert_eq!(status, 201, "{zone} case {i}: core says open for {slot:?}, server said {b}");
                // Free it again so later cases are about hours, not conflicts.
                let url = format!("{}/api/bookings/{}/cancel", h.base, b["id"].as_str().expect("id"));
                h.send(h.client.put(url).bearer_auth(&driver)).await;
            } else {
                let code = serde_json::from_value::<ErrorCode>(b["error"].clone()).ok();
                assert_eq!((status, code), (409, Some(ErrorCode::Unavailable)), "{zone} case {i}: {slot:?}");
            }
        }
    }
}
