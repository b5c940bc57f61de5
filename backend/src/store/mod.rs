//! Parkway's storage on SQLite: one writer connection, a pool of readers, WAL.
//!
//! SQLite allows one writer at a time. Giving the process exactly one write connection makes
//! that explicit: write transactions queue in the pool instead of failing with `SQLITE_BUSY`,
//! and every write transaction starts with `BEGIN IMMEDIATE`, so a read-check-write sequence
//! (such as "is the slot free? then insert") cannot be interleaved with another writer.

/// Group commit for booking creation.
pub mod batch;
/// Bookings: create with conflict checks, change state, list.
pub mod bookings;
/// Driveways: create, change, search.
pub mod driveways;
/// Stored answers for retried requests.
pub mod idempotency;
/// Time-driven changes: hold expiry, completion, housekeeping.
pub mod jobs;
/// Owner metrics.
pub mod metrics;
/// The notification inbox.
pub mod notifications;
/// Payment intents and the booking changes they cause.
pub mod payments;
/// Accounts.
pub mod users;

use crate::config::Durability;
use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};
use std::str::FromStr;
use std::time::Duration;

/// The migrations in `migrations/`, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// Handles to the database.
#[derive(Debug, Clone)]
pub struct Store {
    write: SqlitePool,
    read: SqlitePool,
    bookings: batch::BookingQueue,
}

impl Store {
    /// Opens (creating if asked by the URL) the database and applies pending migrations.
    pub async fn connect(url: &str, durability: Durability) -> anyhow::Result<Store> {
        if !url.starts_with("sqlite:") {
            anyhow::bail!("DATABASE_URL must be a sqlite:// URL (PostgreSQL support is separate)");
        }
        let sync = match durability {
            Durability::Normal => SqliteSynchronous::Normal,
            Durability::Full => SqliteSynchronous::Full,
        };
        let base = SqliteConnectOptions::from_str(url)?
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(sync)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("temp_store", "memory")
            .pragma("cache_size", "-16000")
            .optimize_on_close(true, None);
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(base.clone())
            .await?;
        MIGRATOR.run(&write).await?;
        let readers = std::thread::available_parallelism().map(|n| n.get() as u32 * 2).unwrap_or(4).clamp(2, 16);
        let read = SqlitePoolOptions::new()
            .max_connections(readers)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(base.read_only(true).create_if_missing(false))
            .await?;
        let bookings = batch::BookingQueue::start(write.clone());
        Ok(Store { write, read, bookings })
    }

    /// A write transaction holding SQLite's write lock from its first statement.
    pub async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
        self.write.begin_with("BEGIN IMMEDIATE").await
    }

    /// The queue that creates bookings with group commit.
    pub fn booking_queue(&self) -> &batch::BookingQueue {
        &self.bookings
    }

    /// The pool for reads.
    pub fn reader(&self) -> &SqlitePool {
        &self.read
    }

    /// True when the database answers a query.
    pub async fn ping(&self) -> bool {
        sqlx::query_scalar::<_, i64>("SELECT 1").fetch_one(&self.read).await.is_ok()
    }

    /// Waits for open transactions and closes every connection.
    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }
}

/// Milliseconds since the epoch, as stored.
pub fn to_ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// The instant stored as milliseconds since the epoch.
pub fn from_ms(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// Parses a UUID stored as text; stored ids were written by us, so a bad one is corruption.
pub fn uuid(s: &str) -> Result<uuid::Uuid, sqlx::Error> {
    uuid::Uuid::parse_str(s).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// True for a UNIQUE constraint violation.
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}
