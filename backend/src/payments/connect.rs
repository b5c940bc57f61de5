//! Paying owners: Stripe Connect Express accounts, their onboarding links, transfers of each
//! booking's share from the charge that paid for it, and reversals after late refunds. The
//! simulated provider of the embedded default makes up ids and moves no money.
//!
//! Every call the settlement job makes waits on one rate limiter (`PARKWAY_STRIPE_MAX_RPS`),
//! so a backlog of transfers never uses up the Stripe request budget drivers' payments need.

use super::PaymentError;
use super::stripe::StripeClient;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use parkway_core::earnings::AccountStatus;
use reqwest::Method;
use serde::Deserialize;
use std::num::NonZeroU32;
use std::sync::Arc;

/// Who pays owners.
#[derive(Debug, Clone)]
pub enum Connect {
    /// Stripe Connect (or a test double at `STRIPE_CONNECT_API_BASE`).
    Stripe {
        /// Talks to the Connect base.
        client: StripeClient,
        /// Shared by every call of the settlement job.
        limiter: Arc<DefaultDirectRateLimiter>,
    },
    /// No Stripe key: transfers and payouts are recorded, no money moves.
    Simulated,
}

/// An account as Stripe describes it in answers and `account.updated` events.
#[derive(Debug, Clone, Deserialize)]
pub struct AccountObject {
    /// `acct_…`.
    pub id: String,
    /// The owner finished the onboarding form.
    #[serde(default)]
    pub details_submitted: bool,
    /// Stripe pays out to the owner's bank.
    #[serde(default)]
    pub payouts_enabled: bool,
    /// What Stripe still needs.
    #[serde(default)]
    pub requirements: Requirements,
}

/// `requirements` of an account.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Requirements {
    /// Fields due now.
    #[serde(default)]
    pub currently_due: Vec<String>,
}

impl AccountObject {
    /// Where the account stands, in Parkway's words.
    pub fn status(&self) -> AccountStatus {
        AccountStatus::from_provider(self.details_submitted, self.payouts_enabled, &self.requirements.currently_due)
    }
}

#[derive(Deserialize)]
struct Link {
    url: String,
}

#[derive(Deserialize)]
struct Made {
    id: String,
}

/// A transfer Stripe already holds.
#[derive(Debug, Clone, Deserialize)]
pub struct Found {
    /// `tr_…`.
    pub id: String,
    /// What it sent.
    pub amount: i64,
}

#[derive(Deserialize)]
struct TransferList {
    data: Vec<Found>,
}

/// One transfer to ask for.
#[derive(Debug, Clone)]
pub struct TransferRequest<'a> {
    /// The booking it pays for: its transfer group and idempotency key are made from it.
    pub booking: &'a str,
    /// The owner's share, in minor units.
    pub amount: i64,
    /// Its currency.
    pub currency: &'a str,
    /// The owner's `acct_…`.
    pub destination: &'a str,
    /// The charge that paid for the booking (`ch_…`), so the money is sent from it once it is
    /// available rather than from the platform's balance.
    pub source_transaction: Option<&'a str>,
}

/// The transfer group that ties a booking's charge, transfer and reversals together.
pub fn transfer_group(booking: &str) -> String {
    format!("booking_{booking}")
}

impl Connect {
    /// Stripe Connect at `client`'s base, the job making at most `max_rps` requests a second.
    pub fn stripe(client: StripeClient, max_rps: u32) -> Connect {
        let rate = NonZeroU32::new(max_rps).unwrap_or(NonZeroU32::MIN);
        // A burst of a twentieth of the rate: enough to catch up the slots a slow request let
        // pass (requests go one at a time), small enough that no second sees more than 5 %
        // over the rate. Governor's default, a whole second's worth, doubles the first second.
        let burst = NonZeroU32::new(max_rps / 20).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::per_second(rate).allow_burst(burst);
        Connect::Stripe { client, limiter: Arc::new(RateLimiter::direct(quota)) }
    }

    /// True for the simulated provider.
    pub fn is_simulated(&self) -> bool {
        matches!(self, Connect::Simulated)
    }

