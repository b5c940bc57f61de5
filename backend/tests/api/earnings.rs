//! `GET /api/earnings`: the owner's paid bookings with the platform's fee and their net, where
//! that money stands, the sums, and the CSV for the accountant.

use crate::helpers::{future, spawn_app};
use chrono::Duration;
use parkway_core::ErrorCode;
use parkway_core::api::{Earnings, OwnerMetrics};
use parkway_core::earnings::EarningState;
use parkway_core::money::Cents;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn an_owner_sees_each_paid_booking_with_the_fee_and_the_net() {
    let app = spawn_app().await;
    let (owner, driver, other_owner) = (app.owner().await, app.driver().await, app.owner().await);
    let d = app
        .driveway(&owner, json!({"pricePerHourCents": 1000, "instantBook": true, "title": "Oak St, by the bakery"}))
        .await;
    let id = d["id"].as_str().expect("id");
    let paid = app.book(&driver, id, future(1), 120).await.str("id");
    app.pay(&driver, &paid).await;
    let unpaid = app.book(&driver, id, future(5), 60).await.str("id");

    let report: Earnings = app.get("/api/earnings", Some(&owner.token)).await.json();
    assert_eq!(report.items.len(), 1, "only paid bookings count, not {unpaid}");
    let line = &report.items[0];
    assert_eq!(line.booking_id.to_string(), paid);
    assert_eq!(line.driveway_title, "Oak St, by the bakery");
    assert_eq!((line.gross_cents, line.refunded_cents), (Cents(2000), Cents(0)));
    assert_eq!((line.fee_cents, line.net_cents), (Cents(300), Cents(1700)), "15 % by default");
    assert_eq!(line.state, EarningState::Upcoming);
    assert_eq!((report.fee_bps, report.settlement_hours), (1500, 24));
    assert_eq!(report.totals.len(), 1);
    assert_eq!((report.totals[0].gross_cents, report.totals[0].net_cents), (Cents(2000), Cents(1700)));
    assert_eq!(report.driveways.len(), 1);
    assert_eq!(report.months.len(), 1);
    assert!(!report.truncated);

    // Someone else's earnings are not there, and a driver has none to see.
    let theirs: Earnings = app.get("/api/earnings", Some(&other_owner.token)).await.json();
    assert!(theirs.items.is_empty() && theirs.totals.is_empty());
    assert_eq!(app.get("/api/earnings", Some(&driver.token)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get("/api/earnings", None).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_late_cancellation_keeps_half_and_its_money_settles_after_a_day() {
    let app = spawn_app().await;
    let (owner, driver) = (app.owner().await, app.driver().await);
    let d = app.driveway(&owner, json!({"pricePerHourCents": 1000, "instantBook": true})).await;
    let b = app.book(&driver, d["id"].as_str().expect("id"), future(1), 60).await.str("id");
    app.pay(&driver, &b).await;
    // Less than a day before the start: the driver gets half back.
    app.clock.advance(Duration::hours(36));
    let (driver_token, owner_token) = (app.sign_in_again(&driver).await, app.sign_in_again(&owner).await);
    let cancelled = app.put(&format!("/api/bookings/{b}/cancel"), Some(&driver_token), json!({})).await;
    assert_eq!(cancelled.status, StatusCode::OK, "{:?}", cancelled.body);
    app.server().run_jobs_now().await;

    let line = app.get("/api/earnings", Some(&owner_token)).await.json::<Earnings>().items.remove(0);
    assert_eq!((line.gross_cents, line.refunded_cents), (Cents(1000), Cents(500)));
    assert_eq!((line.fee_cents, line.net_cents), (Cents(75), Cents(425)), "the fee is on what was kept");
    assert_eq!(line.state, EarningState::Settling, "refunds settle on the platform first");
    let metrics = app.get("/api/metrics/owner", Some(&owner_token)).await.json::<OwnerMetrics>();
    assert_eq!(
        (metrics.revenue_cents, metrics.net_revenue_cents),
        (Cents(500), Cents(425)),
        "the same fee as the lines"
    );

    app.clock.advance(Duration::hours(25));
    let owner_token = app.sign_in_again(&owner).await;
    let line = app.get("/api/earnings", Some(&owner_token)).await.json::<Earnings>().items.remove(0);
    assert_eq!(line.state, EarningState::WaitingForOnboarding, "settled; no payout account yet");
}

#[tokio::test]
async fn the_accountant_gets_csv() {
    let app = spawn_app().await;
    let (owner, driver) = (app.owner().await, app.driver().await);
    let d = app
        .driveway(&owner, json!({"pricePerHourCents": 1250, "instantBook": true, "title": "Quote \"this\", please"}))
        .await;
    let b = app.book(&driver, d["id"].as_str().expect("id"), future(1), 60).await.str("id");
    app.pay(&driver, &b).await;
    let answer = app
        .client
        .get(format!("{}/api/earnings", app.base))
        .bearer_auth(&owner.token)
        .header("accept", "text/csv")
        .send()
        .await
        .expect("an answer");
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(answer.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(answer.headers()["content-disposition"].to_str().expect("ascii").contains("parkway-earnings.csv"));
    let text = answer.text().await.expect("text");
    let mut rows = text.lines();
    assert_eq!(
        rows.next(),
        Some("booking_id,driveway,start_time,end_time,status,currency,gross,refunded,fee,net,state")
    );
    let row = rows.next().expect("one line");
    assert!(row.starts_with(&format!("{b},\"Quote \"\"this\"\", please\",")), "{row}");
    assert!(row.ends_with(",USD,12.50,0.00,1.87,10.63,upcoming"), "{row}");
    assert_eq!(rows.next(), None);
    // The same for a client that cannot set headers on a download; the query wins over Accept.
    let by_query = app.get("/api/earnings?format=csv", Some(&owner.token)).await;
    assert_eq!(by_query.headers["content-type"], "text/csv; charset=utf-8");
    let json = app
        .client
        .get(format!("{}/api/earnings?format=json", app.base))
        .bearer_auth(&owner.token)
        .header("accept", "text/csv")
        .send()
        .await
        .expect("an answer");
    assert_eq!(json.headers()["content-type"], "application/json");
    assert_eq!(app.get("/api/earnings?format=pdf", Some(&owner.token)).await.code(), ErrorCode::ValidationFailed);
}

#[tokio::test]
async fn periods_are_checked() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    for (query, why) in [
        ("?from=2026-12-10T00:00:00Z&to=2026-12-01T00:00:00Z", "backwards"),
        ("?from=2026-01-01T00:00:00Z&to=2028-06-01T00:00:00Z", "longer than two years"),
        ("?from=%2B262142-12-31T00:00:00Z", "far future"),
        ("?from=yesterday", "not a time"),
    ] {
        let a = app.get(&format!("/api/earnings{query}"), Some(&owner.token)).await;
        assert_eq!((a.status, a.code()), (StatusCode::BAD_REQUEST, ErrorCode::ValidationFailed), "{why}: {:?}", a.body);
    }
}
