//! Payments against the localstripe emulator (a real HTTP Stripe look-alike from PyPI), with
//! webhooks delivered by it to the test server. localstripe has no idempotency, sends no
//! `charge.refunded` and never retries: those paths are covered with events the tests sign
//! themselves, and their names say so.

use crate::helpers::{Answer, Session, TestApp, future, rfc, spawn_app_with};
use chrono::{Duration, Utc};
use parkway_backend::config::Secret;
use parkway_backend::payments::signature;
use parkway_core::ErrorCode;
use parkway_core::api::{Booking, Items, Notification, OwnerMetrics};
use parkway_core::booking::{BookingStatus, PaymentStatus};
use parkway_core::money::Cents;
use parkway_core::notification::NotificationType;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::process::Child;

pub const SECRET_KEY: &str = "sk_test_parkway";
pub const WEBHOOK_SECRET: &str = "whsec_parkway_test";

/// A localstripe process on a free loopback port, killed on drop.
struct LocalStripe {
    child: Child,
    base: String,
}

impl Drop for LocalStripe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn localstripe_binary() -> String {
    std::env::var("PARKWAY_LOCALSTRIPE")
        .unwrap_or_else(|_| format!("{}/../.venv/bin/localstripe", env!("CARGO_MANIFEST_DIR")))
}

async fn start_localstripe() -> LocalStripe {
    let args = |port: u16| vec!["--port".to_owned(), port.to_string(), "--from-scratch".to_owned()];
    let (child, base) = crate::helpers::serve_on_free_port("localstripe", &localstripe_binary(), args).await;
    LocalStripe { child, base }
}

/// A server taking payments through localstripe, with its webhooks registered there.
pub struct Payments {
    pub app: TestApp,
    ls: LocalStripe,
    client: reqwest::Client,
}

async fn payments_app() -> Payments {
    payments_app_with(|_| {}).await
}

/// [`payments_app`] with more settings.
pub async fn payments_app_with(configure: impl FnOnce(&mut parkway_backend::Config)) -> Payments {
    let ls = start_localstripe().await;
    let base = ls.base.clone();
    let app = spawn_app_with(|c| {
        c.stripe_secret_key = Some(Secret::new(SECRET_KEY));
        c.stripe_webhook_secret = Some(Secret::new(WEBHOOK_SECRET));
        c.stripe_connect_api_base = base.clone();
        c.stripe_api_base = base;
        c.token_ttl = std::time::Duration::from_secs(30 * 24 * 3600);
        configure(c);
    })
    .await;
    let client = reqwest::Client::new();
    let res = client
        .post(format!("{}/_config/webhooks/parkway", ls.base))
        .form(&[("url", format!("{}/api/payments/webhook", app.base)), ("secret", WEBHOOK_SECRET.to_owned())])
        .send()
        .await
        .expect("webhook registered");
    assert!(res.status().is_success());
    Payments { app, ls, client }
}

impl Payments {
    /// What the driver's Stripe.js does: a card payment method, attached, then confirm.
    pub async fn pay_with_card(&self, intent: &str, card: &str) -> StatusCode {
        let pm: Value = self
            .client
            .post(format!("{}/v1/payment_methods", self.ls.base))
            .bearer_auth(SECRET_KEY)
            .form(&[
                ("type", "card"),
                ("card[number]", card),
                ("card[exp_month]", "12"),
                ("card[exp_year]", "2034"),
                ("card[cvc]", "123"),
            ])
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("json");
        let attach = self
            .client
            .post(format!("{}/v1/payment_intents/{intent}", self.ls.base))
            .bearer_auth(SECRET_KEY)
            .form(&[("payment_method", pm["id"].as_str().expect("pm id"))])
            .send()
            .await
            .expect("sent");
        assert!(attach.status().is_success(), "attach: {:?}", attach.text().await);
        self.client
            .post(format!("{}/v1/payment_intents/{intent}/confirm", self.ls.base))
            .bearer_auth(SECRET_KEY)
            .send()
            .await
            .expect("sent")
            .status()
    }

    pub async fn intent_for(&self, driver: &Session, booking: &str) -> Answer {
        let a = self
            .app
            .post("/api/payments/create-payment-intent", Some(&driver.token), json!({"bookingId": booking}))
            .await;
        assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
        a
    }

