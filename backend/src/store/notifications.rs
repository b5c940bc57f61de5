use super::{Store, from_ms, to_ms};
use crate::error::AppResult;
use chrono::{DateTime, Utc};
use parkway_core::api::Notification;
use parkway_core::notification::NotificationType;
use sqlx::{Sqlite, Transaction};
use uuid::Uuid;

/// Most notifications one catch-up call returns.
pub const MAX_PAGE: i64 = 500;

/// A notification written to the inbox, with the user it is for, ready to publish.
#[derive(Debug, Clone)]
pub struct Notice {
    /// Whose inbox.
    pub user: Uuid,
    /// The stored notification.
    pub notification: Notification,
}

/// What to write: the kind, who gets it, and its texts.
#[derive(Debug, Clone)]
pub struct Draft {
    /// Whose inbox.
    pub user: Uuid,
    /// The kind.
    pub kind: NotificationType,
    /// Short title.
    pub title: String,
    /// A sentence.
    pub message: String,
    /// `bookingId`, `drivewayId` and anything else useful.
    pub data: serde_json::Value,
}

/// Writes `draft` into the inbox inside `tx`, so it commits or rolls back with the change it
/// reports.
pub async fn insert(tx: &mut Transaction<'_, Sqlite>, draft: Draft, now: DateTime<Utc>) -> AppResult<Notice> {
    let data = draft.data.to_string();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO notifications (user_id, type, title, message, data, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(draft.user.to_string())
    .bind(draft.kind.as_str())
    .bind(&draft.title)
    .bind(&draft.message)
    .bind(&data)
    .bind(to_ms(now))
    .fetch_one(&mut **tx)
    .await?;
    Ok(Notice {
        user: draft.user,
        notification: Notification {
            id,
            kind: draft.kind,
            title: draft.title,
            message: draft.message,
            data: draft.data,
            created_at: now,
            read_at: None,
        },
    })
}

#[derive(sqlx::FromRow)]
struct NotificationRow {
    id: i64,
    #[sqlx(rename = "type")]
    kind: String,
    title: String,
    message: String,
    data: String,
    created_at: i64,
    read_at: Option<i64>,
}

impl Store {
    /// The user's notifications with id greater than `after`, oldest first.
    pub async fn notifications_after(&self, user: Uuid, after: i64, limit: i64) -> AppResult<Vec<Notification>> {
        let rows = sqlx::query_as::<_, NotificationRow>(
            "SELECT id, type, title, message, data, created_at, read_at FROM notifications \
             WHERE user_id = ? AND id > ? ORDER BY id LIMIT ?",
        )
        .bind(user.to_string())
        .bind(after)
        .bind(limit.clamp(1, MAX_PAGE))
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                Some(Notification {
                    id: r.id,
                    kind: NotificationType::parse(&r.kind)?,
                    title: r.title,
                    message: r.message,
                    data: serde_json::from_str(&r.data).unwrap_or_default(),
                    created_at: from_ms(r.created_at),
                    read_at: r.read_at.map(from_ms),
                })
            })
            .collect())
    }

    /// Marks one of the user's notifications read; false when it is not theirs.
    pub async fn mark_read(&self, user: Uuid, id: i64, now: DateTime<Utc>) -> AppResult<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE notifications SET read_at = COALESCE(read_at, ?) WHERE id = ? AND user_id = ?")
            .bind(to_ms(now))
            .bind(id)
            .bind(user.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }
}
