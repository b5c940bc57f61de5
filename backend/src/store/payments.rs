//! Payment records and the booking changes that payment events cause.
//!
//! Every provider event (a webhook, a capture we made, a reconciliation read, the simulated
//! provider) goes through [`apply_in`]: payment and booking states only move forward, and a
//! webhook's event id is stored under a unique key in the same transaction, so duplicate and
//! out-of-order events change nothing twice.

use super::bookings::{booking_in, swap_status, terms};
use super::notifications::{self, Notice};
use super::{Store, from_ms, to_ms, uuid};
use crate::error::AppResult;
use crate::notices::About;
use chrono::{DateTime, Utc};
use parkway_core::booking::{BookingStatus, PaymentEvent};
use sqlx::{Sqlite, Transaction};

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
    /// `automatic` or `manual`.
    pub capture_method: String,
    /// Provider status.
    pub status: String,
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

    /// True while the payer can still complete it (it needs a card or a confirmation).
    pub fn awaiting_payer(&self) -> bool {
        matches!(self.status.as_str(), "requires_payment_method" | "requires_confirmation" | "requires_action")
    }
}

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
    pub fn from_status(status: &str) -> Option<PaymentChange> {
        match status {
            "succeeded" => Some(PaymentChange::Succeeded),
            "requires_capture" => Some(PaymentChange::Authorized),
            "canceled" => Some(PaymentChange::Canceled),
            _ => None,
        }
    }

    /// The provider status this change leads to.
    fn status(&self) -> &'static str {
        match self {
            PaymentChange::Succeeded | PaymentChange::Refunded(_) => "succeeded",
            PaymentChange::Authorized => "requires_capture",
            PaymentChange::Failed(_) => "requires_payment_method",
            PaymentChange::Canceled => "canceled",
        }
    }
}

/// How far along a provider status is; a change never moves a payment backwards.
fn rank(status: &str) -> u8 {
    match status {
        "requires_payment_method" | "requires_confirmation" | "requires_action" => 0,
        "processing" => 1,
        "requires_capture" => 2,
        "succeeded" | "canceled" => 3,
        _ => 0,
    }
}

const SELECT: &str = "SELECT intent_id, booking_id, user_id, driveway_id, start_at, end_at, amount_cents, currency, \
    capture_method, status, client_secret, refunded_cents, refund_due_cents, refunds, cancel_due FROM payments";

