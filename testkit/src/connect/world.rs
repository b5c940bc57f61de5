//! The double's state: connected accounts, onboarding links, transfers and their reversals,
//! payouts, sent events, stored idempotent answers, and the request log; with Stripe's rules
//! for each change and the JSON shape of each object.

use super::error::ApiError;
use axum::http::StatusCode;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// What a new Express or Custom account must still provide, as Stripe lists it for a US
/// individual who has not started onboarding.
const INITIAL_REQUIREMENTS: &[&str] = &[
    "business_profile.mcc",
    "business_profile.url",
    "business_type",
    "external_account",
    "individual.address.city",
    "individual.address.line1",
    "individual.address.postal_code",
    "individual.address.state",
    "individual.dob.day",
    "individual.dob.month",
    "individual.dob.year",
    "individual.email",
    "individual.first_name",
    "individual.last_name",
    "individual.phone",
    "individual.ssn_last_4",
    "tos_acceptance.date",
    "tos_acceptance.ip",
];

/// How long an account link works, as at Stripe (a few minutes).
const LINK_LIFETIME_SECS: i64 = 300;

/// Seconds since the Unix epoch.
pub(crate) fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// A fresh id with Stripe's prefix (`acct`, `tr`, …).
pub(crate) fn new_id(prefix: &str) -> String {
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}_{}", &random[..24])
}

/// Where events go.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub url: String,
    pub secret: String,
    /// Seconds added to the real time in signatures, for a receiver whose clock a test moved.
    pub clock_offset: i64,
}

/// An answer kept under an idempotency key.
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    /// The endpoint and the parameters it was first used with.
    pub fingerprint: (String, Vec<(String, String)>),
    pub status: StatusCode,
    pub body: Value,
}

#[derive(Debug, Clone)]
pub(crate) struct AccountRec {
    pub id: String,
    pub kind: String,
    pub country: String,
    pub email: Option<String>,
    pub default_currency: String,
    pub created: i64,
    pub business_type: Option<String>,
    pub business_profile: Value,
    /// Each capability asked for, and whether it was requested (`true`) or declined.
    pub capabilities: BTreeMap<String, bool>,
    pub details_submitted: bool,
    pub charges_enabled: bool,
    pub payouts_enabled: bool,
    pub currently_due: Vec<String>,
    pub past_due: Vec<String>,
    pub eventually_due: Vec<String>,
    pub disabled_reason: Option<String>,
    pub metadata: BTreeMap<String, String>,
    /// The bank account payouts go to, once onboarding gave one.
    pub bank: String,
}

/// What `POST /v1/accounts` asks for.
#[derive(Debug, Clone)]
pub(crate) struct NewAccount {
    pub kind: String,
    pub country: String,
    pub email: Option<String>,
    pub default_currency: String,
    pub business_type: Option<String>,
    pub business_profile: Value,
    pub capabilities: BTreeMap<String, bool>,
    pub metadata: BTreeMap<String, String>,
}

impl AccountRec {
    /// A capability's status as Stripe reports it: requested ones are `inactive` until
    /// onboarding is done. Standard accounts get `card_payments` and `transfers` on onboarding
    /// whether asked for or not; Express and Custom accounts only get what was requested.
    fn capability(&self, name: &str) -> Option<&'static str> {
        let standard = self.kind == "standard" && matches!(name, "card_payments" | "transfers");
        match self.capabilities.get(name) {
            Some(true) if self.details_submitted => Some("active"),
            Some(true) => Some("inactive"),
            None if standard && self.details_submitted => Some("active"),
            _ => None,
        }
    }

    fn capability_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.capabilities.keys().cloned().collect();
        if self.kind == "standard" {
            names.extend(["card_payments".to_owned(), "transfers".to_owned()]);
        }
        names.sort();
        names.dedup();
        names
    }

    pub fn to_json(&self) -> Value {
        let capabilities: serde_json::Map<String, Value> = self
            .capability_names()
            .into_iter()
            .filter_map(|name| self.capability(&name).map(|status| (name, json!(status))))
            .collect();
        let banks: Vec<Value> = if self.details_submitted {
            vec![json!({
                "id": self.bank, "object": "bank_account", "account": self.id, "bank_name": "STRIPE TEST BANK",
                "country": self.country, "currency": self.default_currency, "default_for_currency": true,
                "last4": "6789", "routing_number": "110000000", "status": "new",
            })]
        } else {
            Vec::new()
        };
        let requirements = json!({
            "alternatives": [],
            "current_deadline": null,
            "currently_due": self.currently_due,
            "disabled_reason": self.disabled_reason,
            "errors": [],
            "eventually_due": self.eventually_due,
            "past_due": self.past_due,
            "pending_verification": [],
        });
        json!({
            "id": self.id,
            "object": "account",
            "business_profile": self.business_profile,
            "business_type": self.business_type,
            "capabilities": capabilities,
            "charges_enabled": self.charges_enabled,
            "country": self.country,
            "created": self.created,
            "default_currency": self.default_currency,
            "details_submitted": self.details_submitted,
            "email": self.email,
            "external_accounts": {
                "object": "list", "data": banks, "has_more": false, "total_count": banks.len(),
                "url": format!("/v1/accounts/{}/external_accounts", self.id),
            },
            "future_requirements": {
                "alternatives": [], "current_deadline": null, "currently_due": [], "disabled_reason": null,
                "errors": [], "eventually_due": [], "past_due": [], "pending_verification": [],
            },
            "livemode": false,
            "metadata": self.metadata,
            "payouts_enabled": self.payouts_enabled,
            "requirements": requirements,
            "type": self.kind,
        })
    }
}

