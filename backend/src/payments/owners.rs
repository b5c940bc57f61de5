//! The settlement job's side of paying owners: plan a transfer for each settled booking, send
//! the planned ones, take back the owner's share of refunds made after a transfer, and (with
//! the simulated provider) pay balances out. Each step reads rows the database holds, so a
//! crash or an outage anywhere leaves work the next run finishes, under the same idempotency
//! keys, without paying anyone twice.

use super::connect::{Connect, TransferRequest};
use super::{PaymentError, Provider};
use crate::error::{AppError, AppResult};
use crate::store::Store;
use crate::store::payouts::transfers::{PER_RUN, Unsent};
use chrono::{DateTime, Duration, Utc};
use parkway_core::earnings::FeeRate;

/// What one run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    /// Transfers written for newly settled bookings.
    pub planned: usize,
    /// Transfers the provider accepted.
    pub sent: usize,
    /// Reversals the provider accepted.
    pub reversed: usize,
    /// Simulated payouts made or arrived.
    pub payouts: usize,
    /// A step found as much work as one run takes: more is likely waiting.
    pub full_batch: bool,
}

/// Everything the job needs.
#[derive(Debug, Clone, Copy)]
pub struct Owners<'a> {
    /// The database.
    pub store: &'a Store,
    /// Charges (to find the charge a transfer is sent from).
    pub payments: &'a Provider,
    /// Connect.
    pub connect: &'a Connect,
    /// The platform's fee.
    pub fee: FeeRate,
    /// How long money waits after a booking ends.
    pub settlement: Duration,
}

impl Owners<'_> {
    /// One run: plan, send, reverse, pay out. Stops at the first outage of the provider; what
    /// is left is sent by the next run.
    pub async fn run(&self, now: DateTime<Utc>) -> AppResult<Report> {
        let mut report =
            Report { planned: self.store.plan_transfers(now, self.settlement, self.fee).await?, ..Report::default() };
        let unsent = self.store.unsent_transfers(PER_RUN).await?;
        report.full_batch = report.planned >= PER_RUN as usize || unsent.len() >= PER_RUN as usize;
        for t in unsent {
            match self.send(&t, now).await {
                Ok(()) => report.sent += 1,
                Err(AppError::Api(..)) => {
                    tracing::warn!(booking = %t.booking_id, "payment provider unavailable; transfers wait for the next run");
                    // Not at once: the next run waits for the job interval.
                    report.full_batch = false;
                    break;
                }
                Err(e) => tracing::error!(error = %e, booking = %t.booking_id, "transfer refused; will retry"),
            }
        }
        self.store.plan_reversals(self.fee, now).await?;
        for r in self.store.unsent_reversals(PER_RUN).await? {
            let key = format!("reversal-{}-{}", r.booking_id, r.refunded_cents);
            match self.connect.reverse(&r.transfer_id, r.amount_cents, &key).await {
                Ok(id) => {
                    self.store.record_reversal(&r.booking_id, r.refunded_cents, &id, now).await?;
                    report.reversed += 1;
                }
                Err(e) => {
                    tracing::warn!(error = %e, booking = %r.booking_id, "transfer reversal failed; will retry");
                    break;
                }
            }
        }
        if self.connect.is_simulated() {
            report.payouts = self.store.simulate_payouts(now).await?;
        }
        Ok(report)
    }

    /// Sends one planned transfer. After a first attempt whose answer was lost, Stripe is
    /// asked whether the transfer exists before asking for it again (its idempotency keys
    /// last a day; the row may be older); one found is adopted, and a difference in amount is
    /// reported rather than paid.
    async fn send(&self, t: &Unsent, now: DateTime<Utc>) -> AppResult<()> {
        if t.attempts > 0
            && let Some(found) = self.connect.transfer_made_for(&t.booking_id).await?
        {
            if found.amount != t.amount_cents {
                tracing::error!(
                    booking = %t.booking_id,
                    transfer = %found.id,
                    sent = found.amount,
                    expected = t.amount_cents,
                    "reconciliation: the provider's transfer differs from Parkway's; adopted, not paid again"
                );
            }
            self.store.record_transfer(&t.booking_id, &found.id, now).await?;
            return Ok(());
        }
        let charge = match &t.intent_id {
            Some(intent) if !self.payments.is_simulated() => {
                self.connect.pace().await;
                self.payments.retrieve(intent).await?.and_then(|i| i.charge)
            }
            _ => None,
        };
        self.store.note_transfer_attempt(&t.booking_id, now).await?;
        let id = self
            .connect
            .transfer(&TransferRequest {
                booking: &t.booking_id,
                amount: t.amount_cents,
                currency: &t.currency,
                destination: &t.account_id,
                source_transaction: charge.as_deref(),
            })
            .await
            .map_err(|e| match e {
                PaymentError::Unavailable => AppError::from(e),
                other => AppError::Internal(anyhow::Error::new(other)),
            })?;
        self.store.record_transfer(&t.booking_id, &id, now).await?;
        Ok(())
    }
}
