//! Parkway's storage, on SQLite or on PostgreSQL: `DATABASE_URL` chooses.
//!
//! SQLite (`sqlite://…`, the embedded default) allows one writer at a time. Giving the process
//! exactly one write connection makes that explicit: write transactions queue in the pool
//! instead of failing with `SQLITE_BUSY`, and every write transaction starts with
//! `BEGIN IMMEDIATE`, so a read-check-write sequence (such as "is the slot free? then insert")
//! cannot be interleaved with another writer. Bookings are created through a group-commit queue.
//!
//! PostgreSQL (`postgres://…`) is for several server instances sharing one database, so nothing
//! may rest on one process being the only writer. Each request runs in its own transaction
//! (READ COMMITTED), and the database itself keeps the rules: an exclusion constraint refuses
//! overlapping active bookings, rows read before a write are locked (`FOR UPDATE`), state
//! changes stay compare-and-swap, idempotency keys are claimed under a primary key, and
//! writers that share no row are ordered by advisory locks ([`locks`]: bookings against a
//! driveway's deletion, an inbox's writers against its catch-up, a run of the background jobs).
//!
//! Every store function is written once against [`db`]'s interface; where the two dialects
//! differ, the function holds both texts side by side.

/// How a new booking reaches the database (group commit on SQLite).
pub mod batch;
/// Bookings: create with conflict checks, change state, list.
pub mod bookings;
/// Running statements on either engine.
pub mod db;
/// Devices notifications are pushed to, and muted kinds.
pub mod devices;
/// Where SQLite and PostgreSQL differ.
pub mod dialect;
/// Driveways: create, change, search.
pub mod driveways;
/// An owner's paid bookings, for their earnings.
pub mod earnings;
/// The PostgreSQL connection a booking writer keeps between its transactions.
pub mod held;
/// Stored answers for retried requests.
pub mod idempotency;
/// Time-driven changes: hold expiry, completion, housekeeping.
pub mod jobs;
/// A check that the SQL's status literals are the enums' stored names.
#[cfg(test)]
mod literals;
/// Advisory locks on PostgreSQL, for writers that share no row.
pub mod locks;
/// A stay's thread between its driver and its owner.
pub mod messages;
/// Owner metrics.
pub mod metrics;
/// The notification inbox.
pub mod notifications;
/// Payment intents and the booking changes they cause.
pub mod payments;
/// Owners' payout accounts and the transfers of their share.
pub mod payouts;
/// Driveways' photo galleries.
pub mod photos;
/// Live driveways' positions for the map's clusters.
pub mod positions;
/// Pushes waiting to go, claimed by senders.
pub mod push_queue;
/// Login and register attempts shared by every instance (PostgreSQL).
pub mod ratelimit;
/// Receipts: what a paid booking's receipt shows, and its number, issued once.
pub mod receipts;
/// Reviews of completed stays and driveways' star totals.
pub mod reviews;
/// The rows bookings, payments and jobs share, and the primitives on them.
pub mod rows;
/// Sessions, refresh tokens and the per-account guessing limit.
pub mod sessions;
/// Accounts.
pub mod users;
/// Drivers' vehicles.
pub mod vehicles;

use crate::config::Durability;
use db::{Engine, Pool, Tx};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, PgPool, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

/// SQLite's page cache of each read connection, in KiB (negative, as the pragma takes it).
/// The operating system caches the file too, so a reader's own cache only saves a copy; with
/// one reader per core and the writer at 16 MB, these caches were most of the server's memory.
const READER_CACHE: &str = "-4000";

/// A store known to run on PostgreSQL: what exists only there (LISTEN/NOTIFY, the rate limit
/// shared by every instance) is offered on this type, so a SQLite store cannot reach it.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    store: Store,
    pool: PgPool,
}

impl PostgresStore {
    /// The whole store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The PostgreSQL pool (LISTEN/NOTIFY needs its own connections from it).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// The SQLite migrations in `migrations/sqlite/`, embedded in the binary.
pub static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");
/// The PostgreSQL migrations in `migrations/postgres/`, embedded in the binary.
pub static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

/// How to open the database, beyond its URL.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// SQLite: how hard it works to keep commits on disk.
    pub durability: Durability,
    /// Most connections per pool (SQLite: readers; PostgreSQL: the one pool). `None` picks a
    /// default from the number of CPUs.
    pub max_connections: Option<u32>,
    /// PostgreSQL: how many booking writers commit batches side by side (see [`batch`]).
    /// `None` picks one per CPU.
    pub booking_writers: Option<u32>,
    /// PostgreSQL: the longest a statement may run before the database cancels it. SQLite has
    /// no such limit; its writers wait at most 10 s for the write lock.
    pub statement_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            durability: Durability::Full,
            max_connections: None,
            booking_writers: None,
            statement_timeout: Duration::from_secs(10),
        }
    }
}

