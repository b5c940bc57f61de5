//! A **test double** of a browser's Web Push service, for tests only: an HTTP server on loopback
//! with one endpoint per subscription, `POST /push/{n}`. It is not Mozilla's or Google's push
//! service. It checks what a real one would before taking a push: the VAPID signature (RFC 8292:
//! an ES256 JWT verified with the key in `k=`, for this service's origin, expiring within a
//! day, with a contact), `Content-Encoding: aes128gcm` and a `TTL`. Then it does what the
//! browser would: decrypts the body with the subscription's private key and secret (RFC 8291,
//! independently of the server's code, and tested here against the RFC's own example).
//!
//! The test decides what the service answers: `410 Gone` for a subscription marked gone, a
//! number of `500`s before it takes pushes again, and how long it takes to answer. A push is
//! taken when it has arrived whole and checked, before the answer goes back, as with a real
//! service: a sender that dies before reading the answer has still delivered it.

use crate::taken::Taken;
use aes_gcm::aead::{Aead, KeyInit};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use serde_json::Value;
use sha2::Sha256;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

/// A browser's side of one subscription: its key pair and authentication secret.
#[derive(Clone)]
pub struct Subscriber {
    secret: SecretKey,
    auth: [u8; 16],
}

impl Subscriber {
    /// A new key pair and secret, as a browser makes when it subscribes.
    pub fn new() -> Subscriber {
        loop {
            if let Ok(secret) = SecretKey::from_slice(&rand::random::<[u8; 32]>()) {
                return Subscriber { secret, auth: rand::random() };
            }
        }
    }

    /// `keys.p256dh` of the subscription: the public key, uncompressed, base64url.
    pub fn p256dh(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.secret.public_key().to_encoded_point(false).as_bytes())
    }

    /// `keys.auth` of the subscription, base64url.
    pub fn auth(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.auth)
    }

    /// Reads a push body as the browser would (RFC 8291 with RFC 8188's `aes128gcm`, one
    /// record); `None` when it does not decrypt.
    pub fn decrypt(&self, body: &[u8]) -> Option<Vec<u8>> {
        let salt = body.get(..16)?;
        let id_len = usize::from(*body.get(20)?);
        let sender = PublicKey::from_sec1_bytes(body.get(21..21 + id_len)?).ok()?;
        let sealed = body.get(21 + id_len..)?;
        let shared = p256::ecdh::diffie_hellman(self.secret.to_nonzero_scalar(), sender.as_affine());
        let mut info = b"WebPush: info\0".to_vec();
        info.extend_from_slice(self.secret.public_key().to_encoded_point(false).as_bytes());
        info.extend_from_slice(sender.to_encoded_point(false).as_bytes());
        let mut ikm = [0u8; 32];
        hkdf::Hkdf::<Sha256>::new(Some(&self.auth), shared.raw_secret_bytes()).expand(&info, &mut ikm).ok()?;
        let content = hkdf::Hkdf::<Sha256>::new(Some(salt), &ikm);
        let (mut key, mut nonce) = ([0u8; 16], [0u8; 12]);
        content.expand(b"Content-Encoding: aes128gcm\0", &mut key).ok()?;
        content.expand(b"Content-Encoding: nonce\0", &mut nonce).ok()?;
        let mut plain = aes_gcm::Aes128Gcm::new(&key.into()).decrypt(&nonce.into(), sealed).ok()?;
        // The last record ends with 2, then any zero padding.
        while plain.last() == Some(&0) {
            plain.pop();
        }
        (plain.pop() == Some(2)).then_some(plain)
    }
}

impl Default for Subscriber {
    fn default() -> Self {
        Subscriber::new()
    }
}

/// A push the double took, decrypted.
#[derive(Debug, Clone)]
pub struct Received {
    /// Which subscription (`n` of `/push/{n}`).
    pub subscription: usize,
    /// The payload, as JSON.
    pub payload: Value,
    /// The `Topic` header.
    pub topic: Option<String>,
    /// The `Urgency` header.
    pub urgency: Option<String>,
    /// The `TTL` header, seconds.
    pub ttl: u64,
}

#[derive(Default)]
struct World {
    subscribers: Vec<Subscriber>,
    gone: BTreeSet<usize>,
    fail_next: usize,
    attempts: usize,
    refused: Vec<String>,
}

