//! The one client of the Parkway API. Pages call typed methods here; how a request travels is
//! the [`Transport`]'s business (HTTP in a browser; the app's commands inside the Parkway app).

/// Failed requests and their sentences.
mod error;
/// The app's offline booking outbox.
pub mod outbox;
/// Messages the app keeps while offline.
pub mod replies;
/// Retries with backoff for network errors and 5xx answers.
pub mod retry;
/// Keeping the session's short-lived access token fresh.
pub mod session;
/// How requests travel.
pub mod transport;
/// Uploading a driveway photo, with its progress.
mod upload;
/// The browser's booking outbox, in IndexedDB.
pub mod web_outbox;

pub use error::ClientError;
pub use transport::{Method, RawRequest, Transport};

use crate::map::features::coordinate;
use chrono::{DateTime, SecondsFormat, Utc};
use parkway_core::api::{
    AuthResponse, Booking, Busy, ClusterPage, Driveway, DrivewayPatch, ExtendBooking, Items, LoginRequest, NewBooking,
    NewDriveway, OwnerMetrics, Place, RegisterRequest, SearchItem, User,
};
use parkway_core::message::Message;
use parkway_core::money::Cents;
use parkway_core::payment::{CaptureMethod, IntentStatus};
use parkway_core::photo::{Photo, PhotoOrder};
use parkway_core::review::{Review, ReviewFields, ReviewReply};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The answer of `POST /api/payments/create-payment-intent`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentIntent {
    /// The provider's intent id.
    pub payment_intent_id: String,
    /// For Stripe.js.
    pub client_secret: String,
    /// The amount to pay.
    pub amount_cents: i64,
    /// Its currency.
    pub currency: String,
    /// Charged now, or authorised and captured when the owner confirms.
    pub capture_method: CaptureMethod,
    /// True when the server uses the simulated provider: no money moves.
    #[serde(default)]
    pub simulated: bool,
    /// The answer as the server sent it, for the page's Stripe helper, which reads the
    /// publishable key and the Stripe.js URL (`publishableKey`, `stripeJsUrl`) itself: decoding
    /// them here would cost the wasm more than keeping the text.
    #[serde(skip)]
    pub json: String,
}

/// The answer of `GET /api/payments/status/:id`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentState {
    /// The provider's status: `RequiresCapture` means authorised, taken when the owner confirms.
    pub status: IntentStatus,
}

impl Area {
    /// True when the area is wider than one search may cover (the server refuses it): the
    /// map asks the driver to zoom in instead.
    pub fn too_wide(&self) -> bool {
        match *self {
            Area::Bounds { west, south, east, north } => {
                let bbox = parkway_core::geo::BoundingBox {
                    min_lng: west.max(-180.0),
                    min_lat: south.max(-90.0),
                    max_lng: east.min(180.0),
                    max_lat: north.min(90.0),
                };
                bbox.check_searchable().is_err()
            }
            Area::Around { radius_m, .. } => radius_m > parkway_core::geo::MAX_SEARCH_BOX_M / 2.0,
        }
    }
}

/// The search area.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Area {
    /// The visible map: west, south, east, north.
    Bounds {
        /// Smallest longitude.
        west: f64,
        /// Smallest latitude.
        south: f64,
        /// Largest longitude.
        east: f64,
        /// Largest latitude.
        north: f64,
    },
    /// A circle around a point.
    Around {
        /// Latitude.
        lat: f64,
        /// Longitude.
        lng: f64,
        /// Radius in metres.
        radius_m: f64,
    },
}