    async fn call<T: for<'de> Deserialize<'de>>(
        &self,
        method: Method,
        path: &str,
        form: &[(String, String)],
        idempotency_key: Option<&str>,
    ) -> Result<Option<T>, PaymentError> {
        match self {
            Connect::Stripe { client, limiter } => {
                limiter.until_ready().await;
                client.call(method, path, form, idempotency_key).await.map(Some)
            }
            Connect::Simulated => Ok(None),
        }
    }

    /// Creates the owner's Express account (`POST /v1/accounts`), once per owner: the
    /// idempotency key is the owner's.
    pub async fn create_account(&self, owner: &str, email: &str) -> Result<String, PaymentError> {
        let form = [
            ("type", "express"),
            ("email", email),
            ("capabilities[transfers][requested]", "true"),
            ("metadata[owner_id]", owner),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()));
        let made: Option<Made> =
            self.call(Method::POST, "/v1/accounts", &form, Some(&format!("account-{owner}"))).await?;
        Ok(made.map_or_else(|| format!("acct_sim_{}", uuid::Uuid::new_v4().simple()), |m| m.id))
    }

    /// A fresh onboarding link for `account` (`POST /v1/account_links`). `None` for the
    /// simulated provider, whose onboarding page is Parkway's own.
    pub async fn onboarding_link(
        &self,
        account: &str,
        refresh_url: &str,
        return_url: &str,
    ) -> Result<Option<String>, PaymentError> {
        let form = [
            ("account", account),
            ("refresh_url", refresh_url),
            ("return_url", return_url),
            ("type", "account_onboarding"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()));
        // No idempotency key: every request wants a new link, a spent one is useless.
        let link: Option<Link> = self.call(Method::POST, "/v1/account_links", &form, None).await?;
        Ok(link.map(|l| l.url))
    }

    /// The transfer already made for `booking`, if any (`GET /v1/transfers?transfer_group=`):
    /// asked before sending again, in case an earlier attempt reached Stripe and its answer
    /// was lost.
    pub async fn transfer_made_for(&self, booking: &str) -> Result<Option<Found>, PaymentError> {
        let path = format!("/v1/transfers?transfer_group={}&limit=1", transfer_group(booking));
        let list: Option<TransferList> = self.call(Method::GET, &path, &[], None).await?;
        Ok(list.and_then(|l| l.data.into_iter().next()))
    }

    /// Waits for the settlement job's next request slot, for a call made elsewhere (reading a
    /// charge from the payments API).
    pub async fn pace(&self) {
        if let Connect::Stripe { limiter, .. } = self {
            limiter.until_ready().await;
        }
    }

    /// Sends a booking's share to its owner (`POST /v1/transfers`), exactly once per booking:
    /// the idempotency key is the booking's.
    pub async fn transfer(&self, t: &TransferRequest<'_>) -> Result<String, PaymentError> {
        let mut form = vec![
            ("amount".to_owned(), t.amount.to_string()),
            ("currency".to_owned(), t.currency.to_owned()),
            ("destination".to_owned(), t.destination.to_owned()),
            ("transfer_group".to_owned(), transfer_group(t.booking)),
            ("metadata[booking_id]".to_owned(), t.booking.to_owned()),
        ];
        if let Some(charge) = t.source_transaction {
            form.push(("source_transaction".to_owned(), charge.to_owned()));
        }
        let made: Option<Made> =
            self.call(Method::POST, "/v1/transfers", &form, Some(&format!("transfer-{}", t.booking))).await?;
        Ok(made.map_or_else(|| format!("tr_sim_{}", uuid::Uuid::new_v4().simple()), |m| m.id))
    }

    /// Takes `amount` back from a transfer (`POST /v1/transfers/:id/reversals`), once per
    /// `key` (the booking and the refund that caused it).
    pub async fn reverse(&self, transfer: &str, amount: i64, key: &str) -> Result<String, PaymentError> {
        let form = [("amount".to_owned(), amount.to_string())];
        let path = format!("/v1/transfers/{transfer}/reversals");
        let made: Option<Made> = self.call(Method::POST, &path, &form, Some(key)).await?;
        Ok(made.map_or_else(|| format!("trr_sim_{}", uuid::Uuid::new_v4().simple()), |m| m.id))
    }
}