    /// Waits (patiently: webhooks arrive in the background) until the booking satisfies `done`.
    pub async fn wait_for(&self, user: &Session, booking: &str, done: impl Fn(&Booking) -> bool) -> Booking {
        let mut last = Value::Null;
        let started = std::time::Instant::now();
        while crate::helpers::patient(started) {
            last = self.app.get(&format!("/api/bookings/{booking}"), Some(&user.token)).await.body;
            if let Ok(b) = serde_json::from_value::<Booking>(last.clone())
                && done(&b)
            {
                return b;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("booking never reached the expected state: {last}");
    }

    /// A GET against localstripe itself (what Stripe's dashboard would show).
    async fn stripe_get(&self, path: &str) -> Value {
        let res = self.client.get(format!("{}{path}", self.ls.base)).bearer_auth(SECRET_KEY).send().await;
        res.expect("sent").json().await.expect("json")
    }

    async fn refunds(&self, intent: &str) -> Vec<i64> {
        let list = self.stripe_get(&format!("/v1/refunds?payment_intent={intent}")).await;
        list["data"].as_array().map(|d| d.iter().filter_map(|r| r["amount"].as_i64()).collect()).unwrap_or_default()
    }

    /// Sends an event signed with `secret` at time `t` (for what localstripe cannot send).
    pub async fn signed_event(&self, event: &Value, secret: &str, t: i64) -> StatusCode {
        let body = serde_json::to_vec(event).expect("json");
        self.client
            .post(format!("{}/api/payments/webhook", self.app.base))
            .header("stripe-signature", signature::sign(&body, secret, t))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("sent")
            .status()
    }
}

#[tokio::test]
async fn instant_booking_is_paid_and_confirmed_through_a_real_webhook() {
    let p = payments_app().await;
    let owner = p.app.owner().await;
    let driver = p.app.driver().await;
    let d = p.app.driveway(&owner, json!({"instantBook": true, "pricePerHourCents": 1234})).await;
    let b = p.app.book(&driver, d["id"].as_str().expect("id"), future(1), 60).await.str("id");
    let intent = p.intent_for(&driver, &b).await;
    assert_eq!(intent.body["amountCents"], 1234, "the amount is the booking's, from the server");
    assert_eq!(intent.body["captureMethod"], "automatic");
    assert!(intent.body.get("simulated").is_none());
    assert!(intent.str("clientSecret").starts_with(&intent.str("paymentIntentId")));
    // Asking again gives the same intent.
    assert_eq!(p.intent_for(&driver, &b).await.body["paymentIntentId"], intent.body["paymentIntentId"]);

    assert!(p.pay_with_card(&intent.str("paymentIntentId"), "4242424242424242").await.is_success());
    let booking = p.wait_for(&driver, &b, |b| b.payment_status == PaymentStatus::Paid).await;
    assert_eq!(booking.status, BookingStatus::Confirmed);
    assert_eq!(booking.stripe_payment_id, Some(intent.str("paymentIntentId")));
    let kinds = |s: &Session| {
        let (app, token) = (&p.app, s.token.clone());
        async move {
            let inbox = app.get("/api/notifications", Some(&token)).await;
            inbox.json::<Items<Notification>>().items.iter().map(|n| n.kind).collect::<Vec<_>>()
        }
    };
    assert_eq!(kinds(&driver).await, [NotificationType::PaymentSucceeded, NotificationType::BookingConfirmed]);
    assert_eq!(kinds(&owner).await, [NotificationType::BookingCreated, NotificationType::PaymentSucceeded]);
    let status =
        p.app.get(&format!("/api/payments/status/{}", intent.str("paymentIntentId")), Some(&driver.token)).await;
    assert_eq!(status.body["status"], "succeeded");
    assert_eq!(status.body["paymentStatus"], "paid");
    assert_eq!(status.body["bookingId"], b.as_str());
    let stranger = p.app.driver().await;
    let hidden =
        p.app.get(&format!("/api/payments/status/{}", intent.str("paymentIntentId")), Some(&stranger.token)).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_declined_card_fails_the_payment_and_keeps_the_hold_for_another_card() {
    let p = payments_app().await;
    let owner = p.app.owner().await;
    let driver = p.app.driver().await;
    let other = p.app.driver().await;
    let d = p.app.driveway(&owner, json!({"instantBook": true})).await;
    let id = d["id"].as_str().expect("id");
    let b = p.app.book(&driver, id, future(1), 60).await.str("id");
    let intent = p.intent_for(&driver, &b).await.str("paymentIntentId");
    let declined = p.pay_with_card(&intent, "4000000000000341").await;
    assert!(declined.is_client_error(), "{declined}");
    let booking = p.wait_for(&driver, &b, |b| b.payment_status == PaymentStatus::Failed).await;
    assert_eq!(booking.status, BookingStatus::Pending, "the slot is still held for the driver");
    assert_eq!(p.app.book(&other, id, future(1), 60).await.code(), ErrorCode::SlotTaken);
    let inbox = p.app.get("/api/notifications", Some(&driver.token)).await;
    assert!(inbox.json::<Items<Notification>>().items.iter().any(|n| n.kind == NotificationType::PaymentFailed));
    // Another card on the same booking: a new attempt succeeds.
    let retry = p.intent_for(&driver, &b).await.str("paymentIntentId");
    assert!(p.pay_with_card(&retry, "4242424242424242").await.is_success());
    p.wait_for(&driver, &b, |b| b.payment_status == PaymentStatus::Paid && b.status == BookingStatus::Confirmed).await;
}

#[tokio::test]
async fn request_to_book_is_authorised_then_captured_when_the_owner_confirms() {
    let p = payments_app().await;
    let owner = p.app.owner().await;
    let driver = p.app.driver().await;
    let d = p.app.driveway(&owner, json!({"instantBook": false, "pricePerHourCents": 500})).await;
    let b = p.app.book(&driver, d["id"].as_str().expect("id"), future(1), 120).await.str("id");
    let intent = p.intent_for(&driver, &b).await;
    assert_eq!(intent.body["captureMethod"], "manual", "starts within 5 days: authorise only");
    let intent = intent.str("paymentIntentId");
    assert!(p.pay_with_card(&intent, "4242424242424242").await.is_success());
    let before = p.app.get(&format!("/api/bookings/{b}"), Some(&driver.token)).await.booking();
    assert_eq!((before.status, before.payment_status), (BookingStatus::Pending, PaymentStatus::Pending));

    let confirmed = p.app.put(&format!("/api/bookings/{b}/confirm"), Some(&owner.token), json!({})).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{:?}", confirmed.body);
    assert_eq!(confirmed.booking().status, BookingStatus::Confirmed);
    assert_eq!(confirmed.booking().payment_status, PaymentStatus::Paid);
    let remote = p.stripe_get(&format!("/v1/payment_intents/{intent}")).await;
    assert_eq!(remote["status"], "succeeded", "captured at the provider");
}

#[tokio::test]
async fn far_out_request_to_book_is_charged_and_declining_refunds_in_full() {
    let p = payments_app().await;
    let owner = p.app.owner().await;
    let driver = p.app.driver().await;
    let d = p.app.driveway(&owner, json!({"instantBook": false, "pricePerHourCents": 800})).await;
    let b = p.app.book(&driver, d["id"].as_str().expect("id"), future(24 * 10), 60).await.str("id");
    let intent = p.intent_for(&driver, &b).await;
    assert_eq!(intent.body["captureMethod"], "automatic");
    let intent = intent.str("paymentIntentId");
    assert!(p.pay_with_card(&intent, "4242424242424242").await.is_success());
    p.wait_for(&driver, &b, |b| b.payment_status == PaymentStatus::Paid).await;
    // The owner declines.
    let declined = p.app.put(&format!("/api/bookings/{b}/cancel"), Some(&owner.token), json!({})).await;
    assert_eq!(declined.booking().status, BookingStatus::Cancelled);
    assert_eq!(declined.booking().payment_status, PaymentStatus::Refunded);
    assert_eq!(p.refunds(&intent).await, [800]);
}

#[tokio::test]
async fn driver_cancellations_refund_by_the_policy() {
    let p = payments_app().await;
    let owner = p.app.owner().await;
    let driver = p.app.driver().await;
    let d = p.app.driveway(&owner, json!({"instantBook": true, "pricePerHourCents": 1001})).await;
    let id = d["id"].as_str().expect("id");

    // Two days ahead: a full refund.
    let early = p.app.book(&driver, id, future(1), 60).await.str("id");
    let early_pi = p.intent_for(&driver, &early).await.str("paymentIntentId");
    p.pay_with_card(&early_pi, "4242424242424242").await;
    p.wait_for(&driver, &early, |b| b.payment_status == PaymentStatus::Paid).await;

    // Three hours ahead, booked more than 10 minutes ago: half back.
    let soon = (Utc::now() + Duration::hours(3)).with_timezone(&Utc);
    let late = p.app.book(&driver, id, soon, 60).await.str("id");
    let late_pi = p.intent_for(&driver, &late).await.str("paymentIntentId");
    p.pay_with_card(&late_pi, "4242424242424242").await;
    p.wait_for(&driver, &late, |b| b.payment_status == PaymentStatus::Paid).await;
    p.app.clock.advance(Duration::minutes(15));

    let a = p.app.put(&format!("/api/bookings/{early}/cancel"), Some(&driver.token), json!({})).await;
    assert_eq!(a.booking().payment_status, PaymentStatus::Refunded);
    assert_eq!(p.refunds(&early_pi).await, [1001]);
    let b = p.app.delete(&format!("/api/bookings/{late}"), Some(&driver.token)).await;
    assert_eq!(b.booking().payment_status, PaymentStatus::Refunded);
    assert_eq!(p.refunds(&late_pi).await, [500]);
    let metrics = p.app.get("/api/metrics/owner", Some(&owner.token)).await;
    assert_eq!(metrics.json::<OwnerMetrics>().revenue_cents, Cents(501), "the owner keeps what was not refunded");
    let _ = rfc(soon);
}

#[tokio::test]
async fn an_expired_hold_cancels_its_payment_intent() {
    let p = payments_app().await;
    let owner = p.app.owner().await;
    let driver = p.app.driver().await;
    let d = p.app.driveway(&owner, json!({"instantBook": true})).await;
    let b = p.app.book(&driver, d["id"].as_str().expect("id"), future(1), 60).await.str("id");
    let intent = p.intent_for(&driver, &b).await.str("paymentIntentId");
    p.app.clock.advance(Duration::minutes(16));
    p.app.server().run_jobs_now().await;
    assert_eq!(
        p.app.get(&format!("/api/bookings/{b}"), Some(&driver.token)).await.booking().status,
        BookingStatus::Cancelled
    );
    let remote = p.stripe_get(&format!("/v1/payment_intents/{intent}")).await;
    assert_eq!(remote["status"], "canceled");
}

pub fn event(id: &str, kind: &str, object: Value) -> Value {
    json!({"id": id, "type": kind, "object": "event", "data": {"object": object}})
}

#[tokio::test]
async fn own_signed_events_duplicates_and_reordering_are_harmless() {
    let p = payments_app().await;
    let owner = p.app.owner().await;
    let driver = p.app.driver().await;
    let d = p.app.driveway(&owner, json!({"instantBook": true})).await;
    let b = p.app.book(&driver, d["id"].as_str().expect("id"), future(1), 60).await.str("id");
    let intent = p.intent_for(&driver, &b).await.str("paymentIntentId");
    let now = Utc::now().timestamp();
    let succeeded = event("evt_dup_1", "payment_intent.succeeded", json!({"id": intent, "status": "succeeded"}));
    for _ in 0..3 {
        assert_eq!(p.signed_event(&succeeded, WEBHOOK_SECRET, now).await, StatusCode::OK);
    }
    let inbox = p.app.get("/api/notifications", Some(&driver.token)).await;
    let paid = inbox
        .json::<Items<Notification>>()
        .items
        .iter()
        .filter(|n| n.kind == NotificationType::PaymentSucceeded)
        .count();
    assert_eq!(paid, 1, "a duplicate event is processed once");
    // A late failure (out of order) does not move a paid booking backwards.
    let failed = event(
        "evt_late_fail",
        "payment_intent.payment_failed",
        json!({"id": intent, "status": "requires_payment_method"}),
    );
    assert_eq!(p.signed_event(&failed, WEBHOOK_SECRET, now).await, StatusCode::OK);
    let booking = p.app.get(&format!("/api/bookings/{b}"), Some(&driver.token)).await.booking();
    assert_eq!((booking.payment_status, booking.status), (PaymentStatus::Paid, BookingStatus::Confirmed));
    // charge.refunded (localstripe never sends it) marks it refunded.
    let refunded =
        event("evt_refund", "charge.refunded", json!({"id": "ch_x", "payment_intent": intent, "amount_refunded": 300}));
    assert_eq!(p.signed_event(&refunded, WEBHOOK_SECRET, now).await, StatusCode::OK);
    assert_eq!(
        p.app.get(&format!("/api/bookings/{b}"), Some(&driver.token)).await.booking().payment_status,
        PaymentStatus::Refunded
    );
    // Unknown intents and unhandled types are acknowledged so Stripe stops retrying.
    let unknown = event("evt_unknown", "payment_intent.succeeded", json!({"id": "pi_nobody", "status": "succeeded"}));
    assert_eq!(p.signed_event(&unknown, WEBHOOK_SECRET, now).await, StatusCode::OK);
    let other = event("evt_other", "customer.created", json!({"id": "cus_1"}));
    assert_eq!(p.signed_event(&other, WEBHOOK_SECRET, now).await, StatusCode::OK);
}

#[tokio::test]
async fn own_signed_events_with_bad_signatures_change_nothing() {
    let p = payments_app().await;
    let owner = p.app.owner().await;
    let driver = p.app.driver().await;
    let d = p.app.driveway(&owner, json!({"instantBook": true})).await;
    let b = p.app.book(&driver, d["id"].as_str().expect("id"), future(1), 60).await.str("id");
    let intent = p.intent_for(&driver, &b).await.str("paymentIntentId");
    let now = Utc::now().timestamp();
    let succeeded = event("evt_forged", "payment_intent.succeeded", json!({"id": intent, "status": "succeeded"}));
    assert_eq!(p.signed_event(&succeeded, "whsec_wrong", now).await, StatusCode::BAD_REQUEST);
    assert_eq!(p.signed_event(&succeeded, WEBHOOK_SECRET, now - 301).await, StatusCode::BAD_REQUEST, "stale");
    let unsigned =
        p.client.post(format!("{}/api/payments/webhook", p.app.base)).json(&succeeded).send().await.expect("sent");
    assert_eq!(unsigned.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        p.app.get(&format!("/api/bookings/{b}"), Some(&driver.token)).await.booking().payment_status,
        PaymentStatus::Pending
    );
    // During a secret rotation the header carries two v1 signatures; either may match.
    let body = serde_json::to_vec(&succeeded).expect("json");
    let v1 = |secret: &str| {
        signature::sign(&body, secret, now).split_once(",v1=").map(|(_, v)| v.to_owned()).unwrap_or_default()
    };
    let header = format!("t={now},v1={},v1={}", v1("whsec_old"), v1(WEBHOOK_SECRET));
    let res = p
        .client
        .post(format!("{}/api/payments/webhook", p.app.base))
        .header("stripe-signature", header)
        .body(body)
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        p.app.get(&format!("/api/bookings/{b}"), Some(&driver.token)).await.booking().payment_status,
        PaymentStatus::Paid
    );
}

#[tokio::test]
async fn direct_intents_are_priced_by_the_server_and_linked_by_the_booking() {
    let p = payments_app().await;
    let owner = p.app.owner().await;
    let driver = p.app.driver().await;
    let d = p.app.driveway(&owner, json!({"instantBook": true, "pricePerHourCents": 600})).await;
    let id = d["id"].as_str().expect("id");
    let start = future(2);
    let slot =
        json!({"driveway": id, "startTime": rfc(start), "endTime": rfc(start + Duration::minutes(90)), "amount": 1});
    let a = p.app.post("/api/payments/create-payment-intent-direct", Some(&driver.token), slot.clone()).await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    assert_eq!(a.body["amountCents"], 900, "the client's amount is ignored");
    let intent = a.str("paymentIntentId");
    assert!(p.pay_with_card(&intent, "4242424242424242").await.is_success());
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    // A booking for another slot cannot use it.
    let wrong = p
        .app
        .post("/api/bookings", Some(&driver.token), json!({"driveway": id, "startTime": rfc(start), "endTime": rfc(start + Duration::hours(1)), "stripePaymentId": intent}))
        .await;
    assert_eq!(wrong.code(), ErrorCode::PriceMismatch);
    let other = p.app.driver().await;
    let stolen = p
        .app
        .post("/api/bookings", Some(&other.token), json!({"driveway": id, "startTime": rfc(start), "endTime": rfc(start + Duration::minutes(90)), "stripePaymentId": intent}))
        .await;
    assert_eq!(stolen.code(), ErrorCode::ValidationFailed, "someone else's payment");
    let booked = p
        .app
        .post("/api/bookings", Some(&driver.token), json!({"driveway": id, "startTime": rfc(start), "endTime": rfc(start + Duration::minutes(90)), "stripePaymentId": intent}))
        .await;
    assert_eq!(booked.status, StatusCode::CREATED, "{:?}", booked.body);
    assert_eq!(booked.booking().payment_status, PaymentStatus::Paid);
    assert_eq!(booked.booking().status, BookingStatus::Confirmed);
}
