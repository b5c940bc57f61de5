//! The app's own SQLite database: the outbox of bookings made offline, cached searches, the
//! driver's bookings with their access instructions (readable in a basement with no signal),
//! and small settings such as the session and the last notification seen.

use crate::error::Result;
use chrono::{DateTime, Utc};
use parkway_core::api::{Booking, NewBooking};
pub use parkway_core::outbox::OutboxState;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use std::path::Path;
use uuid::Uuid;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// One booking request in the outbox, as the UI shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboxItem {
    /// Client id and idempotency key.
    pub id: Uuid,
    /// The request.
    pub request: NewBooking,
    /// What the driver booked, in words (the driveway's title and address), for the list.
    pub label: Option<String>,
    /// Where it stands.
    pub state: OutboxState,
    /// Attempts so far.
    pub attempts: i64,
    /// The last problem, in a sentence.
    pub last_error: Option<String>,
    /// The server's booking once synced.
    pub booking: Option<Booking>,
    /// Free driveways nearby for the same slot, after a conflict.
    pub alternatives: Option<Value>,
    /// When it was saved.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct OutboxRow {
    id: String,
    payload: String,
    label: Option<String>,
    state: String,
    attempts: i64,
    last_error: Option<String>,
    booking: Option<String>,
    alternatives: Option<String>,
    created_at: i64,
    updated_at: i64,
}

/// A stored instant: milliseconds since the epoch.
pub(crate) fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// The instant stored as milliseconds since the epoch.
pub(crate) fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

impl OutboxRow {
    fn item(self) -> Option<OutboxItem> {
        Some(OutboxItem {
            id: Uuid::parse_str(&self.id).ok()?,
            request: serde_json::from_str(&self.payload).ok()?,
            label: self.label,
            // Only this app writes the column; a state it does not know came from a newer
            // version, which is the one to show it.
            state: OutboxState::parse(&self.state)?,
            attempts: self.attempts,
            last_error: self.last_error,
            booking: self.booking.and_then(|b| serde_json::from_str(&b).ok()),
            alternatives: self.alternatives.and_then(|a| serde_json::from_str(&a).ok()),
            created_at: at(self.created_at),
            updated_at: at(self.updated_at),
        })
    }
}

const OUTBOX_COLUMNS: &str =
    "id, payload, label, state, attempts, last_error, booking, alternatives, created_at, updated_at";

