//! Request and response bodies of the HTTP contract (camelCase JSON).
//!
//! Requests arrive as plain data here and are parsed into the rule-carrying types of the other
//! modules at the server's edge; responses are built from stored, already-valid data.

use crate::availability::WeeklySchedule;
use crate::booking::{BookingStatus, PaymentStatus};
use crate::money::{Cents, Currency};
use crate::slot::TimeSlot;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use uuid::Uuid;

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Books driveways.
    Driver,
    /// Lists driveways.
    Owner,
}

impl Role {
    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Driver => "driver",
            Role::Owner => "owner",
        }
    }
}

/// `POST /api/auth/register`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterRequest {
    /// Login email.
    pub email: String,
    /// At least 8 characters.
    pub password: String,
    /// Shown to the other party of a booking.
    pub name: String,
    /// Non-empty subset of driver and owner.
    pub roles: Vec<Role>,
}

/// `POST /api/auth/login`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginRequest {
    /// Login email.
    pub email: String,
    /// Password.
    pub password: String,
}

/// A user as the API shows them: never a password hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// Id.
    pub id: Uuid,
    /// Email.
    pub email: String,
    /// Name.
    pub name: String,
    /// Roles.
    pub roles: Vec<Role>,
    /// When they signed up.
    #[serde(deserialize_with = "crate::time::utc")]
    pub created_at: DateTime<Utc>,
}

/// The answer to register and login.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthResponse {
    /// A short-lived bearer token (about 15 minutes) naming the session.
    pub token: String,
    /// Single-use, long-lived: trades for a fresh pair at `POST /api/auth/refresh`.
    #[serde(default)]
    pub refresh_token: String,
    /// Who signed in.
    pub user: User,
}

/// `POST /api/auth/refresh`: the refresh token, unless the web UI's cookie carries it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshRequest {
    /// The refresh token of the last login or refresh.
    #[serde(default)]
    pub refresh_token: Option<String>,
}

/// The answer to a refresh: a new access token and a new refresh token (the old one is spent).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenPair {
    /// A short-lived bearer token.
    pub token: String,
    /// The next refresh token, when the spent one came in the body. A refresh by cookie gets
    /// the next one only in the cookie, out of the page scripts' reach.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// `POST /api/auth/password`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordChange {
    /// Proves the caller knows the account, not only holds a token.
    pub current_password: String,
    /// At least 8 characters.
    pub new_password: String,
}

/// One open session of the caller (`GET /api/auth/sessions`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    /// Ends it with `DELETE /api/auth/sessions/:id`.
    pub id: Uuid,
    /// When it signed in.
    #[serde(deserialize_with = "crate::time::utc")]
    pub created_at: DateTime<Utc>,
    /// Its last refresh or sign-in.
    #[serde(deserialize_with = "crate::time::utc")]
    pub last_used_at: DateTime<Utc>,
    /// The client that signed in, as it named itself.
    pub user_agent: Option<String>,
    /// True for the session making this request.
    pub current: bool,
}

/// A position sent by a client.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LatLng {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lng: f64,
}

/// A driveway.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Driveway {
    /// Id.
    pub id: Uuid,
    /// Owner's user id.
    pub owner: Uuid,
    /// Short title.
    pub title: String,
    /// Street address.
    pub address: String,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lng: f64,
    /// Price of an hour.
    pub price_per_hour_cents: Cents,
    /// Optional cap per 24 h.
    pub price_per_day_cents: Option<Cents>,
    /// ISO 4217, lower case.
    pub currency: Currency,
    /// IANA time zone of the schedule.
    pub timezone: String,
    /// Bookings are confirmed as soon as they are paid.
    pub instant_book: bool,
    /// Shown only to the owner and to drivers with a confirmed booking.
    pub access_instructions: Option<String>,
    /// Weekly opening hours; empty = always open.
    pub availability: WeeklySchedule,
    /// What its reviews add up to; `null` until it has one.
    #[serde(default)]
    pub rating: Option<crate::review::RatingSummary>,
    /// Its photos, first shown first.
    #[serde(default)]
    pub photos: Vec<crate::photo::Photo>,
    /// Created.
    #[serde(deserialize_with = "crate::time::utc")]
    pub created_at: DateTime<Utc>,
    /// Last changed.
    #[serde(deserialize_with = "crate::time::utc")]
    pub updated_at: DateTime<Utc>,
}

