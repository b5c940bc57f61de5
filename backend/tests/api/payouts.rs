//! Owners get paid: the payout account, its simulated onboarding, and one transfer per settled
//! booking of the owner's share.

use crate::helpers::{Session, TestApp, future, spawn_app, spawn_app_with};
use chrono::Duration;
use parkway_core::ErrorCode;
use parkway_core::api::{Earnings, Items, OnboardingLink, PayoutAccount, PayoutLine};
use parkway_core::earnings::{AccountStatus, EarningState, PayoutStatus};
use parkway_core::money::Cents;
use reqwest::StatusCode;
use serde_json::json;

/// Onboards `owner` through the simulated page, as their browser would.
async fn onboard(app: &TestApp, token: &str) {
    let link: OnboardingLink = app.post("/api/payouts/onboarding", Some(token), json!({})).await.json();
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let page = no_redirects.get(&link.url).send().await.expect("the page");
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(html.contains("Simulated — no money moves"), "{html}");
    let secret = link.url.split("token=").nth(1).expect("a token").to_owned();
    let finish =
        || no_redirects.post(format!("{}/api/payouts/simulated/onboarding", app.base)).form(&[("token", &secret)]);
    let done = finish().send().await.expect("an answer");
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(done.headers()["location"], "/owner/earnings?onboarded=1");
    assert_eq!(finish().send().await.expect("an answer").status(), StatusCode::NOT_FOUND, "a link works once");
}

async fn earnings(app: &TestApp, owner: &Session) -> Earnings {
    let token = app.sign_in_again(owner).await;
    app.get("/api/earnings", Some(&token)).await.json()
}

async fn transfers(app: &TestApp) -> Vec<i64> {
    app.numbers("SELECT amount_cents FROM transfers").await
}

#[tokio::test]
async fn an_onboarded_owner_gets_each_settled_booking_once_net_of_the_fee() {
    let app = spawn_app().await;
    let (owner, driver) = (app.owner().await, app.driver().await);
    let account: PayoutAccount = app.get("/api/payouts/account", Some(&owner.token)).await.json();
    assert_eq!((account.status, account.payouts_enabled, account.simulated), (AccountStatus::None, false, true));
    onboard(&app, &owner.token).await;
    let account: PayoutAccount = app.get("/api/payouts/account", Some(&owner.token)).await.json();
    assert_eq!((account.status, account.payouts_enabled), (AccountStatus::Active, true));

    let d = app.driveway(&owner, json!({"pricePerHourCents": 1000, "instantBook": true})).await;
    let b = app.book(&driver, d["id"].as_str().expect("id"), future(1), 60).await.str("id");
    app.pay(&driver, &b).await;
    app.server().run_jobs_now().await;
    assert!(transfers(&app).await.is_empty(), "nothing moves before the booking ends");

    // The booking ends (two days and an hour ahead), then the day of settlement passes.
    app.clock.advance(Duration::hours(50));
    app.server().run_jobs_now().await;
    assert!(transfers(&app).await.is_empty(), "nothing moves while the money settles");
    assert_eq!(earnings(&app, &owner).await.items[0].state, EarningState::Settling);

    app.clock.advance(Duration::hours(25));
    app.server().run_jobs_now().await;
    app.server().run_jobs_now().await;
    assert_eq!(transfers(&app).await, vec![850], "once, 1000 less 15 %");
    let line = earnings(&app, &owner).await.items.remove(0);
    assert_eq!((line.net_cents, line.state), (Cents(850), EarningState::Transferred));
}

#[tokio::test]
async fn an_owner_who_onboards_late_receives_what_waited() {
    let app = spawn_app().await;
    let (owner, driver) = (app.owner().await, app.driver().await);
    let d = app.driveway(&owner, json!({"pricePerHourCents": 600, "instantBook": true})).await;
    let b = app.book(&driver, d["id"].as_str().expect("id"), future(1), 60).await.str("id");
    app.pay(&driver, &b).await;
    app.clock.advance(Duration::hours(80));
    app.server().run_jobs_now().await;
    assert!(transfers(&app).await.is_empty());
    assert_eq!(earnings(&app, &owner).await.items[0].state, EarningState::WaitingForOnboarding);

    let token = app.sign_in_again(&owner).await;
    onboard(&app, &token).await;
    app.server().run_jobs_now().await;
    assert_eq!(transfers(&app).await, vec![510]);
    assert_eq!(earnings(&app, &owner).await.items[0].state, EarningState::Transferred);
}

#[tokio::test]
async fn payouts_are_the_owners_alone_and_links_are_checked() {
    let app = spawn_app().await;
    let driver = app.driver().await;
    assert_eq!(app.get("/api/payouts/account", Some(&driver.token)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.post("/api/payouts/onboarding", Some(&driver.token), json!({})).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.post("/api/payouts/onboarding", None, json!({})).await.status, StatusCode::UNAUTHORIZED);
    let forged = app
        .client
        .post(format!("{}/api/payouts/simulated/onboarding", app.base))
        .form(&[("token", "0".repeat(64))])
        .send()
        .await
        .expect("an answer");
    assert_eq!(forged.status(), StatusCode::NOT_FOUND);
    let page = app.get(&format!("/api/payouts/simulated/onboarding?token={}", "<b>".repeat(30)), None).await;
    assert_eq!(
        (page.status, page.code()),
        (StatusCode::BAD_REQUEST, ErrorCode::ValidationFailed),
        "nothing unchecked reaches the page"
    );
    let garbled = app
        .client
        .post(format!("{}/api/payouts/simulated/onboarding", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("nothing=here")
        .send()
        .await
        .expect("an answer");
    assert_eq!(garbled.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_demo_owners_settled_stays_are_transferred_then_paid_out_after_onboarding() {
    let app = spawn_app_with(|c| c.demo = true).await;
    let signed_in =
        app.post("/api/auth/login", None, json!({"email": "olivia@parkway.demo", "password": "parkway-demo"})).await;
    let token = signed_in.str("token");
    let waiting: Earnings = app.get("/api/earnings", Some(&token)).await.json();
    assert_eq!(waiting.items.len(), 6, "the demo's past stays");
    assert!(waiting.items.iter().all(|l| l.state == EarningState::WaitingForOnboarding));
    let payouts = || async { app.get("/api/payouts", Some(&token)).await.json::<Items<PayoutLine>>().items };
    assert!(payouts().await.is_empty());

    onboard(&app, &token).await;
    app.server().run_jobs_now().await;
    let sent: Earnings = app.get("/api/earnings", Some(&token)).await.json();
    assert!(sent.items.iter().all(|l| l.state == EarningState::Transferred), "{:?}", sent.items);
    let net: i64 = sent.items.iter().map(|l| l.net_cents.0).sum();
    let out = payouts().await;
    assert_eq!(out.len(), 1, "the balance goes out in one payout");
    assert_eq!((out[0].amount_cents, out[0].status), (Cents(net), PayoutStatus::InTransit));
    app.server().run_jobs_now().await;
    assert_eq!(payouts().await.len(), 1, "nothing is paid out twice");

    app.clock.advance(Duration::hours(25));
    app.server().run_jobs_now().await;
    let token = app
        .post("/api/auth/login", None, json!({"email": "olivia@parkway.demo", "password": "parkway-demo"}))
        .await
        .str("token");
    let out = app.get("/api/payouts", Some(&token)).await.json::<Items<PayoutLine>>().items;
    assert_eq!((out.len(), out[0].status), (1, PayoutStatus::Paid), "arrived a day later");
}
