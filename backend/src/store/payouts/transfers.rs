//! Each settled booking's share, on its way to its owner. A transfer is first written as a
//! row without a provider id (planned), then sent, then marked with the provider's id: a crash
//! or an outage in between leaves the row to be sent again under the same idempotency key, so
//! the owner is paid once. Reversals after a late refund go the same way.

use crate::error::AppResult;
use crate::store::Store;
use crate::store::db::{Query, from_ms, query, to_ms};
use chrono::{DateTime, Duration, Utc};
use parkway_core::booking::BookingStatus;
use parkway_core::earnings::{FeeRate, is_settled, reversal_owed, split};
use parkway_core::money::Cents;

/// Most transfers (or reversals) one run of the job plans or sends; the rest wait for the
/// next run, so one run stays short.
pub const PER_RUN: i64 = 200;

/// A settled, paid booking whose owner's account is active and that has no transfer yet.
#[derive(sqlx::FromRow)]
struct Settled {
    id: String,
    owner_id: String,
    account_id: String,
    status: String,
    end_at: i64,
    updated_at: i64,
    total_cents: i64,
    refunded_cents: i64,
    currency: String,
}

/// A planned transfer the provider has not accepted yet.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Unsent {
    /// The booking (names the transfer group and the idempotency key).
    pub booking_id: String,
    /// The owner's `acct_…`.
    pub account_id: String,
    /// The owner's share.
    pub amount_cents: i64,
    /// Its currency.
    pub currency: String,
    /// Times it was asked for before; after the first, the job looks for one already made.
    pub attempts: i64,
    /// The intent that paid for the booking, whose charge the money is sent from.
    pub intent_id: Option<String>,
}

/// A planned reversal the provider has not accepted yet.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UnsentReversal {
    /// The booking.
    pub booking_id: String,
    /// The booking's refunded total that caused it (names the idempotency key).
    pub refunded_cents: i64,
    /// How much to take back.
    pub amount_cents: i64,
    /// The transfer to take it from.
    pub transfer_id: String,
}

#[derive(sqlx::FromRow)]
struct Refunded {
    booking_id: String,
    amount_cents: i64,
    reversed_cents: i64,
    pending_cents: i64,
    total_cents: i64,
    refunded_cents: i64,
}

impl Store {
    /// Runs one `INSERT … ON CONFLICT DO NOTHING` in its own write transaction: 1 when it wrote
    /// the row, 0 when another run (or instance) already had.
    async fn insert_once(&self, q: Query) -> AppResult<usize> {
        let mut tx = self.begin_write().await?;
        let inserted = tx.execute(q).await?;
        tx.commit().await?;
        Ok(usize::try_from(inserted).unwrap_or(0))
    }

    /// Writes a transfer row, not yet sent, for every settled, paid booking of an owner whose
    /// payout account is active, at most [`PER_RUN`]. A booking gets one row: the primary key
    /// is the booking, so a second run or another instance finds it planned. Returns how many
    /// were planned.
    pub async fn plan_transfers(&self, now: DateTime<Utc>, settlement: Duration, fee: FeeRate) -> AppResult<usize> {
        let cutoff = to_ms(now - settlement);
        let due: Vec<Settled> = self
            .reader()
            .fetch_all(
                query(
                    "SELECT b.id, b.owner_id, a.account_id, b.status, b.end_at, b.updated_at, b.total_cents, \
                     b.refunded_cents, b.currency FROM bookings b \
                     JOIN payout_accounts a ON a.owner_id = b.owner_id AND a.status = 'active' \
                     WHERE b.payment_status IN ('paid', 'refunded') AND b.status IN ('completed', 'cancelled') \
                     AND b.total_cents > b.refunded_cents AND (b.end_at <= ? OR b.updated_at <= ?) \
                     AND NOT EXISTS (SELECT 1 FROM transfers t WHERE t.booking_id = b.id) \
                     ORDER BY b.end_at LIMIT ?",
                )
                .bind(cutoff)
                .bind(cutoff)
                .bind(PER_RUN),
            )
            .await?;
        let mut planned = 0;
        for b in due {
            let status: BookingStatus = b.status.parse().map_err(|_| anyhow::anyhow!("bad status in bookings"))?;
            if !is_settled(status, from_ms(b.end_at), from_ms(b.updated_at), now, settlement) {
                continue;
            }
            let s = split(Cents(b.total_cents), Cents(b.refunded_cents), fee);
            planned += self
                .insert_once(
                    query(
                        "INSERT INTO transfers (booking_id, owner_id, account_id, amount_cents, fee_cents, currency, \
                         created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (booking_id) DO NOTHING",
                    )
                    .bind(&b.id)
                    .bind(&b.owner_id)
                    .bind(&b.account_id)
                    .bind(s.net.0)
                    .bind(s.fee.0)
                    .bind(&b.currency)
                    .bind(to_ms(now))
                    .bind(to_ms(now)),
                )
                .await?;
        }
        Ok(planned)
    }