/// A search: where, and optionally when and up to what hourly price.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchQuery {
    /// Where.
    pub area: Area,
    /// Only driveways free and open for the whole slot.
    pub slot: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// Highest hourly price.
    pub max_price_per_hour: Option<Cents>,
    /// Only driveways whose reviews average at least this many stars (1–5).
    pub min_rating: Option<u8>,
    /// Most results.
    pub limit: u32,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl SearchQuery {
    /// The query string of `GET /api/driveways`.
    pub fn query_string(&self) -> String {
        let mut parts = match self.area {
            Area::Bounds { .. } => vec![self.bbox()],
            Area::Around { lat, lng, radius_m } => {
                vec![
                    format!("lat={}", coordinate(lat)),
                    format!("lng={}", coordinate(lng)),
                    format!("radiusM={}", radius_m.clamp(1.0, 50_000.0).round() as i64),
                ]
            }
        };
        self.push_filters(&mut parts);
        if let Some(stars) = self.min_rating {
            parts.push(format!("minRating={}", stars.clamp(1, 5)));
        }
        parts.push(format!("limit={}", self.limit.clamp(1, 500)));
        parts.join("&")
    }

    /// The query string of `GET /api/driveways/clusters` for the same view at `zoom` (the
    /// clusters have no rating filter).
    pub fn clusters_query_string(&self, zoom: f64) -> String {
        let mut parts = vec![self.bbox(), format!("zoom={}", zoom.clamp(0.0, 22.0).floor() as u32)];
        self.push_filters(&mut parts);
        parts.join("&")
    }

    /// `bbox=…` of the area (a circle's box).
    fn bbox(&self) -> String {
        let (west, south, east, north) = match self.area {
            Area::Bounds { west, south, east, north } => (west, south, east, north),
            Area::Around { lat, lng, radius_m } => {
                match parkway_core::geo::Point::new(lat.clamp(-90.0, 90.0), lng.clamp(-180.0, 180.0)) {
                    Ok(p) => {
                        let b = p.bbox_around(radius_m);
                        (b.min_lng, b.min_lat, b.max_lng, b.max_lat)
                    }
                    Err(_) => (-180.0, -90.0, 180.0, 90.0),
                }
            }
        };
        // The API wants longitudes in [-180, 180]: a map panned around the world wraps.
        let clamp_lng = |v: f64| coordinate(v.clamp(-180.0, 180.0));
        let clamp_lat = |v: f64| coordinate(v.clamp(-90.0, 90.0));
        format!("bbox={},{},{},{}", clamp_lng(west), clamp_lat(south), clamp_lng(east), clamp_lat(north))
    }

    /// The slot and the price, which both routes read alike.
    fn push_filters(&self, parts: &mut Vec<String>) {
        if let Some((start, end)) = self.slot {
            parts.push(format!("start={}", rfc3339(start)));
            parts.push(format!("end={}", rfc3339(end)));
        }
        if let Some(max) = self.max_price_per_hour {
            parts.push(format!("maxPricePerHourCents={}", max.get()));
        }
    }
}

/// The distance and quote beside each driveway of a search answer.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SearchExtra {
    distance_m: f64,
    #[serde(default)]
    quote_cents: Option<Cents>,
}

/// The browser's `JSON.parse`: once in the wasm, not once for every type read.
#[cfg(target_arch = "wasm32")]
#[inline(never)]
fn parse_json(text: &str) -> Result<wasm_bindgen::JsValue, ClientError> {
    js_sys::JSON::parse(text).map_err(|_| ClientError::Decode("the answer is not JSON".into()))
}

/// An answer of the wrong shape, as a client error (once in the wasm, like [`parse_json`]).
#[cfg(target_arch = "wasm32")]
#[inline(never)]
fn not_readable(e: serde_wasm_bindgen::Error) -> ClientError {
    ClientError::Decode(e.to_string())
}

/// A request body that could not be written as JSON, as a client error (once in the wasm, not
/// once for every kind of body).
#[inline(never)]
pub(crate) fn not_writable(e: serde_json::Error) -> ClientError {
    ClientError::Decode(e.to_string())
}

/// Reads JSON text into `T`. In the browser the text is parsed by the browser's own
/// `JSON.parse` and read with serde-wasm-bindgen: serde_json's parser, compiled again for every
/// type read, costs far more wasm. Natively (the unit tests), serde_json reads it.
pub fn decode<T: DeserializeOwned>(text: &str) -> Result<T, ClientError> {
    #[cfg(target_arch = "wasm32")]
    {
        serde_wasm_bindgen::from_value(parse_json(text)?).map_err(not_readable)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        serde_json::from_str(text).map_err(|e| ClientError::Decode(e.to_string()))
    }
}

