//! What a new booking reads before its rules run, in as few statements as the engine allows.
//!
//! - **PostgreSQL**, for a whole batch in one statement ([`read_ahead`]): each driveway's terms
//!   with its lock shared, the driver's default vehicle, and the claim of each request's
//!   `Idempotency-Key`. One round trip for the batch, where each booking would otherwise take
//!   two of its own (the claim, then the read).
//! - **SQLite**, for each booking in its turn ([`read_in_turn`]), since it must see the
//!   bookings written before it in the batch: the terms and the vehicle, whether a booking is in
//!   the slot's way, the driver's unpaid holds, and the key's stored answer, if any. Under
//!   SQLite's one writer nothing changes between that read and the insert, so the key is not
//!   claimed first: it goes in with its answer, in the insert's own command. Each statement
//!   there costs a hand-off to the connection's thread and back, which is most of a booking's
//!   cost; the read and the insert are the only two.

use crate::error::AppResult;
use crate::store::bookings::BookingRequest;
use crate::store::db::{Engine, Tx, query, to_ms};
use crate::store::idempotency::{Idempotency, Stored};
use crate::store::locks::Subject;
use crate::store::rows::{NewBookingRead, TERMS_COLUMNS, TermsRead};
use crate::store::sessions::{SESSION_OPEN, TokenSession};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// One new booking of a batch: where, for whom, and the key it came with (if the batch claims
/// it: only the first request of a batch with a given driver and key does).
pub(crate) struct Ask<'a> {
    pub(crate) driveway: Uuid,
    pub(crate) token: TokenSession,
    pub(crate) key: Option<&'a Idempotency>,
}

/// What was read for one new booking. Empty, the booking reads and claims for itself.
#[derive(Default)]
pub(crate) struct Ahead {
    /// The driveway's terms and the driver's default vehicle: only when the driveway is live,
    /// its lock was shared without waiting (PostgreSQL), and the driver's session is open.
    /// Otherwise the booking reads on its own, which waits for the lock (a deletion in
    /// progress) and tells an ended session from a missing driveway.
    pub(crate) terms: Option<NewBookingRead>,
    /// What became of the request's key.
    pub(crate) key: KeyRead,
    /// Whether an active booking is in the slot's way, where that was read with the terms
    /// (SQLite).
    pub(crate) meets: Option<bool>,
    /// The driver's unpaid holds, where they were counted with the terms (SQLite, when the
    /// request counts them).
    pub(crate) holds: Option<i64>,
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
    /// Not there, under SQLite's one writer: stored with its answer by the insert's command.
    Free,
    /// An earlier request's, with its answer.
    Stored(Stored),
}

/// A row of [`read_ahead`]'s answer: the terms only where the lock was shared.
struct AheadRow {
    n: i64,
    key_claimed: bool,
    terms: Option<TermsRead>,
}

impl<'r, R: sqlx::Row> sqlx::FromRow<'r, R> for AheadRow
where
    &'r str: sqlx::ColumnIndex<R>,
    TermsRead: sqlx::FromRow<'r, R>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        let held: Option<bool> = row.try_get("held")?;
        Ok(AheadRow {
            n: row.try_get("n")?,
            key_claimed: row.try_get("key_claimed")?,
            terms: if held == Some(true) { Some(TermsRead::from_row(row)?) } else { None },
        })
    }
}

