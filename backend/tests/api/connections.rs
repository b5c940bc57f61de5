//! The database drops the server's connections (a restart, a proxy's idle timeout) and the
//! server carries on: the connections that booking writers and the fan-out keep between their
//! statements are replaced, never reused broken. These run on PostgreSQL whatever
//! `PARKWAY_TEST_DB` says: SQLite has no connection to lose.

use crate::helpers::{TestApp, fresh_postgres_database, future, spawn_postgres_app_with};
use crate::multi_instance::{FanOut, next};
use parkway_backend::store::held::HeldConnection;
use reqwest::StatusCode;
use serde_json::json;
use sqlx::PgPool;

/// Ends every other session of the app's database, waiting until each has exited, but the
/// instances' LISTEN connections (whose loss has a test of its own, `multi_instance`).
const DROP_CONNECTIONS: &str = "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity \
     WHERE datname = current_database() AND pid <> pg_backend_pid() AND query NOT LIKE 'LISTEN%'";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bookings_and_their_notices_go_through_after_the_database_drops_the_connections() {
    // `_b` keeps the second instance running.
    let FanOut { a, b: _b, driver, id, mut owner_on_b } = FanOut::working().await;

    let dropped = a.execute(DROP_CONNECTIONS, &[]).await.expect("connections dropped");
    assert!(dropped > 0, "the writers and the fan-out hold connections");

    let booked = a.book(&driver, &id, future(3), 60).await;
    assert_eq!(booked.status, StatusCode::CREATED, "{:?}", booked.body);
    let notice = next(&mut owner_on_b, 5000).await.expect("the second notice, through a fresh connection");
    assert_eq!(notice["type"], "booking_created");
    assert_eq!(notice["data"]["bookingId"], booked.body["id"]);
}

#[tokio::test]
async fn a_writers_connection_rolls_back_a_dropped_transaction_and_replaces_a_lost_connection() {
    let pool = PgPool::connect(&fresh_postgres_database().await).await.expect("connected");
    sqlx::query("CREATE TABLE t (n INT)").execute(&pool).await.expect("a table");
    let held = HeldConnection::new(pool.clone());
    let rows = || async { sqlx::query_scalar::<_, i32>("SELECT n FROM t ORDER BY n").fetch_all(&pool).await };

    // Dropped uncommitted: its row never lands, and the next transaction does not carry it.
    let mut dropped = held.begin("BEGIN").await.expect("begun");
    sqlx::query("INSERT INTO t VALUES (1)").execute(dropped.conn()).await.expect("inserted");
    drop(dropped);
    let mut next = held.begin("BEGIN").await.expect("begun again");
    sqlx::query("INSERT INTO t VALUES (2)").execute(next.conn()).await.expect("inserted");
    next.commit().await.expect("committed");
    assert_eq!(rows().await.expect("rows"), [2]);

    // The database drops the connection between two transactions.
    let mut tx = held.begin("BEGIN").await.expect("begun");
    let lost: i32 = sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(tx.conn()).await.expect("pid");
    tx.commit().await.expect("committed");
    let ended: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1, 5000)")
        .bind(lost)
        .fetch_one(&pool)
        .await
        .expect("terminated");
    assert!(ended);
    let mut tx = held.begin("BEGIN").await.expect("begun on a fresh connection");
    let fresh: i32 = sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(tx.conn()).await.expect("pid");
    assert_ne!(fresh, lost);
    sqlx::query("INSERT INTO t VALUES (3)").execute(tx.conn()).await.expect("inserted");
    tx.commit().await.expect("committed");
    assert_eq!(rows().await.expect("rows"), [2, 3]);
}

#[tokio::test]
async fn each_booking_writer_waits_on_a_connection_of_its_own() {
    let app = spawn_postgres_app_with(|c| {
        c.db_booking_writers = Some(3);
        c.max_unpaid_holds = 0;
    })
    .await;
    assert_eq!(waiting_writers(&app, 3).await.len(), 3, "one waiting transaction per writer");

    // Bookings go through them, and each writer stays on its own connection. (A writer idle
    // for 5 s gives its connection back: the set-up above may take that long on a loaded
    // machine, so the writers are counted again after three bookings, one each.)
    let (owner, driver) = (app.owner().await, app.driver().await);
    let d = app.driveway(&owner, json!({})).await;
    let id = d["id"].as_str().expect("id").to_owned();
    let mut slots = (1..).map(|n| future(n * 2));
    for start in slots.by_ref().take(3) {
        assert_eq!(app.book(&driver, &id, start, 60).await.status, StatusCode::CREATED);
    }
    let mut writers = waiting_writers(&app, 3).await;
    assert_eq!(writers.len(), 3, "{writers:?}");
    for start in slots.take(6) {
        assert_eq!(app.book(&driver, &id, start, 60).await.status, StatusCode::CREATED);
    }
    let mut after = waiting_writers(&app, 3).await;
    writers.sort_unstable();
    after.sort_unstable();
    assert_eq!(after, writers, "the writers kept their connections");
}

/// The backends of the writers' transactions begun ahead, once there are `n` (or the test's
/// patience runs out): a writer begins its next transaction before work comes, on the
/// connection it keeps.
async fn waiting_writers(app: &TestApp, n: usize) -> Vec<i64> {
    const WAITING: &str = "SELECT pid::BIGINT FROM pg_stat_activity WHERE datname = current_database() \
         AND state = 'idle in transaction' AND query LIKE 'BEGIN; SET LOCAL lock_timeout%'";
    let started = std::time::Instant::now();
    loop {
        let writers = app.numbers(WAITING).await;
        if writers.len() >= n || !crate::helpers::patient(started) {
            return writers;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
