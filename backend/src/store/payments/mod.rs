//! Payment records and the booking changes that payment events cause.
//!
//! Every provider event (a webhook, a capture we made, a reconciliation read, the simulated
//! provider) goes through [`apply::apply_in`]: payment and booking states only move forward,
//! and a webhook's event id is stored under a unique key in the same transaction, so duplicate
//! and out-of-order events change nothing twice, whichever instance receives them. The payment
//! row is locked while an event is applied, so two events about one intent apply one after the
//! other (on SQLite the write lock already does that). Money owed back is recorded here and
//! carried out by the background job ([`give_back`]).

/// Applying a provider event to an intent and its booking.
pub mod apply;
/// Money owed back: refunds and releases after a cancellation or a misdirected payment.
pub mod give_back;

pub use apply::apply_in;
pub use give_back::settle_cancellation_in;

use super::Store;
use super::db::{Engine, Tx, query, to_ms};
use super::notifications::Notice;
use super::rows::{PaymentRow, SELECT_PAYMENT, booking_in};
use crate::error::AppResult;
use chrono::{DateTime, Utc};
use parkway_core::payment::IntentStatus;
use parkway_core::trust::Misdirected;

/// What the provider says happened to an intent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentChange {
    /// Money collected.
    Succeeded,
    /// Authorised, waiting for capture.
    Authorized,
    /// An attempt failed, with the provider's reason for the payer.
    Failed(String),
    /// The intent was cancelled.
    Canceled,
    /// Refunds now total this much.
    Refunded(i64),
}

impl PaymentChange {
    /// The change an intent's provider status stands for, when it is a settled one.
    pub fn from_status(status: IntentStatus) -> Option<PaymentChange> {
        match status {
            IntentStatus::Succeeded => Some(PaymentChange::Succeeded),
            IntentStatus::RequiresCapture => Some(PaymentChange::Authorized),
            IntentStatus::Canceled => Some(PaymentChange::Canceled),
            _ => None,
        }
    }

    /// The provider status this change leads to.
    fn status(&self) -> IntentStatus {
        match self {
            PaymentChange::Succeeded | PaymentChange::Refunded(_) => IntentStatus::Succeeded,
            PaymentChange::Authorized => IntentStatus::RequiresCapture,
            PaymentChange::Failed(_) => IntentStatus::RequiresPaymentMethod,
            PaymentChange::Canceled => IntentStatus::Canceled,
        }
    }

    /// True for money arriving: collected or authorised.
    fn brings_money(&self) -> bool {
        matches!(self, PaymentChange::Succeeded | PaymentChange::Authorized)
    }
}

/// Locks the booking an intent pays for, if any, on PostgreSQL (SQLite's write lock covers
/// everything). Rows are locked in one order everywhere, a booking before its payment, as a
/// cancellation does, so that two transactions never wait for each other.
async fn lock_booking_of(tx: &mut Tx<'_>, intent_id: &str) -> AppResult<()> {
    if tx.engine() == Engine::Sqlite {
        return Ok(());
    }
    tx.execute(
        query(
            "SELECT b.id FROM bookings b JOIN payments p ON p.booking_id = b.id WHERE p.intent_id = ? FOR UPDATE OF b",
        )
        .bind(intent_id),
    )
    .await?;
    Ok(())
}

impl Store {
    /// A payment by intent id.
    pub async fn payment(&self, intent_id: &str) -> AppResult<Option<PaymentRow>> {
        Ok(self.reader().fetch_optional(query(format!("{SELECT_PAYMENT} WHERE intent_id = ?")).bind(intent_id)).await?)
    }

    /// The booking's live (not cancelled) intent.
    pub async fn live_payment(&self, booking_id: &str) -> AppResult<Option<PaymentRow>> {
        Ok(self
            .reader()
            .fetch_optional(
                query(format!("{SELECT_PAYMENT} WHERE booking_id = ? AND status != 'canceled'")).bind(booking_id),
            )
            .await?)
    }