/// The file holds the session's access token, and its refresh token where there is no OS
/// keychain: only its owner may read it (and its WAL files).
fn owner_only(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mut files = vec![path.to_path_buf()];
        for suffix in ["-wal", "-shm"] {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            files.push(name.into());
        }
        for file in files.into_iter().filter(|f| f.exists()) {
            if let Err(e) = std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)) {
                tracing::warn!(error = %e, file = %file.display(), "could not make the app's database private");
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// The app's database.
#[derive(Debug, Clone)]
pub struct LocalStore {
    pub(crate) pool: SqlitePool,
}

impl LocalStore {
    /// Opens (creating) the database file and applies its migrations.
    pub async fn open(path: &Path) -> Result<LocalStore> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // A deleted session is overwritten with zeros, not only unlinked from its page.
            .pragma("secure_delete", "on")
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new().max_connections(4).connect_with(options).await?;
        MIGRATOR.run(&pool).await.map_err(sqlx::Error::from)?;
        owner_only(path);
        Ok(LocalStore { pool })
    }

    /// Saves a booking request made without a network; `label` says what it is for in words.
    pub async fn enqueue(
        &self,
        id: Uuid,
        user: Uuid,
        request: &NewBooking,
        label: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<OutboxItem> {
        let payload = serde_json::to_string(request).map_err(|e| crate::error::Error::Other(e.to_string()))?;
        sqlx::query(
            "INSERT INTO outbox (id, user_id, payload, label, state, next_attempt_at, created_at, updated_at) \
             VALUES (?, ?, ?, ?, 'queued', ?, ?, ?) ON CONFLICT (id) DO NOTHING",
        )
        .bind(id.to_string())
        .bind(user.to_string())
        .bind(payload)
        .bind(label)
        .bind(ms(now))
        .bind(ms(now))
        .bind(ms(now))
        .execute(&self.pool)
        .await?;
        self.item(id).await?.ok_or_else(|| crate::error::Error::Other("the outbox lost an item".into()))
    }

    /// One item.
    pub async fn item(&self, id: Uuid) -> Result<Option<OutboxItem>> {
        let row = sqlx::query_as::<_, OutboxRow>(&format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE id = ?"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.and_then(OutboxRow::item))
    }

    /// Every item of `user`, newest first.
    pub async fn outbox(&self, user: Uuid) -> Result<Vec<OutboxItem>> {
        let rows = sqlx::query_as::<_, OutboxRow>(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE user_id = ? ORDER BY created_at DESC"
        ))
        .bind(user.to_string())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().filter_map(OutboxRow::item).collect())
    }

    /// How many requests wait to be sent, whoever made them.
    pub async fn queued(&self) -> Result<usize> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE state IN ('queued', 'syncing')")
            .fetch_one(&self.pool)
            .await?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// Items of `user` waiting to be sent, oldest first (the order they were made in).
    pub async fn pending(&self, user: Uuid) -> Result<Vec<(OutboxItem, DateTime<Utc>)>> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT id, next_attempt_at FROM outbox WHERE state IN ('queued', 'syncing') AND user_id = ? \
             ORDER BY created_at, rowid",
        )
        .bind(user.to_string())
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for (id, next) in rows {
            if let Ok(id) = Uuid::parse_str(&id)
                && let Some(item) = self.item(id).await?
            {
                out.push((item, at(next)));
            }
        }
        Ok(out)
    }

    /// Removes a finished item from the list (one still waiting or being sent stays: it may
    /// yet book). Returns false when there is no such finished item.
    pub async fn dismiss(&self, id: Uuid) -> Result<bool> {
        Ok(sqlx::query("DELETE FROM outbox WHERE id = ? AND state NOT IN ('queued', 'syncing')")
            .bind(id.to_string())
            .execute(&self.pool)
            .await?
            .rows_affected()
            == 1)
    }

    /// Bookings and messages a previous run left half-sent go back to the queue (each one's
    /// key makes a resend safe).
    pub async fn requeue_interrupted(&self) -> Result<u64> {
        let mut requeued = 0;
        for table in ["outbox", "replies"] {
            requeued += sqlx::query(&format!("UPDATE {table} SET state = 'queued' WHERE state = 'syncing'"))
                .execute(&self.pool)
                .await?
                .rows_affected();
        }
        Ok(requeued)
    }

    /// Moves an item to `state` only if it is in `from` (a cancel and a sync never cross).
    pub async fn transition(
        &self,
        id: Uuid,
        from: &[OutboxState],
        to: OutboxState,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let from: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
        let placeholders = vec!["?"; from.len()].join(", ");
        let sql = format!("UPDATE outbox SET state = ?, updated_at = ? WHERE id = ? AND state IN ({placeholders})");
        let mut q = sqlx::query(&sql).bind(to.as_str()).bind(ms(now)).bind(id.to_string());
        for f in from {
            q = q.bind(f);
        }
        Ok(q.execute(&self.pool).await?.rows_affected() == 1)
    }

    /// Records a failed attempt to retry at `next`.
    pub async fn retry_later(&self, id: Uuid, error: &str, next: DateTime<Utc>, now: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "UPDATE outbox SET state = 'queued', attempts = attempts + 1, last_error = ?, next_attempt_at = ?, updated_at = ? \
             WHERE id = ? AND state = 'syncing'",
        )
        .bind(error)
        .bind(ms(next))
        .bind(ms(now))
        .bind(id.to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records the end of an item: synced with its booking, or refused with a reason.
    pub async fn finish(
        &self,
        id: Uuid,
        state: OutboxState,
        error: Option<&str>,
        booking: Option<&Booking>,
        alternatives: Option<&Value>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let booking = booking.and_then(|b| serde_json::to_string(b).ok());
        let alternatives = alternatives.map(Value::to_string);
        sqlx::query(
            "UPDATE outbox SET state = ?, attempts = attempts + 1, last_error = ?, booking = ?, alternatives = ?, updated_at = ? \
             WHERE id = ? AND state = 'syncing'",
        )
        .bind(state.as_str())
        .bind(error)
        .bind(booking)
        .bind(alternatives)
        .bind(ms(now))
        .bind(id.to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Remembers a booking (and its driveway, with access instructions) for offline reading.
    pub async fn cache_booking(
        &self,
        user: Uuid,
        booking: &Booking,
        driveway: Option<&Value>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let json = serde_json::to_string(booking).map_err(|e| crate::error::Error::Other(e.to_string()))?;
        sqlx::query(
            "INSERT INTO bookings_cache (id, user_id, booking, driveway, updated_at) VALUES (?, ?, ?, ?, ?) \
             ON CONFLICT (id) DO UPDATE SET booking = excluded.booking, user_id = excluded.user_id, \
             driveway = COALESCE(excluded.driveway, bookings_cache.driveway), updated_at = excluded.updated_at",
        )
        .bind(booking.id.to_string())
        .bind(user.to_string())
        .bind(json)
        .bind(driveway.map(Value::to_string))
        .bind(ms(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The cached bookings of `user` with their driveways, newest first.
    pub async fn cached_bookings(&self, user: Uuid) -> Result<Vec<Value>> {
        let rows: Vec<(String, Option<String>)> =
            sqlx::query_as("SELECT booking, driveway FROM bookings_cache WHERE user_id = ? ORDER BY updated_at DESC")
                .bind(user.to_string())
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(b, d)| {
                let mut booking: Value = serde_json::from_str(&b).ok()?;
                booking["drivewayDetail"] = d.and_then(|d| serde_json::from_str(&d).ok()).unwrap_or(Value::Null);
                Some(booking)
            })
            .collect())
    }

    /// Stores a search answer under its query.
    pub async fn cache_search(&self, key: &str, lat: f64, lng: f64, answer: &Value, now: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "INSERT INTO search_cache (key, lat, lng, answer, fetched_at) VALUES (?, ?, ?, ?, ?) \
             ON CONFLICT (key) DO UPDATE SET answer = excluded.answer, fetched_at = excluded.fetched_at",
        )
        .bind(key)
        .bind(lat)
        .bind(lng)
        .bind(answer.to_string())
        .bind(ms(now))
        .execute(&self.pool)
        .await?;
        // Keep the 50 most recent places.
        sqlx::query("DELETE FROM search_cache WHERE key NOT IN (SELECT key FROM search_cache ORDER BY fetched_at DESC LIMIT 50)")
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The cached answer for the query nearest to (lat, lng), with when it was fetched.
    pub async fn nearest_search(&self, lat: f64, lng: f64) -> Result<Option<(Value, DateTime<Utc>)>> {
        let row: Option<(String, i64)> = sqlx::query_as(
            "SELECT answer, fetched_at FROM search_cache ORDER BY (lat - ?) * (lat - ?) + (lng - ?) * (lng - ?) LIMIT 1",
        )
        .bind(lat)
        .bind(lat)
        .bind(lng)
        .bind(lng)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.and_then(|(a, t)| Some((serde_json::from_str(&a).ok()?, at(t)))))
    }

    /// Stores a place search's answer under its folded query (the most recent 300 are kept).
    pub async fn cache_places(&self, query: &str, answer: &Value, now: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "INSERT INTO place_cache (query, answer, fetched_at) VALUES (?, ?, ?) \
             ON CONFLICT (query) DO UPDATE SET answer = excluded.answer, fetched_at = excluded.fetched_at",
        )
        .bind(query)
        .bind(answer.to_string())
        .bind(ms(now))
        .execute(&self.pool)
        .await?;
        sqlx::query(
            "DELETE FROM place_cache WHERE query NOT IN (SELECT query FROM place_cache ORDER BY fetched_at DESC LIMIT 300)",
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Every kept place search's answer, newest first.
    pub async fn cached_places(&self) -> Result<Vec<Value>> {
        let answers: Vec<String> =
            sqlx::query_scalar("SELECT answer FROM place_cache ORDER BY fetched_at DESC").fetch_all(&self.pool).await?;
        Ok(answers.iter().filter_map(|a| serde_json::from_str(a).ok()).collect())
    }

    /// Remembers a driveway's page (the most recent 200 are kept).
    pub async fn cache_driveway(&self, id: &str, answer: &Value, now: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "INSERT INTO driveway_cache (id, answer, fetched_at) VALUES (?, ?, ?) \
             ON CONFLICT (id) DO UPDATE SET answer = excluded.answer, fetched_at = excluded.fetched_at",
        )
        .bind(id)
        .bind(answer.to_string())
        .bind(ms(now))
        .execute(&self.pool)
        .await?;
        sqlx::query(
            "DELETE FROM driveway_cache WHERE id NOT IN (SELECT id FROM driveway_cache ORDER BY fetched_at DESC LIMIT 200)",
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A driveway's page as last fetched.
    pub async fn cached_driveway(&self, id: &str) -> Result<Option<Value>> {
        let answer: Option<String> = sqlx::query_scalar("SELECT answer FROM driveway_cache WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(answer.and_then(|a| serde_json::from_str(&a).ok()))
    }

    /// A setting.
    pub async fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT value FROM settings WHERE key = ?").bind(key).fetch_optional(&self.pool).await?)
    }

    /// Removes a setting and leaves no copy of it in the files: the row is overwritten (see
    /// `secure_delete` in [`LocalStore::open`]) and the write-ahead log, which still holds the
    /// page as it was, is written back and emptied.
    pub async fn erase_setting(&self, key: &str) -> Result<()> {
        self.set_setting(key, None).await?;
        let (busy, _, _): (i64, i64, i64) =
            sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)").fetch_one(&self.pool).await?;
        if busy != 0 {
            // A reader held the log; the next checkpoint overwrites it.
            tracing::debug!("the app's database log could not be emptied at once");
        }
        Ok(())
    }

    /// Sets (or with `None` removes) a setting.
    pub async fn set_setting(&self, key: &str, value: Option<&str>) -> Result<()> {
        match value {
            Some(v) => {
                sqlx::query("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
                    .bind(key)
                    .bind(v)
                    .execute(&self.pool)
                    .await?
            }
            None => sqlx::query("DELETE FROM settings WHERE key = ?").bind(key).execute(&self.pool).await?,
        };
        Ok(())
    }
}
