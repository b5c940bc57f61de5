//! Sessions, refresh tokens and the per-account guessing limit.
//!
//! A session is a row; access tokens name it, and every authenticated request checks that it
//! is still open, so ending it takes effect at once on every instance sharing the database.
//! Refresh tokens are random, stored only as SHA-256 hashes, and spent by one refresh; a spent
//! token presented again means it was copied, and the whole session ends.

use super::Store;
use super::db::{Query, Tx, from_ms, query, to_ms, uuid};
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Duration, Utc};
use parkway_core::api::SessionInfo;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// How long a session lives without signing in again.
pub const SESSION_DAYS: i64 = 30;
/// Wrong passwords per account, from all addresses together, within [`GUESS_WINDOW_MINUTES`].
pub const MAX_GUESSES: i64 = 10;
/// The window of the per-account guessing limit.
pub const GUESS_WINDOW_MINUTES: i64 = 15;
/// A spent refresh token presented again this soon after it was spent is a second tab or a
/// retry racing the first refresh, not a thief: it is refused without ending the session (the
/// client refreshes again with the token the first refresh handed out).
pub const REUSE_GRACE_SECS: i64 = 30;
/// The longest user agent kept for the session list.
const USER_AGENT_CHARS: usize = 200;

/// A session as a refresh found it.
#[derive(Debug, Clone)]
pub struct Refreshed {
    /// Whose.
    pub user: Uuid,
    /// Which.
    pub session: Uuid,
    /// The next refresh token (the one presented is spent).
    pub refresh_token: String,
}

/// A new secret for a one-time link or token: 32 random bytes, hex.
pub(crate) fn new_secret() -> String {
    use rand::Rng;
    let bytes: [u8; 32] = rand::rng().random();
    hex::encode(bytes)
}

/// How a secret is stored: its SHA-256, hex, so a database read does not give it away.
pub(crate) fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub(crate) fn refused() -> AppError {
    AppError::unauthorized("your session has ended; please sign in again")
}

/// The session an access token names, not yet checked: a write that acts on it checks it in
/// its own transaction ([`SESSION_OPEN`]), which saves the request a round trip of its own.
#[derive(Debug, Clone, Copy)]
pub struct TokenSession {
    /// The user the token is for.
    pub user: Uuid,
    /// The session it belongs to.
    pub session: Uuid,
}

impl TokenSession {
    /// Binds [`SESSION_OPEN`]'s parameters.
    pub(crate) fn bind(&self, q: Query, now: DateTime<Utc>) -> Query {
        q.bind(self.session).bind(self.user).bind(to_ms(now))
    }

    /// Whether the session is open, read inside `tx`; for when a statement that checked it
    /// found nothing and must tell an ended session from what else it looked for.
    pub(crate) async fn check_in(&self, tx: &mut Tx<'_>, now: DateTime<Utc>) -> AppResult<()> {
        let open: bool = tx.scalar(self.bind(query(format!("SELECT {SESSION_OPEN}")), now)).await?;
        if open { Ok(()) } else { Err(refused()) }
    }
}

/// True while a session is open; its parameters are the session, the user and now (ms).
pub(crate) const SESSION_OPEN: &str =
    "EXISTS (SELECT 1 FROM sessions WHERE id = ? AND user_id = ? AND ended_at IS NULL AND expires_at > ?)";

#[derive(sqlx::FromRow)]
struct TokenRow {
    session_id: String,
    spent_at: Option<i64>,
    user_id: String,
    expires_at: i64,
    ended_at: Option<i64>,
}

