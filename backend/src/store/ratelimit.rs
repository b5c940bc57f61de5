//! Login and register attempts counted in the database, so that the limit holds across every
//! instance (PostgreSQL). SQLite runs as one instance and counts in memory instead
//! (`auth::ratelimit`).
//!
//! The rule is the same as the in-memory one: a token bucket of `per_minute` attempts refilled
//! over a minute, kept as GCRA's one number per address, the "theoretical arrival time" (`tat`):
//! an attempt is allowed when, after adding one interval to it, it lies at most a minute ahead
//! of now. One upsert decides and records the attempt, so two instances can never both spend
//! the last token. Time is the database's clock, the same for every instance.

use super::PostgresStore;
use super::db::{Tx, query};
use crate::error::AppResult;
use std::num::NonZeroU32;

/// The bucket refills over this window, in ms.
const WINDOW_MS: i64 = 60_000;
/// "Now" in ms by the database's clock.
const NOW_MS: &str = "CAST(EXTRACT(EPOCH FROM now()) * 1000 AS BIGINT)";

impl PostgresStore {
    /// Takes one attempt for `key` (a client address) under a limit of `per_minute`: `None`
    /// when allowed, else the seconds to wait.
    pub async fn take_attempt(&self, key: &str, per_minute: NonZeroU32) -> AppResult<Option<u64>> {
        let interval = WINDOW_MS / i64::from(per_minute.get());
        let allowed: Option<i64> = self
            .store()
            .reader()
            .scalar_optional(
                query(format!(
                    "INSERT INTO auth_attempts AS a (key, tat) VALUES (?, {NOW_MS} + ?) \
                     ON CONFLICT (key) DO UPDATE SET tat = GREATEST(a.tat, {NOW_MS}) + ? \
                     WHERE GREATEST(a.tat, {NOW_MS}) + ? - {NOW_MS} <= ? RETURNING tat"
                ))
                .bind(key)
                .bind(interval)
                .bind(interval)
                .bind(interval)
                .bind(WINDOW_MS),
            )
            .await?;
        if allowed.is_some() {
            return Ok(None);
        }
        let ahead: i64 = self
            .store()
            .reader()
            .scalar_optional(query(format!("SELECT tat - {NOW_MS} FROM auth_attempts WHERE key = ?")).bind(key))
            .await?
            .unwrap_or(0);
        let wait_ms = (ahead + interval - WINDOW_MS).max(1);
        Ok(Some((wait_ms as u64).div_ceil(1000)))
    }
}

/// Forgets addresses whose buckets are full again (run with the background jobs).
pub(crate) async fn forget_idle(tx: &mut Tx<'_>) -> AppResult<()> {
    tx.execute(query(format!("DELETE FROM auth_attempts WHERE tat < {NOW_MS}"))).await?;
    Ok(())
}
