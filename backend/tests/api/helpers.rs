//! `spawn_app()`: the real server on a loopback port with a fresh SQLite file, plus typed
//! request helpers.

use chrono::{DateTime, Duration, DurationRound, Utc};
use parkway_backend::{Clock, Config, Server};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};

static NEXT_USER: AtomicUsize = AtomicUsize::new(0);

/// A running server and a client for it.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub server: Option<Server>,
    pub clock: Clock,
    pub db_url: String,
    /// Kept so the database file lives as long as the app.
    pub _dir: tempfile::TempDir,
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

impl Answer {
    /// The `error` code of an error body.
    pub fn code(&self) -> &str {
        self.body["error"].as_str().unwrap_or("")
    }

    /// Field `k` as a string.
    pub fn str(&self, k: &str) -> String {
        self.body[k].as_str().unwrap_or_default().to_owned()
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let db_url = format!("sqlite://{}?mode=rwc", dir.path().join("parkway.db").display());
    let mut config = Config::for_database(&db_url);
    configure(&mut config);
    let clock = Clock::system();
    let server = Server::start_with_clock(config, clock.clone()).await.expect("server starts");
    TestApp {
        base: format!("http://{}", server.addr()),
        client: reqwest::Client::new(),
        server: Some(server),
        clock,
        db_url,
        _dir: dir,
    }
}

/// A whole hour at least a day ahead, plus `hours`: a slot start that every rule accepts.
pub fn future(hours: i64) -> DateTime<Utc> {
    (Utc::now() + Duration::days(2)).duration_trunc(Duration::hours(1)).expect("trunc") + Duration::hours(hours)
}

pub fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl TestApp {
    pub fn server(&self) -> &Server {
        self.server.as_ref().expect("server running")
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
