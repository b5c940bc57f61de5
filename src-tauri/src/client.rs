//! One typed client for Parkway's HTTP API, shared by the commands, the sync worker and the
//! notification listener: a configurable server URL and the signed-in user's session.
//!
//! The session is a short-lived access token and a single-use refresh token. The client renews
//! the access token when the server answers 401, once for every request that failed together
//! (spending a refresh token twice would look like a stolen copy and end the session), and
//! reports each new pair on [`BackendClient::watch_tokens`] so the app can keep it.

use crate::error::{Error, Result};
use parkway_core::ErrorCode;
use parkway_core::api::{Booking, Driveway, Items, NewBooking, Notification, SearchItem};
use parkway_core::message::Message;
use parkway_core::slot::TimeSlot;
use reqwest::Method;
use serde_json::Value;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::watch;
use uuid::Uuid;

/// The signed-in session: an access token and the refresh token that renews it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tokens {
    /// Sent with every request; lasts minutes.
    pub access: Option<String>,
    /// Trades for a new pair once; lasts weeks.
    pub refresh: Option<String>,
}

/// The user a token names (its `sub`), read without checking the signature: the server checks
/// it on every request; the app only needs to know whose outbox to send.
pub fn user_of(token: &str) -> Option<Uuid> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: Value = serde_json::from_slice(&json).ok()?;
    Uuid::parse_str(claims["sub"].as_str()?).ok()
}

/// Refuses a server the app must not send a session to: in release builds, plain `http://` is
/// accepted only for this machine's loopback (the embedded server, a developer's own), since
/// anyone on the network path could read the tokens; debug builds accept any for testing.
pub fn check_server_url(url: &str, release: bool) -> Result<()> {
    let parsed = reqwest::Url::parse(url).map_err(|_| Error::Other(format!("{url:?} is not a server URL")))?;
    let loopback = match parsed.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if loopback || !release => Ok(()),
        _ => Err(Error::Other(format!(
            "the server {url} must be reached over https (plain http is only for this computer's own server)"
        ))),
    }
}

/// The client. Cheap to clone; clones share the server URL and the session.
#[derive(Debug, Clone)]
pub struct BackendClient {
    http: reqwest::Client,
    base: Arc<RwLock<String>>,
    tokens: Arc<watch::Sender<Tokens>>,
    /// Held while a refresh is under way, so concurrent 401s share one.
    refreshing: Arc<tokio::sync::Mutex<()>>,
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
            tokens: Arc::new(watch::Sender::new(Tokens::default())),
            refreshing: Arc::new(tokio::sync::Mutex::new(())),
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

    /// The access token, if signed in.
    pub fn token(&self) -> Option<String> {
        self.tokens.borrow().access.clone()
    }

    /// The signed-in user.
    pub fn user(&self) -> Option<Uuid> {
        self.token().as_deref().and_then(user_of)
    }

    /// Signs in with an access token alone (`Some`), or out (`None`).
    pub fn set_token(&self, token: Option<String>) {
        let signed_out = token.is_none();
        self.tokens.send_modify(|t| {
            t.access = token;
            if signed_out {
                t.refresh = None;
            }
        });
    }

    /// Signs in with a whole session.
    pub fn set_tokens(&self, tokens: Tokens) {
        self.tokens.send_replace(tokens);
    }

    /// The session as it changes (sign-in, refresh, sign-out), for keeping it across restarts.
    pub fn watch_tokens(&self) -> watch::Receiver<Tokens> {
        self.tokens.subscribe()
    }

    /// The current session.
    pub fn tokens(&self) -> Tokens {
        self.tokens.borrow().clone()
    }

    /// Trades the refresh token for a new pair. `stale` is the access token that was refused:
    /// if another request already renewed it meanwhile, that renewal is used. False when the
    /// session has ended (the app is then signed out).
    pub async fn refresh(&self, stale: Option<&str>) -> bool {
        let _one_at_a_time = self.refreshing.lock().await;
        let current = self.tokens();
        if current.access.as_deref() != stale && current.access.is_some() {
            return true;
        }
        let Some(refresh) = current.refresh else { return false };
        let body = serde_json::json!({ "refreshToken": refresh });
        let res = self.http.post(format!("{}/api/auth/refresh", self.base())).json(&body).send().await;
        let Ok(res) = res else { return false };
        if res.status().as_u16() == 401 {
            // The session ended (signed out elsewhere, password changed, or a stolen copy).
            tracing::info!("the session has ended; signing out");
            self.set_token(None);
            return false;
        }
        let Ok(pair) = res.json::<parkway_core::api::TokenPair>().await else { return false };
        // The app sends its refresh token in the body, so the next one comes back in the body.
        let Some(next) = pair.refresh_token else { return false };
        self.set_tokens(Tokens { access: Some(pair.token), refresh: Some(next) });
        true
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
        let token = self.token();
        let mut res = self.send(method.clone(), path, body, idempotency_key, token.as_deref()).await?;
        // An expired access token is renewed once; the sign-in routes' 401 means a wrong password.
        if res.status().as_u16() == 401
            && token.is_some()
            && !path.starts_with("/api/auth/")
            && self.refresh(token.as_deref()).await
        {
            res = self.send(method, path, body, idempotency_key, self.token().as_deref()).await?;
        }
        answer(res).await
    }

