//! The rows that bookings, payments and the jobs share, and the primitives on them: reading a
//! booking with its row locked, moving its status compare-and-swap, a driveway's booking terms,
//! and the active bookings meeting a slot.

use super::db::{Engine, Tx, from_ms, query, to_ms, uuid};
use super::locks::{self, Subject};
use super::sessions::{SESSION_OPEN, TokenSession};
use crate::error::{AppError, AppResult};
use crate::notices::About;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use parkway_core::api::{Booking, LatLng};
use parkway_core::availability::WeeklySchedule;
use parkway_core::booking::BookingStatus;
use parkway_core::money::{Cents, Currency};
use parkway_core::payment::{CaptureMethod, IntentStatus};
use parkway_core::pricing::Rate;
use parkway_core::vehicle::{Plate, VehicleSnapshot};
use uuid::Uuid;

#[derive(sqlx::FromRow)]
pub(crate) struct BookingRow {
    id: String,
    driveway_id: String,
    driver_id: String,
    pub(crate) owner_id: String,
    start_at: i64,
    end_at: i64,
    total_cents: i64,
    currency: String,
    status: String,
    payment_status: String,
    stripe_payment_id: Option<String>,
    special_requests: Option<String>,
    driver_lat: Option<f64>,
    driver_lng: Option<f64>,
    vehicle_plate: Option<String>,
    vehicle_label: Option<String>,
    extension_of: Option<String>,
    created_at: i64,
    updated_at: i64,
}

pub(crate) const BOOKING_COLUMNS: &str = "b.id, b.driveway_id, b.driver_id, b.owner_id, b.start_at, b.end_at, \
    b.total_cents, b.currency, b.status, b.payment_status, b.stripe_payment_id, b.special_requests, b.driver_lat, \
    b.driver_lng, b.vehicle_plate, b.vehicle_label, b.extension_of, b.created_at, b.updated_at";

impl TryFrom<BookingRow> for Booking {
    type Error = sqlx::Error;
    fn try_from(r: BookingRow) -> Result<Booking, sqlx::Error> {
        let bad = |what: &str| sqlx::Error::Decode(format!("bad {what} in bookings").into());
        Ok(Booking {
            id: uuid(&r.id)?,
            driveway: uuid(&r.driveway_id)?,
            driver: uuid(&r.driver_id)?,
            start_time: from_ms(r.start_at),
            end_time: from_ms(r.end_at),
            total_cents: Cents(r.total_cents),
            currency: Currency::parse(&r.currency).map_err(|_| bad("currency"))?,
            status: r.status.parse().map_err(|_| bad("status"))?,
            payment_status: r.payment_status.parse().map_err(|_| bad("payment status"))?,
            stripe_payment_id: r.stripe_payment_id,
            special_requests: r.special_requests,
            driver_location: r.driver_lat.zip(r.driver_lng).map(|(lat, lng)| LatLng { lat, lng }),
            vehicle: r.vehicle_plate.map(|plate| VehicleSnapshot { plate, label: r.vehicle_label }),
            extension_of: r.extension_of.as_deref().map(uuid).transpose()?,
            created_at: from_ms(r.created_at),
            updated_at: from_ms(r.updated_at),
        })
    }
}

/// What a booking needs to know about its driveway.
#[derive(sqlx::FromRow)]
pub(crate) struct DrivewayTerms {
    pub(crate) owner_id: String,
    pub(crate) title: String,
    pub(crate) price_per_hour_cents: i64,
    price_per_day_cents: Option<i64>,
    pub(crate) currency: String,
    pub(crate) timezone: String,
    pub(crate) instant_book: bool,
    availability: String,
}

impl DrivewayTerms {
    pub(crate) fn rate(&self) -> Rate {
        Rate { per_hour: Cents(self.price_per_hour_cents), per_day: self.price_per_day_cents.map(Cents) }
    }

    pub(crate) fn tz(&self) -> Tz {
        self.timezone.parse().unwrap_or(Tz::UTC)
    }

    pub(crate) fn schedule(&self) -> Result<WeeklySchedule, sqlx::Error> {
        serde_json::from_str(&self.availability).map_err(|e| sqlx::Error::Decode(Box::new(e)))
    }

    pub(crate) fn about<'a>(&'a self, booking: &'a Booking) -> About<'a> {
        About { booking, driveway_title: &self.title, timezone: &self.timezone }
    }
}

