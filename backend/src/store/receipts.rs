//! What a booking's receipt shows, read for its driver or its owner, and the receipt's number,
//! handed out the first time it is asked for and kept.
//!
//! Numbers run from 1 in each year of issue (UTC) without gaps. The year's row in
//! `receipt_counters` is raised in the transaction that inserts the receipt: on SQLite that
//! transaction holds the one write lock; on PostgreSQL the counter row's lock orders issuers on
//! every instance. Two first requests for one booking both reach the insert; the second finds
//! the booking's receipt there, rolls back (so its number goes back to the counter) and reads
//! the first one's.

use super::Store;
use super::db::{Tx, from_ms, query, to_ms, uuid};
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Datelike, Utc};
use parkway_core::booking::{BookingStatus, PaymentStatus};
use parkway_core::money::{Cents, Currency};
use parkway_core::receipt::{Collected, ReceiptNumber};
use uuid::Uuid;

/// A paid booking with everything its receipt shows, and the receipt's number.
#[derive(Debug, Clone)]
pub struct ReceiptFacts {
    /// The receipt's number.
    pub number: ReceiptNumber,
    /// When the receipt was first issued.
    pub issued_at: DateTime<Utc>,
    /// The booking.
    pub booking: Uuid,
    /// The owner's name: who provides the space.
    pub owner_name: String,
    /// The driveway's title (kept after the driveway is deleted).
    pub title: String,
    /// The driveway's address.
    pub address: String,
    /// The plate of the vehicle that parks, as the booking keeps it; none if the driver named
    /// no vehicle.
    pub vehicle_plate: Option<String>,
    /// The driveway's time zone (an IANA name).
    pub timezone: String,
    /// The slot's start.
    pub start: DateTime<Utc>,
    /// The slot's end.
    pub end: DateTime<Utc>,
    /// The booking's price.
    pub total: Cents,
    /// What the booking says was given back.
    pub refunded: Cents,
    /// The currency of every amount.
    pub currency: Currency,
    /// The payments collected for it, oldest first (none for a booking paid without a
    /// recorded intent).
    pub payments: Vec<Collected>,
}

#[derive(sqlx::FromRow)]
struct BookingRow {
    id: String,
    payment_status: String,
    start_at: i64,
    end_at: i64,
    total_cents: i64,
    refunded_cents: i64,
    currency: String,
    title: String,
    address: String,
    timezone: String,
    owner_name: String,
    vehicle_plate: Option<String>,
}

#[derive(sqlx::FromRow)]
struct ExtensionRow {
    status: String,
    end_at: i64,
    total_cents: i64,
    refunded_cents: i64,
}

#[derive(sqlx::FromRow)]
struct IssuedRow {
    year: i64,
    seq: i64,
    issued_at: i64,
}

#[derive(sqlx::FromRow)]
struct PaymentRow {
    amount_cents: i64,
    refunded_cents: i64,
}

/// A receipt's number and its time of issue.
#[derive(Debug, Clone, Copy)]
struct Issued {
    number: ReceiptNumber,
    issued_at: DateTime<Utc>,
}

impl TryFrom<IssuedRow> for Issued {
    type Error = sqlx::Error;
    fn try_from(r: IssuedRow) -> Result<Issued, sqlx::Error> {
        let year = i32::try_from(r.year).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
        let number = ReceiptNumber::new(year, r.seq).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
        Ok(Issued { number, issued_at: from_ms(r.issued_at) })
    }
}

const SELECT_ISSUED: &str = "SELECT year, seq, issued_at FROM receipts WHERE booking_id = ?";

