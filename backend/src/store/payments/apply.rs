//! One provider event, applied to an intent and then to its booking, in steps that each do one
//! thing: record the event once, move the intent forward, refuse money that is not for the
//! booking, move the booking's payment status, confirm an instant booking, and release money
//! that arrived for a cancelled booking.

use super::give_back::give_back;
use super::{PaymentChange, lock_booking_of};
use crate::error::AppResult;
use crate::store::db::{Tx, query, to_ms, uuid};
use crate::store::notifications::{self, Notice};
use crate::store::rows::{Listing, PaymentRow, SELECT_PAYMENT, booking_in, listing, swap_status};
use chrono::{DateTime, Utc};
use parkway_core::api::Booking;
use parkway_core::booking::{BookingStatus, PaymentEvent};
use parkway_core::trust::check_payment_fits;
use uuid::Uuid;

/// Applies `change` to the intent and its booking inside `tx`. `event` is the webhook's
/// `(id, type)`, recorded once; a repeat returns no notices and changes nothing.
pub async fn apply_in(
    tx: &mut Tx<'_>,
    event: Option<(&str, &str)>,
    intent_id: &str,
    change: &PaymentChange,
    now: DateTime<Utc>,
) -> AppResult<Vec<Notice>> {
    if let Some((id, kind)) = event
        && !record_once(tx, id, kind, Some(intent_id), now).await?
    {
        return Ok(Vec::new());
    }
    lock_booking_of(tx, intent_id).await?;
    let lock = tx.engine().for_update();
    let Some(payment) = tx
        .fetch_optional::<PaymentRow>(query(format!("{SELECT_PAYMENT} WHERE intent_id = ?{lock}")).bind(intent_id))
        .await?
    else {
        // Not one of ours (or not yet): recorded above, nothing else to do.
        return Ok(Vec::new());
    };
    advance_intent(tx, &payment, change, now).await?;

    let Some(booking_id) = payment.booking_id.as_deref() else { return Ok(Vec::new()) };
    let Some((mut booking, owner)) = booking_in(tx, booking_id).await? else { return Ok(Vec::new()) };
    if change.brings_money() {
        let current = booking.stripe_payment_id.as_deref() == Some(intent_id);
        if let Err(misdirected) =
            check_payment_fits(current, parkway_core::Cents(payment.amount_cents), booking.total_cents)
        {
            give_back(tx, &payment, change, misdirected, Some(booking.total_cents.0), now).await?;
            return Ok(Vec::new());
        }
    }
    let owner = uuid(&owner)?;
    let listing = listing(tx, booking.driveway, "your driveway").await?;
    let mut notices = advance_booking(tx, &mut booking, owner, &listing, change, now).await?;
    if *change == PaymentChange::Succeeded && listing.instant_book {
        notices.extend(confirm_instant(tx, &mut booking, &listing, now).await?);
    }
    release_if_cancelled(tx, intent_id, change, booking.status, now).await?;
    Ok(notices)
}

/// Stores a webhook event's id; false if it was seen before (by any instance), so that a
/// redelivery changes nothing.
pub(super) async fn record_once(
    tx: &mut Tx<'_>,
    id: &str,
    kind: &str,
    intent: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let fresh = tx
        .execute(
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
    Ok(fresh > 0)
}

/// Moves the intent's status forward (never back) and raises its refunded total.
async fn advance_intent(
    tx: &mut Tx<'_>,
    payment: &PaymentRow,
    change: &PaymentChange,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let next = change.status();
    if payment.status.moves_to(next) {
        tx.execute(
            query("UPDATE payments SET status = ?, updated_at = ? WHERE intent_id = ?")
                .bind(next.as_str())
                .bind(to_ms(now))
                .bind(&payment.intent_id),
        )
        .await?;
    }
    if let PaymentChange::Refunded(total) = change {
        let max = tx.engine().greatest();
        tx.execute(
            query(format!(
                "UPDATE payments SET refunded_cents = {max}(refunded_cents, ?), updated_at = ? WHERE intent_id = ?"
            ))
            .bind(*total)
            .bind(to_ms(now))
            .bind(&payment.intent_id),
        )
        .await?;
    }
    Ok(())
}

/// Moves the booking's payment status as the event says (forward only), tells the driver (and
/// the owner, for money in), and raises the booking's refunded total.
async fn advance_booking(
    tx: &mut Tx<'_>,
    booking: &mut Booking,
    owner: Uuid,
    listing: &Listing,
    change: &PaymentChange,
    now: DateTime<Utc>,
) -> AppResult<Vec<Notice>> {
    let mut notices = Vec::new();
    let booking_id = booking.id.to_string();
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
                .bind(&booking_id),
        )
        .await?;
        booking.payment_status = next_status;
        booking.updated_at = now;
        let about = listing.about(booking);
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
        let max = tx.engine().greatest();
        tx.execute(
            query(format!("UPDATE bookings SET refunded_cents = {max}(refunded_cents, ?) WHERE id = ?"))
                .bind(*total)
                .bind(&booking_id),
        )
        .await?;
    }
    Ok(notices)
}

/// Paid for an instant-book driveway: a pending booking is confirmed at once.
async fn confirm_instant(
    tx: &mut Tx<'_>,
    booking: &mut Booking,
    listing: &Listing,
    now: DateTime<Utc>,
) -> AppResult<Option<Notice>> {
    if booking.status != BookingStatus::Pending
        || !swap_status(tx, &booking.id.to_string(), BookingStatus::Pending, BookingStatus::Confirmed, now).await?
    {
        return Ok(None);
    }
    booking.status = BookingStatus::Confirmed;
    Ok(Some(notifications::insert(tx, listing.about(booking).confirmed(booking.driver), now).await?))
}

/// Money that arrived for a booking cancelled meanwhile goes back: collected money is owed
/// back in full, an authorisation is released.
async fn release_if_cancelled(
    tx: &mut Tx<'_>,
    intent_id: &str,
    change: &PaymentChange,
    status: BookingStatus,
    now: DateTime<Utc>,
) -> AppResult<()> {
    if status != BookingStatus::Cancelled {
        return Ok(());
    }
    let max = tx.engine().greatest();
    let owe = match change {
        PaymentChange::Succeeded => format!(
            "UPDATE payments SET refund_due_cents = {max}(0, amount_cents - refunded_cents), updated_at = ? \
             WHERE intent_id = ? AND refund_due_cents = 0 AND refunds = 0"
        ),
        PaymentChange::Authorized => {
            "UPDATE payments SET cancel_due = TRUE, updated_at = ? WHERE intent_id = ?".to_owned()
        }
        _ => return Ok(()),
    };
    tx.execute(query(owe).bind(to_ms(now)).bind(intent_id)).await?;
    Ok(())
}