    /// Planned transfers not yet accepted by the provider, oldest first.
    pub async fn unsent_transfers(&self, limit: i64) -> AppResult<Vec<Unsent>> {
        Ok(self
            .reader()
            .fetch_all(
                query(
                    "SELECT t.booking_id, t.account_id, t.amount_cents, t.currency, t.attempts, \
                     (SELECT p.intent_id FROM payments p WHERE p.booking_id = t.booking_id AND p.status = 'succeeded' \
                      ORDER BY p.created_at LIMIT 1) AS intent_id \
                     FROM transfers t WHERE t.transfer_id IS NULL ORDER BY t.created_at LIMIT ?",
                )
                .bind(limit),
            )
            .await?)
    }

    /// Counts an attempt to send a booking's transfer, before it is made.
    pub async fn note_transfer_attempt(&self, booking: &str, now: DateTime<Utc>) -> AppResult<()> {
        let mut tx = self.begin_write().await?;
        tx.execute(
            query("UPDATE transfers SET attempts = attempts + 1, updated_at = ? WHERE booking_id = ?")
                .bind(to_ms(now))
                .bind(booking),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Marks a booking's transfer as made, with the provider's id. False when it was already
    /// marked (by another instance, with the same id: the idempotency key is the booking's).
    pub async fn record_transfer(&self, booking: &str, transfer_id: &str, now: DateTime<Utc>) -> AppResult<bool> {
        let mut tx = self.begin_write().await?;
        let done = tx
            .execute(
                query(
                    "UPDATE transfers SET transfer_id = ?, updated_at = ? WHERE booking_id = ? AND transfer_id IS NULL",
                )
                .bind(transfer_id)
                .bind(to_ms(now))
                .bind(booking),
            )
            .await?;
        tx.commit().await?;
        Ok(done == 1)
    }

    /// Writes a reversal, not yet sent, for every sent transfer whose booking was refunded
    /// after it was made: the owner's share of the refund, never more than they still hold.
    /// Keyed by the booking's refunded total, so one refund plans one reversal. Returns how
    /// many were planned.
    pub async fn plan_reversals(&self, fee: FeeRate, now: DateTime<Utc>) -> AppResult<usize> {
        let candidates: Vec<Refunded> = self
            .reader()
            .fetch_all(
                query(
                    "SELECT t.booking_id, t.amount_cents, t.reversed_cents, \
                     CAST(COALESCE((SELECT SUM(r.amount_cents) FROM transfer_reversals r \
                       WHERE r.booking_id = t.booking_id AND r.reversal_id IS NULL), 0) AS BIGINT) AS pending_cents, \
                     b.total_cents, b.refunded_cents FROM transfers t JOIN bookings b ON b.id = t.booking_id \
                     WHERE t.transfer_id IS NOT NULL AND b.refunded_cents > 0 AND t.reversed_cents < t.amount_cents \
                     AND NOT EXISTS (SELECT 1 FROM transfer_reversals r WHERE r.booking_id = t.booking_id \
                       AND r.refunded_cents = b.refunded_cents) \
                     ORDER BY t.updated_at LIMIT ?",
                )
                .bind(PER_RUN),
            )
            .await?;
        let mut planned = 0;
        for c in candidates {
            let owed = reversal_owed(
                Cents(c.amount_cents),
                Cents(c.reversed_cents + c.pending_cents),
                Cents(c.total_cents),
                Cents(c.refunded_cents),
                fee,
            );
            if owed.0 == 0 {
                continue;
            }
            planned += self
                .insert_once(
                    query(
                        "INSERT INTO transfer_reversals (booking_id, refunded_cents, amount_cents, created_at, updated_at) \
                         VALUES (?, ?, ?, ?, ?) ON CONFLICT (booking_id, refunded_cents) DO NOTHING",
                    )
                    .bind(&c.booking_id)
                    .bind(c.refunded_cents)
                    .bind(owed.0)
                    .bind(to_ms(now))
                    .bind(to_ms(now)),
                )
                .await?;
        }
        Ok(planned)
    }

    /// Planned reversals not yet accepted by the provider, oldest first.
    pub async fn unsent_reversals(&self, limit: i64) -> AppResult<Vec<UnsentReversal>> {
        Ok(self
            .reader()
            .fetch_all(
                query(
                    "SELECT r.booking_id, r.refunded_cents, r.amount_cents, t.transfer_id FROM transfer_reversals r \
                     JOIN transfers t ON t.booking_id = r.booking_id \
                     WHERE r.reversal_id IS NULL AND t.transfer_id IS NOT NULL ORDER BY r.created_at LIMIT ?",
                )
                .bind(limit),
            )
            .await?)
    }

    /// Marks a reversal as made and counts it on its transfer.
    pub async fn record_reversal(
        &self,
        booking: &str,
        refunded_cents: i64,
        reversal_id: &str,
        now: DateTime<Utc>,
    ) -> AppResult<()> {
        let mut tx = self.begin_write().await?;
        let done = tx
            .execute(
                query(
                    "UPDATE transfer_reversals SET reversal_id = ?, updated_at = ? \
                     WHERE booking_id = ? AND refunded_cents = ? AND reversal_id IS NULL",
                )
                .bind(reversal_id)
                .bind(to_ms(now))
                .bind(booking)
                .bind(refunded_cents),
            )
            .await?;
        if done == 1 {
            // The larger of what the provider said (events) and what was made here: both only
            // grow, and the provider's total includes ours.
            let max = tx.engine().greatest();
            tx.execute(
                query(format!(
                    "UPDATE transfers SET reversed_cents = {max}(reversed_cents, (SELECT CAST(COALESCE(SUM(amount_cents), 0) AS BIGINT) \
                     FROM transfer_reversals WHERE booking_id = ? AND reversal_id IS NOT NULL)), updated_at = ? \
                     WHERE booking_id = ?"
                ))
                .bind(booking)
                .bind(to_ms(now))
                .bind(booking),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// What the provider says was reversed of a transfer in all (a `transfer.reversed` event,
    /// which also covers reversals made in its dashboard). False for an unknown transfer.
    pub async fn reversed_at_provider(
        &self,
        transfer_id: &str,
        amount_reversed: i64,
        now: DateTime<Utc>,
    ) -> AppResult<bool> {
        let mut tx = self.begin_write().await?;
        let max = tx.engine().greatest();
        let done = tx
            .execute(
                query(format!(
                    "UPDATE transfers SET reversed_cents = {max}(reversed_cents, ?), updated_at = ? WHERE transfer_id = ?"
                ))
                .bind(amount_reversed.clamp(0, i64::MAX))
                .bind(to_ms(now))
                .bind(transfer_id),
            )
            .await?;
        tx.commit().await?;
        Ok(done == 1)
    }
}
