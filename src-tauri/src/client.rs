//! One typed client for Parkway's HTTP API, shared by the commands, the sync worker and the
//! notification listener: a configurable server URL and the signed-in user's token.

use crate::error::{Error, Result};
use parkway_core::api::{Booking, Driveway, Items, NewBooking, Notification, SearchItem};
use parkway_core::slot::TimeSlot;
use reqwest::Method;
use serde_json::Value;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use uuid::Uuid;

/// The client. Cheap to clone; clones share the server URL and the token.
#[derive(Debug, Clone)]
pub struct BackendClient {
    http: reqwest::Client,
    base: Arc<RwLock<String>>,
    token: Arc<RwLock<Option<String>>>,
}

impl BackendClient {
    /// A client for the server at `base` (`http://host:port`), with short timeouts so that a
    /// dead network is noticed quickly and the booking goes to the outbox.
    pub fn new(base: &str) -> Result<BackendClient> {
        BackendClient::with_builder(base, reqwest::Client::builder())
    }

    /// A client built from `builder` plus the timeouts (tests use it to turn pooling off, so
    /// that every request opens its own connection).
    pub fn with_builder(base: &str, builder: reqwest::ClientBuilder) -> Result<BackendClient> {
        let http = builder
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| Error::Other(format!("HTTP client: {e}")))?;
        Ok(BackendClient {
            http,
            base: Arc::new(RwLock::new(base.trim_end_matches('/').to_owned())),
            token: Arc::new(RwLock::new(None)),
        })
    }

    /// The server URL.
    pub fn base(&self) -> String {
        self.base.read().map(|b| b.clone()).unwrap_or_default()
    }

    /// Points the client at another server.
    pub fn set_base(&self, base: &str) {
        if let Ok(mut b) = self.base.write() {
            *b = base.trim_end_matches('/').to_owned();
        }
    }

    /// The session token, if signed in.
    pub fn token(&self) -> Option<String> {
        self.token.read().ok().and_then(|t| t.clone())
    }

    /// Signs in (`Some`) or out (`None`).
    pub fn set_token(&self, token: Option<String>) {
        if let Ok(mut t) = self.token.write() {
            *t = token;
        }
    }

    /// Sends a request and returns the JSON answer (`Null` for an empty one). Transport
    /// failures are [`Error::Offline`]; error answers are [`Error::Api`] with the server's
    /// code and message.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        idempotency_key: Option<&str>,
    ) -> Result<Value> {
        self.request_with_status(method, path, body, idempotency_key).await.map(|(_, value)| value)
    }

    /// Like [`BackendClient::request`], with the success status (200, 201, 204…).
    pub async fn request_with_status(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        idempotency_key: Option<&str>,
    ) -> Result<(u16, Value)> {
        let mut req = self.http.request(method, format!("{}{path}", self.base()));
        if let Some(token) = self.token() {
            req = req.bearer_auth(token);
        }
        if let Some(key) = idempotency_key {
            req = req.header("Idempotency-Key", key);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let res = req.send().await.map_err(|e| Error::Offline(e.to_string()))?;
        let status = res.status().as_u16();
        let text = res.text().await.map_err(|e| Error::Offline(e.to_string()))?;
        let value: Value =
            if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::Null) };
        if (200..300).contains(&status) {
            return Ok((status, value));
        }
        Err(Error::Api {
            status,
            code: value["error"].as_str().unwrap_or("internal").to_owned(),
            message: value["message"].as_str().unwrap_or("the server refused the request").to_owned(),
        })
    }

    async fn typed<T: serde::de::DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        key: Option<&str>,
    ) -> Result<T> {
        let value = self.request(method, path, body, key).await?;
        serde_json::from_value(value).map_err(|e| Error::Other(format!("unexpected answer from the server: {e}")))
    }

    /// `POST /api/bookings` with an idempotency key.
    pub async fn create_booking(&self, booking: &NewBooking, key: Uuid) -> Result<Booking> {
        let body = serde_json::to_value(booking).map_err(|e| Error::Other(e.to_string()))?;
        self.typed(Method::POST, "/api/bookings", Some(&body), Some(&key.to_string())).await
    }

    /// The signed-in driver's bookings.
    pub async fn my_bookings(&self) -> Result<Vec<Booking>> {
        Ok(self.typed::<Items<Booking>>(Method::GET, "/api/bookings?limit=200", None, None).await?.items)
    }

    /// One driveway (with access instructions when the user may see them).
    pub async fn driveway(&self, id: Uuid) -> Result<Driveway> {
        self.typed(Method::GET, &format!("/api/driveways/{id}"), None, None).await
    }

    /// Driveways near a point that are free and open for `slot`.
    pub async fn free_near(&self, lat: f64, lng: f64, slot: &TimeSlot, limit: usize) -> Result<Vec<SearchItem>> {
        let fmt = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let path = format!(
            "/api/driveways?lat={lat}&lng={lng}&radiusM=3000&start={}&end={}&limit={limit}",
            fmt(slot.start()),
            fmt(slot.end())
        );
        Ok(self.typed::<Items<SearchItem>>(Method::GET, &path, None, None).await?.items)
    }

    /// Notifications after `after`, oldest first.
    pub async fn notifications_after(&self, after: i64) -> Result<Vec<Notification>> {
        const PAGE: usize = 500;
        let mut all = Vec::new();
        let mut cursor = after;
        // Page by page; a bounded loop keeps a misbehaving server from spinning the app.
        for _ in 0..20 {
            let page = self
                .typed::<Items<Notification>>(
                    Method::GET,
                    &format!("/api/notifications?after={cursor}&limit={PAGE}"),
                    None,
                    None,
                )
                .await?
                .items;
            let full = page.len() >= PAGE;
            cursor = page.iter().map(|n| n.id).max().unwrap_or(cursor);
            all.extend(page);
            if !full {
                break;
            }
        }
        Ok(all)
    }
}