#[derive(Debug, Clone)]
pub(crate) struct LinkRec {
    pub account: String,
    pub url: String,
    pub refresh_url: String,
    pub return_url: String,
    pub kind: String,
}

/// What `POST /v1/account_links` asks for.
#[derive(Debug, Clone)]
pub(crate) struct NewLink {
    pub account: String,
    pub refresh_url: String,
    pub return_url: String,
    pub kind: String,
}

#[derive(Debug, Clone)]
pub(crate) struct ReversalRec {
    pub id: String,
    pub amount: i64,
    pub created: i64,
    pub metadata: BTreeMap<String, String>,
    pub balance_transaction: String,
}

#[derive(Debug, Clone)]
pub(crate) struct TransferRec {
    pub id: String,
    pub amount: i64,
    pub amount_reversed: i64,
    pub currency: String,
    pub destination: String,
    pub description: Option<String>,
    pub source_transaction: Option<String>,
    pub source_type: String,
    pub transfer_group: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub created: i64,
    pub balance_transaction: String,
    pub destination_payment: String,
    pub reversals: Vec<ReversalRec>,
}

/// What `POST /v1/transfers` asks for.
#[derive(Debug, Clone)]
pub(crate) struct NewTransfer {
    pub amount: i64,
    pub currency: String,
    pub destination: String,
    pub description: Option<String>,
    pub source_transaction: Option<String>,
    pub source_type: Option<String>,
    pub transfer_group: Option<String>,
    pub metadata: BTreeMap<String, String>,
}

impl TransferRec {
    fn reversal_json(&self, r: &ReversalRec) -> Value {
        json!({
            "id": r.id,
            "object": "transfer_reversal",
            "amount": r.amount,
            "balance_transaction": r.balance_transaction,
            "created": r.created,
            "currency": self.currency,
            "destination_payment_refund": null,
            "metadata": r.metadata,
            "source_refund": null,
            "transfer": self.id,
        })
    }

    pub fn to_json(&self) -> Value {
        // Newest first, like every Stripe list.
        let reversals: Vec<Value> = self.reversals.iter().rev().map(|r| self.reversal_json(r)).collect();
        json!({
            "id": self.id,
            "object": "transfer",
            "amount": self.amount,
            "amount_reversed": self.amount_reversed,
            "balance_transaction": self.balance_transaction,
            "created": self.created,
            "currency": self.currency,
            "description": self.description,
            "destination": self.destination,
            "destination_payment": self.destination_payment,
            "livemode": false,
            "metadata": self.metadata,
            "reversals": {
                "object": "list", "data": reversals, "has_more": false, "total_count": self.reversals.len(),
                "url": format!("/v1/transfers/{}/reversals", self.id),
            },
            "reversed": self.amount_reversed == self.amount,
            "source_transaction": self.source_transaction,
            "source_type": self.source_type,
            "transfer_group": self.transfer_group,
        })
    }
}

#[derive(Debug, Clone)]
pub(crate) struct PayoutRec {
    pub id: String,
    pub account: String,
    pub amount: i64,
    pub currency: String,
    pub created: i64,
    pub destination: String,
    pub failure: Option<(String, String)>,
    pub balance_transaction: String,
    /// The balance transaction that gave a failed payout's money back.
    pub failure_balance_transaction: Option<String>,
}

