//! A **test double** of the Apple Push Notification service, for tests only. It is not Apple.
//! It speaks HTTP/2 only (a request in HTTP/1.1 is refused, as APNs refuses it) and checks what
//! APNs would before taking a notification: the provider token (an ES256 JWT whose signature
//! verifies with the team key's public half, with the key's id as `kid`, the team as `iss`, and
//! an `iat` under an hour old), the app's `apns-topic`, `apns-push-type: alert`, a priority of
//! 5 or 10, an expiration, a payload of at most 4 KB with an `aps.alert` title and body, and
//! a device token of hex digits.
//!
//! A device token marked gone answers `410` with `Unregistered`, as APNs does once the app is
//! removed.

use crate::taken::Taken;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Version};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

const PRIVATE_KEY: &str = include_str!("../keys/apns-test-private.p8");
const PUBLIC_KEY: &str = include_str!("../keys/apns-test-public.pem");
const KEY_ID: &str = "PKWYTEST01";
const TEAM_ID: &str = "PKWYTEAM01";
const TOPIC: &str = "app.parkway.desktop";

/// A notification the double took.
#[derive(Debug, Clone)]
pub struct Notification {
    /// The device token.
    pub token: String,
    /// The request's `apns-*` headers, by name.
    pub headers: Vec<(String, String)>,
    /// The payload.
    pub payload: Value,
}

impl Notification {
    /// The header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct World {
    gone: BTreeSet<String>,
    refused: Vec<String>,
}

#[derive(Clone)]
struct Shared {
    world: Arc<Mutex<World>>,
    taken: Arc<Taken<Notification>>,
}

impl Shared {
    fn world(&self) -> std::sync::MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The double, serving until dropped.
pub struct ApnsDouble {
    shared: Shared,
    origin: String,
    task: tokio::task::JoinHandle<()>,
}

impl ApnsDouble {
    /// Starts on a free loopback port (HTTP/2 without TLS: the client must speak it from the
    /// first byte).
    pub async fn start() -> ApnsDouble {
        let shared = Shared { world: Default::default(), taken: Arc::default() };
        let mut origin = String::new();
        let task = crate::serve_on_loopback(|o| {
            origin = o.to_owned();
            Router::new().route("/3/device/{token}", post(push)).with_state(shared.clone())
        })
        .await;
        ApnsDouble { shared, origin, task }
    }

    /// Where notifications are sent (in place of `https://api.push.apple.com`).
    pub fn api_base(&self) -> &str {
        &self.origin
    }

    /// The team's `.p8` key, its id, the team id and the app's topic, for the server.
    pub fn credentials(&self) -> (&'static str, &'static str, &'static str, &'static str) {
        (PRIVATE_KEY, KEY_ID, TEAM_ID, TOPIC)
    }

    /// From now on, notifications to `token` answer `410 Unregistered`.
    pub fn remove_app(&self, token: &str) {
        self.shared.world().gone.insert(token.to_owned());
    }

    /// How many notifications were taken.
    pub fn taken_count(&self) -> usize {
        self.shared.taken.len()
    }

    /// Every notification taken, in order.
    pub fn taken(&self) -> Vec<Notification> {
        self.shared.taken.all()
    }

    /// Why requests were refused.
    pub fn refused(&self) -> Vec<String> {
        self.shared.world().refused.clone()
    }

    /// Waits until at least `count` notifications were taken (the caller bounds the wait).
    pub async fn wait_for(&self, count: usize) -> Vec<Notification> {
        self.shared.taken.wait_for(count).await
    }
}

impl Drop for ApnsDouble {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn refuse(shared: &Shared, status: StatusCode, reason: &str, why: String) -> Response {
    shared.world().refused.push(why);
    (status, axum::Json(json!({"reason": reason}))).into_response()
}

async fn push(
    State(shared): State<Shared>,
    version: Version,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if version != Version::HTTP_2 {
        return refuse(&shared, StatusCode::HTTP_VERSION_NOT_SUPPORTED, "BadRequest", format!("{version:?}"));
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    if let Err(why) = check_token(&header("authorization")) {
        return refuse(&shared, StatusCode::FORBIDDEN, "InvalidProviderToken", why);
    }
    let checks = [
        (header("apns-topic") == TOPIC, "BadTopic"),
        (header("apns-push-type") == "alert", "InvalidPushType"),
        (matches!(header("apns-priority").as_str(), "5" | "10"), "BadPriority"),
        (header("apns-expiration").parse::<i64>().is_ok(), "BadExpirationDate"),
        (header("apns-collapse-id").len() <= 64, "BadCollapseId"),
        (!token.is_empty() && token.bytes().all(|b| b.is_ascii_hexdigit()), "BadDeviceToken"),
        (body.len() <= 4096, "PayloadTooLarge"),
    ];
    if let Some((_, reason)) = checks.iter().find(|(ok, _)| !ok) {
        return refuse(&shared, StatusCode::BAD_REQUEST, reason, (*reason).to_owned());
    }
    let Ok(payload) = serde_json::from_slice::<Value>(&body) else {
        return refuse(&shared, StatusCode::BAD_REQUEST, "PayloadEmpty", "not JSON".into());
    };
    let alert = &payload["aps"]["alert"];
    if !(alert["title"].is_string() && alert["body"].is_string()) {
        return refuse(&shared, StatusCode::BAD_REQUEST, "PayloadEmpty", "no aps.alert title and body".into());
    }
    if shared.world().gone.contains(&token) {
        return (StatusCode::GONE, axum::Json(json!({"reason": "Unregistered", "timestamp": 0}))).into_response();
    }
    let headers = headers
        .iter()
        .filter(|(n, _)| n.as_str().starts_with("apns-"))
        .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
        .collect();
    shared.taken.push(Notification { token, headers, payload });
    StatusCode::OK.into_response()
}

/// `bearer <JWT>`: ES256 by the team's key, `kid` its id, `iss` the team, issued within the
/// hour.
fn check_token(authorization: &str) -> Result<(), String> {
    let token = authorization.strip_prefix("bearer ").or_else(|| authorization.strip_prefix("Bearer "));
    let token = token.ok_or("no bearer token")?;
    let header = jsonwebtoken::decode_header(token).map_err(|e| e.to_string())?;
    if header.kid.as_deref() != Some(KEY_ID) {
        return Err(format!("kid {:?}", header.kid));
    }
    let key = jsonwebtoken::DecodingKey::from_ec_pem(PUBLIC_KEY.as_bytes()).map_err(|e| e.to_string())?;
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.set_issuer(&[TEAM_ID]);
    validation.set_required_spec_claims(&["iss"]);
    validation.validate_exp = false;
    let claims = jsonwebtoken::decode::<Value>(token, &key, &validation).map_err(|e| e.to_string())?.claims;
    let iat = claims["iat"].as_i64().ok_or("no iat")?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    if now - iat > 3600 || iat > now + 60 {
        return Err("the provider token is older than an hour".into());
    }
    Ok(())
}
