//! What a batch of new bookings reads before their rules run: one statement for the whole
//! batch, where each booking would otherwise take several of its own.
//!
//! - **PostgreSQL** ([`read_ahead`]): each driveway's terms with its lock shared, the driver's
//!   default vehicle and session, the claim of each request's `Idempotency-Key`, and the lock
//!   on the row of each driver whose unpaid holds are counted (the count itself goes with the
//!   insert, which reads after the lock). One round trip for the batch.
//! - **SQLite**: the terms, the vehicle and the session, the key's stored answer if there is
//!   one, and the driver's unpaid holds. The key is not claimed: under SQLite's one writer
//!   nothing can take it before the insert, which stores it with its answer. Each statement
//!   there costs a hand-off to the connection's thread and back, which is most of a booking's
//!   cost under load.
//!
//! What the read says stays true for a booking until a booking before it in the batch writes:
//! the batch asks for a key or for holds only for the first request of its driver (and key),
//! and the others claim and count in their turn, after the inserts before them
//! (`store/batch.rs`).

use crate::error::AppResult;
use crate::store::db::{Engine, Query, Tx, query, to_ms};
use crate::store::idempotency::{Idempotency, Stored};
use crate::store::locks::Subject;
use crate::store::rows::{NewBookingRead, TERMS_COLUMNS, TermsRead, unpaid_holds_of};
use crate::store::sessions::TokenSession;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// One new booking of a batch: where, for whom, the key it came with (if the batch asks for
/// it), and whether the driver's unpaid holds are counted: here on SQLite; on PostgreSQL the
/// read locks the driver's row, and the booking's insert counts them.
pub(crate) struct Ask<'a> {
    pub(crate) driveway: Uuid,
    pub(crate) token: TokenSession,
    pub(crate) key: Option<&'a Idempotency>,
    pub(crate) holds: bool,
}

impl Ask<'_> {
    /// Binds the first columns of the ask's row in the read's `VALUES`: its position, the
    /// driveway, the driver and the session.
    fn bind_row(&self, read: Query, n: usize) -> Query {
        read.bind(n as i64).bind(self.driveway).bind(self.token.user).bind(self.token.session)
    }
}

/// What the batch read for one new booking. Empty, the booking reads and claims for itself.
#[derive(Default)]
pub(crate) struct Ahead {
    /// The driveway's terms and the driver's default vehicle: only when the driveway is live,
    /// its lock was shared without waiting (PostgreSQL), and the driver's session is open.
    /// Otherwise the booking reads on its own, which waits for the lock (a deletion in
    /// progress) and tells an ended session from a missing driveway.
    pub(crate) terms: Option<NewBookingRead>,
    /// What became of the request's key.
    pub(crate) key: KeyRead,
    /// What the read did towards counting the driver's unpaid holds.
    pub(crate) holds: HoldsRead,
}

/// What the read did towards counting a driver's unpaid holds.
#[derive(Default)]
pub(crate) enum HoldsRead {
    /// Nothing: the booking locks the driver's row (PostgreSQL) and counts them itself.
    #[default]
    NotRead,
    /// Counted, under SQLite's one writer.
    Counted(i64),
    /// The driver's row is locked by this transaction (PostgreSQL): any statement from here on
    /// counts every hold of the driver that committed, and none can be added meanwhile. The
    /// booking's insert counts them, so the count costs no round trip of its own.
    Locked,
}

/// What the read found of a request's `Idempotency-Key`.
#[derive(Default)]
pub(crate) enum KeyRead {
    /// Not read: the booking claims the key itself, and finds out why it could not.
    #[default]
    NotRead,
    /// Claimed by this transaction (PostgreSQL): the insert fills in its answer, a refusal
    /// gives it back.
    Claimed,
    /// Not there, under SQLite's one writer: stored with its answer by the insert.
    Free,
    /// An earlier request's, with its answer.
    Stored(Stored),
}

