//! A **test double** of Stripe Connect, for tests only: a small HTTP server on loopback that
//! answers the Connect calls Parkway makes (accounts, account links, transfers, transfer
//! reversals, a connected account's payouts) the way Stripe's API reference describes them,
//! and sends signed Connect events (`account.updated`, `payout.paid`, `payout.failed`,
//! `transfer.reversed`) when the test says that something happened on Stripe's side.
//!
//! It exists because Stripe's emulator, localstripe, has no Connect API: the backend's tests
//! point Connect calls here while charges stay on localstripe. It is not Stripe. What it checks:
//! the bearer key, the parameters each call documents (an unknown or misspelt one is refused
//! with `parameter_unknown`, as Stripe does), required parameters, idempotency keys (a replay
//! answers the stored response; other parameters under the same key are an
//! `idempotency_error`), transfers only to accounts whose `transfers` capability is active,
//! reversals only up to what is left of the transfer and what is left in the account.
//!
//! What it does not model: charges (a `source_transaction` is taken on trust), pending versus
//! available balances (a transfer is available at once), application fees, currencies other
//! than each account's one, requests on behalf of a connected account (`Stripe-Account`) other
//! than listing its payouts, `expand`, rate limiting (429), the `*.created` events Stripe also
//! sends, and events for the platform's own API calls (a transfer or reversal made through the
//! API sends nothing; the dashboard reversal does).
//!
//! ```no_run
//! # async fn demo() {
//! use parkway_testkit::connect::ConnectDouble;
//! let stripe = ConnectDouble::start("sk_test_connect").await;
//! stripe.deliver_events_to("http://127.0.0.1:8080/api/payments/webhook", "whsec_test");
//! // … point the backend's Connect base at stripe.base(), let it create an account …
//! # let account = "acct_x";
//! stripe.complete_onboarding(account).await; // sends a signed account.updated
//! # }
//! ```

mod api;
mod error;
mod events;
mod form;
mod world;

use api::Shared;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::oneshot;

/// A transfer as the double holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    /// `tr_…`.
    pub id: String,
    /// In minor units.
    pub amount: i64,
    /// How much of `amount` was reversed.
    pub amount_reversed: i64,
    /// Lowercase ISO code.
    pub currency: String,
    /// The connected account, `acct_…`.
    pub destination: String,
    /// The charge the money came from, as the caller gave it.
    pub source_transaction: Option<String>,
    /// The caller's grouping.
    pub transfer_group: Option<String>,
    /// The caller's description.
    pub description: Option<String>,
    /// The caller's metadata.
    pub metadata: BTreeMap<String, String>,
    /// Oldest first.
    pub reversals: Vec<Reversal>,
}

/// A transfer reversal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reversal {
    /// `trr_…`.
    pub id: String,
    /// In minor units.
    pub amount: i64,
}

/// A connected account as the double holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// `acct_…`.
    pub id: String,
    /// `express`, `standard`, `custom`, or `none` (described by controller properties).
    pub kind: String,
    /// As given at creation.
    pub email: Option<String>,
    /// Onboarding done.
    pub details_submitted: bool,
    /// Stripe lets the account take charges.
    pub charges_enabled: bool,
    /// Stripe pays out to the account's bank.
    pub payouts_enabled: bool,
    /// `requirements.currently_due`.
    pub requirements_due: Vec<String>,
    /// As given at creation.
    pub metadata: BTreeMap<String, String>,
}

/// An account link handed out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountLink {
    /// The account it onboards.
    pub account: String,
    /// Where it leads (a page of the double).
    pub url: String,
    /// Where Stripe sends the owner when the link has expired.
    pub refresh_url: String,
    /// Where Stripe sends the owner afterwards.
    pub return_url: String,
    /// `account_onboarding` or `account_update`.
    pub kind: String,
}

/// A payout to a connected account's bank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payout {
    /// `po_…`.
    pub id: String,
    /// The connected account.
    pub account: String,
    /// In minor units.
    pub amount: i64,
    /// Lowercase ISO code.
    pub currency: String,
    /// `paid` or `failed`.
    pub status: String,
    /// Stripe's code, for a failed payout.
    pub failure_code: Option<String>,
    /// Stripe's message, for a failed payout.
    pub failure_message: Option<String>,
}

