//! `POST /api/bookings/{id}/extend`: a confirmed stay made longer by a booking of its own for
//! the extra time, priced on the whole stay, holding its time like any booking, paid and
//! refunded on its own, and offered when the stay is about to end.

use crate::helpers::{Answer, Session, TestApp, future, rfc, spawn_app};
use chrono::{DateTime, Duration, Utc};
use parkway_core::ErrorCode;
use parkway_core::api::{Booking, Items, Notification};
use parkway_core::booking::{BookingStatus, PaymentStatus};
use parkway_core::notification::NotificationType;
use reqwest::StatusCode;
use serde_json::json;

async fn extend(app: &TestApp, driver: &Session, booking: &str, end: DateTime<Utc>, expected: Option<i64>) -> Answer {
    let mut body = json!({"endTime": rfc(end)});
    if let Some(cents) = expected {
        body["expectedExtraCents"] = json!(cents);
    }
    app.post(&format!("/api/bookings/{booking}/extend"), Some(&driver.token), body).await
}

async fn booking(app: &TestApp, user: &Session, id: &str) -> Booking {
    app.get(&format!("/api/bookings/{id}"), Some(&user.token)).await.booking()
}

/// An owner's driveway with `terms`, a driver, and a paid, confirmed stay there from `start`
/// for `minutes`.
async fn confirmed_stay(
    app: &TestApp,
    terms: serde_json::Value,
    start: DateTime<Utc>,
    minutes: i64,
) -> (Session, Session, String, String) {
    let (owner, driver) = (app.owner().await, app.driver().await);
    let d = app.driveway(&owner, terms).await;
    let driveway = d["id"].as_str().expect("id").to_owned();
    let b = app.book(&driver, &driveway, start, minutes).await;
    assert_eq!(b.status, StatusCode::CREATED, "{:?}", b.body);
    let id = b.str("id");
    assert_eq!(app.pay(&driver, &id).await.status, StatusCode::OK);
    if !d["instantBook"].as_bool().unwrap_or(false) {
        let confirmed = app.put(&format!("/api/bookings/{id}/confirm"), Some(&owner.token), json!({})).await;
        assert_eq!(confirmed.status, StatusCode::OK, "{:?}", confirmed.body);
    }
    assert_eq!(booking(app, &driver, &id).await.status, BookingStatus::Confirmed);
    (owner, driver, driveway, id)
}

async fn inbox(app: &TestApp, user: &Session) -> Vec<Notification> {
    app.get("/api/notifications", Some(&user.token)).await.json::<Items<Notification>>().items
}

#[tokio::test]
async fn the_extra_time_is_priced_on_the_whole_stay_and_paid_on_its_own() {
    let app = spawn_app().await;
    let start = future(2);
    let terms = json!({"pricePerHourCents": 1000, "pricePerDayCents": 5000, "instantBook": true});
    let (owner, driver, _, first) = confirmed_stay(&app, terms, start, 4 * 60).await;

    // 4 h cost 4000; 6 h would cost 6000 but the day is capped at 5000: the extra is 1000.
    let shown_wrong = extend(&app, &driver, &first, start + Duration::hours(6), Some(2000)).await;
    assert_eq!((shown_wrong.status, shown_wrong.code()), (StatusCode::CONFLICT, ErrorCode::PriceMismatch));
    let asked = extend(&app, &driver, &first, start + Duration::hours(6), Some(1000)).await;
    assert_eq!(asked.status, StatusCode::CREATED, "{:?}", asked.body);
    let extension = asked.booking();
    assert_eq!(extension.extension_of.map(|id| id.to_string()), Some(first.clone()));
    assert_eq!((extension.start_time, extension.end_time), (start + Duration::hours(4), start + Duration::hours(6)));
    assert_eq!((extension.total_cents.0, extension.status), (1000, BookingStatus::Pending));
    let told = inbox(&app, &owner).await;
    assert!(told.iter().any(|n| n.title == "Stay extended" && n.data["extensionOf"] == json!(first)), "{told:?}");

    // Its own payment confirms it (instant book); the first booking's money is untouched.
    let paid = app.pay(&driver, &extension.id.to_string()).await;
    assert_eq!(paid.status, StatusCode::OK, "{:?}", paid.body);
    let extension = booking(&app, &driver, &extension.id.to_string()).await;
    assert_eq!((extension.status, extension.payment_status), (BookingStatus::Confirmed, PaymentStatus::Paid));
    let amounts =
        app.numbers("SELECT amount_cents FROM payments WHERE status = 'succeeded' ORDER BY amount_cents").await;
    assert_eq!(amounts, vec![1000, 4000]);

    // The rest of the day costs nothing more: confirmed at once, nothing to pay.
    let free = extend(&app, &driver, &first, start + Duration::hours(10), Some(0)).await;
    assert_eq!(free.status, StatusCode::CREATED, "{:?}", free.body);
    let free = free.booking();
    assert_eq!((free.start_time, free.total_cents.0), (start + Duration::hours(6), 0));
    assert_eq!((free.status, free.payment_status), (BookingStatus::Confirmed, PaymentStatus::Paid));

    // Both parts are in the driver's list, the extensions naming their stay; the stay's
    // first booking keeps its times, and an extended stay's times no longer move.
    let listed = app.get("/api/bookings", Some(&driver.token)).await.bookings();
    assert_eq!(listed.iter().filter(|b| b.extension_of.map(|id| id.to_string()) == Some(first.clone())).count(), 2);
    let moved = app
        .put(
            &format!("/api/bookings/{first}"),
            Some(&driver.token),
            json!({"endTime": rfc(start + Duration::hours(3))}),
        )
        .await;
    assert_eq!((moved.status, moved.code()), (StatusCode::CONFLICT, ErrorCode::InvalidTransition), "{:?}", moved.body);
}

