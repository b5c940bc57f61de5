//! Stored answers for requests that carried an `Idempotency-Key`.
//!
//! The key is scoped to the user. A retry with the same key and the same request gets the first
//! answer back; the same key with a different request is refused. Only successful answers are
//! stored: a refused request created nothing, so running it again is just as harmless.
//!
//! A request first claims its key by inserting a row under the primary key, and fills in the
//! answer in the same transaction. On PostgreSQL a concurrent request with the same key waits
//! on that row until the first one commits (then replays its answer) or rolls back (then
//! proceeds itself), so two instances can never both act on one key. On SQLite the write lock
//! already orders them; the claim works the same way.

use super::db::{Query, Tx, query, to_ms};
use super::sessions::{SESSION_OPEN, TokenSession};
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Utc};
use parkway_core::ErrorCode;
use uuid::Uuid;

/// A key and the fingerprint of the request that came with it.
#[derive(Debug, Clone)]
pub struct Idempotency {
    /// The client's key.
    pub key: String,
    /// SHA-256 of the request, hex.
    pub request_hash: String,
}

/// Claims `key` for this request inside `tx`. `Ok(None)`: the key is new and now ours;
/// `Ok(Some((status, body)))`: an earlier request answered, replay it; an error when the key
/// came with a different request.
pub async fn claim(
    tx: &mut Tx<'_>,
    user: Uuid,
    idem: &Idempotency,
    now: DateTime<Utc>,
) -> AppResult<Option<(u16, String)>> {
    claim_as(tx, Claimant::Checked(user), idem, now).await
}

/// Who claims a key.
#[derive(Debug, Clone, Copy)]
pub enum Claimant {
    /// A user whose session was checked already.
    Checked(Uuid),
    /// A token's session, checked by the claim itself: an ended session claims nothing and
    /// replays nothing (`401`).
    Token(TokenSession),
}

/// [`claim`], for a [`Claimant`].
pub async fn claim_as(
    tx: &mut Tx<'_>,
    claimant: Claimant,
    idem: &Idempotency,
    now: DateTime<Utc>,
) -> AppResult<Option<(u16, String)>> {
    let (user, open) = match claimant {
        Claimant::Checked(user) => (user, None),
        Claimant::Token(token) => (token.user, Some(token)),
    };
    let condition = if open.is_some() { SESSION_OPEN } else { "1 = 1" };
    let insert = query(format!(
        "INSERT INTO idempotency_keys (user_id, key, request_hash, status, body, created_at) \
         SELECT ?, ?, ?, 0, '', ? WHERE {condition} ON CONFLICT (user_id, key) DO NOTHING"
    ))
    .bind(user)
    .bind(&idem.key)
    .bind(&idem.request_hash)
    .bind(to_ms(now));
    let insert = match &open {
        Some(token) => token.bind(insert, now),
        None => insert,
    };
    if tx.execute(insert).await? == 1 {
        return Ok(None);
    }
    // Nothing claimed: the key was taken, or the session has ended.
    if let Some(token) = open {
        token.check_in(tx, now).await?;
    }
    let stored: Stored = tx
        .fetch_one(
            query("SELECT request_hash, status, body FROM idempotency_keys WHERE user_id = ? AND key = ?")
                .bind(user)
                .bind(&idem.key),
        )
        .await?;
    stored.replay(idem).map(Some)
}

/// A key's row as stored: the request it came with, and the answer given.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Stored {
    pub(crate) request_hash: String,
    pub(crate) status: i64,
    pub(crate) body: String,
}

impl Stored {
    /// The answer to give `idem` again (status and body), or an error when the key came with a
    /// different request.
    pub fn replay(self, idem: &Idempotency) -> AppResult<(u16, String)> {
        if self.request_hash == idem.request_hash {
            Ok((self.status as u16, self.body))
        } else {
            Err(AppError::Api(
                ErrorCode::IdempotencyKeyReused,
                "this Idempotency-Key was already used for a different request".into(),
            ))
        }
    }
}

/// Stores a key that nobody claimed with its answer, in one insert (SQLite, whose one writer
/// looked the key up in the same transaction and found it free, so that nothing can claim it
/// in between). Sent right after the statement that wrote the change ([`Query::then`]), it
/// writes only if that statement wrote a row, and then writes one itself.
pub fn store_after(user: Uuid, idem: &Idempotency, status: u16, body: &str, now: DateTime<Utc>) -> Query {
    query(
        "INSERT INTO idempotency_keys (user_id, key, request_hash, status, body, created_at) \
         SELECT ?, ?, ?, ?, ?, ? WHERE changes() = 1",
    )
    .bind(user)
    .bind(&idem.key)
    .bind(&idem.request_hash)
    .bind(i64::from(status))
    .bind(body)
    .bind(to_ms(now))
}

/// Stores the answer given for a key claimed by [`claim`], in the transaction that made the
/// change.
pub async fn complete(tx: &mut Tx<'_>, user: Uuid, idem: &Idempotency, status: u16, body: &str) -> AppResult<()> {
    tx.execute(
        query("UPDATE idempotency_keys SET status = ?, body = ? WHERE user_id = ? AND key = ?")
            .bind(i64::from(status))
            .bind(body)
            .bind(user)
            .bind(&idem.key),
    )
    .await?;
    Ok(())
}

/// [`complete`], sent right after the statement that wrote the change ([`Query::then`], SQLite):
/// it stores the answer only if that statement wrote a row, and then writes one itself.
pub fn complete_after(user: Uuid, idem: &Idempotency, status: u16, body: &str) -> Query {
    query("UPDATE idempotency_keys SET status = ?, body = ? WHERE user_id = ? AND key = ? AND changes() = 1")
        .bind(i64::from(status))
        .bind(body)
        .bind(user)
        .bind(&idem.key)
}

/// Gives back a key claimed by [`claim`] for a request that was then refused, inside the same
/// transaction: as if it had never been claimed, so the key books on a retry.
pub async fn release(tx: &mut Tx<'_>, user: Uuid, idem: &Idempotency) -> AppResult<()> {
    tx.execute(
        query("DELETE FROM idempotency_keys WHERE user_id = ? AND key = ? AND status = 0").bind(user).bind(&idem.key),
    )
    .await?;
    Ok(())
}
