//! Devices that notifications are pushed to, at most [`MAX_DEVICES`] per user, each one
//! user's; and the kinds of notification a user does not want pushed.

use super::Store;
use super::db::{from_ms, query, to_ms, uuid};
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Utc};
use parkway_core::device::{Device, MAX_DEVICES, NotificationSettings, Platform};
use parkway_core::notification::NotificationType;
use uuid::Uuid;

/// Where a device's pushes go, as checked by the handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushAddress {
    /// A Firebase registration token.
    Fcm(String),
    /// An APNs device token, lower-case hex.
    Apns(String),
    /// A Web Push subscription: its endpoint and keys (base64url, as the browser gave them).
    Web { endpoint: String, p256dh: String, auth: String },
}

impl PushAddress {
    fn platform(&self) -> Platform {
        match self {
            PushAddress::Fcm(_) => Platform::Android,
            PushAddress::Apns(_) => Platform::Ios,
            PushAddress::Web { .. } => Platform::Web,
        }
    }

    /// The token or endpoint: what names the device at its push service.
    fn address(&self) -> &str {
        match self {
            PushAddress::Fcm(a) | PushAddress::Apns(a) | PushAddress::Web { endpoint: a, .. } => a,
        }
    }

    fn keys(&self) -> (Option<&str>, Option<&str>) {
        match self {
            PushAddress::Web { p256dh, auth, .. } => (Some(p256dh), Some(auth)),
            _ => (None, None),
        }
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    platform: String,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<Row> for Device {
    type Error = AppError;
    fn try_from(r: Row) -> AppResult<Device> {
        Ok(Device {
            id: uuid(&r.id)?,
            platform: Platform::parse(&r.platform)
                .ok_or_else(|| anyhow::anyhow!("stored device platform {:?}", r.platform))?,
            created_at: from_ms(r.created_at),
            updated_at: from_ms(r.updated_at),
        })
    }
}

const COLUMNS: &str = "id, platform, created_at, updated_at";

impl Store {
    /// Registers `to` for `user`. A device already known (by its token or endpoint) keeps its
    /// id and moves to `user` if it was someone else's, with the keys given now. Beyond
    /// [`MAX_DEVICES`], the user's devices registered longest ago are dropped: an old phone
    /// must not stop a new one from being told.
    pub async fn register_device(&self, user: Uuid, to: &PushAddress, now: DateTime<Utc>) -> AppResult<Device> {
        let mut tx = self.begin_write().await?;
        let lock = tx.engine().for_update();
        // The user's row locked, so two registrations at once cannot both be the tenth, nor take
        // the same turn.
        tx.fetch_optional::<(String,)>(query(format!("SELECT id FROM users WHERE id = ?{lock}")).bind(user)).await?;
        let (p256dh, auth) = to.keys();
        let row: Row = tx
            .fetch_one(
                query(format!(
                    "INSERT INTO devices (id, user_id, platform, address, p256dh, auth, created_at, updated_at, turn) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(turn), 0) + 1 FROM devices WHERE user_id = ?)) \
                     ON CONFLICT (platform, address) DO UPDATE SET user_id = excluded.user_id, \
                     p256dh = excluded.p256dh, auth = excluded.auth, updated_at = excluded.updated_at, turn = excluded.turn \
                     RETURNING {COLUMNS}"
                ))
                .bind(Uuid::new_v4())
                .bind(user)
                .bind(to.platform().as_str())
                .bind(to.address())
                .bind(p256dh.map(str::to_owned))
                .bind(auth.map(str::to_owned))
                .bind(to_ms(now))
                .bind(to_ms(now))
                .bind(user),
            )
            .await?;
        let keep = i64::try_from(MAX_DEVICES).unwrap_or(i64::MAX);
        tx.execute(
            query(
                "DELETE FROM devices WHERE user_id = ? AND id NOT IN \
                 (SELECT id FROM devices WHERE user_id = ? ORDER BY turn DESC LIMIT ?)",
            )
            .bind(user)
            .bind(user)
            .bind(keep),
        )
        .await?;
        tx.commit().await?;
        Device::try_from(row)
    }

    /// The user's devices, the most recently registered first.
    pub async fn devices(&self, user: Uuid) -> AppResult<Vec<Device>> {
        let rows: Vec<Row> = self
            .reader()
            .fetch_all(query(format!("SELECT {COLUMNS} FROM devices WHERE user_id = ? ORDER BY turn DESC")).bind(user))
            .await?;
        rows.into_iter().map(Device::try_from).collect()
    }

    /// Forgets the user's device `id` (at sign-out); someone else's answers 404 like a missing one.
    pub async fn delete_device(&self, user: Uuid, id: Uuid) -> AppResult<()> {
        let mut tx = self.begin_write().await?;
        let gone = tx.execute(query("DELETE FROM devices WHERE id = ? AND user_id = ?").bind(id).bind(user)).await?;
        if gone == 0 {
            return Err(AppError::not_found("device"));
        }
        tx.commit().await?;
        Ok(())
    }

    /// Which kinds of notification are pushed to the user's devices.
    pub async fn notification_settings(&self, user: Uuid) -> AppResult<NotificationSettings> {
        let kinds: Vec<String> =
            self.reader().scalars(query("SELECT kind FROM push_muted WHERE user_id = ?").bind(user)).await?;
        let muted: Vec<NotificationType> = kinds.iter().filter_map(|k| NotificationType::parse(k)).collect();
        Ok(NotificationSettings::all_but(&muted))
    }

    /// Changes the kinds `settings` names; the others stay as they were.
    pub async fn set_notification_settings(
        &self,
        user: Uuid,
        settings: &NotificationSettings,
    ) -> AppResult<NotificationSettings> {
        let mut tx = self.begin_write().await?;
        for (kind, &push) in &settings.push {
            let statement = if push {
                query("DELETE FROM push_muted WHERE user_id = ? AND kind = ?")
            } else {
                query("INSERT INTO push_muted (user_id, kind) VALUES (?, ?) ON CONFLICT DO NOTHING")
            };
            tx.execute(statement.bind(user).bind(kind.as_str())).await?;
        }
        tx.commit().await?;
        self.notification_settings(user).await
    }
}