impl PayoutRec {
    pub fn status(&self) -> &'static str {
        if self.failure.is_some() { "failed" } else { "paid" }
    }

    pub fn to_json(&self) -> Value {
        let (code, message) = match &self.failure {
            Some((c, m)) => (Some(c.as_str()), Some(m.as_str())),
            None => (None, None),
        };
        json!({
            "id": self.id,
            "object": "payout",
            "amount": self.amount,
            "arrival_date": self.created,
            "automatic": true,
            "balance_transaction": self.balance_transaction,
            "created": self.created,
            "currency": self.currency,
            "description": "STRIPE PAYOUT",
            "destination": self.destination,
            "failure_balance_transaction": self.failure_balance_transaction,
            "failure_code": code,
            "failure_message": message,
            "livemode": false,
            "metadata": {},
            "method": "standard",
            "source_type": "card",
            "statement_descriptor": null,
            "status": self.status(),
            "type": "bank_account",
        })
    }
}

/// Everything the double knows.
#[derive(Debug, Default)]
pub(crate) struct World {
    pub accounts: Vec<AccountRec>,
    account_index: HashMap<String, usize>,
    pub links: Vec<LinkRec>,
    pub transfers: Vec<TransferRec>,
    transfer_index: HashMap<String, usize>,
    pub payouts: Vec<PayoutRec>,
    pub events: Vec<Value>,
    pub idempotency: HashMap<String, Stored>,
    pub fail_writes: usize,
    /// Every request that reached the double: when, and `METHOD /path`.
    pub requests: Vec<(Instant, String)>,
    pub target: Option<Target>,
}

impl World {
    pub fn account(&self, id: &str) -> Option<&AccountRec> {
        self.account_index.get(id).map(|&i| &self.accounts[i])
    }

    fn account_mut(&mut self, id: &str) -> Option<&mut AccountRec> {
        self.account_index.get(id).map(|&i| &mut self.accounts[i])
    }

    pub fn transfer(&self, id: &str) -> Option<&TransferRec> {
        self.transfer_index.get(id).map(|&i| &self.transfers[i])
    }

    pub fn create_account(&mut self, new: NewAccount) -> Value {
        let needs: Vec<String> = if new.kind == "standard" {
            // Stripe collects a Standard account's details itself; it lists little up front.
            vec!["business_profile.url".into(), "external_account".into(), "tos_acceptance.date".into()]
        } else {
            INITIAL_REQUIREMENTS.iter().map(|s| (*s).to_owned()).collect()
        };
        let account = AccountRec {
            id: new_id("acct").chars().take(21).collect(),
            kind: new.kind,
            country: new.country,
            email: new.email,
            default_currency: new.default_currency,
            created: now(),
            business_type: new.business_type,
            business_profile: new.business_profile,
            capabilities: new.capabilities,
            details_submitted: false,
            charges_enabled: false,
            payouts_enabled: false,
            currently_due: needs.clone(),
            past_due: needs.clone(),
            eventually_due: needs,
            disabled_reason: Some("requirements.past_due".into()),
            metadata: new.metadata,
            bank: new_id("ba"),
        };
        let body = account.to_json();
        self.account_index.insert(account.id.clone(), self.accounts.len());
        self.accounts.push(account);
        body
    }

    /// The owner finished onboarding. Returns the account before and after.
    pub fn onboard(&mut self, id: &str) -> Option<(Value, Value)> {
        let account = self.account_mut(id)?;
        let before = account.to_json();
        account.details_submitted = true;
        account.charges_enabled = true;
        account.payouts_enabled = true;
        account.currently_due.clear();
        account.past_due.clear();
        account.eventually_due.clear();
        account.disabled_reason = None;
        Some((before, account.to_json()))
    }

    /// Stripe wants `fields` before paying out again. Returns the account before and after.
    pub fn require(&mut self, id: &str, fields: &[&str]) -> Option<(Value, Value)> {
        let account = self.account_mut(id)?;
        let before = account.to_json();
        let fields: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
        account.payouts_enabled = false;
        account.currently_due = fields.clone();
        account.past_due = fields.clone();
        account.eventually_due = fields;
        account.disabled_reason = Some("requirements.past_due".into());
        Some((before, account.to_json()))
    }