impl Store {
    /// The receipt of booking `id` for `user`, its driver or its owner (anyone else: 404, as for
    /// the booking itself). A booking whose money was never collected has none (409). The
    /// first request issues its number at `now`; every later one gets the same.
    pub async fn receipt_facts(&self, user: Uuid, id: Uuid, now: DateTime<Utc>) -> AppResult<ReceiptFacts> {
        let row: BookingRow = self
            .reader()
            .fetch_optional(
                query(
                    "SELECT b.id, b.payment_status, b.start_at, b.end_at, b.total_cents, b.refunded_cents, b.currency, \
                     d.title, d.address, d.timezone, u.name AS owner_name, b.vehicle_plate FROM bookings b \
                     JOIN driveways d ON d.id = b.driveway_id JOIN users u ON u.id = b.owner_id \
                     WHERE b.id = COALESCE((SELECT x.extension_of FROM bookings x WHERE x.id = ?), ?) \
                     AND (b.driver_id = ? OR b.owner_id = ?)",
                )
                .bind(id)
                .bind(id)
                .bind(user)
                .bind(user),
            )
            .await?
            .ok_or_else(|| AppError::not_found("booking"))?;
        let bad = |what: &str| sqlx::Error::Decode(format!("bad {what} in bookings").into());
        let status: PaymentStatus = row.payment_status.parse().map_err(|_| bad("payment_status"))?;
        // A payment status only moves forward, so one read before issuing is enough: a paid
        // booking never becomes unpaid again (a refund leaves it `refunded`, still receipted).
        if !matches!(status, PaymentStatus::Paid | PaymentStatus::Refunded) {
            return Err(AppError::invalid_transition(
                "this booking has not been paid for, so it has no receipt yet; it has one once payment goes through",
            ));
        }
        let issued = match self.reader().fetch_optional::<IssuedRow>(query(SELECT_ISSUED).bind(&row.id)).await? {
            Some(issued) => Issued::try_from(issued)?,
            None => self.issue_receipt(&row.id, now).await?,
        };
        // One receipt for the whole stay: the booking and every extension that was paid for.
        let extensions: Vec<ExtensionRow> = self
            .reader()
            .fetch_all(
                query(
                    "SELECT status, end_at, total_cents, refunded_cents FROM bookings WHERE extension_of = ? \
                     AND payment_status IN ('paid', 'refunded')",
                )
                .bind(&row.id),
            )
            .await?;
        let mut end = from_ms(row.end_at);
        let (mut total, mut refunded) = (row.total_cents, row.refunded_cents);
        for e in &extensions {
            let status: BookingStatus = e.status.parse().map_err(|_| bad("status"))?;
            if matches!(status, BookingStatus::Confirmed | BookingStatus::Completed) {
                end = end.max(from_ms(e.end_at));
            }
            total += e.total_cents;
            refunded += e.refunded_cents;
        }
        let payments: Vec<PaymentRow> = self
            .reader()
            .fetch_all(
                query(
                    "SELECT amount_cents, refunded_cents FROM payments WHERE status = 'succeeded' AND booking_id IN \
                     (SELECT id FROM bookings WHERE id = ? OR extension_of = ?) ORDER BY created_at, intent_id",
                )
                .bind(&row.id)
                .bind(&row.id),
            )
            .await?;
        Ok(ReceiptFacts {
            number: issued.number,
            issued_at: issued.issued_at,
            booking: uuid(&row.id)?,
            owner_name: row.owner_name,
            title: row.title,
            address: row.address,
            vehicle_plate: row.vehicle_plate,
            timezone: row.timezone,
            start: from_ms(row.start_at),
            end,
            total: Cents(total),
            refunded: Cents(refunded),
            currency: Currency::parse(&row.currency).map_err(|_| bad("currency"))?,
            payments: payments
                .into_iter()
                .map(|p| Collected { amount: Cents(p.amount_cents), refunded: Cents(p.refunded_cents) })
                .collect(),
        })
    }

    /// Gives booking `booking` the next number of `now`'s year, unless it already has one.
    async fn issue_receipt(&self, booking: &str, now: DateTime<Utc>) -> AppResult<Issued> {
        // Stored in milliseconds: the first answer must show exactly what later ones read back.
        let now = from_ms(to_ms(now));
        let mut tx = self.begin_write().await?;
        // Issued while this request waited for the write lock (SQLite) or since it looked.
        if let Some(issued) = issued_in(&mut tx, booking).await? {
            return Ok(issued);
        }
        let year = now.year();
        let seq: i64 = tx
            .scalar(
                query(
                    "INSERT INTO receipt_counters (year, last_seq) VALUES (?, 1) \
                     ON CONFLICT (year) DO UPDATE SET last_seq = receipt_counters.last_seq + 1 RETURNING last_seq",
                )
                .bind(i64::from(year)),
            )
            .await?;
        let number = ReceiptNumber::new(year, seq).map_err(anyhow::Error::from)?;
        let inserted = tx
            .execute(
                query(
                    "INSERT INTO receipts (booking_id, year, seq, number, issued_at) VALUES (?, ?, ?, ?, ?) \
                     ON CONFLICT (booking_id) DO NOTHING",
                )
                .bind(booking)
                .bind(i64::from(year))
                .bind(seq)
                .bind(number.to_string())
                .bind(to_ms(now)),
            )
            .await?;
        if inserted == 0 {
            // Another instance issued it first and has committed (PostgreSQL waited for it):
            // this number goes back to the counter, and the receipt is theirs.
            tx.rollback().await?;
            let theirs = self.reader().fetch_optional::<IssuedRow>(query(SELECT_ISSUED).bind(booking)).await?;
            return Ok(Issued::try_from(theirs.ok_or(sqlx::Error::RowNotFound)?)?);
        }
        tx.commit().await?;
        Ok(Issued { number, issued_at: now })
    }
}

/// The booking's receipt as seen inside `tx`, if it has one.
async fn issued_in(tx: &mut Tx<'_>, booking: &str) -> AppResult<Option<Issued>> {
    let row = tx.fetch_optional::<IssuedRow>(query(SELECT_ISSUED).bind(booking)).await?;
    Ok(row.map(Issued::try_from).transpose()?)
}
