//! The browser's booking outbox: a booking made with no network is kept in IndexedDB under its
//! idempotency key and sent when the network is back (on the `online` event, when the service
//! worker's Background Sync fires while a Parkway page is open, and at the next visit). It
//! follows the app's rules (`parkway_core::outbox`), so it shows the same states: saved
//! offline, sending, booked, slot taken with free driveways nearby, refused, expired.
//!
//! The records are kept by `browser-outbox.js`, which only stores them; every decision is
//! made here. Two tabs may send the same request at once: it carries the same key, so the
//! server books it once and answers both alike.

use super::outbox::{Alternative, OutboxItem};
use super::{Api, Area, ClientError, SearchQuery};
use chrono::{DateTime, Utc};
use parkway_core::api::NewBooking;
use parkway_core::outbox::{self, Backoff, OutboxState, Verdict};
use parkway_core::slot::TimeSlot;
use serde::{Deserialize, Serialize};
use std::cell::Cell;
use uuid::Uuid;

#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    // browser-outbox.js
    #[wasm_bindgen(catch, js_namespace = parkwayOutbox, js_name = all)]
    fn all_js() -> Result<js_sys::Promise, wasm_bindgen::JsValue>;
    #[wasm_bindgen(catch, js_namespace = parkwayOutbox, js_name = put)]
    fn put_js(json: &str) -> Result<js_sys::Promise, wasm_bindgen::JsValue>;
    #[wasm_bindgen(catch, js_namespace = parkwayOutbox, js_name = remove)]
    fn remove_js(id: &str) -> Result<js_sys::Promise, wasm_bindgen::JsValue>;
    #[wasm_bindgen(catch, js_namespace = parkwayOutbox, js_name = wakeWhenOnline)]
    fn wake_when_online_js() -> Result<js_sys::Promise, wasm_bindgen::JsValue>;
    #[wasm_bindgen(catch, js_namespace = parkwayOutbox, js_name = onWake)]
    fn on_wake_js(callback: &js_sys::Function) -> Result<(), wasm_bindgen::JsValue>;
}

/// A request kept in this browser: what the outbox list shows, plus what sending needs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Kept {
    id: Uuid,
    /// Whose: a shared browser sends each user's requests only under their own session.
    user: Uuid,
    request: NewBooking,
    label: String,
    state: OutboxState,
    attempts: i64,
    #[serde(default)]
    last_error: Option<String>,
    #[serde(default)]
    alternatives: Option<Vec<Alternative>>,
    #[serde(deserialize_with = "parkway_core::time::utc")]
    created_at: DateTime<Utc>,
    #[serde(deserialize_with = "parkway_core::time::utc")]
    updated_at: DateTime<Utc>,
    /// Not sent before then (a retry backs off).
    #[serde(deserialize_with = "parkway_core::time::utc")]
    due_at: DateTime<Utc>,
}

impl Kept {
    /// A request just saved: queued, due at once.
    fn new(id: Uuid, user: Uuid, request: NewBooking, label: String, now: DateTime<Utc>) -> Kept {
        Kept {
            id,
            user,
            request,
            label,
            state: OutboxState::Queued,
            attempts: 0,
            last_error: None,
            alternatives: None,
            created_at: now,
            updated_at: now,
            due_at: now,
        }
    }