pub(crate) async fn terms(tx: &mut Tx<'_>, driveway: &str) -> AppResult<Option<DrivewayTerms>> {
    Ok(tx
        .fetch_optional(
            query(
                "SELECT owner_id, title, price_per_hour_cents, price_per_day_cents, currency, timezone, instant_book, \
                 availability FROM driveways WHERE id = ? AND deleted_at IS NULL",
            )
            .bind(driveway),
        )
        .await?)
}

/// What notices about a booking say of its driveway. A driveway deleted since is named by
/// a fallback, in UTC.
pub(crate) struct Listing {
    pub(crate) title: String,
    pub(crate) timezone: String,
    pub(crate) instant_book: bool,
}

impl Listing {
    pub(crate) fn about<'a>(&'a self, booking: &'a Booking) -> About<'a> {
        About { booking, driveway_title: &self.title, timezone: &self.timezone }
    }
}

/// The [`Listing`] of `driveway`, or `fallback_title` if it is gone.
pub(crate) async fn listing(tx: &mut Tx<'_>, driveway: Uuid, fallback_title: &str) -> AppResult<Listing> {
    Ok(match terms(tx, &driveway.to_string()).await? {
        Some(t) => Listing { title: t.title, timezone: t.timezone, instant_book: t.instant_book },
        None => Listing { title: fallback_title.to_owned(), timezone: "UTC".to_owned(), instant_book: false },
    })
}

/// The terms of a live driveway that a booking is being made on or moved on. The driveway's
/// lock is shared first and the row read after, so that a concurrent deletion (which takes the
/// lock exclusively and then checks for bookings) waits for this transaction, or makes this one
/// find the driveway gone. Sharing a row lock instead wrote the busy driveway's row on every
/// booking, and under load a new MultiXact id each time.
pub(crate) async fn bookable_terms(tx: &mut Tx<'_>, driveway: Uuid) -> AppResult<DrivewayTerms> {
    locks::share(tx, Subject::Driveway(driveway)).await?;
    tx.fetch_optional(
        query(format!("SELECT {TERMS_COLUMNS} FROM driveways WHERE id = ? AND deleted_at IS NULL")).bind(driveway),
    )
    .await?
    .ok_or_else(|| AppError::not_found("driveway"))
}

/// The terms of a live driveway a new booking is being made on, with the driver's default
/// vehicle (`None` when they have none), read by the statement that shares the driveway's lock
/// (PostgreSQL) and checks that the driver's session is open: one round trip instead of four. That statement's snapshot is taken before the
/// lock is granted, so it may still show a driveway whose deletion committed while it waited:
/// the booking's insert checks again ([`LIVE_DRIVEWAY`]), and a deletion that comes later waits
/// for this transaction and then sees its booking.
pub(crate) async fn new_booking_terms(
    tx: &mut Tx<'_>,
    driveway: Uuid,
    driver: TokenSession,
    now: DateTime<Utc>,
) -> AppResult<NewBookingRead> {
    let held = match tx.engine() {
        Engine::Sqlite => String::new(),
        Engine::Postgres => format!("({}) AS held, ", locks::share_sql()),
    };
    let mut read = query(format!(
        "SELECT {TERMS_COLUMNS}, v.plate AS default_plate, v.label AS default_label \
         FROM {held}driveways d LEFT JOIN vehicles v ON v.user_id = ? AND v.is_default = ? \
         WHERE d.id = ? AND d.deleted_at IS NULL AND {SESSION_OPEN}"
    ));
    if tx.engine() == Engine::Postgres {
        read = read.bind(Subject::Driveway(driveway).key());
    }
    let read = driver.bind(read.bind(driver.user).bind(true).bind(driveway), now);
    let Some(row) = tx.fetch_optional::<TermsRead>(read).await? else {
        // An ended session answers before a driveway that is not there.
        driver.check_in(tx, now).await?;
        return Err(AppError::not_found("driveway"));
    };
    row.into_read()
}

/// What a new booking reads before its rules: its driveway's terms and the driver's default
/// vehicle.
pub(crate) type NewBookingRead = (DrivewayTerms, Option<VehicleSnapshot>);

#[derive(sqlx::FromRow)]
pub(crate) struct TermsRead {
    #[sqlx(flatten)]
    terms: DrivewayTerms,
    default_plate: Option<String>,
    default_label: Option<String>,
}

