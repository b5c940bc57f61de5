//! Taking money: the payment provider (Stripe over its HTTP API, or the simulated provider of
//! the embedded demo), webhook signatures, and the rules for when to charge, hold and refund.

/// Refunds and cancellations owed to payers, carried out and retried.
pub mod settle;
/// Verifying `Stripe-Signature` headers.
pub mod signature;
/// Stripe's PaymentIntents and Refunds over reqwest.
pub mod stripe;

use chrono::{DateTime, Duration, Utc};

/// A request-to-book slot starting within this many days is only authorised at booking and
/// captured when the owner confirms; further out it is charged and refunded if declined
/// (card authorisations lapse after about a week).
pub const AUTHORISE_ONLY_WITHIN_DAYS: i64 = 5;

/// How a payment is collected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capture {
    /// Charged at once.
    Automatic,
    /// Authorised now, captured when the owner confirms.
    Manual,
}

impl Capture {
    /// The rule: instant-book driveways are charged at once; request-to-book slots starting
    /// within [`AUTHORISE_ONLY_WITHIN_DAYS`] are authorised only; later ones are charged.
    pub fn for_booking(instant_book: bool, start: DateTime<Utc>, now: DateTime<Utc>) -> Capture {
        if !instant_book && start - now <= Duration::days(AUTHORISE_ONLY_WITHIN_DAYS) {
            Capture::Manual
        } else {
            Capture::Automatic
        }
    }

    /// Stripe's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Capture::Automatic => "automatic",
            Capture::Manual => "manual",
        }
    }
}

/// A PaymentIntent as Parkway needs it.
#[derive(Debug, Clone)]
pub struct Intent {
    /// `pi_…`.
    pub id: String,
    /// Handed to the payer's browser or app to confirm the payment.
    pub client_secret: String,
    /// The provider's status (`requires_payment_method`, `requires_capture`, `succeeded`, …).
    pub status: String,
    /// Amount in minor units.
    pub amount: i64,
}

/// What a payment provider call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    /// The card was declined or cannot be used; the message is for the payer.
    #[error("{0}")]
    Declined(String),
    /// The provider could not be reached or kept failing; try again later.
    #[error("the payment service is not answering; please try again shortly")]
    Unavailable,
    /// The provider refused the request for a reason that is our fault; logged, not shown.
    #[error("payment request refused: {0}")]
    Refused(String),
}

/// Which provider this server uses.
#[derive(Debug, Clone)]
pub enum Provider {
    /// Stripe's API (or an emulator at `STRIPE_API_BASE`).
    Stripe(stripe::StripeClient),
    /// No Stripe key: intents live only in Parkway's database and no money moves.
    Simulated,
}

impl Provider {
    /// True for the simulated provider.
    pub fn is_simulated(&self) -> bool {
        matches!(self, Provider::Simulated)
    }

    /// Creates an intent; the simulated provider just makes up ids.
    pub async fn create(
        &self,
        amount: i64,
        currency: &str,
        capture: Capture,
        metadata: &[(&str, String)],
        idempotency_key: &str,
    ) -> Result<Intent, PaymentError> {
        match self {
            Provider::Stripe(client) => {
                client.create_intent(amount, currency, capture, metadata, idempotency_key).await
            }
            Provider::Simulated => {
                let id = format!("pi_sim_{}", uuid::Uuid::new_v4().simple());
                let client_secret = format!("{id}_secret_{}", uuid::Uuid::new_v4().simple());
                Ok(Intent { id, client_secret, status: "requires_payment_method".into(), amount })
            }
        }
    }

    /// The provider's current view of an intent; `None` for the simulated provider, whose
    /// state is Parkway's own.
    pub async fn retrieve(&self, id: &str) -> Result<Option<Intent>, PaymentError> {
        match self {
            Provider::Stripe(client) => client.retrieve_intent(id).await.map(Some),
            Provider::Simulated => Ok(None),
        }
    }

    /// Captures an authorised intent.
    pub async fn capture(&self, id: &str, idempotency_key: &str) -> Result<(), PaymentError> {
        match self {
            Provider::Stripe(client) => client.capture_intent(id, idempotency_key).await.map(|_| ()),
            Provider::Simulated => Ok(()),
        }
    }

    /// Cancels an intent that has not been charged (releasing an authorisation).
    pub async fn cancel(&self, id: &str, idempotency_key: &str) -> Result<(), PaymentError> {
        match self {
            Provider::Stripe(client) => client.cancel_intent(id, idempotency_key).await.map(|_| ()),
            Provider::Simulated => Ok(()),
        }
    }

    /// Refunds `amount` of a charged intent.
    pub async fn refund(&self, id: &str, amount: i64, idempotency_key: &str) -> Result<(), PaymentError> {
        match self {
            Provider::Stripe(client) => client.refund(id, amount, idempotency_key).await,
            Provider::Simulated => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_rule() {
        let now = Utc::now();
        assert_eq!(Capture::for_booking(true, now + Duration::days(1), now), Capture::Automatic);
        assert_eq!(Capture::for_booking(false, now + Duration::days(1), now), Capture::Manual);
        assert_eq!(Capture::for_booking(false, now + Duration::days(5), now), Capture::Manual);
        assert_eq!(Capture::for_booking(false, now + Duration::days(6), now), Capture::Automatic);
    }
}
