//! Carrying out what the database says is owed: refunds and intent cancellations. The owed
//! amount is written in the same transaction as the cancellation that caused it, so a crash or
//! a provider outage loses nothing: the background job retries until the provider accepts.

use super::{PaymentError, Provider};
use crate::error::AppResult;
use crate::store::Store;
use crate::store::notifications::Notice;
use crate::store::payments::PaymentChange;
use chrono::{DateTime, Utc};

/// Settles one intent's dues. Provider failures are logged and left for the next retry.
pub async fn settle(store: &Store, provider: &Provider, intent_id: &str, now: DateTime<Utc>) -> AppResult<Vec<Notice>> {
    let Some(p) = store.payment(intent_id).await? else { return Ok(Vec::new()) };
    let mut notices = Vec::new();
    if p.refund_due_cents > 0 {
        let owner = p.booking_id.as_deref().unwrap_or(&p.intent_id);
        let key = format!("booking:{owner}:refund:{}", p.refunds + 1);
        match provider.refund(&p.intent_id, p.refund_due_cents, &key).await {
            Ok(()) => notices.extend(store.refund_accepted(&p.intent_id, p.refund_due_cents, now).await?),
            Err(e) => tracing::warn!(intent = %p.intent_id, error = %e, "refund not accepted yet; will retry"),
        }
    }
    if p.cancel_due {
        match provider.cancel(&p.intent_id, &format!("{}:cancel", p.intent_id)).await {
            // A refusal means it cannot be cancelled any more (already cancelled or charged);
            // a charge would arrive as a webhook and be refunded then.
            Ok(()) | Err(PaymentError::Refused(_)) => store.cancel_accepted(&p.intent_id, now).await?,
            Err(e) => tracing::warn!(intent = %p.intent_id, error = %e, "cancellation not accepted yet; will retry"),
        }
    }
    Ok(notices)
}

/// Asks the provider for an intent's status and applies what changed, so a lost (or, for
/// authorisations, never sent) webhook does not leave a booking behind.
pub async fn reconcile(
    store: &Store,
    provider: &Provider,
    intent_id: &str,
    now: DateTime<Utc>,
) -> AppResult<Vec<Notice>> {
    let Some(remote) = provider.retrieve(intent_id).await? else { return Ok(Vec::new()) };
    match PaymentChange::from_status(remote.status) {
        Some(change) => store.apply_payment(None, intent_id, &change, now).await,
        None => Ok(Vec::new()),
    }
}

/// Retries every intent with something owed (the background job).
pub async fn settle_all_due(store: &Store, provider: &Provider, now: DateTime<Utc>) -> AppResult<Vec<Notice>> {
    let mut notices = Vec::new();
    for p in store.payments_due(100).await? {
        notices.extend(settle(store, provider, &p.intent_id, now).await?);
    }
    Ok(notices)
}
