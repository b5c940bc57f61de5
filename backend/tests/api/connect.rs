//! Owners get paid through Stripe Connect. Charges go to localstripe as in `stripe.rs`;
//! Connect calls go to the Connect test double of `parkway-testkit` (localstripe has no
//! Connect), which refuses any parameter Stripe's reference does not document and signs its
//! events like Stripe. The settlement delay passes on the test clock.

use crate::helpers::{Session, future};
use crate::stripe::{Payments, SECRET_KEY, WEBHOOK_SECRET, event, payments_app_with};
use chrono::{Duration, Utc};
use parkway_backend::config::Secret;
use parkway_core::api::{Earnings, Items, OnboardingLink, PayoutAccount, PayoutLine};
use parkway_core::booking::PaymentStatus;
use parkway_core::earnings::{AccountStatus, EarningState, PayoutStatus};
use parkway_core::money::Cents;
use parkway_testkit::connect::ConnectDouble;
use reqwest::StatusCode;
use serde_json::json;

const CONNECT_SECRET: &str = "whsec_parkway_connect_test";

struct Market {
    p: Payments,
    connect: ConnectDouble,
}

async fn market() -> Market {
    let connect = ConnectDouble::start(SECRET_KEY).await;
    let base = connect.base();
    let p = payments_app_with(|c| {
        c.stripe_connect_api_base = base;
        c.stripe_connect_webhook_secret = Some(Secret::new(CONNECT_SECRET));
        // The bench-sized default would pace these few calls for nothing.
        c.stripe_max_rps = 1000;
    })
    .await;
    connect.deliver_events_to(&format!("{}/api/payouts/webhook", p.app.base), CONNECT_SECRET);
    Market { p, connect }
}

impl Market {
    /// Starts onboarding for `owner`: their account exists at Stripe, with a link back here.
    async fn start_onboarding(&self, owner: &Session) -> String {
        let link = self.p.app.post("/api/payouts/onboarding", Some(&owner.token), json!({})).await;
        assert_eq!(link.status, StatusCode::OK, "{:?}", link.body);
        let link: OnboardingLink = link.json();
        let made = self.connect.account_links();
        let last = made.last().expect("an account link");
        assert_eq!(last.url, link.url, "the owner is sent to Stripe's link");
        assert!(last.refresh_url.starts_with(&format!("{}/api/payouts/onboarding/refresh?token=", self.p.app.base)));
        assert_eq!(last.return_url, format!("{}/api/payouts/onboarding/return", self.p.app.base));
        last.account.clone()
    }

    async fn account(&self, owner: &Session) -> PayoutAccount {
        self.p.app.get("/api/payouts/account", Some(&owner.token)).await.json()
    }

    /// An onboarded owner with an instant-book driveway at `cents` an hour.
    async fn active_owner(&self, cents: i64) -> (Session, String, String) {
        let owner = self.p.app.owner().await;
        let account = self.start_onboarding(&owner).await;
        self.connect.complete_onboarding(&account).await;
        assert_eq!(self.account(&owner).await.status, AccountStatus::Active);
        let d = self.p.app.driveway(&owner, json!({"pricePerHourCents": cents, "instantBook": true})).await;
        (owner, account, d["id"].as_str().expect("id").to_owned())
    }

    /// A driver books an hour two days ahead (plus `hour`) and pays with a card; returns the
    /// booking and intent. Before the test clock moves: localstripe signs its webhooks with
    /// the real time.
    async fn paid_booking(&self, driveway: &str, hour: i64) -> (Session, String, String) {
        let driver = self.p.app.driver().await;
        let b = self.p.app.book(&driver, driveway, future(hour), 60).await.str("id");
        let intent = self.p.intent_for(&driver, &b).await.str("paymentIntentId");
        assert!(self.p.pay_with_card(&intent, "4242424242424242").await.is_success());
        self.p.wait_for(&driver, &b, |b| b.payment_status == PaymentStatus::Paid).await;
        (driver, b, intent)
    }

    /// Lets the bookings end and the settlement day pass, then runs the jobs.
    async fn settle(&self) {
        self.p.app.clock.advance(Duration::hours(80));
        // The double signs its events in the server's time, or they would be stale.
        self.connect.set_clock_offset((self.p.app.clock.now() - Utc::now()).num_seconds());
        self.p.app.server().run_jobs_now().await;
    }

    async fn refund(&self, intent: &str, total: i64) {
        let now = self.p.app.clock.now().timestamp();
        let refunded = event(
            &format!("evt_refund_{total}_{intent}"),
            "charge.refunded",
            json!({"id": "ch_x", "payment_intent": intent, "amount_refunded": total}),
        );
        assert_eq!(self.p.signed_event(&refunded, WEBHOOK_SECRET, now).await, StatusCode::OK);
    }