/// Reads a search answer. `SearchItem` flattens the driveway into the item, and serde's
/// flattening buffers every field generically, which costs a lot of wasm; reading the same
/// text twice, once as driveways and once for the two extra fields, does not.
pub fn parse_search(text: &str) -> Result<Vec<SearchItem>, ClientError> {
    let driveways: Items<Driveway> = decode(text)?;
    let extras: Items<SearchExtra> = decode(text)?;
    Ok(driveways
        .items
        .into_iter()
        .zip(extras.items)
        .map(|(driveway, extra)| SearchItem { driveway, distance_m: extra.distance_m, quote_cents: extra.quote_cents })
        .collect())
}

/// A notification as the UI keeps it. Of `data`, only what the UI acts on is read, typed
/// (the booking it is about, and what it offers to do); the rest is skipped unread, so the
/// wasm carries no generic JSON tree.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    /// Increasing; `?after=` pages by it.
    pub id: i64,
    /// What happened.
    #[serde(rename = "type")]
    pub kind: parkway_core::notification::NotificationType,
    /// Bold first line.
    pub title: String,
    /// The sentence.
    pub message: String,
    /// What the UI reads of `data` (absent or `null`: nothing).
    #[serde(default)]
    pub data: Option<NoteData>,
    /// When it was written.
    #[serde(deserialize_with = "parkway_core::time::utc")]
    pub created_at: DateTime<Utc>,
    /// When it was read, if it was.
    #[serde(default, deserialize_with = "parkway_core::time::utc_opt")]
    pub read_at: Option<DateTime<Utc>>,
}

/// The fields of a notification's `data` the UI uses.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NoteData {
    /// The booking it is about (a message's: its stay's first booking).
    #[serde(default)]
    pub booking_id: Option<String>,
    /// What it offers to do: "extend" (a stay) or "reply" (to a message).
    #[serde(default)]
    pub action: Option<String>,
    /// A message's reader's side: "owner" or "driver".
    #[serde(default, rename = "as")]
    pub side: Option<String>,
}

impl NoteData {
    /// Data naming `booking`, with an offer and a side (for tests of what reads it).
    #[cfg(test)]
    pub fn about(booking: Uuid, action: Option<&str>, side: Option<&str>) -> Option<NoteData> {
        Some(NoteData {
            booking_id: Some(booking.to_string()),
            action: action.map(str::to_owned),
            side: side.map(str::to_owned),
        })
    }
}

impl Notification {
    /// The booking it is about, if it names one.
    pub fn booking(&self) -> Option<Uuid> {
        self.data.as_ref()?.booking_id.as_deref()?.parse().ok()
    }

    /// What it offers to do (`data.action`), if anything.
    pub fn action(&self) -> Option<&str> {
        self.data.as_ref()?.action.as_deref()
    }
}

/// Reads one notification (a WebSocket message).
pub fn parse_notification(text: &str) -> Option<Notification> {
    decode(text).ok()
}

/// `{"card": …}`.
#[derive(Serialize)]
struct Card<'a> {
    card: &'a str,
}

/// The API client: a transport and the signed-in user's token.
#[derive(Debug, Clone, PartialEq)]
pub struct Api {
    transport: Transport,
    token: Option<String>,
}

impl Api {
    /// A client over `transport`, signed in when `token` is given.
    pub fn new(transport: Transport, token: Option<String>) -> Api {
        Api { transport, token }
    }

    /// The WebSocket URL for live notifications, when signed in.
    pub fn websocket_url(&self) -> Option<String> {
        let token = self.token.as_ref()?;
        Some(self.transport.websocket_url(&format!("/api/ws?token={token}")))
    }

    async fn send(
        &self,
        method: Method,
        path: String,
        body: Option<String>,
        idempotency_key: Option<String>,
    ) -> Result<String, ClientError> {
        let mut req = RawRequest { method, path, body, token: self.token.clone(), idempotency_key };
        let mut answer = self.transport.send(&req).await?;
        if let Some(token) = &answer.token {
            session::announce(token);
        }
        // An access token lasts minutes: an expired one is renewed once and the request sent
        // again. The sign-in routes answer 401 for wrong passwords, which no refresh mends.
        if answer.status == 401
            && req.token.is_some()
            && !req.path.starts_with("/api/auth/")
            && let Some(token) = session::refresh(&self.transport).await
        {
            req.token = Some(token);
            answer = self.transport.send(&req).await?;
        }
        if (200..300).contains(&answer.status) {
            Ok(answer.body)
        } else {
            Err(ClientError::from_answer(answer.status, &answer.body))
        }
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: String,
        body: Option<&impl Serialize>,
    ) -> Result<T, ClientError> {
        let body = body.map(|b| serde_json::to_string(b)).transpose().map_err(not_writable)?;
        let text = self.send(method, path, body, None).await?;
        decode(&text)
    }