/// A row of [`read_ahead`]'s answer. Some columns come from one engine's statement only.
struct AheadRow {
    n: i64,
    /// The session is open (SQLite; on PostgreSQL `held` and `key_claimed` say it).
    open: Option<bool>,
    key_claimed: Option<bool>,
    stored: Option<Stored>,
    holds: Option<i64>,
    /// The driver's row was locked (PostgreSQL).
    driver_locked: Option<bool>,
    /// The terms, where the driveway is live and its lock was shared.
    terms: Option<TermsRead>,
}

impl<'r, R: sqlx::Row> sqlx::FromRow<'r, R> for AheadRow
where
    &'r str: sqlx::ColumnIndex<R>,
    TermsRead: sqlx::FromRow<'r, R>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        fn optional<'r, R: sqlx::Row, T>(row: &'r R, column: &'r str) -> Result<Option<T>, sqlx::Error>
        where
            &'r str: sqlx::ColumnIndex<R>,
            T: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        {
            match row.try_get::<Option<T>, _>(column) {
                Err(sqlx::Error::ColumnNotFound(_)) => Ok(None),
                other => other,
            }
        }
        let held: Option<bool> = row.try_get("held")?;
        let stored = match (optional(row, "key_hash")?, optional(row, "key_status")?, optional(row, "key_body")?) {
            (Some(request_hash), Some(status), Some(body)) => Some(Stored { request_hash, status, body }),
            _ => None,
        };
        Ok(AheadRow {
            n: row.try_get("n")?,
            open: optional(row, "open")?,
            key_claimed: optional(row, "key_claimed")?,
            stored,
            holds: optional(row, "holds")?,
            driver_locked: optional(row, "driver_locked")?,
            terms: if held == Some(true) { Some(TermsRead::from_row(row)?) } else { None },
        })
    }
}

/// Reads ahead for every new booking of a batch at once. The answers are in the order of
/// `asks`.
///
/// On PostgreSQL the keys are claimed as [`claim`](crate::store::idempotency::claim_as) claims
/// one: a row inserted only while the session is open, nothing done when the key is there
/// already. A key claimed by another transaction that has not committed makes the statement
/// wait for it. The drivers' rows are locked in the order of their ids, so that two batches
/// locking the same drivers never wait for each other in opposite orders. On SQLite a key is
/// only looked up, and only while the session is open.
pub(crate) async fn read_ahead(tx: &mut Tx<'_>, asks: &[Ask<'_>], now: DateTime<Utc>) -> AppResult<Vec<Ahead>> {
    let mut answers: Vec<Ahead> = asks.iter().map(|_| Ahead::default()).collect();
    if asks.is_empty() {
        return Ok(answers);
    }
    let read = match tx.engine() {
        Engine::Postgres => postgres_read(asks, now),
        Engine::Sqlite => sqlite_read(asks, now),
    };
    for row in tx.fetch_all::<AheadRow>(read).await? {
        let Some(n) = usize::try_from(row.n).ok().filter(|n| *n < asks.len()) else { continue };
        let answer = &mut answers[n];
        match row.key_claimed {
            // PostgreSQL.
            Some(claimed) => answer.key = if claimed { KeyRead::Claimed } else { KeyRead::NotRead },
            // SQLite: an ended session reads nothing, and the booking finds out why itself.
            None if row.open != Some(true) => continue,
            None if asks[n].key.is_none() => {}
            None => answer.key = row.stored.map_or(KeyRead::Free, KeyRead::Stored),
        }
        answer.holds = match (row.holds, row.driver_locked) {
            (Some(counted), _) => HoldsRead::Counted(counted),
            (None, Some(true)) => HoldsRead::Locked,
            (None, _) => HoldsRead::NotRead,
        };
        answer.terms = row.terms.map(TermsRead::into_read).transpose()?;
    }
    Ok(answers)
}

