//! The rows an owner's earnings are computed from: their paid bookings in a period.

use super::Store;
use super::db::{from_ms, query, to_ms, uuid};
use crate::error::AppResult;
use chrono::{DateTime, Utc};
use parkway_core::booking::BookingStatus;
use parkway_core::earnings::Sent;
use parkway_core::money::{Cents, Currency};
use uuid::Uuid;

/// A paid booking of the owner's, with what its earning line needs.
#[derive(Debug, Clone)]
pub struct PaidBooking {
    /// The booking.
    pub id: Uuid,
    /// Its driveway.
    pub driveway: Uuid,
    /// The driveway's title (kept after the driveway is deleted).
    pub title: String,
    /// The driveway's time zone, for the month a booking counts in.
    pub timezone: String,
    /// The slot.
    pub start: DateTime<Utc>,
    /// The slot's end.
    pub end: DateTime<Utc>,
    /// Its status now.
    pub status: BookingStatus,
    /// Its last change (a cancellation's time, for a cancelled booking).
    pub updated_at: DateTime<Utc>,
    /// What the driver paid.
    pub paid: Cents,
    /// What was given back.
    pub refunded: Cents,
    /// The currency of both.
    pub currency: Currency,
    /// What was sent to the owner for it, once it was.
    pub sent: Option<Sent>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    driveway_id: String,
    title: String,
    timezone: String,
    start_at: i64,
    end_at: i64,
    status: String,
    updated_at: i64,
    total_cents: i64,
    refunded_cents: i64,
    currency: String,
    reversed_cents: Option<i64>,
}

impl TryFrom<Row> for PaidBooking {
    type Error = sqlx::Error;
    fn try_from(r: Row) -> Result<PaidBooking, sqlx::Error> {
        let bad = |what: &str| sqlx::Error::Decode(format!("bad {what} in bookings").into());
        Ok(PaidBooking {
            id: uuid(&r.id)?,
            driveway: uuid(&r.driveway_id)?,
            title: r.title,
            timezone: r.timezone,
            start: from_ms(r.start_at),
            end: from_ms(r.end_at),
            status: r.status.parse().map_err(|_| bad("status"))?,
            updated_at: from_ms(r.updated_at),
            paid: Cents(r.total_cents),
            refunded: Cents(r.refunded_cents),
            currency: Currency::parse(&r.currency).map_err(|_| bad("currency"))?,
            sent: r.reversed_cents.map(|reversed| Sent { reversed: Cents(reversed) }),
        })
    }
}

impl Store {
    /// The owner's bookings whose money was collected (paid, or paid then partly or wholly
    /// refunded), starting in `[from, to)`, oldest first, at most `limit`.
    pub async fn paid_bookings(
        &self,
        owner: Uuid,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: i64,
    ) -> AppResult<Vec<PaidBooking>> {
        let rows: Vec<Row> = self
            .reader()
            .fetch_all(
                query(
                    "SELECT b.id, b.driveway_id, d.title, d.timezone, b.start_at, b.end_at, b.status, b.updated_at, \
                     b.total_cents, b.refunded_cents, b.currency, \
                     CASE WHEN t.transfer_id IS NULL THEN NULL ELSE t.reversed_cents END AS reversed_cents FROM bookings b \
                     JOIN driveways d ON d.id = b.driveway_id LEFT JOIN transfers t ON t.booking_id = b.id \
                     WHERE b.owner_id = ? AND b.payment_status IN ('paid', 'refunded') AND b.start_at >= ? \
                     AND b.start_at < ? ORDER BY b.start_at, b.id LIMIT ?",
                )
                .bind(owner)
                .bind(to_ms(from))
                .bind(to_ms(to))
                .bind(limit),
            )
            .await?;
        Ok(rows.into_iter().map(PaidBooking::try_from).collect::<Result<_, _>>()?)
    }
}
