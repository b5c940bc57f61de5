//! The simulated provider of the embedded demo (no Stripe key): same state machine, labelled.

use crate::helpers::{future, spawn_app};
use parkway_core::ErrorCode;
use parkway_core::booking::{BookingStatus, PaymentStatus};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn simulated_payments_follow_the_same_rules_and_say_so() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let driver = app.driver().await;
    let d = app.driveway(&owner, json!({"instantBook": true, "pricePerHourCents": 700})).await;
    let b = app.book(&driver, d["id"].as_str().expect("id"), future(1), 60).await.str("id");
    let intent = app.post("/api/payments/create-payment-intent", Some(&driver.token), json!({"bookingId": b})).await;
    assert_eq!(intent.body["simulated"], true);
    assert_eq!(intent.body["amountCents"], 700);
    let id = intent.str("paymentIntentId");
    let confirm = |card: &'static str| {
        let path = format!("/api/payments/simulated/{id}/confirm");
        let token = driver.token.clone();
        let app = &app;
        async move { app.post(&path, Some(&token), json!({"card": card})).await }
    };
    let declined = confirm("4000 0000 0000 0002").await;
    assert_eq!((declined.status, declined.code()), (StatusCode::PAYMENT_REQUIRED, ErrorCode::PaymentRequired));
    assert_eq!(
        app.get(&format!("/api/bookings/{b}"), Some(&driver.token)).await.booking().payment_status,
        PaymentStatus::Failed
    );
    assert_eq!(confirm("1234").await.code(), ErrorCode::ValidationFailed);

    // The next attempt gets a fresh intent, which pays.
    let retry = app.post("/api/payments/create-payment-intent", Some(&driver.token), json!({"bookingId": b})).await;
    let id2 = retry.str("paymentIntentId");
    assert_ne!(id2, id);
    let paid = app
        .post(
            &format!("/api/payments/simulated/{id2}/confirm"),
            Some(&driver.token),
            json!({"card": "4242424242424242"}),
        )
        .await;
    assert_eq!(paid.status, StatusCode::OK);
    assert_eq!(paid.body["simulated"], true);
    let booking = app.get(&format!("/api/bookings/{b}"), Some(&driver.token)).await.booking();
    assert_eq!((booking.payment_status, booking.status), (PaymentStatus::Paid, BookingStatus::Confirmed));
    let again = app.post("/api/payments/create-payment-intent", Some(&driver.token), json!({"bookingId": b})).await;
    assert_eq!(again.code(), ErrorCode::InvalidTransition, "already paid");
    // Someone else cannot pay or read it.
    let stranger = app.driver().await;
    let other = app
        .post(
            &format!("/api/payments/simulated/{id2}/confirm"),
            Some(&stranger.token),
            json!({"card": "4242424242424242"}),
        )
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    let theirs = app.post("/api/payments/create-payment-intent", Some(&stranger.token), json!({"bookingId": b})).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_paid_hold_does_not_expire() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let driver = app.driver().await;
    let d = app.driveway(&owner, json!({})).await;
    let b = app.book(&driver, d["id"].as_str().expect("id"), future(1), 60).await.str("id");
    app.pay(&driver, &b).await;
    app.clock.advance(chrono::Duration::minutes(30));
    app.server().run_jobs_now().await;
    assert_eq!(
        app.get(&format!("/api/bookings/{b}"), Some(&driver.token)).await.booking().status,
        BookingStatus::Pending,
        "authorised: waits for the owner"
    );
}

#[tokio::test]
async fn an_authorisation_after_a_decline_makes_the_payment_pending_again() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let driver = app.driver().await;
    // Request to book, starting within 5 days: cards are authorised only.
    let d = app.driveway(&owner, json!({"instantBook": false})).await;
    let b = app.book(&driver, d["id"].as_str().expect("id"), future(1), 60).await.str("id");
    let first = app.post("/api/payments/create-payment-intent", Some(&driver.token), json!({"bookingId": b})).await;
    let id = first.str("paymentIntentId");
    app.post(
        &format!("/api/payments/simulated/{id}/confirm"),
        Some(&driver.token),
        json!({"card": "4000000000000002"}),
    )
    .await;
    assert_eq!(
        app.get(&format!("/api/bookings/{b}"), Some(&owner.token)).await.booking().payment_status,
        PaymentStatus::Failed
    );
    app.pay(&driver, &b).await;
    let seen_by_owner = app.get(&format!("/api/bookings/{b}"), Some(&owner.token)).await;
    assert_eq!(
        seen_by_owner.booking().payment_status,
        PaymentStatus::Pending,
        "authorised, waiting for the owner: no longer failed"
    );
    let confirmed = app.put(&format!("/api/bookings/{b}/confirm"), Some(&owner.token), json!({})).await;
    assert_eq!(confirmed.booking().payment_status, PaymentStatus::Paid);
}