/// Handles to the database.
#[derive(Debug, Clone)]
pub struct Store {
    /// Reads (SQLite: read-only connections; PostgreSQL: the one pool).
    read: Pool,
    /// Writes, as each engine wants them.
    write: Writer,
    /// New bookings (and, on SQLite, extensions), committed in groups.
    bookings: batch::BookingQueue,
    /// Driveway writes committed by this process ([`Store::driveway_edits`]).
    edits: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

#[derive(Debug, Clone)]
enum Writer {
    /// The single write connection.
    Sqlite { pool: SqlitePool },
    /// The shared pool.
    Postgres { pool: PgPool },
}

impl Store {
    /// Opens the database with default options (see [`Store::open`]).
    pub async fn connect(url: &str, durability: Durability) -> anyhow::Result<Store> {
        Store::open(url, &StoreOptions { durability, ..StoreOptions::default() }).await
    }

    /// Opens (creating if asked by the URL) the database named by `url` (`sqlite:` or
    /// `postgres:`) and applies pending migrations.
    pub async fn open(url: &str, options: &StoreOptions) -> anyhow::Result<Store> {
        let cpus = std::thread::available_parallelism().map(|n| n.get() as u32).unwrap_or(2);
        if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let base = PgConnectOptions::from_str(url)?.application_name("parkway");
            // Migrations run on their own connection, without the statement timeout: building
            // an index on a large table may take longer than any request should.
            let mut conn = base.connect().await?;
            POSTGRES_MIGRATOR.run(&mut conn).await?;
            conn.close().await?;
            let timeout_ms = options.statement_timeout.as_millis().max(1).to_string();
            // A booking transaction spends much of its time waiting for its commit to reach the
            // disk, so more connections than CPUs keep the database busy; not so many that a few
            // instances exhaust its default 100 connections.
            let size = options.max_connections.unwrap_or((cpus * 8).clamp(8, 32)).max(2);
            let pool = PgPoolOptions::new()
                .max_connections(size)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(base.options([("statement_timeout", timeout_ms)]))
                .await?;
            // Enough booking writers to keep the database's CPUs busy while a batch waits for
            // its commit, few enough that their batches are worth it: every writer more makes
            // the batches smaller, and each booking dearer in the database's CPU. Measured on
            // one 2-CPU machine at 32 clients, two instances of four writers each booked about
            // a third slower than two of two; one instance of two and one of four booked alike.
            // One per CPU of this machine, which stands for the database's only when they share
            // it; with several instances, `PARKWAY_DB_BOOKING_WRITERS` sets it. Never more than
            // half the pool, so that the other requests always find connections.
            let writers = options
                .booking_writers
                .map_or((cpus as usize).clamp(2, 8), |n| n as usize)
                .min((size as usize / 2).max(1));
            let bookings = batch::BookingQueue::start(batch::Database::Postgres(pool.clone()), writers);
            return Ok(Store {
                read: Pool::Postgres(pool.clone()),
                write: Writer::Postgres { pool },
                bookings,
                edits: Default::default(),
            });
        }
        if !url.starts_with("sqlite:") {
            anyhow::bail!("DATABASE_URL must be a sqlite:// or a postgres:// URL");
        }
        let sync = match options.durability {
            Durability::Normal => SqliteSynchronous::Normal,
            Durability::Full => SqliteSynchronous::Full,
        };
        // The writer keeps 16 MB of pages; each reader 4 MB (see READER_CACHE).
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
        SQLITE_MIGRATOR.run(&write).await?;
        let readers = options.max_connections.unwrap_or((cpus * 2).clamp(2, 16)).max(1);
        let read = SqlitePoolOptions::new()
            .max_connections(readers)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(base.read_only(true).create_if_missing(false).pragma("cache_size", READER_CACHE))
            .await?;
        let bookings = batch::BookingQueue::start(batch::Database::Sqlite(write.clone()), 1);
        Ok(Store {
            read: Pool::Sqlite(read),
            write: Writer::Sqlite { pool: write },
            bookings,
            edits: Default::default(),
        })
    }

    /// The engine behind this store.
    pub fn engine(&self) -> Engine {
        self.read.engine()
    }

    /// A write transaction. On SQLite it holds the write lock from its first statement.
    pub async fn begin_write(&self) -> Result<Tx<'static>, sqlx::Error> {
        Ok(match &self.write {
            Writer::Sqlite { pool } => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Writer::Postgres { pool } => Tx::Postgres(pool.begin().await?),
        })
    }

    /// The pool for reads.
    pub fn reader(&self) -> &Pool {
        &self.read
    }

    /// The store on PostgreSQL, with what only PostgreSQL offers; `None` on SQLite.
    pub fn postgres(&self) -> Option<PostgresStore> {
        match &self.write {
            Writer::Postgres { pool } => Some(PostgresStore { store: self.clone(), pool: pool.clone() }),
            Writer::Sqlite { .. } => None,
        }
    }

    /// True when the database answers a query within two seconds (a health check must answer
    /// promptly, not after the pool's 30 s wait for a connection).
    pub async fn ping(&self) -> bool {
        let answer = self.read.scalar::<i64>(db::query("SELECT CAST(1 AS BIGINT)"));
        matches!(tokio::time::timeout(Duration::from_secs(2), answer).await, Ok(Ok(_)))
    }

    /// Waits for open transactions and closes every connection.
    pub async fn close(&self) {
        self.read.close().await;
        match &self.write {
            Writer::Sqlite { pool } => pool.close().await,
            Writer::Postgres { pool } => pool.close().await,
        }
    }
}