    fn item(&self) -> Option<OutboxItem> {
        Some(OutboxItem {
            id: self.id,
            request: TimeSlot::new(self.request.start_time, self.request.end_time).ok()?,
            label: Some(self.label.clone()),
            state: self.state,
            attempts: self.attempts,
            last_error: self.last_error.clone(),
            alternatives: self.alternatives.clone(),
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }

    fn becomes(&mut self, state: OutboxState, why: Option<String>, now: DateTime<Utc>) {
        self.state = state;
        self.last_error = why;
        self.updated_at = now;
    }
}

fn store_error(why: &str) -> ClientError {
    ClientError::Decode(format!("this browser could not keep the booking request: {why}"))
}

#[cfg(target_arch = "wasm32")]
async fn settle(promise: Result<js_sys::Promise, wasm_bindgen::JsValue>) -> Result<wasm_bindgen::JsValue, ClientError> {
    let refused = |_| store_error("its storage (IndexedDB) refused");
    wasm_bindgen_futures::JsFuture::from(promise.map_err(refused)?).await.map_err(refused)
}

/// Every record, oldest first (the store sorts them).
#[cfg(target_arch = "wasm32")]
async fn all() -> Result<Vec<Kept>, ClientError> {
    let text = settle(all_js()).await?.as_string().unwrap_or_else(|| "[]".into());
    // One JSON text a record: one this version cannot read (a newer page wrote it) is left
    // alone, not fatal.
    let records: Vec<String> = super::decode(&text)?;
    Ok(records.iter().filter_map(|r| super::decode(r).ok()).collect())
}

#[cfg(not(target_arch = "wasm32"))]
async fn all() -> Result<Vec<Kept>, ClientError> {
    Err(store_error("no IndexedDB outside a browser"))
}

#[cfg(target_arch = "wasm32")]
async fn put(kept: &Kept) -> Result<(), ClientError> {
    let json = serde_json::to_string(kept).map_err(super::not_writable)?;
    settle(put_js(&json)).await.map(drop)
}

#[cfg(not(target_arch = "wasm32"))]
async fn put(_kept: &Kept) -> Result<(), ClientError> {
    Err(store_error("no IndexedDB outside a browser"))
}

/// Keeps a booking the network could not take; it goes when the network is back.
pub async fn keep(user: Uuid, request: &NewBooking, key: &str, label: &str) -> Result<OutboxItem, ClientError> {
    let now = Utc::now();
    let id = Uuid::parse_str(key).map_err(|_| store_error("its key is not an id"))?;
    let kept = Kept::new(id, user, request.clone(), label.to_owned(), now);
    put(&kept).await?;
    #[cfg(target_arch = "wasm32")]
    let _ = settle(wake_when_online_js()).await;
    kept.item().ok_or_else(|| store_error("the slot's times are not a slot"))
}

/// `user`'s requests, newest first.
pub async fn list(user: Uuid) -> Result<Vec<OutboxItem>, ClientError> {
    Ok(all().await?.iter().rev().filter(|k| k.user == user).filter_map(Kept::item).collect())
}

async fn find(id: Uuid) -> Result<Kept, ClientError> {
    all().await?.into_iter().find(|k| k.id == id).ok_or_else(|| store_error("no such request"))
}

/// Withdraws a request that is not being sent.
pub async fn cancel(id: Uuid) -> Result<OutboxItem, ClientError> {
    let mut kept = find(id).await?;
    if !kept.state.can_cancel() {
        return Err(ClientError::Decode("this request is being sent or was sent already".into()));
    }
    kept.becomes(OutboxState::Cancelled, None, Utc::now());
    put(&kept).await?;
    kept.item().ok_or_else(|| store_error("the slot's times are not a slot"))
}

/// Clears a finished request.
pub async fn dismiss(id: Uuid) -> Result<(), ClientError> {
    #[cfg(target_arch = "wasm32")]
    settle(remove_js(&id.to_string())).await?;
    #[cfg(not(target_arch = "wasm32"))]
    let _ = id;
    Ok(())
}

thread_local! {
    /// A pass is under way in this page: a second one would only send the same requests again.
    static SENDING: Cell<bool> = const { Cell::new(false) };
}

/// Sends `user`'s waiting requests, oldest first, telling `changed` each new state. With
/// `force`, requests still backing off go too (the driver pressed "Try now").
pub async fn send_waiting(api: &Api, user: Uuid, force: bool, changed: &dyn Fn(OutboxItem)) -> Result<(), ClientError> {
    if SENDING.with(|s| s.replace(true)) {
        return Ok(());
    }
    let result = pass(api, user, force, changed).await;
    SENDING.with(|s| s.set(false));
    result
}

async fn pass(api: &Api, user: Uuid, force: bool, changed: &dyn Fn(OutboxItem)) -> Result<(), ClientError> {
    let waiting = all().await?.into_iter().filter(|k| k.user == user && k.state.is_open());
    let tell = |kept: &Kept| {
        if let Some(item) = kept.item() {
            changed(item);
        }
    };
    for mut kept in waiting {
        let now = Utc::now();
        if outbox::is_expired(kept.created_at, now) {
            kept.becomes(OutboxState::Expired, Some(outbox::EXPIRED.into()), now);
            put(&kept).await?;
            tell(&kept);
            continue;
        }
        if kept.due_at > now && !force {
            // Order is kept: nothing after it goes first.
            break;
        }
        // A request left `syncing` by a closed page goes again under the same key.
        let last = kept.last_error.clone();
        kept.becomes(OutboxState::Syncing, last, now);
        put(&kept).await?;
        tell(&kept);
        let answer = api.create_booking(&kept.request, &kept.id.to_string()).await;
        let verdict = match &answer {
            Ok(_) => Verdict::Booked,
            Err(ClientError::Network) => Verdict::of(None, None),
            Err(e) => Verdict::of(e.status(), e.code()),
        };
        let now = Utc::now();
        kept.attempts += 1;
        match (verdict, answer) {
            (_, Ok(_)) => kept.becomes(OutboxState::Synced, None, now),
            (Verdict::Conflict, Err(e)) => {
                kept.alternatives = alternatives(api, &kept).await;
                kept.becomes(OutboxState::Conflict, Some(e.to_string()), now);
            }
            (Verdict::Retry, Err(e)) => {
                let jitter = 0.5 + js_random();
                kept.due_at = now + Backoff::default().delay(kept.attempts - 1, jitter);
                kept.becomes(OutboxState::Queued, Some(e.to_string()), now);
                put(&kept).await?;
                tell(&kept);
                break;
            }
            (_, Err(e)) => kept.becomes(OutboxState::Failed, Some(e.to_string()), now),
        }
        put(&kept).await?;
        tell(&kept);
    }
    Ok(())
}

/// A random number in 0..1, for the retry's jitter.
fn js_random() -> f64 {
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::Math::random()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0.5
    }
}

/// Up to three free driveways near the one that was taken, for the same time.
async fn alternatives(api: &Api, kept: &Kept) -> Option<Vec<Alternative>> {
    let taken = api.driveway(kept.request.driveway).await.ok()?;
    let query = SearchQuery {
        area: Area::Around { lat: taken.lat, lng: taken.lng, radius_m: f64::from(outbox::ALTERNATIVES_WITHIN_M) },
        slot: Some((kept.request.start_time, kept.request.end_time)),
        max_price_per_hour: None,
        min_rating: None,
        limit: outbox::ALTERNATIVES as u32 + 1,
    };
    let found = api.search(&query).await.ok()?;
    let nearby = found.into_iter().map(|i| i.driveway).filter(|d| d.id != taken.id).take(outbox::ALTERNATIVES);
    Some(
        nearby
            .map(|d| Alternative {
                id: d.id,
                title: d.title,
                address: d.address,
                price_per_hour_cents: d.price_per_hour_cents,
                currency: d.currency,
            })
            .collect(),
    )
}

/// Calls `wake` whenever requests may go: the network came back, or the service worker's
/// Background Sync asked this page to send.
pub fn on_wake(wake: impl Fn() + 'static) {
    #[cfg(target_arch = "wasm32")]
    {
        use wasm_bindgen::JsCast;
        let callback = wasm_bindgen::closure::Closure::<dyn Fn()>::new(wake);
        if on_wake_js(callback.as_ref().unchecked_ref()).is_ok() {
            // Registered for the page's life.
            callback.forget();
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    drop(wake);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_request_lists_as_the_apps_items_do() {
        let now = Utc::now();
        let start = now + chrono::Duration::hours(2);
        let request = NewBooking {
            driveway: Uuid::from_u128(3),
            start_time: start,
            end_time: start + chrono::Duration::hours(2),
            special_requests: None,
            driver_location: None,
            expected_total_cents: Some(800),
            stripe_payment_id: None,
            vehicle_id: None,
        };
        let kept = Kept::new(Uuid::from_u128(1), Uuid::from_u128(2), request, "Sunny driveway, 1 Main St".into(), now);
        // Stored as JSON and read back, as IndexedDB keeps it.
        let back: Kept = serde_json::from_str(&serde_json::to_string(&kept).expect("json")).expect("read back");
        let item = back.item().expect("an item");
        assert_eq!((item.id, item.state, item.title()), (kept.id, OutboxState::Queued, "Sunny driveway, 1 Main St"));
        assert_eq!((item.request.end() - item.request.start()).num_hours(), 2);
    }
}