#[tokio::test]
async fn a_taken_or_closed_time_answers_with_the_latest_end_that_fits() {
    let app = spawn_app().await;
    let start = future(2);
    let (_, driver, driveway, first) =
        confirmed_stay(&app, json!({"pricePerHourCents": 600, "instantBook": true}), start, 120).await;
    let neighbour = app.driver().await;
    let next = app.book(&neighbour, &driveway, start + Duration::hours(3), 60).await;
    assert_eq!(next.status, StatusCode::CREATED);

    let refused = extend(&app, &driver, &first, start + Duration::hours(5), None).await;
    assert_eq!((refused.status, refused.code()), (StatusCode::CONFLICT, ErrorCode::SlotTaken), "{:?}", refused.body);
    assert_eq!(refused.body["latestEndTime"], json!(rfc(start + Duration::hours(3))));
    assert_eq!(refused.body["conflicts"].as_array().map(Vec::len), Some(1));
    // What was offered fits.
    let offered = extend(&app, &driver, &first, start + Duration::hours(3), Some(600)).await;
    assert_eq!(offered.status, StatusCode::CREATED, "{:?}", offered.body);

    // Closing time limits it too: open every day until 20:00 UTC, a stay 17:00–19:00.
    let evening = start.date_naive().and_hms_opt(17, 0, 0).expect("time").and_utc() + Duration::days(1);
    let every_day: Vec<_> = (0..7).map(|day| json!({"day": day, "open": "06:00", "close": "20:00"})).collect();
    let terms = json!({"timezone": "UTC", "availability": every_day, "instantBook": true});
    let (_, driver, _, stay) = confirmed_stay(&app, terms, evening, 120).await;
    let late = extend(&app, &driver, &stay, evening + Duration::hours(4), None).await;
    assert_eq!(late.code(), ErrorCode::SlotTaken, "{:?}", late.body);
    assert_eq!(late.body["latestEndTime"], json!(rfc(evening + Duration::hours(3))));
    assert_eq!(late.body["conflicts"], json!([]));
    // Closed right at the end: nothing fits, so nothing is offered.
    assert_eq!(extend(&app, &driver, &stay, evening + Duration::hours(3), None).await.status, StatusCode::CREATED);
    let closed = extend(&app, &driver, &stay, evening + Duration::hours(4), None).await;
    assert_eq!(closed.code(), ErrorCode::InvalidTransition, "the first extension waits for its payment");
}