/// Applies `change` to the intent and its booking inside `tx`. `event` is the webhook's
/// `(id, type)`, recorded once; a repeat returns no notices and changes nothing.
pub async fn apply_in(
    tx: &mut Transaction<'_, Sqlite>,
    event: Option<(&str, &str)>,
    intent_id: &str,
    change: &PaymentChange,
    now: DateTime<Utc>,
) -> AppResult<Vec<Notice>> {
    if let Some((id, kind)) = event {
        let fresh = sqlx::query(
            "INSERT INTO webhook_events (id, type, intent_id, received_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(kind)
        .bind(intent_id)
        .bind(to_ms(now))
        .execute(&mut **tx)
        .await?;
        if fresh.rows_affected() == 0 {
            return Ok(Vec::new());
        }
    }
    let Some(payment) = sqlx::query_as::<_, PaymentRow>(&format!("{SELECT} WHERE intent_id = ?"))
        .bind(intent_id)
        .fetch_optional(&mut **tx)
        .await?
    else {
        // Not one of ours (or not yet): recorded above, nothing else to do.
        return Ok(Vec::new());
    };
    let next = change.status();
    let moves_forward = rank(next) > rank(&payment.status) || (rank(next) == 0 && rank(&payment.status) == 0);
    if moves_forward && payment.status != next {
        sqlx::query("UPDATE payments SET status = ?, updated_at = ? WHERE intent_id = ?")
            .bind(next)
            .bind(to_ms(now))
            .bind(intent_id)
            .execute(&mut **tx)
            .await?;
    }
    if let PaymentChange::Refunded(total) = change {
        sqlx::query("UPDATE payments SET refunded_cents = MAX(refunded_cents, ?), updated_at = ? WHERE intent_id = ?")
            .bind(total)
            .bind(to_ms(now))
            .bind(intent_id)
            .execute(&mut **tx)
            .await?;
    }
    let Some(booking_id) = payment.booking_id.as_deref() else { return Ok(Vec::new()) };
    let Some((mut booking, owner)) = booking_in(tx, booking_id).await? else { return Ok(Vec::new()) };
    let owner = uuid(&owner)?;
    let t = terms(tx, &booking.driveway.to_string()).await?;
    let title = t.as_ref().map_or("your driveway", |t| t.title.as_str()).to_owned();
    let timezone = t.as_ref().map_or("UTC", |t| t.timezone.as_str()).to_owned();
    let instant = t.as_ref().is_some_and(|t| t.instant_book);
    let mut notices = Vec::new();

    let event = match change {
        PaymentChange::Succeeded => Some(PaymentEvent::Succeeded),
        PaymentChange::Failed(_) => Some(PaymentEvent::Failed),
        PaymentChange::Refunded(_) => Some(PaymentEvent::Refunded),
        PaymentChange::Authorized | PaymentChange::Canceled => None,
    };
    if let Some(next_status) = event.and_then(|e| booking.payment_status.apply(e)) {
        sqlx::query("UPDATE bookings SET payment_status = ?, updated_at = ? WHERE id = ?")
            .bind(next_status.as_str())
            .bind(to_ms(now))
            .bind(booking_id)
            .execute(&mut **tx)
            .await?;
        booking.payment_status = next_status;
        booking.updated_at = now;
        let about = About { booking: &booking, driveway_title: &title, timezone: &timezone };
        match change {
            PaymentChange::Succeeded => {
                notices.push(notifications::insert(tx, about.paid(booking.driver, false), now).await?);
                notices.push(notifications::insert(tx, about.paid(owner, true), now).await?);
            }
            PaymentChange::Failed(reason) => {
                notices.push(notifications::insert(tx, about.payment_failed(booking.driver, reason), now).await?);
            }
            _ => {}
        }
    }
    if let PaymentChange::Refunded(total) = change {
        sqlx::query("UPDATE bookings SET refunded_cents = MAX(refunded_cents, ?) WHERE id = ?")
            .bind(total)
            .bind(booking_id)
            .execute(&mut **tx)
            .await?;
    }

    // Paid for an instant-book driveway: confirmed at once.
    if *change == PaymentChange::Succeeded
        && booking.status == BookingStatus::Pending
        && instant
        && swap_status(tx, booking_id, BookingStatus::Pending, BookingStatus::Confirmed, now).await?
    {
        booking.status = BookingStatus::Confirmed;
        let about = About { booking: &booking, driveway_title: &title, timezone: &timezone };
        notices.push(notifications::insert(tx, about.confirmed(booking.driver), now).await?);
    }
    match (change, booking.status) {
        // Money arrived for a booking that no longer exists: give it all back.
        (PaymentChange::Succeeded, BookingStatus::Cancelled) => {
            sqlx::query(
                "UPDATE payments SET refund_due_cents = MAX(0, amount_cents - refunded_cents), updated_at = ? \
                 WHERE intent_id = ? AND refund_due_cents = 0 AND refunds = 0",
            )
            .bind(to_ms(now))
            .bind(intent_id)
            .execute(&mut **tx)
            .await?;
        }
        // An authorisation for a cancelled booking is released.
        (PaymentChange::Authorized, BookingStatus::Cancelled) => {
            sqlx::query("UPDATE payments SET cancel_due = 1, updated_at = ? WHERE intent_id = ?")
                .bind(to_ms(now))
                .bind(intent_id)
                .execute(&mut **tx)
                .await?;
        }
        _ => {}
    }
    Ok(notices)
}

/// After a booking is cancelled inside `tx`: owe `refund` back if it was charged, or release
/// the intent if it was not. Returns the intent to settle after the commit.
pub async fn settle_cancellation_in(
    tx: &mut Transaction<'_, Sqlite>,
    booking_id: &str,
    refund: impl Fn(i64) -> i64,
    now: DateTime<Utc>,
) -> AppResult<Option<String>> {
    let Some(p) = sqlx::query_as::<_, PaymentRow>(&format!("{SELECT} WHERE booking_id = ? AND status != 'canceled'"))
        .bind(booking_id)
        .fetch_optional(&mut **tx)
        .await?
    else {
        return Ok(None);
    };
    if p.status == "succeeded" {
        let owed = refund(p.amount_cents).min(p.amount_cents - p.refunded_cents - p.refund_due_cents).max(0);
        if owed == 0 {
            return Ok(None);
        }
        sqlx::query("UPDATE payments SET refund_due_cents = refund_due_cents + ?, updated_at = ? WHERE intent_id = ?")
            .bind(owed)
            .bind(to_ms(now))
            .bind(&p.intent_id)
            .execute(&mut **tx)
            .await?;
    } else {
        sqlx::query("UPDATE payments SET cancel_due = 1, updated_at = ? WHERE intent_id = ?")
            .bind(to_ms(now))
            .bind(&p.intent_id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(Some(p.intent_id))
}

impl Store {
    /// A payment by intent id.
    pub async fn payment(&self, intent_id: &str) -> AppResult<Option<PaymentRow>> {
        Ok(sqlx::query_as::<_, PaymentRow>(&format!("{SELECT} WHERE intent_id = ?"))
            .bind(intent_id)
            .fetch_optional(self.reader())
            .await?)
    }

    /// The booking's live (not cancelled) intent.
    pub async fn live_payment(&self, booking_id: &str) -> AppResult<Option<PaymentRow>> {
        Ok(sqlx::query_as::<_, PaymentRow>(&format!("{SELECT} WHERE booking_id = ? AND status != 'canceled'"))
            .bind(booking_id)
            .fetch_optional(self.reader())
            .await?)
    }

    /// How many intents a booking has had (names the next one's idempotency key).
    pub async fn payment_attempts(&self, booking_id: &str) -> AppResult<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM payments WHERE booking_id = ?")
            .bind(booking_id)
            .fetch_one(self.reader())
            .await?)
    }

    /// Records a new intent. If the booking already got a live one meanwhile (a concurrent
    /// request), returns that one instead.
    pub async fn insert_payment(&self, p: &PaymentRow, now: DateTime<Utc>) -> AppResult<PaymentRow> {
        let mut tx = self.begin_write().await?;
        if let Some(booking) = &p.booking_id
            && let Some(existing) =
                sqlx::query_as::<_, PaymentRow>(&format!("{SELECT} WHERE booking_id = ? AND status != 'canceled'"))
                    .bind(booking)
                    .fetch_optional(&mut *tx)
                    .await?
        {
            return Ok(existing);
        }
        if let Some(existing) = sqlx::query_as::<_, PaymentRow>(&format!("{SELECT} WHERE intent_id = ?"))
            .bind(&p.intent_id)
            .fetch_optional(&mut *tx)
            .await?
        {
            // The provider's idempotency gave back an intent we already know.
            return Ok(existing);
        }
        sqlx::query(
            "INSERT INTO payments (intent_id, booking_id, user_id, driveway_id, start_at, end_at, amount_cents, currency, \
             capture_method, status, client_secret, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&p.intent_id)
        .bind(&p.booking_id)
        .bind(&p.user_id)
        .bind(&p.driveway_id)
        .bind(p.start_at)
        .bind(p.end_at)
        .bind(p.amount_cents)
        .bind(&p.currency)
        .bind(&p.capture_method)
        .bind(&p.status)
        .bind(&p.client_secret)
        .bind(to_ms(now))
        .bind(to_ms(now))
        .execute(&mut *tx)
        .await?;
        if let Some(booking) = &p.booking_id {
            sqlx::query("UPDATE bookings SET stripe_payment_id = ?, updated_at = ? WHERE id = ?")
                .bind(&p.intent_id)
                .bind(to_ms(now))
                .bind(booking)
                .execute(&mut *tx)
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
        let notices = apply_in(&mut tx, event, intent_id, change, now).await?;
        tx.commit().await?;
        Ok(notices)
    }

    /// Live intents still waiting for the payer, on pending bookings created before `cutoff`
    /// (the holds about to expire): worth asking the provider about first.
    pub async fn intents_of_stale_holds(&self, cutoff: DateTime<Utc>) -> AppResult<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT p.intent_id FROM payments p JOIN bookings b ON b.id = p.booking_id \
             WHERE b.status = 'pending' AND b.created_at < ? \
             AND p.status IN ('requires_payment_method', 'requires_confirmation', 'requires_action', 'processing') LIMIT 100",
        )
        .bind(to_ms(cutoff))
        .fetch_all(self.reader())
        .await?)
    }

    /// Gives up on an intent the payer failed to complete (a new one replaces it): it stops
    /// being the booking's live intent and is cancelled at the provider.
    pub async fn abandon_payment(&self, intent_id: &str, now: DateTime<Utc>) -> AppResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE payments SET status = 'canceled', cancel_due = 1, updated_at = ? WHERE intent_id = ?")
            .bind(to_ms(now))
            .bind(intent_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a webhook event that changes nothing (unknown type), so redeliveries are known.
    pub async fn record_event(&self, id: &str, kind: &str, intent: Option<&str>, now: DateTime<Utc>) -> AppResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO webhook_events (id, type, intent_id, received_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(kind)
        .bind(intent)
        .bind(to_ms(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Intents with a refund or cancellation still owed to the provider.
    pub async fn payments_due(&self, limit: i64) -> AppResult<Vec<PaymentRow>> {
        Ok(sqlx::query_as::<_, PaymentRow>(&format!(
            "{SELECT} WHERE refund_due_cents > 0 OR cancel_due = 1 ORDER BY updated_at LIMIT ?"
        ))
        .bind(limit)
        .fetch_all(self.reader())
        .await?)
    }

    /// The provider accepted a refund of `amount`.
    pub async fn refund_accepted(&self, intent_id: &str, amount: i64, now: DateTime<Utc>) -> AppResult<Vec<Notice>> {
        let mut tx = self.begin_write().await?;
        let total: Option<i64> = sqlx::query_scalar(
            "UPDATE payments SET refund_due_cents = MAX(0, refund_due_cents - ?), refunded_cents = refunded_cents + ?, \
             refunds = refunds + 1, updated_at = ? WHERE intent_id = ? RETURNING refunded_cents",
        )
        .bind(amount)
        .bind(amount)
        .bind(to_ms(now))
        .bind(intent_id)
        .fetch_optional(&mut *tx)
        .await?;
        let notices = match total {
            Some(total) => apply_in(&mut tx, None, intent_id, &PaymentChange::Refunded(total), now).await?,
            None => Vec::new(),
        };
        tx.commit().await?;
        Ok(notices)
    }

    /// The provider cancelled the intent (or it was already gone).
    pub async fn cancel_accepted(&self, intent_id: &str, now: DateTime<Utc>) -> AppResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE payments SET cancel_due = 0, updated_at = ? WHERE intent_id = ?")
            .bind(to_ms(now))
            .bind(intent_id)
            .execute(&mut *tx)
            .await?;
        apply_in(&mut tx, None, intent_id, &PaymentChange::Canceled, now).await?;
        tx.commit().await?;
        Ok(())
    }
}
