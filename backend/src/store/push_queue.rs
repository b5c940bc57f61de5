//! The push queue: one row per notification and device, written by the notification's insert
//! (a trigger, see the migration), claimed by a sender for a while and deleted once its push
//! service has taken it. A sender that dies leaves its claim to run out, and the row is sent
//! again: nothing is lost, and only a push whose answer was lost with the sender goes twice
//! (carrying the same notification id, by which the apps drop a repeat).

use super::Store;
use super::db::{from_ms, query, to_ms, uuid};
use crate::error::AppResult;
use chrono::{DateTime, Duration, Utc};
use parkway_core::device::Platform;
use parkway_core::notification::NotificationType;
use uuid::Uuid;

/// A claimed push with what it needs: the notification and where it goes.
#[derive(Debug, Clone)]
pub struct Due {
    /// The queue row.
    pub id: i64,
    /// Sends tried so far, this one included.
    pub attempts: i64,
    /// The notification.
    pub notification_id: i64,
    /// Its kind.
    pub kind: NotificationType,
    /// Its title.
    pub title: String,
    /// Its text.
    pub message: String,
    /// Its data (JSON): the booking it is about, among others.
    pub data: serde_json::Value,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// The device, or `None` if it was removed since (the row is then dropped).
    pub device: Option<Target>,
}

/// Where a push goes.
#[derive(Debug, Clone)]
pub struct Target {
    /// The device's id.
    pub id: Uuid,
    /// Its push service.
    pub platform: Platform,
    /// Its token or endpoint.
    pub address: String,
    /// Web Push: the browser's public key and authentication secret, base64url.
    pub keys: Option<(String, String)>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    attempts: i64,
    notification_id: i64,
    kind: String,
    title: String,
    message: String,
    data: String,
    created_at: i64,
    device_id: Option<String>,
    platform: Option<String>,
    address: Option<String>,
    p256dh: Option<String>,
    auth: Option<String>,
}

impl Row {
    fn into_due(self) -> AppResult<Option<Due>> {
        let Some(kind) = NotificationType::parse(&self.kind) else { return Ok(None) };
        let device = match (self.device_id, self.platform.as_deref().and_then(Platform::parse), self.address) {
            (Some(id), Some(platform), Some(address)) => {
                Some(Target { id: uuid(&id)?, platform, address, keys: self.p256dh.zip(self.auth) })
            }
            _ => None,
        };
        Ok(Some(Due {
            id: self.id,
            attempts: self.attempts,
            notification_id: self.notification_id,
            kind,
            title: self.title,
            message: self.message,
            data: serde_json::from_str(&self.data).unwrap_or_default(),
            created_at: from_ms(self.created_at),
            device,
        }))
    }
}

/// What became of one push.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The push service took it, or it cannot go anywhere (the device or its service is gone):
    /// the row goes.
    Done,
    /// The push service says the device is no longer there: the device goes, with its rows.
    DeviceGone,
    /// Try again at the given time.
    RetryAt(DateTime<Utc>),
}

impl Store {
    /// Claims up to `limit` pushes due at `now`, oldest first, for `claim`: after that, another
    /// sender may take the ones not finished.
    pub async fn claim_pushes(&self, now: DateTime<Utc>, limit: i64, claim: Duration) -> AppResult<Vec<Due>> {
        // Most looks find nothing due: a read says so without a write transaction.
        let any: Option<i64> = self
            .reader()
            .scalar_optional(
                query(
                    "SELECT id FROM push_queue WHERE due_at <= ? AND (claimed_until IS NULL OR claimed_until <= ?) LIMIT 1",
                )
                .bind(to_ms(now))
                .bind(to_ms(now)),
            )
            .await?;
        if any.is_none() {
            return Ok(Vec::new());
        }
        let mut tx = self.begin_write().await?;
        let skip = tx.engine().skip_locked();
        let ids: Vec<i64> = tx
            .scalars(
                query(format!(
                    "UPDATE push_queue SET claimed_until = ?, attempts = attempts + 1 WHERE id IN \
                     (SELECT id FROM push_queue WHERE due_at <= ? AND (claimed_until IS NULL OR claimed_until <= ?) \
                     ORDER BY due_at, id LIMIT ?{skip}) RETURNING id"
                ))
                .bind(to_ms(now + claim))
                .bind(to_ms(now))
                .bind(to_ms(now))
                .bind(limit),
            )
            .await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let marks = vec!["?"; ids.len()].join(", ");
        let mut read = query(format!(
            "SELECT q.id, q.attempts, n.id AS notification_id, n.type AS kind, n.title, n.message, n.data, \
             n.created_at, d.id AS device_id, d.platform, d.address, d.p256dh, d.auth \
             FROM push_queue q JOIN notifications n ON n.id = q.notification_id \
             LEFT JOIN devices d ON d.id = q.device_id WHERE q.id IN ({marks}) ORDER BY q.id"
        ));
        for id in &ids {
            read = read.bind(*id);
        }
        let rows: Vec<Row> = tx.fetch_all(read).await?;
        tx.commit().await?;
        let mut due = Vec::with_capacity(rows.len());
        for row in rows {
            due.extend(row.into_due()?);
        }
        Ok(due)
    }

    /// Records what became of claimed pushes, in one transaction.
    pub async fn finish_pushes(&self, outcomes: &[(&Due, Outcome)]) -> AppResult<()> {
        if outcomes.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        for (due, outcome) in outcomes {
            match (outcome, &due.device) {
                (Outcome::DeviceGone, Some(device)) => {
                    tx.execute(query("DELETE FROM push_queue WHERE device_id = ?").bind(device.id)).await?;
                    tx.execute(query("DELETE FROM devices WHERE id = ?").bind(device.id)).await?;
                }
                (Outcome::RetryAt(at), _) => {
                    tx.execute(
                        query("UPDATE push_queue SET due_at = ?, claimed_until = NULL WHERE id = ?")
                            .bind(to_ms(*at))
                            .bind(due.id),
                    )
                    .await?;
                }
                _ => {
                    tx.execute(query("DELETE FROM push_queue WHERE id = ?").bind(due.id)).await?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Pushes waiting, claimed or not (for tests and the benchmark).
    pub async fn pushes_waiting(&self) -> AppResult<i64> {
        Ok(self.reader().scalar(query("SELECT COUNT(*) FROM push_queue")).await?)
    }
}