    pub fn create_link(&mut self, base: &str, new: NewLink) -> Result<Value, ApiError> {
        let Some(account) = self.account(&new.account) else {
            return Err(ApiError::no_such_param("account", &new.account, "account"));
        };
        // Stripe only lets the platform collect updates itself for accounts whose requirements
        // the platform collects (Custom); Express and Standard owners update their details in
        // Stripe's own dashboard.
        if new.kind == "account_update" && account.kind != "custom" {
            return Err(ApiError::invalid(
                "type",
                format!("You cannot create `account_update` type Account Links for {} accounts.", account.kind),
            ));
        }
        let id = new_id("acctlink");
        let created = now();
        let url = format!("{base}/onboarding/{id}");
        self.links.push(LinkRec {
            account: new.account,
            url: url.clone(),
            refresh_url: new.refresh_url,
            return_url: new.return_url,
            kind: new.kind,
        });
        Ok(json!({
            "object": "account_link",
            "created": created,
            "expires_at": created + LINK_LIFETIME_SECS,
            "url": url,
        }))
    }

    pub fn create_transfer(&mut self, new: NewTransfer) -> Result<Value, ApiError> {
        let Some(account) = self.account(&new.destination) else {
            return Err(ApiError::no_such_param("destination", &new.destination, "destination"));
        };
        // Stripe refuses a transfer to an account whose `transfers` capability is not active,
        // which for an Express account means: requested, and onboarding done.
        if account.capability("transfers") != Some("active") {
            return Err(ApiError::refused(
                "destination",
                "insufficient_capabilities_for_transfer",
                "Your destination account needs to have at least one of the following capabilities enabled: \
                 transfers, crypto_transfers, legacy_payments",
            ));
        }
        let transfer = TransferRec {
            id: new_id("tr"),
            amount: new.amount,
            amount_reversed: 0,
            currency: new.currency,
            destination: new.destination,
            description: new.description,
            source_transaction: new.source_transaction,
            source_type: new.source_type.unwrap_or_else(|| "card".into()),
            transfer_group: new.transfer_group,
            metadata: new.metadata,
            created: now(),
            balance_transaction: new_id("txn"),
            destination_payment: new_id("py"),
            reversals: Vec::new(),
        };
        let body = transfer.to_json();
        self.transfer_index.insert(transfer.id.clone(), self.transfers.len());
        self.transfers.push(transfer);
        Ok(body)
    }

    /// Reverses `amount` (the rest when `None`) of a transfer. Returns the reversal and the
    /// transfer before and after.
    pub fn reverse(
        &mut self,
        transfer: &str,
        amount: Option<i64>,
        metadata: BTreeMap<String, String>,
    ) -> Result<(Value, Value, Value), ApiError> {
        let Some(&index) = self.transfer_index.get(transfer) else {
            return Err(ApiError::no_such("transfer", transfer, "id"));
        };
        let t = &self.transfers[index];
        let rest = t.amount - t.amount_reversed;
        if rest == 0 {
            return Err(ApiError::invalid("amount", format!("Transfer {transfer} has already been fully reversed.")));
        }
        let amount = amount.unwrap_or(rest);
        if amount > rest {
            return Err(ApiError::invalid(
                "amount",
                format!(
                    "Reversal amount ({amount}) is greater than the unreversed amount on transfer {transfer} ({rest})."
                ),
            ));
        }
        // A reversal takes the money back out of the connected account's balance, which must
        // cover it: after a payout the money is gone (Stripe: "It is possible to reverse a
        // transfer_group transfer only if the destination account has enough balance").
        let available = self.balance(&t.destination, &t.currency);
        if amount > available {
            return Err(ApiError::refused(
                "amount",
                "balance_insufficient",
                format!(
                    "Insufficient funds in the connected account {}: it has {available} {} available, the reversal \
                     needs {amount}.",
                    t.destination, t.currency
                ),
            ));
        }
        let t = &mut self.transfers[index];
        let before = t.to_json();
        let reversal =
            ReversalRec { id: new_id("trr"), amount, created: now(), metadata, balance_transaction: new_id("txn") };
        let body = t.reversal_json(&reversal);
        t.amount_reversed += amount;
        t.reversals.push(reversal);
        Ok((body, before, t.to_json()))
    }

