//! `spawn_app()`: the real server on a loopback port with a fresh database, plus typed request
//! helpers.
//!
//! The database is a fresh SQLite file, or with `PARKWAY_TEST_DB=postgres` a fresh database on
//! a throwaway PostgreSQL server that this test binary starts once (Debian's package, initdb +
//! pg_ctl in a temporary directory) and that goes away when the binary exits.

use chrono::{DateTime, Duration, DurationRound, Utc};
use parkway_backend::store::db::query;
use parkway_backend::{Clock, Config, Server};
use parkway_core::ErrorCode;
use parkway_testkit::pgtemp::TempPostgres;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

static NEXT_USER: AtomicUsize = AtomicUsize::new(0);

/// The PostgreSQL server of this test binary, started on first use.
static POSTGRES: OnceLock<TempPostgres> = OnceLock::new();

/// True when the suite runs against PostgreSQL (`PARKWAY_TEST_DB=postgres`).
pub fn on_postgres() -> bool {
    matches!(std::env::var("PARKWAY_TEST_DB").as_deref(), Ok("postgres" | "postgresql" | "pg"))
}

/// The shared throwaway PostgreSQL server. Durability is off: it is thrown away anyway.
pub fn postgres() -> &'static TempPostgres {
    POSTGRES.get_or_init(|| {
        let settings = [
            ("fsync", "off"),
            ("synchronous_commit", "off"),
            ("full_page_writes", "off"),
            ("max_connections", "400"),
            ("shared_buffers", "64MB"),
        ];
        TempPostgres::start(None, &settings).expect("a throwaway PostgreSQL server starts")
    })
}

/// A fresh, empty PostgreSQL database on the shared server.
pub async fn fresh_postgres_database() -> String {
    let name = format!("test_{}", uuid::Uuid::new_v4().simple());
    postgres().create_database(&name).await.expect("database created")
}

/// A fresh database URL for the engine under test; a SQLite file lives in `dir`.
pub async fn fresh_database(dir: &std::path::Path) -> String {
    if on_postgres() {
        fresh_postgres_database().await
    } else {
        format!("sqlite://{}?mode=rwc", dir.join("parkway.db").display())
    }
}

/// A running server and a client for it.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub server: Option<Server>,
    pub clock: Clock,
    /// What the server started with (another instance starts with the same).
    pub config: Config,
    /// Kept so the database file lives as long as the app.
    pub _dir: Option<tempfile::TempDir>,
}

/// A signed-in user.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub id: String,
    pub email: String,
}

/// An answer: status, body as JSON (or Null), and headers.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

/// The `error` code of an error body, read through the contract's enum (so a code the server
/// does not document reads as `Unknown`, and so does a body without one).
pub fn code_of(body: &Value) -> ErrorCode {
    serde_json::from_value(body["error"].clone()).unwrap_or(ErrorCode::Unknown)
}

impl Answer {
    /// The `error` code of an error body ([`code_of`]).
    pub fn code(&self) -> ErrorCode {
        code_of(&self.body)
    }

    /// Field `k` as a string.
    pub fn str(&self, k: &str) -> String {
        self.body[k].as_str().unwrap_or_default().to_owned()
    }

    /// The body as the contract's type for it (from `parkway_core::api`), so that a renamed or
    /// retyped field breaks the build of the checks, not a run.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> T {
        serde_json::from_value(self.body.clone())
            .unwrap_or_else(|e| panic!("not a {}: {e}; {:?}", std::any::type_name::<T>(), self.body))
    }

    /// The body as a booking.
    pub fn booking(&self) -> parkway_core::api::Booking {
        self.json()
    }

    /// The body as a page of bookings.
    pub fn bookings(&self) -> Vec<parkway_core::api::Booking> {
        self.json::<parkway_core::api::Items<parkway_core::api::Booking>>().items
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let db_url = fresh_database(dir.path()).await;
    let mut config = Config::for_database(&db_url);
    // Photos go in the test's folder, which is removed with it.
    config.media_dir = dir.path().join("media");
    configure(&mut config);
    start(config, Clock::system(), Some(dir)).await
}

