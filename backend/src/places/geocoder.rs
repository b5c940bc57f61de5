//! An external geocoder speaking Nominatim's search API (`GET /search?q=&format=jsonv2`):
//! OpenStreetMap's own server, or one an operator runs.
//!
//! Its usage policy shapes this client:
//! - at most `max_rps` requests a second (1 for the public server), however many people type;
//! - a User-Agent that names the service, and the operator's email when given;
//! - no requests for type-ahead: suggestions read only what earlier searches cached;
//! - answers are cached (a day), so one place is asked once.
//!
//! It is a convenience, never a dependency: an outage, a slow answer or the rate limit make it
//! answer nothing, and place search goes on with the built-in places and the driveways.

use super::fold::fold;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use parkway_core::api::{Place, PlaceKind};
use parkway_core::geo::Point;
use serde::Deserialize;
use std::num::{NonZeroU32, NonZeroUsize};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long an answer is kept.
const CACHE_TTL: Duration = Duration::from_secs(24 * 3600);
/// How many queries are kept.
const CACHE_ENTRIES: usize = 10_000;
/// At most this many results are asked for.
const MAX_RESULTS: usize = 10;
/// How long a search waits for its turn under the rate limit before it goes without.
const MAX_WAIT: Duration = Duration::from_secs(1);

/// How to reach the geocoder (`PARKWAY_GEOCODER_*`).
#[derive(Debug, Clone)]
pub struct GeocoderSettings {
    /// The base address, e.g. `https://nominatim.openstreetmap.org`.
    pub url: String,
    /// Requests a second (default 1).
    pub max_rps: u32,
    /// Sent as the `email` parameter, as the public server asks of heavy users.
    pub email: Option<String>,
    /// Longest wait for an answer.
    pub timeout: Duration,
}

/// One result as it is cached.
#[derive(Debug, Clone)]
pub struct Found {
    /// The result.
    pub place: Place,
    /// The geocoder's own weight, 0 to 1.
    pub importance: f64,
}

/// Answers by folded query, with when they arrived.
type Cache = lru::LruCache<String, (Instant, Arc<Vec<Found>>)>;

/// The client.
#[derive(Clone)]
pub struct Geocoder {
    http: reqwest::Client,
    settings: Arc<GeocoderSettings>,
    limiter: Arc<DefaultDirectRateLimiter>,
    cache: Arc<Mutex<Cache>>,
}

impl std::fmt::Debug for Geocoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Geocoder").field("url", &self.settings.url).finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct NominatimResult {
    lat: String,
    lon: String,
    display_name: String,
    #[serde(default)]
    boundingbox: Option<[String; 4]>,
    #[serde(default)]
    importance: Option<f64>,
    #[serde(default)]
    addresstype: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
}

impl Geocoder {
    /// A client for `settings`; `user_agent` names this service.
    pub fn new(settings: GeocoderSettings, user_agent: &str) -> anyhow::Result<Geocoder> {
        let http = reqwest::Client::builder().user_agent(user_agent).timeout(settings.timeout).build()?;
        let rate = NonZeroU32::new(settings.max_rps).unwrap_or(NonZeroU32::MIN);
        let limiter = RateLimiter::direct(Quota::per_second(rate).allow_burst(NonZeroU32::MIN));
        let entries = NonZeroUsize::new(CACHE_ENTRIES).unwrap_or(NonZeroUsize::MIN);
        Ok(Geocoder {
            http,
            settings: Arc::new(settings),
            limiter: Arc::new(limiter),
            cache: Arc::new(Mutex::new(lru::LruCache::new(entries))),
        })
    }

    /// Results for `query`: from the cache, else (when `ask` is true) from the geocoder.
    /// `None` when it could not be asked or did not answer; the caller goes on without it.
    pub async fn search(&self, query: &str, ask: bool) -> Option<Arc<Vec<Found>>> {
        let key = fold(query);
        if let Some(hit) = self.cached(&key) {
            return Some(hit);
        }
        if !ask {
            return None;
        }
        if tokio::time::timeout(MAX_WAIT, self.limiter.until_ready()).await.is_err() {
            tracing::info!("geocoder skipped: its rate limit is reached");
            return None;
        }
        match self.fetch(query).await {
            Ok(found) => {
                let found = Arc::new(found);
                if let Ok(mut cache) = self.cache.lock() {
                    cache.put(key, (Instant::now(), found.clone()));
                }
                Some(found)
            }
            Err(e) => {
                tracing::warn!(error = %e, "the geocoder did not answer; place search goes on without it");
                None
            }
        }
    }

    fn cached(&self, key: &str) -> Option<Arc<Vec<Found>>> {
        let mut cache = self.cache.lock().ok()?;
        match cache.get(key) {
            Some((at, found)) if at.elapsed() < CACHE_TTL => Some(found.clone()),
            Some(_) => {
                cache.pop(key);
                None
            }
            None => None,
        }
    }

    async fn fetch(&self, query: &str) -> anyhow::Result<Vec<Found>> {
        let url = format!("{}/search", self.settings.url.trim_end_matches('/'));
        let limit = MAX_RESULTS.to_string();
        let mut params = vec![("q", query), ("format", "jsonv2"), ("limit", limit.as_str())];
        if let Some(email) = &self.settings.email {
            params.push(("email", email));
        }
        let answer = self.http.get(url).query(&params).send().await?;
        let status = answer.status();
        if !status.is_success() {
            anyhow::bail!("the geocoder answered {status}");
        }
        let results: Vec<NominatimResult> = answer.json().await?;
        Ok(results.into_iter().filter_map(found).collect())
    }
}

/// A result with a usable position; others are dropped.
fn found(r: NominatimResult) -> Option<Found> {
    let point = Point::new(r.lat.parse().ok()?, r.lon.parse().ok()?).ok()?;
    // Nominatim's box is [minLat, maxLat, minLng, maxLng], as strings.
    let bbox = r.boundingbox.and_then(|b| {
        let n: Vec<f64> = b.iter().filter_map(|v| v.parse().ok()).filter(|v: &f64| v.is_finite()).collect();
        match n[..] {
            [min_lat, max_lat, min_lng, max_lng] if min_lat <= max_lat && min_lng <= max_lng => {
                Some([min_lng, min_lat, max_lng, max_lat])
            }
            _ => None,
        }
    });
    let kind = match r.addresstype.as_deref().or(r.kind.as_deref()) {
        Some("house" | "building" | "road" | "street" | "house_number" | "residential") => PlaceKind::Address,
        Some("city") => PlaceKind::City,
        Some("town" | "village" | "hamlet" | "municipality") => PlaceKind::Town,
        _ => PlaceKind::Place,
    };
    let label: String = r.display_name.chars().take(200).collect();
    Some(Found {
        place: Place { label, kind, lat: point.lat(), lng: point.lng(), bbox },
        importance: r.importance.filter(|i| i.is_finite()).unwrap_or(0.3).clamp(0.0, 1.0),
    })
}