/// True while the session of the row `r` is open (its parameter: now).
const OPEN: &str = "EXISTS (SELECT 1 FROM sessions s WHERE s.id = r.session AND s.user_id = r.driver \
                    AND s.ended_at IS NULL AND s.expires_at > ?)";

fn postgres_read(asks: &[Ask<'_>], now: DateTime<Utc>) -> Query {
    let rows = vec!["(?::bigint, ?, ?, ?, ?::bigint, ?, ?, ?::boolean)"; asks.len()].join(", ");
    let mut read = query(format!(
        "WITH r (n, driveway, driver, session, lock_key, key, request_hash, holds) AS (VALUES {rows}), \
         claimed AS (INSERT INTO idempotency_keys (user_id, key, request_hash, status, body, created_at) \
         SELECT r.driver, r.key, r.request_hash, 0, '', ? FROM r WHERE r.key IS NOT NULL AND {OPEN} \
         ON CONFLICT (user_id, key) DO NOTHING RETURNING user_id, key), \
         locked AS MATERIALIZED (SELECT u.id FROM users u WHERE u.id IN (SELECT r.driver FROM r WHERE r.holds) \
         ORDER BY u.id FOR UPDATE) \
         SELECT r.n, EXISTS (SELECT 1 FROM claimed c WHERE c.user_id = r.driver AND c.key = r.key) AS key_claimed, \
         EXISTS (SELECT 1 FROM locked l WHERE l.id = r.driver) AS driver_locked, t.* \
         FROM r LEFT JOIN LATERAL (SELECT pg_try_advisory_xact_lock_shared(r.lock_key) AS held, {TERMS_COLUMNS}, \
         v.plate AS default_plate, v.label AS default_label \
         FROM driveways d LEFT JOIN vehicles v ON v.user_id = r.driver AND v.is_default = ? \
         WHERE d.id = r.driveway AND d.deleted_at IS NULL AND {OPEN}) t ON true"
    ));
    for (n, ask) in asks.iter().enumerate() {
        read = ask
            .bind_row(read, n)
            .bind(Subject::Driveway(ask.driveway).key())
            .bind(ask.key.map(|idem| idem.key.as_str()))
            .bind(ask.key.map(|idem| idem.request_hash.as_str()))
            .bind(ask.holds);
    }
    read.bind(to_ms(now)).bind(to_ms(now)).bind(true).bind(to_ms(now))
}

/// SQLite has no `LATERAL`: every part is a `LEFT JOIN` that matches only while the session is
/// open.
fn sqlite_read(asks: &[Ask<'_>], now: DateTime<Utc>) -> Query {
    let rows = vec!["(?, ?, ?, ?, ?, ?)"; asks.len()].join(", ");
    let mut read = query(format!(
        "WITH r (n, driveway, driver, session, key, holds) AS (VALUES {rows}), \
         o AS (SELECT r.*, {OPEN} AS open FROM r) \
         SELECT o.n, o.open, d.id IS NOT NULL AS held, \
         CASE WHEN o.open AND o.holds THEN ({}) END AS holds, \
         k.request_hash AS key_hash, k.status AS key_status, k.body AS key_body, \
         {TERMS_COLUMNS}, v.plate AS default_plate, v.label AS default_label \
         FROM o LEFT JOIN driveways d ON o.open AND d.id = o.driveway AND d.deleted_at IS NULL \
         LEFT JOIN vehicles v ON o.open AND v.user_id = o.driver AND v.is_default = ? \
         LEFT JOIN idempotency_keys k ON o.open AND k.user_id = o.driver AND k.key = o.key",
        unpaid_holds_of("o.driver"),
    ));
    for (n, ask) in asks.iter().enumerate() {
        read = ask.bind_row(read, n).bind(ask.key.map(|idem| idem.key.as_str())).bind(ask.holds);
    }
    read.bind(to_ms(now)).bind(true)
}