#[tokio::test]
async fn two_extensions_at_once_into_one_free_slot_exactly_one_wins() {
    let app = spawn_app().await;
    let start = future(2);
    let (_, driver, _, first) =
        confirmed_stay(&app, json!({"pricePerHourCents": 600, "instantBook": true}), start, 60).await;
    // The same driver twice (two devices), each with its own key.
    let end = start + Duration::hours(2);
    let path = format!("/api/bookings/{first}/extend");
    let ask = |key: &'static str| {
        let request = app
            .client
            .post(format!("{}{path}", app.base))
            .bearer_auth(&driver.token)
            .header("idempotency-key", key)
            .json(&json!({"endTime": rfc(end)}));
        async move { request.send().await.expect("an answer").status() }
    };
    let (a, b) = tokio::join!(ask("phone"), ask("laptop"));
    let mut statuses = [a, b];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::CREATED, StatusCode::CONFLICT]);

    // An extension and someone else's booking of the same free hour.
    let other = app.driver().await;
    let (_, driver2, _, second) =
        confirmed_stay(&app, json!({"pricePerHourCents": 600, "instantBook": true}), start + Duration::days(1), 60)
            .await;
    let free_hour = start + Duration::days(1) + Duration::hours(1);
    let second_driveway = booking(&app, &driver2, &second).await.driveway.to_string();
    let (a, b) = tokio::join!(
        extend(&app, &driver2, &second, free_hour + Duration::hours(1), None),
        app.book(&other, &second_driveway, free_hour, 60)
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::CREATED, StatusCode::CONFLICT], "{:?} {:?}", a.body, b.body);
    let loser = if a.status == StatusCode::CONFLICT { a } else { b };
    assert_eq!(loser.code(), ErrorCode::SlotTaken);
}

