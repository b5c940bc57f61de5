//! Reviews: only a completed stay is reviewed, once, by its driver, editable for 48 hours; the
//! owner answers once; a driveway's rating adds up its reviews and filters a search.

use crate::helpers::{Session, TestApp, future, spawn_app};
use chrono::Duration;
use parkway_core::ErrorCode;
use parkway_core::api::{Driveway, Items};
use parkway_core::review::{RatingSummary, Review};
use reqwest::StatusCode;
use serde_json::json;

/// A paid stay of `driver` on `driveway` two days ahead, then the clock moved past its end and
/// the jobs run, so it is completed. Returns the booking id.
async fn completed_stay(app: &TestApp, driver: &Session, driveway: &str) -> String {
    let booking = app.book(driver, driveway, future(1), 60).await.str("id");
    assert_eq!(app.pay(driver, &booking).await.status, StatusCode::OK);
    booking
}

async fn rating(app: &TestApp, driveway: &str) -> Option<RatingSummary> {
    app.get(&format!("/api/driveways/{driveway}"), None).await.json::<Driveway>().rating
}

#[tokio::test]
async fn a_completed_stay_is_reviewed_once_edited_for_two_days_and_answered_once() {
    let app = spawn_app().await;
    let (owner, driver) = (app.owner().await, app.driver().await);
    let d = app.driveway(&owner, json!({"instantBook": true})).await;
    let d = d["id"].as_str().expect("id").to_owned();
    let booking = completed_stay(&app, &driver, &d).await;
    let path = format!("/api/bookings/{booking}/review");

    // Not before the stay took place.
    let early = app.post(&path, Some(&driver.token), json!({"rating": 5})).await;
    assert_eq!((early.status, early.code()), (StatusCode::CONFLICT, ErrorCode::InvalidTransition), "{:?}", early.body);
    assert_eq!(rating(&app, &d).await, None);

    app.clock.advance(Duration::days(3));
    app.server().run_jobs_now().await;
    let (driver, owner) = (
        Session { token: app.sign_in_again(&driver).await, ..driver },
        Session { token: app.sign_in_again(&owner).await, ..owner },
    );
    for (body, why) in [
        (json!({"rating": 6}), "six stars"),
        (json!({"rating": 0}), "no stars"),
        (json!({"rating": 4, "text": "x".repeat(1001)}), "too long"),
        (json!({"text": "no stars"}), "no rating"),
    ] {
        let refused = app.post(&path, Some(&driver.token), body).await;
        assert_eq!((refused.status, refused.code()), (StatusCode::BAD_REQUEST, ErrorCode::ValidationFailed), "{why}");
    }
    let stranger = app.driver().await;
    assert_eq!(app.post(&path, Some(&stranger.token), json!({"rating": 1})).await.code(), ErrorCode::NotFound);
    assert_eq!(app.get(&path, Some(&driver.token)).await.code(), ErrorCode::NotFound, "none yet");

    let posted = app.post(&path, Some(&driver.token), json!({"rating": 4, "text": "  Easy to find.  "})).await;
    assert_eq!(posted.status, StatusCode::CREATED, "{:?}", posted.body);
    let review: Review = posted.json();
    assert_eq!((review.rating.stars(), review.text.as_deref()), (4, Some("Easy to find.")));
    assert!(!review.author_name.contains(' '), "a first name only: {}", review.author_name);
    assert_eq!(rating(&app, &d).await, Some(RatingSummary { average: 4.0, count: 1 }));
    let again = app.post(&path, Some(&driver.token), json!({"rating": 1})).await;
    assert_eq!(again.code(), ErrorCode::InvalidTransition, "once");
    assert_eq!(app.get(&path, Some(&owner.token)).await.json::<Review>().booking_id, review.booking_id);
    assert_eq!(app.get(&path, Some(&stranger.token)).await.code(), ErrorCode::NotFound);

    // Edited within two days: the driveway's rating follows.
    let edited = app.put(&path, Some(&driver.token), json!({"rating": 2})).await;
    assert_eq!(edited.status, StatusCode::OK, "{:?}", edited.body);
    assert_eq!(rating(&app, &d).await, Some(RatingSummary { average: 2.0, count: 1 }));
    assert_eq!(app.put(&path, Some(&owner.token), json!({"rating": 5})).await.code(), ErrorCode::NotFound);

    // The owner answers once; nobody else answers.
    let reply = format!("{path}/reply");
    assert_eq!(app.post(&reply, Some(&driver.token), json!({"text": "Me too"})).await.code(), ErrorCode::NotFound);
    assert_eq!(app.post(&reply, Some(&owner.token), json!({"text": "  "})).await.code(), ErrorCode::ValidationFailed);
    let answered = app.post(&reply, Some(&owner.token), json!({"text": "Thanks, see you again!"})).await;
    assert_eq!(answered.status, StatusCode::OK, "{:?}", answered.body);
    assert_eq!(answered.json::<Review>().reply.as_deref(), Some("Thanks, see you again!"));
    assert_eq!(
        app.post(&reply, Some(&owner.token), json!({"text": "Again"})).await.code(),
        ErrorCode::InvalidTransition
    );

    // Everyone reads a driveway's reviews.
    let listed = app.get(&format!("/api/driveways/{d}/reviews"), None).await.json::<Items<Review>>().items;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].reply.as_deref(), Some("Thanks, see you again!"));
    assert_eq!(app.get(&format!("/api/driveways/{d}/reviews?limit=0"), None).await.code(), ErrorCode::ValidationFailed);
    let nowhere = uuid::Uuid::new_v4();
    assert_eq!(app.get(&format!("/api/driveways/{nowhere}/reviews"), None).await.code(), ErrorCode::NotFound);

    // Two days on, the review is what it is.
    app.clock.advance(Duration::hours(49));
    let driver = Session { token: app.sign_in_again(&driver).await, ..driver };
    let late = app.put(&path, Some(&driver.token), json!({"rating": 5})).await;
    assert_eq!(late.code(), ErrorCode::InvalidTransition, "{:?}", late.body);
}

