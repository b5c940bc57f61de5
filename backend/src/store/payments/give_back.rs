//! Money owed back. What is owed is written here, in the transaction that decided it; the
//! background job carries it out at the provider and retries until it is accepted.

use super::PaymentChange;
use crate::error::AppResult;
use crate::store::db::{Tx, query, to_ms};
use crate::store::rows::{PaymentRow, SELECT_PAYMENT};
use chrono::{DateTime, Utc};
use parkway_core::payment::IntentStatus;
use parkway_core::trust::Misdirected;

/// Owes back everything an intent collected (or releases its authorisation) and records why,
/// once per intent and reason.
pub(super) async fn give_back(
    tx: &mut Tx<'_>,
    payment: &PaymentRow,
    change: &PaymentChange,
    why: Misdirected,
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
            .bind(why.as_str())
            .bind(payment.amount_cents)
            .bind(expected)
            .bind(to_ms(now)),
        )
        .await?;
    if recorded > 0 {
        tracing::warn!(intent = %payment.intent_id, kind = why.as_str(), "money arrived where it should not; giving it back");
    }
    let max = tx.engine().greatest();
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
    let lock = tx.engine().for_update();
    let Some(p) = tx
        .fetch_optional::<PaymentRow>(
            query(format!("{SELECT_PAYMENT} WHERE booking_id = ? AND status != 'canceled'{lock}")).bind(booking_id),
        )
        .await?
    else {
        return Ok(None);
    };
    if p.status == IntentStatus::Succeeded {
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
