//! A stay's thread between its driver and its driveway's owner. Each message is written with
//! its recipient's notification in one transaction, so the inbox (and the WebSocket fed from
//! it) never misses one and never shows one that was not stored.

use super::Store;
use super::db::{from_ms, query, to_ms, uuid};
use super::idempotency::{self, Idempotency};
use super::notifications::{self, Notice};
use crate::error::{AppError, AppResult};
use crate::notices::Draft;
use chrono::{DateTime, Utc};
use parkway_core::message::{MAX_PAGE, Message, preview};
use parkway_core::notification::NotificationType;
use parkway_core::review::author_name;
use uuid::Uuid;

/// A message sent, or the answer to an earlier send with the same idempotency key.
#[derive(Debug)]
pub struct Posted {
    /// The message.
    pub message: Message,
    /// The recipient's notification; `None` when this replays an earlier send.
    pub notice: Option<Notice>,
}

#[derive(sqlx::FromRow)]
struct MessageRow {
    id: i64,
    booking_id: String,
    sender_id: String,
    sender: String,
    text: String,
    created_at: i64,
    read_at: Option<i64>,
}

impl TryFrom<MessageRow> for Message {
    type Error = sqlx::Error;
    fn try_from(r: MessageRow) -> Result<Message, sqlx::Error> {
        Ok(Message {
            id: r.id,
            booking_id: uuid(&r.booking_id)?,
            sender_id: uuid(&r.sender_id)?,
            sender_name: author_name(&r.sender),
            text: r.text,
            created_at: from_ms(r.created_at),
            read_at: r.read_at.map(from_ms),
        })
    }
}

const SELECT_MESSAGE: &str = "SELECT m.id, m.booking_id, m.sender_id, u.name AS sender, m.text, m.created_at, \
    m.read_at FROM messages m JOIN users u ON u.id = m.sender_id";

/// A stay's two parties, as its thread knows them.
#[derive(sqlx::FromRow)]
struct Parties {
    id: String,
    driver_id: String,
    owner_id: String,
}

impl Parties {
    /// The other party, if `user` is one of the two.
    fn other_than(&self, user: Uuid) -> Option<&str> {
        let user = user.to_string();
        if self.driver_id == user {
            Some(&self.owner_id)
        } else if self.owner_id == user {
            Some(&self.driver_id)
        } else {
            None
        }
    }
}

impl Store {
    /// The stay that booking `id` belongs to, and the party other than `user`; 404 for anyone
    /// who is neither its driver nor its owner, as for the booking itself.
    async fn thread_of(&self, user: Uuid, id: Uuid) -> AppResult<(Parties, String)> {
        let parties: Option<Parties> = self
            .reader()
            .fetch_optional(
                query(
                    "SELECT f.id, f.driver_id, f.owner_id FROM bookings b \
                     JOIN bookings f ON f.id = COALESCE(b.extension_of, b.id) WHERE b.id = ?",
                )
                .bind(id),
            )
            .await?;
        let parties = parties.ok_or_else(|| AppError::not_found("booking"))?;
        let other = parties.other_than(user).ok_or_else(|| AppError::not_found("booking"))?.to_owned();
        Ok((parties, other))
    }

    /// `user` writes in the thread of booking `id`; the other party is told.
    pub async fn post_message(
        &self,
        user: Uuid,
        id: Uuid,
        text: String,
        idem: Option<&Idempotency>,
        now: DateTime<Utc>,
    ) -> AppResult<Posted> {
        let (thread, to) = self.thread_of(user, id).await?;
        let mut tx = self.begin_write().await?;
        if let Some(idem) = idem
            && let Some((_, body)) = idempotency::claim(&mut tx, user, idem, now).await?
        {
            let message = serde_json::from_str(&body).map_err(anyhow::Error::from)?;
            tx.rollback().await?;
            return Ok(Posted { message, notice: None });
        }
        let message_id: i64 = tx
            .scalar(
                query(
                    "INSERT INTO messages (booking_id, sender_id, recipient_id, text, created_at) \
                     VALUES (?, ?, ?, ?, ?) RETURNING id",
                )
                .bind(&thread.id)
                .bind(user)
                .bind(&to)
                .bind(&text)
                .bind(to_ms(now)),
            )
            .await?;
        let row: MessageRow = tx.fetch_one(query(format!("{SELECT_MESSAGE} WHERE m.id = ?")).bind(message_id)).await?;
        let message = Message::try_from(row)?;
        let draft = Draft {
            user: uuid(&to)?,
            kind: NotificationType::Message,
            title: format!("Message from {}", message.sender_name),
            message: preview(&text),
            // `as` says which side reads it, so a client links to the right list of bookings.
            data: serde_json::json!({
                "bookingId": message.booking_id,
                "messageId": message.id,
                "action": "reply",
                "as": if to == thread.owner_id { "owner" } else { "driver" },
            }),
        };
        let notice = notifications::insert(&mut tx, draft, now).await?;
        if let Some(idem) = idem {
            let body = serde_json::to_string(&message).map_err(anyhow::Error::from)?;
            idempotency::complete(&mut tx, user, idem, 201, &body).await?;
        }
        tx.commit().await?;
        Ok(Posted { message, notice: Some(notice) })
    }

    /// The thread of booking `id` for one of its parties, oldest first, after message `after`.
    pub async fn messages(&self, user: Uuid, id: Uuid, after: i64, limit: i64) -> AppResult<Vec<Message>> {
        let (thread, _) = self.thread_of(user, id).await?;
        let rows: Vec<MessageRow> = self
            .reader()
            .fetch_all(
                query(format!("{SELECT_MESSAGE} WHERE m.booking_id = ? AND m.id > ? ORDER BY m.id LIMIT ?"))
                    .bind(&thread.id)
                    .bind(after)
                    .bind(limit.clamp(1, MAX_PAGE)),
            )
            .await?;
        Ok(rows.into_iter().map(Message::try_from).collect::<Result<_, _>>()?)
    }

    /// Marks every message `user` received in the thread of booking `id` as read; returns how
    /// many were unread.
    pub async fn read_messages(&self, user: Uuid, id: Uuid, now: DateTime<Utc>) -> AppResult<u64> {
        let (thread, _) = self.thread_of(user, id).await?;
        let mut tx = self.begin_write().await?;
        let read = tx
            .execute(
                query("UPDATE messages SET read_at = ? WHERE booking_id = ? AND recipient_id = ? AND read_at IS NULL")
                    .bind(to_ms(now))
                    .bind(&thread.id)
                    .bind(user),
            )
            .await?;
        tx.commit().await?;
        Ok(read)
    }
}