impl Store {
    /// Opens a session for `user`; returns its id and first refresh token.
    pub async fn open_session(
        &self,
        user: Uuid,
        user_agent: Option<&str>,
        now: DateTime<Utc>,
    ) -> AppResult<(Uuid, String)> {
        let id = Uuid::new_v4();
        let token = new_secret();
        let agent = user_agent.map(|a| a.chars().take(USER_AGENT_CHARS).collect::<String>());
        let mut tx = self.begin_write().await?;
        tx.execute(
            query(
                "INSERT INTO sessions (id, user_id, user_agent, created_at, last_used_at, expires_at) \
                 VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(id)
            .bind(user)
            .bind(agent)
            .bind(to_ms(now))
            .bind(to_ms(now))
            .bind(to_ms(now + Duration::days(SESSION_DAYS))),
        )
        .await?;
        tx.execute(
            query("INSERT INTO refresh_tokens (hash, session_id, created_at) VALUES (?, ?, ?)")
                .bind(hash(&token))
                .bind(id)
                .bind(to_ms(now)),
        )
        .await?;
        tx.commit().await?;
        Ok((id, token))
    }

    /// Spends `token` for a new one. A token already spent ends its session (it was copied);
    /// an unknown token, or one of an ended or expired session, is refused.
    pub async fn refresh_session(&self, token: &str, now: DateTime<Utc>) -> AppResult<Refreshed> {
        let mut tx = self.begin_write().await?;
        let lock = tx.engine().for_update();
        let row: Option<TokenRow> = tx
            .fetch_optional(
                query(format!(
                    "SELECT t.session_id, t.spent_at, s.user_id, s.expires_at, s.ended_at FROM refresh_tokens t \
                     JOIN sessions s ON s.id = t.session_id WHERE t.hash = ?{lock}"
                ))
                .bind(hash(token)),
            )
            .await?;
        let Some(row) = row else { return Err(refused()) };
        if row.ended_at.is_some() || from_ms(row.expires_at) <= now {
            return Err(refused());
        }
        let session = uuid(&row.session_id)?;
        if let Some(spent) = row.spent_at {
            if now - from_ms(spent) <= Duration::seconds(REUSE_GRACE_SECS) {
                return Err(AppError::unauthorized("this session was just refreshed; use its newest refresh token"));
            }
            end_in(&mut tx, session, "refresh token replayed", now).await?;
            tx.commit().await?;
            tracing::warn!(session = %session, "a spent refresh token was presented again; the session is ended");
            return Err(refused());
        }
        // Compare-and-swap: of two refreshes racing with one token, one spends it.
        let spent = tx
            .execute(
                query("UPDATE refresh_tokens SET spent_at = ? WHERE hash = ? AND spent_at IS NULL")
                    .bind(to_ms(now))
                    .bind(hash(token)),
            )
            .await?;
        if spent == 0 {
            return Err(refused());
        }
        let next = new_secret();
        tx.execute(
            query("INSERT INTO refresh_tokens (hash, session_id, created_at) VALUES (?, ?, ?)")
                .bind(hash(&next))
                .bind(session)
                .bind(to_ms(now)),
        )
        .await?;
        tx.execute(query("UPDATE sessions SET last_used_at = ? WHERE id = ?").bind(to_ms(now)).bind(session)).await?;
        tx.commit().await?;
        Ok(Refreshed { user: uuid(&row.user_id)?, session, refresh_token: next })
    }

    /// True while `session` of `user` is open: the check behind every access token.
    pub async fn session_open(&self, user: Uuid, session: Uuid, now: DateTime<Utc>) -> AppResult<bool> {
        let open = TokenSession { user, session }.bind(query(format!("SELECT {SESSION_OPEN}")), now);
        Ok(self.reader().scalar(open).await?)
    }

    /// Ends one session of `user`; `404` when it is not theirs or already ended.
    pub async fn end_session(&self, user: Uuid, session: Uuid, reason: &str, now: DateTime<Utc>) -> AppResult<()> {
        let mut tx = self.begin_write().await?;
        let ended = tx
            .execute(
                query(
                    "UPDATE sessions SET ended_at = ?, ended_reason = ? WHERE id = ? AND user_id = ? \
                     AND ended_at IS NULL",
                )
                .bind(to_ms(now))
                .bind(reason)
                .bind(session)
                .bind(user),
            )
            .await?;
        if ended == 0 {
            return Err(AppError::not_found("session"));
        }
        tx.commit().await?;
        Ok(())
    }

    /// Replaces the password hash of `user` and ends every session but `keep`, in one
    /// transaction. Returns the sessions ended.
    pub async fn change_password(
        &self,
        user: Uuid,
        new_hash: &str,
        keep: Uuid,
        now: DateTime<Utc>,
    ) -> AppResult<Vec<Uuid>> {
        let mut tx = self.begin_write().await?;
        tx.execute(query("UPDATE users SET password_hash = ? WHERE id = ?").bind(new_hash).bind(user)).await?;
        let others: Vec<String> = tx
            .scalars(
                query("SELECT id FROM sessions WHERE user_id = ? AND id != ? AND ended_at IS NULL")
                    .bind(user)
                    .bind(keep),
            )
            .await?;
        tx.execute(
            query(
                "UPDATE sessions SET ended_at = ?, ended_reason = 'password changed' WHERE user_id = ? AND id != ? \
                 AND ended_at IS NULL",
            )
            .bind(to_ms(now))
            .bind(user)
            .bind(keep),
        )
        .await?;
        tx.commit().await?;
        others.iter().map(|s| Ok(uuid(s)?)).collect()
    }

    /// The open sessions of `user`, newest first; `current` marks the caller's.
    pub async fn sessions_of(&self, user: Uuid, current: Uuid, now: DateTime<Utc>) -> AppResult<Vec<SessionInfo>> {
        let rows: Vec<(String, i64, i64, Option<String>)> = self
            .reader()
            .fetch_all(
                query(
                    "SELECT id, created_at, last_used_at, user_agent FROM sessions WHERE user_id = ? \
                     AND ended_at IS NULL AND expires_at > ? ORDER BY created_at DESC LIMIT 100",
                )
                .bind(user)
                .bind(to_ms(now)),
            )
            .await?;
        rows.into_iter()
            .map(|(id, created, used, agent)| {
                let id = uuid(&id)?;
                Ok(SessionInfo {
                    id,
                    created_at: from_ms(created),
                    last_used_at: from_ms(used),
                    user_agent: agent,
                    current: id == current,
                })
            })
            .collect()
    }

    /// Seconds until `account` may try a password again, when it has had too many wrong ones.
    pub async fn guesses_exhausted(&self, account: &str, now: DateTime<Utc>) -> AppResult<Option<u64>> {
        let since = now - Duration::minutes(GUESS_WINDOW_MINUTES);
        let (count, oldest): (i64, Option<i64>) = self
            .reader()
            .fetch_one(
                query("SELECT COUNT(*), MIN(at) FROM login_failures WHERE account = ? AND at > ?")
                    .bind(account)
                    .bind(to_ms(since)),
            )
            .await?;
        if count < MAX_GUESSES {
            return Ok(None);
        }
        let free_at = oldest.map_or(now, from_ms) + Duration::minutes(GUESS_WINDOW_MINUTES);
        Ok(Some(u64::try_from((free_at - now).num_seconds()).unwrap_or(1).max(1)))
    }

    /// Records a wrong password for `account`, or clears its record after a right one.
    pub async fn record_guess(&self, account: &str, right: bool, now: DateTime<Utc>) -> AppResult<()> {
        let mut tx = self.begin_write().await?;
        if right {
            tx.execute(query("DELETE FROM login_failures WHERE account = ?").bind(account)).await?;
        } else {
            tx.execute(query("INSERT INTO login_failures (account, at) VALUES (?, ?)").bind(account).bind(to_ms(now)))
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Ends `session` inside `tx`.
async fn end_in(tx: &mut super::db::Tx<'_>, session: Uuid, reason: &str, now: DateTime<Utc>) -> AppResult<()> {
    tx.execute(
        query("UPDATE sessions SET ended_at = ?, ended_reason = ? WHERE id = ? AND ended_at IS NULL")
            .bind(to_ms(now))
            .bind(reason)
            .bind(session),
    )
    .await?;
    Ok(())
}