/// A running Stripe Connect test double; the server stops when the handle is dropped.
pub struct ConnectDouble {
    shared: Arc<Shared>,
    /// Tells the server to stop; a `Mutex` only so that the handle is `Sync` whatever the
    /// channel's own bounds.
    shutdown: Mutex<Option<oneshot::Sender<()>>>,
}

impl ConnectDouble {
    /// Starts on `127.0.0.1:<free port>` in a tokio task; requests need
    /// `Authorization: Bearer <secret_key>`. The port is bound before this returns, so the
    /// double answers at once.
    ///
    /// # Panics
    /// When no loopback port can be bound.
    pub async fn start(secret_key: &str) -> ConnectDouble {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.expect("binding a loopback port");
        let address = listener.local_addr().expect("the bound address");
        let shared = Arc::new(Shared {
            key: secret_key.to_owned(),
            base: format!("http://{address}"),
            world: Mutex::default(),
            http: reqwest::Client::new(),
        });
        let app = api::router(shared.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let server = axum::serve(listener, app).with_graceful_shutdown(async {
                // A dropped sender stops the server too.
                let _ = stopped.await;
            });
            if let Err(e) = server.await {
                eprintln!("connect test double: server failed: {e}");
            }
        });
        ConnectDouble { shared, shutdown: Mutex::new(Some(stop)) }
    }

    /// `http://127.0.0.1:PORT`, the base to give the client instead of `https://api.stripe.com`.
    pub fn base(&self) -> String {
        self.shared.base.clone()
    }

    /// Where Connect events go from now on, signed like Stripe's
    /// (`Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256(signing_secret, "t.body")>`).
    /// Without it, events are only recorded ([`ConnectDouble::events`]).
    pub fn deliver_events_to(&self, url: &str, signing_secret: &str) {
        self.shared.world().target =
            Some(world::Target { url: url.to_owned(), secret: signing_secret.to_owned(), clock_offset: 0 });
    }

    /// Signs events as if it were `secs` seconds later than it is: the receiver's clock was
    /// moved forward by a test, and a signature from its past would be refused as stale.
    pub fn set_clock_offset(&self, secs: i64) {
        if let Some(target) = self.shared.world().target.as_mut() {
            target.clock_offset = secs;
        }
    }

    /// Records `event` and sends it, waiting for the delivery (and its retries) to finish so
    /// that tests can assert right after.
    async fn send(&self, event: Value) {
        let target = {
            let mut world = self.shared.world();
            world.events.push(event.clone());
            world.target.clone()
        };
        if let Some(target) = target {
            events::deliver(&self.shared.http, &target, &event).await;
        }
    }

    /// The owner finishes onboarding: `details_submitted`, `charges_enabled` and
    /// `payouts_enabled` become true, requirements are cleared, requested capabilities turn
    /// active; sends `account.updated`.
    ///
    /// # Panics
    /// When the account is unknown.
    pub async fn complete_onboarding(&self, account: &str) {
        let change = self.shared.world().onboard(account);
        let Some((before, after)) = change else { panic!("complete_onboarding: no account {account}") };
        self.send(events::event("account.updated", Some(account), after, Some(&before))).await;
    }

    /// Stripe needs more from the owner: payouts are disabled and `requirements.currently_due`
    /// (and `past_due`) become `fields`; sends `account.updated`.
    ///
    /// # Panics
    /// When the account is unknown.
    pub async fn require(&self, account: &str, fields: &[&str]) {
        let change = self.shared.world().require(account, fields);
        let Some((before, after)) = change else { panic!("require: no account {account}") };
        self.send(events::event("account.updated", Some(account), after, Some(&before))).await;
    }

    /// Stripe pays out the account's available balance (its transfers, less their reversals,
    /// less earlier payouts that did not fail): creates a payout `po_…` and sends `payout.paid`,
    /// or with `failure = Some((code, message))` `payout.failed` carrying `failure_code` and
    /// `failure_message` (the money then stays in the balance, as at Stripe). Payout events
    /// carry `account`. Returns the payout's id.
    ///
    /// # Panics
    /// When the account is unknown, has payouts disabled, or has nothing (or balances in more
    /// than one currency) to pay out: Stripe would not pay out either.
    pub async fn pay_out(&self, account: &str, failure: Option<(&str, &str)>) -> String {
        let made = self.shared.world().pay_out(account, failure);
        let payout = made.unwrap_or_else(|why| panic!("pay_out: {why}"));
        let id = payout["id"].as_str().unwrap_or_default().to_owned();
        let kind = if failure.is_some() { "payout.failed" } else { "payout.paid" };
        self.send(events::event(kind, Some(account), payout, None)).await;
        id
    }

    /// Someone reverses `amount` of a transfer in Stripe's dashboard: the reversal is made and
    /// `transfer.reversed` (a platform event, without `account`) carries the transfer. Returns
    /// the reversal's id.
    ///
    /// # Panics
    /// When the transfer is unknown or the reversal is refused (more than is left).
    pub async fn reverse_from_dashboard(&self, transfer: &str, amount: i64) -> String {
        let made = self.shared.world().reverse(transfer, Some(amount), BTreeMap::new());
        let (reversal, before, after) = made.unwrap_or_else(|e| panic!("reverse_from_dashboard: {}", e.message));
        self.send(events::event("transfer.reversed", None, after, Some(&before))).await;
        reversal["id"].as_str().unwrap_or_default().to_owned()
    }

    /// The transfers so far, oldest first.
    pub fn transfers(&self) -> Vec<Transfer> {
        let world = self.shared.world();
        world
            .transfers
            .iter()
            .map(|t| Transfer {
                id: t.id.clone(),
                amount: t.amount,
                amount_reversed: t.amount_reversed,
                currency: t.currency.clone(),
                destination: t.destination.clone(),
                source_transaction: t.source_transaction.clone(),
                transfer_group: t.transfer_group.clone(),
                description: t.description.clone(),
                metadata: t.metadata.clone(),
                reversals: t.reversals.iter().map(|r| Reversal { id: r.id.clone(), amount: r.amount }).collect(),
            })
            .collect()
    }

    /// The accounts so far, oldest first.
    pub fn accounts(&self) -> Vec<Account> {
        let world = self.shared.world();
        world
            .accounts
            .iter()
            .map(|a| Account {
                id: a.id.clone(),
                kind: a.kind.clone(),
                email: a.email.clone(),
                details_submitted: a.details_submitted,
                charges_enabled: a.charges_enabled,
                payouts_enabled: a.payouts_enabled,
                requirements_due: a.currently_due.clone(),
                metadata: a.metadata.clone(),
            })
            .collect()
    }

    /// The account links handed out, oldest first.
    pub fn account_links(&self) -> Vec<AccountLink> {
        let world = self.shared.world();
        world
            .links
            .iter()
            .map(|l| AccountLink {
                account: l.account.clone(),
                url: l.url.clone(),
                refresh_url: l.refresh_url.clone(),
                return_url: l.return_url.clone(),
                kind: l.kind.clone(),
            })
            .collect()
    }

    /// The payouts so far, oldest first.
    pub fn payouts(&self) -> Vec<Payout> {
        let world = self.shared.world();
        world
            .payouts
            .iter()
            .map(|p| Payout {
                id: p.id.clone(),
                account: p.account.clone(),
                amount: p.amount,
                currency: p.currency.clone(),
                status: p.status().to_owned(),
                failure_code: p.failure.as_ref().map(|(c, _)| c.clone()),
                failure_message: p.failure.as_ref().map(|(_, m)| m.clone()),
            })
            .collect()
    }

    /// Every event made so far (delivered or not), oldest first, as sent.
    pub fn events(&self) -> Vec<Value> {
        self.shared.world().events.clone()
    }

    /// When each request reached the double, in arrival order (refused ones included), for a
    /// rate-limit benchmark.
    pub fn request_times(&self) -> Vec<Instant> {
        self.shared.world().requests.iter().map(|(at, _)| *at).collect()
    }

    /// How many requests reached each `METHOD /path` so far (query strings left out).
    pub fn request_counts(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for (_, path) in &self.shared.world().requests {
            *counts.entry(path.clone()).or_insert(0) += 1;
        }
        counts
    }

    /// The next `n` write requests (POST) answer 500 with a Stripe `api_error` body and change
    /// nothing, not even an idempotency key's record, so that a retry with the same key
    /// succeeds (outage tests). Replaces any count still pending.
    pub fn fail_next_writes(&self, n: usize) {
        self.shared.world().fail_writes = n;
    }
}

impl Drop for ConnectDouble {
    fn drop(&mut self) {
        let stop = self.shutdown.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner).take();
        if let Some(stop) = stop {
            let _ = stop.send(());
        }
    }
}