    async fn earnings(&self, owner: &Session) -> Earnings {
        let token = self.p.app.sign_in_again(owner).await;
        self.p.app.get("/api/earnings", Some(&token)).await.json()
    }
}

#[tokio::test]
async fn a_paid_booking_reaches_its_owner_once_net_of_the_fee_and_a_late_refund_is_taken_back() {
    let m = market().await;
    let owner = m.p.app.owner().await;
    assert_eq!(m.account(&owner).await.status, AccountStatus::None);
    let account = m.start_onboarding(&owner).await;
    let made = m.connect.accounts();
    assert_eq!(made.len(), 1);
    assert_eq!(made[0].id, account);
    assert_eq!(m.account(&owner).await.status, AccountStatus::Onboarding);
    // Asking again gives a new link for the same account.
    m.start_onboarding(&owner).await;
    assert_eq!(m.connect.accounts().len(), 1, "one account per owner");

    // The events keep the account current: what Stripe needs while the owner is in the form,
    // the owner finishing, Stripe asking for more later (payouts paused), the owner answering.
    let state = |a: PayoutAccount| (a.status, a.payouts_enabled, a.requirements_due);
    m.connect.require(&account, &["external_account"]).await;
    assert_eq!(state(m.account(&owner).await), (AccountStatus::Onboarding, false, vec!["external_account".to_owned()]));
    m.connect.complete_onboarding(&account).await;
    assert_eq!(state(m.account(&owner).await), (AccountStatus::Active, true, vec![]));
    m.connect.require(&account, &["individual.verification.document"]).await;
    let later = m.account(&owner).await;
    assert_eq!(later.status, AccountStatus::Restricted, "{later:?}");
    m.connect.complete_onboarding(&account).await;
    let active = m.account(&owner).await;
    assert_eq!((active.status, active.payouts_enabled, active.simulated), (AccountStatus::Active, true, false));

    let d = m.p.app.driveway(&owner, json!({"pricePerHourCents": 1000, "instantBook": true})).await;
    let d = d["id"].as_str().expect("id");
    let (_, booking, intent) = m.paid_booking(d, 1).await;
    let (_, second, _) = m.paid_booking(d, 3).await;
    m.p.app.server().run_jobs_now().await;
    assert!(m.connect.transfers().is_empty(), "nothing moves before the bookings end and settle");

    m.settle().await;
    m.p.app.server().run_jobs_now().await;
    let sent = m.connect.transfers();
    assert_eq!(sent.len(), 2, "once each: {sent:?}");
    let first = |sent: &[parkway_testkit::connect::Transfer]| {
        sent.iter().find(|t| t.transfer_group.as_deref() == Some(&format!("booking_{booking}"))).cloned().expect("sent")
    };
    let t = first(&sent);
    assert_eq!((t.amount, t.destination.as_str()), (850, account.as_str()), "1000 less 15 %");
    assert!(t.source_transaction.as_deref().is_some_and(|c| c.starts_with("ch_")), "sent from its charge: {t:?}");
    assert!(sent.iter().any(|t| t.transfer_group.as_deref() == Some(&format!("booking_{second}"))));
    let lines = m.earnings(&owner).await.items;
    assert!(lines.iter().all(|l| (l.net_cents, l.state) == (Cents(850), EarningState::Transferred)), "{lines:?}");

    // Half is refunded after the transfer: the owner's share of it is taken back, once.
    m.refund(&intent, 500).await;
    m.p.app.server().run_jobs_now().await;
    m.p.app.server().run_jobs_now().await;
    let t = first(&m.connect.transfers());
    assert_eq!((t.amount_reversed, t.reversals.len()), (425, 1), "{t:?}");
    let line = m.earnings(&owner).await.items.into_iter().find(|l| l.booking_id.to_string() == booking).expect("line");
    assert_eq!((line.net_cents, line.state), (Cents(425), EarningState::Reversed));
    // The rest is refunded: never more than was sent comes back.
    m.refund(&intent, 1000).await;
    m.p.app.server().run_jobs_now().await;
    assert_eq!(first(&m.connect.transfers()).amount_reversed, 850);

    // Stripe pays the second booking's 850 out: first to a closed account, then again.
    let failed = m.connect.pay_out(&account, Some(("account_closed", "The bank account has been closed."))).await;
    let paid = m.connect.pay_out(&account, None).await;
    let list: Items<PayoutLine> = m.p.app.get("/api/payouts", Some(&m.p.app.sign_in_again(&owner).await)).await.json();
    let find = |id: &str| list.items.iter().find(|p| p.id == id).cloned().expect("listed");
    let failed = find(&failed);
    assert_eq!(failed.status, PayoutStatus::Failed);
    assert_eq!(failed.failure_message.as_deref(), Some("The bank account has been closed."), "explained, not dropped");
    assert_eq!((find(&paid).status, find(&paid).amount_cents), (PayoutStatus::Paid, Cents(850)));
    // Another owner sees none of it.
    let stranger = m.p.app.owner().await;
    let theirs: Items<PayoutLine> =
        m.p.app.get("/api/payouts", Some(&m.p.app.sign_in_again(&stranger).await)).await.json();
    assert!(theirs.items.is_empty());
}

