//! Payment records and the booking changes that payment events cause.
//!
//! Every provider event (a webhook, a capture we made, a reconciliation read, the simulated
//! provider) goes through [`apply_in`]: payment and booking states only move forward, and a
//! webhook's event id is stored under a unique key in the same transaction, so duplicate and
//! out-of-order events change nothing twice, whichever instance receives them. The payment row
//! is locked while an event is applied, so two events about one intent apply one after the
//! other (on SQLite the write lock already does that).

use super::bookings::{booking_in, swap_status, terms};
use super::db::{Engine, Tx, query};
use super::notifications::{self, Notice};
use super::{Store, from_ms, to_ms, uuid};
use crate::error::AppResult;
use crate::notices::About;
use chrono::{DateTime, Utc};
use parkway_core::booking::{BookingStatus, PaymentEvent};

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

pub(crate) const SELECT: &str = "SELECT intent_id, booking_id, user_id, driveway_id, start_at, end_at, amount_cents, \
    currency, capture_method, status, client_secret, refunded_cents, refund_due_cents, refunds, cancel_due FROM payments";

/// `greatest(a, b)` in the engine's dialect: SQLite's two-argument `MAX`, PostgreSQL's
/// `GREATEST`.
fn greatest(engine: Engine) -> &'static str {
    match engine {
        Engine::Sqlite => "MAX",
        Engine::Postgres => "GREATEST",
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

/// Applies `change` to the intent and its booking inside `tx`. `event` is the webhook's
/// `(id, type)`, recorded once; a repeat returns no notices and changes nothing.
pub async fn apply_in(
    tx: &mut Tx<'_>,
    event: Option<(&str, &str)>,
    intent_id: &str,
    change: &PaymentChange,
    now: DateTime<Utc>,
) -> AppResult<Vec<Notice>> {
    if let Some((id, kind)) = event {
        let fresh = tx
            .execute(
                query(
                    "INSERT INTO webhook_events (id, type, intent_id, received_at) VALUES (?, ?, ?, ?) \
                     ON CONFLICT (id) DO NOTHING",
                )
                .bind(id)
                .bind(kind)
                .bind(intent_id)
                .bind(to_ms(now)),
            )
            .await?;
        if fresh == 0 {
            return Ok(Vec::new());
        }
    }
    lock_booking_of(tx, intent_id).await?;
    let lock = tx.for_update();
    let Some(payment) =
        tx.fetch_optional::<PaymentRow>(query(format!("{SELECT} WHERE intent_id = ?{lock}")).bind(intent_id)).await?
    else {
        // Not one of ours (or not yet): recorded above, nothing else to do.
        return Ok(Vec::new());
    };
    let max = greatest(tx.engine());
    let next = change.status();
    let moves_forward = rank(next) > rank(&payment.status) || (rank(next) == 0 && rank(&payment.status) == 0);
    if moves_forward && payment.status != next {
        tx.execute(
            query("UPDATE payments SET status = ?, updated_at = ? WHERE intent_id = ?")
                .bind(next)
                .bind(to_ms(now))
                .bind(intent_id),
        )
        .await?;
    }
    if let PaymentChange::Refunded(total) = change {
        tx.execute(
            query(format!(
                "UPDATE payments SET refunded_cents = {max}(refunded_cents, ?), updated_at = ? WHERE intent_id = ?"
            ))
            .bind(*total)
            .bind(to_ms(now))
            .bind(intent_id),
        )
        .await?;
    }
    let Some(booking_id) = payment.booking_id.as_deref() else { return Ok(Vec::new()) };
    let Some((mut booking, owner)) = booking_in(tx, booking_id).await? else { return Ok(Vec::new()) };
    // Money that is not for this booking as it stands (a replaced intent, or another amount
    // than the booking's total) changes nothing about the booking and goes back in full.
    if matches!(change, PaymentChange::Succeeded | PaymentChange::Authorized) {
        let anomaly = if booking.stripe_payment_id.as_deref() != Some(intent_id) {
            Some(Anomaly::Orphaned)
        } else if payment.amount_cents != booking.total_cents.0 {
            Some(Anomaly::AmountMismatch)
        } else {
            None
        };
        if let Some(kind) = anomaly {
            give_back(tx, &payment, change, kind, Some(booking.total_cents.0), now).await?;
            return Ok(Vec::new());
        }
    }
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
        PaymentChange::Authorized => Some(PaymentEvent::Authorized),
        PaymentChange::Canceled => None,
    };
    if let Some(next_status) = event.and_then(|e| booking.payment_status.apply(e)) {
        tx.execute(
            query("UPDATE bookings SET payment_status = ?, updated_at = ? WHERE id = ?")
                .bind(next_status.as_str())
                .bind(to_ms(now))
                .bind(booking_id),
        )
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
        tx.execute(
            query(format!("UPDATE bookings SET refunded_cents = {max}(refunded_cents, ?) WHERE id = ?"))
                .bind(*total)
                .bind(booking_id),
        )
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
            tx.execute(
                query(format!(
                    "UPDATE payments SET refund_due_cents = {max}(0, amount_cents - refunded_cents), updated_at = ? \
                     WHERE intent_id = ? AND refund_due_cents = 0 AND refunds = 0"
                ))
                .bind(to_ms(now))
                .bind(intent_id),
            )
            .await?;
        }
        // An authorisation for a cancelled booking is released.
        (PaymentChange::Authorized, BookingStatus::Cancelled) => {
            tx.execute(
                query("UPDATE payments SET cancel_due = ?, updated_at = ? WHERE intent_id = ?")
                    .bind(true)
                    .bind(to_ms(now))
                    .bind(intent_id),
            )
            .await?;
        }
        _ => {}
    }
    Ok(notices)
}