/// `POST /api/driveways`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewDriveway {
    /// Short title.
    pub title: String,
    /// Street address.
    pub address: String,
    /// Latitude; with `lng` omitted too, the server looks the address up.
    #[serde(default)]
    pub lat: Option<f64>,
    /// Longitude.
    #[serde(default)]
    pub lng: Option<f64>,
    /// Price of an hour, > 0.
    pub price_per_hour_cents: i64,
    /// Optional cap per 24 h, > 0.
    #[serde(default)]
    pub price_per_day_cents: Option<i64>,
    /// Default `usd`.
    #[serde(default)]
    pub currency: Option<String>,
    /// Default: the zone at the driveway's position.
    #[serde(default)]
    pub timezone: Option<String>,
    /// Default false (request to book).
    #[serde(default)]
    pub instant_book: Option<bool>,
    /// Optional.
    #[serde(default)]
    pub access_instructions: Option<String>,
    /// Default: always open.
    #[serde(default)]
    pub availability: Option<WeeklySchedule>,
}

/// `PUT /api/driveways/:id`: every field optional; `null` clears a nullable field.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DrivewayPatch {
    /// New title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// New address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// New latitude.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    /// New longitude.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lng: Option<f64>,
    /// New hourly price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_per_hour_cents: Option<i64>,
    /// New daily cap; `null` removes it.
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
    pub price_per_day_cents: Option<Option<i64>>,
    /// New currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// New time zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Instant book on or off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instant_book: Option<bool>,
    /// New instructions; `null` removes them.
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
    pub access_instructions: Option<Option<String>>,
    /// New schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability: Option<WeeklySchedule>,
}

/// Tells "absent" (`None`) from "null" (`Some(None)`).
fn nullable<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// One search result: a driveway with its distance and, for a slot, its price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchItem {
    /// The driveway.
    #[serde(flatten)]
    pub driveway: Driveway,
    /// From the search centre, in metres.
    pub distance_m: f64,
    /// The server's price for the requested slot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote_cents: Option<Cents>,
}

/// What a place search result is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlaceKind {
    /// A city of at least 15,000 people.
    City,
    /// A smaller town or village.
    Town,
    /// A listed driveway, found by its title or address.
    Driveway,
    /// A street address from the external geocoder.
    Address,
    /// Anything else the external geocoder knows: a landmark, a park, a district.
    Place,
}

/// One `GET /api/places` result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Place {
    /// What to show: "Oakland, CA, United States".
    pub label: String,
    /// What it is.
    pub kind: PlaceKind,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lng: f64,
    /// `[minLng, minLat, maxLng, maxLat]` when the place is an area the map should fit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bbox: Option<[f64; 4]>,
}

/// One mark of `GET /api/driveways/clusters`: a group of driveways drawn as one circle, or
/// a single driveway standing apart (`count` 1, with its id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cluster {
    /// Latitude: the group's centre, or the driveway's own position.
    pub lat: f64,
    /// Longitude.
    pub lng: f64,
    /// How many driveways passing the filters it stands for.
    pub count: u32,
    /// The lowest hourly price among them, in cents.
    pub min_price_cents: i64,
    /// The driveway, when `count` is 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driveway_id: Option<Uuid>,
    /// Its currency, when `count` is 1 (a group's driveways may charge in several).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
}

/// `GET /api/driveways/clusters`: the marks, and how many driveways they stand for in all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterPage {
    /// The marks, in no particular order.
    pub items: Vec<Cluster>,
    /// The sum of their counts: the driveways in the box that pass the filters.
    pub total: u64,
}

/// A list answer: `{"items": [...]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Items<T> {
    /// The items.
    pub items: Vec<T>,
}

/// `GET /api/driveways`: the results, and whether the search stopped at its candidate budget
/// before looking at every driveway in the area.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchPage {
    /// Nearest first.
    pub items: Vec<SearchItem>,
    /// True when more driveways matched than one search examines: zoom in for the rest.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

/// `GET /api/driveways/:id/availability`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Busy {
    /// Slots held by pending or confirmed bookings.
    pub busy: Vec<TimeSlot>,
}

/// `GET /api/driveways/:id/quote`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Quote {
    /// The server's price.
    pub total_cents: Cents,
    /// Its currency.
    pub currency: Currency,
}