#[tokio::test]
async fn a_refund_before_settlement_shrinks_the_transfer_and_a_late_onboarder_receives_what_waited() {
    let m = market().await;
    let owner = m.p.app.owner().await;
    let d = m.p.app.driveway(&owner, json!({"pricePerHourCents": 1000, "instantBook": true})).await;
    let (_, _, intent) = m.paid_booking(d["id"].as_str().expect("id"), 1).await;
    m.refund(&intent, 500).await;
    m.settle().await;
    assert!(m.connect.transfers().is_empty(), "no account yet: the money waits");
    assert_eq!(m.earnings(&owner).await.items[0].state, EarningState::WaitingForOnboarding);

    let account = m.start_onboarding(&owner).await;
    m.p.app.server().run_jobs_now().await;
    assert!(m.connect.transfers().is_empty(), "not while onboarding");
    m.connect.complete_onboarding(&account).await;
    m.p.app.server().run_jobs_now().await;
    let sent = m.connect.transfers();
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].amount, sent[0].amount_reversed), (425, 0), "half of 1000, less 15 %, and nothing reversed");
}

#[tokio::test]
async fn an_answer_lost_after_stripe_made_the_transfer_is_not_paid_again() {
    let m = market().await;
    let (_, account, d) = m.active_owner(1000).await;
    let (_, booking, _) = m.paid_booking(&d, 1).await;
    // Stripe is down for the first run: the transfer is written, asked for, and not made.
    m.connect.fail_next_writes(100);
    m.settle().await;
    assert!(m.connect.transfers().is_empty());
    m.connect.fail_next_writes(0);
    // As if that request had reached Stripe after all, more than a day ago (its idempotency
    // key forgotten), and only its answer was lost.
    let made = reqwest::Client::new()
        .post(format!("{}/v1/transfers", m.connect.base()))
        .bearer_auth(SECRET_KEY)
        .header("Idempotency-Key", "an-older-key")
        .form(&[
            ("amount", "850"),
            ("currency", "usd"),
            ("destination", account.as_str()),
            ("transfer_group", &format!("booking_{booking}")),
        ])
        .send()
        .await
        .expect("sent");
    assert!(made.status().is_success(), "{:?}", made.text().await);
    m.p.app.server().run_jobs_now().await;
    m.p.app.server().run_jobs_now().await;
    assert_eq!(m.connect.transfers().len(), 1, "found and adopted, not made again");
    assert_eq!(m.p.app.numbers("SELECT COUNT(*) FROM transfers WHERE transfer_id IS NOT NULL").await, vec![1]);
}

#[tokio::test]
async fn two_instances_settle_one_booking_once() {
    let m = market().await;
    let (_, _, d) = m.active_owner(1000).await;
    for hour in [1, 3, 5] {
        m.paid_booking(&d, hour).await;
    }
    let other = m.p.app.another_instance().await;
    m.p.app.clock.advance(Duration::hours(80));
    tokio::join!(m.p.app.server().run_jobs_now(), other.server().run_jobs_now());
    tokio::join!(m.p.app.server().run_jobs_now(), other.server().run_jobs_now());
    let sent = m.connect.transfers();
    assert_eq!(sent.len(), 3, "one transfer per booking: {sent:?}");
    let mut groups: Vec<_> = sent.iter().filter_map(|t| t.transfer_group.clone()).collect();
    groups.dedup();
    assert_eq!(groups.len(), 3);
}

#[tokio::test]
async fn connect_events_must_be_signed_with_the_connect_secret() {
    let m = market().await;
    let (owner, account, _) = m.active_owner(1000).await;
    let forged = event(
        "evt_forged",
        "account.updated",
        json!({"id": account, "details_submitted": true, "payouts_enabled": false,
               "requirements": {"currently_due": ["external_account"]}}),
    );
    let body = serde_json::to_vec(&forged).expect("json");
    let now = m.p.app.clock.now().timestamp();
    for secret in [WEBHOOK_SECRET, "whsec_guess"] {
        let res = reqwest::Client::new()
            .post(format!("{}/api/payouts/webhook", m.p.app.base))
            .header("stripe-signature", parkway_backend::payments::signature::sign(&body, secret, now))
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .expect("sent");
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "signed with {secret}");
    }
    assert_eq!(m.account(&owner).await.status, AccountStatus::Active, "unchanged");
}