    /// What the account can be paid out in `currency`: its transfers, less their reversals,
    /// less earlier payouts that did not fail (a failed payout's money returns to the balance).
    pub fn balance(&self, account: &str, currency: &str) -> i64 {
        let received: i64 = self
            .transfers
            .iter()
            .filter(|t| t.destination == account && t.currency == currency)
            .map(|t| t.amount - t.amount_reversed)
            .sum();
        let paid: i64 = self
            .payouts
            .iter()
            .filter(|p| p.account == account && p.currency == currency && p.failure.is_none())
            .map(|p| p.amount)
            .sum();
        received - paid
    }

    /// Pays out the account's whole balance. `Err` says why Stripe would not.
    pub fn pay_out(&mut self, account: &str, failure: Option<(&str, &str)>) -> Result<Value, String> {
        let Some(acct) = self.account(account) else { return Err(format!("no account {account}")) };
        if !acct.payouts_enabled {
            return Err(format!("{account} has payouts disabled (complete_onboarding first)"));
        }
        let bank = acct.bank.clone();
        let mut currencies: Vec<&str> =
            self.transfers.iter().filter(|t| t.destination == account).map(|t| t.currency.as_str()).collect();
        currencies.sort_unstable();
        currencies.dedup();
        let owed: Vec<(String, i64)> = currencies
            .into_iter()
            .map(|c| (c.to_owned(), self.balance(account, c)))
            .filter(|(_, amount)| *amount != 0)
            .collect();
        let (currency, amount) = match owed.as_slice() {
            [(currency, amount)] if *amount > 0 => (currency.clone(), *amount),
            [] => return Err(format!("{account} has nothing to pay out")),
            [(_, amount)] => return Err(format!("{account} has a negative balance ({amount})")),
            _ => {
                return Err(format!("{account} has balances in several currencies, which the double does not pay out"));
            }
        };
        let payout = PayoutRec {
            id: new_id("po"),
            account: account.to_owned(),
            amount,
            currency,
            created: now(),
            destination: bank,
            failure: failure.map(|(c, m)| (c.to_owned(), m.to_owned())),
            balance_transaction: new_id("txn"),
            failure_balance_transaction: failure.map(|_| new_id("txn")),
        };
        let body = payout.to_json();
        self.payouts.push(payout);
        Ok(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn express(world: &mut World) -> String {
        let body = world.create_account(NewAccount {
            kind: "express".into(),
            country: "US".into(),
            email: None,
            default_currency: "usd".into(),
            business_type: None,
            business_profile: json!({}),
            capabilities: BTreeMap::from([("transfers".into(), true)]),
            metadata: BTreeMap::new(),
        });
        body["id"].as_str().expect("an id").to_owned()
    }

    fn transfer(world: &mut World, destination: &str, amount: i64) -> Result<Value, ApiError> {
        world.create_transfer(NewTransfer {
            amount,
            currency: "usd".into(),
            destination: destination.into(),
            description: None,
            source_transaction: None,
            source_type: None,
            transfer_group: None,
            metadata: BTreeMap::new(),
        })
    }

    #[test]
    fn capabilities_turn_active_on_onboarding_only_when_requested() {
        let mut world = World::default();
        let id = express(&mut world);
        assert_eq!(world.account(&id).expect("made").to_json()["capabilities"]["transfers"], "inactive");
        transfer(&mut world, &id, 100).expect_err("not onboarded");
        world.onboard(&id).expect("known");
        assert_eq!(world.account(&id).expect("made").to_json()["capabilities"]["transfers"], "active");
        transfer(&mut world, &id, 100).expect("onboarded");
    }

    #[test]
    fn a_reversal_needs_the_money_still_in_the_account() {
        let mut world = World::default();
        let id = express(&mut world);
        world.onboard(&id).expect("known");
        let tr = transfer(&mut world, &id, 1000).expect("made")["id"].as_str().expect("id").to_owned();
        world.pay_out(&id, None).expect("paid");
        let e = world.reverse(&tr, Some(100), BTreeMap::new()).expect_err("the money is paid out");
        assert_eq!(e.code, Some("balance_insufficient"));
        // A failed payout's money comes back, and can then be reversed.
        transfer(&mut world, &id, 500).expect("made");
        world.pay_out(&id, Some(("account_closed", "closed"))).expect("failed payout");
        world.reverse(&tr, Some(100), BTreeMap::new()).expect("money is back");
        assert_eq!(world.balance(&id, "usd"), 400);
    }
}