/// A booking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Booking {
    /// Id.
    pub id: Uuid,
    /// The driveway's id.
    pub driveway: Uuid,
    /// The driver's user id.
    pub driver: Uuid,
    /// Start (UTC).
    #[serde(deserialize_with = "crate::time::utc")]
    pub start_time: DateTime<Utc>,
    /// End (UTC).
    #[serde(deserialize_with = "crate::time::utc")]
    pub end_time: DateTime<Utc>,
    /// Server-computed price.
    pub total_cents: Cents,
    /// Currency.
    pub currency: Currency,
    /// Booking state.
    pub status: BookingStatus,
    /// Payment state.
    pub payment_status: PaymentStatus,
    /// The payment provider's intent id.
    pub stripe_payment_id: Option<String>,
    /// Driver's notes for the owner.
    pub special_requests: Option<String>,
    /// Where the driver was when booking.
    pub driver_location: Option<LatLng>,
    /// The vehicle that parks, as it was when booked (or switched to); none if the driver has
    /// no vehicle.
    #[serde(default)]
    pub vehicle: Option<crate::vehicle::VehicleSnapshot>,
    /// For an extension: the booking whose stay it makes longer (it starts where that stay
    /// ends, and is paid, confirmed and refunded on its own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension_of: Option<Uuid>,
    /// Created.
    #[serde(deserialize_with = "crate::time::utc")]
    pub created_at: DateTime<Utc>,
    /// Last changed.
    #[serde(deserialize_with = "crate::time::utc")]
    pub updated_at: DateTime<Utc>,
}

/// `POST /api/bookings/:id/extend`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtendBooking {
    /// The stay's new end.
    #[serde(deserialize_with = "crate::time::utc")]
    pub end_time: DateTime<Utc>,
    /// The extra the client showed; a different server price answers `409 price_mismatch`.
    #[serde(default)]
    pub expected_extra_cents: Option<Cents>,
}

/// `POST /api/bookings`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewBooking {
    /// The driveway's id.
    pub driveway: Uuid,
    /// Start.
    #[serde(deserialize_with = "crate::time::utc")]
    pub start_time: DateTime<Utc>,
    /// End.
    #[serde(deserialize_with = "crate::time::utc")]
    pub end_time: DateTime<Utc>,
    /// Notes for the owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub special_requests: Option<String>,
    /// Where the driver is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver_location: Option<LatLng>,
    /// The price the driver saw; the server refuses a different one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_total_cents: Option<i64>,
    /// A payment made before the booking (direct payment intents).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stripe_payment_id: Option<String>,
    /// The driver's vehicle that parks; without it, their default vehicle (if any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vehicle_id: Option<Uuid>,
}

/// `PUT /api/bookings/:id`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BookingPatch {
    /// New start.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::time::utc_opt")]
    pub start_time: Option<DateTime<Utc>>,
    /// New end.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::time::utc_opt")]
    pub end_time: Option<DateTime<Utc>>,
    /// New notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub special_requests: Option<String>,
    /// Another of the driver's vehicles parks (until the booking starts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vehicle_id: Option<Uuid>,
}

/// `GET /api/metrics/owner`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OwnerMetrics {
    /// Every booking on the owner's driveways.
    pub bookings: i64,
    /// Currently confirmed.
    pub confirmed: i64,
    /// Cancelled.
    pub cancelled: i64,
    /// Completed.
    pub completed: i64,
    /// Money kept from paid bookings (after refunds).
    pub revenue_cents: Cents,
    /// The owner's share of it, after the platform's fee on each booking.
    pub net_revenue_cents: Cents,
    /// cancelled / bookings, 0 when there are none.
    pub cancellation_rate: f64,
    /// Mean booked duration.
    pub average_duration_minutes: f64,
    /// Bookings ever paid / bookings.
    pub payment_completion_rate: f64,
}

/// One paid booking in `GET /api/earnings`: what it brought, the platform's fee, the owner's
/// net, and where that money stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EarningLine {
    /// The booking.
    pub booking_id: Uuid,
    /// Its driveway.
    pub driveway: Uuid,
    /// The driveway's title.
    pub driveway_title: String,
    /// The booked slot's start.
    #[serde(deserialize_with = "crate::time::utc")]
    pub start_time: DateTime<Utc>,
    /// The booked slot's end.
    #[serde(deserialize_with = "crate::time::utc")]
    pub end_time: DateTime<Utc>,
    /// The booking's status.
    pub status: BookingStatus,
    /// What the driver paid.
    pub gross_cents: Cents,
    /// What was given back to the driver.
    pub refunded_cents: Cents,
    /// The platform's fee on what was kept.
    pub fee_cents: Cents,
    /// The owner's share: gross − refunded − fee.
    pub net_cents: Cents,
    /// The currency of every amount on the line.
    pub currency: Currency,
    /// Where the owner's share stands.
    pub state: crate::earnings::EarningState,
}

