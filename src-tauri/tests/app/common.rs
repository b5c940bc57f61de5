//! The setup the app's integration tests and the outbox sync benchmark share: the real server
//! on a throwaway database, users and driveways made through its HTTP API, and the app's own
//! store and client beside it. The benchmark includes this file by path, so each crate uses only
//! part of it; what one of them leaves unused is marked `#[allow(dead_code)]`.

use chrono::{DateTime, Duration, DurationRound, Utc};
use parkway_app_lib::client::BackendClient;
use parkway_app_lib::local::LocalStore;
use parkway_backend::{Config, Server};
use parkway_core::api::NewBooking;
use serde_json::{Value, json};
use std::net::SocketAddr;
use tempfile::TempDir;

/// The real server on a fresh SQLite file in a temporary folder, so every test (and bench run)
/// starts from an empty database and leaves nothing behind.
pub struct Backend {
    /// Holds the server's database and the app's; deleted when the test ends.
    pub dir: TempDir,
    /// The server's database URL, to start a server again on the same data.
    #[allow(dead_code)]
    pub db: String,
    /// Public so a test can shut it down and start another in its place.
    pub server: Server,
    /// Where the tests act as other users: register, list driveways, book directly.
    pub api: Api,
    /// The server's clock: a test moves it on instead of sleeping (tokens expire on it).
    pub clock: parkway_backend::Clock,
}

impl Backend {
    /// The server with the test configuration as it is.
    pub async fn start() -> Backend {
        Backend::start_with(|_| {}).await
    }

    /// The server with some setting changed first (a longer token lifetime, say).
    pub async fn start_with(configure: impl FnOnce(&mut Config)) -> Backend {
        let dir = tempfile::tempdir().expect("dir");
        let db = format!("sqlite://{}?mode=rwc", dir.path().join("server.db").display());
        let mut config = Config::for_database(&db);
        config.media_dir = dir.path().join("media");
        // The outbox tests queue many unpaid bookings of one driver.
        config.max_unpaid_holds = 0;
        configure(&mut config);
        let clock = parkway_backend::Clock::system();
        let server = Server::start_with_clock(config, clock.clone()).await.expect("server");
        let api = Api::new(server.addr());
        Backend { dir, db, server, api, clock }
    }

    /// The app's own database, in the same temporary folder so it goes with the server's.
    /// Registers a driver through the API and returns the whole session (access and refresh
    /// token), as the app receives it.
    pub async fn sign_up(&self, email: &str) -> parkway_app_lib::client::Tokens {
        let body = json!({"email": email, "password": "correct horse", "name": "Sam", "roles": ["driver"]});
        let answer = self.api.post("/api/auth/register", None, body).await;
        parkway_app_lib::client::Tokens {
            access: answer["token"].as_str().map(str::to_owned),
            refresh: answer["refreshToken"].as_str().map(str::to_owned),
        }
    }

    pub async fn app_store(&self) -> LocalStore {
        LocalStore::open(&self.dir.path().join("app.db")).await.expect("local")
    }

    /// The app's client talking to the server directly (no proxy), signed in as `token`.
    pub fn app_client(&self, token: &str) -> BackendClient {
        let client = BackendClient::new(&self.api.base).expect("client");
        client.set_token(Some(token.to_owned()));
        client
    }
}

/// The server's HTTP API as any other client (a second device, the owner) uses it; `Clone`, so a
/// spawned task can make requests too.
#[derive(Clone)]
pub struct Api {
    /// `http://host:port`, which the app's own client needs too.
    pub base: String,
    http: reqwest::Client,
}

impl Api {
    /// The API of the server at `addr`; again after a restart, which moves it to a new port.
    pub fn new(addr: SocketAddr) -> Api {
        Api { base: format!("http://{addr}"), http: reqwest::Client::new() }
    }

    /// POSTs `body` as JSON and returns the answer's JSON whatever its status, so the caller's
    /// assertions see an error body too.
    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Value {
        let mut req = self.http.post(format!("{}{path}", self.base)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.expect("sent").json().await.expect("json")
    }

    /// GETs `path` as the user signed in with `token`.
    #[allow(dead_code)]
    pub async fn get(&self, path: &str, token: &str) -> Value {
        let req = self.http.get(format!("{}{path}", self.base)).bearer_auth(token);
        req.send().await.expect("sent").json().await.expect("json")
    }

    /// Signs in as a user registered earlier (another device of theirs, say) and returns the
    /// new session's token.
    #[allow(dead_code)]
    pub async fn log_in(&self, email: &str) -> String {
        let body = json!({"email": email, "password": "correct horse"});
        let session = self.post("/api/auth/login", None, body).await;
        session["token"].as_str().expect("token").to_owned()
    }

    /// Registers a user with one role and returns their session token; the tests tell users
    /// apart by email alone.
    pub async fn register(&self, email: &str, role: &str) -> String {
        let body = json!({"email": email, "password": "correct horse", "name": "N", "roles": [role]});
        let user = self.post("/api/auth/register", None, body).await;
        user["token"].as_str().expect("token").to_owned()
    }

    /// Lists a driveway at latitude `lat` (tests that search nearby space them apart) and
    /// returns its id.
    pub async fn create_driveway(&self, owner: &str, title: &str, lat: f64) -> String {
        let body = json!({"title": title, "address": "A", "lat": lat, "lng": -122.42, "pricePerHourCents": 300});
        let driveway = self.post("/api/driveways", Some(owner), body).await;
        driveway["id"].as_str().expect("id").to_owned()
    }

    /// `count` driveways titled D0, D1, … and `spacing` degrees of latitude apart, for the tests
    /// that book many slots at once or look for free driveways nearby.
    #[allow(dead_code)]
    pub async fn create_driveways(&self, owner: &str, count: usize, spacing: f64) -> Vec<String> {
        let mut ids = Vec::with_capacity(count);
        for i in 0..count {
            ids.push(self.create_driveway(owner, &format!("D{i}"), 37.77 + i as f64 * spacing).await);
        }
        ids
    }

    /// Books directly, as another device would: to take a slot from under the outbox, or to
    /// make something happen while the app listens.
    pub async fn book(&self, token: &str, driveway: &str, start: DateTime<Utc>, end: DateTime<Utc>) -> Value {
        let body = json!({"driveway": driveway, "startTime": start, "endTime": end});
        self.post("/api/bookings", Some(token), body).await
    }
}

/// The start of an hour two days ahead: far enough in the future to be bookable, and on the hour
/// so that slots counted from it line up.
pub fn first_slot() -> DateTime<Utc> {
    (Utc::now() + Duration::days(2)).duration_trunc(Duration::hours(1)).expect("trunc")
}

/// A booking request as the app queues it offline, with none of the optional extras.
#[allow(dead_code)]
pub fn request(driveway: &str, start: DateTime<Utc>, end: DateTime<Utc>) -> NewBooking {
    NewBooking {
        driveway: driveway.parse().expect("uuid"),
        start_time: start,
        end_time: end,
        special_requests: None,
        driver_location: None,
        expected_total_cents: None,
        stripe_payment_id: None,
        vehicle_id: None,
    }
}

/// Whether `secret` is anywhere in the bytes of the SQLite database at `path` or its write-ahead
/// log: a token erased from the app's file must not linger in a freed page or an old log frame.
#[allow(dead_code)]
pub fn file_holds(path: &std::path::Path, secret: &str) -> bool {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    [path.to_path_buf(), wal.into()]
        .iter()
        .filter_map(|f| std::fs::read(f).ok())
        .any(|bytes| bytes.windows(secret.len()).any(|w| w == secret.as_bytes()))
}