#[tokio::test]
async fn a_replayed_extension_answers_as_the_first_did_and_strangers_get_nothing() {
    let app = spawn_app().await;
    let start = future(2);
    let (owner, driver, _, first) =
        confirmed_stay(&app, json!({"pricePerHourCents": 600, "instantBook": true}), start, 60).await;
    let send = |end: DateTime<Utc>| {
        app.client
            .post(format!("{}/api/bookings/{first}/extend", app.base))
            .bearer_auth(&driver.token)
            .header("idempotency-key", "extend-once")
            .json(&json!({"endTime": rfc(end)}))
            .send()
    };
    let one = send(start + Duration::hours(2)).await.expect("answer");
    assert_eq!(one.status(), StatusCode::CREATED);
    let one: Booking = one.json().await.expect("booking");
    let again = send(start + Duration::hours(2)).await.expect("answer");
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Booking>().await.expect("booking").id, one.id);
    let other_request = send(start + Duration::hours(3)).await.expect("answer");
    assert_eq!(other_request.status(), StatusCode::UNPROCESSABLE_ENTITY, "one key, one request");

    let stranger = app.driver().await;
    let theirs = extend(&app, &stranger, &first, start + Duration::hours(4), None).await;
    assert_eq!(theirs.code(), ErrorCode::NotFound);
    let owners = extend(&app, &owner, &first, start + Duration::hours(4), None).await;
    assert!(matches!(owners.code(), ErrorCode::NotFound | ErrorCode::Forbidden), "{:?}", owners.body);
    let backwards =
        app.post(&format!("/api/bookings/{first}/extend"), Some(&driver.token), json!({"endTime": "soon"})).await;
    assert_eq!(backwards.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn cancelling_the_stay_refunds_each_payment_on_its_own_terms() {
    let app = spawn_app().await;
    // Starts in 3 hours: the driver cancelling later than 10 minutes after booking gets half.
    let start = (app.clock.now() + Duration::hours(3)).duration_trunc_hour();
    let (owner, driver, _, first) =
        confirmed_stay(&app, json!({"pricePerHourCents": 1000, "instantBook": true}), start, 60).await;
    app.clock.advance(Duration::minutes(11));
    let extension = extend(&app, &driver, &first, start + Duration::hours(2), Some(1000)).await.booking();
    assert_eq!(app.pay(&driver, &extension.id.to_string()).await.status, StatusCode::OK);

    let cancelled = app.put(&format!("/api/bookings/{first}/cancel"), Some(&driver.token), json!({})).await;
    assert_eq!(cancelled.status, StatusCode::OK, "{:?}", cancelled.body);
    let extension = booking(&app, &owner, &extension.id.to_string()).await;
    assert_eq!(extension.status, BookingStatus::Cancelled, "the stay goes with its first booking");
    // The first booking was made 11 minutes ago: half back. The extension was made just now:
    // all of it back.
    let refunded =
        app.numbers("SELECT refunded_cents FROM payments WHERE status = 'succeeded' ORDER BY created_at").await;
    assert_eq!(refunded, vec![500, 1000]);
}

#[tokio::test]
async fn a_request_to_book_extension_waits_for_the_owner_and_is_captured_on_yes() {
    let app = spawn_app().await;
    let start = future(2);
    let (owner, driver, _, first) =
        confirmed_stay(&app, json!({"pricePerHourCents": 800, "instantBook": false}), start, 60).await;
    let extension = extend(&app, &driver, &first, start + Duration::hours(2), Some(800)).await.booking();
    let told = inbox(&app, &owner).await;
    assert!(told.iter().any(|n| n.title == "Extension request"), "{told:?}");
    let id = extension.id.to_string();
    let early = app.put(&format!("/api/bookings/{id}/confirm"), Some(&owner.token), json!({})).await;
    assert_eq!(early.code(), ErrorCode::PaymentRequired, "paid before the owner's yes");
    assert_eq!(app.pay(&driver, &id).await.status, StatusCode::OK);
    assert_eq!(booking(&app, &driver, &id).await.status, BookingStatus::Pending, "authorised, waiting for the owner");
    let yes = app.put(&format!("/api/bookings/{id}/confirm"), Some(&owner.token), json!({})).await;
    assert_eq!(yes.status, StatusCode::OK, "{:?}", yes.body);
    let extension = yes.booking();
    assert_eq!((extension.status, extension.payment_status), (BookingStatus::Confirmed, PaymentStatus::Paid));
}

#[tokio::test]
async fn an_extended_stay_is_reminded_of_its_end_once_with_an_offer_to_extend() {
    let app = spawn_app().await;
    let start = (app.clock.now() + Duration::hours(1)).duration_trunc_hour();
    let (_, driver, _, first) =
        confirmed_stay(&app, json!({"pricePerHourCents": 600, "instantBook": true}), start, 60).await;
    let extension = extend(&app, &driver, &first, start + Duration::hours(2), None).await.booking();
    assert_eq!(app.pay(&driver, &extension.id.to_string()).await.status, StatusCode::OK);
    let ending = |inbox: &[Notification]| {
        inbox
            .iter()
            .filter(|n| n.kind == NotificationType::BookingReminder && n.message.contains("ends in"))
            .cloned()
            .collect::<Vec<_>>()
    };

    // Ten minutes before the first hour ends: the stay goes on, so no reminder.
    let to_first_end = start + Duration::hours(1) - Duration::minutes(10) - app.clock.now();
    app.clock.advance(to_first_end);
    app.server().run_jobs_now().await;
    assert!(ending(&inbox(&app, &driver).await).is_empty());

    app.clock.advance(Duration::hours(1));
    app.server().run_jobs_now().await;
    let reminders = ending(&inbox(&app, &driver).await);
    assert_eq!(reminders.len(), 1, "{reminders:?}");
    assert_eq!(reminders[0].data["action"], "extend");
    assert_eq!(reminders[0].data["bookingId"], json!(extension.id));
    // Extending from the reminder's booking extends the stay.
    let more = extend(&app, &driver, &extension.id.to_string(), start + Duration::hours(3), None).await;
    assert_eq!(more.status, StatusCode::CREATED, "{:?}", more.body);
    assert_eq!(more.booking().extension_of.map(|id| id.to_string()), Some(first));
}

trait TruncHour {
    fn duration_trunc_hour(self) -> DateTime<Utc>;
}

impl TruncHour for DateTime<Utc> {
    fn duration_trunc_hour(self) -> DateTime<Utc> {
        use chrono::DurationRound;
        self.duration_trunc(Duration::hours(1)).expect("trunc")
    }
}

#[tokio::test]
async fn an_unpaid_extension_counts_against_the_drivers_unpaid_holds() {
    let app = crate::helpers::spawn_app_with(|c| c.max_unpaid_holds = 1).await;
    let start = future(2);
    let (owner, driver, driveway, first) =
        confirmed_stay(&app, json!({"pricePerHourCents": 600, "instantBook": true}), start, 60).await;
    let _ = owner;
    // One unpaid booking already held elsewhere on the driveway: the limit is reached.
    let held = app.book(&driver, &driveway, start + Duration::days(3), 60).await;
    assert_eq!(held.status, StatusCode::CREATED, "{:?}", held.body);
    let refused = extend(&app, &driver, &first, start + Duration::hours(2), None).await;
    assert_eq!((refused.status, refused.code()), (StatusCode::CONFLICT, ErrorCode::HoldLimit), "{:?}", refused.body);
}