    async fn get<T: DeserializeOwned>(&self, path: String) -> Result<T, ClientError> {
        self.call(Method::Get, path, None::<&()>).await
    }

    /// `POST /api/auth/register`.
    pub async fn register(&self, req: &RegisterRequest) -> Result<AuthResponse, ClientError> {
        self.call(Method::Post, "/api/auth/register".into(), Some(req)).await
    }

    /// `POST /api/auth/login`.
    pub async fn login(&self, req: &LoginRequest) -> Result<AuthResponse, ClientError> {
        self.call(Method::Post, "/api/auth/login".into(), Some(req)).await
    }

    /// `POST /api/auth/logout`: ends this session on the server.
    pub async fn logout(&self) {
        if let Some(token) = &self.token {
            self.transport.logout(token).await;
        }
    }

    /// A fresh access token for this session, if it is still open.
    pub async fn refresh(&self) -> Option<String> {
        session::refresh(&self.transport).await
    }

    /// `GET /api/me`.
    pub async fn me(&self) -> Result<User, ClientError> {
        self.get("/api/me".into()).await
    }

    /// `GET /api/driveways?…`.
    pub async fn search(&self, q: &SearchQuery) -> Result<Vec<SearchItem>, ClientError> {
        let text = self.send(Method::Get, format!("/api/driveways?{}", q.query_string()), None, None).await?;
        parse_search(&text)
    }

    /// `GET /api/driveways/clusters?…`: the driveways of a view too wide for a search, grouped
    /// at the map's `zoom`.
    pub async fn clusters(&self, q: &SearchQuery, zoom: f64) -> Result<ClusterPage, ClientError> {
        self.get(format!("/api/driveways/clusters?{}", q.clusters_query_string(zoom))).await
    }

    /// `GET /api/places?…`: places matching `q`, nearer to `near` first. While someone types
    /// (`typing`), the server's external geocoder answers only from its cache.
    pub async fn places(&self, q: &str, near: Option<(f64, f64)>, typing: bool) -> Result<Vec<Place>, ClientError> {
        let mut path = format!("/api/places?limit=6&q={}", String::from(js_sys::encode_uri_component(q)));
        if let Some((lat, lng)) = near {
            path += &format!("&near={},{}", coordinate(lat.clamp(-90.0, 90.0)), coordinate(lng.clamp(-180.0, 180.0)));
        }
        if typing {
            path += "&autocomplete=true";
        }
        let page: Items<Place> = self.get(path).await?;
        Ok(page.items)
    }

    /// `GET /api/driveways/:id` (with access instructions for a confirmed driver or the owner).
    pub async fn driveway(&self, id: Uuid) -> Result<Driveway, ClientError> {
        self.get(format!("/api/driveways/{id}")).await
    }