/// A server on a fresh PostgreSQL database, whatever the suite runs on (for tests of several
/// instances).
pub async fn spawn_postgres_app_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = Config::for_database(fresh_postgres_database().await);
    config.media_dir = dir.path().join("media");
    configure(&mut config);
    start(config, Clock::system(), Some(dir)).await
}

async fn start(config: Config, clock: Clock, dir: Option<tempfile::TempDir>) -> TestApp {
    let server = Server::start_with_clock(config.clone(), clock.clone()).await.expect("server starts");
    TestApp {
        base: format!("http://{}", server.addr()),
        client: reqwest::Client::new(),
        server: Some(server),
        clock,
        config,
        _dir: dir,
    }
}

/// How long a test waits for something that happens in the background (a job tick, a webhook,
/// a listener coming back). A loaded machine can be slow; what never happens still fails.
pub const PATIENCE: std::time::Duration = std::time::Duration::from_secs(60);

/// True while `started` is within [`PATIENCE`].
pub fn patient(started: std::time::Instant) -> bool {
    started.elapsed() < PATIENCE
}

/// A helper server of the tests (localstripe, moto) on a free loopback port, once it answers
/// HTTP, and its base URL. The port is free when chosen but not held until the process binds
/// it: another test starting a server at that moment may take it first, and the process then
/// exits at once. It is started again on a fresh port then (five tries). Otherwise the wait is
/// on the process itself, bounded only against one that hangs: a loaded machine may take many
/// seconds to start a Python server.
pub async fn serve_on_free_port(
    what: &str,
    binary: &str,
    args: impl Fn(u16) -> Vec<String>,
) -> (std::process::Child, String) {
    let client = reqwest::Client::new();
    let mut exits = Vec::new();
    while exits.len() < 5 {
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
        let mut child = std::process::Command::new(binary)
            .args(args(port))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {what} at {binary} ({e}); run scripts/setup.sh, which installs it into .venv")
            });
        let base = format!("http://127.0.0.1:{port}");
        let started = std::time::Instant::now();
        loop {
            if client.get(&base).send().await.is_ok() {
                return (child, base);
            }
            if let Ok(Some(status)) = child.try_wait() {
                exits.push(format!("port {port}: {status}"));
                break;
            }
            if started.elapsed() > std::time::Duration::from_secs(180) {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{what} neither answered nor exited within three minutes");
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
    panic!("{what} exited before it was ready, five times: {exits:?}");
}

/// How many advisory locks in this test's database are being waited for. `pg_locks` spans the
/// whole server, and other tests run beside this one in databases of their own.
pub async fn advisory_lock_waiters(store: &parkway_backend::store::Store) -> i64 {
    store
        .reader()
        .scalar(query(
            "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted \
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        ))
        .await
        .expect("pg_locks read")
}

/// A whole hour at least a day ahead, plus `hours`: a slot start that every rule accepts.
pub fn future(hours: i64) -> DateTime<Utc> {
    (Utc::now() + Duration::days(2)).duration_trunc(Duration::hours(1)).expect("trunc") + Duration::hours(hours)
}

/// The first Tuesday of next January: a winter weekday (Paris is UTC+1) more than a month
/// and less than two years ahead, whatever day the tests run.
pub fn january_tuesday() -> chrono::NaiveDate {
    use chrono::Datelike;
    let year = Utc::now().year() + 1;
    let first = chrono::NaiveDate::from_ymd_opt(year, 1, 1).expect("new year");
    let to_tuesday = (7 + 1 - i64::from(first.weekday().num_days_from_monday())) % 7;
    first + Duration::days(to_tuesday)
}

pub fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl TestApp {
    pub fn server(&self) -> &Server {
        self.server.as_ref().expect("server running")
    }

    /// Another server instance on the same database, with the same settings (so the same
    /// signing secret) and the same clock, on its own port.
    pub async fn another_instance(&self) -> TestApp {
        start(self.config.clone(), self.clock.clone(), None).await
    }

    /// Runs one SQL statement (with `?` placeholders) straight on the database, for states the
    /// API cannot reach.
    pub async fn execute(&self, sql: &'static str, binds: &[&str]) -> Result<u64, sqlx::Error> {
        let mut tx = self.server().state().store.begin_write().await?;
        let mut q = query(sql);
        for b in binds {
            q = q.bind(*b);
        }
        let changed = tx.execute(q).await?;
        tx.commit().await?;
        Ok(changed)
    }

    /// The first column of every row of a query run straight on the database.
    pub async fn numbers(&self, sql: &'static str) -> Vec<i64> {
        self.server().state().store.reader().scalars(query(sql)).await.expect("query")
    }

    pub async fn request(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Answer {
        let mut req = self.client.request(method, format!("{}{}", self.base, path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request sent");
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer { status, body, headers }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        self.request(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Answer {
        self.request(Method::POST, path, token, Some(body)).await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> Answer {
        self.request(Method::PUT, path, token, Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Answer {
        self.request(Method::DELETE, path, token, None).await
    }

    /// Registers a new user with `roles` and a unique email.
    pub async fn register(&self, roles: &[&str]) -> Session {
        let n = NEXT_USER.fetch_add(1, Ordering::Relaxed);
        let email = format!("user{n}-{}@example.com", uuid::Uuid::new_v4().simple());
        let a = self
            .post(
                "/api/auth/register",
                None,
                json!({"email": email, "password": "correct horse", "name": format!("User {n}"), "roles": roles}),
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
        Session { token: a.str("token"), id: a.body["user"]["id"].as_str().expect("id").to_owned(), email }
    }

    pub async fn driver(&self) -> Session {
        self.register(&["driver"]).await
    }

    pub async fn owner(&self) -> Session {
        self.register(&["owner"]).await
    }

    /// Creates a driveway (defaults: San Francisco, 300 ¢/h, always open) with `extra` fields
    /// overriding the defaults; returns its JSON.
    pub async fn driveway(&self, owner: &Session, extra: Value) -> Value {
        let mut body = json!({
            "title": "Driveway on Oak St", "address": "1 Oak St", "lat": 37.7749, "lng": -122.4194,
            "pricePerHourCents": 300, "accessInstructions": "Gate code 1234"
        });
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                b.insert(k.clone(), v.clone());
            }
        }
        let a = self.post("/api/driveways", Some(&owner.token), body).await;
        assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
        a.body
    }

    /// Books `driveway` from `start` for `hours` hours.
    pub async fn book(&self, driver: &Session, driveway: &str, start: DateTime<Utc>, minutes: i64) -> Answer {
        self.post(
            "/api/bookings",
            Some(&driver.token),
            json!({"driveway": driveway, "startTime": rfc(start), "endTime": rfc(start + Duration::minutes(minutes))}),
        )
        .await
    }
}

impl TestApp {
    /// A new access token for `user`, as after signing in again (test tokens last a day, so a
    /// test that moves the clock further needs one).
    pub async fn sign_in_again(&self, user: &Session) -> String {
        let a = self.post("/api/auth/login", None, json!({"email": user.email, "password": "correct horse"})).await;
        assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
        a.str("token")
    }

    /// Pays for a booking through the simulated provider with the test card that succeeds.
    pub async fn pay(&self, driver: &Session, booking: &str) -> Answer {
        let intent =
            self.post("/api/payments/create-payment-intent", Some(&driver.token), json!({"bookingId": booking})).await;
        assert_eq!(intent.status, StatusCode::OK, "{:?}", intent.body);
        let id = intent.str("paymentIntentId");
        self.post(
            &format!("/api/payments/simulated/{id}/confirm"),
            Some(&driver.token),
            json!({"card": "4242424242424242"}),
        )
        .await
    }
}