/// Why money was given back without anyone asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anomaly {
    /// The intent's amount is not its booking's total.
    AmountMismatch,
    /// The intent is no longer its booking's (replaced or cancelled), or a direct intent was
    /// never linked to a booking within the hold time.
    Orphaned,
}

impl Anomaly {
    fn as_str(self) -> &'static str {
        match self {
            Anomaly::AmountMismatch => "amount_mismatch",
            Anomaly::Orphaned => "orphaned",
        }
    }
}

/// Owes back everything an intent collected (or releases its authorisation) and records why,
/// once per intent and reason. The background job carries it out.
async fn give_back(
    tx: &mut Tx<'_>,
    payment: &PaymentRow,
    change: &PaymentChange,
    kind: Anomaly,
    expected: Option<i64>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let recorded = tx
        .execute(
            query(
                "INSERT INTO payment_anomalies (intent_id, booking_id, kind, amount_cents, expected_cents, created_at) \
                 VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (intent_id, kind) DO NOTHING",
            )
            .bind(&payment.intent_id)
            .bind(&payment.booking_id)
            .bind(kind.as_str())
            .bind(payment.amount_cents)
            .bind(expected)
            .bind(to_ms(now)),
        )
        .await?;
    if recorded > 0 {
        tracing::warn!(intent = %payment.intent_id, kind = kind.as_str(), "money arrived where it should not; giving it back");
    }
    let max = greatest(tx.engine());
    let owe = if *change == PaymentChange::Succeeded {
        format!(
            "UPDATE payments SET refund_due_cents = {max}(0, amount_cents - refunded_cents), updated_at = ? \
             WHERE intent_id = ? AND refund_due_cents = 0 AND refunds = 0"
        )
    } else {
        "UPDATE payments SET cancel_due = TRUE, updated_at = ? WHERE intent_id = ?".to_owned()
    };
    tx.execute(query(owe).bind(to_ms(now)).bind(&payment.intent_id)).await?;
    Ok(())
}

