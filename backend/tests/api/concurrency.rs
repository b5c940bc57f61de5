use crate::helpers::{Session, TestApp, future, rfc, spawn_app, spawn_app_with, spawn_postgres_app_with};
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_overlapping_requests_make_exactly_one_booking() {
    let app = spawn_app().await;
    let owner = app.owner().await;
    let d = app.driveway(&owner, json!({})).await;
    let id = d["id"].as_str().expect("id").to_owned();
    let mut drivers = Vec::new();
    for _ in 0..5 {
        drivers.push(app.driver().await);
    }
    let start = future(2);
    let mut tasks = Vec::new();
    for i in 0..50 {
        let client = app.client.clone();
        let url = format!("{}/api/bookings", app.base);
        let token = drivers[i % drivers.len()].token.clone();
        // Every slot overlaps every other one: they all contain [start+50min, start+60min).
        let s = start + Duration::minutes(i as i64);
        let body =
            json!({"driveway": id, "startTime": rfc(s), "endTime": rfc(start + Duration::minutes(60 + i as i64))});
        tasks.push(tokio::spawn(async move {
            client.post(url).bearer_auth(token).json(&body).send().await.expect("sent").status()
        }));
    }
    let mut created = 0;
    let mut taken = 0;
    for t in tasks {
        match t.await.expect("task") {
            StatusCode::CREATED => created += 1,
            StatusCode::CONFLICT => taken += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!((created, taken), (1, 49));
    let owner_view = app.get("/api/bookings?as=owner", Some(&owner.token)).await;
    assert_eq!(owner_view.body["items"].as_array().map(Vec::len), Some(1));
}

/// A driveway deleted while bookings of it are being made: every booking that answers 201 must
/// have kept the deletion from going through (the deletion then answers 409), or the deletion
/// happened first and the booking answers 404. A deleted driveway never keeps an active booking.
/// The requests race for real, many rounds over, so a lost guard shows as a broken round.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_driveway_deleted_while_it_is_booked_never_keeps_the_booking() {
    // The drivers hold many unpaid bookings here.
    let app = spawn_app_with(|c| c.max_unpaid_holds = 0).await;
    let owner = app.owner().await;
    let drivers = [app.driver().await, app.driver().await, app.driver().await];
    let start = future(2);
    for round in 0..30 {
        let d = app.driveway(&owner, json!({})).await;
        let id = d["id"].as_str().expect("id").to_owned();
        let mut bookings = Vec::new();
        for (i, driver) in drivers.iter().enumerate() {
            let (client, url, token) = (app.client.clone(), format!("{}/api/bookings", app.base), driver.token.clone());
            let s = start + Duration::hours(i as i64);
            let body = json!({"driveway": id, "startTime": rfc(s), "endTime": rfc(s + Duration::minutes(30))});
            bookings.push(tokio::spawn(async move {
                client.post(url).bearer_auth(token).json(&body).send().await.expect("sent").status()
            }));
        }
        let (client, url, token) =
            (app.client.clone(), format!("{}/api/driveways/{id}", app.base), owner.token.clone());
        let deletion =
            tokio::spawn(async move { client.delete(url).bearer_auth(token).send().await.expect("sent").status() });
        let mut booked = 0;
        for b in bookings {
            match b.await.expect("task") {
                StatusCode::CREATED => booked += 1,
                StatusCode::NOT_FOUND => {}
                other => panic!("round {round}: a booking answered {other}"),
            }
        }
        match deletion.await.expect("task") {
            StatusCode::NO_CONTENT => {
                assert_eq!(booked, 0, "round {round}: the driveway was deleted with {booked} booking(s)")
            }
            StatusCode::CONFLICT => assert!(booked > 0, "round {round}: the deletion was refused for no booking"),
            other => panic!("round {round}: the deletion answered {other}"),
        }
    }
}

/// A driveway of a PostgreSQL test whose lock `holder` holds exclusively in an open
/// transaction, as a deletion holds it, and a driver to book it.
struct Held {
    app: TestApp,
    driver: Session,
    id: uuid::Uuid,
    holder: Option<parkway_backend::store::db::Tx<'static>>,
}

impl Held {
    async fn new() -> Held {
        use parkway_backend::store::locks::{self, Subject};
        let app = spawn_app().await;
        let (owner, driver) = (app.owner().await, app.driver().await);
        let d = app.driveway(&owner, json!({})).await;
        let id: uuid::Uuid = d["id"].as_str().expect("id").parse().expect("uuid");
        let mut holder = app.server().state().store.begin_write().await.expect("a transaction");
        locks::exclusive(&mut holder, Subject::Driveway(id)).await.expect("exclusive");
        Held { app, driver, id, holder: Some(holder) }
    }

    /// Sends a booking of the driveway and returns once it waits for the driveway's lock.
    async fn book_and_wait(&self) -> tokio::task::JoinHandle<StatusCode> {
        let s = future(2);
        let body = json!({"driveway": self.id, "startTime": rfc(s), "endTime": rfc(s + Duration::hours(1))});
        let app = &self.app;
        let (client, url, token) =
            (app.client.clone(), format!("{}/api/bookings", app.base), self.driver.token.clone());
        let booking = tokio::spawn(async move {
            let answer = client.post(url).bearer_auth(token).json(&body).send().await.expect("sent");
            answer.status()
        });
        let store = app.server().state().store.clone();
        let started = std::time::Instant::now();
        while crate::helpers::advisory_lock_waiters(&store).await == 0 {
            assert!(!booking.is_finished(), "the booking answered without waiting for the lock");
            assert!(crate::helpers::patient(started), "the booking never waited for the lock");
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        booking
    }

    /// Ends the holder's transaction, committed or rolled back, which lets the booking go on.
    async fn release(&mut self, commit: bool) {
        let holder = self.holder.take().expect("the lock is held");
        if commit { holder.commit().await.expect("committed") } else { holder.rollback().await.expect("rolled back") }
    }

    /// How many bookings the driver has.
    async fn bookings(&self) -> Option<usize> {
        let mine = self.app.get("/api/bookings", Some(&self.driver.token)).await;
        mine.body["items"].as_array().map(Vec::len)
    }
}

/// A new booking reads its driveway in the statement that waits for the driveway's lock, and
/// PostgreSQL's snapshot for that statement is taken before the wait: a deletion that commits
/// while the booking waits is not in it. Here the deletion is a transaction held open with the
/// lock, the driveway marked deleted inside it, and committed while the booking waits; the
/// booking must then answer 404 and leave nothing behind.
#[tokio::test]
async fn a_booking_that_waited_for_a_deletion_finds_the_driveway_gone() {
    use parkway_backend::store::db::{query, to_ms};
    if !crate::helpers::on_postgres() {
        return;
    }
    let mut held = Held::new().await;
    let deleted =
        query("UPDATE driveways SET deleted_at = ? WHERE id = ?").bind(to_ms(chrono::Utc::now())).bind(held.id);
    held.holder.as_mut().expect("held").execute(deleted).await.expect("marked deleted");
    let booking = held.book_and_wait().await;
    held.release(true).await;
    assert_eq!(booking.await.expect("task"), StatusCode::NOT_FOUND);
    assert_eq!(held.bookings().await, Some(0), "a deleted driveway kept a booking");
}

/// A booking transaction's lock waits end after 50 ms (so that two batches waiting on each
/// other part at once), and the request that waited runs again in its writer's next batch. A
/// driveway's lock held longer than that, as a slow deletion that is then given up would hold
/// it, must only delay the booking: it still books once the lock is free, and exactly once.
#[tokio::test]
async fn a_booking_held_up_longer_than_a_lock_wait_runs_again_and_books() {
    if !crate::helpers::on_postgres() {
        return;
    }
    let mut held = Held::new().await;
    let booking = held.book_and_wait().await;
    // Held until the first run's wait has been cut short and the request waits again in a
    // statement of its next run (a later start), still with the lock held.
    let store = held.app.server().state().store.clone();
    let waiting_since = || async {
        use parkway_backend::store::db::query;
        let q = query(
            "SELECT CAST(COALESCE(MAX(EXTRACT(EPOCH FROM query_start) * 1000000), 0) AS BIGINT) \
             FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND wait_event = 'advisory' \
             AND datname = current_database()",
        );
        store.reader().scalar::<i64>(q).await.expect("pg_stat_activity read")
    };
    let first = waiting_since().await;
    let started = std::time::Instant::now();
    while waiting_since().await <= first {
        assert!(!booking.is_finished(), "the booking gave up while the lock was held");
        assert!(crate::helpers::patient(started), "the booking never ran again");
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    held.release(false).await;
    assert_eq!(booking.await.expect("task"), StatusCode::CREATED);
    assert_eq!(held.bookings().await, Some(1), "booked exactly once");
}

/// The open session of `user`, as their token names it: (user, session).
async fn session_of(store: &parkway_backend::store::Store, user: &Session) -> (uuid::Uuid, uuid::Uuid) {
    use parkway_backend::store::db::query;
    let user: uuid::Uuid = user.id.parse().expect("uuid");
    let session: String =
        store.reader().scalar(query("SELECT id FROM sessions WHERE user_id = ?").bind(user)).await.expect("a session");
    (user, session.parse().expect("uuid"))
}

/// A plain booking of `driveway` for the `i`-th hour from two hours ahead, as the store gets it.
fn plain_request(
    (driver, session): (uuid::Uuid, uuid::Uuid),
    driveway: uuid::Uuid,
    i: i64,
) -> parkway_backend::store::bookings::BookingRequest {
    let start = future(2);
    parkway_backend::store::bookings::BookingRequest {
        driver,
        session,
        driveway,
        slot: parkway_core::slot::TimeSlot::new(start + Duration::hours(i), start + Duration::hours(i + 1))
            .expect("slot"),
        special_requests: None,
        driver_location: None,
        expected_total: None,
        stripe_payment_id: None,
        vehicle_id: None,
        idempotency: None,
        max_unpaid_holds: 0,
    }
}

/// Sends `req` straight to the store from a task of its own. On a test's single thread, tasks
/// first run in the order they were spawned, and on PostgreSQL each queues its request at once:
/// requests sent one after the other this way reach the booking writers in that order, in one
/// batch.
fn queue_in_order(
    store: &parkway_backend::store::Store,
    req: parkway_backend::store::bookings::BookingRequest,
) -> tokio::task::JoinHandle<Result<(), parkway_backend::error::AppError>> {
    let store = store.clone();
    tokio::spawn(async move { store.create_booking(req, chrono::Utc::now()).await.map(|_| ()) })
}

/// On PostgreSQL a batch's requests share one transaction without savepoints, and a failed
/// statement aborts all of it. Here a request in the middle of a batch waits on its driveway's
/// lock (held as a deletion holds it) until the wait is cut short: the thirty that had succeeded
/// before it in its transaction must run again and be stored, not be answered and lost, and the
/// one that waited must book once the lock is free.
///
/// The requests go straight to the store, so that they queue in exactly this order: on this
/// test's single thread the writers take them only once all are queued.
#[tokio::test]
async fn a_failed_statement_never_loses_the_bookings_before_it_in_its_batch() {
    use parkway_backend::store::db::query;
    use parkway_backend::store::locks::{self, Subject};
    if !crate::helpers::on_postgres() {
        return;
    }
    let app = spawn_app_with(|c| c.max_unpaid_holds = 0).await;
    let owner = app.owner().await;
    let driver = app.driver().await;
    let id = |d: serde_json::Value| -> uuid::Uuid { d["id"].as_str().expect("id").parse().expect("uuid") };
    let held = id(app.driveway(&owner, json!({})).await);
    let free = id(app.driveway(&owner, json!({})).await);
    let store = app.server().state().store.clone();
    let good = session_of(&store, &driver).await;
    let mut holder = store.begin_write().await.expect("a transaction");
    locks::exclusive(&mut holder, Subject::Driveway(held)).await.expect("exclusive");

    let before: Vec<_> = (0..30).map(|i| queue_in_order(&store, plain_request(good, free, i))).collect();
    let waiting = queue_in_order(&store, plain_request(good, held, 0));
    let after: Vec<_> = (30..60).map(|i| queue_in_order(&store, plain_request(good, free, i))).collect();
    // Those before the waiting request answer only once its wait was cut short (and then they
    // ran again): the lock has done its part, and its release leaves it time to book.
    let before = futures_util::future::join_all(before).await;
    holder.rollback().await.expect("released");
    let after = futures_util::future::join_all(after).await;
    for (i, answer) in before.into_iter().chain(after).enumerate() {
        assert!(answer.expect("task").is_ok(), "booking {i}");
    }
    let stored: i64 = store
        .reader()
        .scalar(query("SELECT COUNT(*) FROM bookings WHERE driveway_id = ?").bind(free))
        .await
        .expect("counted");
    assert_eq!(stored, 60, "every booking answered is stored");
    let answer = waiting.await.expect("task");
    assert!(answer.is_ok(), "the booking of the held driveway failed: {answer:?}");
    let mine = app.get("/api/bookings?limit=100", Some(&driver.token)).await;
    assert_eq!(mine.body["items"].as_array().map(Vec::len), Some(61));
}

/// A batch reads its bookings' driveways in one statement, and that read must answer for no
/// booking it would refuse: queued in one batch between good requests, a request of an ended
/// session answers 401 and one for a deleted driveway 404, and both leave nothing behind.
#[tokio::test]
async fn a_batch_read_still_refuses_an_ended_session_and_a_deleted_driveway() {
    use parkway_backend::error::AppError;
    use parkway_backend::store::db::query;
    let app = spawn_app_with(|c| c.max_unpaid_holds = 0).await;
    let owner = app.owner().await;
    let (driver, signed_out) = (app.driver().await, app.driver().await);
    let id = |d: serde_json::Value| -> uuid::Uuid { d["id"].as_str().expect("id").parse().expect("uuid") };
    let live = id(app.driveway(&owner, json!({})).await);
    let deleted = id(app.driveway(&owner, json!({})).await);
    assert_eq!(
        app.delete(&format!("/api/driveways/{deleted}"), Some(&owner.token)).await.status,
        StatusCode::NO_CONTENT
    );
    let store = app.server().state().store.clone();
    let (good, ended) = (session_of(&store, &driver).await, session_of(&store, &signed_out).await);
    assert_eq!(app.post("/api/auth/logout", Some(&signed_out.token), json!({})).await.status, StatusCode::NO_CONTENT);

    let firsts: Vec<_> = (0..3).map(|i| queue_in_order(&store, plain_request(good, live, i))).collect();
    let from_ended = queue_in_order(&store, plain_request(ended, live, 10));
    let on_deleted = queue_in_order(&store, plain_request(good, deleted, 11));
    let lasts: Vec<_> = (3..6).map(|i| queue_in_order(&store, plain_request(good, live, i))).collect();
    for answer in futures_util::future::join_all(firsts.into_iter().chain(lasts)).await {
        assert!(answer.expect("task").is_ok());
    }
    let refused = |answer: Result<(), AppError>| answer.err().map(|e| e.to_string());
    let ended_answer = from_ended.await.expect("task");
    assert!(
        matches!(ended_answer, Err(AppError::Api(code, _)) if code == parkway_core::ErrorCode::Unauthorized),
        "{:?}",
        refused(ended_answer)
    );
    let deleted_answer = on_deleted.await.expect("task");
    assert!(
        matches!(deleted_answer, Err(AppError::Api(code, _)) if code == parkway_core::ErrorCode::NotFound),
        "{:?}",
        refused(deleted_answer)
    );
    let stored: i64 = store.reader().scalar(query("SELECT COUNT(*) FROM bookings")).await.expect("counted");
    assert_eq!(stored, 6, "only the six good requests booked");
}

/// Someone else's driveway: deleting it answers 404 at once, without waiting on (and so without
/// holding up) the bookings being made on it. A deletion that took the driveway's lock before
/// checking ownership let anyone stall a popular driveway's bookings. The booking in flight is a
/// transaction holding the driveway's shared lock, as a booking does.
#[tokio::test]
async fn deleting_someone_elses_driveway_never_waits_on_its_bookings() {
    use parkway_backend::store::locks::{self, Subject};
    if !crate::helpers::on_postgres() {
        return;
    }
    let app = spawn_app().await;
    let (owner, stranger) = (app.owner().await, app.owner().await);
    let d = app.driveway(&owner, json!({})).await;
    let id: uuid::Uuid = d["id"].as_str().expect("id").parse().expect("uuid");
    let store = app.server().state().store.clone();
    let mut booking = store.begin_write().await.expect("a transaction");
    locks::share(&mut booking, Subject::Driveway(id)).await.expect("shared");

    let (client, url, token) = (app.client.clone(), format!("{}/api/driveways/{id}", app.base), stranger.token.clone());
    let deletion =
        tokio::spawn(async move { client.delete(url).bearer_auth(token).send().await.expect("sent").status() });
    let started = std::time::Instant::now();
    let mut waited = false;
    while !deletion.is_finished() {
        let waiting = crate::helpers::advisory_lock_waiters(&store).await;
        if waiting > 0 {
            waited = true;
            break;
        }
        assert!(crate::helpers::patient(started), "the deletion neither answered nor waited");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    booking.commit().await.expect("committed");
    assert_eq!(deletion.await.expect("task"), StatusCode::NOT_FOUND);
    assert!(!waited, "a stranger's deletion waited for the driveway's bookings");
}

/// Bookings are committed in batches (SQLite's writer; PostgreSQL's writers). Many requests at
/// once, every other one refused after it has written (its idempotency key is claimed before the
/// price is checked): each refusal is undone alone, every neighbour's booking is kept, and the
/// refused key is free again, so the driver's corrected retry books.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refused_request_in_a_busy_moment_never_undoes_its_neighbours() {
    let app = spawn_app_with(|c| c.max_unpaid_holds = 0).await;
    let owner = app.owner().await;
    let d = app.driveway(&owner, json!({"pricePerHourCents": 300})).await;
    let driver = app.driver().await;
    let start = future(2);
    let send = |i: i64, expected: i64| {
        let s = start + Duration::hours(i);
        let body = json!({"driveway": d["id"], "startTime": rfc(s), "endTime": rfc(s + Duration::hours(1)),
                          "expectedTotalCents": expected});
        let req = app
            .client
            .post(format!("{}/api/bookings", app.base))
            .bearer_auth(&driver.token)
            .header("Idempotency-Key", format!("slot-{i}"))
            .json(&body);
        async move { req.send().await.expect("sent").status() }
    };
    let answers = futures_util::future::join_all((0..40).map(|i| send(i, if i % 2 == 0 { 300 } else { 299 }))).await;
    for (i, status) in answers.iter().enumerate() {
        let want = if i % 2 == 0 { StatusCode::CREATED } else { StatusCode::CONFLICT };
        assert_eq!(*status, want, "request {i}");
    }
    let mine = app.get("/api/bookings?limit=100", Some(&driver.token)).await;
    assert_eq!(mine.body["items"].as_array().map(Vec::len), Some(20), "every accepted booking is stored");
    // The refused requests gave their keys back.
    for i in (1..40).step_by(2) {
        assert_eq!(send(i, 300).await, StatusCode::CREATED, "retry of request {i}");
    }
}

/// The new bookings of a batch are inserted together, with their owners' notifications and
/// their keys' answers, in one round trip (one statement on PostgreSQL, one command of several
/// statements on SQLite). Queued in one batch, each request must still get the answer
/// it would have got alone, and each booking written its own notification (and push):
/// - of two overlapping requests the first books, and the second answers `slot_taken` with the
///   first's slot;
/// - a request for a deleted driveway answers 404 and writes nothing;
/// - a request sent again with the same key replays the first's answer, and a refused request's
///   key is given back;
/// - every booking's notice names that booking, and is the owner's stored notification of it.
#[tokio::test]
async fn a_batch_written_together_answers_each_request_as_if_alone() {
    use parkway_backend::error::AppError;
    use parkway_backend::store::db::query;
    use parkway_backend::store::idempotency::Idempotency;
    let app = spawn_app_with(|c| c.max_unpaid_holds = 0).await;
    let owner = app.owner().await;
    let driver = app.driver().await;
    let phone = json!({"platform": "android", "token": "owner-phone"});
    assert_eq!(app.post("/api/devices", Some(&owner.token), phone).await.status, StatusCode::CREATED);
    let id = |d: serde_json::Value| -> uuid::Uuid { d["id"].as_str().expect("id").parse().expect("uuid") };
    let (live, other) = (id(app.driveway(&owner, json!({})).await), id(app.driveway(&owner, json!({})).await));
    let deleted = id(app.driveway(&owner, json!({})).await);
    assert_eq!(
        app.delete(&format!("/api/driveways/{deleted}"), Some(&owner.token)).await.status,
        StatusCode::NO_CONTENT
    );
    let store = app.server().state().store.clone();
    let good = session_of(&store, &driver).await;
    let keyed_as = |key: &str, i| {
        let key = Idempotency { key: key.into(), request_hash: "same request".into() };
        parkway_backend::store::bookings::BookingRequest { idempotency: Some(key), ..plain_request(good, live, i) }
    };
    let keyed = || keyed_as("retry-me", 4);
    let queue = |req| {
        let store = store.clone();
        tokio::spawn(async move { store.create_booking(req, chrono::Utc::now()).await })
    };
    let answers = futures_util::future::join_all([
        queue(plain_request(good, live, 0)),
        queue(plain_request(good, live, 0)),
        queue(keyed_as("refused", 0)),
        queue(plain_request(good, live, 1)),
        queue(plain_request(good, deleted, 2)),
        queue(keyed()),
        queue(keyed()),
        queue(plain_request(good, other, 0)),
    ])
    .await;
    let mut answers = answers.into_iter().map(|a| a.expect("task"));
    let mut next = || answers.next().expect("an answer");
    let first = next().expect("the first request books");
    match next() {
        Err(AppError::SlotTaken(taken, _)) => {
            let slot = parkway_core::slot::TimeSlot::new(first.booking.start_time, first.booking.end_time);
            assert_eq!(taken, vec![slot.expect("slot")], "the bookings in the way are the first's");
        }
        other => panic!("the overlapping request answered {:?}", other.map(|c| c.booking.id)),
    }
    let refused = next();
    assert!(matches!(refused, Err(AppError::SlotTaken(..))), "{:?}", refused.map(|c| c.booking.id));
    let second = next().expect("the next hour books");
    let gone = next();
    assert!(
        matches!(&gone, Err(AppError::Api(code, _)) if *code == parkway_core::ErrorCode::NotFound),
        "{:?}",
        gone.map(|c| c.booking.id)
    );
    let keyed_first = next().expect("the keyed request books");
    let replayed = next().expect("the same key replays");
    assert!(replayed.replayed && !keyed_first.replayed);
    assert_eq!(replayed.booking.id, keyed_first.booking.id);
    let elsewhere = next().expect("another driveway books");

    let stored: i64 = store.reader().scalar(query("SELECT COUNT(*) FROM bookings")).await.expect("counted");
    assert_eq!(stored, 4, "only the four bookings answered are stored");
    let inbox = app.get("/api/notifications?after=0", Some(&owner.token)).await;
    let inbox = inbox.body["items"].as_array().cloned().unwrap_or_default();
    for written in [&first, &second, &keyed_first, &elsewhere] {
        let [notice] = written.notices.as_slice() else { panic!("one notice per booking: {:?}", written.notices) };
        assert_eq!(notice.user.to_string(), owner.id);
        assert_eq!(notice.notification.data["bookingId"], json!(written.booking.id), "its notice names it");
        let stored = inbox.iter().find(|n| n["id"] == json!(notice.notification.id)).expect("stored");
        assert_eq!(stored["data"]["bookingId"], json!(written.booking.id), "its stored notification names it");
    }
    assert_eq!(inbox.len(), 4, "one notification per booking: {inbox:?}");
    let pushes: i64 = store.reader().scalar(query("SELECT COUNT(*) FROM push_queue")).await.expect("counted");
    assert_eq!(pushes, 4, "one push per notification to the owner's phone");
    let keys: Vec<(String, i64)> =
        store.reader().fetch_all(query("SELECT key, status FROM idempotency_keys ORDER BY key")).await.expect("keys");
    assert_eq!(keys, vec![("retry-me".to_owned(), 201)], "the refused request's key was given back");
}

/// A batch counts a driver's unpaid holds once, in its read, for their first request only:
/// the next ones count in their turn, after the bookings before them went in. Six requests of
/// one driver queued at once, with a limit of three unpaid holds, book exactly three times;
/// another driver's request in the same batch is not held back.
#[tokio::test]
async fn requests_of_one_driver_in_one_batch_hold_no_more_than_the_limit() {
    use parkway_backend::error::AppError;
    let app = spawn_app_with(|c| c.max_unpaid_holds = 3).await;
    let owner = app.owner().await;
    let (driver, other) = (app.driver().await, app.driver().await);
    let id = |d: serde_json::Value| -> uuid::Uuid { d["id"].as_str().expect("id").parse().expect("uuid") };
    let live = id(app.driveway(&owner, json!({})).await);
    let store = app.server().state().store.clone();
    let (mine, theirs) = (session_of(&store, &driver).await, session_of(&store, &other).await);
    let limited = |who, i| parkway_backend::store::bookings::BookingRequest {
        max_unpaid_holds: 3,
        ..plain_request(who, live, i)
    };
    let queued: Vec<_> = (0..6).map(|i| queue_in_order(&store, limited(mine, i))).collect();
    let elsewhere = queue_in_order(&store, limited(theirs, 10));
    let mut booked = 0;
    for answer in futures_util::future::join_all(queued).await {
        match answer.expect("task") {
            Ok(()) => booked += 1,
            Err(AppError::Api(parkway_core::ErrorCode::HoldLimit, _)) => {}
            Err(other) => panic!("a request answered {other}"),
        }
    }
    assert_eq!(booked, 3, "exactly the limit of unpaid holds booked");
    assert!(elsewhere.await.expect("task").is_ok(), "another driver's request books");
    let held = app.get("/api/bookings", Some(&driver.token)).await.body["items"].as_array().map(Vec::len);
    assert_eq!(held, Some(3));
}

/// A booking that loses every race it runs (here: its driver's row stays locked by another
/// transaction through all its runs) answers 503 with a retry hint, not 500: the server is
/// busy, nothing is broken. Once the lock goes, the same request books.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booking_that_loses_every_race_answers_busy_not_an_error() {
    let app = spawn_postgres_app_with(|_| {}).await;
    let (owner, driver) = (app.owner().await, app.driver().await);
    let d = app.driveway(&owner, json!({})).await;
    let id = d["id"].as_str().expect("id").to_owned();
    let store = app.server().state().store.clone();
    let mut holder = store.begin_write().await.expect("a transaction");
    holder
        .execute(parkway_backend::store::db::query("SELECT id FROM users WHERE id = ? FOR UPDATE").bind(&driver.id))
        .await
        .expect("the driver's row locked");
    let busy = app.book(&driver, &id, future(1), 60).await;
    assert_eq!(busy.status, StatusCode::SERVICE_UNAVAILABLE, "{:?}", busy.body);
    assert_eq!(busy.code(), parkway_core::ErrorCode::Unavailable503);
    holder.rollback().await.expect("the lock released");
    assert_eq!(app.book(&driver, &id, future(1), 60).await.status, StatusCode::CREATED);
}
