//! A PostgreSQL connection that one booking writer keeps, and the transactions it runs on it.
//!
//! sqlx's pool makes a round trip to the database (a `Sync`) each time it hands a connection
//! out and again each time one comes back. A booking writer runs one transaction after another,
//! so it paid two round trips per batch for nothing: as many as the batch's own read and insert.
//! A writer that keeps its connection pays none of them, and its batches always run on the same
//! database backend, whose caches stay warm.
//!
//! The transaction is begun and ended with plain statements, not sqlx's `Transaction`, whose
//! borrow of the connection could not outlive one batch. What sqlx's type does when it is
//! dropped uncommitted, this one does lazily: the connection remembers that a transaction is
//! still open, and the next `BEGIN` goes after a `ROLLBACK`, in the same round trip. A
//! connection that failed in a way that may have broken it (anything but a statement the
//! database refused) is closed, never handed to anyone again, and the next transaction opens
//! on a fresh one from the pool.

use sqlx::pool::PoolConnection;
use sqlx::{Executor, PgConnection, PgPool, Postgres};
use std::sync::Arc;
use tokio::sync::{Mutex, OwnedMutexGuard};

/// One writer's connection, taken from `pool` when first needed and again after a failure.
#[derive(Debug, Clone)]
pub struct HeldConnection {
    pool: PgPool,
    slot: Arc<Mutex<Slot>>,
}

#[derive(Debug, Default)]
struct Slot {
    conn: Option<PoolConnection<Postgres>>,
    /// A transaction was begun on `conn` and neither committed nor rolled back.
    open: bool,
}

impl Drop for Slot {
    fn drop(&mut self) {
        // A connection inside a transaction must not go back to the pool: sqlx would hand it out
        // as it is. (At shutdown, when the writer ends.)
        if let Some(conn) = self.conn.as_mut().filter(|_| self.open) {
            conn.close_on_drop();
        }
    }
}

impl Slot {
    /// Drops a connection that may be broken, closing it rather than returning it to the pool.
    fn discard(&mut self) {
        if let Some(mut conn) = self.conn.take() {
            conn.close_on_drop();
        }
        self.open = false;
    }

    /// After a statement failed: a refusal of the statement leaves the connection sound.
    fn failed(&mut self, e: &sqlx::Error) {
        if is_connection_lost(e) || !matches!(e, sqlx::Error::Database(_)) {
            self.discard();
        }
    }
}

impl HeldConnection {
    /// A writer's connection from `pool` (none is taken until the first transaction).
    pub fn new(pool: PgPool) -> HeldConnection {
        HeldConnection { pool, slot: Arc::new(Mutex::new(Slot::default())) }
    }

    /// Begins a transaction with `begin` (`BEGIN`, and settings local to the transaction), in
    /// one round trip; it also rolls back one left open. The writer's previous transaction must
    /// have ended or been dropped: a writer runs one at a time.
    pub async fn begin(&self, begin: &str) -> Result<HeldTx, sqlx::Error> {
        let mut slot = self.slot.clone().try_lock_owned().map_err(|_| {
            sqlx::Error::Protocol("a booking writer began a transaction while its last one was open".into())
        })?;
        // A connection kept since its last transaction may have been closed meanwhile (by a
        // restart of the database, or a proxy's idle timeout), which the pool's check would
        // have caught: then the transaction begins on a fresh one.
        let kept = slot.conn.is_some();
        match slot.start(&self.pool, begin).await {
            Err(e) if kept && is_connection_lost(&e) => slot.start(&self.pool, begin).await?,
            started => started?,
        }
        Ok(HeldTx { slot })
    }

    /// Gives the connection back to the pool, unless a transaction is open on it: for a writer
    /// that has no work, so that an idle writer holds nothing and the pool's checks and
    /// lifetimes apply to its connection again.
    pub fn release(&self) {
        if let Ok(mut slot) = self.slot.try_lock()
            && !slot.open
        {
            slot.conn = None;
        }
    }
}

impl Slot {
    async fn start(&mut self, pool: &PgPool, begin: &str) -> Result<(), sqlx::Error> {
        let conn = match self.conn.take() {
            Some(conn) => conn,
            None => pool.acquire().await?,
        };
        let statement = if self.open { format!("ROLLBACK; {begin}") } else { begin.to_owned() };
        let conn = self.conn.insert(conn);
        match (&mut **conn).execute(statement.as_str()).await {
            Ok(_) => {
                self.open = true;
                Ok(())
            }
            Err(e) => {
                // Whatever part of the statements ran, the connection is in no state to reuse.
                self.discard();
                Err(e)
            }
        }
    }
}

/// A transaction on a writer's [`HeldConnection`]; rolled back (before the next one begins)
/// when dropped uncommitted.
#[derive(Debug)]
pub struct HeldTx {
    slot: OwnedMutexGuard<Slot>,
}

impl HeldTx {
    /// The connection, for the transaction's statements. Their failures are the caller's to
    /// report: a failed statement ends in [`HeldTx::rollback`] or a drop, and a connection
    /// broken meanwhile fails its `ROLLBACK` (or the next `BEGIN`) and is replaced.
    pub fn conn(&mut self) -> &mut PgConnection {
        self.slot.conn.as_mut().expect("a held transaction has its connection")
    }

    /// Commits.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.end("COMMIT").await
    }

    /// Rolls back.
    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.end("ROLLBACK").await
    }

    async fn end(mut self, statement: &str) -> Result<(), sqlx::Error> {
        match self.conn().execute(statement).await {
            Ok(_) => {
                self.slot.open = false;
                Ok(())
            }
            Err(e) => {
                // A refused COMMIT (a deferred check) has ended the transaction; a `ROLLBACK`
                // before the next `BEGIN` only warns then.
                self.slot.failed(&e);
                Err(e)
            }
        }
    }
}

/// True when the connection a statement ran on may be gone: the socket failed, or PostgreSQL
/// ended the session (a `FATAL` error, as when the database restarts or an administrator
/// terminates it). Nothing uncommitted survives it, and the work may run again on another
/// connection. An `ERROR` only refuses the statement, and the session goes on.
pub fn is_connection_lost(e: &sqlx::Error) -> bool {
    use sqlx::postgres::{PgDatabaseError, PgSeverity};
    match e {
        sqlx::Error::Database(db) => db
            .try_downcast_ref::<PgDatabaseError>()
            .is_some_and(|pg| matches!(pg.severity(), PgSeverity::Fatal | PgSeverity::Panic)),
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) => true,
        _ => false,
    }
}