    /// `POST /api/driveways/:id/photos` with the file's bytes (a multipart form, as the server
    /// takes it), renewing an expired access token once.
    pub async fn upload_photo(&self, driveway: Uuid, bytes: Vec<u8>) -> Result<Value> {
        let path = format!("/api/driveways/{driveway}/photos");
        let send = |token: Option<String>| {
            let part = reqwest::multipart::Part::bytes(bytes.clone()).file_name("photo");
            let mut req = self
                .http
                .post(format!("{}{path}", self.base()))
                .multipart(reqwest::multipart::Form::new().part("photo", part));
            if let Some(token) = token {
                req = req.bearer_auth(token);
            }
            async move { req.send().await.map_err(|e| Error::Offline(e.to_string())) }
        };
        let token = self.token();
        let mut res = send(token.clone()).await?;
        if res.status().as_u16() == 401 && token.is_some() && self.refresh(token.as_deref()).await {
            res = send(self.token()).await?;
        }
        answer(res).await.map(|(_, value)| value)
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        idempotency_key: Option<&str>,
        token: Option<&str>,
    ) -> Result<reqwest::Response> {
        let mut req = self.http.request(method, format!("{}{path}", self.base()));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(key) = idempotency_key {
            req = req.header("Idempotency-Key", key);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        req.send().await.map_err(|e| Error::Offline(e.to_string()))
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

    /// `POST /api/bookings/:id/messages` with an idempotency key: a message sent again after a
    /// lost answer lands once.
    pub async fn send_message(&self, booking: Uuid, text: &str, key: Uuid) -> Result<Message> {
        let body = serde_json::json!({ "text": text });
        self.typed(Method::POST, &format!("/api/bookings/{booking}/messages"), Some(&body), Some(&key.to_string()))
            .await
    }

    /// A photo's file (`GET /media/<key>`, public like any `<img>`), at most the size of an
    /// upload: a misbehaving server cannot fill the device.
    pub async fn media(&self, key: &str) -> Result<Vec<u8>> {
        let mut res = self
            .http
            .get(format!("{}/media/{key}", self.base()))
            .send()
            .await
            .map_err(|e| Error::Offline(e.to_string()))?;
        if !res.status().is_success() {
            return answer(res).await.map(|_| Vec::new());
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = res.chunk().await.map_err(|e| Error::Offline(e.to_string()))? {
            if bytes.len() + chunk.len() > parkway_core::photo::MAX_UPLOAD_BYTES {
                return Err(Error::Other("a photo from the server was larger than any photo may be".into()));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
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
            "/api/driveways?lat={lat}&lng={lng}&radiusM={}&start={}&end={}&limit={limit}",
            parkway_core::outbox::ALTERNATIVES_WITHIN_M,
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

/// An answer's status and JSON (`Null` when empty); an error answer becomes [`Error::Api`] with
/// the server's code and message.
async fn answer(res: reqwest::Response) -> Result<(u16, Value)> {
    let status = res.status().as_u16();
    let text = res.text().await.map_err(|e| Error::Offline(e.to_string()))?;
    // A page or a file (a receipt, a CSV) travels to the UI as one JSON string.
    let value: Value =
        if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
    if (200..300).contains(&status) {
        return Ok((status, value));
    }
    Err(Error::Api {
        status,
        code: serde_json::from_value(value["error"].clone()).unwrap_or(ErrorCode::Internal),
        message: value["message"].as_str().unwrap_or("the server refused the request").to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_builds_send_sessions_over_https_or_to_loopback_only() {
        assert!(check_server_url("https://parkway.example", true).is_ok());
        assert!(check_server_url("http://127.0.0.1:8080", true).is_ok());
        assert!(check_server_url("http://localhost:8080", true).is_ok());
        assert!(check_server_url("http://[::1]:8080", true).is_ok());
        assert!(check_server_url("http://parkway.example", true).is_err());
        assert!(check_server_url("http://192.168.1.5:8080", true).is_err());
        assert!(check_server_url("http://parkway.example", false).is_ok(), "debug builds, for testing");
        assert!(check_server_url("ftp://parkway.example", false).is_err());
    }

    #[test]
    fn the_user_is_read_from_the_token() {
        use base64::Engine;
        let id = Uuid::new_v4();
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{{\"sub\":\"{id}\"}}"));
        assert_eq!(user_of(&format!("h.{payload}.s")), Some(id));
        assert_eq!(user_of("garbage"), None);
    }
}
