//! Messages written without a network. A message to the other side of a booking goes out at
//! once when the server answers; otherwise it waits in the app's database under its own
//! idempotency key, and the outbox worker sends it when the network is back, in the order the
//! messages were written (so a thread never reads out of order). The server keeps one copy even
//! when an attempt's answer was lost. A sent message leaves the table: the thread has it.

use crate::error::{Error, Result};
use crate::local::{LocalStore, OutboxState, at, ms};
use chrono::{DateTime, Utc};
use parkway_core::message::Message;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A message waiting on the device, as the UI shows it in its thread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reply {
    /// The client's id, also the send's idempotency key.
    pub id: Uuid,
    /// The booking whose thread it belongs to.
    pub booking_id: Uuid,
    /// The words.
    pub text: String,
    /// Queued, syncing, synced (then `message` is the server's copy), failed or expired.
    pub state: OutboxState,
    /// Attempts so far.
    pub attempts: i64,
    /// The last problem, in a sentence.
    pub last_error: Option<String>,
    /// The server's message, once sent.
    pub message: Option<Message>,
    /// When it was written.
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct ReplyRow {
    id: String,
    booking_id: String,
    text: String,
    state: String,
    attempts: i64,
    last_error: Option<String>,
    created_at: i64,
    next_attempt_at: i64,
}

impl ReplyRow {
    fn reply(self) -> Option<(Reply, DateTime<Utc>)> {
        let reply = Reply {
            id: Uuid::parse_str(&self.id).ok()?,
            booking_id: Uuid::parse_str(&self.booking_id).ok()?,
            text: self.text,
            state: OutboxState::parse(&self.state)?,
            attempts: self.attempts,
            last_error: self.last_error,
            message: None,
            created_at: at(self.created_at),
        };
        Some((reply, at(self.next_attempt_at)))
    }
}

const COLUMNS: &str = "id, booking_id, text, state, attempts, last_error, created_at, next_attempt_at";

impl LocalStore {
    /// Keeps a message for `booking` written by `user` to send later.
    pub async fn enqueue_reply(
        &self,
        id: Uuid,
        user: Uuid,
        booking: Uuid,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<Reply> {
        sqlx::query(
            "INSERT INTO replies (id, user_id, booking_id, text, state, next_attempt_at, created_at, updated_at) \
             VALUES (?, ?, ?, ?, 'queued', ?, ?, ?) ON CONFLICT (id) DO NOTHING",
        )
        .bind(id.to_string())
        .bind(user.to_string())
        .bind(booking.to_string())
        .bind(text)
        .bind(ms(now))
        .bind(ms(now))
        .bind(ms(now))
        .execute(&self.pool)
        .await?;
        self.reply(id).await?.ok_or_else(|| Error::Other("the app lost a message it was keeping".into()))
    }

    /// One kept message.
    pub async fn reply(&self, id: Uuid) -> Result<Option<Reply>> {
        let row = sqlx::query_as::<_, ReplyRow>(&format!("SELECT {COLUMNS} FROM replies WHERE id = ?"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.and_then(ReplyRow::reply).map(|(r, _)| r))
    }

    /// Every message `user` has not sent yet (waiting, or refused), oldest first.
    pub async fn replies(&self, user: Uuid) -> Result<Vec<Reply>> {
        Ok(self.replies_with_due(user, false).await?.into_iter().map(|(r, _)| r).collect())
    }

    /// The messages of `user` waiting to be sent, oldest first, each with when it is due.
    pub async fn pending_replies(&self, user: Uuid) -> Result<Vec<(Reply, DateTime<Utc>)>> {
        self.replies_with_due(user, true).await
    }

    async fn replies_with_due(&self, user: Uuid, open_only: bool) -> Result<Vec<(Reply, DateTime<Utc>)>> {
        let only_open = if open_only { "AND state IN ('queued', 'syncing')" } else { "" };
        let rows = sqlx::query_as::<_, ReplyRow>(&format!(
            "SELECT {COLUMNS} FROM replies WHERE user_id = ? {only_open} ORDER BY created_at, rowid"
        ))
        .bind(user.to_string())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().filter_map(ReplyRow::reply).collect())
    }

    /// Takes a waiting message to send it; false when it is gone or being sent already.
    pub async fn claim_reply(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool> {
        Ok(sqlx::query("UPDATE replies SET state = 'syncing', updated_at = ? WHERE id = ? AND state = 'queued'")
            .bind(ms(now))
            .bind(id.to_string())
            .execute(&self.pool)
            .await?
            .rows_affected()
            == 1)
    }

    /// The server has the message: the device forgets it.
    pub async fn reply_sent(&self, id: Uuid) -> Result<()> {
        sqlx::query("DELETE FROM replies WHERE id = ?").bind(id.to_string()).execute(&self.pool).await?;
        Ok(())
    }

    /// A failed attempt: the message waits until `next`.
    pub async fn retry_reply_later(
        &self,
        id: Uuid,
        error: &str,
        next: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE replies SET state = 'queued', attempts = attempts + 1, last_error = ?, next_attempt_at = ?, updated_at = ? \
             WHERE id = ?",
        )
        .bind(error)
        .bind(ms(next))
        .bind(ms(now))
        .bind(id.to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The message will not be sent (refused, or too old); its words stay for the writer to see.
    pub async fn give_up_reply(&self, id: Uuid, state: OutboxState, error: &str, now: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "UPDATE replies SET state = ?, attempts = attempts + 1, last_error = ?, updated_at = ? WHERE id = ?",
        )
        .bind(state.as_str())
        .bind(error)
        .bind(ms(now))
        .bind(id.to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Removes a message of `user` that will not be sent; false when there is no such message
    /// (one still waiting may yet be sent, so it stays).
    pub async fn dismiss_reply(&self, user: Uuid, id: Uuid) -> Result<bool> {
        Ok(sqlx::query("DELETE FROM replies WHERE id = ? AND user_id = ? AND state NOT IN ('queued', 'syncing')")
            .bind(id.to_string())
            .bind(user.to_string())
            .execute(&self.pool)
            .await?
            .rows_affected()
            == 1)
    }
}
