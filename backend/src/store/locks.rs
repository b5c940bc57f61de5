//! Advisory locks on PostgreSQL: locks on names rather than rows, held until the transaction
//! ends. They order writers that share no row without writing anything: a share-lock on a row
//! writes the row's header (and, once a second transaction shares it, a MultiXact id), which on
//! a busy driveway every booking would do. SQLite needs none of this: its one writer already
//! runs write transactions one after the other.

use super::db::{Engine, Tx, query};
use uuid::Uuid;

/// What a lock is about. Each kind has its own high half of the 64-bit key and the low half
/// comes from the id, so two ids sharing a key only wait for each other a little more.
#[derive(Debug, Clone, Copy)]
pub enum Subject {
    /// A driveway: bookings being made or moved on it (shared) against its deletion
    /// (exclusive).
    Driveway(Uuid),
    /// A user's inbox: notifications being written to it (shared) against a catch-up reading it
    /// (exclusive).
    Inbox(Uuid),
    /// A driveway's calendar: held exclusively by a move or an extension from reading the
    /// bookings in its way until it commits, so those decide one after the other. New bookings
    /// do not take it: they meet in the exclusion constraint, with their lock waits bounded
    /// (`store/batch.rs`), and run side by side.
    Slots(Uuid),
}

impl Subject {
    /// The 64-bit key PostgreSQL knows the lock by.
    pub fn key(self) -> i64 {
        let (kind, id): (&[u8; 4], Uuid) = match self {
            Subject::Driveway(id) => (b"dway", id),
            Subject::Inbox(id) => (b"inbx", id),
            Subject::Slots(id) => (b"slot", id),
        };
        let b = id.as_bytes();
        (i64::from(u32::from_be_bytes(*kind)) << 32) | i64::from(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// A query taking one lock in shared mode until the transaction ends, its key the one
/// parameter (PostgreSQL), for a statement that takes the lock on its way.
pub fn share_sql() -> &'static str {
    "SELECT pg_advisory_xact_lock_shared(?)::text"
}

/// Takes `subject`'s lock in shared mode until `tx` ends (PostgreSQL; nothing on SQLite).
pub async fn share(tx: &mut Tx<'_>, subject: Subject) -> Result<(), sqlx::Error> {
    if tx.engine() == Engine::Postgres {
        tx.execute(query(share_sql()).bind(subject.key())).await?;
    }
    Ok(())
}

/// Takes `subject`'s lock exclusively until `tx` ends, waiting for every holder of it
/// (PostgreSQL; nothing on SQLite).
pub async fn exclusive(tx: &mut Tx<'_>, subject: Subject) -> Result<(), sqlx::Error> {
    if tx.engine() == Engine::Postgres {
        tx.execute(query("SELECT pg_advisory_xact_lock(?)::text").bind(subject.key())).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_never_share_a_key() {
        let id = Uuid::new_v4();
        assert_ne!(Subject::Driveway(id).key(), Subject::Inbox(id).key());
        assert_ne!(Subject::Driveway(id).key(), Subject::Slots(id).key());
        assert_eq!(Subject::Inbox(id).key() >> 32, i64::from(u32::from_be_bytes(*b"inbx")));
    }
}