    /// How many intents a booking has had (names the next one's idempotency key).
    pub async fn payment_attempts(&self, booking_id: &str) -> AppResult<i64> {
        Ok(self.reader().scalar(query("SELECT COUNT(*) FROM payments WHERE booking_id = ?").bind(booking_id)).await?)
    }

    /// Records a new intent. If the booking already got a live one meanwhile (a concurrent
    /// request), returns that one instead.
    pub async fn insert_payment(&self, p: &PaymentRow, now: DateTime<Utc>) -> AppResult<PaymentRow> {
        let mut tx = self.begin_write().await?;
        if let Some(booking) = &p.booking_id {
            // Lock the booking first: concurrent requests for its intent take turns here.
            booking_in(&mut tx, booking).await?;
            if let Some(existing) = tx
                .fetch_optional::<PaymentRow>(
                    query(format!("{SELECT_PAYMENT} WHERE booking_id = ? AND status != 'canceled'")).bind(booking),
                )
                .await?
            {
                return Ok(existing);
            }
        }
        let inserted = tx
            .execute(
                query(
                    "INSERT INTO payments (intent_id, booking_id, user_id, driveway_id, start_at, end_at, \
                     amount_cents, currency, capture_method, status, client_secret, created_at, updated_at) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (intent_id) DO NOTHING",
                )
                .bind(&p.intent_id)
                .bind(&p.booking_id)
                .bind(&p.user_id)
                .bind(&p.driveway_id)
                .bind(p.start_at)
                .bind(p.end_at)
                .bind(p.amount_cents)
                .bind(&p.currency)
                .bind(p.capture_method.as_str())
                .bind(p.status.as_str())
                .bind(&p.client_secret)
                .bind(to_ms(now))
                .bind(to_ms(now)),
            )
            .await?;
        if inserted == 0 {
            // The provider's idempotency gave back an intent we already know.
            let existing =
                tx.fetch_one(query(format!("{SELECT_PAYMENT} WHERE intent_id = ?")).bind(&p.intent_id)).await?;
            return Ok(existing);
        }
        if let Some(booking) = &p.booking_id {
            tx.execute(
                query("UPDATE bookings SET stripe_payment_id = ?, updated_at = ? WHERE id = ?")
                    .bind(&p.intent_id)
                    .bind(to_ms(now))
                    .bind(booking),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(p.clone())
    }

    /// Applies a provider event (see [`apply_in`]) in its own transaction.
    pub async fn apply_payment(
        &self,
        event: Option<(&str, &str)>,
        intent_id: &str,
        change: &PaymentChange,
        now: DateTime<Utc>,
    ) -> AppResult<Vec<Notice>> {
        let mut tx = self.begin_write().await?;
        let notices = apply::apply_in(&mut tx, event, intent_id, change, now).await?;
        tx.commit().await?;
        Ok(notices)
    }

    /// Live intents still waiting for the payer, on pending bookings created before `cutoff`
    /// (the holds about to expire): worth asking the provider about first.
    pub async fn intents_of_stale_holds(&self, cutoff: DateTime<Utc>) -> AppResult<Vec<String>> {
        Ok(self
            .reader()
            .scalars(
                query(
                    "SELECT p.intent_id FROM payments p JOIN bookings b ON b.id = p.booking_id \
                     WHERE b.status = 'pending' AND b.created_at < ? AND p.status IN \
                     ('requires_payment_method', 'requires_confirmation', 'requires_action', 'processing') LIMIT 100",
                )
                .bind(to_ms(cutoff)),
            )
            .await?)
    }

    /// Gives up on an intent the payer failed to complete (a new one replaces it): it stops
    /// being the booking's live intent and is cancelled at the provider.
    pub async fn abandon_payment(&self, intent_id: &str, now: DateTime<Utc>) -> AppResult<()> {
        let mut tx = self.begin_write().await?;
        tx.execute(
            query("UPDATE payments SET status = 'canceled', cancel_due = ?, updated_at = ? WHERE intent_id = ?")
                .bind(true)
                .bind(to_ms(now))
                .bind(intent_id),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a webhook event that changes nothing (unknown type), so redeliveries are known.
    pub async fn record_event(&self, id: &str, kind: &str, intent: Option<&str>, now: DateTime<Utc>) -> AppResult<()> {
        let mut tx = self.begin_write().await?;
        apply::record_once(&mut tx, id, kind, intent, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Intents with a refund or cancellation still owed to the provider.
    pub async fn payments_due(&self, limit: i64) -> AppResult<Vec<PaymentRow>> {
        // The condition repeats the partial index `payments_due` word for word, so it is used.
        let due = format!("refund_due_cents > 0 OR {}", self.engine().is_true("cancel_due"));
        Ok(self
            .reader()
            .fetch_all(query(format!("{SELECT_PAYMENT} WHERE {due} ORDER BY updated_at LIMIT ?")).bind(limit))
            .await?)
    }

    /// The provider accepted a refund of `amount`. Applied once: when two instances settled the
    /// same refund (the provider deduplicates it by its idempotency key), the second finds
    /// less than `amount` still owed and changes nothing.
    pub async fn refund_accepted(&self, intent_id: &str, amount: i64, now: DateTime<Utc>) -> AppResult<Vec<Notice>> {
        let mut tx = self.begin_write().await?;
        lock_booking_of(&mut tx, intent_id).await?;
        let total: Option<i64> = tx
            .scalar_optional(
                query(
                    "UPDATE payments SET refund_due_cents = refund_due_cents - ?, refunded_cents = refunded_cents + ?, \
                     refunds = refunds + 1, updated_at = ? WHERE intent_id = ? AND refund_due_cents >= ? \
                     RETURNING refunded_cents",
                )
                .bind(amount)
                .bind(amount)
                .bind(to_ms(now))
                .bind(intent_id)
                .bind(amount),
            )
            .await?;
        let notices = match total {
            Some(total) => apply::apply_in(&mut tx, None, intent_id, &PaymentChange::Refunded(total), now).await?,
            None => Vec::new(),
        };
        tx.commit().await?;
        Ok(notices)
    }

    /// Direct intents (paid before any booking) that collected or authorised money and were
    /// not linked to a booking by `cutoff`: each is given back in full and recorded. Returns
    /// how many.
    pub async fn give_back_unlinked(&self, cutoff: DateTime<Utc>, now: DateTime<Utc>) -> AppResult<usize> {
        let mut tx = self.begin_write().await?;
        let lock = tx.engine().for_update();
        let stranded: Vec<PaymentRow> = tx
            .fetch_all(
                query(format!(
                    "{SELECT_PAYMENT} WHERE booking_id IS NULL AND status IN ('succeeded', 'requires_capture') \
                     AND created_at < ? AND refund_due_cents = 0 AND refunds = 0 AND NOT cancel_due LIMIT 100{lock}"
                ))
                .bind(to_ms(cutoff)),
            )
            .await?;
        for p in &stranded {
            let change = PaymentChange::from_status(p.status).unwrap_or(PaymentChange::Succeeded);
            give_back::give_back(&mut tx, p, &change, Misdirected::Orphaned, None, now).await?;
        }
        tx.commit().await?;
        Ok(stranded.len())
    }

    /// The provider cancelled the intent (or it was already gone).
    pub async fn cancel_accepted(&self, intent_id: &str, now: DateTime<Utc>) -> AppResult<()> {
        let mut tx = self.begin_write().await?;
        lock_booking_of(&mut tx, intent_id).await?;
        tx.execute(
            query("UPDATE payments SET cancel_due = ?, updated_at = ? WHERE intent_id = ?")
                .bind(false)
                .bind(to_ms(now))
                .bind(intent_id),
        )
        .await?;
        apply::apply_in(&mut tx, None, intent_id, &PaymentChange::Canceled, now).await?;
        tx.commit().await?;
        Ok(())
    }
}
