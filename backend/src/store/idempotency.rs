//! Stored answers for requests that carried an `Idempotency-Key`.
//!
//! The key is scoped to the user. A retry with the same key and the same request gets the first
//! answer back; the same key with a different request is refused. Only successful answers are
//! stored: a refused request created nothing, so running it again is just as harmless.

use super::to_ms;
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Utc};
use parkway_core::ErrorCode;
use sqlx::{Sqlite, Transaction};
use uuid::Uuid;

/// A key and the fingerprint of the request that came with it.
#[derive(Debug, Clone)]
pub struct Idempotency {
    /// The client's key.
    pub key: String,
    /// SHA-256 of the request, hex.
    pub request_hash: String,
}

/// The stored answer for `key`, if any: `Ok(Some((status, body)))` to replay it, an error when
/// the key came with a different request.
pub async fn lookup(
    tx: &mut Transaction<'_, Sqlite>,
    user: Uuid,
    idem: &Idempotency,
) -> AppResult<Option<(u16, String)>> {
    let row: Option<(String, i64, String)> =
        sqlx::query_as("SELECT request_hash, status, body FROM idempotency_keys WHERE user_id = ? AND key = ?")
            .bind(user.to_string())
            .bind(&idem.key)
            .fetch_optional(&mut **tx)
            .await?;
    match row {
        None => Ok(None),
        Some((hash, status, body)) if hash == idem.request_hash => Ok(Some((status as u16, body))),
        Some(_) => Err(AppError::Api(
            ErrorCode::IdempotencyKeyReused,
            "this Idempotency-Key was already used for a different request".into(),
        )),
    }
}

/// Stores the answer given for `key`, in the transaction that made the change.
pub async fn store(
    tx: &mut Transaction<'_, Sqlite>,
    user: Uuid,
    idem: &Idempotency,
    status: u16,
    body: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO idempotency_keys (user_id, key, request_hash, status, body, created_at) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(user.to_string())
    .bind(&idem.key)
    .bind(&idem.request_hash)
    .bind(i64::from(status))
    .bind(body)
    .bind(to_ms(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}