/// After a booking is cancelled inside `tx`: owe `refund` back if it was charged, or release
/// the intent if it was not. Returns the intent to settle after the commit.
pub async fn settle_cancellation_in(
    tx: &mut Tx<'_>,
    booking_id: &str,
    refund: impl Fn(i64) -> i64,
    now: DateTime<Utc>,
) -> AppResult<Option<String>> {
    let lock = tx.for_update();
    let Some(p) = tx
        .fetch_optional::<PaymentRow>(
            query(format!("{SELECT} WHERE booking_id = ? AND status != 'canceled'{lock}")).bind(booking_id),
        )
        .await?
    else {
        return Ok(None);
    };
    if p.status == "succeeded" {
        let owed = refund(p.amount_cents).min(p.amount_cents - p.refunded_cents - p.refund_due_cents).max(0);
        if owed == 0 {
            return Ok(None);
        }
        tx.execute(
            query("UPDATE payments SET refund_due_cents = refund_due_cents + ?, updated_at = ? WHERE intent_id = ?")
                .bind(owed)
                .bind(to_ms(now))
                .bind(&p.intent_id),
        )
        .await?;
    } else {
        tx.execute(
            query("UPDATE payments SET cancel_due = ?, updated_at = ? WHERE intent_id = ?")
                .bind(true)
                .bind(to_ms(now))
                .bind(&p.intent_id),
        )
        .await?;
    }
    Ok(Some(p.intent_id))
}

impl Store {
    /// A payment by intent id.
    pub async fn payment(&self, intent_id: &str) -> AppResult<Option<PaymentRow>> {
        Ok(self.reader().fetch_optional(query(format!("{SELECT} WHERE intent_id = ?")).bind(intent_id)).await?)
    }

    /// The booking's live (not cancelled) intent.
    pub async fn live_payment(&self, booking_id: &str) -> AppResult<Option<PaymentRow>> {
        Ok(self
            .reader()
            .fetch_optional(query(format!("{SELECT} WHERE booking_id = ? AND status != 'canceled'")).bind(booking_id))
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
                    query(format!("{SELECT} WHERE booking_id = ? AND status != 'canceled'")).bind(booking),
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
                .bind(&p.capture_method)
                .bind(&p.status)
                .bind(&p.client_secret)
                .bind(to_ms(now))
                .bind(to_ms(now)),
            )
            .await?;
        if inserted == 0 {
            // The provider's idempotency gave back an intent we already know.
            let existing = tx.fetch_one(query(format!("{SELECT} WHERE intent_id = ?")).bind(&p.intent_id)).await?;
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
        let notices = apply_in(&mut tx, event, intent_id, change, now).await?;
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
        tx.execute(
            query(
                "INSERT INTO webhook_events (id, type, intent_id, received_at) VALUES (?, ?, ?, ?) \
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(id)
            .bind(kind)
            .bind(intent)
            .bind(to_ms(now)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Intents with a refund or cancellation still owed to the provider.
    pub async fn payments_due(&self, limit: i64) -> AppResult<Vec<PaymentRow>> {
        // The condition repeats the partial index `payments_due` word for word, so it is used.
        let due = match self.engine() {
            Engine::Sqlite => "refund_due_cents > 0 OR cancel_due = 1",
            Engine::Postgres => "refund_due_cents > 0 OR cancel_due",
        };
        Ok(self
            .reader()
            .fetch_all(query(format!("{SELECT} WHERE {due} ORDER BY updated_at LIMIT ?")).bind(limit))
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
            Some(total) => apply_in(&mut tx, None, intent_id, &PaymentChange::Refunded(total), now).await?,
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
        let lock = tx.for_update();
        let stranded: Vec<PaymentRow> = tx
            .fetch_all(
                query(format!(
                    "{SELECT} WHERE booking_id IS NULL AND status IN ('succeeded', 'requires_capture') \
                     AND created_at < ? AND refund_due_cents = 0 AND refunds = 0 AND NOT cancel_due LIMIT 100{lock}"
                ))
                .bind(to_ms(cutoff)),
            )
            .await?;
        for p in &stranded {
            let change = PaymentChange::from_status(&p.status).unwrap_or(PaymentChange::Succeeded);
            give_back(&mut tx, p, &change, Anomaly::Orphaned, None, now).await?;
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
        apply_in(&mut tx, None, intent_id, &PaymentChange::Canceled, now).await?;
        tx.commit().await?;
        Ok(())
    }
}