/// Reads ahead for every new booking of a batch at once (PostgreSQL; on SQLite nothing, and
/// every booking reads for itself). The answers are in the order of `asks`.
///
/// The keys are claimed as [`claim`](crate::store::idempotency::claim_as) claims one: a row
/// inserted only while the session is open, nothing done when the key is there already. A key
/// claimed by another transaction that has not committed makes the statement wait for it.
pub(crate) async fn read_ahead(tx: &mut Tx<'_>, asks: &[Ask<'_>], now: DateTime<Utc>) -> AppResult<Vec<Ahead>> {
    let mut answers: Vec<Ahead> = asks.iter().map(|_| Ahead::default()).collect();
    if asks.is_empty() || tx.engine() != Engine::Postgres {
        return Ok(answers);
    }
    let rows = vec!["(?::bigint, ?, ?, ?, ?::bigint, ?, ?)"; asks.len()].join(", ");
    let open = "EXISTS (SELECT 1 FROM sessions s WHERE s.id = r.session AND s.user_id = r.driver \
                AND s.ended_at IS NULL AND s.expires_at > ?)";
    let mut read = query(format!(
        "WITH r (n, driveway, driver, session, lock_key, key, request_hash) AS (VALUES {rows}), \
         claimed AS (INSERT INTO idempotency_keys (user_id, key, request_hash, status, body, created_at) \
         SELECT r.driver, r.key, r.request_hash, 0, '', ? FROM r WHERE r.key IS NOT NULL AND {open} \
         ON CONFLICT (user_id, key) DO NOTHING RETURNING user_id, key) \
         SELECT r.n, EXISTS (SELECT 1 FROM claimed c WHERE c.user_id = r.driver AND c.key = r.key) AS key_claimed, t.* \
         FROM r LEFT JOIN LATERAL (SELECT pg_try_advisory_xact_lock_shared(r.lock_key) AS held, {TERMS_COLUMNS}, \
         v.plate AS default_plate, v.label AS default_label \
         FROM driveways d LEFT JOIN vehicles v ON v.user_id = r.driver AND v.is_default = ? \
         WHERE d.id = r.driveway AND d.deleted_at IS NULL AND {open}) t ON true"
    ));
    for (n, ask) in asks.iter().enumerate() {
        read = read
            .bind(n as i64)
            .bind(ask.driveway)
            .bind(ask.token.user)
            .bind(ask.token.session)
            .bind(Subject::Driveway(ask.driveway).key())
            .bind(ask.key.map(|idem| idem.key.as_str()))
            .bind(ask.key.map(|idem| idem.request_hash.as_str()));
    }
    let read = read.bind(to_ms(now)).bind(to_ms(now)).bind(true).bind(to_ms(now));
    for row in tx.fetch_all::<AheadRow>(read).await? {
        if let Some(answer) = usize::try_from(row.n).ok().and_then(|n| answers.get_mut(n)) {
            answer.key = if row.key_claimed { KeyRead::Claimed } else { KeyRead::NotRead };
            answer.terms = row.terms.map(TermsRead::into_read).transpose()?;
        }
    }
    Ok(answers)
}

/// A row of [`read_in_turn`]'s answer.
#[derive(sqlx::FromRow)]
struct InTurnRow {
    meets: bool,
    holds: Option<i64>,
    key_hash: Option<String>,
    key_status: Option<i64>,
    key_body: Option<String>,
    #[sqlx(flatten)]
    terms: TermsRead,
}

/// Reads for one new booking in its turn in the batch (SQLite), in one statement: empty when
/// the driveway is gone or the session has ended, so that the booking finds out which itself.
/// The key of a booking paid ahead is left to claim, as its savepoint expects.
pub(crate) async fn read_in_turn(tx: &mut Tx<'_>, req: &BookingRequest, now: DateTime<Utc>) -> AppResult<Ahead> {
    if tx.engine() != Engine::Sqlite {
        return Ok(Ahead::default());
    }
    let key = req.idempotency.as_ref().filter(|_| !req.writes_before_refusing());
    let holds = if req.counts_holds() { format!("({})", super::create::UNPAID_HOLDS) } else { "NULL".to_owned() };
    let meeting = Engine::Sqlite.meeting_slot("start_at", &req.driveway.to_string(), &req.slot, None, 1);
    let mut read = meeting.within(
        "SELECT EXISTS (",
        &format!(
            ") AS meets, {holds} AS holds, k.request_hash AS key_hash, k.status AS key_status, \
             k.body AS key_body, {TERMS_COLUMNS}, v.plate AS default_plate, v.label AS default_label \
             FROM driveways d LEFT JOIN vehicles v ON v.user_id = ? AND v.is_default = ? \
             LEFT JOIN idempotency_keys k ON k.user_id = ? AND k.key = ? \
             WHERE d.id = ? AND d.deleted_at IS NULL AND {SESSION_OPEN}"
        ),
    );
    if req.counts_holds() {
        read = read.bind(req.driver);
    }
    let read =
        read.bind(req.driver).bind(true).bind(req.driver).bind(key.map(|idem| idem.key.as_str())).bind(req.driveway);
    let Some(row) = tx.fetch_optional::<InTurnRow>(req.token().bind(read, now)).await? else {
        return Ok(Ahead::default());
    };
    let key = match (key, row.key_hash, row.key_status, row.key_body) {
        (None, ..) => KeyRead::NotRead,
        (Some(_), Some(request_hash), Some(status), Some(body)) => {
            KeyRead::Stored(Stored { request_hash, status, body })
        }
        (Some(_), ..) => KeyRead::Free,
    };
    Ok(Ahead { terms: Some(row.terms.into_read()?), key, meets: Some(row.meets), holds: row.holds })
}