impl TermsRead {
    pub(crate) fn into_read(self) -> AppResult<NewBookingRead> {
        let vehicle = match self.default_plate {
            None => None,
            Some(plate) => Some(VehicleSnapshot {
                plate: Plate::parse(&plate).map_err(|e| anyhow::anyhow!("stored plate: {e}"))?.to_string(),
                label: self.default_label,
            }),
        };
        Ok((self.terms, vehicle))
    }
}

/// The condition under which a booking row is written: its driveway is still live, as read by
/// the insert's own snapshot (see [`new_booking_terms`]). Its one parameter is the driveway.
pub(crate) const LIVE_DRIVEWAY: &str = "EXISTS (SELECT 1 FROM driveways WHERE id = ? AND deleted_at IS NULL)";

/// Counts the unpaid holds of the driver `driver` (an expression: a parameter, or a column of
/// an outer query): their pending bookings whose money is neither authorised nor collected.
pub(crate) fn unpaid_holds_of(driver: &str) -> String {
    format!(
        "SELECT COUNT(*) FROM bookings b WHERE b.driver_id = {driver} AND b.status = 'pending' AND NOT EXISTS \
         (SELECT 1 FROM payments p WHERE p.booking_id = b.id AND p.status IN ('requires_capture', 'succeeded'))"
    )
}

pub(crate) const TERMS_COLUMNS: &str =
    "owner_id, title, price_per_hour_cents, price_per_day_cents, currency, timezone, instant_book, availability";

/// A booking and its owner, its row locked against other writers until `tx` ends.
pub(crate) async fn booking_in(tx: &mut Tx<'_>, id: &str) -> AppResult<Option<(Booking, String)>> {
    let lock = tx.engine().for_update();
    let row: Option<BookingRow> = tx
        .fetch_optional(query(format!("SELECT {BOOKING_COLUMNS} FROM bookings b WHERE b.id = ?{lock}")).bind(id))
        .await?;
    match row {
        None => Ok(None),
        Some(r) => {
            let owner = r.owner_id.clone();
            Ok(Some((Booking::try_from(r)?, owner)))
        }
    }
}

/// Moves a booking to `to` if it is still in `from` (compare-and-swap). False if it moved on.
pub(crate) async fn swap_status(
    tx: &mut Tx<'_>,
    id: &str,
    from: BookingStatus,
    to: BookingStatus,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let done = tx
        .execute(
            query("UPDATE bookings SET status = ?, updated_at = ? WHERE id = ? AND status = ?")
                .bind(to.as_str())
                .bind(to_ms(now))
                .bind(id)
                .bind(from.as_str()),
        )
        .await?;
    Ok(done == 1)
}

/// A stored payment intent.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PaymentRow {
    /// `pi_…`.
    pub intent_id: String,
    /// The booking it pays for, once linked.
    pub booking_id: Option<String>,
    /// The payer.
    pub user_id: String,
    /// The driveway.
    pub driveway_id: String,
    /// Slot start (ms).
    pub start_at: i64,
    /// Slot end (ms).
    pub end_at: i64,
    /// Amount.
    pub amount_cents: i64,
    /// Currency.
    pub currency: String,
    /// How it is collected.
    #[sqlx(try_from = "String")]
    pub capture_method: CaptureMethod,
    /// Where it stands at the provider.
    #[sqlx(try_from = "String")]
    pub status: IntentStatus,
    /// For the payer's client.
    pub client_secret: String,
    /// Refunded so far.
    pub refunded_cents: i64,
    /// Owed back, not yet accepted by the provider.
    pub refund_due_cents: i64,
    /// Refunds requested so far.
    pub refunds: i64,
    /// Should be cancelled at the provider.
    pub cancel_due: bool,
}

impl PaymentRow {
    /// The slot start.
    pub fn start(&self) -> DateTime<Utc> {
        from_ms(self.start_at)
    }
}

/// The start of a statement reading whole [`PaymentRow`]s.
pub(crate) const SELECT_PAYMENT: &str = "SELECT intent_id, booking_id, user_id, driveway_id, start_at, end_at, amount_cents, \
    currency, capture_method, status, client_secret, refunded_cents, refund_due_cents, refunds, cancel_due FROM payments";