#[derive(Clone)]
struct Shared {
    world: Arc<Mutex<World>>,
    origin: String,
    received: Arc<Taken<Received>>,
    /// Answers wait while this is true.
    paused: Arc<tokio::sync::watch::Sender<bool>>,
    /// How long each answer takes, in milliseconds.
    answer_after_ms: Arc<std::sync::atomic::AtomicU64>,
}

/// The push service double, serving until dropped.
pub struct WebPushDouble {
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl WebPushDouble {
    /// Starts on a free loopback port.
    pub async fn start() -> WebPushDouble {
        let mut shared = None;
        let task = crate::serve_on_loopback(|origin| {
            let state = Shared {
                world: Default::default(),
                origin: origin.to_owned(),
                received: Arc::default(),
                paused: Arc::new(tokio::sync::watch::channel(false).0),
                answer_after_ms: Default::default(),
            };
            shared = Some(state.clone());
            Router::new().route("/push/{n}", post(push)).with_state(state)
        })
        .await;
        WebPushDouble { shared: shared.expect("the router was made"), task }
    }

    /// `http://127.0.0.1:port`: the origin the server must be told to accept.
    pub fn origin(&self) -> &str {
        &self.shared.origin
    }

    /// A new subscription: its endpoint, and the browser's side of it.
    pub fn subscribe(&self) -> (String, Subscriber) {
        let mut world = self.world();
        let subscriber = Subscriber::new();
        world.subscribers.push(subscriber.clone());
        (format!("{}/push/{}", self.shared.origin, world.subscribers.len() - 1), subscriber)
    }

    /// From now on, pushes to `endpoint` answer `410 Gone` (the browser unsubscribed).
    pub fn unsubscribe(&self, endpoint: &str) {
        if let Some(n) = endpoint.rsplit('/').next().and_then(|n| n.parse().ok()) {
            self.world().gone.insert(n);
        }
    }

    /// Pushes that arrive from now on wait, not yet taken, until [`WebPushDouble::resume`].
    pub fn pause(&self) {
        self.shared.paused.send_replace(true);
    }

    /// Lets waiting pushes in.
    pub fn resume(&self) {
        self.shared.paused.send_replace(false);
    }

    /// Each answer goes back `delay` after its push was taken.
    pub fn answer_after(&self, delay: std::time::Duration) {
        let ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.shared.answer_after_ms.store(ms, std::sync::atomic::Ordering::Relaxed);
    }

    /// The next `n` pushes answer `500`, and are not taken.
    pub fn fail_next(&self, n: usize) {
        self.world().fail_next = n;
    }

    /// Pushes that reached a subscription's endpoint, taken or not.
    pub fn attempts(&self) -> usize {
        self.world().attempts
    }

    /// How many pushes were taken so far.
    pub fn received_count(&self) -> usize {
        self.shared.received.len()
    }

    /// Every push taken so far, in order.
    pub fn received(&self) -> Vec<Received> {
        self.shared.received.all()
    }

    /// Why pushes were refused (a bad signature, say), so a test can show it.
    pub fn refused(&self) -> Vec<String> {
        self.world().refused.clone()
    }

    /// Waits until at least `count` pushes were taken (the caller bounds the wait).
    pub async fn wait_for(&self, count: usize) -> Vec<Received> {
        self.shared.received.wait_for(count).await
    }

    fn world(&self) -> std::sync::MutexGuard<'_, World> {
        self.shared.world.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Drop for WebPushDouble {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn push(State(shared): State<Shared>, Path(n): Path<usize>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let _ = shared.paused.subscribe().wait_for(|paused| !paused).await;
    let status = take(&shared, n, &headers, &body);
    let delay = shared.answer_after_ms.load(std::sync::atomic::Ordering::Relaxed);
    if delay > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
    }
    status
}

/// Checks a push and takes it, or says why not.
fn take(shared: &Shared, n: usize, headers: &HeaderMap, body: &[u8]) -> StatusCode {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let checked = (|| -> Result<(u64, Subscriber), (StatusCode, String)> {
        let vapid = header("authorization").ok_or((StatusCode::UNAUTHORIZED, "no Authorization".into()))?;
        check_vapid(&vapid, &shared.origin).map_err(|e| (StatusCode::FORBIDDEN, e))?;
        if header("content-encoding").as_deref() != Some("aes128gcm") {
            return Err((StatusCode::BAD_REQUEST, "Content-Encoding is not aes128gcm".into()));
        }
        let ttl = header("ttl").and_then(|t| t.parse().ok()).ok_or((StatusCode::BAD_REQUEST, "no TTL".into()))?;
        let world = shared.world.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if world.gone.contains(&n) {
            return Err((StatusCode::GONE, String::new()));
        }
        let subscriber = world.subscribers.get(n).cloned().ok_or((StatusCode::NOT_FOUND, String::new()))?;
        Ok((ttl, subscriber))
    })();
    let mut world = shared.world.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let (ttl, subscriber) = match checked {
        Ok(ok) => ok,
        Err((status, why)) => {
            if !why.is_empty() {
                world.refused.push(why);
            }
            return status;
        }
    };
    world.attempts += 1;
    if world.fail_next > 0 {
        world.fail_next -= 1;
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    let Some(payload) = subscriber.decrypt(body).and_then(|p| serde_json::from_slice(&p).ok()) else {
        world.refused.push("the body does not decrypt to JSON".into());
        return StatusCode::BAD_REQUEST;
    };
    drop(world);
    shared.received.push(Received {
        subscription: n,
        payload,
        topic: header("topic"),
        urgency: header("urgency"),
        ttl,
    });
    StatusCode::CREATED
}

/// `vapid t=<JWT>, k=<public key>`: the JWT signed by that key, for `origin`, not expired,
/// expiring within 24 hours, with a contact.
fn check_vapid(header: &str, origin: &str) -> Result<(), String> {
    let rest = header.strip_prefix("vapid ").ok_or("not a vapid authorization")?;
    let fields: HashMap<&str, &str> = rest.split(',').filter_map(|f| f.trim().split_once('=')).collect();
    let (token, key) = (fields.get("t").ok_or("no t=")?, fields.get("k").ok_or("no k=")?);
    let public = URL_SAFE_NO_PAD.decode(key).map_err(|_| "k is not base64url")?;
    let point = PublicKey::from_sec1_bytes(&public).map_err(|_| "k is not a P-256 key")?.to_encoded_point(false);
    let (x, y) = (point.x().ok_or("no x")?, point.y().ok_or("no y")?);
    let decoding =
        jsonwebtoken::DecodingKey::from_ec_components(&URL_SAFE_NO_PAD.encode(x), &URL_SAFE_NO_PAD.encode(y))
            .map_err(|e| e.to_string())?;
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.set_audience(&[origin]);
    validation.set_required_spec_claims(&["exp", "aud", "sub"]);
    let claims = jsonwebtoken::decode::<Value>(token, &decoding, &validation).map_err(|e| format!("JWT: {e}"))?.claims;
    let exp = claims["exp"].as_i64().ok_or("no exp")?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    if exp > now + 24 * 3600 {
        return Err("the JWT lasts more than 24 hours".into());
    }
    let sub = claims["sub"].as_str().unwrap_or_default();
    if !(sub.starts_with("mailto:") || sub.starts_with("https://")) {
        return Err("no contact in sub".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8291, Appendix A: the browser's keys and the body the RFC gives.
    #[test]
    fn the_rfc_8291_example_decrypts() {
        let b64 = |s: &str| URL_SAFE_NO_PAD.decode(s).expect("base64url");
        let subscriber = Subscriber {
            secret: SecretKey::from_slice(&b64("q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94")).expect("key"),
            auth: b64("BTBZMqHH6r4Tts7J_aSIgg").try_into().expect("16 bytes"),
        };
        assert_eq!(
            subscriber.p256dh(),
            "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
        );
        let body = b64(
            "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN",
        );
        assert_eq!(subscriber.decrypt(&body).as_deref(), Some(&b"When I grow up, I want to be a watermelon"[..]));
        let mut tampered = body.clone();
        if let Some(last) = tampered.last_mut() {
            *last ^= 1;
        }
        assert_eq!(subscriber.decrypt(&tampered), None, "a changed byte fails the tag");
    }
}