/// Sums of earning lines: per month (`key` = `2026-11`, in the driveway's time zone), per
/// driveway (`key` = its id), or over everything (`key` = `all`). One entry per currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EarningTotal {
    /// What is summed: a month, a driveway id, or `all`.
    pub key: String,
    /// A name for people: the month or the driveway's title.
    pub label: String,
    /// The currency of the sums.
    pub currency: Currency,
    /// Paid bookings counted.
    pub bookings: i64,
    /// Paid by drivers.
    pub gross_cents: Cents,
    /// Given back.
    pub refunded_cents: Cents,
    /// The platform's fees.
    pub fee_cents: Cents,
    /// The owner's share.
    pub net_cents: Cents,
}

/// `GET /api/payouts/account`: where the owner's payout account stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayoutAccount {
    /// `none` until onboarding starts.
    pub status: crate::earnings::AccountStatus,
    /// True when the provider pays out to the owner's bank.
    pub payouts_enabled: bool,
    /// What the provider still needs from the owner, in its words.
    pub requirements_due: Vec<String>,
    /// True when no money moves (the simulated provider of the embedded default).
    #[serde(default)]
    pub simulated: bool,
}

/// `POST /api/payouts/onboarding`: where to send the owner to give their payout details.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnboardingLink {
    /// A one-time link; a spent or expired one is replaced by asking again.
    pub url: String,
}

/// One payout from the owner's provider balance to their bank (`GET /api/payouts`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayoutLine {
    /// The provider's id (`po_…`).
    pub id: String,
    /// How much.
    pub amount_cents: Cents,
    /// Its currency.
    pub currency: Currency,
    /// Where it stands.
    pub status: crate::earnings::PayoutStatus,
    /// Why it failed, in the provider's words (only for a failed payout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_message: Option<String>,
    /// When the bank should have it.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::time::utc_opt")]
    pub arrival_time: Option<DateTime<Utc>>,
    /// When it was made.
    #[serde(deserialize_with = "crate::time::utc")]
    pub created_at: DateTime<Utc>,
}

/// `GET /api/earnings`: the owner's paid bookings in a period, with totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Earnings {
    /// The period's start (inclusive), by booking start.
    #[serde(deserialize_with = "crate::time::utc")]
    pub from: DateTime<Utc>,
    /// The period's end (exclusive).
    #[serde(deserialize_with = "crate::time::utc")]
    pub to: DateTime<Utc>,
    /// One line per paid booking, oldest first.
    pub items: Vec<EarningLine>,
    /// Per month, oldest first.
    pub months: Vec<EarningTotal>,
    /// Per driveway, by title.
    pub driveways: Vec<EarningTotal>,
    /// Over the whole period, one per currency.
    pub totals: Vec<EarningTotal>,
    /// The platform's fee in basis points (1500 = 15 %).
    pub fee_bps: u32,
    /// Hours after a booking ends before its money moves to the owner.
    pub settlement_hours: i64,
    /// True when the period held more paid bookings than one answer lists; the sums cover the
    /// lines listed only. Ask for a shorter period.
    pub truncated: bool,
}

/// A notification as clients receive it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    /// Increasing id, for `after=`.
    pub id: i64,
    /// The kind, e.g. `booking_created`.
    #[serde(rename = "type")]
    pub kind: crate::notification::NotificationType,
    /// Short title.
    pub title: String,
    /// A sentence.
    pub message: String,
    /// At least `bookingId` and `drivewayId`.
    pub data: serde_json::Value,
    /// When it happened.
    #[serde(deserialize_with = "crate::time::utc")]
    pub created_at: DateTime<Utc>,
    /// When the user marked it read.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::time::utc_opt")]
    pub read_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_tells_null_from_absent() {
        let p: DrivewayPatch = serde_json::from_str(r#"{"pricePerDayCents":null}"#).expect("json");
        assert_eq!(p.price_per_day_cents, Some(None));
        assert_eq!(p.access_instructions, None);
    }

    #[test]
    fn search_item_is_flat() {
        let json = serde_json::json!({
            "id": Uuid::nil(), "owner": Uuid::nil(), "title": "t", "address": "a", "lat": 1.0, "lng": 2.0,
            "pricePerHourCents": 100, "pricePerDayCents": null, "currency": "usd", "timezone": "UTC",
            "instantBook": false, "accessInstructions": null, "availability": [],
            "rating": {"average": 4.5, "count": 2}, "photos": [],
            "createdAt": "2026-11-24T09:00:00Z", "updatedAt": "2026-11-24T09:00:00Z",
            "distanceM": 12.5, "quoteCents": 300
        });
        let item: SearchItem = serde_json::from_value(json.clone()).expect("parse");
        assert_eq!(item.quote_cents, Some(Cents(300)));
        assert_eq!(serde_json::to_value(&item).expect("json"), json);
    }
}
