//! Taking money: the payment provider (Stripe over its HTTP API, or the simulated provider of
//! the embedded demo), webhook signatures, and the rules for when to charge, hold and refund.

/// Paying owners through Stripe Connect.
pub mod connect;
/// The settlement job's transfers, reversals and simulated payouts.
pub mod owners;
/// Refunds and cancellations owed to payers, carried out and retried.
pub mod settle;
/// Verifying `Stripe-Signature` headers.
pub mod signature;
/// Stripe's PaymentIntents and Refunds over reqwest.
pub mod stripe;

use crate::error::AppError;
use parkway_core::ErrorCode;
use parkway_core::payment::{CaptureMethod, IntentStatus};

/// A PaymentIntent as Parkway needs it.
#[derive(Debug, Clone)]
pub struct Intent {
    /// `pi_…`.
    pub id: String,
    /// Handed to the payer's browser or app to confirm the payment.
    pub client_secret: String,
    /// The provider's status.
    pub status: IntentStatus,
    /// Amount in minor units.
    pub amount: i64,
    /// The charge that took the money (`ch_…`), once there is one.
    pub charge: Option<String>,
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

/// How a provider failure answers a request: a decline is the payer's to fix, an outage is
/// worth retrying, and a refusal is our fault (logged, never shown).
impl From<PaymentError> for AppError {
    fn from(e: PaymentError) -> AppError {
        match e {
            PaymentError::Declined(message) => AppError::Api(ErrorCode::PaymentRequired, message),
            PaymentError::Unavailable => AppError::Api(ErrorCode::Unavailable503, e.to_string()),
            PaymentError::Refused(_) => AppError::Internal(anyhow::Error::new(e)),
        }
    }
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
        capture: CaptureMethod,
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
                Ok(Intent { id, client_secret, status: IntentStatus::RequiresPaymentMethod, amount, charge: None })
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