#[tokio::test]
async fn a_cancelled_booking_cannot_be_reviewed() {
    let app = spawn_app().await;
    let (owner, driver) = (app.owner().await, app.driver().await);
    let d = app.driveway(&owner, json!({"instantBook": true})).await;
    let booking = completed_stay(&app, &driver, d["id"].as_str().expect("id")).await;
    app.put(&format!("/api/bookings/{booking}/cancel"), Some(&driver.token), json!({})).await;
    app.clock.advance(Duration::days(3));
    app.server().run_jobs_now().await;
    let driver = Session { token: app.sign_in_again(&driver).await, ..driver };
    let refused = app.post(&format!("/api/bookings/{booking}/review"), Some(&driver.token), json!({"rating": 1})).await;
    assert_eq!(refused.code(), ErrorCode::InvalidTransition);
    assert!(refused.str("message").contains("cancelled"), "{:?}", refused.body);
}

#[tokio::test]
async fn a_search_keeps_driveways_rated_at_least_the_minimum() {
    let app = spawn_app().await;
    let (owner, driver) = (app.owner().await, app.driver().await);
    let mut ids = Vec::new();
    for (title, stars) in [("Five stars", 5), ("Two stars", 2)] {
        let d = app.driveway(&owner, json!({"instantBook": true, "title": title})).await;
        let d = d["id"].as_str().expect("id").to_owned();
        ids.push((completed_stay(&app, &driver, &d).await, stars, d));
    }
    let unrated = app.driveway(&owner, json!({"title": "Not yet rated"})).await;
    app.clock.advance(Duration::days(3));
    app.server().run_jobs_now().await;
    let driver = Session { token: app.sign_in_again(&driver).await, ..driver };
    for (booking, stars, _) in &ids {
        let posted =
            app.post(&format!("/api/bookings/{booking}/review"), Some(&driver.token), json!({"rating": stars})).await;
        assert_eq!(posted.status, StatusCode::CREATED);
    }
    let found = |q: &'static str| {
        let app = &app;
        async move {
            let page = app.get(&format!("/api/driveways?lat=37.7749&lng=-122.4194{q}"), None).await;
            assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
            page.body["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|i| i["title"].as_str().unwrap_or_default().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(found("&minRating=4").await, vec!["Five stars".to_owned()]);
    assert_eq!(found("").await.len(), 3, "no filter, the unrated one too ({unrated})");
    let bad = app.get("/api/driveways?lat=37.7749&lng=-122.4194&minRating=0", None).await;
    assert_eq!(bad.code(), ErrorCode::ValidationFailed);
}