    /// `GET /api/driveways/:id/availability` for the next `days` days.
    pub async fn busy(&self, id: Uuid, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Busy, ClientError> {
        self.get(format!("/api/driveways/{id}/availability?from={}&to={}", rfc3339(from), rfc3339(to))).await
    }

    /// `GET /api/me/driveways`.
    pub async fn my_driveways(&self) -> Result<Vec<Driveway>, ClientError> {
        Ok(self.get::<Items<Driveway>>("/api/me/driveways".into()).await?.items)
    }

    /// `POST /api/driveways`.
    pub async fn create_driveway(&self, d: &NewDriveway) -> Result<Driveway, ClientError> {
        self.call(Method::Post, "/api/driveways".into(), Some(d)).await
    }

    /// `PUT /api/driveways/:id`.
    pub async fn update_driveway(&self, id: Uuid, patch: &DrivewayPatch) -> Result<Driveway, ClientError> {
        self.call(Method::Put, format!("/api/driveways/{id}"), Some(patch)).await
    }

    /// `DELETE /api/driveways/:id`.
    pub async fn delete_driveway(&self, id: Uuid) -> Result<(), ClientError> {
        self.send(Method::Delete, format!("/api/driveways/{id}"), None, None).await.map(drop)
    }

    /// `POST /api/bookings` with an `Idempotency-Key`, retried with backoff on network errors
    /// and 5xx answers; every retry carries the same key, so at most one booking is made.
    pub async fn create_booking(&self, req: &NewBooking, idempotency_key: &str) -> Result<Booking, ClientError> {
        let body = serde_json::to_string(req).map_err(not_writable)?;
        let text = retry::with_retries(retry::Backoff::STANDARD, || {
            self.send(Method::Post, "/api/bookings".into(), Some(body.clone()), Some(idempotency_key.to_owned()))
        })
        .await?;
        decode(&text)
    }

    /// `POST /api/bookings/:id/extend`: makes the driver's stay longer. Like booking, with an
    /// `Idempotency-Key` and retried with backoff, so at most one extension is made per attempt.
    pub async fn extend_booking(
        &self,
        id: Uuid,
        req: &ExtendBooking,
        idempotency_key: &str,
    ) -> Result<Booking, ClientError> {
        let body = serde_json::to_string(req).map_err(not_writable)?;
        let text = retry::with_retries(retry::Backoff::STANDARD, || {
            self.send(
                Method::Post,
                format!("/api/bookings/{id}/extend"),
                Some(body.clone()),
                Some(idempotency_key.to_owned()),
            )
        })
        .await?;
        decode(&text)
    }

    /// `GET /api/bookings/:id/messages?after=`: the stay's messages after `after`, oldest first.
    pub async fn messages(&self, booking: Uuid, after: i64) -> Result<Vec<Message>, ClientError> {
        Ok(self.get::<Items<Message>>(format!("/api/bookings/{booking}/messages?after={after}&limit=100")).await?.items)
    }

    /// `PUT /api/driveways/:id/photos/order`: the gallery in the order given.
    pub async fn order_photos(&self, driveway: Uuid, photo_ids: Vec<Uuid>) -> Result<Vec<Photo>, ClientError> {
        let body = PhotoOrder { photo_ids };
        Ok(self
            .call::<Items<Photo>>(Method::Put, format!("/api/driveways/{driveway}/photos/order"), Some(&body))
            .await?
            .items)
    }

    /// `DELETE /api/driveways/:id/photos/:photoId`.
    pub async fn delete_photo(&self, driveway: Uuid, photo: Uuid) -> Result<(), ClientError> {
        self.send(Method::Delete, format!("/api/driveways/{driveway}/photos/{photo}"), None, None).await.map(drop)
    }

    /// Where a photo's file is (`/media/…` on the server this client talks to).
    pub fn media_url(&self, path: &str) -> String {
        self.transport.media_url(path)
    }

    /// `POST /api/bookings/:id/messages/read`: the other side's messages in the stay are read.
    pub async fn read_messages(&self, booking: Uuid) -> Result<(), ClientError> {
        self.send(Method::Post, format!("/api/bookings/{booking}/messages/read"), None, None).await.map(drop)
    }

    /// `GET /api/bookings` (as driver) or `?as=owner`.
    pub async fn bookings(&self, as_owner: bool) -> Result<Vec<Booking>, ClientError> {
        let path = if as_owner { "/api/bookings?as=owner&limit=200" } else { "/api/bookings?limit=200" };
        Ok(self.get::<Items<Booking>>(path.into()).await?.items)
    }

    /// `PUT /api/bookings/:id/cancel` (driver cancels, or owner cancels or declines).
    pub async fn cancel_booking(&self, id: Uuid) -> Result<Booking, ClientError> {
        self.call(Method::Put, format!("/api/bookings/{id}/cancel"), None::<&()>).await
    }

    /// `PUT /api/bookings/:id/confirm` (the owner).
    pub async fn confirm_booking(&self, id: Uuid) -> Result<Booking, ClientError> {
        self.call(Method::Put, format!("/api/bookings/{id}/confirm"), None::<&()>).await
    }

    /// `POST /api/payments/create-payment-intent` (idempotent per booking).
    pub async fn create_payment_intent(&self, booking: Uuid) -> Result<PaymentIntent, ClientError> {
        // A uuid needs no escaping; writing the body by hand spares a serialiser.
        let body = format!(r#"{{"bookingId":"{booking}"}}"#);
        let json = retry::with_retries(retry::Backoff::STANDARD, || {
            self.send(Method::Post, "/api/payments/create-payment-intent".into(), Some(body.clone()), None)
        })
        .await?;
        let intent = decode(&json)?;
        Ok(PaymentIntent { json, ..intent })
    }

    /// `POST /api/payments/simulated/:id/confirm`: the simulated provider's card form.
    pub async fn pay_simulated(&self, intent: &str, card: &str) -> Result<(), ClientError> {
        let body = serde_json::to_string(&Card { card }).map_err(not_writable)?;
        self.send(Method::Post, format!("/api/payments/simulated/{intent}/confirm"), Some(body), None).await.map(drop)
    }

    /// `GET /api/payments/status/:id`.
    pub async fn payment_state(&self, intent: &str) -> Result<PaymentState, ClientError> {
        self.get(format!("/api/payments/status/{intent}")).await
    }

    /// `GET /api/notifications?after=` (oldest first).
    pub async fn notifications(&self, after: i64) -> Result<Vec<Notification>, ClientError> {
        Ok(self.get::<Items<Notification>>(format!("/api/notifications?after={after}&limit=100")).await?.items)
    }

    /// `POST /api/notifications/:id/read`.
    pub async fn mark_read(&self, id: i64) -> Result<(), ClientError> {
        self.send(Method::Post, format!("/api/notifications/{id}/read"), None, None).await.map(drop)
    }

    /// `GET /api/metrics/owner`.
    pub async fn owner_metrics(&self) -> Result<OwnerMetrics, ClientError> {
        self.get("/api/metrics/owner".into()).await
    }

    /// `GET /api/payouts/account`.
    pub async fn payout_account(&self) -> Result<parkway_core::api::PayoutAccount, ClientError> {
        self.get("/api/payouts/account".into()).await
    }

    /// `POST /api/payouts/onboarding`: a fresh link to give payout details.
    pub async fn start_onboarding(&self) -> Result<parkway_core::api::OnboardingLink, ClientError> {
        let text = self.send(Method::Post, "/api/payouts/onboarding".into(), Some("{}".into()), None).await?;
        decode(&text)
    }

    /// `GET /api/earnings` over the server's default period (the last year and the year ahead).
    pub async fn earnings(&self) -> Result<parkway_core::api::Earnings, ClientError> {
        self.get("/api/earnings".into()).await
    }

    /// `GET /api/earnings?format=csv`: the same period as CSV text, for the owner's accountant.
    pub async fn earnings_csv(&self) -> Result<String, ClientError> {
        self.send(Method::Get, "/api/earnings?format=csv".into(), None, None).await.map(plain_text)
    }

    /// `GET /api/bookings/:id/receipt`: the receipt as a page to print.
    pub async fn receipt_html(&self, id: Uuid) -> Result<String, ClientError> {
        self.send(Method::Get, format!("/api/bookings/{id}/receipt"), None, None).await.map(plain_text)
    }

    /// `GET /api/me/vehicles`: the driver's vehicles, the default first.
    pub async fn vehicles(&self) -> Result<Vec<parkway_core::vehicle::Vehicle>, ClientError> {
        self.get::<Items<parkway_core::vehicle::Vehicle>>("/api/me/vehicles".into()).await.map(|v| v.items)
    }

    /// `POST /api/me/vehicles`.
    pub async fn add_vehicle(
        &self,
        fields: &parkway_core::vehicle::VehicleFields,
    ) -> Result<parkway_core::vehicle::Vehicle, ClientError> {
        self.call(Method::Post, "/api/me/vehicles".into(), Some(fields)).await
    }

    /// `PUT /api/me/vehicles/:id`.
    pub async fn update_vehicle(
        &self,
        id: Uuid,
        fields: &parkway_core::vehicle::VehicleFields,
    ) -> Result<parkway_core::vehicle::Vehicle, ClientError> {
        self.call(Method::Put, format!("/api/me/vehicles/{id}"), Some(fields)).await
    }

    /// `DELETE /api/me/vehicles/:id`.
    pub async fn delete_vehicle(&self, id: Uuid) -> Result<(), ClientError> {
        self.send(Method::Delete, format!("/api/me/vehicles/{id}"), None, None).await.map(drop)
    }

    /// `GET /api/bookings/:id/review`: the booking's review, or `None` while it has none.
    pub async fn review(&self, booking: Uuid) -> Result<Option<Review>, ClientError> {
        match self.get(format!("/api/bookings/{booking}/review")).await {
            Ok(r) => Ok(Some(r)),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `POST /api/bookings/:id/review` (a new review) or `PUT` (an edit).
    pub async fn save_review(&self, booking: Uuid, fields: &ReviewFields, edit: bool) -> Result<Review, ClientError> {
        let method = if edit { Method::Put } else { Method::Post };
        self.call(method, format!("/api/bookings/{booking}/review"), Some(fields)).await
    }

    /// `POST /api/bookings/:id/review/reply`: the owner's one answer.
    pub async fn reply_review(&self, booking: Uuid, reply: &ReviewReply) -> Result<Review, ClientError> {
        self.call(Method::Post, format!("/api/bookings/{booking}/review/reply"), Some(reply)).await
    }

    /// `GET /api/driveways/:id/reviews`: a page of a driveway's reviews, newest first.
    pub async fn driveway_reviews(&self, driveway: Uuid, limit: u32, offset: u32) -> Result<Vec<Review>, ClientError> {
        let path = format!("/api/driveways/{driveway}/reviews?limit={}&offset={offset}", limit.clamp(1, 50));
        self.get::<Items<Review>>(path).await.map(|p| p.items)
    }

    /// `GET /api/payouts`: the owner's payouts to their bank, newest first.
    pub async fn payouts(&self) -> Result<Vec<parkway_core::api::PayoutLine>, ClientError> {
        self.get::<Items<parkway_core::api::PayoutLine>>("/api/payouts".into()).await.map(|p| p.items)
    }
}

/// A text answer (a page, a CSV) as it was sent. Inside the app it arrives as one JSON string
/// (the app's bridge carries JSON); a page or a CSV never starts with a quote, so only that
/// wrapping is undone.
fn plain_text(body: String) -> String {
    if body.starts_with('"') { decode::<String>(&body).unwrap_or(body) } else { body }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_view_wider_than_a_search_asks_to_zoom_in() {
        let city = Area::Bounds { west: -122.52, south: 37.70, east: -122.35, north: 37.83 };
        assert!(!city.too_wide());
        let state = Area::Bounds { west: -124.0, south: 36.0, east: -120.0, north: 39.0 };
        assert!(state.too_wide());
        let world = Area::Bounds { west: -200.0, south: -95.0, east: 200.0, north: 95.0 };
        assert!(world.too_wide());
        assert!(!Area::Around { lat: 1.0, lng: 1.0, radius_m: 2000.0 }.too_wide());
    }

    #[test]
    fn search_query_strings() {
        let q = SearchQuery {
            area: Area::Bounds { west: -190.0, south: 37.7, east: -122.3, north: 37.8 },
            slot: Some((
                DateTime::parse_from_rfc3339("2026-11-24T10:00:00+01:00").expect("t").with_timezone(&Utc),
                DateTime::parse_from_rfc3339("2026-11-24T11:00:00Z").expect("t").with_timezone(&Utc),
            )),
            max_price_per_hour: Some(Cents(500)),
            min_rating: Some(4),
            limit: 200,
        };
        assert_eq!(
            q.query_string(),
            "bbox=-180.000000,37.700000,-122.300000,37.800000&start=2026-11-24T09:00:00Z&end=2026-11-24T11:00:00Z&maxPricePerHourCents=500&minRating=4&limit=200"
        );
        // The clusters of the same view: its box, the map's whole zoom, the slot and the price.
        assert_eq!(
            q.clusters_query_string(5.7),
            "bbox=-180.000000,37.700000,-122.300000,37.800000&zoom=5&start=2026-11-24T09:00:00Z&end=2026-11-24T11:00:00Z&maxPricePerHourCents=500"
        );
        let q = SearchQuery {
            area: Area::Around { lat: 1.5, lng: 2.25, radius_m: 1500.0 },
            slot: None,
            max_price_per_hour: None,
            min_rating: None,
            limit: 9999,
        };
        assert_eq!(q.query_string(), "lat=1.500000&lng=2.250000&radiusM=1500&limit=500");
    }

    #[test]
    fn search_answers_are_read_without_flattening() {
        let json = serde_json::json!({"items": [{
            "id": Uuid::nil(), "owner": Uuid::nil(), "title": "t", "address": "a", "lat": 1.0, "lng": 2.0,
            "pricePerHourCents": 100, "pricePerDayCents": null, "currency": "usd", "timezone": "UTC",
            "instantBook": false, "accessInstructions": null, "availability": [],
            "createdAt": "2026-11-24T09:00:00Z", "updatedAt": "2026-11-24T09:00:00Z",
            "distanceM": 12.5, "quoteCents": 300
        }]});
        let items = parse_search(&json.to_string()).expect("parse");
        let expected: Items<SearchItem> = serde_json::from_value(json).expect("flattened");
        assert_eq!(items, expected.items);
        assert_eq!(items[0].quote_cents, Some(Cents(300)));
    }

    #[test]
    fn notifications_keep_only_what_the_ui_acts_on() {
        let text = r#"{"id":7,"type":"booking_confirmed","title":"T","message":"M","data":{"bookingId":"x","drivewayId":"y","n":[1.5,{"a":null}]},"createdAt":"2026-11-24T09:00:00Z"}"#;
        let n = parse_notification(text).expect("parse");
        assert_eq!((n.id, n.kind.as_str(), n.title.as_str()), (7, "booking_confirmed", "T"));
        assert_eq!(n.read_at, None);
        assert_eq!((n.booking(), n.action()), (None, None), "a booking id that is no id names nothing");
        assert!(parse_notification("{}").is_none());
    }

    #[test]
    fn a_message_keeps_its_stay() {
        let text = r#"{"id":9,"type":"message","title":"Message from Dana","message":"Where do I park?","data":{"bookingId":"b1","messageId":3},"createdAt":"2026-11-24T09:00:00Z"}"#;
        let b1 = Uuid::from_u128(1);
        let text = text.replace("b1", &b1.to_string());
        let n = parse_notification(&text).expect("parse");
        assert_eq!(n.data, NoteData::about(b1, None, None));
        let reply = text.replace(r#""messageId":3"#, r#""messageId":3,"action":"reply","as":"owner""#);
        let n = parse_notification(&reply).expect("parse");
        assert_eq!(n.data, NoteData::about(b1, Some("reply"), Some("owner")));
    }

    #[test]
    fn an_offer_to_extend_keeps_its_action_and_booking() {
        let text = r#"{"id":8,"type":"booking_reminder","title":"T","message":"M","data":{"bookingId":"b1","action":"extend","nested":{"a":[1]}},"createdAt":"2026-11-24T09:00:00Z"}"#;
        let n = parse_notification(text).expect("parse");
        assert_eq!((n.action(), n.data.clone().and_then(|d| d.booking_id)), (Some("extend"), Some("b1".to_owned())));
        let null = r#"{"id":9,"type":"booking_reminder","title":"T","message":"M","data":null,"createdAt":"2026-11-24T09:00:00Z"}"#;
        assert_eq!(parse_notification(null).expect("parse").data, None);
    }

    #[test]
    fn text_answers_come_back_as_sent_whichever_way_they_travelled() {
        assert_eq!(plain_text("<!doctype html><p>x</p>".into()), "<!doctype html><p>x</p>");
        assert_eq!(plain_text(r#""a,b\nc""#.into()), "a,b\nc", "the app's JSON string is unwrapped");
        assert_eq!(plain_text("booking_id,driveway".into()), "booking_id,driveway");
    }

    #[test]
    fn websocket_urls_follow_the_base() {
        let api = Api::new(Transport::Http { base: "https://p.example".into() }, Some("t0k".into()));
        assert_eq!(api.websocket_url().as_deref(), Some("wss://p.example/api/ws?token=t0k"));
        assert_eq!(Api::new(Transport::Http { base: String::new() }, None).websocket_url(), None);
    }
}
